"""``workbench search``: a pymoo configuration search that produces new candidates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from workbench.cli._app import EXIT_CHECK_FAILED, _err, _fail, _fmt, _out, _plain, app
from workbench.errors import WorkbenchError


def _guide(text: str | None):
    """``weights`` or ``name=value,name=value`` -> the search's guide."""
    if text is None or text == "weights":
        return text
    point = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            point[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            from workbench.errors import SearchError

            raise SearchError(
                f"--guide {text!r}: expected 'weights' or 'objective=value,objective=value', "
                f"e.g. --guide recall=0.97,latency_p95_ms=2."
            )
    return point


def _initial(path: Path | None) -> list:
    if path is None:
        return []
    import yaml

    from workbench.errors import SearchError

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SearchError(f"Cannot read the initial configurations {str(path)!r}: {exc}") from None
    if isinstance(data, dict) and "configurations" in data:
        data = data["configurations"]
    if not isinstance(data, list) or not all(isinstance(c, dict) for c in data):
        raise SearchError(
            f"{str(path)!r} must hold a list of configurations (mappings of parameter to value), "
            "or 'configurations: [...]'."
        )
    return data


def _set_aside(record: Path) -> Path | None:
    """--fresh: keep the old record under a dated name instead of deleting it."""
    if not record.exists():
        return None
    import time

    kept = record.with_name(f"{record.stem}.{time.strftime('%Y%m%dT%H%M%S')}{record.suffix}")
    for suffix in ("", "-wal", "-shm"):
        side = Path(str(record) + suffix)
        if side.exists():
            side.rename(Path(str(kept) + suffix))
    return kept


@app.command()
def search(
    space: Annotated[Path, typer.Argument(help="Configuration space YAML (parameters, conditions).")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    evaluate: Annotated[
        str,
        typer.Option("--evaluate", "-e", help="Evaluation function: 'module:function' or 'path/to/file.py:function'."),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Output folder: evaluations.parquet, "
            "front.parquet/.csv, search.json and the record evaluations.sqlite.",
        ),
    ],
    budget: Annotated[int, typer.Option(help="Maximum number of evaluations.", min=1)] = 200,
    workers: Annotated[int, typer.Option(help="Evaluate on this many local Dask worker processes.", min=1)] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Evaluate on this Dask scheduler (e.g. tcp://10.0.0.5:8786).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed: same inputs and seed, same search.")] = 0,
    pop_size: Annotated[int | None, typer.Option(help="Population size (default: from the budget).", min=2)] = None,
    guide: Annotated[
        str | None, typer.Option(help="Focus: 'weights' (the model's) or a reference point 'objective=value,...'.")
    ] = None,
    initial: Annotated[Path | None, typer.Option(help="YAML/JSON list of configurations to start from.")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Candidates that relative constraints refer to (file or source spec).")
    ] = None,
    champion: Annotated[str | None, typer.Option(help="Champion id in --baseline.")] = None,
    mlflow: Annotated[str | None, typer.Option(help="Record in MLflow: 'TRACKING_URI#EXPERIMENT'.")] = None,
    stall_generations: Annotated[
        int, typer.Option(help="Stop when the hypervolume stalls this many generations (0 = never).", min=0)
    ] = 10,
    stall_tol: Annotated[
        float, typer.Option(help="Relative hypervolume growth that counts as progress.", min=0.0)
    ] = 1e-3,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Re-evaluate recorded failures.")] = False,
    fail_fast: Annotated[
        int,
        typer.Option(help="Stop (exit 2) when the first N evaluations all raise the same exception; 0: never.", min=0),
    ] = 5,
    fresh: Annotated[bool, typer.Option("--fresh", help="Start a new record (the old one is kept aside).")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Search a configuration space for new candidates with pymoo (NSGA-II/III, R-NSGA when guided).

    Every evaluation is recorded as it finishes; rerunning the same command resumes an interrupted
    search without evaluating anything twice. Exit 0 with a feasible front, 1 when nothing
    feasible was found, 2 for bad input.
    """
    import os

    import workbench as wb
    from workbench.search import SearchConfig
    from workbench.search import search as _search

    if os.getcwd() not in sys.path:  # 'module:function' from the current folder, like python -m
        sys.path.insert(0, os.getcwd())
    err = _err()
    try:
        qm = wb.QualityModel.from_yaml(model)
        base = wb.load(baseline, model=qm) if baseline else None
        kept = _set_aside(output / "evaluations.sqlite") if fresh and not mlflow else None
        if kept is not None:
            err.print(f"Previous record kept as {kept}", markup=False)
        config = SearchConfig(
            budget=budget,
            seed=seed,
            pop_size=pop_size,
            guide=_guide(guide),
            initial=_initial(initial),
            stall_generations=stall_generations,
            stall_tol=stall_tol,
            retry_failed=retry_failed,
            fail_fast=fail_fast,
        )
        result = _search(
            space,
            qm,
            evaluate,
            config,
            baseline=base,
            champion=champion,
            outdir=output,
            mlflow=mlflow,
            workers=workers,
            scheduler=scheduler,
            progress=progress and err.is_terminal,
        )
        paths = result.save(output)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print(
            f"Interrupted. Every finished evaluation is recorded in {output / 'evaluations.sqlite'}"
            " (or the MLflow experiment); rerun the same command to resume.",
            markup=False,
        )
        raise typer.Exit(130) from None
    out = _out()
    ev = result.evaluations
    ok = int((ev["status"] == "ok").sum())
    out.print(
        f"{result.settings['algorithm']}: {len(ev)} evaluations ({result.calls} run now, "
        f"{result.reused} from the record), {ok} ok, {len(ev) - ok} failed; stopped: {result.stopped}.",
        markup=False,
    )
    front = result.front
    if front.empty:
        err.print(
            "No feasible candidate was found: every evaluation failed or violates a hard constraint.", markup=False
        )
        if result.analysis is not None:
            worst = result.analysis.table.sort_values("violation").head(3)
            err.print(
                "Closest: " + ", ".join(f"{i} (violation {v:.3g})" for i, v in worst["violation"].items()), markup=False
            )
    else:
        table = Table(title=f"Front: {len(front)} candidates", show_lines=False)
        table.add_column("candidate")
        table.add_column("configuration", overflow="fold")
        for name in qm.names:
            table.add_column(_plain(name), justify="right")
        rank = result.analysis.table["rank"]
        for _, row in front.assign(_rank=front["candidate"].map(rank)).sort_values("_rank").head(20).iterrows():
            config = result.configurations.get(row["candidate"], {})
            text = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items())
            table.add_row(_plain(row["candidate"]), _plain(text), *[_fmt(row[n]) for n in qm.names])
        out.print(table)
    for name in ("evaluations.parquet", "front.parquet", "search.json"):
        out.print(f"{name}: {paths[name]}", markup=False)
    if front.empty:
        raise typer.Exit(EXIT_CHECK_FAILED)
