"""The plain format-16 WFDB fast path gives exactly what wfdb gives (issue 14 part 5).

`read_wfdb` parses the plainest headers itself (wfdb's parser dominated `mets index`); the
samples must equal `wfdb.rdrecord(..., physical=True, return_res=64)` bit for bit, NaN included,
and every other layout must be left to wfdb.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from mets_core.io.readers.wfdb_reader import _read_plain_format_16, read_wfdb

EXAMPLES = Path(__file__).resolve().parents[1] / "mets_core" / "io" / "examples_data"
PTBXL_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.hea") if p.stem.endswith(("_lr", "_hr")))


def _assert_same_as_wfdb(header_path: Path) -> None:
    fast = _read_plain_format_16(header_path)
    assert fast is not None, header_path.name
    header, signal = fast
    reference = wfdb.rdrecord(str(header_path.with_suffix("")), physical=True, return_res=64)
    np.testing.assert_array_equal(signal, reference.p_signal.T)  # NaN == NaN here
    assert signal.dtype == np.float64 and signal.shape == (reference.n_sig, reference.sig_len)
    assert float(header.fs) == float(reference.fs)
    assert header.sig_name == reference.sig_name and header.units == reference.units
    assert header.fmt == reference.fmt


@pytest.mark.parametrize("header_path", PTBXL_EXAMPLES, ids=lambda p: p.name)
def test_bundled_ptbxl_records_take_the_fast_path_with_wfdbs_numbers(header_path):
    _assert_same_as_wfdb(header_path)


@pytest.mark.parametrize("fs_hz", [100, 257, 500])
def test_gains_baselines_and_missing_samples_match_wfdb(tmp_path, fs_hz):
    rng = np.random.default_rng(fs_hz)
    signal = rng.normal(0.0, 0.8, size=(fs_hz * 3, 4))  # (T, L) mV
    signal[5, 1] = np.nan  # written as -32768, read back as NaN
    signal[17:20, 3] = np.nan
    wfdb.wrsamp(
        "rec",
        fs=fs_hz,
        units=["mV", "uV", "mV", "mV"],
        sig_name=["I", "II", "V1", "V2"],
        p_signal=signal,
        fmt=["16"] * 4,
        adc_gain=[200.0, 1000.0, 409.6, 1500.5],
        baseline=[0, -12, 1024, 7],
        write_dir=str(tmp_path),
    )
    _assert_same_as_wfdb(tmp_path / "rec.hea")
    raw = read_wfdb(tmp_path / "rec.hea", None)
    assert np.isnan(raw.signal[1, 5]) and np.isnan(raw.signal[3, 17:20]).all()


def test_other_layouts_are_left_to_wfdb(tmp_path):
    source = PTBXL_EXAMPLES[0]
    lines = source.read_text().splitlines()
    stem = source.stem
    (tmp_path / f"{stem}.dat").write_bytes(source.with_suffix(".dat").read_bytes())
    variants = {
        "comment": [*lines, "# age: 56"],
        "other format": [lines[0], *(line.replace(" 16 ", " 212 ", 1) for line in lines[1:])],
        "no description": [lines[0], *(line.rsplit(" ", 1)[0] for line in lines[1:])],
        "no baseline": [lines[0], *(line.replace("(0)", "", 1) for line in lines[1:])],
        "name wfdb refuses": [lines[0].replace(stem, f"{stem}.dat", 1), *lines[1:]],
    }
    for name, text in variants.items():
        header = tmp_path / f"{stem}.hea"
        header.write_text("\n".join(text) + "\n")
        assert _read_plain_format_16(header) is None, name
    (tmp_path / f"{stem}.hea").write_text("\n".join(lines) + "\n")
    (tmp_path / f"{stem}.dat").write_bytes(source.with_suffix(".dat").read_bytes()[:-2])
    assert _read_plain_format_16(tmp_path / f"{stem}.hea") is None  # wrong size: careful path
    mitbih = EXAMPLES / "mitdb_119_excerpt.hea"  # format 212 with comments
    assert _read_plain_format_16(mitbih) is None
    assert read_wfdb(mitbih, None).signal.shape[0] == 2
