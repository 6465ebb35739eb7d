"""cinc-external: Georgia headers load, the SNOMED table covers the data, AUROC from `rank`."""

from __future__ import annotations

from pathlib import Path

import neurokit2 as nk
import numpy as np
import pytest
import scipy.io

from mets_core import load_record
from mets_core.data.cinc_snomed import (
    NAMES_OUTSIDE_TASKS,
    SHARED_CLASSES,
    SNOMED_CODES,
    read_dx_codes,
    scp_codes,
    unmapped_codes,
)
from mets_core.data.ptbxl_labels import TASK_CLASSES
from mets_core.errors import ECGInputError, METSError
from mets_core.evaluate.external import (
    ExternalRecord,
    candidate_names,
    evaluate_external,
    external_results,
)
from mets_core.leads import STANDARD_12_LEADS
from mets_core.zeroshot.labels import class_names

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CINC = SHARED / "cinc-external"
needs_cinc = pytest.mark.skipif(not CINC.is_dir(), reason=f"cinc-external data not found at {CINC}")
FS_HZ = 500


def _write_cinc(folder: Path, name: str, record_line_name: str, dx: str = "426783006") -> Path:
    """A CinC-style `.hea` + MATLAB v4 `.mat` (1000 units/mV); the record line names `name`."""
    beat = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, method="simple", random_state=1)
    gains = np.linspace(0.3, 1.5, len(STANDARD_12_LEADS))[:, None]
    val = np.round(gains * beat[None] * 1000).astype(np.int16)
    scipy.io.savemat(folder / f"{name}.mat", {"val": val}, format="4")
    lines = [f"{record_line_name} 12 {FS_HZ} {val.shape[1]} 05-May-2020 14:50:55"]
    lines += [
        f"{name}.mat 16+24 1000/mV 16 0 {v[0]} 0 0 {lead}"
        for v, lead in zip(val, STANDARD_12_LEADS, strict=True)
    ]
    (folder / f"{name}.hea").write_text("\n".join([*lines, "#Age: 60", f"#Dx: {dx}"]) + "\n")
    return folder / f"{name}.hea"


def test_header_naming_the_record_with_its_extension_reads_like_the_plain_form(tmp_path):
    plain = load_record(_write_cinc(tmp_path, "E00001", "E00001"))
    georgia_folder = tmp_path / "georgia"
    georgia_folder.mkdir()
    georgia = load_record(_write_cinc(georgia_folder, "E00001", "E00001.mat"))
    np.testing.assert_array_equal(georgia.signal, plain.signal)
    assert georgia.lead_names == plain.lead_names and georgia.fs_hz == plain.fs_hz
    assert any("E00001.mat" in note and "read as 'E00001'" in note for note in georgia.notes)
    assert not any("extension" in note for note in plain.notes)


def test_a_broken_record_line_still_gets_a_plain_message(tmp_path):
    header = _write_cinc(tmp_path, "E00002", "E00002.mat")
    lines = header.read_text().splitlines()
    header.write_text("\n".join(["E00002.mat twelve leads", *lines[1:]]) + "\n")
    with pytest.raises(ECGInputError, match="not a valid WFDB header"):
        load_record(header)


@pytest.mark.slow
@needs_cinc
def test_every_cinc_external_record_loads_or_says_why():
    headers = sorted(CINC.glob("*.hea"))
    named_with_extension = [h for h in headers if h.read_text().split()[0].endswith(".mat")]
    assert len(named_with_extension) >= 13  # the Georgia quirk of the data's README
    failures = {}
    for header in headers:
        try:
            record = load_record(header)
        except METSError as error:  # a plain reason, never a traceback
            assert str(error).strip()
            failures[header.name] = str(error)
            continue
        assert record.n_leads >= 1 and record.duration_s > 0
    assert not {h.name for h in named_with_extension} & set(failures)
    assert len(failures) < len(headers) / 10, failures


@needs_cinc
def test_snomed_table_covers_every_code_of_the_data_or_lists_it_as_unmapped():
    codes = {code for header in CINC.glob("*.hea") for code in read_dx_codes(header)}
    assert codes
    unknown = set(unmapped_codes(sorted(codes)))
    assert codes == (codes & set(SNOMED_CODES)) | unknown  # every code: named or listed
    assert not unknown, f"codes of the data missing from the table: {sorted(unknown)}"
    rhythm = set(TASK_CLASSES["rhythm"])
    rhythm_codes = {c for c in codes if SNOMED_CODES[c].scp_code in rhythm}
    assert {"164889003", "426783006", "426177001", "427084000", "164890007"} <= rhythm_codes


def test_unknown_codes_are_listed_and_map_to_nothing():
    assert unmapped_codes(["164889003", "999999", "999999"]) == ["999999"]
    assert scp_codes(["164889003", "999999", "428750005"]) == {"AFIB"}


def test_every_mapped_code_is_a_ptbxl_statement_with_a_name_to_rank():
    ptbxl_codes = {c for codes in TASK_CLASSES.values() for c in codes} | set(NAMES_OUTSIDE_TASKS)
    mapped = {entry.scp_code for entry in SNOMED_CODES.values() if entry.scp_code}
    assert mapped <= ptbxl_codes
    assert set(SHARED_CLASSES) <= mapped
    names = candidate_names()
    assert set(SHARED_CLASSES) | set(TASK_CLASSES["rhythm"]) == set(names)
    assert [names[c] for c in TASK_CLASSES["rhythm"]] == class_names("rhythm")  # one wording
    assert len(set(names.values())) == len(names)


@needs_cinc
def test_mapped_scp_codes_exist_in_the_ptbxl_statement_table():
    import pandas as pd

    statements = SHARED / "ptb-xl" / "scp_statements.csv"
    if not statements.is_file():
        pytest.skip("no scp_statements.csv")
    known = set(pd.read_csv(statements, index_col=0).index)
    mapped = {entry.scp_code for entry in SNOMED_CODES.values() if entry.scp_code}
    assert mapped <= known


def _record(name: str, *codes: str) -> ExternalRecord:
    return ExternalRecord(Path(f"{name}.hea"), frozenset(codes), ())


def test_auroc_follows_the_scores_and_records_without_rhythm_stay_out_of_the_rhythm_table():
    records = [
        _record("A1", "AFIB", "CRBBB"),
        _record("A2", "SR"),
        _record("E3", "SR", "PAC"),
        _record("JS4", "AFIB"),
        _record("S5", "LVH"),  # no rhythm code: out of the rhythm table, in the shared one
        _record("Q6", "SBRAD", "CRBBB"),
    ]
    columns = list(candidate_names())
    truth = np.array([[c in r.scp for c in columns] for r in records], float)
    perfect = external_results(records, truth + 0.01 * np.arange(len(columns)), 0)
    assert perfect["rhythm"]["n_records"] == 5 and perfect["shared"]["n_records"] == 6
    assert perfect["af"]["macro_auroc"] == 1.0 and perfect["rhythm"]["macro_auroc"] == 1.0
    assert perfect["shared"]["per_class"]["CRBBB"] == 1.0
    assert "AFLT" in perfect["rhythm"]["skipped"]  # no positive: listed, not averaged
    inverted = external_results(records, -truth, 0)
    assert inverted["af"]["macro_auroc"] == 0.0
    assert perfect["n_records_by_site"]["Georgia"] == 1
    assert perfect["n_records_by_site"]["Chapman-Shaoxing/Ningbo"] == 1


@pytest.mark.slow
def test_unreadable_records_are_listed_with_their_reason(tmp_path, tiny_model):
    _write_cinc(tmp_path, "E00001", "E00001.mat", dx="164889003,59118001")
    _write_cinc(tmp_path, "A0002", "A0002", dx="426783006,999999")
    broken = _write_cinc(tmp_path, "A0003", "A0003")
    broken.with_suffix(".mat").unlink()
    result = evaluate_external(tiny_model, tmp_path, n_resamples=0)
    assert result["n_records"] == 3 and result["unknown_snomed_codes"] == ["999999"]
    assert [u["record"] for u in result["unreadable"]] == ["A0003.hea"]
    assert "missing" in result["unreadable"][0]["reason"]
    assert result["rhythm"]["n_records"] == 2 and result["af"]["n_positive"] == {"AFIB": 1}
    assert result["template"] == tiny_model.config.zero_shot_template
