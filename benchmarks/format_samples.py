"""Every sample in ../shared/data/formats through `load_record`: what was read, and how fast.

Run from the repo root:
    .venv/bin/python benchmarks/format_samples.py [--formats ../shared/data/formats]
Prints one line per file and writes results/format_samples.json: leads, samples, rate, duration,
derived leads, the file's median beats, how many device values and statements it states, how many
patient fields were found (the count only, never the values), and the read time (best of 3, ms).
A refused file gets its message instead.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FORMATS = REPO.parent / "shared" / "data" / "formats"
_DEVICE_VALUE_UNITS = ("(ms)", "(bpm)", "(°)")


def _describe(path: Path) -> dict[str, object]:
    times_s = []
    for _ in range(3):
        start = time.perf_counter()
        try:
            record = load_record(path)
        except ECGInputError as error:
            return {"refused": str(error)}
        times_s.append(time.perf_counter() - start)
    beats = record.file_median_beats
    return {
        "leads": record.n_leads,
        "samples": record.n_samples,
        "fs_hz": record.fs_hz,
        "duration_s": round(record.duration_s, 2),
        "derived_leads": list(record.derived_leads),
        "file_median_beats": list(beats.signal.shape) if beats else None,
        "device_values": sum(key.endswith(_DEVICE_VALUE_UNITS) for key in record.file_info),
        "statements": "diagnosis statements" in record.file_info,
        "patient_field_count": len(record.patient_fields),
        "read_ms_best_of_3": round(min(times_s) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formats", type=Path, default=DEFAULT_FORMATS)
    args = parser.parse_args()
    files = sorted(
        p
        for p in args.formats.rglob("*")
        if p.is_file() and p.parent != args.formats and p.parent.name != "LICENSES"
    )
    results = {str(path.relative_to(args.formats)): _describe(path) for path in files}
    for name, row in results.items():
        print(f"{name}: {row}")
    out = REPO / "results" / "format_samples.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
