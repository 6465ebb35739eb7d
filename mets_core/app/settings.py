"""What the server's operator configures: the only module of the app that reads the environment.

Every setting is an environment variable read when it is needed (so a test can set it), never a
value a user types in the browser:

- `METS_WEIGHTS`: weights stem or file, or "random-init" (default: the shipped weights);
- `METS_DEVICE`: "auto", "cpu", "cuda", "cuda:1" (default "auto");
- `METS_PTBXL_ROOTS`, `METS_MITBIH_ROOTS`: the dataset folders the Explore page may read
  (default: the project's `../shared/data/ptb-xl` and `../shared/data/mit-bih` when present);
- `METS_DATA_DIR`: one more PTB-XL folder (the older name, still honoured);
- `METS_SESSION_UPLOAD_MB`: upload megabytes one browser session may hold at once (default 50);
- `METS_TORCH_THREADS`: CPU threads one ranking may use (default 1; see `torch_threads`).

A roots variable lists folders separated by ";", each as `label=path` or a bare `path` (labelled
by its folder name). Users pick a label; the page never shows a path nor reads a typed one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"  # the project's own data folder, if present
DEFAULT_SESSION_UPLOAD_MB = 50.0  # as much as one file may be (server.maxUploadSize)
DEFAULT_TORCH_THREADS = 1
PTBXL = "ptbxl"
MITBIH = "mitbih"
_ROOTS_VARIABLE = {PTBXL: "METS_PTBXL_ROOTS", MITBIH: "METS_MITBIH_ROOTS"}
_DEFAULT_ROOT = {
    PTBXL: ("PTB-XL", SHARED_DATA / "ptb-xl"),
    MITBIH: ("MIT-BIH", SHARED_DATA / "mit-bih"),
}


@dataclass(frozen=True)
class DatasetRoot:
    """A dataset folder the operator allows the Explore page to read.

    Attributes:
        label: what users see and pick, e.g. "PTB-XL"; never the path.
        path: the folder on the server.
    """

    label: str
    path: Path


def weights() -> str | None:
    """METS_WEIGHTS: a weights stem or file, "random-init", or None for the shipped default."""
    return os.environ.get("METS_WEIGHTS") or None


def device() -> str:
    """The compute device from METS_DEVICE ("auto", "cpu", "cuda", "cuda:1"); default "auto"."""
    return os.environ.get("METS_DEVICE") or "auto"


def torch_threads() -> int:
    """CPU threads one ranking may use on the server (METS_TORCH_THREADS, default 1).

    The app serves many sessions at once, and they are its parallelism: with torch's default of
    one thread per core, two sessions ranking together run 2 x 2 OpenMP threads on 2 cores that
    spin while they wait for each other (docs/SERVING.md has the measurement). One user alone
    waits ~10 ms longer for the ECG tower with 1 thread. A typo keeps the default.
    """
    text = os.environ.get("METS_TORCH_THREADS", "").strip()
    try:
        threads = int(text) if text else DEFAULT_TORCH_THREADS
    except ValueError:
        threads = DEFAULT_TORCH_THREADS
    return max(threads, 1)


def session_upload_limit_bytes() -> int:
    """How many upload bytes one browser session may hold at once (METS_SESSION_UPLOAD_MB)."""
    text = os.environ.get("METS_SESSION_UPLOAD_MB", "").strip()
    try:
        megabytes = float(text) if text else DEFAULT_SESSION_UPLOAD_MB
    except ValueError:
        megabytes = DEFAULT_SESSION_UPLOAD_MB  # a typo in the operator's setting keeps the default
    return int(max(megabytes, 0.0) * 1024 * 1024)


def dataset_roots(kind: str) -> list[DatasetRoot]:
    """The folders of one dataset kind ("ptbxl" or "mitbih") the Explore page may read.

    Configured folders come first, in the order given; labels are unique (a repeated label gets
    " (2)"). Without any configured folder, the project's `../shared/data` copy is offered when
    it exists. Whether a folder exists is checked only when a user runs it, and then reported by
    label, never by path.

    Args:
        kind: `PTBXL` or `MITBIH`.

    Returns:
        The allowed roots; empty when none is configured and no default copy exists.
    """
    entries = _parse_roots(os.environ.get(_ROOTS_VARIABLE[kind], ""))
    if kind == PTBXL and os.environ.get("METS_DATA_DIR"):
        entries.append(("PTB-XL (METS_DATA_DIR)", os.environ["METS_DATA_DIR"]))
    if not entries:
        label, path = _DEFAULT_ROOT[kind]
        return [DatasetRoot(label, path)] if path.is_dir() else []
    roots: list[DatasetRoot] = []
    seen: set[str] = set()
    for label, path in entries:
        unique, number = label, 2
        while unique in seen:
            unique, number = f"{label} ({number})", number + 1
        seen.add(unique)
        roots.append(DatasetRoot(unique, Path(path).expanduser()))
    return roots


def _parse_roots(text: str) -> list[tuple[str, str]]:
    """`label=path;path;...` -> [(label, path)], a bare path labelled by its folder name."""
    entries = []
    for item in text.split(";"):
        item = item.strip()
        if not item:
            continue
        label, separator, path = item.partition("=")
        if not separator:
            label, path = Path(item).expanduser().name or item, item
        if label.strip() and path.strip():
            entries.append((label.strip(), path.strip()))
    return entries
