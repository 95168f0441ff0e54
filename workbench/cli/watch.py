"""``workbench watch``: live versions against the SLOs and the latest decision (for cron or Airflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from workbench._version import __version__
from workbench.cli._app import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    _err,
    _fail,
    _fmt,
    _out,
    _plain,
    app,
)
from workbench.cli._log import _open_log
from workbench.errors import WorkbenchError

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


@app.command()
def watch(
    logs: Annotated[list[str], typer.Argument(help="Request logs: Parquet or CSV files, folders or globs "
                                              "(canonical schema: timestamp, version, latency_ms, error, ...).")],
    model: Annotated[Path, typer.Option("--model", "-m", help="Quality model YAML file (objectives with "
                                        "source/aggregation, constraints as SLOs).")],
    decisions: Annotated[Optional[str], typer.Option("--decisions", "-d", envvar="WORKBENCH_DECISIONS",
                                                     help="Decision log (SQLAlchemy URL or SQLite path): also "
                                                     "check its latest accepted decision.")] = None,
    champion: Annotated[Optional[str], typer.Option(help="Champion's version id (default: the decision's "
                                                    "chosen candidate).")] = None,
    offline: Annotated[Optional[str], typer.Option(help="Offline candidates (file or source spec) that may "
                                                   "dominate the champion.")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only requests at or after this time (UTC if naive).")] = None,
    window: Annotated[str, typer.Option(help="Window length: 15min, 1h, 1d...")] = "1h",
    engine: Annotated[str, typer.Option(help="Aggregation engine: duckdb, dask or pandas.")] = "duckdb",
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples for the acceptability check.")] = 2000,
    acceptability: Annotated[float, typer.Option(help="Trigger when the champion's first-rank "
                                                 "acceptability falls below this.")] = 0.5,
    hypervolume: Annotated[float, typer.Option(help="Trigger when the live front's hypervolume changes by "
                                               "more than this (relative).")] = 0.1,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the triggers as JSON "
                                                   "(atomically).")] = None,
) -> None:
    """Check live versions against the SLOs and the latest decision; for cron or Airflow.

    Exit 0: no review due (no trigger, or only informational ones); 1: a review is due (a warning or
    critical trigger); 2: bad input, or the check could not be evaluated.
    """
    import json
    from datetime import UTC, datetime

    import workbench as wb
    from workbench._io import atomic_write_text, file_sha256
    from workbench.analysis.analyze import to_jsonable
    from workbench.monitoring.aggregate import _resolve_files, aggregate
    from workbench.monitoring.schema import MonitoringError
    from workbench.monitoring.slo import _compliance, _frame, slo_summary
    from workbench.monitoring.triggers import Thresholds, detect, review_due

    err = _err()
    try:
        if smaa < 1 or not 0 <= acceptability <= 1 or hypervolume < 0:
            raise MonitoringError(f"--smaa must be >= 1 (got {smaa}), --acceptability in [0, 1] "
                                  f"(got {acceptability:g}) and --hypervolume >= 0 (got {hypervolume:g}).")
        qm = wb.QualityModel.from_yaml(model)
        files, _ = _resolve_files(list(logs))
        agg = aggregate(list(logs), qm, window=window, since=since, engine=engine)
        if agg.empty:
            raise MonitoringError(f"The request logs have no request{f' since {since}' if since else ''}; "
                                  "nothing to check.\n  Fix: check the files and --since.")
        record = None
        if decisions is not None:
            with _open_log(decisions) as log:
                record = log.latest()
            if record is None:
                err.print(f"The decision log {decisions!r} has no accepted decision: checking the constraints "
                          "only.", markup=False)
        cands = wb.load(offline, model=qm) if offline is not None else None
        thresholds = Thresholds(acceptability=acceptability, hypervolume=hypervolume, smaa_samples=smaa)
        triggers = detect(agg, qm, decision=record, offline=cands, champion=champion, thresholds=thresholds)
        champ = champion or (record.chosen if record is not None else None)
        summary = slo_summary(_compliance(_frame(agg), qm, champ, strict=False))
    except WorkbenchError as exc:
        raise _fail(exc) from None
    except Exception as exc:  # a crash must not exit 1, which a scheduler reads as "review due"
        err.print(f"error: could not evaluate the monitoring data: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None

    due = review_due(triggers)
    console = _out()
    latest, first = agg["window_start"].max(), agg["window_start"].min()
    n_versions = agg["version"].nunique()
    console.print(f"Watched {n_versions} versions over {agg['window_start'].nunique()} windows of {window} "
                  f"({first:%Y-%m-%d %H:%M} to {agg['window_end'].max():%Y-%m-%d %H:%M} UTC)"
                  + (f"; decision {record.id[:12]} chose {record.chosen}" if record is not None else "")
                  + (f"; champion {champ}" if champ else "; no decision or champion: constraints only"),
                  markup=False)
    if triggers:
        table = Table(title=f"Triggers · latest window {latest:%Y-%m-%d %H:%M} UTC", title_justify="left")
        for col in ("severity", "kind", "version", "objective", "value", "threshold"):
            table.add_column(col, justify="right" if col in ("value", "threshold") else "left")
        table.add_column("message", overflow="fold")
        for t in triggers:
            table.add_row(t.severity, t.kind, _plain(t.version or ""), _plain(t.objective or ""),
                          "" if t.value is None else _fmt(t.value),
                          "" if t.threshold is None else _fmt(t.threshold), _plain(t.message),
                          style=_SEVERITY_STYLE[t.severity])
        console.print(table)
    console.print("review due" if due else ("no trigger: no review due" if not triggers else
                                            "only informational triggers: no review due"), markup=False)
    if output is not None:
        payload = {
            "review_due": due,
            "n_triggers": len(triggers),
            "triggers": [t.to_dict() for t in triggers],
            "slo": summary.to_dict(orient="records"),
            "provenance": {
                "workbench_version": __version__,
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "model_file": str(model), "model_hash": qm.hash,
                "logs": list(logs),
                "log_files": [{"path": f, "sha256": file_sha256(f)} for f in files],
                "window": window, "since": since, "engine": engine,
                "windows": {"first": first, "latest": latest, "end": agg["window_end"].max()},
                "versions": sorted(agg["version"].unique()),
                "decision": None if record is None else {"id": record.id, "chosen": record.chosen,
                                                         "created": record.created},
                "decisions_url": decisions, "champion": champ, "offline": offline,
                "thresholds": {"acceptability": acceptability, "hypervolume": hypervolume, "smaa": smaa,
                               "conflict": thresholds.conflict, "seed": 0},
            },
        }
        try:  # exit 2, never 1: a scheduler reads 1 as "review due"
            atomic_write_text(output, json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False,
                                                 allow_nan=False) + "\n")
        except WorkbenchError as exc:
            raise _fail(exc) from None
        err.print(f"Wrote {output}", markup=False)
    if due:
        raise typer.Exit(EXIT_CHECK_FAILED)
