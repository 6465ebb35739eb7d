"""One typed session API: pages keep per-session data through `mets_core.app.session` only.

Pages never read, index or write `st.session_state` themselves; inside the library only
`app/session.py` does; and no module anywhere uses `from x import *`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mets_core.app import keys, session

REPO = Path(__file__).resolve().parents[1]
PAGE_FILES = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
SESSION_MODULE = REPO / "mets_core" / "app" / "session.py"
SKIPPED_DIRS = {".venv", ".git", "build", "dist", "artifacts", "node_modules"}


def _python_files() -> list[Path]:
    """Every Python file of the project (library, pages, tests, benchmarks), not the venv."""
    return [
        path
        for path in sorted(REPO.rglob("*.py"))
        if not SKIPPED_DIRS & set(path.relative_to(REPO).parts)
        if not any(part.endswith(".egg-info") for part in path.relative_to(REPO).parts)
    ]


def _session_state_uses(path: Path) -> list[str]:
    """Where a file reaches `session_state`: `st.session_state`, an import of it, a getattr."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session_state":
            found.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module and "streamlit" in node.module:
            if any(alias.name == "session_state" for alias in node.names):
                found.append(f"{path.name}:{node.lineno} imports session_state")
        elif isinstance(node, ast.Constant) and node.value == "session_state":
            found.append(f"{path.name}:{node.lineno} names 'session_state'")
    return found


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_never_touch_session_state(path: Path) -> None:
    uses = _session_state_uses(path)
    assert uses == [], f"use mets_core.app.session instead of st.session_state: {uses}"


def test_only_the_session_module_touches_session_state() -> None:
    offenders = [
        use
        for path in sorted((REPO / "mets_core").rglob("*.py"))
        if path != SESSION_MODULE
        for use in _session_state_uses(path)
    ]
    assert offenders == [], f"st.session_state outside mets_core/app/session.py: {offenders}"
    assert _session_state_uses(SESSION_MODULE), "session.py is the one API over st.session_state"


def test_no_module_uses_import_star() -> None:
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], f"import * found (import names explicitly): {offenders}"


def test_session_and_widget_keys_are_distinct_constants() -> None:
    session_keys = {v for k, v in vars(session).items() if k.startswith("KEY_")}
    widget_keys = {v for k, v in vars(keys).items() if k.startswith("W_")}
    assert len(session_keys) == len([k for k in vars(session) if k.startswith("KEY_")])
    assert len(widget_keys) == len([k for k in vars(keys) if k.startswith("W_")])
    assert not session_keys & widget_keys
    assert not [k for k in vars(keys) if k.startswith("KEY_")], "session keys live in session.py"


def _new_record_script() -> None:
    import streamlit as st

    from mets_core.app import session
    from mets_core.io.examples import load_example

    old_ranking = session.ranking()
    st.write(f"sanity kept for its ranking: {session.sanity_results(old_ranking) is not None}")
    st.write(f"sanity for another ranking: {session.sanity_results(object()) is not None}")
    session.set_record(load_example("ptbxl_normal"), "Example: normal ECG", reference="NORM")
    st.write(f"label: {session.record_label()}; reference: {session.reference()}")


def test_a_new_record_forgets_the_results_of_the_previous_one() -> None:
    at = AppTest.from_function(_new_record_script, default_timeout=30)
    old_ranking = object()
    at.session_state[session.KEY_RANKING] = old_ranking
    at.session_state[session.KEY_IMPORTANCE] = ({"I": 0.1}, None)
    at.session_state[session.KEY_SANITY] = (old_ranking, [])
    at.session_state[session.KEY_UPLOAD_ERROR] = "bad file"
    at.session_state[keys.W_SHOW_PATIENT] = True
    at.run()
    assert not at.exception, at.exception
    shown = [element.value for element in at.markdown]
    assert shown == [
        "sanity kept for its ranking: True",
        "sanity for another ranking: False",
        "label: Example: normal ECG; reference: NORM",
    ]
    for key in (session.KEY_RANKING, session.KEY_IMPORTANCE, session.KEY_SANITY):
        assert key not in at.session_state
    assert session.KEY_UPLOAD_ERROR not in at.session_state
    assert at.session_state[keys.W_SHOW_PATIENT] is False  # the new patient starts hidden
    assert at.session_state[session.KEY_RECORD].n_leads == 12
