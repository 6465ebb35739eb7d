"""The printable reading (issue 15 item 8): one page, true scale, the ranking's caveats, no PHI.

The PDF is rendered with poppler's `pdftoppm` and read back with `pdftotext` and `pdfinfo`
(poppler-utils, installed here and in CI); those checks skip, saying why, only where poppler is
absent. Rankings come from the tiny random-init checkpoint (conftest) on the bundled AF example and
on a synthetic record that carries patient fields and a patient-identifying file name.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import simulate_12_lead
from PIL import Image
from streamlit.testing.v1 import AppTest

import mets_core
from mets_core import cli
from mets_core.app import keys
from mets_core.errors import ECGInputError
from mets_core.io.examples import EXAMPLES_DIR, load_example
from mets_core.reading import PrintSettings, build_reading, draw_reading, render_reading
from mets_core.reading.content import PAPER_SIZES_MM, weights_id
from mets_core.reading.page import displayed_signal
from mets_core.record import ECGRecord
from mets_core.signal.display_filter import describe_display_filter, filter_for_display
from mets_core.zeroshot.disclaimer import DISCLAIMER

CANDIDATES = [
    "atrial fibrillation",
    "sinus rhythm",
    "left bundle branch block",
    "normal ECG",
    "first degree AV block",
]
FILE_NAME = "DOE_JOHN_MRN081486213.xml"
PATIENT = {"name": "DOE, JOHN", "patient ID": "MRN081486213", "birth date": "1979-07-08"}
MUSE = Path(__file__).resolve().parents[1].parent / "shared/data/formats/ge-muse-xml"
needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("pdftotext") and shutil.which("pdfinfo")),
    reason="poppler-utils (pdftoppm, pdftotext, pdfinfo) is not installed on this machine",
)


@pytest.fixture(scope="module")
def model(tiny_weights: Path) -> mets_core.LoadedModel:
    return mets_core.load_model(tiny_weights, device="cpu")


@pytest.fixture(scope="module")
def patient_record() -> ECGRecord:
    """A record as a clinical export reads: patient fields, the file name as its source."""
    return replace(
        simulate_12_lead(seed=3),
        source=FILE_NAME,
        patient_fields=dict(PATIENT),
        notes=(f"read {FILE_NAME} as GE MUSE XML", "derived III from I and II"),
        file_info={"format": "GE MUSE XML", "PR interval (ms)": "152"},
    )


@pytest.fixture(scope="module")
def rendered(model, patient_record):
    ranking = mets_core.rank(model, patient_record, CANDIDATES)
    files = render_reading(patient_record, ranking, label="Upload 1, GE MUSE XML")
    return ranking, files


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "reading.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


@needs_poppler
def test_the_pdf_is_one_a4_landscape_page_that_renders_to_a_tracing(rendered, tmp_path) -> None:
    _, files = rendered
    path = tmp_path / "reading.pdf"
    path.write_bytes(files.pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert "Pages:           1" in info.stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info.stdout)
    width_mm, height_mm = (float(points) * 25.4 / 72.0 for points in size.groups())
    assert (width_mm, height_mm) == pytest.approx((297.0, 210.0), abs=0.1)  # A4 landscape
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    pixels = np.asarray(Image.open(pages[0]).convert("RGB"), dtype=int)
    assert pixels.shape[:2] == pytest.approx((496, 702), abs=1)  # 8.27 x 11.69 in at 60 dpi
    dark = (pixels.max(axis=2) < 90).mean()  # trace and text
    pink = (pixels[..., 0] > 200) & (pixels[..., 1] < 215) & (pixels[..., 0] - pixels[..., 2] > 25)
    assert 0.01 < dark < 0.25, dark  # not blank, not black
    assert pink.mean() > 0.02, pink.mean()  # the grid is there


@needs_poppler
def test_the_text_names_candidates_weights_and_caveats_but_no_patient(rendered, tmp_path) -> None:
    ranking, files = rendered
    text = _pdf_text(files.pdf, tmp_path)
    for candidate in CANDIDATES:
        assert candidate in text
    assert ranking.weights.sha256 and weights_id(ranking) in text
    assert ranking.weights.sha256[:12] in text and ranking.weights.name in text
    assert "not a diagnosis" in text and DISCLAIMER.split(".")[0] in text
    assert "NOT TRAINED" in text  # random-init weights are named as such
    assert "Upload 1, GE MUSE XML" in text and "25 mm/s" in text and "10 mm/mV" in text
    assert describe_display_filter("diagnostic", 500.0, 50.0).label in text  # the viewer's name
    assert "152 ms" in text  # the file's own PR beside the computed one
    for private in [*PATIENT.values(), FILE_NAME, "DOE", "MRN081486213", "DOE_JOHN"]:
        assert private not in text, private
    assert "derived III from I and II" in text  # notes stay, the one naming the file goes


@needs_poppler
def test_patient_fields_are_printed_only_when_asked(model, patient_record, tmp_path) -> None:
    ranking = mets_core.rank(model, patient_record, CANDIDATES[:2])
    files = render_reading(patient_record, ranking, label="Upload 1", include_patient=True)
    text = _pdf_text(files.pdf, tmp_path)
    assert PATIENT["name"] in text and PATIENT["patient ID"] in text
    assert FILE_NAME not in text  # the file name never, even then


@pytest.mark.parametrize(
    ("speed_mm_s", "gain_mm_mv", "paper"), [(25.0, 10.0, "A4"), (50.0, 20.0, "letter")]
)
def test_the_tracing_is_at_true_scale(model, speed_mm_s, gain_mm_mv, paper) -> None:
    record = load_example("ptbxl_afib")
    ranking = mets_core.rank(model, record, CANDIDATES[:3])
    settings = PrintSettings(speed_mm_s, gain_mm_mv, paper=paper)
    fig = draw_reading(record, build_reading(record, ranking, label="Example", settings=settings))
    page_w_mm, page_h_mm = (size * 25.4 for size in fig.get_size_inches())
    assert (page_w_mm, page_h_mm) == pytest.approx(PAPER_SIZES_MM[paper], abs=0.01)
    tracing = fig.axes[1]
    box = tracing.get_position()
    x0_s, x1_s = tracing.get_xlim()
    y0_mv, y1_mv = tracing.get_ylim()
    assert box.width * page_w_mm / (x1_s - x0_s) == pytest.approx(speed_mm_s)  # mm per s
    assert box.height * page_h_mm / (y1_mv - y0_mv) == pytest.approx(gain_mm_mv)  # mm per mV
    assert 0.0 < box.x0 and box.x1 < 1.0 and 0.0 < box.y0  # it fits on the page
    shown_s = x1_s  # seconds of signal on paper (x starts at -10 mm of calibration margin)
    assert shown_s == pytest.approx(min(10.0, 250.0 / speed_mm_s))


@needs_poppler
def test_abstain_reason_and_cautions_are_printed(model, tmp_path) -> None:
    rng = np.random.default_rng(0)
    noise = simulate_12_lead()
    noise = replace(noise, signal=rng.normal(0, 0.3, noise.signal.shape).astype(np.float32))
    ranking = mets_core.rank(model, noise, ["atrial fibrillation"])
    assert ranking.abstain and ranking.cautions  # noise; a single candidate
    reading = build_reading(noise, ranking, label="Synthetic noise")
    assert reading.abstain_reason == ranking.abstain_reason
    assert set(ranking.cautions) <= set(reading.cautions)
    text = _pdf_text(render_reading(noise, ranking, label="Synthetic noise").pdf, tmp_path)
    assert "NOT READ AS AN ECG" in text
    assert " ".join(ranking.abstain_reason.split()[:6]) in text
    assert " ".join(ranking.cautions[0].split()[:5]) in text


def test_the_tracing_is_drawn_with_the_chosen_display_filter(patient_record) -> None:
    raw = displayed_signal(patient_record, PrintSettings(filter="raw"))
    assert raw is patient_record
    for mode in ("diagnostic", "monitor"):
        shown = displayed_signal(patient_record, PrintSettings(filter=mode, powerline_hz=60.0))
        expected = filter_for_display(
            patient_record.signal, fs_hz=500.0, mode=mode, powerline_hz=60.0
        )
        np.testing.assert_array_equal(shown.signal, expected)
    assert not np.allclose(
        displayed_signal(patient_record, PrintSettings(filter="monitor")).signal,
        displayed_signal(patient_record, PrintSettings(filter="diagnostic")).signal,
    )


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (PrintSettings(speed_mm_s=30), "25, 50"),
        (PrintSettings(gain_mm_mv=7), "5, 10, 20"),
        (PrintSettings(filter="muscle"), "diagnostic, monitor, raw"),
        (PrintSettings(paper="A3"), "A4, letter"),
    ],
)
def test_settings_a_printout_does_not_offer_get_a_plain_message(settings, named) -> None:
    with pytest.raises(ECGInputError, match=named):
        settings.validate()


def test_the_cli_writes_the_pdf_and_png(tiny_weights, tmp_path, capsys) -> None:
    pdf, png = tmp_path / "reading.pdf", tmp_path / "reading.png"
    record = str(EXAMPLES_DIR / "00318_hr.hea")
    argv = ["reading", record, "--candidates", *CANDIDATES[:2], "--out", str(pdf)]
    assert cli.main([*argv, "--png", str(png), "--weights", str(tiny_weights)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
    width_px, height_px = Image.open(io.BytesIO(png.read_bytes())).size
    assert (width_px, height_px) == pytest.approx((1754, 1240), abs=1)  # A4 at 150 dpi
    assert "wrote" in capsys.readouterr().out
    assert cli.main([*argv, "--speed", "30", "--weights", str(tiny_weights)]) == 2
    assert "speed (mm/s) must be one of 25, 50" in capsys.readouterr().err
    nowhere = ["reading", record, "--candidates", "a", "--out", str(tmp_path / "no" / "x.pdf")]
    assert cli.main(nowhere) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.skipif(not MUSE.exists(), reason=f"sample absent: {MUSE}")
def test_a_real_muse_file_prints_the_device_values_without_the_patient(model, tmp_path) -> None:
    record = mets_core.load_record(MUSE / "egm_muse-sinus.xml")
    assert record.patient_fields  # the sample states a (fictitious) patient
    reading = build_reading(record, mets_core.rank(model, record, CANDIDATES), label="Upload 1")
    stated = {row.stated for row in reading.measurements}
    assert {"144 ms", "86 ms", "491 ms", "48°", "111°"} <= stated  # PR, QRS, QTc, P and T axis
    assert not [row.stated for row in reading.measurements if "(" in row.stated]  # fits its cell
    assert "Normal Sinus rhythm" in reading.statements
    assert reading.patient == ()
    printed = repr(reading)
    assert not [value for value in record.patient_fields.values() if value in printed]
    assert "egm_muse-sinus" not in printed


def _reading_app(weights: str, with_patient: bool) -> None:
    from dataclasses import replace

    import streamlit as st  # noqa: F401  (the AppTest script runs on its own)

    import mets_core
    from mets_core.app.reading_download import show_reading_downloads
    from mets_core.io.examples import load_example

    record = load_example("ptbxl_afib")
    if with_patient:
        record = replace(record, patient_fields={"name": "DOE, JOHN"})
    model = mets_core.load_model(weights, device="cpu")
    ranking = mets_core.rank(model, record, ["atrial fibrillation", "sinus rhythm"])
    show_reading_downloads(record, ranking, "Example: atrial fibrillation")


@pytest.mark.parametrize("with_patient", [False, True])
def test_the_app_offers_pdf_and_png_and_the_patient_box_only_when_needed(
    tiny_weights, with_patient
) -> None:
    at = AppTest.from_function(
        _reading_app, args=(str(tiny_weights), with_patient), default_timeout=60
    )
    at.run()
    assert not at.exception
    assert not at.get("download_button")  # nothing is drawn until asked for
    at.toggle(key=keys.W_READING_PREPARE).set_value(True).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 2
    labels = " ".join(str(button.proto.label) for button in buttons)
    assert "PDF" in labels and "PNG" in labels
    assert len(at.checkbox) == (1 if with_patient else 0)
    if with_patient:
        at.checkbox[0].check().run()
        assert not at.exception
