"""DESIGN.md §2: the engine's layers import only what they may (checked in a fresh interpreter)."""

import json
import subprocess
import sys

import pytest

JUPYTER = {"ipywidgets", "IPython", "anywidget", "altair", "papermill", "jinja2", "widgets", "notebook"}
HEAVY = {"mlflow", "optuna", "pymoo", "dask", "distributed", "sklearn", "codecarbon", "prometheus_client", "duckdb", "polars"}

CORE = [
    "workbench", "workbench.quality", "workbench.sources", "workbench.analysis",
    "workbench.analysis.smaa", "workbench.analysis.weights", "workbench.analysis.uncertainty", "workbench.cli",
    "workbench.monitoring", "workbench.search", "workbench.search.space", "workbench.search.run",
    "workbench.decisions", "workbench.decisions.log", "workbench.decisions.pushdown",
]
LAZY = ["workbench.sources.mlflow", "workbench.sources.optuna", "workbench.sources.codecarbon",
        "workbench.sources.logs", "workbench.sources.prometheus", "workbench.sources.evidently"]


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
