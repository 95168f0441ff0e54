"""``workbench app``: the decision app for people who do not code, served by Voilà on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import _fail, _out, app
from workbench.cli._log import _DEFAULT_LOG, DecisionsOption
from workbench.errors import WorkbenchError


@app.command("app")
def app_(
    source: Annotated[
        str | None,
        typer.Argument(
            help="Evidence to offer first (a CSV/Parquet path, "
            "mlflow:URI#experiment, optuna:STORAGE#study); "
            "default: the embedded demo."
        ),
    ] = None,
    model: Annotated[Path | None, typer.Option("--model", "-m", help="Quality-model YAML of SOURCE.")] = None,
    decisions: DecisionsOption = _DEFAULT_LOG,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8866,
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the app's notebook, settings and the demo store go.")
    ] = Path(".workbench-app"),
    demo: Annotated[bool, typer.Option(help="Also offer the embedded demo.")] = True,
    smaa: Annotated[int, typer.Option(help="SMAA-2 samples behind the robustness sentence.", min=0)] = 2000,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open a browser tab.")] = False,
) -> None:
    """Serve the decision app (Voilà, no code shown) on 127.0.0.1: choose the evidence, read the
    recommendation and its robustness, move weights and limits, pick a candidate, write the rationale
    and save the decision to the decision log; the memo is offered as a download. Ctrl-C stops it."""
    from workbench.errors import require
    from workbench.reports.app import app_command, app_environment, prepare_app

    try:
        require("voila", "app", "The decision app")
        prepared = prepare_app(
            folder,
            source,
            None if model is None else str(model),
            decisions=decisions,
            demo=demo or source is None,
            smaa=smaa,
        )
    except WorkbenchError as exc:
        raise _fail(exc) from None
    console = _out()
    console.print(
        f"Decision app on http://127.0.0.1:{port}/ (decisions go to {prepared.decisions}); Ctrl-C stops it.",
        markup=False,
    )
    env = {**os.environ, **app_environment(prepared)}
    try:
        code = subprocess.call(app_command(prepared, port=port, open_browser=open_browser), env=env)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
