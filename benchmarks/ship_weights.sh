#!/usr/bin/env bash
# Make a finished run or ensemble the shipped default `weights/mets_resnet18`, and redo everything
# that depends on the shipped weights (each step's output is committed with the weights):
#
#   bash benchmarks/ship_weights.sh runs/ens_mixed4
#
# Only for the run that fold 9 picked (`python benchmarks/ablation.py`, "Fold 9 picks" line).
# 1. fold-9 template and temperature again on the shipped path; fold-10 numbers as served
#    (results/serving.json, results/serving_*.csv)
# 2. reference bank (folds 1-8) and abstain thresholds (fold 9)
# 3. the bundled fold-10 search index and its quality numbers (results/search_quality.json)
# 4. abstain rates on fold 10 and the external sets (results/abstain.json), and the other-site
#    numbers the app's Model card shows (results/external_sites.json)
# 5. tests/data/shipped_reference.json (what tests/test_shipped_weights.py pins)
# 6. the bundled examples and controls through `rank` (results/sanity_examples.json)
# 7. the METS-protocol tables of the shipped weights (results/shipped_ensemble/)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: ship_weights.sh RUN_FOLDER (holding mets_resnet18.safetensors + .json)}
METS=.venv/bin/mets
export HF_HUB_OFFLINE=1
cp "$RUN/mets_resnet18.safetensors" "$RUN/mets_resnet18.json" weights/
rm -f weights/mets_resnet18.bank.npz
$METS select --weights weights/mets_resnet18 --out results --write --device cpu
$METS bank --weights weights/mets_resnet18 --device cpu
rm -rf weights/ptbxl_fold10.index
.venv/bin/python benchmarks/search_quality.py --data ../shared/data/ptb-xl \
    --index weights/ptbxl_fold10.index --out results/search_quality.json
.venv/bin/python benchmarks/abstain.py
.venv/bin/python benchmarks/external_sites.py --weights weights/mets_resnet18 \
    --out results/external_sites.json
.venv/bin/python benchmarks/make_shipped_reference.py
.venv/bin/python benchmarks/sanity_examples.py
$METS evaluate --weights weights/mets_resnet18 --data ../shared/data --task all \
    --out results/shipped_ensemble --device cpu --no-baselines
echo "shipped $RUN as weights/mets_resnet18; now update README.md and weights/README.md numbers"
