"""Which files under an archive folder are ECG records, and what their source says about them.

A record is one file `load_record` reads: a WFDB/CinC header (`.hea`; its `.dat`/`.mat` is read
with it), a vendor XML, DICOM, SCP-ECG, EDF or zip file. Tables (`.csv`, `.tsv`, `.npy`) are left
out by default because archives keep their metadata in CSV files; pass `suffixes` to add them.

Labels and report text come from where the source publishes them, never from patient fields:
PTB-XL rows through `mets_core.data.ptbxl` (found in the nearest folder above a record holding
`scp_statements.csv`), CinC 2020/2021 from the header's `#Dx:` line (#Age and #Sex are not read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from mets_core.data.ptbxl_index import PTBXLIndex, load_ptbxl_index
from mets_core.errors import DataError
from mets_core.index.format import PTBXL_TASKS
from mets_core.zeroshot.labels import task_labels

RECORD_SUFFIXES = (".hea", ".xml", ".dcm", ".scp", ".edf", ".zip")
PTBXL_DATASET = "PTB-XL"
CINC_DATASET = "CinC 2020/2021"


@dataclass(frozen=True)
class SourceFile:
    """One record file to index.

    Attributes:
        path: the file on disk.
        root: the indexed folder, as given (POSIX form).
        source_path: `path` relative to `root`.
        record_id: `source_path`, without the suffix for WFDB headers (their record name).
        meta: the index's label columns for this record (dataset, labels, report, ptbxl_*).
    """

    path: Path
    root: str
    source_path: str
    record_id: str
    meta: dict = field(default_factory=dict, hash=False)


def find_records(
    root: Path, suffixes: tuple[str, ...] = RECORD_SUFFIXES, only: set[str] | None = None
) -> list[SourceFile]:
    """Every record file under `root` (recursively, sorted), with its labels.

    Args:
        root: a folder, or a single record file.
        suffixes: lower-case file suffixes that count as records.
        only: keep only these source paths (relative to `root`, POSIX); None keeps all.

    Raises:
        DataError: when `root` does not exist.
    """
    root = Path(root)
    if not root.exists():
        raise DataError(f"Expected an archive folder or a record file at {root}; it is absent.")
    base = root.parent if root.is_file() else root
    candidates = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    found = []
    for path in candidates:
        relative = path.relative_to(base).as_posix()
        if path.suffix.lower() not in suffixes or (only is not None and relative not in only):
            continue
        record_id = relative[: -len(path.suffix)] if path.suffix.lower() == ".hea" else relative
        found.append(
            SourceFile(path, PurePosixPath(base).as_posix(), relative, record_id, describe(path))
        )
    return found


def describe(path: Path) -> dict:
    """The label columns of one record file: PTB-XL or CinC where recognised, else empty."""
    ptbxl = _ptbxl_meta(path)
    if ptbxl:
        return ptbxl
    if path.suffix.lower() == ".hea":
        codes = cinc_dx_codes(path)
        if codes:
            return {"dataset": CINC_DATASET, "labels": [f"SNOMED-CT {code}" for code in codes]}
    return {"labels": []}


def cinc_dx_codes(header: Path) -> list[str]:
    """SNOMED-CT codes of a CinC header's `#Dx:` line, in order, without repeats."""
    for line in header.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#Dx:"):
            codes = [code.strip() for code in line[4:].split(",") if code.strip()]
            return list(dict.fromkeys(codes))
    return []


def _ptbxl_meta(path: Path) -> dict:
    folder = _ptbxl_root(path.resolve().parent)
    if folder is None or path.suffix.lower() != ".hea":
        return {}
    rows = _ptbxl_rows(folder)
    row = rows.get(path.resolve().relative_to(folder).with_suffix("").as_posix())
    if row is None:
        return {}
    plain = task_labels()
    names = [plain[task].get(code, code) for task in PTBXL_TASKS for code in row.labels[task]]
    return {
        "dataset": PTBXL_DATASET,
        "labels": list(dict.fromkeys(names)),
        "report": row.report,
        "ptbxl_ecg_id": row.ecg_id,
        "ptbxl_strat_fold": row.strat_fold,
        **{f"ptbxl_{task}": list(row.labels[task]) for task in PTBXL_TASKS},
    }


@cache
def _ptbxl_root(folder: Path) -> Path | None:
    """The nearest folder at or above `folder` that holds PTB-XL's scp_statements.csv."""
    for candidate in (folder, *folder.parents):
        if (candidate / "scp_statements.csv").is_file():
            return candidate
    return None


@cache
def _ptbxl_rows(folder: Path) -> dict:
    """PTB-XL file name (no suffix, e.g. records100/00000/00001_lr) -> its index row."""
    index: PTBXLIndex = load_ptbxl_index(folder)
    by_file = {}
    for row in index.rows:
        by_file[row.filename_lr] = row
        if row.filename_hr:
            by_file[row.filename_hr] = row
    return by_file
