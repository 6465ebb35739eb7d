"""PTB-XL label sets: task class lists (as in MERL) and labels derived from SCP statements.

Labels are derived exactly as helme/ecg_ptbxl_benchmarking `compute_label_aggregations` does:
every SCP code of a record counts, whatever its likelihood (0 included);
superclass = `diagnostic_class` and subclass = `diagnostic_subclass` of the codes with
`diagnostic == 1`; form and rhythm = the codes themselves with `form == 1` / `rhythm == 1`.
MERL (ICML 2024) then strips leading/trailing underscores from names ("NST_" -> "NST",
"_AVB" -> "AVB") and keeps classes seen in the full release; we use its class lists so that
numbers compare with MERL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mets_core.errors import DataError

TASKS: tuple[str, ...] = ("superclass", "subclass", "form", "rhythm")

# Class lists in the column order of MERL's `ptbxl_*_ids*.csv` tables (derived/merl_splits).
TASK_CLASSES: dict[str, tuple[str, ...]] = {
    "superclass": ("HYP", "NORM", "MI", "CD", "STTC"),
    "subclass": (
        "AMI",
        "LAFB/LPFB",
        "LVH",
        "STTC",
        "IMI",
        "SEHYP",
        "CRBBB",
        "WPW",
        "LAO/LAE",
        "NORM",
        "AVB",
        "RAO/RAE",
        "ISC",
        "LMI",
        "ISCI",
        "ISCA",
        "NST",
        "CLBBB",
        "ILBBB",
        "IRBBB",
        "PMI",
        "RVH",
        "IVCD",
    ),
    "form": (
        "PAC",
        "DIG",
        "HVOLT",
        "STD",
        "LPR",
        "QWAVE",
        "VCLVH",
        "NDT",
        "TAB",
        "LOWT",
        "ABQRS",
        "LNGQT",
        "PRC(S)",
        "NT",
        "STE",
        "NST",
        "PVC",
        "INVT",
        "LVOLT",
    ),
    "rhythm": (
        "SVARR",
        "BIGU",
        "STACH",
        "SARRH",
        "SBRAD",
        "TRIGU",
        "AFIB",
        "SR",
        "SVTAC",
        "PSVT",
        "AFLT",
        "PACE",
    ),
}

# MERL table file name per task (derived/merl_splits/ptbxl_<name>_ids1-1999.csv in the local copy).
MERL_TABLE_NAMES: dict[str, str] = {
    "superclass": "super_class",
    "subclass": "sub_class",
    "form": "form",
    "rhythm": "rhythm",
}


def load_scp_statements(root: Path) -> pd.DataFrame:
    """Read `scp_statements.csv` (index = SCP code) from a PTB-XL folder.

    Args:
        root: the PTB-XL folder.

    Returns:
        DataFrame indexed by SCP code with at least `description`, `diagnostic`, `form`,
        `rhythm`, `diagnostic_class`, `diagnostic_subclass`.

    Raises:
        DataError: when the file is missing or lacks these columns.
    """
    path = Path(root) / "scp_statements.csv"
    if not path.is_file():
        raise DataError(
            f"Expected the PTB-XL statement table {path}; it is missing. Download the full "
            "release with `mets download-ptbxl DEST`."
        )
    table = pd.read_csv(path, index_col=0)
    needed = {"description", "diagnostic", "form", "rhythm", "diagnostic_class"}
    missing = needed.union({"diagnostic_subclass"}) - set(table.columns)
    if missing:
        raise DataError(f"{path} lacks the columns {', '.join(sorted(missing))}.")
    return table


def merl_name(code: str) -> str:
    """MERL's class name for a PTB-XL code or subclass ("NST_" -> "NST", "_AVB" -> "AVB")."""
    return code.strip("_")


# SCP code -> (superclass, subclass, form name, rhythm name); None where the code has no such role.
CodeMap = dict[str, tuple[str | None, str | None, str | None, str | None]]


def _text_or_none(value: object) -> str | None:
    return merl_name(value) if isinstance(value, str) else None


def build_code_map(statements: pd.DataFrame) -> CodeMap:
    """Turn the statement table into a code -> task-class lookup (see `derive_labels`)."""
    code_map: CodeMap = {}
    for code, entry in statements.iterrows():
        diagnostic = entry["diagnostic"] == 1
        code_map[str(code)] = (
            _text_or_none(entry["diagnostic_class"]) if diagnostic else None,
            _text_or_none(entry["diagnostic_subclass"]) if diagnostic else None,
            merl_name(str(code)) if entry["form"] == 1 else None,
            merl_name(str(code)) if entry["rhythm"] == 1 else None,
        )
    return code_map


def derive_labels(scp_codes: Mapping[str, float], code_map: CodeMap) -> dict[str, tuple[str, ...]]:
    """Label sets of one record for every task, from its SCP codes.

    Args:
        scp_codes: code -> likelihood (0-100) as in `ptbxl_database.csv`; likelihoods are ignored.
        code_map: `build_code_map(load_scp_statements(root))`.

    Returns:
        task -> tuple of class names (order of `TASK_CLASSES[task]`), restricted to the task's
        class list; codes unknown to the statement table are ignored (as in the benchmark code).
    """
    found: set[tuple[str, str]] = set()
    for code in scp_codes:
        for task, name in zip(TASKS, code_map.get(code, (None,) * len(TASKS)), strict=True):
            if name is not None:
                found.add((task, name))
    return {task: tuple(c for c in TASK_CLASSES[task] if (task, c) in found) for task in TASKS}


MERL_META_COLUMNS = ("ecg_id", "patient_id", "strat_fold", "filename_lr", "filename_hr")


@dataclass(frozen=True)
class MERLTables:
    """The MERL label tables of a PTB-XL folder.

    Attributes:
        meta: one row per ecg_id with `MERL_META_COLUMNS`.
        labels: task -> ecg_id -> class names; a record absent from a task's table has none.
    """

    meta: pd.DataFrame
    labels: dict[str, dict[int, tuple[str, ...]]]

    def labels_of(self, ecg_id: int) -> dict[str, tuple[str, ...]]:
        """Label sets of one record for every task."""
        return {task: self.labels.get(task, {}).get(ecg_id, ()) for task in TASKS}


def _multi_hot_to_sets(table: pd.DataFrame, task: str) -> dict[int, tuple[str, ...]]:
    classes = TASK_CLASSES[task]
    hot = table[list(classes)].to_numpy() == 1
    return {
        int(i): tuple(c for c, on in zip(classes, row, strict=True) if on)
        for i, row in zip(table["ecg_id"], hot, strict=True)
    }


def read_merl_tables(root: Path) -> MERLTables | None:
    """Read the MERL label tables under `root/derived/merl_splits`, if present.

    Args:
        root: the PTB-XL folder.

    Returns:
        The tables, or None when the folder has none (e.g. the full PhysioNet release).

    Raises:
        DataError: when a table lacks a class column, or tables disagree on a record's
            patient, fold or file.
    """
    folder = Path(root) / "derived" / "merl_splits"
    metas, labels = [], {}
    for task, name in MERL_TABLE_NAMES.items():
        paths = sorted(folder.glob(f"ptbxl_{name}_ids*.csv"))
        if not paths:
            continue
        table = pd.concat([pd.read_csv(p) for p in paths]).drop_duplicates("ecg_id")
        missing = [c for c in (*MERL_META_COLUMNS, *TASK_CLASSES[task]) if c not in table]
        if missing:
            raise DataError(f"MERL table {paths[0]} lacks the columns {', '.join(missing)}.")
        labels[task] = _multi_hot_to_sets(table, task)
        metas.append(table[list(MERL_META_COLUMNS)])
    if not metas:
        return None
    meta = pd.concat(metas).drop_duplicates()
    if meta["ecg_id"].duplicated().any():
        bad = sorted(meta.loc[meta["ecg_id"].duplicated(), "ecg_id"].tolist())[:5]
        raise DataError(f"MERL tables disagree on patient, fold or file of ECGs {bad}.")
    return MERLTables(meta=meta.sort_values("ecg_id").reset_index(drop=True), labels=labels)
