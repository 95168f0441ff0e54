"""The watch workflow as a library function: logs + quality model (+ decision) -> :class:`WatchReport`.

``workbench watch`` (the CLI) only prints the report and sets its exit code; a scheduler or a
notebook calls :func:`watch` and gets the same tables, triggers, verdict and provenance.

logs --(columns mapped)--> aggregate (n + intervals) --> detect (evidence rules) --> WatchReport
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from workbench.errors import UnknownNameError, unknown_name
from workbench.monitoring.intervals import DEFAULT_LEVEL, check_level
from workbench.monitoring.schema import SCHEMA, MonitoringError
from workbench.monitoring.triggers import Thresholds, Trigger, _shown, detect, review_due

__all__ = ["COMMON_NAMES", "DEFAULT_FOR_WINDOWS", "WatchReport", "explain_degradation", "parse_columns", "watch"]

#: Persistence ``workbench watch`` uses by default: a condition must hold in 2 consecutive windows.
DEFAULT_FOR_WINDOWS = 2

#: Column names recognised without ``columns=`` (canonical name -> names seen in the wild).
COMMON_NAMES = {
    "version": ("model_version", "model"),
    "timestamp": ("ts", "time", "datetime"),
    "latency_ms": ("latency",),
    "label": ("y_true", "target"),
    "prediction": ("y_pred", "pred"),
}


def parse_columns(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"version=model_version,timestamp=ts"`` -> ``{"version": "model_version", ...}``.

    Canonical names are checked against the log schema; a bad pair names the valid form.

    >>> parse_columns("version=model_version, timestamp=ts")
    {'version': 'model_version', 'timestamp': 'ts'}
    >>> parse_columns("vresion=model")
    Traceback (most recent call last):
    ...
    workbench.errors.UnknownNameError: Canonical column 'vresion' is not a column of the log schema...
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        pairs = dict(text)
    else:
        pairs = {}
        for item in str(text).split(","):
            if not item.strip():
                continue
            canon, sep, theirs = item.partition("=")
            if not sep or not canon.strip() or not theirs.strip():
                raise MonitoringError(
                    f"--columns item {item.strip()!r} is not CANONICAL=COLUMN.\n"
                    f"  Valid canonical names: {', '.join(SCHEMA)}; e.g. version=model_version,timestamp=ts."
                )
            pairs[canon.strip()] = theirs.strip()
    for canon in pairs:
        if canon not in SCHEMA:
            raise UnknownNameError(
                unknown_name(
                    "Canonical column",
                    canon,
                    list(SCHEMA),
                    where="a column of the log schema",
                    fix="map CANONICAL=COLUMN, e.g. version=model_version.",
                )
            )
    return pairs


@dataclass(frozen=True)
class WatchReport:
    """What one watch found: the evidence tables, the triggers, the verdict and the provenance.

    Attributes
    ----------
    aggregated : DataFrame
        Per (version, window): every objective with its interval and ``n``.
    slo : DataFrame
        Per (version, constraint): compliance over the windows (``slo_summary``).
    triggers : tuple of Trigger
    review_due : bool
        True when any trigger is a warning or critical.
    verdict : str
        ``"review due"``, ``"only informational triggers: no review due"`` or
        ``"no trigger: no review due"``.
    notes : tuple of str
        Assumptions made (recognised column names, a missing decision).
    provenance : dict
        Inputs (files with sha256, model hash), parameters (window, level, persistence,
        thresholds), windows, versions and the decision checked.
    """

    aggregated: pd.DataFrame
    slo: pd.DataFrame
    triggers: tuple[Trigger, ...]
    review_due: bool
    verdict: str
    notes: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe ``triggers.json`` payload."""
        from workbench.analysis.analyze import to_jsonable

        return to_jsonable(
            {
                "review_due": self.review_due,
                "verdict": self.verdict,
                "n_triggers": len(self.triggers),
                "triggers": [t.to_dict() for t in self.triggers],
                "slo": self.slo.to_dict(orient="records"),
                "notes": list(self.notes),
                "provenance": self.provenance,
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    def evidence_table(self) -> pd.DataFrame:
        """Latest window per (version, objective with a constraint or a monitoring source):
        value, interval, level and n, for printing."""
        agg = self.aggregated
        if agg.empty:
            return pd.DataFrame(columns=["version", "objective", "value", "lo", "hi", "n", "level"])
        latest = agg[agg["window_start"] == agg["window_start"].max()]
        rows = []
        for name in self.provenance.get("objectives", []):
            if name not in agg:
                continue
            for r in latest.itertuples(index=False):
                d = r._asdict()
                rows.append(
                    {
                        "version": d["version"],
                        "objective": name,
                        "value": d[name],
                        "lo": d.get(f"{name}_lo"),
                        "hi": d.get(f"{name}_hi"),
                        "n": d.get(f"{name}_n"),
                        "level": d.get("interval_level"),
                    }
                )
        return pd.DataFrame(rows)


def _map_columns(files: list[str], columns: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The canonical -> file column mapping (given, plus recognised common names) and notes."""
    from pathlib import Path

    p = Path(files[0])
    if p.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        names = list(pq.read_schema(p).names)
    else:
        names = list(pd.read_csv(p, nrows=0).columns)
    mapping = dict(columns)
    for canon, theirs in mapping.items():
        if theirs not in names:
            raise UnknownNameError(
                unknown_name(
                    f"--columns {canon}=",
                    theirs,
                    names,
                    where=f"a column of {str(p)!r}",
                    fix=f"map {canon} to one of the file's columns.",
                )
            )
    notes = []
    taken = set(mapping.values())
    for canon, common in COMMON_NAMES.items():
        if canon in mapping or canon in names:
            continue
        found = next((c for c in common if c in names and c not in taken), None)
        if found is not None:
            mapping[canon] = found
            taken.add(found)
            notes.append(
                f"column {found!r} read as {canon!r} (a common name; pass --columns {canon}=... to choose another)."
            )
    return mapping, notes


def watch(
    logs: str | Sequence[str] | pd.DataFrame | None,
    model: Any,
    *,
    prometheus: str | None = None,
    selector: str | None = None,
    metric_map: Mapping[str, Any] | None = None,
    until: Any = None,
    timeout: float | None = None,
    decision: Any = None,
    offline: Any = None,
    champion: str | None = None,
    since: Any = None,
    window: str = "1h",
    engine: str = "duckdb",
    level: float = DEFAULT_LEVEL,
    for_windows: int = DEFAULT_FOR_WINDOWS,
    columns: str | Mapping[str, str] | None = None,
    thresholds: Thresholds | None = None,
    provenance: Mapping[str, Any] | None = None,
    drift: Any = None,
) -> WatchReport:
    """Aggregate the logs with intervals, detect the triggers and return the report.

    Parameters
    ----------
    logs : path, folder, glob, list of them, or DataFrame; None with ``prometheus``
    model : QualityModel
    prometheus : str, optional
        Base URL of a Prometheus server to read the objectives from instead of logs, by range
        queries (:func:`workbench.monitoring.prometheus.aggregate_prometheus`: the PromQL comes
        from each objective's ``source:``/``aggregation:``, or ``metric_map``; ``selector`` adds label matchers,
        ``until`` ends the period (default now), ``since`` defaults to 24 windows before it,
        ``timeout`` bounds each request). ``engine`` and ``columns`` do not apply.
    decision : DecisionRecord, optional
        The latest accepted decision (``DecisionLog(url).latest()``).
    offline : Candidates or DataFrame, optional
    champion : str, optional
    since : timestamp, optional
    window : str
    engine : {"duckdb", "dask", "pandas"}
    level : float
        Confidence level of every interval and probability, in (0, 1).
    for_windows : int
        Persistence (>= 1): consecutive windows a condition must hold (default 2).
    columns : "canonical=column,..." or mapping, optional
        Map the files' column names to the canonical schema; common names (``model_version``,
        ``ts``, ``time``, ``latency``, ``y_true``/``y_pred``) are recognised with a note.
    thresholds : Thresholds, optional
        The other trigger parameters (``level`` and ``for_windows`` above take precedence).
    provenance : mapping, optional
        Extra provenance (e.g. the decision log's URL), merged into the report's.
    drift : Evidently report(s), optional
        Evidently JSON exports (paths, dicts, ``"VERSION=path"`` strings or a mapping version ->
        report): drifted columns become ``data_drift`` warnings and failed data-quality tests a
        ``data_quality`` info (:func:`workbench.monitoring.drift.drift_triggers`).
    """
    from workbench._io import file_sha256
    from workbench._version import __version__
    from workbench.monitoring.aggregate import aggregate
    from workbench.monitoring.plan import resolve_files
    from workbench.monitoring.slo import _compliance, aggregated_frame, slo_summary

    level = check_level(level)
    base = thresholds or Thresholds()
    thresholds = Thresholds(**{**base.__dict__, "level": level, "for_windows": for_windows})
    mapping = parse_columns(columns)
    notes: list[str] = []
    files: list[str] = []
    data: Any = logs
    source_prov: dict[str, Any] = {}
    if prometheus is not None:
        from workbench.monitoring.prometheus import aggregate_prometheus

        if logs is not None:
            raise MonitoringError(
                "Pass request logs or a Prometheus URL, not both.\n"
                "  Fix: drop the log paths to read Prometheus (or drop --prometheus)."
            )
        read = aggregate_prometheus(
            prometheus,
            model,
            window=window,
            since=since,
            until=until,
            level=level,
            selector=selector,
            metric_map=metric_map,
            timeout=timeout,
        )
        agg = read.aggregated
        notes += list(read.notes)
        source_prov = {
            "prometheus": {
                "url": prometheus,
                "selector": selector,
                "queries": read.queries,
                "until": read.edges[-1] if read.edges else None,
            }
        }
        engine = "prometheus"
        if agg.empty:
            raise MonitoringError(
                f"The Prometheus server at {prometheus} has no observation of the model's metrics "
                f"between {read.edges[0]:%Y-%m-%d %H:%M:%S} and {read.edges[-1]:%Y-%m-%d %H:%M:%S} "
                "UTC; nothing to check.\n  Fix: check that it scrapes the serving exporter "
                "(its targets page), the metric names (source:), --selector and --since."
            )
    elif logs is None:
        raise MonitoringError(
            "No request logs and no Prometheus URL: nothing to watch.\n"
            "  Fix: pass log files, or prometheus='http://host:9090' (CLI --prometheus)."
        )
    elif not isinstance(logs, pd.DataFrame):
        files, _ = resolve_files(list(logs) if isinstance(logs, (list, tuple)) else logs)
        mapping, notes = _map_columns(files, mapping)
        if mapping:
            from workbench.sources.logs import read_logs

            frame = read_logs(files, columns=mapping, since=since)
            data = frame.data
            notes += list(frame.notes)
    elif mapping:
        data = logs.rename(columns={v: k for k, v in mapping.items()})
    if prometheus is None:
        agg = aggregate(data, model, window=window, since=since, engine=engine, level=level)
    if agg.empty:
        raise MonitoringError(
            f"The request logs have no request{f' since {since}' if since else ''}; "
            "nothing to check.\n  Fix: check the files and --since."
        )
    triggers = detect(agg, model, decision=decision, offline=offline, champion=champion, thresholds=thresholds)
    if drift is not None:
        from workbench.monitoring.drift import with_drift

        triggers = with_drift(triggers, drift)
    champ = champion or (getattr(decision, "chosen", None) if decision is not None else None)
    summary = slo_summary(_compliance(aggregated_frame(agg), model, champ, strict=False))
    due = review_due(triggers)
    verdict = (
        "review due"
        if due
        else ("no trigger: no review due" if not triggers else "only informational triggers: no review due")
    )
    first, latest = agg["window_start"].min(), agg["window_start"].max()
    prov = {
        "workbench_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_hash": getattr(model, "hash", None),
        "objectives": list(model.names),
        "logs": []
        if logs is None
        else [str(x) for x in (logs if isinstance(logs, (list, tuple)) else [logs])]
        if not isinstance(logs, pd.DataFrame)
        else "DataFrame",
        **source_prov,
        "log_files": [{"path": f, "sha256": file_sha256(f)} for f in files],
        "columns": mapping,
        "window": window,
        "since": since,
        "engine": engine,
        "level": level,
        "for_windows": for_windows,
        "windows": {
            "first": first,
            "latest": latest,
            "end": agg["window_end"].max(),
            "count": int(agg["window_start"].nunique()),
        },
        "versions": sorted(agg["version"].unique()),
        "decision": None
        if decision is None
        else {"id": decision.id, "chosen": decision.chosen, "created": decision.created},
        "champion": champ,
        "evidently": _drift_files(drift),
        "thresholds": {
            "acceptability_drop": thresholds.acceptability,
            "hypervolume": thresholds.hypervolume,
            "smaa": thresholds.smaa_samples,
            "conflict": thresholds.conflict,
            "bootstrap": thresholds.bootstrap,
            "min_n": thresholds.min_n,
            "seed": 0,
        },
        **dict(provenance or {}),
    }
    return WatchReport(
        aggregated=agg,
        slo=summary,
        triggers=tuple(triggers),
        review_due=due,
        verdict=verdict,
        notes=tuple(notes),
        provenance=prov,
    )


def _drift_files(drift: Any) -> list[dict[str, Any]]:
    """The Evidently files read (path, version, sha256) for the provenance."""
    import os

    from workbench._io import file_sha256
    from workbench.monitoring.drift import evidently_inputs

    out = []
    for version, _, report in evidently_inputs(drift):
        if isinstance(report, (str, os.PathLike)) and os.path.isfile(report):
            out.append({"path": os.fspath(report), "version": version, "sha256": file_sha256(report)})
    return out


def _what(trigger: Mapping[str, Any], evidence: Mapping[str, Any]) -> str:
    """``", latency_p95_ms 7.54 [7.49, 7.58] (95 %, n = 176), limit 4"``: the objective and the
    evidence an alarm rests on, in the triggers' own wording, as far as it has them."""
    from workbench.format import format_number

    objective = trigger.get("objective")
    value = evidence.get("value", trigger.get("value"))
    if not objective or value is None:
        return f", {objective}" if objective else ""
    interval, n, level = evidence.get("interval"), evidence.get("n"), evidence.get("level", DEFAULT_LEVEL)
    text = (
        format_number(value)
        if n is None
        else _shown(value, *(interval or (math.nan, math.nan)), n, None, level, bool(interval))
    )
    limit = evidence.get("limit", trigger.get("threshold"))
    return f", {objective} {text}" + ("" if limit is None else f", limit {format_number(limit)}")


def explain_degradation(triggers_json: Any, degraded: str | None, versions: Sequence[str]) -> list[str]:
    """Lines saying which version was made to degrade and whether each alarm is explained by it.

    For the demo and for injected-fault drills: ``triggers_json`` is a ``triggers.json`` path or
    its payload (or a :class:`WatchReport`). An alarm (warning or critical) is *explained* when it
    concerns the degraded version, or is a decision check (champion dominated, acceptability,
    hypervolume) whose evidence names it; any other alarm is reported as unexplained.
    """
    from pathlib import Path

    if isinstance(triggers_json, WatchReport):
        payload = triggers_json.to_dict()
    elif isinstance(triggers_json, Mapping):
        payload = dict(triggers_json)
    else:
        payload = json.loads(Path(triggers_json).read_text(encoding="utf-8"))
    alarms = [t for t in payload.get("triggers", []) if t["severity"] in ("warning", "critical")]
    healthy = [v for v in versions if v != degraded]
    lines = [
        f"Injected degradation: {degraded} (inputs drift, latency and failures rise over the period); "
        f"healthy: {', '.join(healthy) or 'none'}."
        if degraded
        else "No degradation was injected."
    ]
    for t in alarms:
        names = (
            {t.get("version")}
            | set((t.get("evidence") or {}).get("dominated_by") or [])
            | set((t.get("evidence") or {}).get("versions") or [])
        )
        ok = degraded is not None and degraded in names
        ev = t.get("evidence") or {}
        why = (
            f"right: it concerns {degraded}, the degraded version, and rests on {ev.get('rule', 'its rule')}"
            if ok
            else "NOT explained by the injected degradation"
        )
        lines.append(f"- {t['kind']} for {t.get('version') or 'the live front'}{_what(t, ev)}: {why}.")
    quiet = [v for v in healthy if not any(t.get("version") == v for t in alarms)]
    if degraded:
        lines.append(f"Healthy versions with no alarm: {', '.join(quiet) or 'none'}.")
    return lines
