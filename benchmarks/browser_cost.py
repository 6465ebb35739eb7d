"""Where a browser's CPU goes per ranking (issue 16), element by element.

benchmarks/load_app.py found each Rank costs the server 0.13-0.19 s of CPU but each headless
Chromium session 1.1-1.4 s. This script takes one Chromium session at a time against a
`streamlit run app.py` on a free 127.0.0.1 port and, around one Rank click, reads

- the renderer main thread's busy time from the Chrome DevTools Protocol (`Performance.getMetrics`
  with thread ticks: TaskDuration, ScriptDuration, LayoutDuration, RecalcStyleDuration), and
- the CPU seconds (utime + stime from /proc) of every Chromium process (browser, renderer, GPU,
  utilities) and of the Playwright driver, from Rank pressed to the ranking shown and settled.

It does so for the page as it is and for scratch copies of the Zero-shot page with one element
turned off (or the scores chart made static), each served from a temporary folder that holds
copies of app.py, pages/ and .streamlit/ (mets_core is imported from this checkout). Per session
it measures the first ranking (fresh browser context: the plotly bundle is fetched and parsed,
as for every session in load_app.py) and then repeat rankings of a changed candidate list.
Variants named server_wait_4s* hold each ranking 4 s on the server and also read the CPU per
second the waiting page spends (1-3 s after the click); *_moving_icon variants serve app.py
without its still "Running..." label, i.e. with Streamlit's icon that changes every 200 ms.

The JSON holds, per variant, the medians of every measure, each run, an idle rate, and for one
extra ranking of the first session (not in the medians: tracing costs CPU) a Chromium trace
summary (CPU ms per thread over all processes; the renderer main thread's self time by event)
and a V8 sampling profile (JavaScript self ms by script bundle: PlotlyChart, DataFrame, react-dom,
...); and the Chromium CPU s per ranking each variant saves against the `full` of the same
revision. Each variant records the revision it measured; with --append, a variant measured again
moves its earlier medians to "superseded" (keyed "<variant>@<revision>") instead of losing them.

Usage:
    python benchmarks/browser_cost.py [--weights weights/mets_resnet18] [--sessions 2]
        [--repeats 2] [--variants full no_scores_chart ...] [--out results/browser_cost.json]
Nothing leaves 127.0.0.1; servers and the browser stop when it ends, also on error.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = "pages/2_Zero_Shot.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLE = "Left bundle branch block (PTB-XL 180, 500 Hz)"
LISTS = (  # the first ranking, then the repeats alternate between these two lists
    ("left bundle branch block", "normal ECG", "atrial fibrillation", "sinus tachycardia"),
    ("atrial fibrillation", "sinus rhythm", "atrial flutter", "left ventricular hypertrophy"),
)
EARLIER = "The ranking below is for the list ranked before"
PTBXL = ROOT.parent / "shared" / "data" / "ptb-xl"
START_TIMEOUT_S = 120
UI_TIMEOUT_MS = 90_000
SETTLE_MS = 1500  # after the ranking is shown and the run has ended: late plotly/grid work
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
_OFF = "\n_off = lambda *args, **kwargs: None  # noqa: E731 (browser_cost scratch copy)\n"
_RANKED = "    session.set_ranking(ranking, template=template, centred=center)\n"
_SLEEP = "    __import__('time').sleep(4)  # browser_cost: a slow server\n"
# variant -> (what it removes, [(text in the page, replacement)]): every text must be found once.
VARIANTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "full": ("the page as committed", []),
    "no_scores_chart": (
        "the plotly scores chart (plot_scores) not drawn",
        [("st.plotly_chart(\n        plot_scores(", "_off(\n        plot_scores(")],
    ),
    "static_scores_chart": (
        "the scores chart drawn with plotly config staticPlot (no hover, no modebar)",
        [('key="scores_plot",', 'key="scores_plot", config={"staticPlot": True},')],
    ),
    "no_ranking_grid": (
        "the ranking st.dataframe not drawn",
        [("st.dataframe(exports.ranking_table(", "_off(exports.ranking_table(")],
    ),
    "no_neighbours_grid": (
        "the neighbours st.dataframe (and its picker) not drawn",
        [
            ("st.dataframe(exports.neighbours_table(", "_off(exports.neighbours_table("),
            ("    roots = settings.dataset_roots(settings.PTBXL)", "    roots = ()"),
        ],
    ),
    "no_archive_cards": (
        "the archive-neighbour cards (5 SVG ECG thumbnails in st.image, hit_cards) not drawn",
        [("hit_cards.show_archive_neighbours(model, record)", "_off(model, record)")],
    ),
    "no_prompts_table": (
        "the st.table in the prompts expander not drawn",
        [("st.table({", "_off({")],
    ),
    "no_downloads": (
        "the CSV/JSON and reading download buttons not drawn",
        [
            ("col_csv.download_button(", "_off("),
            ("col_json.download_button(", "_off("),
            ("show_reading_downloads(record", "_off(record"),
        ],
    ),
    "only_top_line": (
        "nothing below the Rank button but the 'Top-ranked:' line (and the note that the "
        "ranking is for an earlier list): the rerun floor",
        [
            (
                "if ranking.abstain:  # the first thing above the ranking",
                "st.markdown(f'Top-ranked: **{items[0].candidate}**')\nst.stop()\n"
                "if ranking.abstain:  # the first thing above the ranking",
            )
        ],
    ),
    "server_wait_4s": (
        "the page as committed, the server holding each ranking 4 s longer (the browser waits)",
        [(_RANKED, _RANKED + _SLEEP)],
    ),
    "server_wait_4s_no_top_bar": (
        "as server_wait_4s, served with --ui.hideTopBar true (no running indicator)",
        [(_RANKED, _RANKED + _SLEEP)],
    ),
    "server_wait_4s_moving_icon": (
        "as server_wait_4s, with Streamlit's moving running icon (app.py before this benchmark)",
        [(_RANKED, _RANKED + _SLEEP)],
    ),
    "full_moving_icon": ("the page as committed, with Streamlit's moving running icon", []),
}
APP_EDITS = {  # variant -> replacements in app.py (each found once)
    name: [("st.html(RUNNING_LABEL_CSS)", "pass")] for name in VARIANTS if "moving_icon" in name
}
FLAGS = {"server_wait_4s_no_top_bar": ["--ui.hideTopBar", "true"]}  # variant -> extra flags


def _scratch_page(variant: str) -> str:
    """The Zero-shot page's text with the variant's replacements applied."""
    text = (ROOT / PAGE).read_text(encoding="utf-8")
    replacements = VARIANTS[variant][1]
    for old, new in replacements:
        if text.count(old) != 1:
            raise SystemExit(f"variant {variant}: {old!r} found {text.count(old)} times in {PAGE}")
        text = text.replace(old, new)
    if replacements:
        head, sep, body = text.partition("\nui.page_setup(")
        text = head + _OFF + sep + body
    return text


def _edited(variant: str) -> str:
    """app.py's text with the variant's APP_EDITS applied."""
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    for old, new in APP_EDITS.get(variant, []):
        if text.count(old) != 1:
            raise SystemExit(f"variant {variant}: {old!r} found {text.count(old)} times in app.py")
        text = text.replace(old, new)
    return text


@contextmanager
def scratch_app(variant: str) -> Iterator[Path]:
    """A temporary folder with app.py, pages/ and .streamlit/ copied, the page varied."""
    with tempfile.TemporaryDirectory(prefix=f"browser_cost_{variant}_") as folder:
        app = Path(folder)
        (app / "app.py").write_text(_edited(variant), encoding="utf-8")
        shutil.copytree(ROOT / "pages", app / "pages")
        shutil.copytree(ROOT / ".streamlit", app / ".streamlit")
        (app / PAGE).write_text(_scratch_page(variant), encoding="utf-8")
        yield app


@contextmanager
def serve(app: Path, weights: Path, flags: list[str]) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` in `app` on 127.0.0.1 (load_app's server start); yields (url, pid)."""
    from load_app import _served  # the sibling benchmark's: one way to start the app

    env = {"METS_DEVICE": "cpu"}
    if PTBXL.is_dir():
        env["METS_PTBXL_ROOTS"] = f"PTB-XL={PTBXL}"
    with _served(app, str(weights), env_extra=env, flags=flags, code=ROOT) as (url, server):
        yield url, server.pid


def _proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kind(pid: int) -> str:
    """'renderer', 'gpu-process', 'utility', 'browser' (Chromium) or 'playwright driver'."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "gone"
    # Chromium's child processes rewrite their command line as one space-separated string
    for arg in b" ".join(argv).split():
        if arg.startswith(b"--type="):
            return arg[7:].decode()
    return "browser" if b"chrom" in argv[0] else "playwright driver"


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cpu_by_kind(skip: int) -> dict[str, float]:
    """CPU seconds so far of this script's child processes (not `skip`: the server), by kind."""
    totals: dict[str, float] = {}
    for pid in _descendants(os.getpid()):
        if pid != skip and pid not in _descendants(skip):
            kind = _kind(pid)
            totals[kind] = totals.get(kind, 0.0) + _proc_cpu_s(pid)
    return totals


def _wait_idle(page) -> None:  # noqa: ANN001 (a Playwright Page)
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=UI_TIMEOUT_MS)


def _go_to(page, label: str, heading: str) -> None:  # noqa: ANN001
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    page.get_by_role("heading", name=heading, exact=True).wait_for()
    _wait_idle(page)


def _prepare(page, url: str, candidates: tuple[str, ...]) -> None:  # noqa: ANN001
    """Home -> load the bundled example -> Zero-shot page with `candidates` typed."""
    page.goto(url)
    page.get_by_text("METS: zero-shot ECG reading").wait_for()
    _wait_idle(page)
    _go_to(page, "Load ECG", "Load an ECG")
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name=EXAMPLE).click()
    _wait_idle(page)
    page.get_by_role("button", name="Load this example").click()
    page.get_by_role("heading", name=f"Example: {EXAMPLE}").wait_for()
    _wait_idle(page)
    _go_to(page, "Zero Shot", "Rank candidate diagnoses")
    _type(page, candidates)


def _type(page, candidates: tuple[str, ...]) -> None:  # noqa: ANN001
    box = page.get_by_label("Candidate diagnoses, one per line")
    box.fill("\n".join(candidates))
    box.press("Control+Enter")
    _wait_idle(page)


def _metrics(cdp) -> dict[str, float]:  # noqa: ANN001 (a CDPSession)
    values = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: float(m["value"]) for m in values}


def _measure_rank(  # noqa: ANN001
    page, cdp, server_pid: int, shown, sample_wait: bool = False
) -> dict[str, float]:
    """Press Rank, wait until `shown()` holds and the run has settled; the costs in between."""
    before, cpu_before, t0 = _metrics(cdp), _cpu_by_kind(server_pid), time.monotonic()
    server_before = _proc_cpu_s(server_pid)
    page.get_by_role("button", name="Rank", exact=True).click()
    waiting = _waiting_rates(page, cdp, server_pid) if sample_wait else {}
    shown()
    shown_s = time.monotonic() - t0
    _wait_idle(page)
    page.wait_for_timeout(SETTLE_MS)
    after, cpu_after = _metrics(cdp), _cpu_by_kind(server_pid)
    row = {f"renderer_main_{m}_s": after[m] - before[m] for m in METRICS}
    row["nodes_after"] = after.get("Nodes", 0.0)
    row["layouts"] = after.get("LayoutCount", 0.0) - before.get("LayoutCount", 0.0)
    row["style_recalcs"] = after.get("RecalcStyleCount", 0.0) - before.get("RecalcStyleCount", 0.0)
    for kind, total in cpu_after.items():
        row[f"cpu_{kind.replace(' ', '_').replace('-', '_')}_s"] = total - cpu_before.get(kind, 0)
    row["cpu_chromium_s"] = sum(
        v for k, v in row.items() if k.startswith("cpu_") and "playwright" not in k
    )
    row["server_cpu_s"] = _proc_cpu_s(server_pid) - server_before
    row["click_to_shown_s"] = shown_s
    return row | waiting


def _waiting_rates(page, cdp, server_pid: int) -> dict[str, float]:  # noqa: ANN001
    """CPU per second while the page waits on the server: from 1 s to 3 s after the click
    (only for variants whose server holds the ranking 4 s)."""
    page.wait_for_timeout(1000)
    before, cpu_before = _metrics(cdp), _cpu_by_kind(server_pid)
    page.wait_for_timeout(2000)
    after, cpu_after = _metrics(cdp), _cpu_by_kind(server_pid)
    chromium = sum(v - cpu_before.get(k, 0) for k, v in cpu_after.items() if "playwright" not in k)
    return {
        "waiting_cpu_chromium_s_per_s": chromium / 2,
        "waiting_renderer_main_TaskDuration_s_per_s": (
            after["TaskDuration"] - before["TaskDuration"]
        )
        / 2,
        "waiting_layouts_per_s": (after["LayoutCount"] - before["LayoutCount"]) / 2,
    }


TRACE_CATEGORIES = [
    "toplevel",
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
]


def _thread_names(events: list[dict]) -> dict[tuple[int, int], str]:
    return {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }


def _self_times_ms(events: list[dict]) -> dict[str, float]:
    """Thread-CPU self time (tdur minus nested events' tdur) by event name, one thread's events."""
    spans = sorted(
        (e for e in events if e.get("ph") == "X" and "tdur" in e),
        key=lambda e: (e["ts"], -e.get("dur", 0)),
    )
    totals: dict[str, float] = {}
    stack: list[tuple[float, str]] = []  # (end ts, name)
    for event in spans:
        while stack and stack[-1][0] <= event["ts"]:
            stack.pop()
        if stack:  # the parent loses this child's time
            totals[stack[-1][1]] = totals.get(stack[-1][1], 0.0) - event["tdur"] / 1000
        totals[event["name"]] = totals.get(event["name"], 0.0) + event["tdur"] / 1000
        stack.append((event["ts"] + event.get("dur", 0), event["name"]))
    return totals


def summarise_trace(trace: dict) -> dict:
    """Per-thread CPU (ms, top-level tasks) over all processes and the renderer main thread's
    self time by event name (ms), from a Chromium trace of one Rank click."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = _thread_names(events)
    per_thread: dict[str, float] = {}
    by_thread: dict[tuple[int, int], list[dict]] = {}
    for event in events:
        by_thread.setdefault((event.get("pid"), event.get("tid")), []).append(event)
    main_self: dict[str, float] = {}
    for key, thread_events in by_thread.items():
        name = names.get(key, "unnamed")
        top = [
            e
            for e in thread_events
            if e.get("ph") == "X" and "toplevel" in e.get("cat", "").split(",")
        ]
        per_thread[name] = per_thread.get(name, 0.0) + sum(e.get("tdur", 0) for e in top) / 1000
        if name == "CrRendererMain":
            for event_name, ms in _self_times_ms(thread_events).items():
                main_self[event_name] = main_self.get(event_name, 0.0) + ms

    def biggest(d: dict[str, float], n: int) -> dict[str, float]:
        return {k: round(v, 1) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n]}

    return {
        "thread_cpu_ms": biggest(per_thread, 12),
        "renderer_main_self_ms": biggest(main_self, 15),
    }


def _traced_rank(browser, page, cdp, server_pid: int, candidates) -> dict:  # noqa: ANN001
    """One extra repeat ranking under a Chromium trace (not in the medians: tracing costs)."""
    _type(page, candidates)
    earlier = page.get_by_text(EARLIER)
    earlier.wait_for()
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    try:
        _measure_rank(page, cdp, server_pid, lambda: earlier.wait_for(state="hidden"))
    finally:
        raw = browser.stop_tracing()
    return summarise_trace(json.loads(raw))


def _bundle(url: str) -> str:
    """'PlotlyChart', 'DataFrame', 'index' ... from a Streamlit static URL; '(program)' etc."""
    if not url:
        return "(native / no script)"
    name = url.rsplit("/", 1)[-1].split("?")[0]
    return name.split(".")[0] or name


def summarise_profile(profile: dict, top: int = 12) -> dict[str, float]:
    """JavaScript self time (ms) by script bundle, from a CDP `Profiler.stop` profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    totals: dict[str, float] = {}
    for node_id, delta_us in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[node_id]["callFrame"]
        special = frame["functionName"] if frame["functionName"].startswith("(") else ""
        key = special or _bundle(frame["url"])
        totals[key] = totals.get(key, 0.0) + delta_us / 1000
    totals.pop("(idle)", None)
    return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])[:top]}


def _profiled_rank(page, cdp, server_pid: int, candidates) -> dict:  # noqa: ANN001
    """One extra repeat ranking under the V8 sampling profiler (not in the medians)."""
    _type(page, candidates)
    earlier = page.get_by_text(EARLIER)
    earlier.wait_for()
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 500})
    cdp.send("Profiler.start")
    try:
        _measure_rank(page, cdp, server_pid, lambda: earlier.wait_for(state="hidden"))
    finally:
        profile = cdp.send("Profiler.stop")["profile"]
        cdp.send("Profiler.disable")
    return summarise_profile(profile)


def _idle_cpu(page, cdp, server_pid: int, window_ms: int = 3000) -> dict[str, float]:  # noqa: ANN001
    """Chromium CPU and renderer main-thread time per second with nothing happening."""
    before, cpu_before = _metrics(cdp), _cpu_by_kind(server_pid)
    page.wait_for_timeout(window_ms)
    after, cpu_after = _metrics(cdp), _cpu_by_kind(server_pid)
    chromium = sum(v - cpu_before.get(k, 0) for k, v in cpu_after.items() if "playwright" not in k)
    return {
        "cpu_chromium_s_per_s": chromium * 1000 / window_ms,
        "renderer_main_TaskDuration_s_per_s": (after["TaskDuration"] - before["TaskDuration"])
        * 1000
        / window_ms,
    }


def _session(  # noqa: PLR0913
    browser,
    url: str,
    server_pid: int,
    repeats: int,
    trace: bool,
    sample_wait: bool,
) -> tuple[list[dict], dict | None]:
    """One fresh browser context: the first ranking, then `repeats` rankings of changed lists."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        _prepare(page, url, LISTS[0])
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        first = _measure_rank(
            page,
            cdp,
            server_pid,
            lambda: page.get_by_text("Top-ranked:").first.wait_for(),
            sample_wait,
        )
        rows = [{"ranking": "first in session", **first}]
        for i in range(repeats):
            _type(page, LISTS[(i + 1) % 2])
            earlier = page.get_by_text(EARLIER)
            earlier.wait_for()
            row = _measure_rank(
                page, cdp, server_pid, lambda e=earlier: e.wait_for(state="hidden"), sample_wait
            )
            rows.append({"ranking": "repeat", **row})
        rows.append({"ranking": "idle", **_idle_cpu(page, cdp, server_pid)})
        if not trace:
            return rows, None
        traced = _traced_rank(browser, page, cdp, server_pid, LISTS[(repeats + 1) % 2])
        traced["js_self_ms_by_bundle"] = _profiled_rank(page, cdp, server_pid, LISTS[repeats % 2])
        return rows, traced
    finally:
        context.close()


def _summary(rows: list[dict]) -> dict:
    out: dict = {}
    for which in ("first in session", "repeat", "idle"):
        chosen = [r for r in rows if r["ranking"] == which]
        keys = sorted({k for r in chosen for k in r if k != "ranking"})
        out[which] = {
            k: round(statistics.median(r.get(k, 0.0) for r in chosen), 3) for k in keys
        } | {"n": len(chosen)}
    return out


def run_variant(variant: str, weights: Path, sessions: int, repeats: int) -> dict:
    """Serve the variant, measure `sessions` fresh sessions one after another."""
    from playwright.sync_api import sync_playwright

    rows: list[dict] = []
    traced = None
    with (
        scratch_app(variant) as app,
        serve(app, weights, FLAGS.get(variant, [])) as (url, server_pid),
    ):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for i in range(sessions):
                    session_rows, trace = _session(
                        browser, url, server_pid, repeats, i == 0, "wait" in variant
                    )
                    rows += session_rows
                    traced = traced or trace
            finally:
                browser.close()
    return {
        "removes": VARIANTS[variant][0],
        "median": _summary(rows),
        "trace_of_one_repeat": traced,
        "runs": rows,
    }


def element_costs(variants: dict, superseded: dict | None = None) -> dict:
    """Per variant, Chromium CPU s per ranking saved against `full` (median first / repeat):
    positive means the element turned off costs that much. Each variant is compared with the
    `full` measured at the same revision (the current one or a superseded one); superseded
    variants keep their "@<revision>" name; a variant with no such `full` is left out."""
    fulls = {
        result.get("revision"): result
        for name, result in [*(superseded or {}).items(), *variants.items()]
        if name.split("@")[0] == "full"
    }
    out = {}
    for name, result in [*(superseded or {}).items(), *variants.items()]:
        full = fulls.get(result.get("revision"))
        if name.split("@")[0] == "full" or full is None:
            continue
        out[name] = {
            which: round(
                full["median"][which]["cpu_chromium_s"] - result["median"][which]["cpu_chromium_s"],
                3,
            )
            for which in ("first in session", "repeat")
        }
    return out


def supersede(report: dict, variant: str) -> None:
    """Move an earlier measurement of `variant` (--append) to report["superseded"], keyed
    "<variant>@<its revision>", without its runs and trace: the code it measured has changed."""
    earlier = report["variants"].pop(variant, None)
    if earlier is not None:
        kept = {k: earlier[k] for k in ("removes", "revision", "median") if k in earlier}
        key = f"{variant}@{earlier.get('revision', 'unrecorded')}"
        report.setdefault("superseded", {})[key] = kept


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=ROOT / "weights" / "mets_resnet18")
    parser.add_argument("--sessions", type=int, default=2, help="fresh sessions per variant")
    parser.add_argument("--repeats", type=int, default=2, help="repeat rankings per session")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "browser_cost.json")
    parser.add_argument(
        "--append", action="store_true", help="keep --out's other variants; add this command"
    )
    return parser.parse_args()


def _revision() -> str:
    rev = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    return rev.stdout.strip()


def _earlier_runs(earlier: dict) -> list[dict]:
    """The runs of an earlier file (a first version kept one run's keys at the top level)."""
    if "runs" in earlier or not earlier:
        return earlier.get("runs", [])
    keys = ("command", "revision", "load_avg_1min_before_after", "duration_s")
    return [{k: earlier[k] for k in keys if k in earlier}]


def main() -> None:
    args = _args()
    if not 1 <= args.sessions <= 5 or not 0 <= args.repeats <= 5:
        raise SystemExit("--sessions 1-5 and --repeats 0-5 keep the run bounded")
    for variant in args.variants:
        _edited(variant)
        _scratch_page(variant)  # every replacement still matches the page, before any run
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    earlier = json.loads(args.out.read_text()) if args.append and args.out.exists() else {}
    this_run = {"command": "python benchmarks/browser_cost.py " + " ".join(sys.argv[1:])}
    this_run["revision"] = _revision()
    report = {
        "runs": [*_earlier_runs(earlier), this_run],  # one entry per command (--append)
        "weights": str(
            args.weights.relative_to(ROOT) if args.weights.is_relative_to(ROOT) else args.weights
        ),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "settle_ms": SETTLE_MS,
        "variants": earlier.get("variants", {}),
    }
    if "superseded" in earlier:
        report["superseded"] = earlier["superseded"]
    for variant in args.variants:  # the file is rewritten after each variant
        supersede(report, variant)
        result = run_variant(variant, args.weights, args.sessions, args.repeats)
        report["variants"][variant] = {"revision": this_run["revision"], **result}
        print(variant, json.dumps(report["variants"][variant]["median"]), flush=True)
        this_run["load_avg_1min_before_after"] = [
            round(load_before, 2),
            round(os.getloadavg()[0], 2),
        ]
        this_run["duration_s"] = round(time.monotonic() - started, 1)
        report["chromium_cpu_s_saved_vs_full"] = element_costs(
            report["variants"], report.get("superseded")
        )
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
