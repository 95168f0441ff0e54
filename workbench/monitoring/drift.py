"""Data drift and data quality from Evidently reports, as reopen evidence.

:func:`drift_triggers` reads Evidently report/snapshot exports (through
:func:`workbench.sources.read_evidently`) and returns :class:`~workbench.monitoring.Trigger`
objects that ``watch``/``detect`` (``drift=``) and ``workbench watch --evidently`` add to the
monitoring triggers:

``data_drift`` (``warning``)
    A column whose distribution drifted by the report's own method and threshold: the drift
    score of a ``ValueDrift`` metric compared with its threshold by the method's rule
    (p-value tests: drift below the threshold; distances: drift at or above it, see
    :func:`workbench.sources.evidently.drift_detected`), or a legacy ``DataDriftTable``'s
    ``drift_detected``. Drift alone is never ``critical``: the inputs moved, which is a reason
    to look at the trade-off again, not evidence that an objective is breached.
``data_drift`` (``info``)
    A ``ValueDrift`` whose method the rule table does not know: the score is reported, no verdict.
``data_quality`` (``info``)
    Evidently's failed data-quality tests (e.g. ``DataSummaryPreset(include_tests=True)``:
    missing values, min/max/mean/quantiles against the reference), one trigger per report
    naming them. They stay informational: Evidently's default quality tests compare point
    values with a ±10 % band and no sampling interval, so they fail on noise (the minimum of a
    column moves by chance).

A metric repeated across reports (the same column and method for one version, e.g. in a
``DataDriftPreset`` and a ``ValueDrift`` report) gives one trigger.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from workbench.format import format_count, format_number, format_percent
from workbench.monitoring.schema import MonitoringError
from workbench.monitoring.triggers import KINDS, SEVERITIES, Trigger

__all__ = ["drift_triggers", "evidently_inputs", "with_drift", "DRIFT_KINDS"]

#: The trigger kinds this module produces.
DRIFT_KINDS = ("data_drift", "data_quality")

_DRIFT_TYPES = {"ValueDrift", "DataDriftTable", "ColumnDriftMetric"}
_RULE_TEXT = {"<": "below", "<=": "at or below", ">=": "at or above", ">": "above"}

Report = str | os.PathLike[str] | Mapping[str, Any] | pd.DataFrame


def _parse(item: Any) -> tuple[str | None, Any]:
    """``"v2=path.json"`` → ``("v2", "path.json")``; a path or a dict has no version."""
    if isinstance(item, str) and "=" in item and not os.path.exists(item):
        version, _, path = item.partition("=")
        if version.strip() and path.strip():
            return version.strip(), path.strip()
    return None, item


def evidently_inputs(drift: Any) -> list[tuple[str | None, str, Any]]:
    """``(version, label, report)`` for every report in ``drift`` (as :func:`drift_triggers` takes it)."""
    if drift is None:
        return []
    if isinstance(drift, Mapping) and not ({"metrics", "tests"} & set(drift)):
        out = []
        for version, reports in drift.items():  # {version: report or [reports]}
            many = reports if isinstance(reports, (list, tuple)) else [reports]
            out += [(str(version), _label(r), r) for r in many]
        return out
    many = drift if isinstance(drift, (list, tuple)) else [drift]
    out = []
    for item in many:
        version, report = _parse(item)
        out.append((version, _label(report), report))
    return out


def _label(report: Any) -> str:
    if isinstance(report, (str, os.PathLike)):
        return os.path.basename(os.fspath(report))
    return "the Evidently report"


def _table(report: Any) -> pd.DataFrame:
    from workbench.sources.evidently import EVIDENTLY_COLUMNS, read_evidently

    if isinstance(report, pd.DataFrame):
        missing = [c for c in EVIDENTLY_COLUMNS if c not in report]
        if missing:
            raise MonitoringError(
                f"The drift table lacks the columns {', '.join(missing)} of read_evidently().\n"
                "  Fix: pass the report's JSON path, its dict, or read_evidently(path)."
            )
        return report
    return read_evidently(report)


def drift_triggers(
    drift: Report | Sequence[Report] | Mapping[str, Report | Sequence[Report]] | None,
    *,
    version: str | None = None,
    window: tuple[Any, Any] | None = None,
) -> list[Trigger]:
    """Turn Evidently reports into ``data_drift``/``data_quality`` triggers (module docstring).

    Parameters
    ----------
    drift : path, dict, DataFrame, list of them, or mapping version -> report(s)
        Evidently JSON exports (``snapshot.save_json(path)``), their parsed dicts or
        :func:`~workbench.sources.read_evidently` tables. A string ``"VERSION=path.json"`` names
        the served version the report's current data came from (the CLI's
        ``--evidently v2=drift.json``); so does a mapping ``{"v2": "drift.json"}``.
    version : str, optional
        The version of reports that name none.
    window : (start, end), optional
        The window the report's current data covers, shown in the message (Evidently's export
        does not carry it).

    Returns
    -------
    list of Trigger
        ``data_drift`` warnings first (by score distance to the threshold), then infos.

    Examples
    --------
    >>> doc = {"metrics": [{"id": "m", "metric_name": "ValueDrift(column=amount,method=psi,threshold=0.1)",
    ...     "config": {"type": "evidently:metric_v2:ValueDrift", "column": "amount", "method": "psi",
    ...                "threshold": 0.1}, "value": 0.70}]}
    >>> (t,) = drift_triggers({"v2": doc})
    >>> t.kind, t.severity, t.version, t.value, t.threshold
    ('data_drift', 'warning', 'v2', 0.7, 0.1)
    >>> print(t.message)
    v2: data drift in column amount: psi score 0.7 is at or above the threshold 0.1 (Evidently ValueDrift in the Evidently report; the method's rule: drift when the score is at or above the threshold).
    """
    from workbench.sources.evidently import drift_rule

    start = None if window is None else pd.Timestamp(window[0])
    end = None if window is None else pd.Timestamp(window[1])
    when = (
        f" in the window from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        if start is not None and end is not None
        else ""
    )
    triggers: list[Trigger] = []
    seen: set[tuple[Any, ...]] = set()
    for item_version, label, report in evidently_inputs(drift):
        ver = item_version or version
        df = _table(report)
        who = f"{ver}: " if ver else ""
        drifts = df[
            (df["kind"] == "metric")
            & df["metric_type"].isin(_DRIFT_TYPES)
            & df["field"].isin(["drift_score", "p_value"])
            & df["column"].notna()
        ]
        for r in drifts.itertuples(index=False):
            key = (ver, r.column, r.stattest, r.threshold, r.value)
            if key in seen or pd.isna(r.value):
                continue
            seen.add(key)
            method = None if pd.isna(r.stattest) else str(r.stattest)
            threshold = None if pd.isna(r.threshold) else float(r.threshold)
            detected = None if pd.isna(r.drift_detected) else bool(r.drift_detected)
            rule = drift_rule(method)
            evidence = {
                "rule": "the report's drift method and threshold",
                "column": r.column,
                "method": method,
                "score": float(r.value),
                "threshold": threshold,
                "comparison": rule,
                "drift_detected": detected,
                "report": label,
                "metric": r.metric_type,
                "metric_id": r.metric_id,
            }
            if detected is None:
                triggers.append(
                    Trigger(
                        "data_drift",
                        "info",
                        ver,
                        start,
                        end,
                        None,
                        float(r.value),
                        threshold,
                        f"{who}column {r.column}: {method or 'unknown method'} score {format_number(r.value)}"
                        + (f" (threshold {format_number(threshold)})" if threshold is not None else "")
                        + f"{when} with no drift verdict: the method's rule is unknown here ({label}).",
                        evidence,
                    )
                )
                continue
            if not detected:
                continue
            side = _RULE_TEXT.get(rule or "", "beyond")
            triggers.append(
                Trigger(
                    "data_drift",
                    "warning",
                    ver,
                    start,
                    end,
                    None,
                    float(r.value),
                    threshold,
                    f"{who}data drift in column {r.column}{when}: {method} score {format_number(r.value)} is "
                    f"{side} the threshold {format_number(threshold)} (Evidently {r.metric_type} in {label}"
                    + (f"; the method's rule: drift when the score is {side} the threshold)." if rule else ")."),
                    evidence,
                )
            )
        shares = df[(df["kind"] == "metric") & (df["metric_type"] == "DriftedColumnsCount") & (df["field"] == "share")]
        if len(shares) and any(
            t.version == ver and t.severity == "warning" and t.evidence.get("report") == label for t in triggers
        ):
            share = float(shares["value"].iloc[0])
            for t in triggers:
                if t.version == ver and t.evidence.get("report") == label:
                    t.evidence["drifted_share"] = share
        failed = df[
            (df["kind"] == "test") & (df["status"] == "FAIL") & ~df["metric_type"].fillna("").isin(_DRIFT_TYPES)
        ]
        if len(failed):
            names = [str(n) for n in failed["metric_name"].fillna("(unnamed test)")]
            total = int((df["kind"] == "test").sum())
            triggers.append(
                Trigger(
                    "data_quality",
                    "info",
                    ver,
                    start,
                    end,
                    None,
                    float(len(failed)),
                    None,
                    f"{who}{format_count(len(failed))} of {format_count(total)} Evidently data-quality tests "
                    f"failed{when} ({format_percent(len(failed) / total)}; {label}): "
                    + "; ".join(names[:5])
                    + (f"; and {format_count(len(names) - 5)} more" if len(names) > 5 else "")
                    + ". Informational: these tests compare point values, without a sampling interval.",
                    {
                        "rule": "Evidently's test status",
                        "failed": names,
                        "tests": total,
                        "report": label,
                        "columns": sorted({str(c) for c in failed["column"].dropna()}),
                    },
                )
            )

    def order(t: Trigger) -> tuple[int, int, float]:
        gap = math.inf
        if t.value is not None and t.threshold:
            gap = -abs(t.value - t.threshold) / abs(t.threshold)
        return (0 if t.severity == "warning" else 1, DRIFT_KINDS.index(t.kind), gap)

    return sorted(triggers, key=order)


def with_drift(triggers: Sequence[Trigger], drift: Any) -> list[Trigger]:
    """``triggers`` (from :func:`~workbench.monitoring.detect`) plus the drift triggers of ``drift``,
    most severe first, then by kind and version (the order ``detect`` uses).

    >>> doc = {"metrics": [{"id": "m", "config": {"type": "evidently:metric_v2:ValueDrift",
    ...     "column": "amount", "method": "ks", "threshold": 0.05}, "value": 0.001}]}
    >>> [(t.kind, t.severity) for t in with_drift([], {"v2": doc})]
    [('data_drift', 'warning')]
    """
    out = list(triggers) + (drift_triggers(drift) if drift is not None else [])
    rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(out, key=lambda t: (rank[t.severity], KINDS.index(t.kind), t.version or ""))
