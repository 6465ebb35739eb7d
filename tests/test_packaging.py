"""pyproject.toml declares what mets_core imports, and the pinned lock satisfies it.

Every third-party import under mets_core/ must be a [project] dependency or in an extra; what
`import mets_core; load_model(); rank(...)` loads must need the core dependencies only; and every
declared package must be pinned in requirements.txt at a version inside the declared range.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import imported_roots
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
SELF = canonicalize_name(PROJECT["name"])
CORE = [Requirement(line) for line in PROJECT["dependencies"]]
EXTRAS = {
    extra: [Requirement(line) for line in lines]
    for extra, lines in PROJECT.get("optional-dependencies", {}).items()
}
ALL = [r for r in CORE + sum(EXTRAS.values(), []) if canonicalize_name(r.name) != SELF]


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of non-stdlib modules a file imports (module level or inside functions)."""
    roots = imported_roots(path)
    return {r for r in roots if r not in sys.stdlib_module_names and r != "mets_core"}


def _undeclared(files: list[Path], declared: list[Requirement]) -> dict[str, list[str]]:
    """import name -> files importing it, for imports whose distribution is not in `declared`."""
    names = {canonicalize_name(r.name) for r in declared}
    distributions = importlib.metadata.packages_distributions()
    missing: dict[str, list[str]] = {}
    for path in files:
        for root in _third_party_imports(path):
            candidates = {canonicalize_name(d) for d in distributions.get(root, [root])}
            if not candidates & names:
                missing.setdefault(root, []).append(path.relative_to(REPO).as_posix())
    return missing


def test_every_third_party_import_is_declared():
    files = sorted((REPO / "mets_core").rglob("*.py"))
    missing = _undeclared(files, ALL)
    assert not missing, (
        "mets_core imports packages that pyproject.toml declares neither in [project] "
        f"dependencies nor in an extra (add them, and pin them in requirements.txt): {missing}"
    )


def test_load_model_and_rank_need_only_the_core_dependencies():
    code = (
        "import json, sys, mets_core, mets_core.model.load, mets_core.zeroshot.rank;"
        "print(json.dumps(sorted(m.__file__ for n, m in list(sys.modules.items())"
        " if n.startswith('mets_core') and getattr(m, '__file__', None))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    files = [Path(f) for f in json.loads(loaded.stdout)]
    assert any(f.name == "rank.py" for f in files)
    missing = _undeclared(files, CORE)
    assert not missing, (
        "`import mets_core` (load_model, rank) now needs packages that are only in an extra or "
        f"not declared; make the import lazy or move them to [project] dependencies: {missing}"
    )


def test_every_declared_package_is_pinned_in_the_lock_within_its_range():
    lock = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            requirement = Requirement(line)
            lock[canonicalize_name(requirement.name)] = requirement
    for requirement in ALL:
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is declared but missing from requirements.txt"
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{requirement.name} {installed} (installed from requirements.txt) is outside "
            f"pyproject's range {requirement.specifier}"
        )


def test_extras_cover_the_app_the_trainer_and_the_readers():
    assert {"app", "train", "readers", "dev"} <= set(EXTRAS)
    assert "streamlit" in {canonicalize_name(r.name) for r in EXTRAS["app"]}
    assert "streamlit" not in {canonicalize_name(r.name) for r in CORE}  # the library has no UI
