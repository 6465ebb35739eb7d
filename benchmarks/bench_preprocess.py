"""Speed of the path from file to embedding (issue 14 part 5), as ratios measured in one run.

1. Preprocessing a 10-s 12-lead record at 100, 500 and 1000 Hz (`preprocess_for_model`: resample
   to the model's 100 Hz, clean, window), before (the per-lead `nk.ecg_clean` loop the package ran
   until the cleaner was vectorised, kept here as `clean_per_lead_neurokit`) and after.
2. Warm `rank` of one record against 20 cached candidates vs the encoder forward alone on the
   same windows (goal: within 2x).
3. `mets index` throughput (`build_index`: read from disk, preprocess, encode in batches of 64)
   vs the encoder alone at batch 64 on the same windows (goal: >= 50 %).
4. Model load (goal < 2.5 s): `load_model` in a fresh process after its imports, and with them.
5. The vectorised cleaner on 64 PTB-XL 100 Hz records: record by record vs one (64, 12, T) call
   (what batching across records would save in the index path).

On a shared machine absolute times drift by several x within a minute, so the contenders of each
row are measured interleaved (one call of each per round, order alternating) and the JSON keeps
the ratios with the medians, the load average at start and end, the CPU and torch versions.
Torch runs on one thread by default: on the 2-core machine shared with a training run (load
average 3-4), torch's default 2 threads spin against it and a one-window forward took ~490 ms
instead of ~10 ms, which makes any ratio to it meaningless (`--threads 2` to see it).

Usage: python benchmarks/bench_preprocess.py [--data ../shared/data/ptb-xl] [--rounds 15]
           [--records 128] [--threads N] [--out results/bench_preprocess.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import numpy as np
import torch

import mets_core
from mets_core.index.build import build_index
from mets_core.index.pipeline import prepare
from mets_core.index.sources import find_records
from mets_core.record import ECGRecord
from mets_core.signal import preprocess as preprocess_module
from mets_core.signal.calibration import with_calibration_pulses
from mets_core.signal.clean import clean_ecg, resample_ecg
from mets_core.signal.preprocess import preprocess_for_model

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [f"candidate diagnosis number {i}" for i in range(20)]
LOAD_SNIPPET = (
    "import time; t0=time.perf_counter(); import mets_core; t1=time.perf_counter(); "
    "mets_core.load_model(None, 'cpu'); t2=time.perf_counter(); print(t1-t0, t2-t1)"
)
# The frozen LM alone, by backend (the baseline in the same run: transformers, as before the
# torch.nn BERT); imports of mets_core come first and are not counted.
LM_SNIPPET = (
    "import time, mets_core; from mets_core.config import TextEncoderConfig; "
    "from mets_core.model.text_encoder import FrozenTextEncoder; t0=time.perf_counter(); "
    "FrozenTextEncoder(TextEncoderConfig(), backend={backend!r}); print(time.perf_counter()-t0)"
)


def clean_per_lead_neurokit(signal, *, fs_hz, powerline_hz=50.0, method="neurokit"):
    """The cleaner before vectorising (reference only): `nk.ecg_clean` looped over the leads."""
    import neurokit2 as nk

    leads = np.atleast_2d(np.asarray(signal, dtype=np.float32))
    rate = int(round(fs_hz))
    cleaned = [
        nk.ecg_clean(lead, sampling_rate=rate, method=method, powerline=powerline_hz)
        for lead in leads
    ]
    return np.stack(cleaned).astype(np.float32).reshape(np.shape(signal))


def interleaved(contenders: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds of each contender, one call of each per round, order reversed every round."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_index in range(rounds):
        for name in names if round_index % 2 == 0 else names[::-1]:
            started = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def test_records(data: Path) -> dict[int, ECGRecord]:
    """10-s 12-lead PTB-XL record 1 at 100 and 500 Hz (files), and at 1000 Hz (upsampled 500),
    each as `load_record` returns it (carrying its calibration-pulse search)."""
    low = mets_core.load_record(data / "records100" / "00000" / "00001_lr.hea")
    high = mets_core.load_record(data / "records500" / "00000" / "00001_hr.hea")
    upsampled = resample_ecg(high.signal, fs_in_hz=500.0, fs_out_hz=1000.0)
    made = with_calibration_pulses(ECGRecord(upsampled, 1000.0, high.lead_names))
    return {100: low, 500: high, 1000: made}


def preprocessing_and_rank(model, records: dict[int, ECGRecord], rounds: int) -> dict:
    """Per rate: preprocess before/after, rank and the encoder forward, interleaved."""
    config = model.config.preprocess
    mets_core.rank(model, records[100], CANDIDATES)  # text cache and allocator warm
    out = {}
    for fs_hz, record in records.items():
        batch = torch.from_numpy(preprocess_for_model(record, config).windows)

        def before(record=record):
            with mock.patch.object(preprocess_module, "clean_ecg", clean_per_lead_neurokit):
                return preprocess_for_model(record, config)

        def forward(batch=batch):
            with torch.inference_mode():
                return model.module.encode_ecg(batch)

        median_s = interleaved(
            {
                "preprocess_before_s": before,
                "preprocess_after_s": lambda record=record: preprocess_for_model(record, config),
                "encoder_forward_s": forward,
                "rank_20_cached_s": lambda record=record: mets_core.rank(model, record, CANDIDATES),
            },
            rounds,
        )
        fwd = median_s["encoder_forward_s"]
        out[f"{fs_hz}_hz"] = {
            "median_ms": {k.removesuffix("_s"): round(v * 1e3, 2) for k, v in median_s.items()},
            "preprocess_speedup": round(
                median_s["preprocess_before_s"] / median_s["preprocess_after_s"], 2
            ),
            "preprocess_after_per_forward": round(median_s["preprocess_after_s"] / fwd, 2),
            "rank_per_forward": round(median_s["rank_20_cached_s"] / fwd, 2),
        }
    return out


def indexing(model, data: Path, n_records: int, folder: Path, rounds: int = 2) -> dict:
    """Records/s of build_index (batch 64) vs the encoder alone at batch 64, interleaved."""
    sources = find_records(data / "records100" / "00000")[:n_records]
    only = {s.source_path for s in sources}
    windows = np.concatenate([prepare(s, model.config.preprocess).windows for s in sources])
    runs = iter(range(rounds))

    def index_run():
        build_index(data / "records100" / "00000", folder / f"ix{next(runs)}", model, only=only)

    def encoder_only():
        with torch.inference_mode():
            for start in range(0, len(windows), 64):
                model.module.encode_ecg(torch.from_numpy(windows[start : start + 64]))

    def read_and_preprocess():
        for source in sources:
            prepare(source, model.config.preprocess)

    median_s = interleaved(
        {"index": index_run, "encoder_only": encoder_only, "read_preprocess": read_and_preprocess},
        rounds,
    )
    index_rate = len(sources) / median_s["index"]
    encoder_rate = len(windows) / median_s["encoder_only"]
    return {
        "records": len(sources),
        "windows": int(len(windows)),
        "index_records_per_s": round(index_rate, 1),
        "encoder_only_windows_per_s": round(encoder_rate, 1),
        "read_preprocess_records_per_s": round(len(sources) / median_s["read_preprocess"], 1),
        "index_over_encoder_only": round(index_rate / encoder_rate, 3),
    }


def cleaning_batch(model, data: Path, n_records: int, rounds: int) -> dict:
    """ms per record of the vectorised cleaner: record by record vs one (64, L, T) call."""
    sources = find_records(data / "records100" / "00000")[:n_records]
    signals = np.stack([mets_core.load_record(s.path).signal for s in sources])  # (N, L, T)
    fs_hz = model.config.preprocess.fs_hz
    median_s = interleaved(
        {
            "per_record": lambda: [clean_ecg(signal, fs_hz=fs_hz) for signal in signals],
            "one_batch": lambda: clean_ecg(signals, fs_hz=fs_hz),
        },
        rounds,
    )
    return {
        "records": len(signals),
        "ms_per_record": {k: round(v / len(signals) * 1e3, 3) for k, v in median_s.items()},
    }


def _fresh_process(code: str) -> list[float]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [float(x) for x in done.stdout.split()]


def model_load(repeats: int = 3) -> dict:
    """Seconds of `import mets_core`, of `load_model` after it, and of the frozen LM alone by
    backend, in fresh processes (interleaved, so a busy spell hits all alike)."""
    runs = []
    for _ in range(repeats):
        imports_s, load_s = _fresh_process(LOAD_SNIPPET)[-2:]
        torch_lm_s = _fresh_process(LM_SNIPPET.format(backend="torch"))[-1]
        transformers_lm_s = _fresh_process(LM_SNIPPET.format(backend="transformers"))[-1]
        runs.append(
            {
                "import_mets_core_s": round(imports_s, 2),
                "load_model_s": round(load_s, 2),
                "text_lm_torch_s": round(torch_lm_s, 2),
                "text_lm_transformers_s": round(transformers_lm_s, 2),
            }
        )
    return {
        "runs": runs,
        "load_model_warm_import_s": statistics.median(r["load_model_s"] for r in runs),
        "import_and_load_s": round(
            statistics.median(r["import_mets_core_s"] + r["load_model_s"] for r in runs), 2
        ),
        "text_lm_transformers_over_torch": round(
            statistics.median(r["text_lm_transformers_s"] / r["text_lm_torch_s"] for r in runs), 1
        ),
    }


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "ptb-xl"))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--records", type=int, default=128)
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_preprocess.json"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_start = [round(x, 2) for x in os.getloadavg()]
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    model = mets_core.load_model(None, "cpu")
    data = Path(args.data)
    rates = preprocessing_and_rank(model, test_records(data), args.rounds)
    with tempfile.TemporaryDirectory(prefix="mets-bench-preprocess-") as folder:
        index = indexing(model, data, args.records, Path(folder))
    batch = cleaning_batch(model, data, 64, args.rounds)
    load = model_load()
    report = {
        "command": "python benchmarks/bench_preprocess.py " + " ".join(sys.argv[1:]),
        "date_utc": started,
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "load_average_1_5_15_min_start": load_start,
            "load_average_1_5_15_min_end": [round(x, 2) for x in os.getloadavg()],
        },
        "record": "PTB-XL ecg_id 1, 12 leads, 10 s (1000 Hz: the 500 Hz file upsampled)",
        "rounds": args.rounds,
        "per_rate": rates,
        "index_batch_64": index,
        "clean_at_100_hz_batch_64": batch,
        "model_load": load,
        "goals": {
            "rank_per_forward_max": 2.0,
            "index_over_encoder_only_min": 0.5,
            "load_model_s_max": 2.5,
        },
    }
    print(json.dumps(report, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
