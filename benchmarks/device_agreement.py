"""How far the intervals METS computes lie from the recording devices' own, on every format sample.

Run from the repo root:
    .venv/bin/python benchmarks/device_agreement.py [--formats ../shared/data/formats]
For each sample in ../shared/data/formats that states device measurements (GE, Philips, Mortara,
CalECG, ECG Toolkit exports), `measurements.measure_intervals` is compared with the file's values
(`file_values.differences`: computed minus stated). Prints per-file differences and, per
quantity, the count, median absolute and mean difference; writes results/device_agreement.json.
The devices' algorithms (GE 12SL, Philips DXL, ...) are a reference, not ground truth.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record
from mets_core.signal import file_values, measurements

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FORMATS = REPO.parent / "shared" / "data" / "formats"


def per_file(formats: Path) -> dict[str, dict[str, float]]:
    """{sample path: {measurement: computed - stated}} for samples that state device values."""
    out = {}
    for path in sorted(p for p in formats.rglob("*") if p.is_file()):
        try:
            record = load_record(path)
        except ECGInputError:
            continue  # licences, README, the refused SCP file
        found = file_values.differences(measurements.measure_intervals(record), record.file_info)
        if found:
            out[str(path.relative_to(formats))] = {k: round(v, 1) for k, v in found.items()}
    return out


def summary(rows: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per quantity: n, median |difference|, mean difference (bias)."""
    names = sorted({name for row in rows.values() for name in row})
    out = {}
    for name in names:
        values = np.array([row[name] for row in rows.values() if name in row])
        out[name] = {
            "n": int(values.size),
            "median_abs": round(float(np.median(np.abs(values))), 1),
            "mean": round(float(values.mean()), 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", type=Path, default=DEFAULT_FORMATS)
    rows = per_file(parser.parse_args().formats)
    for name, row in rows.items():
        print(f"{name}: {row}")
    result = {"summary": summary(rows), "per_file": rows}
    print(json.dumps(result["summary"], indent=1))
    out = REPO / "results" / "device_agreement.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
