"""`mets search INDEX "text" | --like FILE [--top 20] [--json]`: argparse -> `open_index`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mets_core.errors import METSError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mets search",
        description="The indexed ECGs nearest to a text (the text tower) or to an ECG file.",
    )
    parser.add_argument("index", help="index folder made by `mets index`")
    parser.add_argument("text", nargs="?", default=None, help='e.g. "left bundle branch block"')
    parser.add_argument("--like", default=None, help="an ECG file: find the nearest ECGs")
    parser.add_argument("--top", type=int, default=20, help="how many hits (default 20)")
    parser.add_argument("--label", default=None, help="only rows with this label or class code")
    parser.add_argument("--dataset", default=None, help='only rows of this dataset ("PTB-XL")')
    parser.add_argument("--source", default=None, help="only rows whose path contains this")
    parser.add_argument("--weights", default=None, help="weights stem (default: shipped weights)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    parser.add_argument("--random-init", action="store_true", help="use an untrained model")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if (args.text is None) == (args.like is None):
        parser.error("give either a text query or --like FILE (not both)")
    try:
        payload = _search(args)
    except METSError as error:
        print(f"mets search: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(f"{payload['query']} ({payload['rows']} indexed ECGs, weights {payload['weights']})")
    for hit in payload["hits"]:
        labels = "; ".join(hit["labels"]) or "-"
        print(f"{hit['rank']:>3}. {hit['cosine']:+.3f}  {hit['record_id']}  [{labels}]")
    return 0


def _search(args: argparse.Namespace) -> dict:
    from mets_core.index.search import Filters, open_index
    from mets_core.model.load import load_model

    model = load_model(args.weights, args.device, random_init=args.random_init)
    index = open_index(Path(args.index), model)
    filters = Filters(label=args.label, dataset=args.dataset, source=args.source)
    if args.like is not None:
        hits = index.search_like(model, Path(args.like), args.top, filters)
        query = f"ECGs like {args.like}"
    else:
        hits = index.search_text(model, args.text, args.top, filters)
        query = f"text {args.text!r} as {model.config.zero_shot_template!r}"
    return {
        "index": str(args.index),
        "query": query,
        "rows": len(index),
        "weights": model.weights.name,
        "filters": {k: v for k, v in vars(filters).items() if v},
        "hits": [hit.to_dict() for hit in hits],
    }
