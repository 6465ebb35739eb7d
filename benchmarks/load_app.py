"""The app under load (issue 16): N real browser sessions press Rank at the same moment.

One `streamlit run app.py` is started on a free 127.0.0.1 port (shipped weights unless
--weights). One headless Debian Chromium holds N browser contexts (N separate Streamlit
sessions), driven by asyncio. Each session loads a bundled example on the Load page (or uploads a
real file with --upload), opens the Zero-shot page and types 5 candidates. When all are ready they
press Rank together; the benchmark times Rank click -> "Top-ranked:" shown, then clicks
"Download JSON" and checks that the file arrives and names the session's own candidates.

Measured per N: ranked count, failures, p50 / p95 / max of click -> ranking shown, failed
downloads, the server's CPU seconds spent in the ranking phase per ranking (utime + stime from
/proc: unlike wall time, barely moved by other work on a shared machine) and its RSS; over the
same window the browsers' CPU seconds per ranking, how busy the whole machine was and how many
CPU seconds went to processes that are not this benchmark's (colleagues' jobs on a shared box).
With --sequential K, K sessions then run one after another and the server's RSS is tracked.
With --soak MINUTES, --soak-sessions sessions (10) then rank in a loop for that long, each
switching between two candidate lists so every Rank makes a new ranking (checked: the page's
"ranking below is for the list ranked before" note must go away), every 10th ranking also
downloading its JSON; failures, click -> shown times and the server's RSS every 30 s are kept. With
--baseline REV the same rounds are run, in the same process run, against git revision REV served
from a temporary `git worktree` (both servers get the same flags), so ratios compare like with
like on a machine whose load changes minute to minute. The 1-minute load average before and
after each round is recorded: a busy machine shows there.

Usage:
    python benchmarks/load_app.py --sessions 1 5 10 20 [--baseline fef5a4e] [--upload]
        [--rounds 1] [--sequential 50] [--soak 30 --soak-sessions 10] [--split-cpus]
        [--out results/load_app.json]
Nothing leaves 127.0.0.1; the browser and the server stop when it ends, also on error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = (  # (example title on the Load page, its 5 candidates): sessions take turns
    (
        "Left bundle branch block (PTB-XL 180, 500 Hz)",
        [
            "left bundle branch block",
            "normal ECG",
            "atrial fibrillation",
            "sinus tachycardia",
            "anterior myocardial infarction",
        ],
    ),
    (
        "Atrial fibrillation (PTB-XL 318, 500 Hz)",
        [
            "atrial fibrillation",
            "sinus rhythm",
            "atrial flutter",
            "first degree AV block",
            "left ventricular hypertrophy",
        ],
    ),
)
UPLOAD = ROOT.parent / "shared" / "data" / "formats" / "ge-muse-xml" / "egm_muse-sinus.xml"
START_TIMEOUT_S = 120
SETUP_CONCURRENCY = 4  # sessions prepared at once (2 CPUs): setup is not what is measured


@dataclass
class SessionResult:
    """One browser session's outcome in one round."""

    ranked: bool = False
    rank_s: float | None = None
    download_ok: bool = False
    error: str = ""
    step: str = "start"  # the last step reached, named in the error


@dataclass
class Round:
    """N sessions pressing Rank together against one server."""

    server: str
    sessions: int
    ranked: int = 0
    failed: int = 0
    failed_downloads: int = 0
    p50_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None
    server_cpu_s_per_ranking: float | None = None
    browsers_cpu_s_per_ranking: float | None = None  # Chromium + Playwright, same window
    ranking_window_s: float | None = None  # Rank pressed -> every ranking shown
    machine_busy_share: float | None = None  # of all CPUs over that window, by anyone
    others_cpu_s: float | None = None  # CPU time of processes that are neither of the above
    server_rss_mb_before: float | None = None
    server_rss_mb_after: float | None = None
    load_avg_1min_before: float = 0.0
    load_avg_1min_after: float = 0.0
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _children(pid: int) -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _tree_cpu_s(root: int, skip: set[int]) -> float:
    """CPU seconds of every live process below `root` (not `root`), leaving out `skip` subtrees."""
    tree = _children(root)
    total, todo = 0.0, list(tree.get(root, []))
    while todo:
        pid = todo.pop()
        if pid in skip:
            continue
        try:
            total += _proc_cpu_s(pid)
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(tree.get(pid, []))
    return total


SERVER_PIDS: list[int] = []  # the servers this run started or attached to


def _our_cpu_s(servers: set[int]) -> float:
    """CPU seconds of this benchmark: itself, its browsers and driver, and the servers."""
    own = os.times()
    return (
        own.user + own.system + sum(map(_proc_cpu_s, servers)) + _tree_cpu_s(os.getpid(), servers)
    )


def _machine_cpu_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values[:8]) - idle) / tick, sum(values[:8]) / tick


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def _served(
    folder: Path,
    weights: str | None,
    cpus: set[int] | None = None,
    *,
    env_extra: dict[str, str] | None = None,
    flags: Sequence[str] = (),
    code: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` from `folder` on a free loopback port (on `cpus`), stopped on exit.

    `mets_core` is imported from `code` (default `folder`); `env_extra` and `flags` (more
    `--section.option value` pairs) are added (benchmarks/browser_cost.py serves scratch pages).
    """
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(code or folder)}
    env.pop("METS_WEIGHTS", None)
    if weights:
        env["METS_WEIGHTS"] = weights
    env.update(env_extra or {})
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *flags,
    ]
    log = tempfile.TemporaryFile(mode="w+")
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    server = subprocess.Popen(
        command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited early:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer on {url} in {START_TIMEOUT_S} s") from None
                time.sleep(0.5)
        yield url, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextmanager
def _worktree(revision: str) -> Iterator[Path]:
    """A temporary detached `git worktree` of `revision` (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="mets_baseline_"))
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(folder), revision],
        cwd=ROOT,
        check=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)
        shutil.rmtree(folder, ignore_errors=True)


async def _wait_idle(page) -> None:  # noqa: ANN001 (a Playwright Page)
    await page.wait_for_timeout(200)
    await page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=180_000)


async def _go_to(page, label: str, heading: str) -> None:  # noqa: ANN001
    await page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    await page.get_by_role("heading", name=heading, exact=True).wait_for(timeout=180_000)
    await _wait_idle(page)


async def _prepare(page, url: str, number: int, upload: bool, result: SessionResult) -> list[str]:  # noqa: ANN001
    """Load this session's ECG and type its candidates; return them."""
    title, candidates = EXAMPLES[number % len(EXAMPLES)]
    result.step = "open the Load page"
    await page.goto(f"{url}/Load_ECG")
    await page.get_by_role("heading", name="Load an ECG").wait_for(timeout=180_000)
    await _wait_idle(page)
    result.step = "load the ECG"
    if upload:
        await page.get_by_role("tab", name="Upload a file").click()
        await page.locator('input[type="file"]').set_input_files(str(UPLOAD))
        await page.get_by_text("Signal quality per lead").wait_for(timeout=180_000)
    else:
        await page.locator('[data-testid="stSelectbox"]').first.click()
        await page.get_by_role("option", name=title).click()
        await _wait_idle(page)
        await page.get_by_role("button", name="Load this example").click()
        await page.get_by_role("heading", name=f"Example: {title}").wait_for(timeout=180_000)
    await _wait_idle(page)
    result.step = "open the Zero-shot page"
    await _go_to(page, "Zero Shot", "Rank candidate diagnoses")
    result.step = "type the candidates"
    box = page.get_by_label("Candidate diagnoses, one per line")
    await box.fill("\n".join(candidates))
    await box.press("Control+Enter")
    await _wait_idle(page)
    return candidates


class _Countdown:
    """Set once `count` sessions have called `done` (asyncio.Barrier needs Python 3.11)."""

    def __init__(self, count: int) -> None:
        self.left, self.event = count, asyncio.Event()
        if count == 0:
            self.event.set()

    def done(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.event.set()


@dataclass
class _Signals:
    """What the sessions of one round wait for and report."""

    gate: asyncio.Semaphore  # bounds how many sessions are being prepared at once
    ready: _Countdown  # sessions prepared (or failed)
    go: asyncio.Event  # press Rank now
    shown: _Countdown  # sessions whose ranking is shown (or failed)
    download_go: asyncio.Event  # click Download JSON now


async def _session(
    browser,  # noqa: ANN001 (a Playwright Browser)
    url: str,
    number: int,
    upload: bool,
    signals: _Signals,
    result: SessionResult,
) -> None:
    context = await browser.new_context(
        viewport={"width": 1400, "height": 1600}, accept_downloads=True
    )
    context.set_default_timeout(180_000)
    page = await context.new_page()
    try:
        try:
            async with signals.gate:
                candidates = await _prepare(page, url, number, upload, result)
        except BaseException:
            signals.shown.done()  # a session that failed setup does not hold up the others
            raise
        finally:
            signals.ready.done()
        go, shown, download_go = signals.go, signals.shown, signals.download_go
        await go.wait()
        result.step = "rank"
        start = time.perf_counter()
        try:
            await page.get_by_role("button", name="Rank", exact=True).click()
            await page.get_by_text("Top-ranked:").wait_for(timeout=180_000)
            result.rank_s = time.perf_counter() - start
            result.ranked = True
            await _wait_idle(page)
        finally:
            shown.done()
        await download_go.wait()  # downloads after every session ranked: CPU counted apart
        result.step = "download the JSON export"
        async with page.expect_download(timeout=60_000) as download_info:
            await page.get_by_role("button", name="Download JSON").click()
        download = await download_info.value
        failure = await download.failure()
        if failure:
            result.error = f"download failed: {failure}"
            return
        payload = json.loads(Path(await download.path()).read_text(encoding="utf-8"))
        result.download_ok = {row["candidate"] for row in payload["ranking"]} == set(candidates)
        if not result.download_ok:
            result.error = "the JSON export holds another session's candidates"
    except Exception as error:  # noqa: BLE001 (a benchmark counts every failure, and goes on)
        first_line = str(error).splitlines()[0][:160] if str(error) else ""
        result.error = f"{result.step}: {type(error).__name__}: {first_line}"
    finally:
        await context.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


async def _round(browser, url: str, pid: int, label: str, n: int, upload: bool) -> Round:  # noqa: ANN001
    found = Round(server=label, sessions=n, load_avg_1min_before=os.getloadavg()[0])
    results = [SessionResult() for _ in range(n)]
    signals = _Signals(
        gate=asyncio.Semaphore(SETUP_CONCURRENCY),
        ready=_Countdown(n),
        go=asyncio.Event(),
        shown=_Countdown(n),
        download_go=asyncio.Event(),
    )
    tasks = [
        asyncio.create_task(_session(browser, url, i, upload, signals, results[i]))
        for i in range(n)
    ]
    await signals.ready.event.wait()
    await asyncio.sleep(1.0)  # let the last setup rerun finish on the server
    found.server_rss_mb_before = round(_proc_rss_mb(pid), 1)
    servers = set(SERVER_PIDS)
    cpu_before, browsers_before = _proc_cpu_s(pid), _tree_cpu_s(os.getpid(), servers)
    ours_before = _our_cpu_s(servers)
    machine_before, start = _machine_cpu_s(), time.perf_counter()
    signals.go.set()
    await signals.shown.event.wait()
    cpu_ranking = _proc_cpu_s(pid) - cpu_before
    browsers_cpu = _tree_cpu_s(os.getpid(), servers) - browsers_before
    busy, total = (
        after - before for after, before in zip(_machine_cpu_s(), machine_before, strict=True)
    )
    found.ranking_window_s = round(time.perf_counter() - start, 2)
    found.machine_busy_share = round(busy / total, 2) if total else None
    found.others_cpu_s = round(max(0.0, busy - (_our_cpu_s(servers) - ours_before)), 1)
    signals.download_go.set()
    await asyncio.gather(*tasks)
    times = [r.rank_s for r in results if r.ranked and r.rank_s is not None]
    if times:
        found.server_cpu_s_per_ranking = round(cpu_ranking / len(times), 3)
        found.browsers_cpu_s_per_ranking = round(browsers_cpu / len(times), 3)
        found.p50_s = round(statistics.median(times), 3)
        found.p95_s = round(_percentile(times, 0.95), 3)
        found.max_s = round(max(times), 3)
    found.ranked = len(times)
    found.failed = n - len(times)
    found.failed_downloads = sum(r.ranked and not r.download_ok for r in results)
    found.errors = sorted({r.error for r in results if r.error})
    found.server_rss_mb_after = round(_proc_rss_mb(pid), 1)
    found.load_avg_1min_after = os.getloadavg()[0]
    return found


async def _sequential(
    browser, url: str, pid: int, label: str, count: int, upload: bool, expiry_wait_s: float
) -> dict:  # noqa: ANN001
    """`count` sessions one after another (load, rank, download, close); the server's RSS."""
    rss_after: dict[int, float] = {}
    failed: list[str] = []
    for number in range(1, count + 1):
        result = (await _round(browser, url, pid, label, 1, upload)).errors
        failed.extend(result)
        if number == 1 or number % 10 == 0 or number == count:
            rss_after[number] = round(_proc_rss_mb(pid), 1)
    await asyncio.sleep(expiry_wait_s)  # closed sessions are kept server.disconnectedSessionTTL
    expired = round(_proc_rss_mb(pid), 1)
    memory = {
        "server": label,
        "sessions": count,
        "failed": len(failed),
        "errors": failed[:5],
        "rss_mb_after_session": rss_after,
        "rss_mb_after_expiry_wait": expired,
        "expiry_wait_s": expiry_wait_s,
        "rss_growth_after_last_vs_first": round(rss_after[count] / rss_after[1] - 1, 3),
    }
    print(json.dumps(memory), flush=True)
    return memory


STALE_NOTE = "The ranking below is for the list ranked before"
SOAK_RSS_EVERY_S = 30.0
SOAK_DOWNLOAD_EVERY = 10  # every 10th ranking of a session also checks its JSON download
SOAK_GIVE_UP_AFTER = 3  # a session stops after this many failures in a row


@dataclass
class _SoakSession:
    rankings: int = 0
    downloads_ok: int = 0
    times_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _soak_session(
    browser,  # noqa: ANN001 (a Playwright Browser)
    url: str,
    number: int,
    upload: bool,
    gate: asyncio.Semaphore,
    deadline: float,
    found: _SoakSession,
) -> None:
    """One session ranking in a loop until `deadline` (time.monotonic), two lists in turn."""
    lists = [EXAMPLES[number % len(EXAMPLES)][1], EXAMPLES[(number + 1) % len(EXAMPLES)][1]]
    context = await browser.new_context(
        viewport={"width": 1400, "height": 1600}, accept_downloads=True
    )
    context.set_default_timeout(120_000)
    page = await context.new_page()
    step = SessionResult()
    try:
        async with gate:
            await _prepare(page, url, number, upload, step)
        box = page.get_by_label("Candidate diagnoses, one per line")
        stale, top = page.get_by_text(STALE_NOTE), page.get_by_text("Top-ranked:").first
        in_a_row, iteration, fresh = 0, 0, True  # fresh: no ranking on the page yet
        while time.monotonic() < deadline and in_a_row < SOAK_GIVE_UP_AFTER:
            candidates = lists[iteration % 2]
            iteration += 1
            try:
                await box.fill("\n".join(candidates))
                await box.press("Control+Enter")
                if not fresh:  # a new list: the earlier ranking must be marked stale
                    await stale.wait_for(state="visible")
                await _wait_idle(page)
                start = time.perf_counter()
                await page.get_by_role("button", name="Rank", exact=True).click()
                await stale.wait_for(state="hidden")
                await top.wait_for(state="visible")
                found.times_s.append(time.perf_counter() - start)
                found.rankings += 1
                fresh = False
                await _wait_idle(page)
                if found.rankings % SOAK_DOWNLOAD_EVERY == 0:
                    async with page.expect_download(timeout=60_000) as download_info:
                        await page.get_by_role("button", name="Download JSON").click()
                    download = await download_info.value
                    if await download.failure():
                        raise RuntimeError(f"download failed: {await download.failure()}")
                    text = Path(await download.path()).read_text(encoding="utf-8")
                    if {row["candidate"] for row in json.loads(text)["ranking"]} != set(candidates):
                        raise RuntimeError("the JSON export holds another list's candidates")
                    found.downloads_ok += 1
                in_a_row = 0
            except Exception as error:  # noqa: BLE001 (a soak counts every failure, and goes on)
                in_a_row += 1
                first_line = str(error).splitlines()[0][:160] if str(error) else ""
                found.errors.append(f"ranking {iteration}: {type(error).__name__}: {first_line}")
                async with gate:  # start again as a new session: load the ECG, open the page
                    await _prepare(page, url, number, upload, step)
                fresh = True
    except Exception as error:  # noqa: BLE001
        first_line = str(error).splitlines()[0][:160] if str(error) else ""
        found.errors.append(f"{step.step}: {type(error).__name__}: {first_line}")
    finally:
        await context.close()


async def _soak(
    browser, url: str, pid: int, label: str, sessions: int, minutes: float, upload: bool
) -> dict:  # noqa: ANN001
    """`sessions` sessions ranking in a loop for `minutes`; failures, times, the server's RSS."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)
    found = [_SoakSession() for _ in range(sessions)]
    started = time.monotonic()
    deadline = started + 60.0 * minutes
    rss: list[tuple[float, float]] = [(0.0, round(_proc_rss_mb(pid), 1))]
    cpu_before, load_before = _proc_cpu_s(pid), os.getloadavg()[0]

    async def sample() -> None:
        while time.monotonic() < deadline:
            await asyncio.sleep(SOAK_RSS_EVERY_S)
            rss.append((round(time.monotonic() - started), round(_proc_rss_mb(pid), 1)))

    sampler = asyncio.create_task(sample())
    await asyncio.gather(
        *(_soak_session(browser, url, i, upload, gate, deadline, found[i]) for i in range(sessions))
    )
    sampler.cancel()
    rss.append((round(time.monotonic() - started), round(_proc_rss_mb(pid), 1)))
    times = [t for s in found for t in s.times_s]
    errors = [e for s in found for e in s.errors]
    after_first_minute = [mb for t, mb in rss if t >= 60] or [rss[-1][1]]
    result = {
        "server": label,
        "sessions": sessions,
        "minutes": minutes,
        "duration_s": round(time.monotonic() - started, 1),
        "rankings": len(times),
        "rankings_per_session": [s.rankings for s in found],
        "failed": len(errors),
        "errors": errors[:10],
        "downloads_checked": sum(s.downloads_ok for s in found),
        "p50_s": round(statistics.median(times), 3) if times else None,
        "p95_s": round(_percentile(times, 0.95), 3) if times else None,
        "max_s": round(max(times), 3) if times else None,
        "server_cpu_s_per_ranking": (
            round((_proc_cpu_s(pid) - cpu_before) / len(times), 3) if times else None
        ),
        "rss_mb_every_30_s": rss,
        "rss_mb_after_first_minute": after_first_minute[0],
        "rss_mb_max": max(mb for _, mb in rss),
        "rss_mb_last": rss[-1][1],
        "rss_growth_last_vs_first_minute": round(rss[-1][1] / after_first_minute[0] - 1, 3),
        "load_avg_1min_before": load_before,
        "load_avg_1min_after": os.getloadavg()[0],
    }
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb_every_30_s"}), flush=True)
    return result


async def _run_all(
    servers: list[tuple[str, str, int]],
    counts: list[int],
    rounds: int,
    upload: bool,
    sequential: int = 0,
    expiry_wait_s: float = 0.0,
    soak_minutes: float = 0.0,
    soak_sessions: int = 10,
) -> tuple[list[Round], list[dict], list[dict]]:
    from playwright.async_api import async_playwright

    found: list[Round] = []
    memory: list[dict] = []
    soaks: list[dict] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, url, pid in servers:  # warm-up: model load, first page imports
                await _round(browser, url, pid, label, 1, upload)
            for _ in range(rounds):
                for n in counts:
                    for label, url, pid in servers:  # alternate servers at each N
                        result = await _round(browser, url, pid, label, n, upload)
                        found.append(result)
                        print(json.dumps(asdict(result)), flush=True)
            if sequential:
                for label, url, pid in servers:
                    memory.append(
                        await _sequential(
                            browser, url, pid, label, sequential, upload, expiry_wait_s
                        )
                    )
            if soak_minutes:
                for label, url, pid in servers:
                    soaks.append(
                        await _soak(browser, url, pid, label, soak_sessions, soak_minutes, upload)
                    )
        finally:
            await browser.close()
    return found, memory, soaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="*", default=[1, 5, 10, 20])
    parser.add_argument(
        "--sequential",
        type=int,
        default=0,
        metavar="K",
        help="then K sessions one after another per server, tracking the server's RSS",
    )
    parser.add_argument(
        "--expiry-wait",
        type=float,
        default=130.0,
        help="seconds to wait after the sequential sessions (server.disconnectedSessionTTL 120)",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=0.0,
        metavar="MINUTES",
        help="then --soak-sessions sessions rank in a loop for this long per server",
    )
    parser.add_argument("--soak-sessions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="repeat every N this many times")
    parser.add_argument("--baseline", help="git revision to serve beside the measured one")
    parser.add_argument(
        "--revision",
        help="serve this git revision instead of the working tree (edits elsewhere "
        "in a shared tree then cannot change what is measured)",
    )
    parser.add_argument("--upload", action="store_true", help=f"upload {UPLOAD.name} instead")
    parser.add_argument("--weights", help="METS_WEIGHTS for both servers (default: shipped)")
    parser.add_argument(
        "--split-cpus",
        action="store_true",
        help="servers on the first CPU, this benchmark and its browsers on the others, so the "
        "browsers' rendering does not take the server's CPU (users' browsers run elsewhere)",
    )
    parser.add_argument("--out", default=str(ROOT / "results" / "load_app.json"))
    parser.add_argument(
        "--attach",
        nargs=2,
        metavar=("URL", "PID"),
        help="use a server already running on 127.0.0.1 (e.g. one under a profiler)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still stops servers, worktrees
    if max(args.sessions, default=0) > 50 or args.sequential > 200 or args.soak_sessions > 50:
        parser.error("at most 50 sessions: this is a 127.0.0.1 benchmark, not a load generator")
    if args.soak > 120:
        parser.error("a soak of at most 120 minutes: the benchmark must stop by itself")

    server_cpus: set[int] | None = None
    if args.split_cpus:
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            parser.error("--split-cpus needs at least 2 CPUs")
        server_cpus = {available[0]}
        os.sched_setaffinity(0, set(available[1:]))  # the browsers inherit this
    with ExitStack() as stack:
        servers = []
        if args.attach:
            if not args.attach[0].startswith("http://127.0.0.1:"):
                parser.error("--attach takes a http://127.0.0.1:PORT server only")
            servers.append(("attached", args.attach[0], int(args.attach[1])))
        elif args.revision:
            folder = stack.enter_context(_worktree(args.revision))
            url, server = stack.enter_context(_served(folder, args.weights, server_cpus))
            servers.append((f"revision {args.revision}", url, server.pid))
        else:
            url, server = stack.enter_context(_served(ROOT, args.weights, server_cpus))
            servers.append(("working tree", url, server.pid))
        if args.baseline:
            folder = stack.enter_context(_worktree(args.baseline))
            url, server = stack.enter_context(_served(folder, args.weights, server_cpus))
            servers.append((f"baseline {args.baseline}", url, server.pid))
        SERVER_PIDS.extend(pid for _, _, pid in servers)
        started = time.time()
        rounds, memory, soaks = asyncio.run(
            _run_all(
                servers,
                args.sessions,
                args.rounds,
                args.upload,
                args.sequential,
                args.expiry_wait,
                args.soak,
                args.soak_sessions,
            )
        )
    result = {
        "command": "python benchmarks/load_app.py " + " ".join(sys.argv[1:]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "source": f"upload {UPLOAD.name}" if args.upload else "bundled examples",
        "cpus": (
            f"servers on CPU {sorted(server_cpus)}, browsers on the others"
            if server_cpus
            else "servers and browsers share every CPU"
        ),
        "revision": args.revision or _git_revision(),
        "duration_s": round(time.time() - started, 1),
        "rounds": [asdict(r) for r in rounds],
        "sequential_memory": memory,
        "soak": soaks,
        "note": "server and browsers share this machine; load_avg_1min shows other work on it",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    _print_table(rounds)


def _git_revision() -> str:
    out = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip()


def _print_table(rounds: list[Round]) -> None:
    print(
        f"{'server':22s} {'N':>3s} {'ranked':>7s} {'p50 s':>6s} {'p95 s':>6s} {'dl fail':>7s} "
        f"{'srv cpu/rank':>12s} {'browser cpu/rank':>16s} {'busy':>5s} {'others s':>8s} "
        f"{'RSS MB':>13s} {'load':>9s}"
    )
    for r in rounds:
        print(
            f"{r.server[:22]:22s} {r.sessions:3d} {r.ranked:3d}/{r.sessions:<3d} "
            f"{r.p50_s or 0:6.2f} {r.p95_s or 0:6.2f} {r.failed_downloads:7d} "
            f"{r.server_cpu_s_per_ranking or 0:12.3f} {r.browsers_cpu_s_per_ranking or 0:16.3f} "
            f"{r.machine_busy_share or 0:5.2f} {r.others_cpu_s or 0:8.1f} "
            f"{r.server_rss_mb_before or 0:6.0f}>{r.server_rss_mb_after or 0:<6.0f} "
            f"{r.load_avg_1min_before:4.1f}>{r.load_avg_1min_after:<4.1f}"
        )
        for error in r.errors:
            print(f"    {error}")


if __name__ == "__main__":
    main()
