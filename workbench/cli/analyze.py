"""``workbench analyze``: the trade-off analysis of a candidate set, as a table or JSON."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from workbench.analysis.methods import SCORERS
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
from workbench.format import format_percent


def ranked_table(analysis, width: int, limit: int = 30) -> tuple[Table, list[str]]:
    """The ranked candidates as a rich table that fits ``width`` columns, and what it left out.

    Every number goes through :func:`workbench.format.format_number` (objective values with their
    unit). When the table is too wide it drops, in order, the knee, front and P(first) columns,
    then the objectives that weigh least, and abbreviates the candidate ids (``…``) -- it never
    wraps a cell. The caption states the method, the weights and what was left out.
    """
    from rich import box
    from rich.measure import Measurement
    from rich.text import Text

    from workbench.format import format_percent

    t = analysis.to_frame().head(limit)
    model = analysis.model
    has_smaa = "acceptability" in t.columns
    weights = analysis.weights
    objectives = list(model.objectives)
    optional = ["knee", "front"]
    # least important objectives go first when room runs out
    by_weight = sorted(objectives, key=lambda o: (weights.get(o.name, 0.0), -objectives.index(o)))
    dropped: list[str] = []
    id_width = max([len(_plain(c, False)) for c in t.index] + [9])

    values = {o.name: [_fmt(v, o.unit or None) for v in t[o.name]] for o in objectives}

    def header(o, narrow: bool) -> str:
        """``name ↓``; narrow: the name broken at underscores into lines as wide as its values."""
        text = f"{o.name} {o.arrow}"
        if not narrow:
            return _plain(text)
        room = max([len(v) for v in values[o.name]] + [6])
        lines: list[str] = []
        for part in re.findall(r"[^_]+_?|_", o.name):
            if lines and len(lines[-1]) + len(part) <= room:
                lines[-1] += part
            else:
                lines.append(part)
        if len(lines[-1]) + 2 <= room:
            lines[-1] += f" {o.arrow}"
        else:
            lines.append(o.arrow)
        return _plain("\n".join(lines))

    def build(cols: list[str], objs: list, id_max: int, narrow: bool = False) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title_justify="left")
        table.add_column("rank", justify="right", no_wrap=True)
        table.add_column("candidate", no_wrap=True, overflow="ellipsis", max_width=id_max)
        table.add_column("ok" if narrow else "feasible", justify="center", no_wrap=True)
        if "front" in cols:
            table.add_column("front", justify="right", no_wrap=True)
        table.add_column("score", justify="right", no_wrap=True)
        if "knee" in cols:
            table.add_column("knee", justify="center", no_wrap=True)
        if "P(first)" in cols:
            table.add_column("P(first)", justify="right", no_wrap=True)
        for o in objs:
            table.add_column(header(o, narrow), justify="right", no_wrap=True)
        for cid, row in t.iterrows():
            # a Text, not markup: rich renders an escaped trailing backslash twice
            cells = [str(row["rank"]), Text(_plain(cid, False)), "✓" if row["feasible"] else "[red]✗[/]"]
            if "front" in cols:
                cells.append(str(row["front"]))
            cells.append(_fmt(row["score"]))
            if "knee" in cols:
                cells.append("★" if row["knee"] else "")
            if "P(first)" in cols:
                cells.append(format_percent(row["acceptability"]))
            cells += [_fmt(row[o.name], o.unit or None) for o in objs]
            table.add_row(*cells, style="bold" if row["rank"] == 1 and row["feasible"] else None)
        return table

    cols, objs, id_max, narrow = list(optional) + (["P(first)"] if has_smaa else []), list(objectives), id_width, False
    console = Console(width=10_000, file=io.StringIO())

    def fits(table: Table) -> bool:  # its natural width, measured without a limit
        return Measurement.get(console, console.options, table).maximum <= width

    table = build(cols, objs, id_max)
    while not fits(table):  # knee, front; then narrow headers; then light objectives; then P(first)
        if set(cols) & set(optional):
            dropped.append(next(c for c in cols if c in optional))
            cols.remove(dropped[-1])
        elif not narrow:
            narrow = True
        elif len(objs) > 1:
            o = next(x for x in by_weight if x in objs)
            objs.remove(o)
            dropped.append(o.name)
        elif cols:
            dropped.append(cols.pop(0))
        elif id_max > 10:
            id_max = max(10, id_max - 4)
        else:
            break
        table = build(cols, objs, id_max, narrow)
    shares = ", ".join(f"{n} {format_percent(w)}" for n, w in sorted(weights.items(), key=lambda kv: -kv[1]))
    caption = [f"{analysis.method} · weights {shares}"]
    if dropped:
        caption.append(f"not shown at {width} columns: {', '.join(dropped)} (widen the terminal or use --format json)")
    table.title = f"Trade-off analysis · {len(analysis.to_frame())} candidates"
    table.caption = _plain("\n".join(caption)).replace(" %", "\u00a0%")  # "17 %" never splits
    table.caption_justify = "left"
    return table, dropped


def render_table(analysis, console: Console, limit: int = 30) -> None:
    """Print the analysis as a table that fits the console, best rank first."""
    t = analysis.to_frame()
    table, _ = ranked_table(analysis, console.width, limit)
    console.print(table)
    if len(t) > limit:
        console.print(f"… {len(t) - limit} more candidates (use --format json or -o FILE for all).")
    rec = analysis.recommended
    incumbent = f" (incumbent: {_plain(analysis.champion)})" if analysis.champion is not None else ""
    console.print(f"Recommended: [bold]{_plain(rec)}[/]{incumbent}" if rec else "[red]No feasible candidate.[/]")
    console.print(
        f"Front: {len(analysis.front)} candidates · hypervolume {_fmt(analysis.hypervolume)} "
        f"(normalised, reference 1.1)"
    )
    excl = analysis.candidates.exclusions
    if len(excl):
        console.print(f"Excluded {len(excl)} rows:")
        for _, r in excl.head(10).iterrows():
            console.print(f"  - {_plain(r['candidate'], False)}: {_plain(r['reason'], False)}", markup=False)
        if len(excl) > 10:
            console.print(f"  … and {len(excl) - 10} more (see the JSON's 'exclusions').")
    unc = analysis.uncertainty
    if unc is not None:
        if unc.text:
            console.print(f"Seed noise: {_plain(unc.text, False)}", markup=False)
        for _, c in unc.comparisons.iterrows():
            verdict = c["verdict"] + (f" ({c['reason']})" if c["verdict"] == "no detectable difference" else "")
            console.print(
                _plain(
                    f"  vs {c['versus']} ({c['relation']}): P(better) {format_percent(c['p_better'])}, "
                    f"P(dominates) {format_percent(c['p_dominates'])}, {c['n_candidate']} vs "
                    f"{c['n_versus']} seeds: {verdict}",
                    False,
                ),
                markup=False,
            )
    for note in analysis.notes:
        console.print(f"Note: {_plain(note, False)}", markup=False)


def run_analysis(
    candidates: str,
    model_path: Path,
    *,
    method: str | None,
    champion: str | None,
    smaa: int,
    seed: int,
    stakeholder: str | None,
    id_column: str | None,
    replicates: str | None,
    emissions: Path | None,
):
    import workbench as wb

    qm = wb.QualityModel.from_yaml(model_path)
    options = {}
    if id_column:
        options["id"] = id_column
    if replicates:
        options["replicate_column"] = replicates
    if emissions:
        options["emissions"] = emissions
    cands = wb.load(candidates, model=qm, **options)
    console = _err()
    with console.status("Analysing…", spinner="dots") if console.is_terminal else _nullcontext():
        return wb.analyze(cands, qm, method=method, champion=champion, smaa=smaa, seed=seed, weights=stakeholder)


@app.command()
def analyze(
    candidates: Annotated[
        str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' or 'optuna:<storage>#<study>'.")
    ],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    method: Annotated[str | None, typer.Option(help=f"{', '.join(SCORERS)} (default: the model's).")] = None,
    champion: Annotated[
        str | None, typer.Option(help="Candidate id of the champion (baseline of relative constraints).")
    ] = None,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples (0 = skip).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
    stakeholder: Annotated[str | None, typer.Option(help="Use this stakeholder's weights.")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Column with candidate ids.")] = None,
    replicates: Annotated[str | None, typer.Option(help="Column telling per-seed replicates apart.")] = None,
    emissions: Annotated[Path | None, typer.Option(help="CodeCarbon emissions.csv to join.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON here.")] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds per request to an MLflow tracking server (env WORKBENCH_MLFLOW_TIMEOUT; default 5).",
            envvar="WORKBENCH_MLFLOW_TIMEOUT",
            min=0.001,
        ),
    ] = None,
) -> None:
    """Analyse candidates under a quality model: feasibility, fronts, ranks, knees, robustness."""
    _check_output(output)
    import os

    saved = os.environ.get("WORKBENCH_MLFLOW_TIMEOUT")
    if timeout is not None:  # read by the MLflow reader; restored below, so nothing leaks into the caller
        os.environ["WORKBENCH_MLFLOW_TIMEOUT"] = f"{timeout:g}"
    try:
        result = run_analysis(
            candidates,
            model,
            method=method,
            champion=champion,
            smaa=smaa,
            seed=seed,
            stakeholder=stakeholder,
            id_column=id_column,
            replicates=replicates,
            emissions=emissions,
        )
        if output is not None:
            _write_output(output, result.to_json())
    except WorkbenchError as exc:
        raise _fail(exc) from None
    finally:
        if saved is None:
            os.environ.pop("WORKBENCH_MLFLOW_TIMEOUT", None)
        else:
            os.environ["WORKBENCH_MLFLOW_TIMEOUT"] = saved
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
