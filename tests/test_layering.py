"""Layering rules: the library never imports the UI, and pages never do tensor work themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import imported_roots

REPO = Path(__file__).resolve().parents[1]
PAGE_FILES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]


CORE = ("io", "signal", "model", "zeroshot", "data")  # plus the top-level basics
OUTER = ("app", "train", "evaluate", "index")  # may import the core, never the other way round
TOP_LEVEL_DISPATCH = {"cli.py", "__init__.py"}  # the `mets` command hands off to train/evaluate


def _layer(path: Path) -> str:
    """ "app", "train", "evaluate", "core" or "top" for a file under mets_core/."""
    parts = path.relative_to(REPO / "mets_core").parts
    if len(parts) == 1:
        return "top"
    return parts[0] if parts[0] in OUTER else "core"


def _mets_imports(path: Path) -> set[str]:
    """Every `mets_core.<package>` a file imports (module level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "mets_core":
                names = [f"mets_core.{alias.name}" for alias in node.names]
        found.update(n.split(".")[1] for n in names if n.startswith("mets_core."))
    return found


def test_import_direction() -> None:
    """Core (io, signal, model, zeroshot, data, top-level basics) never imports app, train or
    evaluate; evaluate never imports train; train and evaluate never import app."""
    allowed = {
        "core": set(),
        "top": set(),
        "evaluate": {"evaluate"},
        "train": {"train", "evaluate"},
        "app": {"app", "evaluate", "index"},
        "index": {"index"},
    }
    offenders = []
    for path in sorted((REPO / "mets_core").rglob("*.py")):
        layer = _layer(path)
        if layer == "top" and path.name in TOP_LEVEL_DISPATCH:
            continue
        bad = (_mets_imports(path) & set(OUTER)) - allowed[layer]
        if bad:
            offenders.append(f"{path.relative_to(REPO)} ({layer}) imports {sorted(bad)}")
    assert offenders == [], "\n".join(offenders)


def test_cli_reaches_train_and_evaluate_only_on_demand() -> None:
    # `mets rank` must not import the trainer: the hand-off is by module name at run time.
    assert not (_mets_imports(REPO / "mets_core" / "cli.py") & {"app", "train", "evaluate"})


def test_only_the_app_layer_imports_streamlit() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "mets_core").rglob("*.py"))
        if REPO / "mets_core" / "app" not in path.parents
        if "streamlit" in imported_roots(path)
    ]
    assert offenders == [], f"streamlit imported outside mets_core/app/: {offenders}"


def test_app_layer_is_the_streamlit_glue() -> None:
    assert "streamlit" in imported_roots(REPO / "mets_core" / "app" / "ui.py")


def test_pages_exist() -> None:
    assert len(PAGE_FILES) >= 5, "expected app.py and at least four pages"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_do_no_tensor_work(path: Path) -> None:
    forbidden = {"torch", "transformers", "neurokit2", "wfdb", "safetensors"}
    found = imported_roots(path) & forbidden
    assert not found, f"{path.name} imports {sorted(found)}; that logic belongs in mets_core"


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_never_catch_everything(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            caught = ast.unparse(node.type) if node.type is not None else "<bare>"
            assert caught not in {"<bare>", "Exception", "BaseException"}, (
                f"{path.name}:{node.lineno} catches {caught}; catch METSError only"
            )


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_never_use_shared_caches(path: Path) -> None:
    # Per-patient data must stay in st.session_state; the only caches live in mets_core/app/.
    source = path.read_text(encoding="utf-8")
    assert "cache_data" not in source and "cache_resource" not in source


def test_no_environment_reads_outside_ui() -> None:
    for path in PAGE_FILES:
        assert "os.environ" not in path.read_text(encoding="utf-8"), path.name


def test_importing_mets_core_leaves_the_file_readers_for_first_use() -> None:
    # Model load must not pay for pandas, pydicom, wfdb and the other readers (~1 s).
    import subprocess
    import sys

    code = "import sys, mets_core; print('mets_core.io.readers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
