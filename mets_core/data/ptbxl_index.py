"""PTB-XL metadata index: one row per usable record, from the full release or the local copy.

Works unchanged on the full PhysioNet release (`ptbxl_database.csv` with 21,837 rows) and on the
partial local copy (`../shared/data/ptb-xl`: 732 original rows plus MERL label tables under
`derived/merl_splits`). A row of `ptbxl_database.csv` wins where both exist; its labels are
derived from its SCP codes (see `ptbxl_labels`), and its strat_fold must agree with MERL's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mets_core.data.ptbxl_labels import (
    CodeMap,
    MERLTables,
    build_code_map,
    derive_labels,
    load_scp_statements,
    read_merl_tables,
)
from mets_core.errors import DataError

SOURCE_DATABASE = "ptbxl_database"  # row, report and SCP codes from ptbxl_database.csv
SOURCE_MERL = "merl_splits"  # only ids, fold and labels from derived/merl_splits


@dataclass(frozen=True)
class PTBXLRow:
    """One usable PTB-XL record.

    Attributes:
        ecg_id: PTB-XL record id.
        patient_id: PTB-XL patient id (several records may share one).
        strat_fold: 1-10, patient-stratified fold of the official release.
        filename_lr: 100 Hz WFDB record path relative to the PTB-XL folder (no extension).
        filename_hr: 500 Hz record path, or None where the 500 Hz files are absent.
        report: the original free-text report (German, English or Swedish), or None.
        scp_codes: SCP code -> likelihood (0-100), or None where only MERL labels exist.
        labels: task ("superclass", "subclass", "form", "rhythm") -> class names.
        source: `SOURCE_DATABASE` or `SOURCE_MERL`.
    """

    ecg_id: int
    patient_id: int
    strat_fold: int
    filename_lr: str
    filename_hr: str | None
    report: str | None
    scp_codes: dict[str, float] | None = field(hash=False)
    labels: dict[str, tuple[str, ...]] = field(hash=False)
    source: str = SOURCE_DATABASE


@dataclass(frozen=True)
class PTBXLIndex:
    """All usable records of a PTB-XL folder, sorted by ecg_id.

    Attributes:
        root: the PTB-XL folder.
        rows: one `PTBXLRow` per record with a 100 Hz waveform and a fold.
        notes: what was left out and why, in plain words.
    """

    root: Path
    rows: tuple[PTBXLRow, ...]
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[PTBXLRow]:
        return iter(self.rows)

    def row(self, ecg_id: int) -> PTBXLRow:
        """Return the row of one ecg_id; raise DataError if the record is not in the index."""
        for candidate in self.rows:
            if candidate.ecg_id == ecg_id:
                return candidate
        raise DataError(f"ECG {ecg_id} is not in the PTB-XL index of {self.root}.")

    def to_frame(self) -> pd.DataFrame:
        """One DataFrame row per record; label columns hold tuples of class names."""
        records = []
        for r in self.rows:
            base = {k: getattr(r, k) for k in ("ecg_id", "patient_id", "strat_fold", "source")}
            base.update(filename_lr=r.filename_lr, filename_hr=r.filename_hr, report=r.report)
            records.append({**base, "scp_codes": r.scp_codes, **r.labels})
        return pd.DataFrame.from_records(records)


def _has_record(root: Path, filename: object) -> bool:
    return isinstance(filename, str) and (root / f"{filename}.hea").is_file()


def _clean_report(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _database_rows(root: Path, code_map: CodeMap) -> list[PTBXLRow]:
    path = root / "ptbxl_database.csv"
    if not path.is_file():
        return []
    table = pd.read_csv(path)
    missing = {"ecg_id", "patient_id", "strat_fold", "scp_codes", "filename_lr"} - set(table)
    if missing:
        raise DataError(f"{path} lacks the columns {', '.join(sorted(missing))}.")
    rows = []
    for rec in table.to_dict("records"):
        codes = {str(k): float(v) for k, v in ast.literal_eval(rec["scp_codes"]).items()}
        rows.append(_make_row(root, rec, _clean_report(rec.get("report")), codes, code_map))
    return rows


def _make_row(
    root: Path, rec: dict, report: str | None, codes: dict[str, float] | None, labels: object
) -> PTBXLRow:
    """Build a row from a metadata record; `labels` is a CodeMap (database) or MERLTables."""
    ecg_id = int(rec["ecg_id"])
    hr = rec.get("filename_hr")
    if isinstance(labels, MERLTables):
        label_sets, source = labels.labels_of(ecg_id), SOURCE_MERL
    else:
        label_sets, source = derive_labels(codes or {}, labels), SOURCE_DATABASE  # type: ignore[arg-type]
    return PTBXLRow(
        ecg_id=ecg_id,
        patient_id=int(rec["patient_id"]),
        strat_fold=int(rec["strat_fold"]),
        filename_lr=str(rec["filename_lr"]),
        filename_hr=hr if _has_record(root, hr) else None,
        report=report,
        scp_codes=codes,
        labels=label_sets,
        source=source,
    )


def _merl_rows(root: Path, tables: MERLTables | None, skip: set[int]) -> list[PTBXLRow]:
    if tables is None:
        return []
    records = tables.meta.to_dict("records")
    return [_make_row(root, r, None, None, tables) for r in records if r["ecg_id"] not in skip]


def _check_folds_agree(db_rows: list[PTBXLRow], tables: MERLTables | None) -> None:
    if tables is None:
        return
    folds = dict(
        zip(tables.meta["ecg_id"].astype(int), tables.meta["strat_fold"].astype(int), strict=True)
    )
    for r in db_rows:
        if r.ecg_id in folds and folds[r.ecg_id] != r.strat_fold:
            raise DataError(
                f"ECG {r.ecg_id}: ptbxl_database.csv says fold {r.strat_fold}, the MERL table "
                f"says fold {folds[r.ecg_id]}; refusing to guess the split."
            )


def load_ptbxl_index(root: Path) -> PTBXLIndex:
    """Read PTB-XL metadata and labels from a folder (full release or the partial local copy).

    Args:
        root: folder with `scp_statements.csv`, `records100/` and `ptbxl_database.csv` and/or
            `derived/merl_splits/ptbxl_*_ids*.csv`.

    Returns:
        The index of every record that has a fold and a 100 Hz waveform, sorted by ecg_id.

    Raises:
        DataError: when the folder lacks the statement table, has neither metadata source,
            has no 100 Hz waveforms, or when the two sources disagree on a record's fold.

    Example:
        >>> index = load_ptbxl_index(Path("../shared/data/ptb-xl"))  # doctest: +SKIP
        >>> len(split_ids(index, "val"))  # doctest: +SKIP
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"Expected a PTB-XL folder at {root}; it does not exist.")
    code_map = build_code_map(load_scp_statements(root))
    tables = read_merl_tables(root)
    db_rows = _database_rows(root, code_map)
    if not db_rows and tables is None:
        raise DataError(
            f"{root} has neither ptbxl_database.csv nor derived/merl_splits tables; expected the "
            "PTB-XL release layout (ptbxl_database.csv, scp_statements.csv, records100/)."
        )
    _check_folds_agree(db_rows, tables)
    rows = db_rows + _merl_rows(root, tables, {r.ecg_id for r in db_rows})
    usable = sorted((r for r in rows if _has_record(root, r.filename_lr)), key=lambda r: r.ecg_id)
    if not usable:
        raise DataError(f"No 100 Hz records (records100/*.hea) found under {root}.")
    notes = []
    if len(usable) < len(rows):
        notes.append(f"{len(rows) - len(usable)} listed records lack a 100 Hz waveform; left out.")
    return PTBXLIndex(root=root, rows=tuple(usable), notes=tuple(notes))
