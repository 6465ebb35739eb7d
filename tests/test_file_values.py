"""What a file states about itself: median beats, device measurements, statements, patient fields.

Checked on the real GE MUSE sample (GPL-3.0, read from ../shared, never copied), through the
same `load_record` the app and CLI use, and in the app with AppTest.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import mets_core
from mets_core.app import exports, keys, session
from mets_core.io.readers.assemble import build_record
from mets_core.io.readers.raw import RawMedianBeats, RawRecording
from mets_core.signal import beats, file_values, measurements

REPO = Path(__file__).resolve().parents[1]
FORMATS = REPO.parent / "shared" / "data" / "formats"
MUSE = FORMATS / "ge-muse-xml" / "egm_muse-sinus.xml"
pytestmark = pytest.mark.skipif(not MUSE.exists(), reason=f"sample absent: {MUSE}")


@pytest.fixture(scope="module")
def muse() -> mets_core.ECGRecord:
    return mets_core.load_record(MUSE)


def _stated(rows: list[dict[str, str]], name: str) -> tuple[float, float]:
    row = next(row for row in rows if row["measurement"] == name)
    return float(row["computed here"].split()[0].rstrip("°")), float(
        row["stated by the file"].split()[0].rstrip("°")
    )


def test_device_values_sit_beside_computed_ones_and_agree(muse: mets_core.ECGRecord) -> None:
    rows = file_values.side_by_side(measurements.measure_intervals(muse), muse.file_info)
    tolerance = {"Heart rate": 3.0, "PR": 20.0, "QRS": 20.0, "QRS axis (frontal)": 20.0}
    for name, allowed in tolerance.items():
        computed, stated = _stated(rows, name)
        assert abs(computed - stated) <= allowed, (name, computed, stated)
    device_only = {row["measurement"] for row in rows if row["computed here"] == "—"}
    assert {"P axis", "T axis"} <= device_only
    # the device's QTc sits on the row of ours (issue 15 item 7), its formula flagged as unknown
    qtc = next(row for row in rows if row["measurement"] == "QTc (Bazett)")
    assert qtc["stated by the file"].startswith(muse.file_info["QTc (ms)"])
    assert "formula" in qtc["stated by the file"] and "QTc" not in device_only


def test_statements_split_per_printed_line_and_facts_exclude_them(
    muse: mets_core.ECGRecord,
) -> None:
    lines = file_values.file_statements(muse.file_info)
    assert lines[0] == "Normal Sinus rhythm"
    assert "Anterior infarct, age undetermined" in lines  # a fragment joined to its line
    facts = file_values.file_facts(muse.file_info)
    assert facts["format"] == "GE MUSE XML"
    assert not set(facts) & (set(file_values.FILE_MEASUREMENTS) | {"diagnosis statements"})


def test_median_beats_are_kept_apart_from_the_rhythm(muse: mets_core.ECGRecord) -> None:
    beats = muse.file_median_beats
    assert beats is not None and beats.lead_names == muse.lead_names
    assert beats.signal.shape == (12, 600) and muse.signal.shape == (12, 5000)
    assert set(beats.derived_leads) == {"III", "aVR", "aVL", "aVF"}  # 8 stored, as the rhythm
    computed = measurements.median_beats(muse)["II"]
    stored = beats.signal[beats.lead_names.index("II")]
    lag = int(np.argmax(stored)) - int(np.argmax(computed))  # align the R-peaks
    overlap = stored[max(lag, 0) : max(lag, 0) + computed.size - max(-lag, 0)]
    part = computed[max(-lag, 0) : max(-lag, 0) + overlap.size]
    assert np.corrcoef(overlap, part)[0, 1] > 0.9
    assert any("median beats" in note and "never used as the rhythm" in note for note in muse.notes)


@pytest.mark.parametrize(
    "relative",
    [
        "ge-muse-xml/egm_muse-sinus.xml",
        "ge-cardiosoft-xml/ecgprocess_example-XML1.xml",
        "hl7-aecg/hl7_example_aECG.xml",
        "dicom-ecg/pydicom_waveform_ecg.dcm",
    ],
)
def test_our_median_beats_keep_the_qrs_height_the_device_measured(relative: str) -> None:
    # A low-pass hidden in the cleaning (NeuroKit's powerline moving average) shrinks these by
    # 15-35 %; the device's own median beats are the reference for amplitude.
    record = mets_core.load_record(FORMATS / relative)
    stored = record.file_median_beats
    ours = measurements.median_beats(record, clean_method=beats.AMPLITUDE_CLEAN_METHOD)
    ratios = [
        np.ptp(ours[lead]) / np.ptp(stored.signal[i])
        for i, lead in enumerate(stored.lead_names)
        if np.ptp(stored.signal[i]) > 0.5
    ]
    assert len(ratios) >= 4 and 0.9 < float(np.median(ratios)) < 1.1, ratios


def test_unreadable_median_beats_leave_the_rhythm_intact() -> None:
    rhythm = np.sin(np.linspace(0, 60, 5000))[None] * 1000.0
    beats = RawMedianBeats(np.ones((1, 600)), 500.0, ["pulse oximeter"], ["uV"], "test beats")
    raw = RawRecording(rhythm, 500.0, ["II"], ["uV"], "x.xml", median_beats=beats)
    record = build_record(raw)
    assert record.file_median_beats is None and record.n_samples == 5000
    assert any("median beats stored in the file were not used" in note for note in record.notes)


def test_patient_fields_are_read_but_never_leak(muse: mets_core.ECGRecord) -> None:
    assert muse.patient_fields["name"] == "DOE, JOHN" and muse.patient_fields["patient ID"]
    leaks = [value for value in muse.patient_fields.values() if len(value) > 3]
    summary = " ".join(exports.record_summary(muse).values())
    for place in (repr(muse), " ".join(muse.notes), str(muse.file_info), summary):
        assert not [value for value in leaks if value in place]


def _signal_view(record: mets_core.ECGRecord) -> AppTest:
    at = AppTest.from_file(str(REPO / "pages" / "3_Signal_View.py"), default_timeout=30)
    at.session_state[session.KEY_RECORD] = record
    return at.run()


def test_signal_view_offers_the_file_median_beats(muse: mets_core.ECGRecord) -> None:
    at = _signal_view(muse)
    assert not at.exception, at.exception
    at.radio(key=keys.W_MEDIAN_SOURCE).set_value("Stored in the file").run()
    assert not at.exception and not at.error
    table = next(df.value for df in at.dataframe if "stated by the file" in df.value.columns)
    assert (table["stated by the file"] != "—").sum() >= 5
    plain = _signal_view(replace(muse, file_median_beats=None))
    assert not [radio for radio in plain.radio if radio.key == keys.W_MEDIAN_SOURCE]


def test_load_page_hides_the_patient_until_asked(muse: mets_core.ECGRecord) -> None:
    at = AppTest.from_file(str(REPO / "pages" / "1_Load_ECG.py"), default_timeout=30)
    at.session_state[session.KEY_RECORD] = muse
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(str(table.value) for table in at.table)
    assert "DOE" not in shown and "Normal Sinus rhythm" in " ".join(m.value for m in at.markdown)
    at.toggle(key=keys.W_SHOW_PATIENT).set_value(True).run()
    assert "DOE" in " ".join(str(table.value) for table in at.table)


def test_intervals_computed_here_agree_with_the_devices_across_all_samples() -> None:
    # The devices' algorithms are a reference, not truth: bound the typical (median) difference
    # over every sample that states values, so a detection or cleaning change that shifts
    # intervals (as the amplitude-keeping cleaning did: QRS 20 ms, QT 42 ms) fails here.
    found: dict[str, list[float]] = {}
    for path in sorted(p for p in FORMATS.rglob("*") if p.suffix.lower() in (".xml", ".dcm")):
        record = mets_core.load_record(path)
        stated = file_values.differences(measurements.measure_intervals(record), record.file_info)
        for name, difference in stated.items():
            found.setdefault(name, []).append(abs(difference))
    bounds = {"Heart rate": 3.0, "PR": 15.0, "QRS": 15.0, "QT": 35.0, "QRS axis (frontal)": 10.0}
    for name, bound in bounds.items():
        assert len(found[name]) >= 10 and float(np.median(found[name])) <= bound, (name, found)


def test_every_shared_device_key_has_a_unit_rule() -> None:
    # Readers file device values under the keys of device_measurements; the side-by-side table
    # looks them up by the same keys, so a key missing there would silently show "—".
    from mets_core.io.readers.device_measurements import MEASUREMENT_KINDS

    assert set(file_values.FILE_MEASUREMENTS) <= set(MEASUREMENT_KINDS)
