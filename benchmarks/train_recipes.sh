#!/usr/bin/env bash
# Every run and ensemble of the issue-13 ablation table (results/ablation.md), one after another.
#
#   bash benchmarks/train_recipes.sh            # all of them (about 12-25 min per run on 2 cores)
#   bash benchmarks/train_recipes.sh base_s1    # one of them
#
# Each run trains on PTB-XL folds 1-8 only, then `mets select --write` makes its fold-9 choices;
# ensembles join finished runs (`mets ensemble`) and get their own fold-9 selection. Fold 9 picks
# what ships (`python benchmarks/ablation.py`, "Fold 9 picks" line; then
# `bash benchmarks/ship_weights.sh runs/NAME`). Outputs go to runs/ (git-ignored).
# base_s0 was trained in two steps (20 epochs, then resumed to 34 with the same schedule; see
# weights/README.md); one `train base_s0` call gives the same schedule.
set -euo pipefail
cd "$(dirname "$0")/.."
METS=.venv/bin/mets
COMMON=(--data ../shared/data/ptb-xl --epochs 34 --decay-epochs 14 --batch-size 64
        --report-source generated --cache-dir runs/cache --device cpu)
ROBUST=(--augment robust --phrasings 3 --non-ecg-fraction 0.05)

select_run() { $METS select --weights "runs/$1/mets_resnet18" --out "runs/$1/select" --write; }
train() {  # name, flags
  local name=$1; shift
  mkdir -p "runs/$name"
  $METS train "${COMMON[@]}" --out "runs/$name/mets_resnet18" "$@"
  select_run "$name"
}
ensemble() {  # name, member run names
  local name=$1; shift
  local members=()
  for run in "$@"; do members+=("runs/$run/mets_resnet18"); done
  mkdir -p "runs/$name"
  $METS ensemble --members "${members[@]}" --out "runs/$name/mets_resnet18"
  select_run "$name"
}
declare -A RECIPES=(
  [base_s0]="train base_s0 --seed 0"
  [base_s1]="train base_s1 --seed 1"
  [base_s2]="train base_s2 --seed 2"
  [robust_s0]="train robust_s0 --seed 0 ${ROBUST[*]}"
  [robust_s1]="train robust_s1 --seed 1 ${ROBUST[*]}"
  [robust_s2]="train robust_s2 --seed 2 ${ROBUST[*]}"
  [abl_augment_s0]="train abl_augment_s0 --seed 0 --augment robust"
  [abl_phrasings_s0]="train abl_phrasings_s0 --seed 0 --phrasings 3"
  [abl_nonecg_s0]="train abl_nonecg_s0 --seed 0 --non-ecg-fraction 0.05"
  [abl_long_s0]="train abl_long_s0 --seed 0 --epochs 50 --decay-epochs 20"  # later flags win
  # the base recipe validating and saving an EMA of its weights (decay 0.99 per step, ~4 epochs
  # of 24 steps); 3 seeds, so fold 9 compares it with base's 3
  [ema_s0]="train ema_s0 --seed 0 --ema-decay 0.99"
  [ema_s1]="train ema_s1 --seed 1 --ema-decay 0.99"
  [ema_s2]="train ema_s2 --seed 2 --ema-decay 0.99"
  # the robust recipe with the same weight average, so the mixed ensembles can be redone with it
  [ema_robust_s0]="train ema_robust_s0 --seed 0 ${ROBUST[*]} --ema-decay 0.99"
  [ema_robust_s1]="train ema_robust_s1 --seed 1 ${ROBUST[*]} --ema-decay 0.99"
  [ema_robust_s2]="train ema_robust_s2 --seed 2 ${ROBUST[*]} --ema-decay 0.99"
  [ens_base2]="ensemble ens_base2 base_s0 base_s1"
  [ens_base3]="ensemble ens_base3 base_s0 base_s1 base_s2"
  [ens_mixed3]="ensemble ens_mixed3 base_s0 robust_s0 robust_s1"
  [ens_mixed4]="ensemble ens_mixed4 base_s0 base_s1 robust_s0 robust_s1"
  # Two more draws of each ensemble recipe that 3 seeds per run recipe allow, so the fold-9 rule
  # compares recipe means over 3 draws each (ens_base3 has one draw only). The draws share
  # members, so their sd understates that of fully independent ensembles.
  [ens_base2_s1]="ensemble ens_base2_s1 base_s1 base_s2"
  [ens_base2_s2]="ensemble ens_base2_s2 base_s0 base_s2"
  [ens_mixed3_s1]="ensemble ens_mixed3_s1 base_s1 robust_s1 robust_s2"
  [ens_mixed3_s2]="ensemble ens_mixed3_s2 base_s2 robust_s0 robust_s2"
  [ens_mixed4_s1]="ensemble ens_mixed4_s1 base_s1 base_s2 robust_s1 robust_s2"
  [ens_mixed4_s2]="ensemble ens_mixed4_s2 base_s0 base_s2 robust_s0 robust_s2"
  # ensembles of the EMA runs: three draws of two, and all three
  [ens_ema2_s0]="ensemble ens_ema2_s0 ema_s0 ema_s1"
  [ens_ema2_s1]="ensemble ens_ema2_s1 ema_s1 ema_s2"
  [ens_ema2_s2]="ensemble ens_ema2_s2 ema_s0 ema_s2"
  [ens_ema3]="ensemble ens_ema3 ema_s0 ema_s1 ema_s2"
  # 1 ema + 2 ema_robust (three towers, as ens_mixed3) and 2 + 2 (four, over the serving budget:
  # tabulated, not eligible), three draws each
  [ens_emamixed3_s0]="ensemble ens_emamixed3_s0 ema_s0 ema_robust_s0 ema_robust_s1"
  [ens_emamixed3_s1]="ensemble ens_emamixed3_s1 ema_s1 ema_robust_s1 ema_robust_s2"
  [ens_emamixed3_s2]="ensemble ens_emamixed3_s2 ema_s2 ema_robust_s0 ema_robust_s2"
  [ens_emamixed4_s0]="ensemble ens_emamixed4_s0 ema_s0 ema_s1 ema_robust_s0 ema_robust_s1"
  [ens_emamixed4_s1]="ensemble ens_emamixed4_s1 ema_s1 ema_s2 ema_robust_s1 ema_robust_s2"
  [ens_emamixed4_s2]="ensemble ens_emamixed4_s2 ema_s0 ema_s2 ema_robust_s0 ema_robust_s2"
)
ORDER=(base_s0 base_s1 base_s2 robust_s0 robust_s1 robust_s2 abl_augment_s0 abl_phrasings_s0
       abl_nonecg_s0 abl_long_s0 ema_s0 ema_s1 ema_s2 ema_robust_s0 ema_robust_s1 ema_robust_s2
       ens_base2 ens_base3 ens_mixed3 ens_mixed4 ens_base2_s1 ens_base2_s2 ens_mixed3_s1
       ens_mixed3_s2 ens_mixed4_s1 ens_mixed4_s2 ens_ema2_s0 ens_ema2_s1 ens_ema2_s2 ens_ema3
       ens_emamixed3_s0 ens_emamixed3_s1 ens_emamixed3_s2 ens_emamixed4_s0 ens_emamixed4_s1
       ens_emamixed4_s2)
for name in "${@:-${ORDER[@]}}"; do
  [ -n "${RECIPES[$name]:-}" ] || { echo "unknown run $name; known: ${ORDER[*]}" >&2; exit 2; }
  echo "== $name: ${RECIPES[$name]}"
  ${RECIPES[$name]}
done
