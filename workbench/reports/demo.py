"""The whole MLTradeOps cycle on the embedded example, as one library call.

:func:`run_demo` does what ``workbench demo`` prints: build the example experiment store (real
scikit-learn runs in a local MLflow store), analyse it, run the ``trade_off_review`` (memo, summary,
MADR record), append the decision to a SQLite decision log, serve the chosen model and two others
under simulated traffic (one of them degrading), and watch the logs against the recorded decision.
A notebook or a scheduler gets the same :class:`DemoResult` the CLI prints; every output is written
through :mod:`workbench._io` (temp file, then rename).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.analysis import Analysis
    from workbench.example import ExampleStore
    from workbench.monitoring.watch import WatchReport
    from workbench.reports.runner import ReviewResult

__all__ = ["DemoMonitoring", "DemoResult", "run_demo", "REVIEW_TITLE"]

#: The question the demo's review answers.
REVIEW_TITLE = "Which breast-cancer classifier should the screening aid ship?"


@dataclass(frozen=True)
class DemoMonitoring:
    """The monitoring leg: which versions were served, which one degraded, and what ``watch`` found."""

    versions: tuple[str, ...]
    degraded: str
    logs: Path
    triggers_json: Path
    report: WatchReport
    #: Which version was made to degrade and whether each alarm is explained by it.
    explanation: tuple[str, ...]

    @property
    def review_due(self) -> bool:
        return self.report.review_due


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` built and where it is (every path absolute)."""

    out: Path
    store: ExampleStore
    analysis: Analysis
    analysis_json: Path
    #: None when the ``reports`` extra is missing (``skipped`` says why).
    review: ReviewResult | None
    decision_log: Path
    #: The logged decision's id, None when it could not be logged (``skipped`` says why).
    decision_id: str | None
    monitoring: DemoMonitoring | None
    #: Steps that did not run, each with its reason.
    skipped: tuple[str, ...] = ()

    @property
    def chosen(self) -> str | None:
        return None if self.review is None else self.review.chosen


def run_demo(
    out: str | Path = "demo-output",
    *,
    quick: bool = False,
    smaa: int = 10_000,
    seed: int = 0,
    progress: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the full cycle on the embedded example into ``out``.

    Parameters
    ----------
    out : path
        Folder for the example store and every output (created; an existing example store is reused).
    quick : bool
        A smaller grid (seconds instead of a minute).
    smaa : int
        SMAA-2 weight samples of the analysis and the review.
    seed : int
        Seed of every random step: the same seed gives the same numbers and the same decision.
    progress : bool
        Progress bars while training and while the review notebook runs.
    on_step : callable, optional
        Called with a one-line description before each step (the CLI prints it).

    Returns
    -------
    DemoResult
        The store, the analysis, the review, the logged decision and the watch report.

    Raises
    ------
    WorkbenchError
        Bad arguments, or a step that failed in a way the user can fix (the message says how).
    workbench.reports.ReviewFailed
        The review notebook raised; the message names the cell.
    """
    from workbench._io import atomic_write_text
    from workbench.analysis import analyze
    from workbench.example import build_example
    from workbench.quality import QualityModel
    from workbench.sources import load

    say = on_step or (lambda _text: None)
    out = Path(out).resolve()
    skipped: list[str] = []
    say(f"Building the example experiment store in {out}/ …")
    store = build_example(out, quick=quick, seed=seed, progress=progress)
    say(f"MLflow store: {store.tracking_uri} (experiment {store.experiment!r}, {store.n_runs} runs)")
    qm = QualityModel.from_yaml(store.quality_model_path)
    cands = load(store.source, model=qm, **({"emissions": store.emissions_csv} if store.emissions_csv else {}))
    analysis = analyze(cands, qm, smaa=smaa, seed=seed)
    analysis_json = atomic_write_text(out / "analysis.json", analysis.to_json()).resolve()
    log_path = out / "decisions.db"

    from workbench.reports.runner import run_review

    try:
        import jinja2  # noqa: F401
        import papermill  # noqa: F401
    except ImportError as exc:  # the reports extra is missing
        skipped.append(f'review: {exc} (pip install "mltradeops-workbench[reports]")')
        return DemoResult(out, store, analysis, analysis_json, None, log_path, None, None, tuple(skipped))
    params = {
        "candidates": store.source,
        "quality_model": str(store.quality_model_path),
        "emissions": str(store.emissions_csv or ""),
        "smaa_samples": smaa,
        "seed": seed,
        "title": REVIEW_TITLE,
        "decision_makers": "ML lead, clinical lead",
        "stakeholders": "model, clinical, operations, sustainability",
    }
    say("Running the trade_off_review …")
    review = run_review("trade_off_review", params, out / "review", progress=progress)

    decision_id = None
    try:
        decision_id = _log_decision(review, log_path)
    except (ImportError, WorkbenchError) as exc:
        skipped.append(f"decision log: {exc}")
    monitoring = None
    if review.chosen is not None:
        try:
            monitoring = _monitor(store, review.chosen, log_path if decision_id else None, out, seed, say)
        except WorkbenchError as exc:
            skipped.append(f"monitoring: {exc}")
    return DemoResult(out, store, analysis, analysis_json, review, log_path, decision_id, monitoring, tuple(skipped))


def _log_decision(review: ReviewResult, log_path: Path) -> str:
    """Append the review's decision to the log (superseding the previous one) and rewrite the
    review's MADR file from the logged record, still carrying the review's set id."""
    from workbench._io import atomic_write_bytes
    from workbench.decisions import DecisionLog, DecisionRecord
    from workbench.reports.outputs import stamp_output

    log = DecisionLog(log_path)
    try:
        previous = log.latest()
        record = DecisionRecord.from_summary(review.summary, supersedes=previous.id if previous is not None else None)
        record = log.append(record)
    finally:
        log.close()
    atomic_write_bytes(review.decision, stamp_output("decision.md", record.to_madr().encode(), review.set_id))
    return record.id


def _monitor(
    store: Any, chosen: str, log_path: Path | None, out: Path, seed: int, say: Callable[[str], None]
) -> DemoMonitoring:
    """Serve the chosen model and two others under simulated traffic (one degrading), then watch the
    logs against the recorded decision."""
    from workbench._io import atomic_write_text
    from workbench.example.serving import DEFAULT_VERSIONS, live_quality_yaml, simulate_serving
    from workbench.monitoring.triggers import Thresholds
    from workbench.monitoring.watch import explain_degradation, watch
    from workbench.quality import QualityModel

    others = [v for v in DEFAULT_VERSIONS if v != chosen]
    versions = (chosen, *others[:2])
    degraded = "rf-30-d4" if "rf-30-d4" in versions[1:] else versions[-1]
    say(f"Serving {', '.join(versions)} under simulated traffic ({degraded} degrades) …")
    logs = Path(simulate_serving(store, versions=versions, degrade=degraded, seed=seed)).resolve()
    record = None
    if log_path is not None:
        from workbench.decisions import DecisionLog

        log = DecisionLog(log_path)
        try:
            record = log.latest()
        finally:
            log.close()
    model_file = live_quality_yaml()
    thresholds = Thresholds(acceptability=0.25, hypervolume=0.1, smaa_samples=2000, for_windows=2, level=0.95)
    report = watch(
        [str(logs)],
        QualityModel.from_yaml(model_file),
        decision=record,
        window="6h",
        engine="duckdb",
        level=0.95,
        for_windows=2,
        thresholds=thresholds,
        provenance={
            "model_file": str(model_file),
            "decisions_url": str(log_path) if log_path else None,
            "offline": None,
        },
    )
    triggers = atomic_write_text(out / "triggers.json", report.to_json()).resolve()
    lines = explain_degradation(report, degraded=degraded, versions=versions)
    return DemoMonitoring(versions, degraded, logs, triggers, report, tuple(lines))
