"""``workbench decide`` and ``workbench gate``: record a decision; the CI gate on a candidate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

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
    summary: Annotated[Path, typer.Argument(help="A review's summary.json, or an analysis JSON "
                                            "(workbench analyze --format json -o FILE).")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    chosen: Annotated[Optional[str], typer.Option(help="Chosen candidate id (default: the review's "
                                                  "decision, else the recommended one).")] = None,
    rationale: Annotated[Optional[str], typer.Option(help="Why, in the decision makers' words.")] = None,
    decision_maker: Annotated[Optional[list[str]], typer.Option("--decision-maker",
                                                                help="A decision maker (repeatable).")] = None,
    consulted: Annotated[Optional[list[str]], typer.Option(help="Consulted (repeatable).")] = None,
    informed: Annotated[Optional[list[str]], typer.Option(help="Informed (repeatable).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Title of the decision.")] = None,
    status: Annotated[Optional[str], typer.Option(help="accepted (default) or proposed.")] = None,
    supersedes: Annotated[Optional[str], typer.Option(help="Id (or unique prefix) of the decision this "
                                                      "one replaces.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the MADR "
                                                   "Markdown here.")] = None,
) -> None:
    """Record a decision in the append-only decision log; prints its id (and the MADR path with -o)."""
    from workbench.decisions import DecisionRecord

    _check_output(output)
    try:
        data = _read_json_file(summary, "Summary file")
        record = DecisionRecord.from_summary(
            data, chosen=chosen, rationale=rationale, decision_makers=decision_maker or None,
            consulted=consulted or None, informed=informed or None, title=title, status=status,
            supersedes=supersedes, provenance={"summary_file": str(summary)})
        with _open_log(decisions) as log:
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
            _err().print(f"The decision {record.id} is recorded, but its MADR file was not written.",
                         markup=False)
            raise
        console.print(f"MADR: {output.resolve()}", markup=False)


@app.command()
def gate(
    candidates: Annotated[str, typer.Argument(help="A CSV/Parquet/JSON file, 'mlflow:<uri>#<experiment>' "
                                              "or 'optuna:<storage>#<study>'.")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file.")],
    candidate: Annotated[str, typer.Option("--candidate", "-c", help="Id of the candidate under test.")],
    against: Annotated[Optional[str], typer.Option(help="Baseline: 'champion' or a candidate id. Without "
                                                   "it, any feasible candidate may dominate.")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Champion id (for --against champion and "
                                                    "relative constraints).")] = None,
    id_column: Annotated[Optional[str], typer.Option("--id", help="Column with candidate ids.")] = None,
) -> None:
    """CI gate: exit 0 when the candidate meets every hard constraint and is not dominated beyond
    tolerance (by the baseline, or by any feasible candidate); exit 1 with the reasons on stderr;
    exit 2 for bad input."""
    import workbench as wb
    from workbench.decisions.pushdown import gate as _gate

    try:
        qm = wb.QualityModel.from_yaml(model)
        cands = wb.load(candidates, model=qm, **({"id_column": id_column} if id_column else {}))
        result = _gate(cands, qm, candidate, against=against, champion=champion)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    if result.passed:
        _out().print(_plain(f"gate passed: {result.candidate}"
                            + (f" (against {result.against})" if result.against else ""), False), markup=False)
        return
    err = _err()
    err.print(_plain(f"gate failed: {result.candidate}"
                     + (f" (against {result.against})" if result.against else ""), False), markup=False)
    for reason in result.reasons:
        err.print(_plain(f"  - {reason}", False), markup=False)
    raise typer.Exit(EXIT_CHECK_FAILED)
