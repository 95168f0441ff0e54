"""``workbench demo``: the whole cycle on the embedded example, from training runs to a watched decision.

The work is :func:`workbench.reports.demo.run_demo`; this module prints what it returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import EXIT_CHECK_FAILED, _err, _fail, _out, app
from workbench.cli.analyze import render_table
from workbench.errors import WorkbenchError


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the example store and outputs.")] = Path("demo-output"),
    quick: Annotated[bool, typer.Option(help="A smaller grid (seconds instead of a minute).")] = False,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples.", min=0)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
) -> None:
    """The full cycle on the embedded example: build the experiment store (real scikit-learn runs in
    a local MLflow store), analyse it, run the trade_off_review (memo, summary, MADR record), record
    the decision in OUT/decisions.db, then serve three versions (one degrading) and watch them."""
    from workbench.reports.demo import run_demo
    from workbench.reports.runner import ReviewFailed

    console = _out()
    try:
        result = run_demo(
            out,
            quick=quick,
            smaa=smaa,
            seed=seed,
            progress=console.is_terminal,
            on_step=lambda text: console.print(text, markup=False),
        )
    except ReviewFailed as exc:
        _err().print(f"review failed: {exc}", markup=False)
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    except WorkbenchError as exc:
        raise _fail(exc) from None
    render_table(result.analysis, console)
    console.print()
    console.print(f"Quality model: {result.store.quality_model_path}", markup=False)
    console.print(f"Analysis JSON: [bold]{result.analysis_json}[/]")
    for note in result.skipped:
        console.print(f"Skipped {note}", markup=False)
    review = result.review
    if review is None:
        return
    console.print(f"Decision: {review.chosen}", markup=False)
    console.print(f"Memo: {review.memo.resolve()}", markup=False)
    console.print(f"Decision record: {review.decision.resolve()}", markup=False)
    logged = f"{result.decision_id} in {result.decision_log}" if result.decision_id else "not logged"
    console.print(f"Decision log: {logged}", markup=False)
    mon = result.monitoring
    if mon is None:
        return
    from workbench.cli.watch import print_report

    print_report(mon.report, "6h")
    console.print(f"Production logs: {mon.logs}", markup=False)
    console.print(
        f"Triggers: {mon.triggers_json} ({'review due' if mon.review_due else 'no review due'})", markup=False
    )
    for line in mon.explanation:
        console.print(line, markup=False)
