"""The issue-13 recipe ablation table, made by one command (see mets_core/evaluate/ablation.py).

    .venv/bin/python benchmarks/ablation.py --out results/ablation.json

With no --run, every run and ensemble of benchmarks/train_recipes.sh is listed; runs whose
weights or fold-9 selection do not exist yet are skipped with a note, so the command can be
rerun as runs finish: each weights file is evaluated once (cached in results/ablation_cache/ by
its SHA-256). Writes OUT (JSON) and OUT with .md (markdown table).
Fold 9 decides; fold 10, cinc-external and the lead subsets are reported only.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

from mets_core.errors import METSError
from mets_core.evaluate.ablation import build_table, parse_run, render_markdown

DEFAULT_RUNS = (
    "base_s0=runs/base_s0",
    "base_s1=runs/base_s1",
    "base_s2=runs/base_s2",
    "robust_s0=runs/robust_s0",
    "robust_s1=runs/robust_s1",
    "robust_s2=runs/robust_s2",
    "abl_augment_s0=runs/abl_augment_s0",
    "abl_phrasings_s0=runs/abl_phrasings_s0",
    "abl_nonecg_s0=runs/abl_nonecg_s0",
    "abl_long_s0=runs/abl_long_s0",  # the base recipe trained 50 epochs (decay over the last 20)
    "ema_s0=runs/ema_s0",  # the base recipe saving an EMA of its weights (--ema-decay 0.99)
    "ema_s1=runs/ema_s1",
    "ema_s2=runs/ema_s2",
    "ema_robust_s0=runs/ema_robust_s0",  # the robust recipe with --ema-decay 0.99
    "ema_robust_s1=runs/ema_robust_s1",
    "ema_robust_s2=runs/ema_robust_s2",
    # ensembles: three draws of members per recipe where 3 seeds allow (train_recipes.sh)
    "ens_base2_s0=runs/ens_base2",
    "ens_base2_s1=runs/ens_base2_s1",
    "ens_base2_s2=runs/ens_base2_s2",
    "ens_base3=runs/ens_base3",
    "ens_mixed3_s0=runs/ens_mixed3",
    "ens_mixed3_s1=runs/ens_mixed3_s1",
    "ens_mixed3_s2=runs/ens_mixed3_s2",
    "ens_mixed4_s0=runs/ens_mixed4",  # shipped until 2026-11-30 12:00 UTC
    "ens_mixed4_s1=runs/ens_mixed4_s1",
    "ens_mixed4_s2=runs/ens_mixed4_s2",
    "ens_ema2_s0=runs/ens_ema2_s0",  # EMA runs joined (train_recipes.sh)
    "ens_ema2_s1=runs/ens_ema2_s1",
    "ens_ema2_s2=runs/ens_ema2_s2",
    "ens_ema3=runs/ens_ema3",
    "ens_emamixed3_s0=runs/ens_emamixed3_s0",  # 1 ema + 2 ema_robust runs
    "ens_emamixed3_s1=runs/ens_emamixed3_s1",
    "ens_emamixed3_s2=runs/ens_emamixed3_s2",
    "ens_emamixed4_s0=runs/ens_emamixed4_s0",  # 2 + 2: four towers, over the serving budget
    "ens_emamixed4_s1=runs/ens_emamixed4_s1",
    "ens_emamixed4_s2=runs/ens_emamixed4_s2",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--run", action="append", help="NAME=DIR, repeat; NAME_sN groups seeds")
    p.add_argument("--data", default="../shared/data", help="folder with ptb-xl/, cinc-external/")
    p.add_argument("--no-external", action="store_true", help="leave out cinc-external")
    p.add_argument(
        "--mitbih",
        action="store_true",
        help="add MIT-BIH beat macro F1, METS protocol (500 more rank calls per weights file)",
    )
    p.add_argument("--out", default="results/ablation.json")
    p.add_argument("--cache-dir", default="results/ablation_cache")
    p.add_argument(
        "--select-json",
        action="append",
        default=["results/serving.json"],
        help="mets select serving.json to reuse when its weights SHA and template match "
        "(each run's DIR/select/serving.json is always tried)",
    )
    p.add_argument(
        "--include-unselected",
        action="store_true",
        help="also evaluate weights without a fold-9 selection (provisional: training template)",
    )
    p.add_argument("--device", default="cpu")
    return p.parse_args(argv)


def _log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    data = Path(args.data)
    external = None if args.no_external else data / "cinc-external"
    started = time.perf_counter()
    try:
        specs = [parse_run(text) for text in (args.run or DEFAULT_RUNS)]
        table = build_table(
            specs,
            data / "ptb-xl",
            external,
            Path(args.cache_dir),
            args.device,
            _log,
            [Path(path) for path in args.select_json],
            require_selection=not args.include_unselected,
            mitbih=data / "mit-bih" if args.mitbih else None,
        )
    except METSError as error:
        print(f"ablation: {error}", file=sys.stderr)
        return 2
    command = "python benchmarks/ablation.py " + " ".join(argv)
    table |= {
        "command": command.strip(),
        "machine": f"{platform.node()} {platform.machine()}",
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "wall_time_s": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(table, indent=1) + "\n")
    markdown = render_markdown(table, command.strip())
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
