"""The server under load without browsers (issue 16): N websocket sessions replay one real session.

benchmarks/load_app.py drives N headless Chromium sessions on the same 2 cores as the server,
and the browsers' own CPU (1.0-1.65 s per ranking against the server's 0.25 s) decides its
latencies. On a ward every browser has its own computer. This script measures what the server
alone gives N simultaneous users:

1. **Capture**: one Chromium session (Playwright) loads a bundled example on the Load page, opens
   the Zero-shot page, types 5 candidates and presses Rank, exactly as load_app.py's sessions do;
   every frame the page sends on Streamlit's websocket is kept (protobuf `BackMsg`s: reruns with
   the widget states, page changes, heartbeats). The browser is then closed.
2. **Replay**: N websocket clients (the `websockets` library, one asyncio process, a few ms of CPU
   per session) each open their own Streamlit session and send the captured frames up to the
   Rank press, waiting after each rerun for the server's `script_finished`; when all N are ready
   they send the Rank frame together. Timed per session: Rank sent -> the first server message
   that holds "Top-ranked:" (the text the browser benchmarks wait for) and -> `script_finished`.
   Every session must see its ranking, or it counts as failed.

Measured per N: p50 / p95 / max of both times, failures, and the server's CPU seconds per ranking
over the ranking window (utime + stime of the server from /proc) and its RSS. What this leaves out
is what a browser adds on its own computer (drawing the page: ~0.5-1 s on this CPU,
results/browser_cost.json) and the network.

Usage:
    python benchmarks/replay_load.py --sessions 1 5 10 20 50 [--out results/load_replay.json]
Nothing leaves 127.0.0.1; the browser, the clients and the server stop when it ends.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_app  # noqa: E402 (the browser benchmark's server start and session steps)

ROOT = Path(__file__).resolve().parents[1]
RANKING_SHOWN = b"Top-ranked:"
QUIET_S = 0.3  # after a rerun's script_finished, no message for this long = the rerun is done
RERUN_TIMEOUT_S = 300.0


@dataclass
class Capture:
    """The websocket frames one real browser session sent, split at the Rank press."""

    before_rank: list[bytes]
    rank: bytes
    candidates: list[str]


@dataclass
class Round:
    sessions: int
    ranked: int = 0
    failed: int = 0
    shown_p50_s: float | None = None
    shown_p95_s: float | None = None
    shown_max_s: float | None = None
    finished_p95_s: float | None = None
    server_cpu_s_per_ranking: float | None = None
    ranking_window_s: float | None = None
    server_rss_mb_before: float | None = None
    server_rss_mb_after: float | None = None
    load_avg_1min_before: float = 0.0
    load_avg_1min_after: float = 0.0
    errors: list[str] = field(default_factory=list)


def _is_rerun(frame: bytes) -> bool:
    message = BackMsg()
    message.ParseFromString(frame)
    return message.WhichOneof("type") == "rerun_script"


def _own_candidates(frame: bytes, typed: str, own: str) -> bytes:
    """`frame` with the candidate box's text `typed` replaced by `own` in its widget states."""
    message = BackMsg()
    message.ParseFromString(frame)
    if message.WhichOneof("type") != "rerun_script":
        return frame
    for widget in message.rerun_script.widget_states.widgets:
        if widget.WhichOneof("value") == "string_value" and widget.string_value == typed:
            widget.string_value = own
    return message.SerializeToString()


def session_frames(recorded: Capture, number: int) -> tuple[list[bytes], bytes]:
    """The capture for session `number`: its candidate list gets one more line of its own, so
    every session's ranking embeds a text no other session asked for (the model caches label
    embeddings, text only, across sessions) and is a ranking of its own."""
    typed = "\n".join(recorded.candidates)
    own = typed + f"\nsinus rhythm, session {number}"
    rank = _own_candidates(recorded.rank, typed, own)
    if own.encode() not in rank:
        raise RuntimeError("the Rank frame holds no candidate box with the typed candidates")
    return [_own_candidates(frame, typed, own) for frame in recorded.before_rank], rank


async def capture(url: str) -> Capture:
    """Drive one Chromium session to a ranking and keep the frames it sent (see module doc)."""
    from playwright.async_api import async_playwright

    sent: list[tuple[float, bytes]] = []

    def on_websocket(socket) -> None:  # noqa: ANN001 (a Playwright WebSocket)
        if socket.url.endswith("/_stcore/stream"):
            socket.on(
                "framesent",
                lambda payload: (
                    sent.append((time.monotonic(), payload)) if isinstance(payload, bytes) else None
                ),
            )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=load_app.CHROMIUM, args=load_app.CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1600})
            context.set_default_timeout(180_000)
            page = await context.new_page()
            page.on("websocket", on_websocket)
            candidates = await load_app._prepare(page, url, 0, False, load_app.SessionResult())
            await load_app._wait_idle(page)
            pressed = time.monotonic()
            await page.get_by_role("button", name="Rank", exact=True).click()
            await page.get_by_text("Top-ranked:").wait_for()
        finally:
            await browser.close()
    before = [frame for at, frame in sent if at < pressed]
    after = [frame for at, frame in sent if at >= pressed and _is_rerun(frame)]
    if not after:
        raise RuntimeError("the Rank press sent no rerun on the websocket")
    return Capture(before, after[0], candidates)


async def _until_rerun_done(socket, started: float) -> tuple[float | None, float]:  # noqa: ANN001
    """Read messages until a successful script_finished and QUIET_S of silence.

    Returns:
        (seconds from `started` to the first message holding RANKING_SHOWN or None, seconds from
        `started` to the last script_finished).
    """
    shown_s, finished_s, done = None, None, False
    while True:
        try:
            raw = await asyncio.wait_for(
                socket.recv(), timeout=QUIET_S if done else RERUN_TIMEOUT_S
            )
        except TimeoutError:
            if done:
                return shown_s, finished_s
            raise
        if shown_s is None and RANKING_SHOWN in raw:
            shown_s = time.perf_counter() - started
        message = ForwardMsg()
        message.ParseFromString(raw)
        if message.WhichOneof("type") == "script_finished":
            finished_s = time.perf_counter() - started
            done = message.script_finished in (
                ForwardMsg.FINISHED_SUCCESSFULLY,
                ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
            )


async def _session(
    ws_url: str,
    frames: tuple[list[bytes], bytes],
    gate: asyncio.Semaphore,
    ready,  # noqa: ANN001 (called once the session is set up, or failed)
    go: asyncio.Event,
    result: dict,
) -> None:
    before_rank, rank = frames
    try:
        async with websockets.connect(
            ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None
        ) as socket:
            try:
                async with gate:
                    for frame in before_rank:
                        await socket.send(frame)
                        if _is_rerun(frame):
                            await _until_rerun_done(socket, time.perf_counter())
            finally:
                ready()
            await go.wait()
            started = time.perf_counter()
            await socket.send(rank)
            shown_s, finished_s = await _until_rerun_done(socket, started)
            result.update(shown_s=shown_s, finished_s=finished_s, end=time.perf_counter())
            if shown_s is None:
                result["error"] = "the ranking never arrived"
    except Exception as error:  # noqa: BLE001 (a benchmark counts every failure, and goes on)
        result["error"] = f"{type(error).__name__}: {str(error)[:160]}"


async def run_round(url: str, server_pid: int, recorded: Capture, sessions: int) -> Round:
    """N sessions replay the capture and press Rank together."""
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    result = Round(sessions=sessions, load_avg_1min_before=round(os.getloadavg()[0], 2))
    gate, go = asyncio.Semaphore(load_app.SETUP_CONCURRENCY), asyncio.Event()
    waiting = {"left": sessions}
    all_ready = asyncio.Event()

    def ready() -> None:
        waiting["left"] -= 1
        if waiting["left"] <= 0:
            all_ready.set()

    outcomes: list[dict] = [{} for _ in range(sessions)]
    tasks = [
        asyncio.create_task(
            _session(ws_url, session_frames(recorded, number), gate, ready, go, outcome)
        )
        for number, outcome in enumerate(outcomes)
    ]
    await all_ready.wait()
    await asyncio.sleep(1.0)  # let the last setup rerun's stragglers settle
    result.server_rss_mb_before = round(load_app._proc_rss_mb(server_pid), 1)
    cpu_before, window_start = load_app._proc_cpu_s(server_pid), time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    ends = [o["end"] for o in outcomes if "end" in o]
    result.ranking_window_s = round((max(ends) if ends else time.perf_counter()) - window_start, 2)
    ranked = [o for o in outcomes if o.get("shown_s") is not None and "error" not in o]
    result.ranked, result.failed = len(ranked), sessions - len(ranked)
    result.errors = sorted({o["error"] for o in outcomes if "error" in o})
    if ranked:
        shown = sorted(o["shown_s"] for o in ranked)
        finished = sorted(o["finished_s"] for o in ranked if o.get("finished_s") is not None)
        result.shown_p50_s = round(statistics.median(shown), 2)
        result.shown_p95_s = round(load_app._percentile(shown, 0.95), 2)
        result.shown_max_s = round(shown[-1], 2)
        result.finished_p95_s = round(load_app._percentile(finished, 0.95), 2) if finished else None
        result.server_cpu_s_per_ranking = round(
            (load_app._proc_cpu_s(server_pid) - cpu_before) / len(ranked), 3
        )
    result.server_rss_mb_after = round(load_app._proc_rss_mb(server_pid), 1)
    result.load_avg_1min_after = round(os.getloadavg()[0], 2)
    return result


async def main_async(args: argparse.Namespace) -> dict:
    with load_app._served(ROOT, args.weights) as (url, server):
        recorded = await capture(url)
        print(
            f"captured {len(recorded.before_rank)} frames before Rank "
            f"({sum(map(_is_rerun, recorded.before_rank))} reruns)",
            flush=True,
        )
        rounds = []
        for sessions in args.sessions:
            one = await run_round(url, server.pid, recorded, sessions)
            print(json.dumps(asdict(one)), flush=True)
            rounds.append(asdict(one))
    return {
        "command": "python benchmarks/replay_load.py " + " ".join(sys.argv[1:]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "revision": load_app._git_revision(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "weights": args.weights or "weights/mets_resnet18 (shipped)",
        "server_torch_threads": os.environ.get("METS_TORCH_THREADS", "1 (default)"),
        "candidates": recorded.candidates,
        "frames_before_rank": len(recorded.before_rank),
        "rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--weights", default=None, help="METS_WEIGHTS for the server")
    parser.add_argument("--out", default=str(ROOT / "results" / "load_replay.json"))
    args = parser.parse_args()
    report = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
