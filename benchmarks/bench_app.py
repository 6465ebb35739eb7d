"""App speed (issue 6): time of the Zero-shot page's first ranking once the model is loaded,
and whether switching pages reloads the model. Uses Streamlit's AppTest (no browser), real
shipped weights and a bundled example record. Prints a table and writes JSON.

Usage: python benchmarks/bench_app.py [--out results/bench_app.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from mets_core.app import keys, session
from mets_core.io.examples import list_examples, load_example

ROOT = Path(__file__).resolve().parents[1]


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "results" / "bench_app.json"))
    args = parser.parse_args()
    example = list_examples()[0]
    at = AppTest.from_file(str(ROOT / "pages" / "2_Zero_Shot.py"), default_timeout=120)
    at.session_state[session.KEY_RECORD] = load_example(example.key)
    first_open_s = timed_run(at)  # includes loading the model once for the process
    at.text_area(key=keys.W_CANDIDATES).input("atrial fibrillation\nsinus rhythm\nnormal ECG")
    start = time.perf_counter()
    at.button(key=keys.W_RANK).click().run()
    first_rank_s = time.perf_counter() - start
    at.button(key=keys.W_RANK).click().run()
    start = time.perf_counter()
    at.button(key=keys.W_RANK).click().run()
    cached_rank_s = time.perf_counter() - start
    other = AppTest.from_file(str(ROOT / "pages" / "5_Model_Card.py"), default_timeout=120)
    switch_s = timed_run(other)  # a new page in the same process: the cached model is reused
    result = {
        "example": example.key,
        "page_open_with_model_load_s": first_open_s,
        "first_ranking_after_open_s": first_rank_s,
        "ranking_again_cached_text_s": cached_rank_s,
        "switch_to_model_card_s": switch_s,
        "exceptions": [str(e) for e in (*at.exception, *other.exception)],
    }
    for key, value in result.items():
        print(f"{key:32s} {value:.2f}" if isinstance(value, float) else f"{key:32s} {value}")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
