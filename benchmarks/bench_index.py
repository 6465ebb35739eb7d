"""What the index costs: exact search at 10 k - 1 M rows, and the local engine's throughput.

1. Search: N x 128 float16 unit vectors (random, in a temporary .npy, memory-mapped as
   `mets_core.index.search` does), one query; median of 5 warm `exact_top_k(20)` calls (float16
   pass + exact float32 re-scoring, what `mets search` runs). Disk = N x 256 bytes.
2. Indexing: `build_index` (read from disk -> preprocess -> encode, batch 64) on --records
   PTB-XL files, against the encoder alone on the same windows in fixed batches of 64, in the
   same run (issue 14 part 5 asks for the ratio >= 0.5).

Usage: python benchmarks/bench_index.py --data ../shared/data/ptb-xl [--records 128]
           [--rows 10000 100000 1000000] [--threads 1] [--out results/bench_index.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from mets_core.index.build import build_index
from mets_core.index.pipeline import prepare
from mets_core.index.search import exact_top_k
from mets_core.index.sources import find_records
from mets_core.model.load import load_model


def search_cost(rows: int, folder: Path, dim: int = 128) -> dict:
    """Median seconds of one exact top-20 query over `rows` memory-mapped float16 rows."""
    path = folder / f"m{rows}.npy"
    matrix = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(rows, dim))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 100_000):
        block = rng.standard_normal((min(100_000, rows - start), dim)).astype(np.float32)
        matrix[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    matrix.flush()
    mapped = np.load(path, mmap_mode="r")
    query = rng.standard_normal(dim).astype(np.float32)
    query /= np.linalg.norm(query)
    exact_top_k(mapped, query, 20)  # warm the page cache
    times = []
    for _ in range(5):
        started = time.perf_counter()
        exact_top_k(mapped, query, 20)
        times.append(time.perf_counter() - started)
    return {"rows": rows, "disk_mb": round(path.stat().st_size / 2**20, 1), "median_s": _m(times)}


def indexing_rate(data: Path, records: int, folder: Path) -> dict:
    """Records per second of build_index vs the encoder alone on the same windows."""
    model = load_model(None, "cpu")
    sources = find_records(data / "records100" / "00000")[:records]
    only = {s.source_path for s in sources}
    # warm-up on the same files (page cache, allocator, first-call costs), as the encoder-only
    # row below runs on warm windows; bench_preprocess.py interleaves the two instead
    build_index(data / "records100" / "00000", folder / "warm", model, only=only)
    started = time.perf_counter()
    report = build_index(data / "records100" / "00000", folder / "ix", model, only=only)
    build_s = time.perf_counter() - started
    windows = np.concatenate([prepare(s, model.config.preprocess).windows for s in sources])
    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(windows), 64):
            model.module.encode_ecg(torch.from_numpy(windows[start : start + 64]))
    encode_s = time.perf_counter() - started
    return {
        "records": report.indexed,
        "index_records_per_s": round(report.indexed / build_s, 1),
        "encoder_only_records_per_s": round(len(windows) / encode_s, 1),
        "ratio": round((report.indexed / build_s) / (len(windows) / encode_s), 3),
        "threads": torch.get_num_threads(),
    }


def _m(times: list[float]) -> float:
    return round(statistics.median(times), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="PTB-XL folder")
    parser.add_argument("--records", type=int, default=128)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--out", default="results/bench_index.json")
    # one torch thread by default, as bench_rank.py and bench_preprocess.py: on the shared 2-core
    # machine torch's 2 threads spin against the other load
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="mets-bench-index-") as folder:
        search = [search_cost(n, Path(folder)) for n in args.rows]
        indexing = indexing_rate(Path(args.data), args.records, Path(folder))
    for row in search:
        print(
            f"search {row['rows']:>9,} rows ({row['disk_mb']} MB): {row['median_s'] * 1e3:.1f} ms"
        )
    print(f"indexing: {json.dumps(indexing)}")
    payload = {
        "command": f"python benchmarks/bench_index.py --data {args.data} --threads {args.threads}",
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads",
        "load_average_1_5_15_min": [round(x, 2) for x in os.getloadavg()],
        "search": search,
        "indexing": indexing,
    }
    Path(args.out).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
