"""The decision app: a one-cell notebook served by Voilà on 127.0.0.1, for people who do not code.

:func:`prepare_app` writes the app's folder -- the notebook (one cell that builds
``widgets.app.DecisionApp``; Voilà shows its output, never its code), the configuration it reads
(the sources with their quality models and the decision log) and, by default, the embedded demo's
store -- and :func:`app_command` gives the Voilà command line that serves it offline (a template
without the default one's CDN stylesheets, ``app_templates/``). ``workbench app`` runs both.
Nothing here imports Jupyter: Voilà runs in its own process.

>>> label_of("mlflow:sqlite:///runs/mlflow.db#fraud-detector")
'MLflow experiment fraud-detector'
>>> label_of("/data/reviews/runs.parquet")
'runs.parquet'
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench._io import atomic_write_text
from workbench.errors import WorkbenchError

__all__ = [
    "AppFolder",
    "CONFIG_ENV",
    "DEMO_LABEL",
    "TEMPLATE",
    "app_command",
    "app_environment",
    "label_of",
    "prepare_app",
]

#: Environment variable naming the configuration file the app's notebook reads.
CONFIG_ENV = "WORKBENCH_APP_CONFIG"
#: The Voilà template (``app_templates/voila/templates/workbench-app``): lab, less the CDN links.
TEMPLATE = "workbench-app"
TEMPLATES = Path(__file__).parent / "app_templates"
DEMO_LABEL = "Demo: breast-cancer screening classifiers (embedded example)"
NOTEBOOK = "decision_app.ipynb"

_CELL = """from widgets.app import DecisionApp

DecisionApp.from_environment()
"""


class AppError(WorkbenchError):
    """The decision app cannot be prepared (no source, a model missing...)."""


def label_of(source: str) -> str:
    """What the page calls a source: the experiment, study or file name -- never a path."""
    text = str(source)
    if text.startswith(("mlflow:", "optuna:")) and "#" in text:
        kind = "MLflow experiment" if text.startswith("mlflow:") else "Optuna study"
        return f"{kind} {text.rsplit('#', 1)[1]}"
    return Path(text).name or text


@dataclass(frozen=True)
class AppFolder:
    """A prepared app: its folder, notebook, configuration file and what it offers."""

    folder: Path
    notebook: Path
    config: Path
    sources: list[dict[str, str]] = field(default_factory=list)
    decisions: str = ""


def prepare_app(
    folder: str | os.PathLike[str],
    source: str | None = None,
    model: str | None = None,
    *,
    decisions: str = "sqlite:///decisions.db",
    demo: bool = True,
    smaa: int = 2000,
    seed: int = 0,
) -> AppFolder:
    """Write the app's notebook and configuration into ``folder``.

    Parameters
    ----------
    folder : path
        Where the notebook, the configuration and the demo store go (created).
    source, model : str, optional
        Evidence to offer first (what :func:`workbench.load` takes) and its quality-model YAML; a
        source needs a model.
    decisions : str
        The decision log (SQLAlchemy URL or SQLite path; a relative SQLite path is made absolute,
        so the app writes where the command was run).
    demo : bool
        Also offer the embedded demo (built into ``folder/demo`` the first time; the default
        source when ``source`` is not given).
    smaa, seed : int
        SMAA-2 samples and seed behind the page's robustness sentence.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    sources: list[dict[str, str]] = []
    if source is not None:
        if model is None:
            raise AppError(
                f"The source {label_of(source)!r} needs its quality model.\n  Fix: add --model quality.yaml."
            )
        model_path = Path(model).resolve()
        if not model_path.is_file():
            raise AppError(
                f"Quality model {str(model)!r} does not exist.\n  Fix: give the path of a quality-model "
                "YAML file with --model."
            )
        spec = str(source)
        if "://" not in spec and ":" not in spec.split("/")[0] and Path(spec).exists():
            spec = str(Path(spec).resolve())
        sources.append({"label": label_of(source), "source": spec, "model": str(model_path)})
    if demo:
        from workbench.example import build_example

        store = build_example(folder / "demo", quick=True)
        sources.append({"label": DEMO_LABEL, "source": store.source, "model": str(store.quality_model_path)})
    if not sources:
        raise AppError("The app has nothing to show: give a source with --model, or keep the demo.")
    decisions = _absolute_log(decisions)
    config = {"sources": sources, "decisions": decisions, "smaa": int(smaa), "seed": int(seed)}
    config_path = atomic_write_text(folder / "app.json", json.dumps(config, indent=1) + "\n")
    notebook = atomic_write_text(folder / NOTEBOOK, json.dumps(_notebook(), indent=1) + "\n")
    return AppFolder(folder, Path(notebook), Path(config_path), sources, decisions)


def _absolute_log(url: str) -> str:
    """A SQLite log given relative to the working directory, made absolute (the server runs
    elsewhere); other URLs as given."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        rest = url[len("sqlite:///") :]
        if rest and rest != ":memory:":
            return "sqlite:///" + str(Path(rest).resolve())
    if "://" not in url:
        return "sqlite:///" + str(Path(url).resolve())
    return url


def _notebook() -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "decision-app",
                "metadata": {},
                "outputs": [],
                "source": _CELL,
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def app_environment(app: AppFolder) -> dict[str, str]:
    """Environment of the Voilà server (its kernel inherits it): the configuration file and the
    template folder."""
    paths = [str(TEMPLATES), os.environ.get("JUPYTER_PATH", "")]
    return {CONFIG_ENV: str(app.config), "JUPYTER_PATH": os.pathsep.join(p for p in paths if p)}


def app_command(app: AppFolder, *, port: int = 8866, open_browser: bool = False) -> list[str]:
    """The Voilà command line serving ``app`` on 127.0.0.1:``port`` (no code, no tracebacks)."""
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(app.notebook),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--template={TEMPLATE}",
        "--theme=light",
        "--strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        "--Voila.port_retries=0",
    ]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd
