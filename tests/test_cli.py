"""The `mets` command on real records from ../shared/data (rank, info) and its error path."""

from __future__ import annotations

import json

import pytest
from conftest import SHARED_DATA

from mets_core.cli import main

PTBXL_RECORD = SHARED_DATA / "ptb-xl" / "records100" / "00000" / "00001_lr.hea"
MITBIH_RECORD = SHARED_DATA / "mit-bih" / "100.hea"
needs_data = pytest.mark.skipif(not PTBXL_RECORD.exists(), reason="../shared/data is absent")


def _rank_json(capsys, record, weights):
    code = main(
        [
            "rank",
            str(record),
            "-c",
            "atrial fibrillation",
            "-c",
            "sinus rhythm",
            "--weights",
            str(weights),
            "--device",
            "cpu",
            "--json",
        ]
    )
    assert code == 0
    return json.loads(capsys.readouterr().out)


@needs_data
def test_rank_ptbxl_record_prints_sorted_json(capsys, tiny_weights):
    out = _rank_json(capsys, PTBXL_RECORD, tiny_weights)
    assert [r["candidate"] for r in out["ranking"]] != []
    cosines = [r["cosine"] for r in out["ranking"]]
    assert cosines == sorted(cosines, reverse=True)
    assert {"candidate", "cosine", "probability"} <= set(out["ranking"][0])
    assert out["device"] == "CPU" and out["weights"]["sha256"]
    assert out["weights"]["status"] == "random-init"


@needs_data
def test_rank_mitbih_record_notes_resampling_and_missing_leads(capsys, tiny_weights):
    out = _rank_json(capsys, MITBIH_RECORD, tiny_weights)
    notes = " ".join(out["notes"])
    assert "360 Hz -> 100 Hz" in notes and "missing leads" in notes and "MLII" in notes


MUSE_XML = SHARED_DATA / "formats" / "ge-muse-xml" / "egm_muse-sinus.xml"


@pytest.mark.skipif(not MUSE_XML.exists(), reason=f"sample absent: {MUSE_XML}")
def test_rank_states_the_device_values_but_no_patient_data(capsys, tiny_weights):
    out = _rank_json(capsys, MUSE_XML, tiny_weights)
    assert out["file_states"]["ventricular rate (bpm)"] == "90"
    assert "Normal Sinus rhythm" in out["file_states"]["diagnosis statements"]
    assert "DOE" not in json.dumps(out) and "081486213" not in json.dumps(out)


def test_info_reports_weights_text_model_and_versions(capsys, tiny_weights):
    assert main(["info", "--weights", str(tiny_weights), "--device", "cpu", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["weights"]["sha256"] and info["weights"]["status"] == "random-init"
    assert info["text_model"]["model_id"] and info["versions"]["torch"]
    assert info["device"] == "CPU"


def test_bad_input_gives_a_message_not_a_traceback(capsys, tiny_weights, tmp_path):
    empty = tmp_path / "empty.hea"
    empty.write_bytes(b"")
    code = main(["rank", str(empty), "-c", "sinus rhythm", "--weights", str(tiny_weights)])
    assert code == 2
    assert "mets:" in capsys.readouterr().err
