"""The `mets` command: argparse -> calls into mets_core. No logic of its own.

mets rank RECORD --candidate "atrial fibrillation" --candidate "sinus rhythm" [--json]
mets reading RECORD --candidates "a" "b" --out reading.pdf [--png reading.png]
mets info [--json]
mets train ...            (see `mets train --help`)
mets evaluate ...         (see `mets evaluate --help`)
mets select / mets bank   (fold-9 serving choices; reference bank and abstain thresholds)
mets download-ptbxl DEST  (needs internet; verifies SHA-256 of every file)
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata

from mets_core.errors import METSError
from mets_core.model.device import describe_device

_PACKAGES = ("torch", "transformers", "neurokit2", "wfdb", "numpy", "streamlit", "mets-core")


def _model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped weights)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--random-init", action="store_true", help="use an untrained model")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _load(args):
    from mets_core.model.load import load_model

    return load_model(args.weights, args.device, random_init=args.random_init)


def cmd_rank(args: argparse.Namespace) -> int:
    from mets_core.io.load import load_record
    from mets_core.zeroshot.rank import probability_meaning, rank

    record = load_record(args.record, fs_hz=args.fs_hz)
    candidates = list(args.candidate or [])
    if args.candidates_file:
        with open(args.candidates_file, encoding="utf-8") as handle:
            candidates += handle.read().splitlines()
    ranking = rank(_load(args), record, candidates, template=args.template)
    if args.json:
        payload = {"record": record.source, "file_states": record.file_info, **ranking.to_dict()}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    status = "trained" if ranking.weights.trained else "RANDOM-INIT (untrained)"
    print(
        f"{record.source}: {record.n_leads} leads, {record.fs_hz:g} Hz, "
        f"{record.duration_s:.1f} s | weights {ranking.weights.name} [{status}] | {ranking.device}"
    )
    if ranking.abstain:
        print(f"NOT READ AS AN ECG: {ranking.abstain_reason} (ranking shown for inspection only)")
    for position, item in enumerate(ranking, 1):
        above = "" if item.percentile is None else f"  above {item.percentile:5.1f}% of ref."
        scores = f"{item.cosine:+.3f}  {item.probability:6.1%}{above}"
        print(f"{position:>3}. {scores}  {item.candidate}")
    print(f"({probability_meaning(ranking)})")
    for neighbour in ranking.neighbours or ():
        labels = "; ".join(f"{t}: {', '.join(c)}" for t, c in neighbour.labels.items() if c)
        print(f"similar reference ECG {neighbour.ecg_id} ({neighbour.cosine:.3f}): {labels}")
    for note in ranking.notes + (
        (ranking.uniformity_warning,) if ranking.uniformity_warning else ()
    ):
        print(f"note: {note}")
    for caution in ranking.cautions:
        print(f"caution: {caution}")
    for key, value in record.file_info.items():  # the device's own values, never patient data
        print(f"the file states: {key}: {value}")
    return 0


def cmd_reading(args: argparse.Namespace) -> int:
    """`mets reading`: rank like `mets rank`, then write the one-page printable reading."""
    from pathlib import Path

    from mets_core.io.load import load_record
    from mets_core.reading import PrintSettings, render_reading
    from mets_core.zeroshot.rank import rank

    targets = [Path(p) for p in (args.out, args.png) if p]
    missing = [str(t.parent) for t in targets if not t.parent.is_dir()]
    if missing:  # before the minute of model loading and ranking
        print(
            f"mets: no such folder to write the reading into: {', '.join(missing)}", file=sys.stderr
        )
        return 2
    settings = PrintSettings(args.speed, args.gain, args.filter, args.mains, args.paper).validate()
    record = load_record(args.record, fs_hz=args.fs_hz)
    ranking = rank(_load(args), record, list(args.candidates), template=args.template)
    label = args.label or f"ECG file, {record.file_info.get('format', 'format not stated')}"
    files = render_reading(
        record, ranking, label=label, settings=settings, include_patient=args.include_patient
    )
    Path(args.out).write_bytes(files.pdf)
    written = [args.out]
    if args.png:
        Path(args.png).write_bytes(files.png)
        written.append(args.png)
    print(json.dumps({"written": written}) if args.json else f"wrote {', '.join(written)}")
    return 0


def _add_reading_parser(sub: argparse._SubParsersAction) -> None:
    reading = sub.add_parser("reading", help="one-page printable reading (PDF, optional PNG)")
    reading.add_argument("record", help="ECG file (.hea, .zip, .csv, .npy, .mat, .edf, ...)")
    reading.add_argument("--candidates", nargs="+", required=True, help="candidate diagnoses")
    reading.add_argument("--out", required=True, help="PDF file to write")
    reading.add_argument("--png", default=None, help="also write the page as a PNG here")
    reading.add_argument("--label", default=None, help="source label printed (default: format)")
    reading.add_argument("--include-patient", action="store_true", help="print patient fields")
    reading.add_argument("--speed", type=float, default=25.0, help="mm/s: 25 or 50")
    reading.add_argument("--gain", type=float, default=10.0, help="mm/mV: 5, 10 or 20")
    reading.add_argument("--filter", default="diagnostic", help="diagnostic | monitor | raw")
    reading.add_argument("--mains", type=float, default=50.0, help="mains notch, Hz: 50 or 60")
    reading.add_argument("--paper", default="A4", help="A4 | letter (landscape)")
    reading.add_argument("--template", default=None, help="prompt with one {} slot")
    reading.add_argument("--fs-hz", type=float, default=None, help="rate for CSV/NPY files")
    _model_args(reading)
    reading.set_defaults(func=cmd_reading)


def cmd_info(args: argparse.Namespace) -> int:
    model = _load(args)
    info = {
        "weights": {
            "name": model.weights.name,
            "sha256": model.weights.sha256,
            "path": model.weights.path,
            "status": "trained" if model.weights.trained else "random-init",
        },
        "provenance": {k: v for k, v in model.weights.provenance.items() if k != "history"},
        "text_model": {
            "model_id": model.config.text.model_id,
            "revision": model.config.text.revision,
            "pooling": model.config.text.pooling,
        },
        "preprocess": vars(model.config.preprocess)
        | {"window_samples": model.config.preprocess.window_samples},
        "zero_shot_template": model.config.zero_shot_template,
        "temperature": model.temperature,
        "probability_temperature": model.probability_temperature,
        "selection": {k: v for k, v in model.weights.selection.items() if k != "fold9_macro_auroc"},
        "device": describe_device(model.device),
        "versions": {name: _version(name) for name in _PACKAGES},
    }
    print(json.dumps(info, indent=2, default=str) if args.json else _format_info(info))
    return 0


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _format_info(info: dict) -> str:
    return "\n".join(f"{key}: {json.dumps(value, default=str)}" for key, value in info.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mets", description="METS zero-shot ECG reading.")
    sub = parser.add_subparsers(dest="command", required=True)
    rank_parser = sub.add_parser("rank", help="rank candidate diagnoses for one ECG file")
    rank_parser.add_argument("record", help="ECG file (.hea, .zip, .csv, .npy, .mat, .edf, ...)")
    rank_parser.add_argument("--candidate", "-c", action="append", help="repeat for each")
    rank_parser.add_argument("--candidates-file", help="text file, one candidate per line")
    rank_parser.add_argument("--template", default=None, help="prompt with one {} slot")
    rank_parser.add_argument("--fs-hz", type=float, default=None, help="rate for CSV/NPY files")
    _model_args(rank_parser)
    rank_parser.set_defaults(func=cmd_rank)
    _add_reading_parser(sub)
    info_parser = sub.add_parser("info", help="weights, provenance, text model, device")
    _model_args(info_parser)
    info_parser.set_defaults(func=cmd_info)
    for name, target, what in (
        ("train", "mets_core.train.loop", "pretrain on PTB-XL folds 1-8"),
        ("evaluate", "mets_core.evaluate.run", "both protocols, baselines, every prompt set"),
        ("select", "mets_core.evaluate.serving", "fold-9 serving choices; fold-10 as served"),
        ("bank", "mets_core.evaluate.reference", "reference bank (folds 1-8), abstain (fold 9)"),
        ("ensemble", "mets_core.model.ensemble", "join trained runs into one model"),
        ("index", "mets_core.index.index_command", "embed an ECG archive into a search index"),
        ("search", "mets_core.index.search_command", "search an index by text or --like FILE"),
    ):
        help_text = f"{what} (see `mets {name} --help`)"
        passthrough = sub.add_parser(name, help=help_text, add_help=False)
        passthrough.set_defaults(func=None, target=target)
    download = sub.add_parser("download-ptbxl", help="fetch PTB-XL from PhysioNet (internet)")
    download.add_argument("dest", help="folder to download into; files are SHA-256 verified")
    download.set_defaults(func=cmd_download)
    return parser


def cmd_download(args: argparse.Namespace) -> int:
    from mets_core.data.download import main_download

    return main_download(args.dest)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.func is None:
        import importlib

        return importlib.import_module(args.target).main(rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    try:
        return args.func(args)
    except METSError as error:
        print(f"mets: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
