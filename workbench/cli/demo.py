"""``workbench demo``: the whole cycle on the embedded example, from training runs to a watched decision."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from workbench.cli._app import EXIT_CHECK_FAILED, EXIT_OK, _err, _fail, _out, app
from workbench.cli.analyze import render_table, run_analysis
from workbench.errors import WorkbenchError


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the example store and outputs.")] = Path("demo-output"),
    quick: Annotated[bool, typer.Option(help="A smaller grid (seconds instead of a minute).")] = False,
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples.", min=0)] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
) -> None:
    """The full cycle on the embedded example: build the experiment store (real scikit-learn runs in
    a local MLflow store), analyse it, run the trade_off_review (memo, summary, MADR record) and record
    the decision in OUT/decisions.db."""
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

    # The review: memo, summary, decision record; then the decision log.
    try:
        from workbench.reports import ReviewFailed, run_review
    except ImportError as exc:  # the reports extra is missing
        console.print(f"Review skipped: {exc} (pip install \"mltradeops-workbench[reports]\").", markup=False)
        return
    params = {"candidates": store.source, "quality_model": str(store.quality_model_path),
              "emissions": str(store.emissions_csv or ""), "smaa_samples": smaa, "seed": seed,
              "title": "Which breast-cancer classifier should the screening aid ship?",
              "decision_makers": "ML lead, clinical lead", "stakeholders": "model, clinical, operations, sustainability"}
    console.print("Running the trade_off_review …")
    try:
        review_ = run_review("trade_off_review", params, Path(out) / "review",
                             progress=_err().is_terminal)
    except ReviewFailed as exc:
        _err().print(f"review failed: {exc}", markup=False)
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    except WorkbenchError as exc:
        raise _fail(exc) from None
    log_path = (Path(out) / "decisions.db").resolve()
    try:
        from workbench.decisions import DecisionLog, DecisionRecord

        log = DecisionLog(log_path)
        try:
            previous = log.latest()
            record = DecisionRecord.from_summary(review_.summary,
                                                 supersedes=previous.id if previous is not None else None)
            record = log.append(record)
        finally:
            log.close()
        from workbench._io import atomic_write_bytes
        from workbench.reports.runner import stamp_output

        # the MADR file of the logged record, still carrying the review's set id
        atomic_write_bytes(review_.decision, stamp_output("decision.md", record.to_madr().encode(), review_.set_id))
        logged = f"{record.id} in {log_path}"
    except (ImportError, WorkbenchError) as exc:
        logged = f"not logged ({exc})"
    console.print(f"Decision: {review_.summary['decision']['chosen']}", markup=False)
    console.print(f"Memo: {review_.memo.resolve()}", markup=False)
    console.print(f"Decision record: {review_.decision.resolve()}", markup=False)
    console.print(f"Decision log: {logged}", markup=False)
    _demo_monitoring(store, review_.summary["decision"]["chosen"], log_path, Path(out), console, seed)


def _demo_monitoring(store, chosen: str, log_path: Path, out: Path, console: Console, seed: int) -> None:
    """The monitoring leg of the demo: serve the chosen model and two others under simulated traffic
    (one degrading), then watch the logs against the recorded decision."""
    from workbench.example.serving import DEFAULT_VERSIONS, live_quality_yaml, simulate_serving

    others = [v for v in DEFAULT_VERSIONS if v != chosen]
    versions = (chosen, *others[:2])
    degrade = "rf-30-d4" if "rf-30-d4" in versions[1:] else versions[-1]
    console.print(f"Serving {', '.join(versions)} under simulated traffic ({degrade} degrades) …")
    try:
        logs = simulate_serving(store, versions=versions, degrade=degrade, seed=seed)
    except WorkbenchError as exc:
        console.print(f"Monitoring skipped: {exc}", markup=False)
        return
    from workbench.cli.watch import watch

    triggers = (out / "triggers.json").resolve()
    try:
        watch([str(logs)], model=live_quality_yaml(), decisions=str(log_path), champion=None, offline=None,
              since=None, window="6h", engine="duckdb", smaa=2000, acceptability=0.5, hypervolume=0.1,
              output=triggers)
        due = False
    except typer.Exit as exc:
        if exc.exit_code not in (EXIT_OK, EXIT_CHECK_FAILED):
            console.print("Monitoring check could not run (see the message above).", markup=False)
            return
        due = exc.exit_code == EXIT_CHECK_FAILED
    console.print(f"Production logs: {Path(logs).resolve()}", markup=False)
    console.print(f"Triggers: {triggers} ({'review due' if due else 'no review due'})", markup=False)
