"""Zip archives: safe extraction (no path traversal, no zip bombs), then the one record inside."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from mets_core.errors import ECGInputError

MAX_MEMBERS = 50
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
_RECORD_SUFFIXES = (".csv", ".tsv", ".txt", ".npy", ".edf", ".mat", ".xml", ".dcm")
_CHUNK_BYTES = 1024 * 1024


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise ECGInputError(
            f"The zip file contains an unsafe path ({name!r}) that points outside the archive; "
            "it was refused."
        )
    return path


def _wanted(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename).parts
    hidden = any(part.startswith((".", "__MACOSX")) for part in parts)
    return not info.is_dir() and not hidden


def _copy_limited(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int
) -> int:
    """Copy one member, counting real bytes (the sizes in a zip directory can lie)."""
    written = 0
    with archive.open(info) as source, target.open("wb") as sink:
        while chunk := source.read(_CHUNK_BYTES):
            written += len(chunk)
            if written > budget:
                raise ECGInputError(
                    f"The zip file expands to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB; "
                    "it was refused. Upload the ECG record files themselves."
                )
            sink.write(chunk)
    return written


def extract_zip(zip_path: Path, dest: Path) -> list[Path]:
    """Extract a zip into `dest` after checking member count, paths and total size.

    Args:
        zip_path: the archive.
        dest: an empty folder (inside a TemporaryDirectory owned by `mets_core.io.load`).

    Returns:
        Paths of the extracted files (folders and hidden/macOS metadata files skipped).

    Raises:
        ECGInputError: a damaged zip, more than `MAX_MEMBERS` members, an unsafe member path,
            or more than `MAX_UNCOMPRESSED_BYTES` once expanded.
    """
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ECGInputError(f"{zip_path.name} is not a readable zip file: {error}") from error
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ECGInputError(
                f"The zip file holds {len(members)} entries; at most {MAX_MEMBERS} are accepted. "
                "Upload one ECG record (a .hea with its .dat, or one CSV/NPY/EDF/MAT file)."
            )
        paths, budget = [], MAX_UNCOMPRESSED_BYTES
        for info in members:
            relative = _safe_member_path(info.filename)
            if not _wanted(info):
                continue
            target = dest.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            budget -= _copy_limited(archive, info, target, budget)
            paths.append(target)
    return paths


def find_record_file(paths: list[Path], archive_name: str) -> Path:
    """Pick the one record among extracted files: a lone .hea, else a lone data file.

    Raises:
        ECGInputError: no record, several records, or a nested zip.
    """
    headers = [path for path in paths if path.suffix.lower() == ".hea"]
    data = [path for path in paths if path.suffix.lower() in _RECORD_SUFFIXES]
    if len(headers) == 1:
        return headers[0]
    candidates = headers or data
    if len(candidates) == 1:
        return candidates[0]
    if any(path.suffix.lower() == ".zip" for path in paths):
        raise ECGInputError(
            f"{archive_name} contains another zip file; nested archives are refused."
        )
    if not candidates:
        found = ", ".join(sorted(path.name for path in paths)) or "nothing"
        raise ECGInputError(
            f"{archive_name} holds no ECG record (expected a .hea with its .dat, or one "
            f".csv/.tsv/.txt/.npy/.edf/.mat/.xml/.dcm file); found {found}."
        )
    names = ", ".join(sorted(path.name for path in candidates))
    raise ECGInputError(f"{archive_name} holds several records ({names}); upload one at a time.")
