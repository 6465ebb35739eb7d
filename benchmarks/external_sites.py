"""Zero-shot reading of ECGs from other sites (../shared/data/cinc-external), as served.

REPORTING ONLY (METHOD.md): these records never choose anything. A thin command over
`mets_core.evaluate.external` (the same code `mets evaluate` and benchmarks/ablation.py use):
every record goes through `mets_core.load_record` and `mets_core.rank` with the plain class names
a user types and the template the weights serve (their sidecar, or the fold-9 choice in a
`mets select` serving.json given with --selection); `#Dx` SNOMED-CT codes become PTB-XL SCP codes
through `mets_core/data/cinc_snomed.py`. Rhythm macro AUROC over the records with a rhythm code,
AF alone, and the classes shared with PTB-XL over every readable record, with bootstrap 95 %
intervals over records.

    .venv/bin/python benchmarks/external_sites.py --weights weights/mets_resnet18 \\
        --out results/external_sites.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from mets_core.data.cinc_snomed import SNOMED_CODES
from mets_core.errors import METSError
from mets_core.evaluate.external import evaluate_external
from mets_core.evaluate.serving import with_selection
from mets_core.model.load import load_model

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "cinc-external"
N_BOOTSTRAP = 1000


def evaluate_weights(weights: str, selection: str | None, device: str, folder: Path) -> dict:
    """One weights stem: load, serve its (or the given serving.json's) template, evaluate."""
    model = load_model(weights, device=device)
    if selection and selection != "-":
        model = with_selection(model, json.loads(Path(selection).read_text())["selection"])
    start = time.perf_counter()
    result = evaluate_external(model, folder, N_BOOTSTRAP)
    return {
        "weights": weights,
        "weights_sha256": model.weights.sha256,
        **result,
        # the flat keys earlier versions of this file wrote (read by the Model card page)
        "n_records_total": result["n_records"],
        "n_records": result["rhythm"]["n_records"],
        "rhythm_macro_auroc": result["rhythm"]["macro_auroc"],
        "rhythm_macro_auroc_ci95": result["rhythm"]["ci95"],
        "af_auroc": result["af"]["macro_auroc"],
        "af_auroc_ci95": result["af"]["ci95"],
        "skipped": result["rhythm"]["skipped"],
        "seconds": round(time.perf_counter() - start, 1),
    }


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
    parser.add_argument("--data", default=str(DATA), help="the cinc-external folder")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(REPO / "results" / "external_sites.json"))
    args = parser.parse_args(argv)
    selections = args.selection or ["-"] * len(args.weights)
    if len(selections) != len(args.weights):
        parser.error("give one --selection per --weights (or none)")
    try:
        results = [
            evaluate_weights(w, s, args.device, Path(args.data))
            for w, s in zip(args.weights, selections, strict=True)
        ]
    except METSError as error:
        print(f"external_sites: {error}", file=sys.stderr)
        return 2
    for r in results:
        print(
            f"{r['weights']}: rhythm macro AUROC {r['rhythm']['macro_auroc']:.3f} "
            f"{r['rhythm']['ci95']} ({r['rhythm']['n_records']} records), AF "
            f"{r['af']['macro_auroc']:.3f}, shared classes {r['shared']['macro_auroc']:.3f} "
            f"({r['n_records_total']} records, {len(r['unreadable'])} unreadable)"
        )
    report = {
        "what": "cinc-external zero-shot AUROC through mets_core.rank, plain class names, "
        "served template; reporting only, never used to choose",
        "data": str(Path(args.data).resolve().relative_to(REPO.parent.resolve()))
        if Path(args.data).resolve().is_relative_to(REPO.parent.resolve())
        else args.data,
        "snomed_to_scp": {k: v.scp_code for k, v in SNOMED_CODES.items() if v.scp_code},
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
