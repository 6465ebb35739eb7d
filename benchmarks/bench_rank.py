"""Speed of the zero-shot path (issue 3 targets): model load, and ranking one 10-s 12-lead ECG
against 20 candidates whose text is cached.

Usage: python benchmarks/bench_rank.py [--weights STEM] [--repeats 30] [--threads 1]
           [--out FILE.json]
Prints a table and writes JSON. The encoder forward alone is the in-run baseline; the other rows
are also given as a ratio to it, since absolute times on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "mets_core" / "io" / "examples_data" / "00417_hr.hea"  # 12 leads, 10 s, 500 Hz
LOAD_SNIPPET = (
    "import time; t=time.perf_counter(); import mets_core; m=mets_core.load_model({w!r}, 'cpu'); "
    "print(time.perf_counter()-t)"
)


def timed_interleaved(fns: dict, repeats: int) -> dict[str, float]:
    """Median wall time in seconds of each fn(), the functions called in turn in every round, so
    that a busy spell on this shared machine hits every row alike and their ratios hold."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_rank.json"))
    # One torch thread by default, as in bench_preprocess.py: on this 2-core machine shared with
    # a training run, torch's 2 threads spin against it (a forward took ~740 ms instead of ~10).
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    import torch

    load_start = [round(x, 2) for x in os.getloadavg()]
    if args.threads:
        torch.set_num_threads(args.threads)

    import mets_core
    from mets_core.signal.preprocess import preprocess_for_model

    load_s = float(
        subprocess.run(
            [sys.executable, "-c", LOAD_SNIPPET.format(w=args.weights)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[-1]
    )
    model = mets_core.load_model(args.weights, "cpu")
    record = mets_core.load_record(RECORD)
    candidates = [f"candidate diagnosis number {i}" for i in range(20)]
    mets_core.rank(model, record, candidates)  # warm the text cache and the allocator
    windows = preprocess_for_model(record, model.config.preprocess).windows
    x = torch.from_numpy(windows)
    members = getattr(model.module, "members", [model.module])
    with torch.inference_mode():
        rows = timed_interleaved(
            {
                "encoder forward (baseline)": lambda: model.module.encode_ecg(x),
                # the towers as trained, batch norm not folded (what every forward ran before)
                "encoder forward, batch norm unfolded": lambda: [
                    m.ecg_projection(m.ecg_encoder(x)) for m in members
                ],
                "read WFDB record": lambda: mets_core.load_record(RECORD),
                "preprocess (resample + clean)": lambda: preprocess_for_model(
                    record, model.config.preprocess
                ),
                "rank 20 cached candidates": lambda: mets_core.rank(model, record, candidates),
            },
            args.repeats,
        )
    forward_s = rows["encoder forward (baseline)"]
    report = {
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}",
        "load_average_1_5_15_min_start": load_start,
        "load_average_1_5_15_min_end": [round(x, 2) for x in os.getloadavg()],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "record": RECORD.name,
        "model_load_s_including_imports": load_s,
        "median_s": rows,
        "ratio_to_forward": {k: v / forward_s for k, v in rows.items()},
    }
    print(f"model load incl. imports: {load_s:.2f} s")
    for name, seconds in rows.items():
        print(f"{name:38s} {seconds * 1000:8.1f} ms  x{seconds / forward_s:5.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
