"""DESIGN.md §2: the engine's layers import only what they may (checked in a fresh interpreter)."""

import json
import subprocess
import sys

import pytest

JUPYTER = {"ipywidgets", "IPython", "anywidget", "altair", "papermill", "jinja2", "widgets", "notebook"}
HEAVY = {"mlflow", "optuna", "pymoo", "dask", "distributed", "sklearn", "codecarbon"}

CORE = [
    "workbench", "workbench.quality", "workbench.sources", "workbench.analysis",
    "workbench.analysis.sensitivity", "workbench.analysis.uncertainty", "workbench.cli",
]
LAZY = ["workbench.sources.mlflow", "workbench.sources.optuna", "workbench.sources.codecarbon"]


def imported_by(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module", CORE + LAZY)
def test_core_never_imports_jupyter_or_heavy_backends_at_import(module):
    mods = imported_by(module)
    assert not (mods & JUPYTER), f"{module} imports {mods & JUPYTER}"
    assert not (mods & HEAVY), f"{module} imports heavy back ends at import time: {mods & HEAVY}"
