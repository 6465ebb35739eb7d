"""`mets index ROOT --out PATH [--engine local|ray]`: argparse -> build_index(_ray)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mets_core.errors import METSError
from mets_core.index.sources import RECORD_SUFFIXES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mets index",
        description="Embed every ECG file under ROOT into a searchable Parquet index (resumable).",
    )
    parser.add_argument("root", help="archive folder (or one file); searched recursively")
    parser.add_argument("--out", required=True, help="index folder: created, or extended")
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    parser.add_argument("--ray-address", default=None, help='Ray cluster, e.g. "auto"')
    parser.add_argument("--ray-actors", type=int, default=1, help="encoder actors (model copies)")
    parser.add_argument("--ray-gpus-per-actor", type=float, default=0.0, help="0 = CPU actors")
    parser.add_argument("--batch-records", type=int, default=64, help="records encoded together")
    parser.add_argument(
        "--suffix",
        action="append",
        help=f"file suffix that counts as a record (repeat; default {' '.join(RECORD_SUFFIXES)})",
    )
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped weights)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--random-init", action="store_true", help="use an untrained model")
    parser.add_argument("--json", action="store_true", help="print the run report as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        report = _run(args)
    except METSError as error:
        print(f"mets index: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(
        f"{report.out}: indexed {report.indexed} records with the {report.engine} engine in "
        f"{report.seconds:.1f} s ({report.already_indexed} already indexed, "
        f"{len(report.skipped)} skipped)"
    )
    for path, reason in report.skipped:
        print(f"skipped {path}: {reason}")
    return 0


def _run(args: argparse.Namespace):
    from mets_core.model.load import load_model

    model = load_model(args.weights, args.device, random_init=args.random_init)
    suffixes = tuple(s.lower() if s.startswith(".") else f".{s.lower()}" for s in args.suffix or ())
    options = {"suffixes": suffixes or RECORD_SUFFIXES, "batch_records": args.batch_records}
    if args.engine == "ray":
        from mets_core.index.ray_engine import build_index_ray

        return build_index_ray(
            Path(args.root),
            Path(args.out),
            model,
            address=args.ray_address,
            actors=args.ray_actors,
            gpus_per_actor=args.ray_gpus_per_actor,
            **options,
        )
    from tqdm import tqdm

    from mets_core.index.build import build_index

    with tqdm(unit="record", file=sys.stderr, desc="mets index") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        return build_index(Path(args.root), Path(args.out), model, progress=progress, **options)
