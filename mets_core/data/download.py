"""Download the full PTB-XL release from PhysioNet and verify every file against SHA256SUMS.txt.

The network part is one small function (`_fetch`); parsing and verification work on local files
and are what the tests exercise. Nothing here runs at import time.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import urllib.request
from pathlib import Path, PurePosixPath

from tqdm import tqdm

from mets_core.errors import DataError

PTBXL_URL_BASE = "https://physionet.org/files/ptb-xl/1.0.3/"  # PTB-XL v1.0.3 (CC BY 4.0)
SUMS_FILE = "SHA256SUMS.txt"
_CHUNK_BYTES = 1 << 20


def parse_sha256sums(text: str) -> dict[str, str]:
    """Parse `sha256sum` output ("<64 hex> <path>" or "<64 hex> *<path>" per line).

    Args:
        text: the file's content.

    Returns:
        relative POSIX path -> lower-case hex digest, in file order.

    Raises:
        DataError: on a malformed line, or a path that is absolute or climbs out with "..".
    """
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.strip().split(maxsplit=1)
        digest = parts[0].lower()
        if len(parts) != 2 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise DataError(
                f"Line {number} of the checksum list is not '<sha256> <path>': {line!r}"
            )
        path = parts[1].strip().removeprefix("*")
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not path:
            raise DataError(f"Line {number} of the checksum list names an unsafe path: {path!r}")
        sums[path] = digest
    return sums


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_files(root: Path, sums: dict[str, str], *, progress: bool = False) -> list[str]:
    """Check files under `root` against their expected SHA-256.

    Args:
        root: folder the checksum paths are relative to.
        sums: `parse_sha256sums` output.
        progress: show a tqdm bar.

    Returns:
        One plain-language problem per missing or altered file; empty when all match.
    """
    problems = []
    for path, expected in tqdm(sums.items(), desc="verify", unit="file", disable=not progress):
        target = Path(root) / path
        if not target.is_file():
            problems.append(f"missing: {path}")
        elif sha256_file(target) != expected:
            problems.append(f"checksum mismatch: {path}")
    return problems


def _fetch(url: str, dest: Path) -> None:
    """Download one URL to `dest` (via a .part file, so a broken transfer leaves no file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:  # noqa: S310
        shutil.copyfileobj(response, out, _CHUNK_BYTES)
    partial.replace(dest)


def download_ptbxl(
    dest: Path, *, url_base: str = PTBXL_URL_BASE, progress: bool = True
) -> list[str]:
    """Fetch every file of the PTB-XL release listed in its SHA256SUMS.txt, verifying each.

    Files already present with the right checksum are skipped, so an interrupted download resumes.

    Args:
        dest: target folder (created if needed); becomes a PTB-XL root for `load_ptbxl_index`.
        url_base: release URL ending in "/" (default: PhysioNet PTB-XL 1.0.3).
        progress: show a tqdm bar over files.

    Returns:
        Problems left after downloading (empty on success).
    """
    dest = Path(dest)
    _fetch(url_base + SUMS_FILE, dest / SUMS_FILE)
    sums = parse_sha256sums((dest / SUMS_FILE).read_text())
    for path, expected in tqdm(sums.items(), desc="PTB-XL", unit="file", disable=not progress):
        target = dest / path
        if target.is_file() and sha256_file(target) == expected:
            continue
        _fetch(url_base + path, target)
    return verify_files(dest, sums)


def main_download(dest: str) -> int:
    """CLI entry for `mets download-ptbxl DEST`: 0 when every file verifies, 1 otherwise."""
    try:
        problems = download_ptbxl(Path(dest))
    except (OSError, DataError) as error:
        print(f"PTB-XL download failed: {error}", file=sys.stderr)
        return 1
    for problem in problems[:20]:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} files did not verify; run the command again.", file=sys.stderr)
        return 1
    print(f"PTB-XL is complete and verified in {dest}")
    return 0
