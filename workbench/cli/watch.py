"""``workbench watch``: live versions against the SLOs and the latest decision (for cron or Airflow)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

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
from workbench.errors import MonitoringError, WorkbenchError

_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


@app.command()
def watch(
    model: Annotated[
        Path,
        typer.Option(
            "--model", "-m", help="Quality model YAML file (objectives with source/aggregation, constraints as SLOs)."
        ),
    ],
    logs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Request logs: Parquet or CSV files, folders or globs "
            "(canonical schema: timestamp, version, latency_ms, error, "
            "...). Omit with --prometheus."
        ),
    ] = None,
    prometheus: Annotated[
        str | None,
        typer.Option(
            help="Read the objectives from this Prometheus server "
            "(base URL, e.g. http://127.0.0.1:9090) by range queries "
            "instead of logs."
        ),
    ] = None,
    selector: Annotated[
        str | None,
        typer.Option(help="With --prometheus: label matchers added to every series, e.g. 'job=\"serving\"'."),
    ] = None,
    metric_map: Annotated[
        Path | None,
        typer.Option(
            help="With --prometheus: YAML objective -> metric name or "
            "{metric, scale, selector, error_selector}, or explicit "
            "PromQL {query, count} with $window (as export "
            "prometheus --metric-map)."
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            help="With --prometheus: end of the period (default now; --since defaults to 24 windows before it)."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="With --prometheus: seconds per request (default WORKBENCH_PROMETHEUS_TIMEOUT or 10)."),
    ] = None,
    decisions: Annotated[
        str | None,
        typer.Option(
            "--decisions",
            "-d",
            envvar="WORKBENCH_DECISIONS",
            help="Decision log (SQLAlchemy URL or SQLite path): also check its latest accepted decision.",
        ),
    ] = None,
    champion: Annotated[
        str | None, typer.Option(help="Champion's version id (default: the decision's chosen candidate).")
    ] = None,
    offline: Annotated[
        str | None, typer.Option(help="Offline candidates (file or source spec) that may dominate the champion.")
    ] = None,
    replicates: Annotated[
        str | None,
        typer.Option(
            help="Column telling the offline candidates' per-seed "
            "replicates apart (default: seed/replicate when ids "
            "repeat)."
        ),
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only requests at or after this time (UTC if naive).")] = None,
    window: Annotated[str, typer.Option(help="Window length: 15min, 1h, 1d...")] = "1h",
    engine: Annotated[str, typer.Option(help="Aggregation engine: duckdb, dask or pandas.")] = "duckdb",
    smaa: Annotated[int, typer.Option(help="SMAA-2 weight samples for the acceptability check.")] = 2000,
    acceptability: Annotated[
        float,
        typer.Option(
            help="Trigger when the champion's first-rank acceptability "
            "drops by more than this below the decision's reference "
            "(beyond its intervals)."
        ),
    ] = 0.25,
    hypervolume: Annotated[
        float,
        typer.Option(
            help="Trigger when the live front's hypervolume changes by "
            "more than this (relative) and beyond bootstrap noise."
        ),
    ] = 0.1,
    level: Annotated[float, typer.Option(help="Confidence level of every interval and probability, in (0, 1).")] = 0.95,
    for_windows: Annotated[
        int,
        typer.Option("--for", help="Persistence: consecutive windows a breach, domination or shift must hold (>= 1)."),
    ] = 2,
    columns: Annotated[
        str | None,
        typer.Option(
            help="Map the logs' columns to the canonical schema: "
            "version=model_version,timestamp=ts,... (common names "
            "are recognised with a note)."
        ),
    ] = None,
    evidently: Annotated[
        list[str] | None,
        typer.Option(
            "--evidently",
            help="Evidently report JSON (snapshot.save_json), repeatable; VERSION=PATH names the "
            "served version whose data it checked. Drifted columns are data_drift warnings (never critical).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the triggers as JSON (atomically).")
    ] = None,
) -> None:
    """Check live versions against the SLOs and the latest decision; for cron or Airflow.

    Reads request logs, or a Prometheus server with --prometheus URL (range queries built from each
    objective's source:/aggregation:; see docs/team-services.md).

    A breach needs evidence: the whole interval beyond the limit in --for consecutive windows;
    too few requests is an informational insufficient_data trigger. Exit 0: no review due (no
    trigger, or only informational ones); 1: a review is due (a warning or critical trigger);
    2: bad input, or the check could not be evaluated.
    """
    import workbench as wb
    from workbench._io import atomic_write_text
    from workbench.monitoring.triggers import Thresholds
    from workbench.monitoring.watch import watch as run_watch

    err = _err()
    try:
        qm = wb.QualityModel.from_yaml(model)
        record = None
        if decisions is not None:
            with _open_log(decisions) as log:
                record = log.latest()
            if record is None:
                err.print(
                    f"The decision log {decisions!r} has no accepted decision: checking the constraints only.",
                    markup=False,
                )
        cands = (
            wb.load(offline, model=qm, **({"replicate_column": replicates} if replicates else {}))
            if offline is not None
            else None
        )
        thresholds = Thresholds(
            acceptability=acceptability,
            hypervolume=hypervolume,
            smaa_samples=smaa,
            for_windows=for_windows,
            level=level,
        )
        if not logs and prometheus is None:
            raise _fail(
                MonitoringError(
                    "No request logs and no --prometheus URL: nothing to watch.\n"
                    "  Fix: pass log files (workbench watch logs/ -m q.yaml) or "
                    "--prometheus http://HOST:9090."
                )
            )
        mapping = None
        if metric_map is not None:
            import yaml

            try:
                mapping = yaml.safe_load(Path(metric_map).read_text(encoding="utf-8")) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
                raise _fail(MonitoringError(f"cannot read --metric-map {str(metric_map)!r}: {exc}")) from None
        report = run_watch(
            list(logs) if logs else None,
            qm,
            prometheus=prometheus,
            selector=selector,
            metric_map=mapping,
            until=until,
            timeout=timeout,
            decision=record,
            offline=cands,
            champion=champion,
            since=since,
            window=window,
            engine=engine,
            level=level,
            for_windows=for_windows,
            columns=columns,
            thresholds=thresholds,
            provenance={"model_file": str(model), "decisions_url": decisions, "offline": offline},
            drift=list(evidently) if evidently else None,
        )
    except typer.Exit:
        raise
    except WorkbenchError as exc:
        raise _fail(exc) from None
    except Exception as exc:  # a crash must not exit 1, which a scheduler reads as "review due"
        err.print(f"error: could not evaluate the monitoring data: {type(exc).__name__}: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    print_report(report, window)
    if output is not None:
        try:  # exit 2, never 1: a scheduler reads 1 as "review due"
            atomic_write_text(output, report.to_json())
        except WorkbenchError as exc:
            raise _fail(exc) from None
        err.print(f"Wrote {output}", markup=False)
    if report.review_due:
        raise typer.Exit(EXIT_CHECK_FAILED)


def print_report(report, window: str) -> None:
    """The watch report as the terminal shows it: the evidence of the latest window, then the triggers."""
    from workbench.format import format_count, format_interval, format_number, format_percent

    console = _out()
    agg, prov = report.aggregated, report.provenance
    latest, first = agg["window_start"].max(), agg["window_start"].min()
    record, champ = prov.get("decision"), prov.get("champion")
    for note in report.notes:
        _err().print(f"note: {note}", markup=False)
    console.print(
        f"Watched {agg['version'].nunique()} versions over {agg['window_start'].nunique()} windows of "
        f"{window} ({first:%Y-%m-%d %H:%M} to {agg['window_end'].max():%Y-%m-%d %H:%M} UTC)"
        + (f"; decision {record['id'][:12]} chose {record['chosen']}" if record else "")
        + (f"; champion {champ}" if champ else "; no decision or champion: constraints only")
        + f"; {format_percent(prov['level'])} intervals, breaches must persist {prov['for_windows']} "
        "window(s)",
        markup=False,
    )
    ev = report.evidence_table()
    if len(ev):
        table = Table(
            # a Text: as markup, "[interval]" would be read as a style tag and vanish
            title=Text(
                f"Latest window {latest:%Y-%m-%d %H:%M} UTC · value [interval] ({format_percent(prov['level'])}) and n"
            ),
            title_justify="left",
        )
        for col in ("version", "objective", "value", "interval", "n"):
            table.add_column(col, justify="right" if col in ("value", "n") else "left")
        for r in ev.itertuples(index=False):
            table.add_row(
                _plain(r.version),
                _plain(r.objective),
                format_number(r.value),
                format_interval(r.lo, r.hi),
                "" if r.n is None else format_count(r.n),
            )
        console.print(table)
    if report.triggers:
        table = Table(title=f"Triggers · latest window {latest:%Y-%m-%d %H:%M} UTC", title_justify="left")
        for col in ("severity", "kind", "version", "objective", "value", "threshold"):
            table.add_column(col, justify="right" if col in ("value", "threshold") else "left")
        table.add_column("message", overflow="fold")
        for t in report.triggers:
            table.add_row(
                t.severity,
                t.kind,
                _plain(t.version or ""),
                _plain(t.objective or ""),
                "" if t.value is None else _fmt(t.value),
                "" if t.threshold is None else _fmt(t.threshold),
                _plain(t.message),
                style=_SEVERITY_STYLE[t.severity],
            )
        console.print(table)
    console.print(report.verdict, markup=False)
