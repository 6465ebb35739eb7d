"""load_record refuses bad input with ECGInputError messages saying what was expected and found."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import edfio
import neurokit2 as nk
import numpy as np
import pytest
import wfdb

from mets_core.errors import ECGInputError
from mets_core.io.load import load_record, load_record_from_uploads
from mets_core.io.readers import archive
from mets_core.leads import STANDARD_12_LEADS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PTBXL_LR = DATA / "ptb-xl" / "records100" / "00000" / "00001_lr"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="shared/data (PTB-XL) absent")
FS_HZ = 250


@pytest.fixture(scope="module")
def sim() -> np.ndarray:
    """(12, 2500) simulated 12-lead ECG in mV at 250 Hz."""
    frame = nk.ecg_simulate(duration=10, sampling_rate=FS_HZ, method="multileads", random_state=2)
    return frame[list(STANDARD_12_LEADS)].to_numpy().T.copy()


def _csv(signal: np.ndarray, names) -> bytes:
    rows = [",".join(names)] + [",".join(f"{v:.6g}" for v in row) for row in signal.T]
    return ("\n".join(rows) + "\n").encode()


def _copy_ptbxl(folder: Path, suffixes=(".hea", ".dat")) -> Path:
    for suffix in suffixes:
        shutil.copy(PTBXL_LR.with_suffix(suffix), folder / f"00001_lr{suffix}")
    return folder / "00001_lr.hea"


@needs_data
def test_header_without_its_dat(tmp_path):
    header = _copy_ptbxl(tmp_path, (".hea",))
    with pytest.raises(
        ECGInputError, match="refers to the signal file 00001_lr.dat, which is missing"
    ):
        load_record(header)
    with pytest.raises(ECGInputError, match="missing"):
        load_record(header.read_bytes(), name="00001_lr.hea")


@needs_data
def test_dat_without_its_header(tmp_path):
    _copy_ptbxl(tmp_path, (".dat",))
    with pytest.raises(ECGInputError, match="needs its header 00001_lr.hea"):
        load_record(tmp_path / "00001_lr.dat")


@needs_data
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("00001_lr 12 100 1000", "00001_lr 12 100 1200"),
        ("00001_lr 12 100 1000", "00001_lr 11 100 1000"),
    ],
)
def test_header_that_disagrees_with_the_data(tmp_path, old, new):
    header = _copy_ptbxl(tmp_path)
    text = header.read_text().replace(old, new)
    if new.startswith("00001_lr 11"):
        text = "\n".join(line for line in text.splitlines() if not line.endswith(" V6")) + "\n"
    header.write_text(text)
    with pytest.raises(ECGInputError, match="do not belong together"):
        load_record(header)


@needs_data
def test_truncated_dat_is_refused(tmp_path):
    header = _copy_ptbxl(tmp_path)
    dat = header.with_suffix(".dat")
    dat.write_bytes(dat.read_bytes()[:1000])
    with pytest.raises(ECGInputError, match="1000 bytes"):
        load_record(header)


def test_hea_that_is_not_a_wfdb_header(tmp_path):
    (tmp_path / "notes.hea").write_text("Dear colleague,\nplease find the ECG attached.\n")
    with pytest.raises(ECGInputError, match="not a valid WFDB header"):
        load_record(tmp_path / "notes.hea")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty \\(0 bytes\\)"),
        ("ecg.csv", bytes(range(256)) * 4, "holds binary data, not text"),
        ("ecg.npy", b"I,II\n1,2\n3,4\n", "holds plain text"),
        ("ecg.edf", b"x" * 300, "does not start like one"),
        ("report.docx", b"just some words", "not an ECG format.*ends in '.docx'"),
        ("ecg.xml", b"<?xml version='1.0'?><CardiologyXML/>", "CardioSoft.*no 10-s rhythm strip"),
        ("ecg.xml", b"<?xml version='1.0'?><RestingECG/>", "GE MUSE XML but has no rhythm"),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "an image"),
    ],
)
def test_empty_mislabelled_and_unsupported_files(name, content, message):
    with pytest.raises(ECGInputError, match=message) as caught:
        load_record(content, name=name)
    if "supported" in message or "binary" in message or "text" in message:
        assert "WFDB" in str(caught.value) and "EDF" in str(caught.value)


def test_no_standard_lead_names_what_was_found():
    content = _csv(np.random.default_rng(0).normal(size=(2, 500)), ["ABP", "PLETH"])
    with pytest.raises(ECGInputError) as caught:
        load_record(content, name="monitor.csv", fs_hz=FS_HZ)
    assert str(caught.value) == (
        "Expected leads I, II, III, aVR, aVL, aVF, V1–V6; this record has ABP, PLETH."
    )


def test_nan_samples_are_refused(sim):
    signal = sim.copy()
    signal[8, 100:110] = np.nan
    with pytest.raises(ECGInputError, match=r"NaN/inf.*V3 \(10 samples\)"):
        load_record(_csv(signal, STANDARD_12_LEADS), name="gaps.csv", fs_hz=FS_HZ)
    buffer = io.BytesIO()
    np.save(buffer, np.where(np.arange(sim.size).reshape(sim.shape) == 5, np.inf, sim))
    with pytest.raises(ECGInputError, match="NaN/inf"):
        load_record(buffer.getvalue(), name="inf.npy", fs_hz=FS_HZ)


def test_all_flat_is_refused_and_one_flat_lead_is_noted(sim):
    with pytest.raises(ECGInputError, match="Every lead is flat"):
        load_record(_csv(np.ones((12, 500)), STANDARD_12_LEADS), name="flat.csv", fs_hz=FS_HZ)
    signal = sim.copy()
    signal[8] = 0.25
    record = load_record(_csv(signal, STANDARD_12_LEADS), name="v3.csv", fs_hz=FS_HZ)
    assert "lead V3 is flat (constant value); it may be disconnected" in record.notes


def test_csv_problems(sim):
    numbers_only = b"\n".join([b"1,2,3", b"4,5,6", b"7,8,9"])
    with pytest.raises(ECGInputError, match="no header row"):
        load_record(numbers_only, name="a.csv", fs_hz=FS_HZ)
    with pytest.raises(ECGInputError, match="no time column.*enter it"):
        load_record(_csv(sim, STANDARD_12_LEADS), name="b.csv")
    with pytest.raises(ECGInputError, match="Column II .*non-numeric.*'abc'"):
        load_record(b"I,II\n0.1,0.2\n0.3,abc\n0.2,0.1\n", name="c.csv", fs_hz=FS_HZ)
    gappy = b"time,I,II\n0,0.1,0.2\n0.004,0.3,0.1\n0.5,0.2,0.1\n0.504,0.1,0.0\n"
    with pytest.raises(ECGInputError, match="not evenly spaced"):
        load_record(gappy, name="d.csv")


def test_npy_problems(sim, tmp_path):
    np.save(tmp_path / "ok.npy", sim)
    with pytest.raises(ECGInputError, match="does not store the sampling rate"):
        load_record(tmp_path / "ok.npy")
    np.save(tmp_path / "eight.npy", sim[:8])
    with pytest.raises(ECGInputError, match=r"only a 12-lead array.*\(8, 2500\)"):
        load_record(tmp_path / "eight.npy", fs_hz=FS_HZ)
    np.save(tmp_path / "pickled.npy", np.array([{"I": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ECGInputError, match="pickled or damaged"):
        load_record(tmp_path / "pickled.npy", fs_hz=FS_HZ)


def test_edf_without_ecg_channels(tmp_path):
    eeg = [edfio.EdfSignal(np.zeros(256), 128, label=label) for label in ("Fp1", "Resp")]
    edfio.Edf(eeg).write(tmp_path / "sleep.edf")
    with pytest.raises(ECGInputError, match="this record has Fp1, Resp"):
        load_record(tmp_path / "sleep.edf")


def test_cinc_mat_that_does_not_match_its_header(sim, tmp_path):
    import scipy.io

    scipy.io.savemat(tmp_path / "A1.mat", {"val": np.zeros((12, 100), np.int16)}, format="4")
    lines = [f"A1 12 {FS_HZ} 5000"] + [
        f"A1.mat 16+24 1000/mV 16 0 0 0 0 {n}" for n in STANDARD_12_LEADS
    ]
    (tmp_path / "A1.hea").write_text("\n".join(lines) + "\n")
    with pytest.raises(ECGInputError, match=r"12 leads × 5000 samples.*\(12, 100\)"):
        load_record(tmp_path / "A1.hea")


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as handle:
        for name, content in members.items():
            handle.writestr(name, content)
    return buffer.getvalue()


def test_zip_path_traversal_count_and_size_limits(sim, monkeypatch):
    csv = _csv(sim, STANDARD_12_LEADS)
    with pytest.raises(ECGInputError, match="unsafe path"):
        load_record(_zip({"../../outside.csv": csv}), name="a.zip", fs_hz=FS_HZ)
    many = {f"f{i}.txt": b"x" for i in range(archive.MAX_MEMBERS + 1)}
    with pytest.raises(ECGInputError, match=f"holds {archive.MAX_MEMBERS + 1} entries"):
        load_record(_zip(many), name="b.zip")
    monkeypatch.setattr(archive, "MAX_UNCOMPRESSED_BYTES", 10_000)  # a zero-filled "bomb"
    with pytest.raises(ECGInputError, match="expands to more than"):
        load_record(_zip({"bomb.csv": bytes(50_000)}), name="c.zip")


def test_zip_with_several_or_no_records(sim):
    csv = _csv(sim, STANDARD_12_LEADS)
    with pytest.raises(ECGInputError, match="several records \\(a.csv, b.csv\\)"):
        load_record(_zip({"a.csv": csv, "b.csv": csv}), name="two.zip", fs_hz=FS_HZ)
    with pytest.raises(ECGInputError, match="holds no ECG record.*readme.pdf"):
        load_record(_zip({"readme.pdf": b"%PDF-1.4"}), name="none.zip")


def test_upload_names_are_reduced_to_safe_base_names(sim, tmp_path):
    record = load_record(_csv(sim, STANDARD_12_LEADS), name="../../Doe, John/ecg.csv", fs_hz=FS_HZ)
    assert record.source == "ecg.csv"
    with pytest.raises(ECGInputError, match="not usable"):
        load_record_from_uploads([("..", b"I,II\n1,2\n")])
    with pytest.raises(ECGInputError, match="one record"):
        load_record_from_uploads([("a.csv", b"I\n1\n"), ("b.csv", b"I\n2\n")])


def test_header_lead_count_that_disagrees_with_its_lead_lines(sim, tmp_path):
    wfdb.wrsamp(
        "r",
        fs=FS_HZ,
        units=["mV"] * 2,
        sig_name=["I", "II"],
        p_signal=sim[:2].T,
        fmt=["16", "16"],
        write_dir=str(tmp_path),
    )
    header = tmp_path / "r.hea"
    header.write_text(header.read_text().replace("r 2 ", "r 3 "))  # declares a third lead line
    with pytest.raises(ECGInputError, match="declares 3 leads but describes 2"):
        load_record(header)
