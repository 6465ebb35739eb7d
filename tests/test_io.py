"""load_record on every format: real PTB-XL / MIT-BIH records, and files written in tmp_path."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import edfio
import neurokit2 as nk
import numpy as np
import pytest
import scipy.io
import wfdb

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record, load_record_from_uploads
from mets_core.leads import STANDARD_12_LEADS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PTBXL_LR = DATA / "ptb-xl" / "records100" / "00000" / "00001_lr"
PTBXL_HR = DATA / "ptb-xl" / "records500" / "00000" / "00001_hr"
MITBIH_100 = DATA / "mit-bih" / "100"
CONTEC_EDF = DATA / "formats" / "edf" / "contec_0000050.ECG.edf"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared/data (PTB-XL, MIT-BIH) absent")
FS_HZ = 250


@pytest.fixture(scope="module")
def sim() -> np.ndarray:
    """(12, 2500) mV, 10 s at 250 Hz, limb leads made Einthoven-consistent from I and II."""
    frame = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, method="multileads", random_state=1)
    signal = frame[list(STANDARD_12_LEADS)].to_numpy().T.copy()
    lead_i, lead_ii = signal[0], signal[1]
    signal[2:6] = [
        lead_ii - lead_i,
        -(lead_i + lead_ii) / 2,
        lead_i - lead_ii / 2,
        lead_ii - lead_i / 2,
    ]
    return signal


def _median_ptp(signal: np.ndarray) -> float:
    return float(np.median(np.percentile(signal, 99, axis=1) - np.percentile(signal, 1, axis=1)))


def _csv_bytes(signal: np.ndarray, names, time_label=None, time_scale=1.0, sep=",") -> bytes:
    columns = [] if time_label is None else [np.arange(signal.shape[1]) / FS_HZ * time_scale]
    table = np.column_stack([*columns, *signal])
    header = sep.join(([time_label] if time_label else []) + list(names))
    lines = [header] + [sep.join(f"{value:.6g}" for value in row) for row in table]
    return ("\n".join(lines) + "\n").encode()


def _wrsamp(folder: Path, name: str, signal: np.ndarray, names, units="mV") -> Path:
    wfdb.wrsamp(
        name,
        fs=FS_HZ,
        units=[units] * len(names),
        sig_name=list(names),
        p_signal=signal.T,
        fmt=["16"] * len(names),
        write_dir=str(folder),
    )
    return folder / f"{name}.hea"


@needs_data
@pytest.mark.parametrize(
    ("stem", "fs_hz", "n_samples"), [(PTBXL_LR, 100, 1000), (PTBXL_HR, 500, 5000)]
)
def test_ptbxl_record_reads_as_12_leads_in_mv(stem, fs_hz, n_samples):
    record = load_record(stem.with_suffix(".hea"))
    assert record.lead_names == STANDARD_12_LEADS
    assert record.signal.shape == (12, n_samples) and record.signal.dtype == np.float32
    assert record.fs_hz == fs_hz and record.source == stem.name + ".hea"
    assert record.derived_leads == () and 0.3 < _median_ptp(record.signal) < 10


@needs_data
def test_ptbxl_dat_path_and_uploaded_bytes_match_header_path():
    by_header = load_record(PTBXL_LR.with_suffix(".hea"))
    by_dat = load_record(PTBXL_LR.with_suffix(".dat"))
    uploads = [
        (p.name, p.read_bytes())
        for p in (PTBXL_LR.with_suffix(".dat"), PTBXL_LR.with_suffix(".hea"))
    ]
    by_bytes = load_record_from_uploads(uploads)
    file_likes = [io.BytesIO(content) for _, content in uploads]
    for handle, (name, _) in zip(file_likes, uploads, strict=True):
        handle.name = name
    by_file_likes = load_record(file_likes)
    by_pairs = load_record(uploads)
    for other in (by_dat, by_bytes, by_file_likes, by_pairs):
        np.testing.assert_array_equal(other.signal, by_header.signal)
    assert by_bytes.source == "00001_lr.hea"


@needs_data
def test_mitbih_keeps_ii_and_v5_and_explains_what_cannot_be_derived():
    record = load_record(MITBIH_100.with_suffix(".hea"))
    assert record.lead_names == ("II", "V5") and record.fs_hz == 360
    assert record.signal.shape == (2, 650000) and record.derived_leads == ()
    notes = " ".join(record.notes)
    assert "MLII as II" in notes and "cannot be derived" in notes and "V1" in notes


@needs_data
def test_zip_made_in_tmp_path_reads_like_the_files(tmp_path):
    archive = tmp_path / "record.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for suffix in (".hea", ".dat"):
            handle.write(PTBXL_LR.with_suffix(suffix), f"folder/00001_lr{suffix}")
    direct = load_record(PTBXL_LR.with_suffix(".hea"))
    for record in (load_record(archive), load_record(archive.read_bytes(), name="record.zip")):
        np.testing.assert_array_equal(record.signal, direct.signal)
        assert record.source == "record.zip: 00001_lr.hea"


def test_wfdb_round_trip_and_derivation_from_ii_and_iii(sim, tmp_path):
    full = load_record(_wrsamp(tmp_path, "full", sim, STANDARD_12_LEADS))
    np.testing.assert_allclose(full.signal, sim, atol=2e-3)  # 16-bit quantisation
    assert full.derived_leads == () and full.fs_hz == FS_HZ
    overridden = load_record(tmp_path / "full.hea", fs_hz=500)
    assert overridden.fs_hz == FS_HZ and "entered rate (500 Hz) was not used" in overridden.notes[0]
    keep = [1, 2, *range(6, 12)]  # II, III, V1-V6
    partial = load_record(
        _wrsamp(tmp_path, "partial", sim[keep], [STANDARD_12_LEADS[i] for i in keep])
    )
    assert partial.lead_names == STANDARD_12_LEADS
    assert partial.derived_leads == ("I", "aVR", "aVL", "aVF")
    np.testing.assert_allclose(partial.signal, sim, atol=5e-3)
    assert any("derived I, aVR, aVL, aVF from II and III" in note for note in partial.notes)


def test_wfdb_in_microvolts_is_converted_by_declared_unit(sim, tmp_path):
    record = load_record(_wrsamp(tmp_path, "micro", sim * 1000, STANDARD_12_LEADS, units="uV"))
    np.testing.assert_allclose(record.signal, sim, atol=2e-3)
    assert any("uV" in note for note in record.notes)


def test_labels_are_matched_by_name_not_position(sim, tmp_path):
    names = ["V6", "ABP", "Lead I (Einthoven)", "MLII", "avl", "V1 ", "-aVR", "II"]
    rows = [sim[11], np.full(sim.shape[1], 90.0), sim[0], sim[1], sim[4], sim[6], -sim[3], sim[2]]
    content = _csv_bytes(np.stack(rows), names)
    record = load_record(content, name="shuffled.csv", fs_hz=FS_HZ)
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V6")
    np.testing.assert_allclose(record.lead("aVR"), sim[3], atol=1e-5)
    np.testing.assert_allclose(record.lead("II"), sim[1], atol=1e-5)  # MLII came first
    notes = " ".join(record.notes)
    assert "ABP" in notes and "appears more than once" in notes and "inverted" in notes
    assert record.derived_leads == ("III", "aVF")


@pytest.mark.parametrize(
    ("label", "scale"), [("time", 1.0), ("time_s", 1.0), ("time_ms", 1000.0), ("time", 1000.0)]
)
def test_csv_rate_is_recovered_from_the_time_column(sim, label, scale):
    record = load_record(_csv_bytes(sim, STANDARD_12_LEADS, label, scale), name="ecg.csv")
    assert record.fs_hz == FS_HZ and record.signal.shape == sim.shape
    np.testing.assert_allclose(record.signal, sim, atol=1e-5)
    assert any("computed from the time column" in note for note in record.notes)


def test_tsv_and_semicolon_csv_with_decimal_commas(sim):
    tsv = load_record(_csv_bytes(sim, STANDARD_12_LEADS, sep="\t"), name="ecg.tsv", fs_hz=FS_HZ)
    np.testing.assert_allclose(tsv.signal, sim, atol=1e-5)
    text = _csv_bytes(sim, STANDARD_12_LEADS, "t", sep=";").decode().replace(".", ",")
    european = load_record(text.encode(), name="ecg.csv")
    np.testing.assert_allclose(european.signal, sim, atol=1e-5)
    assert european.fs_hz == FS_HZ


def test_volt_values_are_detected_by_amplitude(sim):
    record = load_record(_csv_bytes(sim / 1000, STANDARD_12_LEADS), name="v.csv", fs_hz=FS_HZ)
    np.testing.assert_allclose(record.signal, sim, atol=1e-4)
    assert any("looked like volts" in note for note in record.notes)


def test_bare_mat_without_header_reads_like_npy(sim, tmp_path):
    scipy.io.savemat(tmp_path / "bare.mat", {"val": np.round(sim * 1000).astype(np.int16)})
    record = load_record(tmp_path / "bare.mat", fs_hz=FS_HZ)  # MATLAB v5, digital units
    np.testing.assert_allclose(record.signal, sim, atol=1e-3)
    assert any("looked like microvolts" in note for note in record.notes)


def test_microvolt_values_are_detected_by_amplitude(sim):
    record = load_record(_csv_bytes(sim * 1000, STANDARD_12_LEADS), name="uv.csv", fs_hz=FS_HZ)
    np.testing.assert_allclose(record.signal, sim, atol=1e-5)
    assert any("looked like microvolts" in note for note in record.notes)
    as_mv = load_record(_csv_bytes(sim, STANDARD_12_LEADS), name="mv.csv", fs_hz=FS_HZ)
    assert not any("microvolts" in note for note in as_mv.notes)


@pytest.mark.parametrize("transpose", [False, True])
def test_npy_in_either_orientation(sim, tmp_path, transpose):
    path = tmp_path / "ecg.npy"
    np.save(path, (sim.T if transpose else sim).astype(np.float32))
    record = load_record(path, fs_hz=FS_HZ)
    assert record.lead_names == STANDARD_12_LEADS
    np.testing.assert_allclose(record.signal, sim, atol=1e-5)
    assert any("lead order assumed" in note for note in record.notes)


def test_edf_written_with_edfio_keeps_only_ecg_channels(sim, tmp_path):
    names = ["ECG I", "ECG II", "EKG V1"]
    signals = [
        edfio.EdfSignal(row, FS_HZ, label=label, physical_dimension="uV")
        for row, label in zip(sim[[0, 1, 6]] * 1000, names, strict=True)
    ]
    signals.append(edfio.EdfSignal(np.sin(np.arange(250) / 10), 25, label="Resp"))
    path = tmp_path / "ecg.edf"
    edfio.Edf(signals).write(path)
    record = load_record(path)
    assert record.lead_names == ("I", "II", "III", "aVR", "aVL", "aVF", "V1")
    assert record.fs_hz == FS_HZ and record.derived_leads == ("III", "aVR", "aVL", "aVF")
    np.testing.assert_allclose(record.lead("V1"), sim[6], atol=5e-3)
    assert any("Resp" in note for note in record.notes)


def test_edf_channels_at_different_rates_are_resampled(sim, tmp_path):
    slow = nk.signal_resample(sim[1], sampling_rate=FS_HZ, desired_sampling_rate=125)
    signals = [
        edfio.EdfSignal(sim[0], FS_HZ, label="I", physical_dimension="mV"),
        edfio.EdfSignal(np.asarray(slow), 125, label="II", physical_dimension="mV"),
    ]
    edfio.Edf(signals).write(tmp_path / "mixed.edf")
    record = load_record(tmp_path / "mixed.edf")
    assert record.fs_hz == FS_HZ and record.signal.shape[1] == sim.shape[1]
    assert any("resampled 125 -> 250 Hz" in note for note in record.notes)
    assert np.corrcoef(record.lead("II"), sim[1])[0, 1] > 0.95


@needs_data
def test_real_contec_edf_flags_its_flat_chest_leads():
    record = load_record(CONTEC_EDF)
    assert record.fs_hz == 800 and record.lead_names == STANDARD_12_LEADS
    assert any("flat" in note and "V1" in note for note in record.notes)


def _write_cinc(folder: Path, sim: np.ndarray) -> tuple[Path, np.ndarray]:
    val = np.round(sim * 1000).astype(np.int16)  # CinC 2020: 1000 digital units per mV
    scipy.io.savemat(folder / "JS00001.mat", {"val": val}, format="4")
    lines = [f"JS00001 12 {FS_HZ} {val.shape[1]}"]
    lines += [
        f"JS00001.mat 16+24 1000/mV 16 0 {v[0]} 0 0 {n}"
        for v, n in zip(val, STANDARD_12_LEADS, strict=True)
    ]
    (folder / "JS00001.hea").write_text("\n".join([*lines, "#Age: 60", "#Dx: 426783006"]) + "\n")
    return folder / "JS00001.hea", val


def test_cinc_mat_with_header(sim, tmp_path):
    header, val = _write_cinc(tmp_path, sim)
    for record in (load_record(header), load_record(header.with_suffix(".mat"))):
        np.testing.assert_allclose(record.signal, val / 1000.0, atol=1e-6)
        assert record.fs_hz == FS_HZ and "Dx: 426783006" in record.file_info["header comments"]
    uploads = [(p.name, p.read_bytes()) for p in (header.with_suffix(".mat"), header)]
    assert load_record_from_uploads(uploads).lead_names == STANDARD_12_LEADS


@needs_data
def test_temporary_folder_is_left_empty(sim, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("ecg.csv", _csv_bytes(sim, STANDARD_12_LEADS, "time"))
    load_record(archive.getvalue(), name="../../evil/ecg.zip")
    handles = [PTBXL_LR.with_suffix(suffix).open("rb") for suffix in (".hea", ".dat")]
    with handles[0], handles[1]:
        assert load_record(handles).n_leads == 12
    with pytest.raises(ECGInputError, match="not a valid WFDB header"):
        load_record_from_uploads([("x.hea", b"not a header")])
    assert list(scratch.iterdir()) == []
