"""Records and per-class label counts per named split of a PTB-XL folder.

Run from the repo root:
    .venv/bin/python benchmarks/ptbxl_counts.py [--data ../shared/data/ptb-xl]
Prints the counts and writes results/ptbxl_local_counts.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mets_core.data.ptbxl import TASKS, count_labels, load_ptbxl_index

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "ptb-xl"


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REPO / "results" / "ptbxl_local_counts.json")
    args = parser.parse_args(argv)
    index = load_ptbxl_index(args.data)
    counts = count_labels(index)
    summary = {"command": "python benchmarks/ptbxl_counts.py", "records": len(index), **counts}
    for split, entry in counts.items():
        print(
            f"{split}: {entry['records']} records, sources {entry['sources']}, "
            f"labelled {entry['labelled']}"
        )
        if split != "train":
            for task in TASKS:
                print(f"  {task}: {entry['classes'][task]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
