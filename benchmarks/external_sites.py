"""Zero-shot rhythm reading on ECGs from other sites (../shared/data/cinc-external), as served.

REPORTING ONLY (METHOD.md): these records never choose anything. Every record goes through
`mets_core.load_record` and `mets_core.rank` with the plain rhythm class names a user types
(`zeroshot.labels.class_names("rhythm")`) and the template the weights serve (their sidecar, or
the fold-9 choice in a `mets select` serving.json given with --selection). The `#Dx` SNOMED-CT
codes are mapped to PTB-XL rhythm classes by `SNOMED_RHYTHM` (code names from the data's README
and the PhysioNet/CinC 2020-21 challenge table dx_mapping_scored.csv / dx_mapping_unscored.csv);
records with none of these codes are left out. Macro AUROC over the rhythm classes with both a
positive and a negative among those records, and atrial fibrillation alone, with bootstrap 95 %
intervals over records.

    .venv/bin/python benchmarks/external_sites.py --weights weights/mets_resnet18 \
        --weights runs/robust_s0/mets_resnet18 --selection - \
        --selection runs/robust_s0/select/serving.json --out results/external_sites.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import mets_core
from mets_core.errors import ECGInputError
from mets_core.evaluate.metrics import macro_auroc
from mets_core.model.load import load_model
from mets_core.zeroshot.labels import class_names, task_labels

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "cinc-external"
N_BOOTSTRAP = 1000
SNOMED_RHYTHM = {  # SNOMED-CT code -> PTB-XL rhythm class
    "426783006": "SR",  # sinus rhythm
    "426177001": "SBRAD",  # sinus bradycardia
    "427084000": "STACH",  # sinus tachycardia
    "427393009": "SARRH",  # sinus arrhythmia
    "164889003": "AFIB",  # atrial fibrillation
    "164890007": "AFLT",  # atrial flutter
    "426761007": "SVTAC",  # supraventricular tachycardia
    "67198005": "PSVT",  # paroxysmal supraventricular tachycardia
    "10370003": "PACE",  # pacing rhythm
    "11157007": "BIGU",  # ventricular bigeminy
    "251180001": "TRIGU",  # ventricular trigeminy
}


def read_dx(header: Path) -> list[str]:
    """The SNOMED codes of one header's `#Dx:` line."""
    for line in header.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#Dx:"):
            return [code.strip() for code in line[4:].split(",") if code.strip()]
    return []


def load_cinc_record(header: Path) -> mets_core.ECGRecord:
    """`mets_core.load_record`, after fixing the record line of the 13 Georgia headers that name
    the record with its `.mat` extension (wfdb refuses them; the signal lines are valid)."""
    try:
        return mets_core.load_record(header)
    except ECGInputError:
        lines = header.read_text(encoding="utf-8").splitlines()
        name, rest = lines[0].split(" ", 1)
        if not name.endswith(".mat"):
            raise
        with tempfile.TemporaryDirectory() as folder:
            fixed = Path(folder) / header.name
            fixed.write_text("\n".join([f"{name[:-4]} {rest}", *lines[1:]]) + "\n")
            shutil.copy(header.with_suffix(".mat"), Path(folder) / header.with_suffix(".mat").name)
            return mets_core.load_record(fixed)


def rhythm_records() -> tuple[list[Path], np.ndarray, list[str]]:
    """(headers with a mapped rhythm code, (N, C) bool labels, class codes in task order)."""
    codes = list(task_labels()["rhythm"])
    headers, rows = [], []
    for header in sorted(DATA.glob("*.hea")):
        classes = {SNOMED_RHYTHM[c] for c in read_dx(header) if c in SNOMED_RHYTHM}
        if classes:
            headers.append(header)
            rows.append([code in classes for code in codes])
    return headers, np.array(rows, bool), codes


def served_template(model, selection: str | None) -> str:
    """The fold-9 template from a serving.json, else the one in the weights' sidecar."""
    if selection and selection != "-":
        return json.loads(Path(selection).read_text())["selection"]["zero_shot_template"]
    return model.config.zero_shot_template


def evaluate_weights(weights: str, selection: str | None, device: str) -> dict:
    model = load_model(weights, device=device)
    template = served_template(model, selection)
    headers, labels, codes = rhythm_records()
    names = class_names("rhythm")
    scores = np.zeros(labels.shape, np.float32)
    start = time.perf_counter()
    for i, header in enumerate(headers):
        cosine = {
            r.candidate: r.cosine
            for r in mets_core.rank(model, load_cinc_record(header), names, template)
        }
        scores[i] = [cosine[n] for n in names]
    macro = macro_auroc(labels, scores, codes)
    af = codes.index("AFIB")
    return {
        "weights": weights,
        "weights_sha256": model.weights.sha256,
        "template": template,
        "n_records": len(headers),
        "n_positive": {c: int(labels[:, j].sum()) for j, c in enumerate(codes)},
        "rhythm_macro_auroc": macro["macro_auroc"],
        "rhythm_macro_auroc_ci95": _bootstrap(labels, scores, codes),
        "per_class": macro["per_class"],
        "skipped": macro["skipped"],
        "af_auroc": macro["per_class"].get("AFIB"),
        "af_auroc_ci95": _bootstrap(labels[:, [af]], scores[:, [af]], ["AFIB"]),
        "seconds": round(time.perf_counter() - start, 1),
    }


def _bootstrap(labels: np.ndarray, scores: np.ndarray, codes: list[str]) -> list[float]:
    """Percentile 95 % interval of the macro AUROC over records resampled with replacement."""
    rng = np.random.default_rng(0)
    values = []
    for _ in range(N_BOOTSTRAP):
        pick = rng.integers(0, len(labels), len(labels))
        value = macro_auroc(labels[pick], scores[pick], codes)["macro_auroc"]
        if value is not None:
            values.append(value)
    return [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--weights", action="append", required=True, help="weights stem (repeat)")
    parser.add_argument(
        "--selection",
        action="append",
        help="a serving.json per --weights ('-': the sidecar's own template)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(REPO / "results" / "external_sites.json"))
    args = parser.parse_args(argv)
    selections = args.selection or ["-"] * len(args.weights)
    if len(selections) != len(args.weights):
        parser.error("give one --selection per --weights (or none)")
    results = [
        evaluate_weights(w, s, args.device) for w, s in zip(args.weights, selections, strict=True)
    ]
    for r in results:
        print(
            f"{r['weights']}: rhythm macro AUROC {r['rhythm_macro_auroc']:.3f} "
            f"{r['rhythm_macro_auroc_ci95']}, AF {r['af_auroc']:.3f} ({r['n_records']} records)"
        )
    report = {
        "what": "cinc-external rhythm zero-shot AUROC through mets_core.rank, plain class names, "
        "served template; reporting only, never used to choose",
        "data": str(DATA.relative_to(REPO.parent)),
        "snomed_rhythm": SNOMED_RHYTHM,
        "command": "python benchmarks/external_sites.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": f"{platform.node()} {platform.machine()}",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
