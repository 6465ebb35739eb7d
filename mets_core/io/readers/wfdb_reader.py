"""WFDB records (`.hea` + `.dat`, or `.hea` + CinC `.mat`) via the `wfdb` package.

`wfdb.rdrecord` returns physical units and (T, L) arrays; the one transpose to (L, T) happens
here. Before reading, the signal files named in the header are checked to exist and to have the
size the header implies, so a mismatched pair gets a clear message instead of wfdb's
"Samples were not loaded correctly".

wfdb's header parser (pandas look-ups per field) costs more than reading a 10-s record's samples,
so reading takes the cheapest path that gives the same numbers:

1. the plainest and most common layout (PTB-XL's: one format-16 `.dat` for all signals, every
   signal line with all nine fields, gain, baseline and unit written out, no comments, the
   file exactly the size the header implies) is parsed here and its samples converted exactly
   as wfdb converts them (tests/test_wfdb_fast_path.py compares the two);
2. otherwise `rdrecord` reads header and samples (one header parse), and the signal-file checks
   then run on the header it returns;
3. anything unusual (a CinC `.mat` signal file, a header or signal file wfdb refuses) takes the
   careful path: header first, files checked, then the samples.
"""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb
from wfdb.io.header import HeaderSyntaxError

from mets_core.errors import ECGInputError
from mets_core.io.readers.mat_reader import read_bare_mat, read_mat_with_header
from mets_core.io.readers.raw import RawRecording, ignored_rate_notes

# Bytes per sample for the common WFDB storage formats (FLAC formats are not size-checked).
_BYTES_PER_SAMPLE: dict[str, float] = {
    "8": 1,
    "16": 2,
    "61": 2,
    "80": 1,
    "160": 2,
    "24": 3,
    "32": 4,
    "212": 1.5,
    "310": 4 / 3,
    "311": 4 / 3,
}
_WFDB_ERRORS = (HeaderSyntaxError, ValueError, IndexError, KeyError, OSError, TypeError)


def read_header(header_path: Path) -> tuple[wfdb.Record, list[str]]:
    """Parse a .hea file; raise ECGInputError if it is not a WFDB header.

    Returns:
        (the header, notes): a note when the record line had to be read leniently.
    """
    try:
        return wfdb.rdheader(str(header_path.with_suffix(""))), []
    except _WFDB_ERRORS as error:
        fixed = _read_header_named_with_extension(header_path)
        if fixed is not None:
            return fixed
        raise ECGInputError(
            f"{header_path.name} is not a valid WFDB header file ({error}). A WFDB header starts "
            "with a line such as '00001_lr 12 100 1000' (name, leads, rate, samples)."
        ) from error


def _read_header_named_with_extension(header_path: Path) -> tuple[wfdb.Record, list[str]] | None:
    """Read a header whose record line names the record with its signal file's extension.

    Some PhysioNet/CinC 2020 Georgia headers start `E00015.mat 12 500 5000 ...` instead of
    `E00015 12 500 5000 ...`; wfdb 4.x refuses that record line although the signal lines are
    valid. The record name is only a label here (signal files are found from the signal lines),
    so the header is parsed with the extension dropped from that one name. Returns None when the
    record line does not have this form (the caller reports the original error).
    """
    try:
        lines = header_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    first = lines[0].split(maxsplit=1) if lines else []
    name = first[0] if first else ""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or extension.lower() not in ("mat", "dat") or len(first) < 2:
        return None
    with tempfile.TemporaryDirectory() as folder:  # the header text only; deleted on return
        copy = Path(folder) / f"{stem}.hea"
        copy.write_text("\n".join([f"{stem} {first[1]}", *lines[1:]]) + "\n", encoding="utf-8")
        try:
            header = wfdb.rdheader(str(copy.with_suffix("")))
        except _WFDB_ERRORS:
            return None
    note = (
        f"the header names the record '{name}' with a file extension (as some PhysioNet/CinC "
        f"2020 Georgia files do); read as '{stem}'"
    )
    return header, [note]


def _expected_bytes(header: wfdb.Record, file_name: str) -> float | None:
    rows = [i for i, name in enumerate(header.file_name) if name == file_name]
    formats = [header.fmt[i] for i in rows]
    if header.sig_len is None or any(fmt not in _BYTES_PER_SAMPLE for fmt in formats):
        return None
    frame = sum(_BYTES_PER_SAMPLE[header.fmt[i]] * (header.samps_per_frame[i] or 1) for i in rows)
    return (header.byte_offset[rows[0]] or 0) + math.ceil(frame * header.sig_len)


def _check_signal_files(header: wfdb.Record, header_path: Path) -> None:
    for file_name in dict.fromkeys(header.file_name):
        signal_path = header_path.parent / Path(file_name).name
        if not signal_path.is_file():
            raise ECGInputError(
                f"The header {header_path.name} refers to the signal file {file_name}, which is "
                "missing. Upload the .hea file together with its signal file."
            )
        expected = None if file_name.endswith(".mat") else _expected_bytes(header, file_name)
        actual = signal_path.stat().st_size
        if expected is not None and actual != expected:
            raise ECGInputError(
                f"The header {header_path.name} declares {header.n_sig} leads × "
                f"{header.sig_len} samples ({expected:.0f} bytes), but {file_name} has {actual} "
                "bytes. The header and the signal file do not belong together."
            )


def _read_signal(header: wfdb.Record, header_path: Path) -> np.ndarray:
    """Return (L, T) float64 in the header's physical units."""
    mat_files = [name for name in header.file_name if name.endswith(".mat")]
    if mat_files:
        return read_mat_with_header(
            header_path.parent / Path(mat_files[0]).name,
            header.n_sig,
            header.sig_len,
            header.adc_gain,
            header.baseline,
        )
    try:
        record = wfdb.rdrecord(str(header_path.with_suffix("")), physical=True, return_res=64)
    except _WFDB_ERRORS as error:
        raise ECGInputError(
            f"The WFDB record {header_path.name} could not be read: {error}. Check that the "
            ".hea and .dat files come from the same recording."
        ) from error
    return np.asarray(record.p_signal, dtype=np.float64).T  # (T, L) -> (L, T), the one transpose


def _names_mat_file(header_path: Path) -> bool:
    """True when a signal line of the header names a `.mat` file (CinC; read by `mat_reader`)."""
    try:
        lines = header_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    return any(
        line.split(maxsplit=1)[0].lower().endswith(".mat") for line in lines[1:] if line.strip()
    )


# name nsig fs length (names as wfdb allows them: letters, digits, "_" and "-")
_PLAIN_RECORD_LINE = re.compile(r"([-\w]+) +(\d+) +(\d+(?:\.\d*)?) +(\d+)")
_PLAIN_FILE_NAME = re.compile(r"[-\w]+(?:\.\w+)?")
_PLAIN_GAIN = re.compile(r"(\d+(?:\.\d*)?)\((-?\d+)\)/(\S+)")  # gain(baseline)/units
_FORMAT_16_NAN = -32768  # wfdb's "no sample" value for format 16


@dataclass(frozen=True)
class _PlainHeader:
    """The header fields `read_wfdb` uses, as wfdb would parse them (same names)."""

    fs: float
    n_sig: int
    sig_name: list[str]
    units: list[str]
    fmt: list[str]
    comments: tuple[str, ...] = ()


def _read_plain_format_16(header_path: Path) -> tuple[_PlainHeader, np.ndarray] | None:
    """Header and (L, T) float64 physical samples of a plain format-16 record, or None.

    Physical values are computed as wfdb's `dac` does: (digital - baseline) / gain in float64,
    NaN where the digital value is -32768.
    """
    try:
        lines = header_path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    record = _PLAIN_RECORD_LINE.fullmatch(lines[0].strip()) if lines else None
    if record is None or any(line.lstrip().startswith("#") for line in lines):
        return None
    n_sig, fs, length = int(record[2]), float(record[3]), int(record[4])
    fields = [line.split() for line in lines[1:] if line.strip()]
    if n_sig < 1 or length < 1 or len(fields) != n_sig or any(len(f) != 9 for f in fields):
        return None
    gains = [_PLAIN_GAIN.fullmatch(f[2]) for f in fields]
    files = {f[0] for f in fields}
    if any(g is None for g in gains) or len(files) != 1 or any(f[1] != "16" for f in fields):
        return None
    if not _PLAIN_FILE_NAME.fullmatch(next(iter(files))):
        return None
    if any(not re.fullmatch(r"-?\d+", x) for f in fields for x in f[3:8]):
        return None
    signal_path = header_path.parent / Path(files.pop()).name
    if not signal_path.is_file() or signal_path.stat().st_size != 2 * n_sig * length:
        return None
    digital = np.fromfile(signal_path, dtype="<i2").reshape(length, n_sig)  # (T, L)
    baseline = np.asarray([int(g[2]) for g in gains], dtype=np.int64)
    gain = np.asarray([float(g[1]) for g in gains], dtype=np.float64)
    if np.any(gain == 0):
        return None  # wfdb substitutes a default gain: let it
    physical = (digital.astype(np.float64) - baseline) / gain
    physical[digital == _FORMAT_16_NAN] = np.nan
    header = _PlainHeader(
        fs=fs,
        n_sig=n_sig,
        sig_name=[f[8] for f in fields],
        units=[g[3] for g in gains],
        fmt=["16"] * n_sig,
    )
    return header, physical.T  # (T, L) -> (L, T), the one transpose


def _read_in_one_pass(header_path: Path) -> tuple[wfdb.Record, np.ndarray] | None:
    """Header and (L, T) float64 physical samples from one `rdrecord` (one header parse), with
    the signal files checked against that header; None to take the careful path instead."""
    if _names_mat_file(header_path):
        return None
    try:
        record = wfdb.rdrecord(str(header_path.with_suffix("")), physical=True, return_res=64)
    except _WFDB_ERRORS:
        return None
    if not isinstance(record, wfdb.Record) or not record.n_sig or record.p_signal is None:
        return None
    if not record.file_name or len(record.file_name) != record.n_sig:
        return None
    _check_signal_files(record, header_path)
    return record, np.asarray(record.p_signal, dtype=np.float64).T  # (T, L) -> (L, T)


def _read_carefully(header_path: Path) -> tuple[wfdb.Record, np.ndarray, list[str]]:
    """Header first (leniently where needed), signal files checked, then the samples."""
    header, notes = read_header(header_path)
    if header.n_sig == 0 or not header.file_name:
        raise ECGInputError(f"The WFDB header {header_path.name} declares no signals.")
    if len(header.file_name) != header.n_sig:
        raise ECGInputError(
            f"The WFDB header {header_path.name} declares {header.n_sig} leads but describes "
            f"{len(header.file_name)}; the header is damaged or was edited."
        )
    _check_signal_files(header, header_path)
    return header, _read_signal(header, header_path), notes


def read_wfdb(path: Path, fs_hz: float | None) -> RawRecording:
    """Read a WFDB record given its `.hea` or its `.dat`.

    Args:
        path: the `.hea` header (or a `.dat` with its `.hea` next to it).
        fs_hz: ignored except for a note when it disagrees with the header's rate.

    Returns:
        RawRecording with (L, T) physical samples, the header's lead names, units and rate.

    Raises:
        ECGInputError: a missing or mismatched signal file, a broken header, unreadable samples.
    """
    header_path = path.with_suffix(".hea")
    if not header_path.is_file():
        raise ECGInputError(
            f"The WFDB signal file {path.name} needs its header {header_path.name}; upload both."
        )
    read = _read_plain_format_16(header_path) or _read_in_one_pass(header_path)
    header, signal, notes = (*read, []) if read else _read_carefully(header_path)
    notes += ignored_rate_notes(header.fs, fs_hz)
    info = {"format": f"WFDB (signal format {', '.join(dict.fromkeys(header.fmt))})"}
    if header.comments:
        info["header comments"] = " | ".join(header.comments)
    return RawRecording(
        signal=signal,
        fs_hz=float(header.fs),
        channel_names=list(header.sig_name),
        units=list(header.units or [None] * header.n_sig),
        source=header_path.name,
        notes=notes,
        file_info=info,
    )


def read_mat(path: Path, fs_hz: float | None) -> RawRecording:
    """Read a `.mat` file: with its WFDB `.hea` when one lies next to it, else as a bare matrix."""
    if path.with_suffix(".hea").is_file():
        return read_wfdb(path.with_suffix(".hea"), fs_hz)
    return read_bare_mat(path, fs_hz)
