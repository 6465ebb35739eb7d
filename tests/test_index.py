"""The search index (mets_core.index) on real files from ../shared/data, with the tiny checkpoint.

Local engine (labels, broken files skipped with their reason, resume, refusal of other weights),
search (text, --like, filters), the CLI, and the Ray engine's equality with the local engine.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import SHARED_DATA

from mets_core.errors import DataError, WeightsError
from mets_core.index.build import build_index
from mets_core.index.format import read_columns, shard_paths
from mets_core.index.search import Filters, cosine_scores, exact_top_k, open_index, top_k
from mets_core.model.load import load_model

PTBXL = SHARED_DATA / "ptb-xl"
CINC = SHARED_DATA / "cinc-external"
PTBXL_FILES = {f"records100/00000/{n:05d}_lr.hea" for n in (9, 38, 63, 65)}  # fold 10, reports
CINC_FILES = ("A0001", "Q0001", "E00015")  # E00015: a Georgia header naming its record ".mat"
PATIENT_WORDS = ("age", "sex", "birth", "patient", "name")
needs_data = pytest.mark.skipif(not (PTBXL / "scp_statements.csv").exists(), reason="no data")


@pytest.fixture(scope="module")
def model(tiny_weights):
    return load_model(tiny_weights, "cpu")


@pytest.fixture
def archive(tmp_path) -> Path:
    """A small CinC archive: three real records (one a Georgia header that wfdb alone refuses, read
    by load_record) and one broken file."""
    folder = tmp_path / "archive"
    folder.mkdir()
    for name in CINC_FILES:
        for suffix in (".hea", ".mat"):
            shutil.copy(CINC / f"{name}{suffix}", folder)
    (folder / "broken.xml").write_text("<RestingECG><Waveform>cut here", encoding="utf-8")
    return folder


@needs_data
def test_local_engine_indexes_real_files_and_lists_each_broken_one(archive, tmp_path, model):
    out = tmp_path / "ix"
    report = build_index(archive, out, model)
    assert (report.found, report.indexed) == (4, 3)
    reasons = dict(report.skipped)
    assert set(reasons) == {"broken.xml"} and reasons["broken.xml"]
    manifest = json.loads((out / "index.json").read_text())
    assert manifest["runs"][0]["skipped"][0]["reason"]  # the reasons are kept with the index
    table = pq.read_table(shard_paths(out)[0])  # plain Parquet, no METS code needed
    assert table["embedding"].type.value_type == "halffloat"
    rows = {r["record_id"]: r for r in table.drop_columns(["embedding"]).to_pylist()}
    assert rows["A0001"]["labels"] == ["SNOMED-CT 59118001"]  # #Dx of the header
    assert rows["A0001"]["dataset"] == "CinC 2020/2021"
    assert rows["A0001"]["weights_sha256"] == model.weights.sha256
    assert not [c for c in table.column_names if any(w in c for w in PATIENT_WORDS)]
    assert "Male" not in json.dumps(rows) and "#Age" not in json.dumps(rows)


@needs_data
def test_ptbxl_rows_carry_labels_and_report(tmp_path, model):
    out = tmp_path / "ix"
    build_index(PTBXL, out, model, only=PTBXL_FILES)
    rows = {
        r["ptbxl_ecg_id"]: r
        for r in read_columns(
            out,
            ["ptbxl_ecg_id", "labels", "report", "ptbxl_rhythm", "ptbxl_strat_fold", "record_id"],
        ).to_pylist()
    }
    assert set(rows) == {9, 38, 63, 65}
    assert rows[65]["record_id"] == "records100/00000/00065_lr"
    assert "sinusrhythmus" in rows[9]["report"] and rows[9]["ptbxl_strat_fold"] == 10
    assert rows[9]["ptbxl_rhythm"] == ["SR"] and "normal ECG" in rows[9]["labels"]


@needs_data
def test_rerun_skips_what_is_done_and_appends_new_files(archive, tmp_path, model):
    out = tmp_path / "ix"
    build_index(archive, out, model)
    again = build_index(archive, out, model)
    assert (again.already_indexed, again.indexed) == (3, 0)
    for suffix in (".hea", ".mat"):
        shutil.copy(CINC / f"S0001{suffix}", archive)
    third = build_index(archive, out, model)
    assert (third.already_indexed, third.indexed) == (3, 1)
    ids = read_columns(out, ["record_id"])["record_id"].to_pylist()
    assert sorted(ids) == ["A0001", "E00015", "Q0001", "S0001"]
    assert len(open_index(out, model)) == 4  # the matrix cache follows the new shard
    assert len(json.loads((out / "index.json").read_text())["runs"]) == 3


@needs_data
def test_an_index_made_with_other_weights_is_refused_by_name(archive, tmp_path, model, tiny_config):
    out = tmp_path / "ix"
    build_index(archive, out, model)
    other = load_model(random_init=True, config=tiny_config, device="cpu")
    with pytest.raises(WeightsError, match="made with the weights tiny .*random-init"):
        open_index(out, other)
    with pytest.raises(WeightsError, match="tiny"):
        build_index(archive, out, other)
    with pytest.raises(DataError, match="no METS index"):
        open_index(archive, model)


@pytest.fixture(scope="module")
def shipped():
    return load_model(device="cpu")  # the tiny random model maps every ECG to nearly one point


@needs_data
def test_search_returns_labelled_hits_best_first_and_filters(tmp_path, shipped):
    out, model = tmp_path / "ix", shipped
    build_index(PTBXL, out, model, only=PTBXL_FILES)
    index = open_index(out, model)
    hits = index.search_text(model, "normal ECG", top=3)
    assert len(hits) == 3 and all(h.labels and h.report for h in hits)
    assert [h.cosine for h in hits] == sorted((h.cosine for h in hits), reverse=True)
    like = index.search_like(model, PTBXL / "records100/00000/00063_lr.hea", top=2)
    assert like[0].ptbxl_ecg_id == 63 and like[0].cosine > 0.999
    only_irbbb = index.search_text(model, "normal ECG", filters=Filters(label="IRBBB"))
    assert [h.ptbxl_ecg_id for h in only_irbbb] == [65]
    assert index.search_text(model, "x", filters=Filters(source="00038"))[0].ptbxl_ecg_id == 38
    assert index.search_text(model, "x", filters=Filters(dataset="mit-bih")) == []


def test_exact_top_k_over_chunks_matches_brute_force():
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((300_000, 16)).astype(np.float32)  # more than one chunk
    matrix = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float16)
    query = matrix[124].astype(np.float32)
    exact = matrix.astype(np.float32) @ query
    assert np.abs(cosine_scores(matrix, query) - exact).max() < 1e-3
    allowed = np.arange(len(matrix)) % 3 != 0
    found, cosines = exact_top_k(matrix, query, 50, allowed)
    expected = np.flatnonzero(allowed)[np.argsort(-exact[allowed], kind="stable")[:50]]
    assert list(found) == list(expected) and found[0] == 124
    np.testing.assert_array_equal(cosines, exact[expected])
    assert list(top_k(np.array([0.1, 0.3, 0.3, 0.2]), 3)) == [1, 2, 3]


@needs_data
def test_cli_index_then_search_json(archive, tmp_path, tiny_weights, capsys):
    from mets_core.cli import main

    out = tmp_path / "ix"
    weights = ["--weights", str(tiny_weights), "--device", "cpu"]
    assert main(["index", str(archive), "--out", str(out), "--json", *weights]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["indexed"] == 3 and len(report["skipped"]) == 1
    like = str(archive / "A0001.hea")
    assert main(["search", str(out), "--like", like, "--top", "1", "--json", *weights]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["hits"][0]["cosine"] > 0.99 and payload["query"].endswith("A0001.hea")
    assert main(["search", str(out), "right bundle branch block", "--json", *weights]) == 0
    assert len(json.loads(capsys.readouterr().out)["hits"]) == 3
    assert main(["search", str(out), "x", "--random-init", "--device", "cpu"]) == 2
    assert "made with the weights tiny" in capsys.readouterr().err


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip(
        "ray", reason="ray is not installed: the Ray engine test needs `pip install mets-core[ray]`"
    )
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@needs_data
@pytest.mark.slow
def test_ray_engine_gives_the_local_engines_embeddings(local_ray, archive, tmp_path, model):
    from mets_core.index.ray_engine import build_index_ray

    for table in ("scp_statements.csv", "ptbxl_database.csv"):  # PTB-XL labels and reports
        (archive / "ptbxl").mkdir(exist_ok=True)
        shutil.copy(PTBXL / table, archive / "ptbxl")
    for name in PTBXL_FILES:  # 8 files: 4 PTB-XL, 3 CinC, 1 unreadable
        target = archive / "ptbxl" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".hea", ".dat"):
            shutil.copy((PTBXL / name).with_suffix(suffix), target.with_suffix(suffix))
    local = build_index(archive, tmp_path / "local", model)
    distributed = build_index_ray(archive, tmp_path / "ray", model, batch_records=3)
    assert distributed.indexed == local.indexed == 7
    assert sorted(distributed.skipped) == sorted(local.skipped)
    columns = ["record_id", "embedding", "labels", "report", "notes", "weights_sha256"]
    a = {r["record_id"]: r for r in read_columns(tmp_path / "local", columns).to_pylist()}
    b = {r["record_id"]: r for r in read_columns(tmp_path / "ray", columns).to_pylist()}
    assert set(a) == set(b)
    diff = max(np.abs(np.subtract(a[k]["embedding"], b[k]["embedding"])).max() for k in a)
    assert diff < 1e-5
    assert all({**a[k], "embedding": 0} == {**b[k], "embedding": 0} for k in a)
    index = open_index(tmp_path / "ray", model)  # the Ray shards are searchable as they are
    assert len(index) == 7 and index.search_like(model, archive / "A0001.hea")[0].cosine > 0.99


SHIPPED_INDEX = Path(__file__).resolve().parents[1] / "weights" / "ptbxl_fold10.index"


def test_the_shipped_fold10_index_answers_with_labelled_ptbxl_records(shipped):
    index = open_index(SHIPPED_INDEX, shipped)  # made by the shipped weights, or refused
    assert len(index) >= 250 and index.manifest.weights_name == shipped.weights.name
    hits = index.search_text(shipped, "complete left bundle branch block", top=5)
    assert all(h.dataset == "PTB-XL" and h.ptbxl_strat_fold == 10 for h in hits)
    assert any("complete left bundle branch block" in h.labels for h in hits)


@pytest.fixture
def search_page(monkeypatch):
    from streamlit.testing.v1 import AppTest

    for name in ("METS_DATA_DIR", "METS_PTBXL_ROOTS", "METS_MITBIH_ROOTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("METS_DEVICE", "cpu")
    page = Path(__file__).resolve().parents[1] / "pages" / "7_Search.py"
    return AppTest.from_file(str(page), default_timeout=60)


@needs_data
def test_search_page_lists_labelled_hits_and_opens_one(search_page, monkeypatch):
    from mets_core.app import keys, session

    monkeypatch.setenv("METS_WEIGHTS", str(SHIPPED_INDEX.parent / "mets_resnet18"))
    at = search_page.run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 10 and table["labels"].str.len().gt(0).all()
    at.text_input(key=keys.W_SEARCH_TEXT).set_value("atrial fibrillation").run()
    assert not at.exception and not at.error
    hits = at.dataframe[0].value
    thumbs = [url for image in at.get("image") for url in image.value]
    assert len(thumbs) == len(hits)  # one paper-grid SVG thumbnail per hit
    first = hits["PTB-XL ecg_id"].iloc[0]
    at.button(key=f"{keys.W_SEARCH_OPEN}_1").click().run()
    assert not at.exception and not at.error
    assert at.session_state[session.KEY_RECORD].n_leads == 12
    assert f"ecg_id {first}" in at.session_state[session.KEY_RECORD_LABEL]


@needs_data
def test_search_by_the_loaded_ecg_finds_that_record_first(search_page, monkeypatch):
    """A fold-10 record loaded in the session is its own nearest neighbour in the fold-10 index."""
    from mets_core.app import keys, session
    from mets_core.evaluate import explore

    monkeypatch.setenv("METS_WEIGHTS", str(SHIPPED_INDEX.parent / "mets_resnet18"))
    at = search_page.run()
    at.radio(key=keys.W_SEARCH_MODE).set_value("The loaded ECG").run()
    assert not at.exception and "No ECG is loaded" in " ".join(i.value for i in at.info)
    assert not at.dataframe  # nothing searched without a record
    opened = explore.open_ptbxl_record(PTBXL, "superclass", 38)  # a fold-10 record
    at.session_state[session.KEY_RECORD] = opened.record
    at.session_state[session.KEY_RECORD_LABEL] = opened.label
    at.run()
    assert not at.exception and not at.error
    hits = at.dataframe[0].value
    assert int(hits["PTB-XL ecg_id"].iloc[0]) == 38
    assert hits["cosine"].iloc[0] > 0.99  # the same preprocessing and encoder as the index


def test_search_page_with_other_weights_says_why_without_failing(
    search_page, monkeypatch, tiny_weights
):
    monkeypatch.setenv("METS_WEIGHTS", str(tiny_weights))
    at = search_page.run()
    assert not at.exception and not at.error
    assert "made with the weights mets_resnet18" in " ".join(w.value for w in at.warning)


def test_a_query_is_encoded_like_rank_and_equals_the_indexed_encoding(tiny_weights):
    """One query record is encoded in its own batch (rank's path), not padded to 32 windows."""
    from mets_core.index.pipeline import encode_windows
    from mets_core.index.search import embed_record
    from mets_core.io.examples import load_example
    from mets_core.signal.preprocess import preprocess_for_model

    model = load_model(tiny_weights, device="cpu")
    record = load_example("ptbxl_afib")
    query = embed_record(model, record)
    windows = preprocess_for_model(record, model.config.preprocess).windows
    np.testing.assert_allclose(query, encode_windows(model, [windows])[0], atol=1e-5)
    assert query.shape == (model.config.embedding_dim,) and abs(np.linalg.norm(query) - 1) < 1e-5
