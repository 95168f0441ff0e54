"""``workbench decide`` and ``workbench gate``: record a decision; the CI gate on a candidate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import (
    EXIT_CHECK_FAILED,
    _check_output,
    _err,
    _fail,
    _out,
    _plain,
    _write_output,
    app,
)
from workbench.cli._log import _DEFAULT_LOG, DecisionsOption, _open_log, _read_json_file
from workbench.errors import WorkbenchError


@app.command()
def decide(
    summary: Annotated[
        Path,
        typer.Argument(help="A review's summary.json, or an analysis JSON (workbench analyze --format json -o FILE)."),
    ],
    decisions: DecisionsOption = _DEFAULT_LOG,
    chosen: Annotated[
        str | None, typer.Option(help="Chosen candidate id (default: the review's decision, else the recommended one).")
    ] = None,
    rationale: Annotated[str | None, typer.Option(help="Why, in the decision makers' words.")] = None,
    decision_maker: Annotated[
        list[str] | None, typer.Option("--decision-maker", help="A decision maker (repeatable).")
    ] = None,
    consulted: Annotated[list[str] | None, typer.Option(help="Consulted (repeatable).")] = None,
    informed: Annotated[list[str] | None, typer.Option(help="Informed (repeatable).")] = None,
    title: Annotated[str | None, typer.Option(help="Title of the decision.")] = None,
    status: Annotated[str | None, typer.Option(help="accepted (default) or proposed.")] = None,
    supersedes: Annotated[
        str | None,
        typer.Option(
            help="Id (or unique prefix) of the decision this "
            "one replaces; 'latest' for the newest accepted one "
            "(read under the log's write lock)."
        ),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the MADR Markdown here.")] = None,
) -> None:
    """Record a decision in the append-only decision log; prints its id (and the MADR path with -o)."""
    from workbench.decisions import DecisionRecord

    _check_output(output)
    try:
        data = _read_json_file(summary, "Summary file")
        record = DecisionRecord.from_summary(
            data,
            chosen=chosen,
            rationale=rationale,
            decision_makers=decision_maker or None,
            consulted=consulted or None,
            informed=informed or None,
            title=title,
            status=status,
            supersedes=supersedes,
            provenance={"summary_file": str(summary)},
        )
        with _open_log(decisions, create=True) as log:
            record = log.append(record)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    console = _out()
    console.print(f"Decision {record.id} recorded: chosen {record.chosen!r} ({record.status})", markup=False)
    if record.supersedes:
        console.print(f"Supersedes {record.supersedes}", markup=False)
    if output is not None:
        try:  # the record is in the log whatever happens here; say so rather than invite a second one
            _write_output(output, record.to_madr())
        except typer.Exit:
            _err().print(f"The decision {record.id} is recorded, but its MADR file was not written.", markup=False)
            raise
        console.print(f"MADR: {output.resolve()}", markup=False)


@app.command()
def gate(
    candidates: Annotated[
        str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' or 'optuna:<storage>#<study>'.")
    ],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="Id of the candidate under test.")],
    against: Annotated[
        str | None,
        typer.Option(help="Baseline: 'champion' or a candidate id. Without it, any feasible candidate may dominate."),
    ] = None,
    champion: Annotated[
        str | None, typer.Option(help="Champion id (for --against champion and relative constraints).")
    ] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Column with candidate ids.")] = None,
    replicates: Annotated[
        str | None,
        typer.Option(help="Column telling per-seed replicates apart (default: 'seed' or 'replicate' when ids repeat)."),
    ] = None,
    confidence: Annotated[
        float,
        typer.Option(
            help="With replicates: fail only when a challenger dominates "
            "beyond tolerance with at least this probability."
        ),
    ] = 0.95,
    constraint_confidence: Annotated[
        float | None, typer.Option(help="With replicates: every constraint must hold with at least this probability.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap over replicates.", min=0)] = 0,
) -> None:
    """CI gate: exit 0 when the candidate meets every hard constraint and is not dominated beyond
    tolerance (by the baseline, or by any feasible candidate); with per-seed replicates, dominated
    means "with probability >= --confidence". Exit 1 with the reasons and the rule that decided on
    stderr; exit 2 for bad input."""
    import workbench as wb
    from workbench.decisions.pushdown import gate as _gate

    options = {"id": id_column} if id_column else {}
    if replicates:
        options["replicate_column"] = replicates
    try:
        qm = wb.QualityModel.from_yaml(model)
        cands = wb.load(candidates, model=qm, **options)
        result = _gate(
            cands,
            qm,
            candidate,
            against=against,
            champion=champion,
            confidence=confidence,
            constraint_confidence=constraint_confidence,
            seed=seed,
        )
    except WorkbenchError as exc:
        raise _fail(exc) from None
    head = result.candidate + (f" (against {result.against})" if result.against else "")
    if result.passed:
        out = _out()
        out.print(_plain(f"gate passed: {head}", False), markup=False)
        out.print(_plain(f"  rule: {result.summary}", False), markup=False)
        return
    err = _err()
    err.print(_plain(f"gate failed: {head}", False), markup=False)
    for reason in result.reasons:
        err.print(_plain(f"  - {reason}", False), markup=False)
    err.print(_plain(f"  rule: {result.summary}", False), markup=False)
    raise typer.Exit(EXIT_CHECK_FAILED)
