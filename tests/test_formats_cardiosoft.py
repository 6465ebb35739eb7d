"""GE CardioSoft XML (`<CardiologyXML>`, issue 7) on the real GPL-3.0 sample in ../shared.

The sample (CardioSoft V6.73, 12SL V21, UK Biobank style) is read from ../shared, never copied
into this repository; damaged variants are written to tmp_path. Besides shape, rate and scale,
the reader is checked against what the file states about itself: its 12SL median beats, its
beat times and its ventricular rate must agree with what METS computes from the strip read here.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from mets_core.errors import ECGInputError
from mets_core.io.readers.assemble import build_record
from mets_core.io.readers.cardiosoft_reader import is_cardiosoft_xml, read_cardiosoft_xml
from mets_core.io.readers.sniff import is_muse_xml, read_head
from mets_core.io.readers.xml_parse import children, parse_xml
from mets_core.leads import STANDARD_12_LEADS
from mets_core.signal.beats import consensus_r_peaks, median_beats
from mets_core.signal.measurements import measure_intervals

FORMATS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "formats"
SAMPLE = FORMATS / "ge-cardiosoft-xml" / "ecgprocess_example-XML1.xml"
MUSE_SAMPLES = sorted((FORMATS / "ge-muse-xml").glob("*.xml"))
needs_sample = pytest.mark.skipif(
    not SAMPLE.is_file(), reason=f"CardioSoft sample not found at {SAMPLE}"
)
MV_PER_DIGIT = 0.005  # the sample states Resolution 5 uVperLsb for the strip and the medians
FILE_MEASUREMENTS = (
    "ventricular rate (bpm)",
    "PR interval (ms)",
    "QRS duration (ms)",
    "QT interval (ms)",
    "QTc (ms)",
    "P axis (°)",
    "QRS axis (°)",
    "T axis (°)",
)


@pytest.fixture(scope="module")
def raw():
    if not SAMPLE.is_file():
        pytest.skip(f"CardioSoft sample not found at {SAMPLE}")
    return read_cardiosoft_xml(SAMPLE, None)


@pytest.fixture(scope="module")
def record(raw):
    return build_record(raw)


def _lead(record, name: str) -> np.ndarray:
    return record.signal[record.lead_names.index(name)].astype(np.float64)


def _best_correlation(beat: np.ndarray, longer: np.ndarray) -> float:
    """Largest Pearson r of `beat` against every equally long window of `longer`."""
    width = beat.size
    return max(
        float(np.corrcoef(beat, longer[start : start + width])[0, 1])
        for start in range(longer.size - width + 1)
    )


@needs_sample
def test_strip_is_read_as_12_stored_leads_at_500_hz_in_mv(raw, record):
    assert raw.channel_names == list(STANDARD_12_LEADS)  # the file's own labels and order
    assert raw.units == ["uV"] * 12 and raw.fs_hz == 500.0
    assert record.lead_names == STANDARD_12_LEADS and record.derived_leads == ()
    assert record.duration_s == pytest.approx(10.0)
    assert (
        raw.notes[0].startswith("read as GE CardioSoft XML (") and "12 stored leads" in raw.notes[0]
    )
    assert any("full-disclosure" in note and "not read" in note for note in raw.notes)
    digits = record.signal.astype(np.float64) / MV_PER_DIGIT
    assert np.allclose(digits, np.round(digits), atol=1e-2)  # whole 5 uV steps
    ptp_mv = np.percentile(record.signal, 99.5, axis=1) - np.percentile(record.signal, 0.5, axis=1)
    assert np.all((ptp_mv > 0.1) & (ptp_mv < 6.0))
    # all 12 leads are stored: Einthoven and Goldberger hold on the stored values (lead order)
    assert np.median(np.abs(_lead(record, "III") - _lead(record, "II") + _lead(record, "I"))) < 0.02
    avf = _lead(record, "aVF") - (_lead(record, "II") + _lead(record, "III")) / 2
    assert np.median(np.abs(avf)) < 0.02


@needs_sample
def test_file_median_beats_are_kept_beside_the_rhythm(record):
    beats = record.file_median_beats
    assert beats is not None and beats.description == "CardioSoft median beats"
    assert beats.lead_names == STANDARD_12_LEADS and beats.fs_hz == 500.0
    assert beats.signal.shape == (12, 600)
    assert record.signal.shape == (12, 5000)  # the rhythm is the strip, not the beats
    assert not np.allclose(beats.signal, record.signal[:, :600], atol=0.05)
    assert any(
        "median beats" in note and "never used as the rhythm" in note for note in record.notes
    )


@needs_sample
def test_file_median_beats_agree_with_a_median_computed_from_the_strip(record):
    ours = median_beats(record)  # (-0.25 s, +0.45 s) around each R-peak, neurokit-cleaned
    file_beats = record.file_median_beats
    correlations = {
        name: _best_correlation(ours[name], file_beats.signal[index].astype(np.float64))
        for index, name in enumerate(file_beats.lead_names)
    }
    # measured on the sample: 0.98 in lead II, 0.91 (aVL) to 0.98 over the leads; the beats at
    # half the rate (a wrong SampleRate) correlate at about 0.7
    assert correlations["II"] > 0.95
    assert np.median(list(correlations.values())) > 0.93
    # amplitude: ours is smaller because nk.ecg_clean smooths the QRS (about 0.7 of the file's
    # peak-to-peak here); a wrong Resolution (1 or 25 uV) would be off by a factor of 5
    ratios = [
        np.ptp(ours[name]) / np.ptp(file_beats.signal[i])
        for i, name in enumerate(STANDARD_12_LEADS)
    ]
    assert 0.5 < np.median(ratios) < 1.2


@needs_sample
def test_device_measurements_are_numeric_and_match_the_strip(raw, record):
    info = raw.file_info
    assert info["format"] == "GE CardioSoft XML"
    assert info["software version"].startswith("CardioSoft")
    values = {key: float(info[key]) for key in FILE_MEASUREMENTS}  # all present and numeric
    assert 30 <= values["ventricular rate (bpm)"] <= 200
    assert values["PR interval (ms)"] < values["QT interval (ms)"]
    assert 40 <= values["QRS duration (ms)"] <= 200
    assert all(-180 <= values[key] <= 270 for key in ("P axis (°)", "QRS axis (°)", "T axis (°)"))
    statements = info["diagnosis statements"]
    assert statements and "---" not in statements
    heart_rate = measure_intervals(record).get("Heart rate").value
    assert heart_rate == pytest.approx(values["ventricular rate (bpm)"], abs=3.0)
    beats_found = len(consensus_r_peaks(record))
    assert abs(beats_found - int(info["QRS complexes in the strip"])) <= 1


@needs_sample
def test_r_peaks_found_here_lie_at_the_beat_times_the_file_states(record):
    """StripData/ArrhythmiaResults lists the 12SL beat times (ms): a check on rate and timing."""
    results = parse_xml(SAMPLE, "GE CardioSoft").find("StripData/ArrhythmiaResults")
    stated_s = np.array([float(t.text) / 1000.0 for t in children(results, "Time")])
    found_s = consensus_r_peaks(record)
    assert stated_s.size >= 5 and found_s.size == stated_s.size
    assert np.max(np.abs(found_s - stated_s)) < 0.05


@needs_sample
def test_patient_identifiers_go_only_to_patient_fields(raw, record):
    fields = raw.patient_fields
    assert set(fields) == {"name", "patient ID", "birth date", "sex", "age"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", fields["birth date"])
    assert record.patient_fields == fields
    shown = " ".join([*record.notes, *record.file_info, *record.file_info.values()])
    shown += repr(raw) + repr(record)
    for value in fields.values():
        assert value not in shown


@needs_sample
def test_cardiosoft_and_muse_signatures_never_overlap():
    assert MUSE_SAMPLES, "GE MUSE samples not found"
    assert is_cardiosoft_xml(read_head(SAMPLE))
    assert not is_muse_xml(read_head(SAMPLE))
    for muse in MUSE_SAMPLES:
        assert is_muse_xml(read_head(muse)) and not is_cardiosoft_xml(read_head(muse))


@needs_sample
def test_parsing_takes_well_under_a_second():
    started = time.perf_counter()
    read_cardiosoft_xml(SAMPLE, None)
    assert time.perf_counter() - started < 1.0  # about 0.02 s on the development machine


@needs_sample
def test_entered_rate_is_ignored_with_a_note():
    notes = read_cardiosoft_xml(SAMPLE, 250.0).notes
    assert any("entered rate (250 Hz) was not used" in note for note in notes)


def _edited_copy(tmp_path: Path, pattern: str, replacement: str, count: int = 1) -> Path:
    """A copy of the sample with `pattern` (a regex) replaced; fails if it does not match."""
    text = SAMPLE.read_text(encoding="latin-1")
    edited, replaced = re.subn(pattern, replacement, text, count=count, flags=re.DOTALL)
    assert replaced == count
    path = tmp_path / "edited.xml"
    path.write_text(edited, encoding="latin-1")
    return path


_STRIP_II = r'(<StripData>.*?<WaveformData lead="II">\s*)'


@needs_sample
def test_truncated_copy_is_refused(tmp_path):
    path = tmp_path / "truncated.xml"
    path.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    with pytest.raises(ECGInputError, match="truncated"):
        read_cardiosoft_xml(path, None)


@needs_sample
@pytest.mark.parametrize(
    ("pattern", "replacement", "message"),
    [
        (_STRIP_II + r"-?\d+", r"\g<1>12a", r"lead II holds '12a' at sample 1, not a number"),
        (_STRIP_II + r"-?\d+,", r"\g<1>", r"unequal numbers of samples \(.*II 4999"),
        (r"(<StripData>.*?<SampleRate units=\"Hz\">)500", r"\g<1>fast", "SampleRate"),
        (r"(<StripData>.*?)<Resolution[^>]*>5</Resolution>", r"\g<1>", "no amplitude resolution"),
        (r"<StripData>.*</StripData>", "", r"no 10-s rhythm strip \(StripData\)"),
    ],
    ids=["non-numeric sample", "unequal lengths", "bad rate", "no resolution", "no strip"],
)
def test_damaged_copies_are_refused_with_a_clear_message(
    raw, tmp_path, pattern, replacement, message
):
    path = _edited_copy(tmp_path, pattern, replacement)
    with pytest.raises(ECGInputError, match=message) as caught:
        read_cardiosoft_xml(path, None)
    assert "Export the" in str(caught.value) or "expected" in str(caught.value)
    assert not any(value in str(caught.value) for value in raw.patient_fields.values())


@needs_sample
def test_damaged_median_beats_leave_the_rhythm_readable(tmp_path):
    path = _edited_copy(tmp_path, r'(<MedianSamples>.*?<WaveformData lead="V1">\s*)-?\d+', r"\1x")
    raw = read_cardiosoft_xml(path, None)
    assert raw.median_beats is None and raw.signal.shape == (12, 5000)
    assert any("median beats" in note and "not read" in note for note in raw.notes)
