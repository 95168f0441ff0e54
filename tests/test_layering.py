"""DESIGN.md §2: the engine's layers import only what they may (checked in a fresh interpreter)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

JUPYTER = {"ipywidgets", "IPython", "anywidget", "altair", "papermill", "jinja2", "widgets", "notebook"}
HEAVY = {
    "mlflow",
    "optuna",
    "pymoo",
    "dask",
    "distributed",
    "sklearn",
    "codecarbon",
    "prometheus_client",
    "duckdb",
    "polars",
}

CORE = [
    "workbench",
    "workbench.quality",
    "workbench.sources",
    "workbench.analysis",
    "workbench.analysis.smaa",
    "workbench.analysis.weights",
    "workbench.analysis.uncertainty",
    "workbench.cli",
    "workbench.monitoring",
    "workbench.search",
    "workbench.search.space",
    "workbench.search.run",
    "workbench.decisions",
    "workbench.decisions.log",
    "workbench.decisions.pushdown",
]
LAZY = [
    "workbench.sources.mlflow",
    "workbench.sources.optuna",
    "workbench.sources.codecarbon",
    "workbench.sources.logs",
    "workbench.sources.prometheus",
    "workbench.sources.evidently",
    "workbench.reports.notebook",
    "workbench.monitoring.prometheus",
    "workbench.monitoring.exporter",
]


def imported_by(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", CORE + LAZY)
def test_core_never_imports_jupyter_or_heavy_backends_at_import(module):
    mods = imported_by(module)
    assert not (mods & JUPYTER), f"{module} imports {mods & JUPYTER}"
    assert not (mods & HEAVY), f"{module} imports heavy back ends at import time: {mods & HEAVY}"


def test_views_add_no_jupyter_import_beyond_altair_itself():
    # altair imports ipywidgets/anywidget when they are installed (for JupyterChart); views add nothing
    mods = imported_by("workbench.views")
    assert "altair" in mods
    assert mods & JUPYTER <= imported_by("altair") & JUPYTER


def test_engine_does_not_import_views_or_widgets():
    mods = imported_by("workbench")
    assert "altair" not in mods and "widgets" not in mods


# --- contracts read from the source (ast): private reach-ins, cycles, the architecture table ----

sys.path.insert(0, str(Path(__file__).parent))
import _imports  # noqa: E402  (tests/_imports.py, loaded from the tests folder)

ARCHITECTURE = _imports.ROOT / "docs" / "architecture.md"
SHORT = {"quality", "sources", "analysis", "views", "monitoring", "search", "example", "decisions", "reports", "cli"}

#: Reach-ins and cycles in modules whose owners are reworking them in parallel branches; each entry
#: names what replaces it. The list can only shrink: an entry that no longer occurs fails the test.
PENDING_PRIVATE: set[tuple[str, str]] = set()
#: Import cycles still to break (none: keep it so).
PENDING_CYCLES: list[list[str]] = []
#: Package edges the table forbids, pending the same work.
PENDING_EDGES = {("workbench.decisions", "workbench.sources")}  # MLflow helpers -> workbench/_mlflow.py


@pytest.fixture(scope="module")
def found():
    return _imports.imports()


def _key(imp: _imports.Import) -> tuple[str, str]:
    return imp.source, f"{imp.target}.{imp.name}" if imp.name else imp.target


def test_no_private_name_or_module_is_imported_from_another_package(found):
    reach = _imports.private_reach_ins(found)
    new = [str(i) for i in reach if _key(i) not in PENDING_PRIVATE]
    assert not new, (
        "another package's private name or module is imported; make it a documented public "
        "function of its owner (or a workbench/_x.py helper):\n  " + "\n  ".join(new)
    )
    gone = PENDING_PRIVATE - {_key(i) for i in reach}
    assert not gone, f"fixed: remove from PENDING_PRIVATE: {sorted(gone)}"


def test_no_import_cycle_between_modules(found):
    assert _imports.cycles(found) == PENDING_CYCLES


def _table() -> dict[str, set[str]]:
    """``docs/architecture.md``'s package table: package -> the packages it may import."""
    allowed: dict[str, set[str]] = {}
    for line in ARCHITECTURE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        name = cells[0].strip("`")
        if name not in {f"workbench.{s}" for s in SHORT} | {"widgets"}:
            continue
        words = {w.strip("`*.,;()") for w in cells[2].replace(",", " ").split()}
        if "everything" in words or "workbench" in words:  # the CLI and widgets: the whole engine
            allowed[name] = {f"workbench.{s}" for s in SHORT} | {"workbench"}
        else:
            allowed[name] = {f"workbench.{w}" for w in words & SHORT}
    return allowed


def test_architecture_table_names_every_package():
    table = _table()
    assert set(table) == {f"workbench.{s}" for s in SHORT} | {"widgets"}


def test_package_imports_follow_the_architecture_table(found):
    table = _table()
    bad = []
    for (a, b), imps in sorted(_imports.package_edges(found).items()):
        if b == _imports.HELPERS or (a, b) in PENDING_EDGES:
            continue  # root helper modules (errors, _io, _dask...) serve every package
        if a == _imports.HELPERS:
            bad.append(f"root helper imports {b}: " + ", ".join(map(str, imps)))
        elif b not in table.get(a, set()) - {a}:
            bad.append(f"{a} -> {b} ({len(imps)}): " + "; ".join(map(str, imps[:3])))
    assert not bad, "imports the table in docs/architecture.md does not allow:\n  " + "\n  ".join(bad)
    still = {e for e in PENDING_EDGES if e in _imports.package_edges(found)}
    assert still == PENDING_EDGES, f"fixed: remove from PENDING_EDGES: {sorted(PENDING_EDGES - still)}"


def test_contract_checker_sees_a_reach_in_and_a_cycle(tmp_path):
    # the checker itself, on a tiny tree: a private reach-in, a cycle, and what is allowed
    for rel, text in {
        "workbench/__init__.py": "",
        "workbench/_io.py": "",
        "workbench/a/__init__.py": "",
        "workbench/a/_k.py": "def f(): pass\n",
        "workbench/a/m.py": "from workbench.a._k import f\nfrom workbench._io import x\n",
        "workbench/b/__init__.py": "",
        "workbench/b/n.py": "from workbench.a._k import f\nfrom workbench.a.m import _g\nfrom . import o\n",
        "workbench/b/o.py": "def h():\n    from workbench.b import n\n",
        "widgets/__init__.py": "",
    }.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = _imports.imports(tmp_path)
    assert sorted(map(str, _imports.private_reach_ins(found, tmp_path))) == [
        "workbench.b.n:1 imports workbench.a._k.f",
        "workbench.b.n:2 imports workbench.a.m._g",
    ]
    assert _imports.cycles(found, tmp_path) == [["workbench.b.n", "workbench.b.o"]]
    assert set(_imports.package_edges(found, tmp_path)) == {
        ("workbench.a", _imports.HELPERS),
        ("workbench.b", "workbench.a"),
    }
