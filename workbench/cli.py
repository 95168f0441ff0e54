"""The ``workbench`` command: a thin layer over the engine, with exit codes a scheduler can act on.

Exit codes: 0 success; 1 a check failed (reserved for gate/watch); 2 bad input, with the reason on
stderr.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from workbench._version import __version__
from workbench.errors import WorkbenchError

app = typer.Typer(
    name="workbench",
    help="MLTradeOps Workbench: explicit, measured, reproducible ML quality trade-offs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Format(str, Enum):
    table = "table"
    json = "json"


def _out() -> Console:
    """stdout console; wide enough for the table when piped to a file or a CI log."""
    console = Console(highlight=False)
    return console if console.is_terminal else Console(highlight=False, width=200)


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(exc: BaseException) -> typer.Exit:
    _err().print(f"[bold red]error:[/] {type(exc).__name__}: {exc}", markup=True, emoji=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"workbench {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
) -> None:
    """MLTradeOps Workbench."""


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "–"
    return f"{value:.4g}"


def render_table(analysis, console: Console, limit: int = 30) -> None:
    """Print the analysis as a rich table, best rank first."""
    t = analysis.to_frame()
    model = analysis.model
    table = Table(title=f"Trade-off analysis · {analysis.method} · {len(t)} candidates", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("candidate", overflow="fold")
    table.add_column("feasible", justify="center")
    table.add_column("front", justify="right")
    table.add_column("score", justify="right")
    table.add_column("knee", justify="center")
    has_smaa = "acceptability" in t.columns
    if has_smaa:
        table.add_column("P(first)", justify="right")
    for o in model.objectives:
        table.add_column(f"{o.name} {o.arrow}" + (f"\n[{o.unit}]" if o.unit else ""), justify="right")
    for cid, row in t.head(limit).iterrows():
        cells = [str(row["rank"]), str(cid), "✓" if row["feasible"] else "[red]✗[/]", str(row["front"]),
                 _fmt(row["score"]), "★" if row["knee"] else ""]
        if has_smaa:
            cells.append(_fmt(row["acceptability"]))
        cells += [_fmt(row[o.name]) for o in model.objectives]
        style = "bold" if row["rank"] == 1 and row["feasible"] else None
        table.add_row(*cells, style=style)
    console.print(table)
    if len(t) > limit:
        console.print(f"… {len(t) - limit} more candidates (use --format json or -o FILE for all).")
    rec = analysis.recommended
    console.print(f"Recommended: [bold]{rec}[/]" if rec else "[red]No feasible candidate.[/]")
    console.print(f"Front: {len(analysis.front)} candidates · hypervolume {analysis.hypervolume:.4g} "
                  f"(normalised, reference 1.1)")
    excl = analysis.candidates.exclusions
    if len(excl):
        console.print(f"Excluded {len(excl)} rows:")
        for _, r in excl.head(10).iterrows():
            console.print(f"  - {r['candidate']}: {r['reason']}", markup=False)
        if len(excl) > 10:
            console.print(f"  … and {len(excl) - 10} more (see the JSON's 'exclusions').")
    for note in analysis.notes:
        console.print(f"Note: {note}", markup=False)


def run_analysis(candidates: str, model_path: Path, *, method: str | None, champion: str | None,
                 smaa: int, seed: int, stakeholder: str | None, id_column: str | None,
                 replicates: str | None, emissions: Path | None):
    import workbench as wb

    qm = wb.QualityModel.from_yaml(model_path)
    options = {}
    if id_column:
        options["id_column"] = id_column
    if replicates:
        options["replicate_column"] = replicates
    if emissions:
        options["emissions"] = emissions
    cands = wb.load(candidates, model=qm, **options)
    console = _err()
    with console.status("Analysing…", spinner="dots") if console.is_terminal else _nullcontext():
        return wb.analyze(cands, qm, method=method, champion=champion, smaa=smaa, seed=seed,
                          weights=stakeholder)


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command()
def analyze(
    candidates: Annotated[str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' "
                                              "or 'optuna:<storage>#<study>'.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    method: Annotated[Optional[str], typer.Option(help="weighted_sum, tchebycheff, asf or topsis "
                                                  "(default: the model's).")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Candidate id of the champion "
                                                    "(baseline of relative constraints).")] = None,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples (0 = skip).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
    stakeholder: Annotated[Optional[str], typer.Option(help="Use this stakeholder's weights.")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", help="Column with candidate ids.")] = None,
    replicates: Annotated[Optional[str], typer.Option(help="Column telling per-seed replicates apart.")] = None,
    emissions: Annotated[Optional[Path], typer.Option(help="CodeCarbon emissions.csv to join.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the JSON here.")] = None,
) -> None:
    """Analyse candidates under a quality model: feasibility, fronts, ranks, knees, robustness."""
    try:
        result = run_analysis(candidates, model, method=method, champion=champion, smaa=smaa, seed=seed,
                              stakeholder=stakeholder, id_column=id_column, replicates=replicates,
                              emissions=emissions)
    except (WorkbenchError, TypeError) as exc:
        raise _fail(exc) from None
    if output is not None:
        from workbench._io import atomic_write_text

        atomic_write_text(output, result.to_json())
    if format is Format.json:
        if output is None:
            sys.stdout.write(result.to_json() + "\n")
        else:
            _err().print(f"Wrote {output}")
    else:
        console = _out()
        render_table(result, console)
        if output is not None:
            console.print(f"JSON: {output}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the example store and outputs.")] = Path("demo-output"),
    quick: Annotated[bool, typer.Option(help="A smaller grid (seconds instead of a minute).")] = False,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples.", min=0)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
) -> None:
    """Build the embedded example (real scikit-learn runs in a local MLflow store) and analyse it."""
    from workbench.example import build_example

    console = _out()
    try:
        console.print(f"Building the example experiment store in {out}/ …")
        store = build_example(out, quick=quick, seed=seed, progress=console.is_terminal)
        console.print(f"MLflow store: {store.tracking_uri} (experiment {store.experiment!r}, {store.n_runs} runs)")
        result = run_analysis(store.source, Path(store.quality_model_path), method=None, champion=None,
                              smaa=smaa, seed=seed, stakeholder=None, id_column=None, replicates=None,
                              emissions=store.emissions_csv)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    from workbench._io import atomic_write_text

    json_path = atomic_write_text(Path(out) / "analysis.json", result.to_json())
    render_table(result, console)
    console.print()
    console.print(f"Quality model: {store.quality_model_path}")
    console.print(f"Analysis JSON: [bold]{json_path.resolve()}[/]")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
