"""``workbench analyze``: the trade-off analysis of a candidate set, as a table or JSON."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from workbench.cli._app import (
    Format,
    _check_output,
    _err,
    _fail,
    _fmt,
    _nullcontext,
    _out,
    _plain,
    _write_output,
    app,
)
from workbench.errors import WorkbenchError


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
        table.add_column(_plain(f"{o.name} {o.arrow}") + (f"\n{_plain(f'[{o.unit}]')}" if o.unit else ""),
                         justify="right")
    for cid, row in t.head(limit).iterrows():
        cells = [str(row["rank"]), _plain(cid), "✓" if row["feasible"] else "[red]✗[/]", str(row["front"]),
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
    console.print(f"Recommended: [bold]{_plain(rec)}[/]" if rec else "[red]No feasible candidate.[/]")
    console.print(f"Front: {len(analysis.front)} candidates · hypervolume {analysis.hypervolume:.4g} "
                  f"(normalised, reference 1.1)")
    excl = analysis.candidates.exclusions
    if len(excl):
        console.print(f"Excluded {len(excl)} rows:")
        for _, r in excl.head(10).iterrows():
            console.print(f"  - {_plain(r['candidate'], False)}: {_plain(r['reason'], False)}", markup=False)
        if len(excl) > 10:
            console.print(f"  … and {len(excl) - 10} more (see the JSON's 'exclusions').")
    for note in analysis.notes:
        console.print(f"Note: {_plain(note, False)}", markup=False)


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
    _check_output(output)
    try:
        result = run_analysis(candidates, model, method=method, champion=champion, smaa=smaa, seed=seed,
                              stakeholder=stakeholder, id_column=id_column, replicates=replicates,
                              emissions=emissions)
        if output is not None:
            _write_output(output, result.to_json())
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if format is Format.json:
        if output is None:
            sys.stdout.write(result.to_json() + "\n")
        else:
            _err().print(f"Wrote {output}", markup=False)
    else:
        console = _out()
        render_table(result, console)
        if output is not None:
            console.print(f"JSON: {output}", markup=False)
