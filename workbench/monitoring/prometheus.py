"""The per-(version, window) frame ``watch`` reads, from a live Prometheus server's range queries.

:func:`aggregate_prometheus` returns the same columns as :func:`workbench.monitoring.aggregate`
for the model's monitored objectives (each ``X`` with ``X_lo``, ``X_hi``, ``X_n``,
``interval_level``), so :func:`workbench.monitoring.detect` and ``workbench watch --prometheus``
judge it with the same rules as a request log.

PromQL per objective (``<src>`` its ``source:``, ``<sel>`` the ``selector``); every query is a
range query evaluated at the window edges (aligned to the UTC epoch, as the log windows are), and
a window's figure comes from the *increase* of the counters between its two edges:

=========================  ============================================================  ==========================
aggregation                queried series                                                interval
=========================  ============================================================  ==========================
p50/median/p90/p95/p99     ``sum by (version, le) (<src>_bucket<sel>)``                  bucket bounds of the
                                                                                         order-statistic ranks
rate                       ``sum by (version) (<src>_total{<sel>,outcome="error"})``     Wilson on the increases
                           and ``sum by (version) (<src>_total<sel>)``
mean, mean_per_1k,         ``sum by (version) (<src>_sum<sel>)`` and ``..._count``       none (n only)
sum_per_1k
sum / count                ``sum by (version) (<src>_total<sel>)`` / ``(<src>_count)``   none (n only)
explicit (``metric_map``)  ``query`` and ``count`` as written, ``$window`` replaced by      none (n from ``count``)
                           the window's length, evaluated at each window's end
=========================  ============================================================  ==========================

Quantiles are computed from the window's bucket increases exactly as PromQL's
``histogram_quantile`` does (:func:`workbench.sources.prometheus.bucket_quantile`), so the value
is only known within its bucket. The interval is the distribution-free order-statistic interval
of the log engines widened to bucket edges: with ``l``/``u`` the ranks of
:func:`workbench.monitoring.intervals.quantile_ranks`, the true ``x_(l)`` lies in the bucket
holding rank ``l`` and ``x_(u)`` in the one holding rank ``u``, so ``[lower edge of the first,
upper edge of the second]`` covers the quantile at least as often as the log interval. A bucket
``(a, b]`` holds values *above* ``a``: the lower bound is the next float above ``a``, so a bucket
edge placed at an SLO limit decides a breach exactly as the raw values would. Put an edge at each
limit.

Why edges rather than ``increase()``: ``increase(x[w])`` extrapolates to the range ends, so its
counts are not whole requests (``n`` would be wrong by up to a scrape interval's share). The value
of a counter at an edge is its last scrape at or before the edge, so a request is counted in the
window where it was *scraped*: a request in the last scrape interval before an edge may fall in
the next window. A counter that goes down between two edges was reset (the exporter restarted):
the increase is then taken as the value after the reset, as Prometheus' ``increase`` does, and a
note says so. Means and per-1k amounts have no interval (their variance is not in ``_sum`` and
``_count``): the triggers judge them by evidence they do not have, so a breach of one cannot fire;
monitor a 0/1 outcome as a ``rate`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitoring.intervals import DEFAULT_LEVEL, check_level, quantile_ranks, wilson
from workbench.monitoring.plan import QUANTILES, parse_window, timestamp
from workbench.monitoring.schema import MonitoringError

__all__ = ["PrometheusFrame", "SUPPORTED", "aggregate_prometheus", "objective_queries"]

#: Aggregations read from a Prometheus server (others have no counter form).
SUPPORTED = (*QUANTILES, "rate", "mean", "mean_per_1k", "sum_per_1k", "sum", "count")
#: Windows read when no ``since`` is given: this many before ``until``.
DEFAULT_WINDOWS = 24
#: Prometheus' limit of points per series in one range query (11,000).
MAX_POINTS = 11_000


def _selector(*parts: str | None) -> str:
    inner = ",".join(p for p in parts if p)
    return "{" + inner + "}" if inner else ""


def objective_queries(
    objective: Any, selector: str | None = None, error_selector: str = 'outcome="error"', metric: str | None = None
) -> dict[str, str]:
    """The PromQL read for one objective (``source:`` + ``aggregation:``), by role.

    >>> from workbench.quality import Objective
    >>> objective_queries(Objective("latency_p95_ms", "min", source="latency_ms", aggregation="p95"))
    {'buckets': 'sum by (version, le) (latency_ms_bucket)'}
    >>> objective_queries(Objective("error_rate", "min", source="requests", aggregation="rate"), 'job="api"')
    {'errors': 'sum by (version) (requests_total{job="api",outcome="error"})', 'total': 'sum by (version) (requests_total{job="api"})'}
    """
    src, agg = metric or getattr(objective, "source", None), getattr(objective, "aggregation", None)
    name = getattr(objective, "name", "?")
    if not src or not agg:
        raise MonitoringError(f"Objective {name!r} has no source:/aggregation: to read from Prometheus.")
    if agg not in SUPPORTED:
        raise MonitoringError(
            f"Objective {name!r}: aggregation {agg!r} has no counter form in Prometheus.\n"
            f"  Valid here: {', '.join(SUPPORTED)}; monitor the others from the request logs."
        )
    s = _selector(selector)
    if agg in QUANTILES:
        return {"buckets": f"sum by (version, le) ({src}_bucket{s})"}
    if agg == "rate":
        return {
            "errors": f"sum by (version) ({src}_total{_selector(selector, error_selector)})",
            "total": f"sum by (version) ({src}_total{s})",
        }
    if agg in ("mean", "mean_per_1k", "sum_per_1k"):
        return {"sum": f"sum by (version) ({src}_sum{s})", "count": f"sum by (version) ({src}_count{s})"}
    if agg == "sum":
        return {"sum": f"sum by (version) ({src}_total{s})"}
    return {"count": f"sum by (version) ({src}_count{s})"}


_MAP_KEYS = ("metric", "scale", "selector", "error_selector", "query", "count")
#: Placeholder for the window's length in an explicit ``query``/``count`` (``[$window]``).
WINDOW_PLACEHOLDER = "$window"


def _metric_specs(model: Any, metric_map: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """``metric_map`` (the format of ``workbench export prometheus --metric-map``) checked, by objective."""
    from workbench.errors import UnknownNameError, unknown_name

    if metric_map is None:
        return {}
    if not isinstance(metric_map, Mapping):
        raise MonitoringError(
            f"metric_map must map objective names to metrics, got {metric_map!r:.80}.\n"
            "  Fix: e.g. {'latency_p95_ms': {'metric': 'http_request_duration_seconds', "
            "'scale': 1000}}."
        )
    out = {}
    for name, spec in metric_map.items():
        if name not in model.names:
            raise UnknownNameError(unknown_name("metric_map: objective", str(name), model.names, where="an objective"))
        spec = {"metric": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, Mapping):
            raise MonitoringError(
                f"metric_map[{name!r}] must be a metric name or a mapping ({', '.join(_MAP_KEYS)}), got {spec!r:.80}."
            )
        # 'expr' (export's alert expression) may sit beside the query it renders: one map for both verbs
        bad = [k for k in spec if k not in _MAP_KEYS and not (k == "expr" and "query" in spec)]
        if bad:
            extra = (
                " ('expr' is for alert rules only; to read a ready-made value give 'query' and 'count')"
                if bad[0] == "expr"
                else ""
            )
            raise UnknownNameError(
                unknown_name("metric_map key", str(bad[0]), _MAP_KEYS, where=f"read for objective {name!r}{extra}")
            )
        if "query" in spec or "count" in spec:
            _check_explicit(str(name), spec)
        try:
            scale = float(spec.get("scale", 1.0))
        except (TypeError, ValueError):
            scale = math.nan
        if not math.isfinite(scale) or scale <= 0:
            raise MonitoringError(
                f"metric_map[{name!r}]: scale {spec.get('scale')!r:.40} must be a positive finite "
                "number (e.g. 1000 for seconds to ms)."
            )
        out[name] = {**spec, "scale": scale}
    return out


def _check_explicit(name: str, spec: Mapping[str, Any]) -> None:
    """An explicit ``query`` needs its ``count`` (the requests behind each value) and replaces the
    generated PromQL, so ``metric``/``selector``/``error_selector`` do not go with it."""
    example = (
        "e.g. query: 'histogram_quantile(0.95, sum by (version, le) (increase(http_seconds_bucket[$window])))', "
        "count: 'sum by (version) (increase(http_seconds_count[$window]))'"
    )
    for key in ("query", "count"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            raise MonitoringError(
                f"metric_map[{name!r}]: an explicit query needs both 'query' (the value per version) and 'count' "
                f"(the requests behind it, so a breach is judged on n); {key!r} is "
                f"{'missing' if key not in spec else repr(spec[key])[:60]}.\n  Fix: {example}."
            )
    mixed = [k for k in ("metric", "selector", "error_selector") if k in spec]
    if mixed:
        raise MonitoringError(
            f"metric_map[{name!r}]: {', '.join(mixed)} cannot go with an explicit query "
            "(the query is read as written).\n  Fix: put the label matchers in the query itself."
        )


@dataclass(frozen=True)
class PrometheusFrame:
    """What :func:`aggregate_prometheus` read: the frame, the queries and the notes."""

    aggregated: pd.DataFrame
    queries: dict[str, dict[str, str]]
    notes: tuple[str, ...] = ()
    edges: tuple[pd.Timestamp, ...] = field(default_factory=tuple)


def _increases(df: pd.DataFrame, edges: list[pd.Timestamp], keys: list[str], resets: list[str]) -> pd.DataFrame:
    """Per key: the counter's increase over each window (edge i to i+1), index = window index."""
    if df.empty:
        return pd.DataFrame(columns=[*keys, "window", "value"])
    pos = {t: i for i, t in enumerate(edges)}
    df = df.assign(at=df["timestamp"].dt.round("ms").map(pos)).dropna(subset=["at"])
    out = []
    for key, g in df.groupby(keys, dropna=False, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        values = np.full(len(edges), np.nan)
        values[g["at"].astype(int).to_numpy()] = g["value"].to_numpy()
        # a gap (no sample within the lookback at an edge) carries the last value; before the
        # series' first sample it is 0 (a new series starts at 0)
        prev = pd.Series(values[:-1]).ffill().fillna(0.0).to_numpy()
        cur = values[1:]
        inc = cur - prev
        reset = inc < 0
        if reset.any():
            resets.append(
                f"{dict(zip(keys, key, strict=True))} at {', '.join(f'{edges[i + 1]:%H:%M:%S}' for i in np.flatnonzero(reset))}"
            )
        inc = np.where(reset, cur, inc)
        for i, v in enumerate(inc):
            if np.isfinite(v):
                out.append({**dict(zip(keys, key, strict=True)), "window": i, "value": float(v)})
    return pd.DataFrame(out, columns=[*keys, "window", "value"])


def _bucket_interval(les: np.ndarray, cum: np.ndarray, rank: int) -> tuple[float, float]:
    """Edges ``(lower, upper)`` of the bucket holding the 1-based ``rank``."""
    b = int(np.searchsorted(cum, rank, side="left"))
    upper = float(les[b]) if b < len(les) else math.inf
    lower = float(les[b - 1]) if b > 0 else (0.0 if les[0] > 0 else -math.inf)
    return lower, upper


def _quantile_rows(inc: pd.DataFrame, q: float, level: float) -> dict[tuple[str, int], tuple[float, ...]]:
    from workbench.sources.prometheus import bucket_quantile

    out = {}
    for (version, w), g in inc.groupby(["version", "window"], sort=True):
        g = g.sort_values("le")
        les, counts = g["le"].to_numpy(dtype="float64"), np.maximum.accumulate(g["value"].to_numpy(dtype="float64"))
        n = float(counts[-1]) if len(counts) and math.isinf(les[-1]) else math.nan
        if not n > 0:
            continue
        value, _, _, _ = bucket_quantile(q, les, counts)
        lo_rank, hi_rank = quantile_ranks(int(round(n)), q, level)
        lo = hi = math.nan
        if lo_rank >= 0:
            lower, _ = _bucket_interval(les, counts, lo_rank + 1)
            lo = float(np.nextafter(lower, math.inf)) if math.isfinite(lower) else math.nan
        if hi_rank < n:
            _, upper = _bucket_interval(les, counts, hi_rank + 1)
            hi = upper if math.isfinite(upper) else math.nan
        out[(str(version), int(w))] = (value, lo, hi, n)
    return out


def aggregate_prometheus(
    url: str,
    model: Any,
    *,
    window: str | pd.Timedelta = "1h",
    since: Any = None,
    until: Any = None,
    level: float = DEFAULT_LEVEL,
    selector: str | None = None,
    metric_map: Mapping[str, Any] | None = None,
    timeout: float | None = None,
) -> PrometheusFrame:
    """Read the model's monitored objectives per (version, window) from a Prometheus server.

    Parameters
    ----------
    url : str
        The server's base URL (``http://127.0.0.1:9090``).
    model : QualityModel
        Objectives with ``source:`` (the metric family) and ``aggregation:`` are read (see the
        module docstring for the PromQL); the others are left out with a note.
    window : str
        Window length, aligned to the UTC epoch like the log windows.
    since, until : timestamp, optional
        Period read (UTC when naive); ``until`` defaults to now, ``since`` to 24 windows before.
        A last window cut by ``until`` is read up to ``until``.
    level : float
        Interval level.
    selector : str, optional
        Label matchers added to every series (``'job="serving"'``).
    metric_map : mapping, optional
        Per objective, the metric to read when it is not named like the ``source:`` (same format
        as ``workbench export prometheus --metric-map``): a metric family name, or a mapping with
        ``metric``, ``scale`` (multiplies quantiles, means, sums and per-1k amounts: 1000 for a
        histogram in seconds read into ``ms``; rates are ratios and are not scaled),
        ``selector`` (label matchers for this objective) and ``error_selector`` (rates; default
        ``outcome="error"``). Or explicit PromQL: ``query`` (the value per ``version``) and
        ``count`` (the requests behind it), both instant-vector expressions evaluated at each
        window's end with ``$window`` replaced by the window's length (``[$window]``); such a
        value has no interval, so a breach is judged by the point estimate on windows with
        enough requests (the triggers' rule for data without an interval).
    timeout : float, optional
        Seconds per request (default ``WORKBENCH_PROMETHEUS_TIMEOUT`` or 10).

    Returns
    -------
    PrometheusFrame
        ``aggregated`` (``version``, ``window_start``, ``window_end``, ``n_requests``, one column
        per objective, ``X_lo``/``X_hi``/``X_n``, ``interval_level``; (version, window) pairs
        without any observation are absent), ``queries`` (objective -> PromQL by role) and notes.

    Raises
    ------
    SourceUnreachableError
        The server cannot be reached in time.
    MonitoringError
        No objective can be read, or an aggregation has no counter form.
    """
    from workbench.sources.prometheus import query_range

    level = check_level(level)
    w = parse_window(window)
    if w is None:
        raise MonitoringError("A Prometheus read needs a fixed window, e.g. window='5m'.")
    end = timestamp(until, "until") if until is not None else pd.Timestamp.now(tz="UTC").floor("ms")
    start = timestamp(since, "since") if since is not None else end - DEFAULT_WINDOWS * w
    if start >= end:
        raise MonitoringError(f"since {start} is not before until {end}.")
    epoch = pd.Timestamp(0, tz="UTC")
    first = epoch + ((start - epoch) // w) * w
    count = int((end - first) // w) + 1
    if count > MAX_POINTS:
        raise MonitoringError(
            f"{count:,} windows of {window} between {first} and {end}: Prometheus answers at most "
            f"{MAX_POINTS:,} points per series.\n  Fix: a longer window or a later since."
        )
    aligned = [first + i * w for i in range(count)]
    edges = aligned + ([end] if aligned[-1] < end else [])
    step = w / pd.Timedelta(1, "s")
    specs = _metric_specs(model, metric_map)
    objectives = [
        o
        for o in model.objectives
        if "query" in specs.get(o.name, {})
        or (getattr(o, "aggregation", None) and (getattr(o, "source", None) or specs.get(o.name, {}).get("metric")))
    ]
    notes: list[str] = []
    skipped = [o.name for o in model.objectives if o not in objectives]
    if skipped:
        notes.append(f"objective(s) without source:/aggregation: not read from Prometheus: {', '.join(skipped)}.")
    if not objectives:
        raise MonitoringError(
            "The quality model has no objective with source: and aggregation:, so nothing can be read from "
            "Prometheus.\n  Fix: give each monitored objective its metric family as source: (e.g. latency_ms "
            "for latency_ms_bucket) and an aggregation: (p95, rate, ...)."
        )

    def query_for(o: Any) -> dict[str, str]:
        spec = specs.get(o.name, {})
        if "query" in spec:
            return {"value": spec["query"], "count": spec["count"]}
        sel = ",".join(x for x in (selector, spec.get("selector")) if x) or None
        return objective_queries(o, sel, spec.get("error_selector", 'outcome="error"'), spec.get("metric"))

    queries = {o.name: query_for(o) for o in objectives}

    def fetch(promql: str) -> pd.DataFrame:
        parts = [query_range(url, promql, aligned[0], aligned[-1], step, timeout=timeout)]
        if edges[-1] != aligned[-1]:
            parts.append(query_range(url, promql, edges[-1], edges[-1], step, timeout=timeout))
        df = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else parts[0]
        if "version" not in df.columns:
            df["version"] = pd.Series(dtype="string")
        return df

    def at_window_ends(template: str) -> pd.DataFrame:
        """An explicit query evaluated at each window's end, ``$window`` its length; ``window`` its index."""

        def text(length: pd.Timedelta) -> str:
            return template.replace(WINDOW_PLACEHOLDER, f"{int(length / pd.Timedelta(1, 'ms'))}ms")

        parts = []
        if len(aligned) > 1:
            parts.append(query_range(url, text(w), aligned[1], aligned[-1], step, timeout=timeout))
        if edges[-1] != aligned[-1]:
            parts.append(query_range(url, text(edges[-1] - aligned[-1]), edges[-1], edges[-1], step, timeout=timeout))
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(columns=["version", "window", "value"])
        df = pd.concat(parts, ignore_index=True)
        if "version" not in df.columns:
            raise MonitoringError(
                f"The explicit query {template!r:.120} returns series without a 'version' label.\n"
                "  Fix: aggregate with 'sum by (version, ...)' (or keep the version label)."
            )
        pos = {t: i - 1 for i, t in enumerate(edges) if i > 0}
        df["window"] = df["timestamp"].dt.round("ms").map(pos)
        return df.dropna(subset=["window"]).astype({"window": int})

    resets: list[str] = []
    cols: dict[str, dict[tuple[str, int], tuple[float, ...]]] = {}
    for o in objectives:
        q = queries[o.name]
        if "value" in q:  # explicit PromQL: a value and its n, no interval (judged by the point rule)
            scale = specs[o.name].get("scale", 1.0)
            values = at_window_ends(q["value"]).set_index(["version", "window"])["value"]
            counts = at_window_ends(q["count"]).set_index(["version", "window"])["value"]
            cols[o.name] = {
                (str(v), int(i)): (scale * float(values[(v, i)]), math.nan, math.nan, float(n))
                for (v, i), n in counts.items()
                if np.isfinite(n) and n > 0 and (v, i) in values.index and np.isfinite(values[(v, i)])
            }
            continue
        if o.aggregation in QUANTILES:
            raw = fetch(q["buckets"])
            if "le" not in raw.columns:
                raw["le"] = pd.Series(dtype="float64")
            inc = _increases(raw, edges, ["version", "le"], resets)
            inc["le"] = inc["le"].astype("float64") * specs.get(o.name, {}).get("scale", 1.0)
            cols[o.name] = _quantile_rows(inc, QUANTILES[o.aggregation], level)
            continue
        parts = {
            role: _increases(fetch(text), edges, ["version"], resets).set_index(["version", "window"])["value"]
            for role, text in q.items()
        }
        got = {}
        if o.aggregation == "rate":
            total = parts["total"]
            errors = parts["errors"].reindex(total.index).fillna(0.0)
            for key, n in total.items():
                if n > 0:
                    k = float(errors[key])
                    lo, hi = wilson(np.array([k]), np.array([float(n)]), level)
                    got[(str(key[0]), int(key[1]))] = (k / n, float(lo[0]), float(hi[0]), float(n))
        elif "count" in parts and "sum" in parts:
            scale = 1.0 if o.aggregation == "mean" else 1000.0
            for key, n in parts["count"].items():
                if n > 0:
                    s = float(parts["sum"].get(key, math.nan))
                    got[(str(key[0]), int(key[1]))] = (scale * s / n, math.nan, math.nan, float(n))
        else:
            role = next(iter(parts))
            for key, v in parts[role].items():
                got[(str(key[0]), int(key[1]))] = (
                    float(v),
                    math.nan,
                    math.nan,
                    float(v) if role == "count" else math.nan,
                )
        scale = specs.get(o.name, {}).get("scale", 1.0)
        if scale != 1.0 and o.aggregation not in ("rate", "count"):
            got = {k: (v * scale, lo * scale, hi * scale, n) for k, (v, lo, hi, n) in got.items()}
        cols[o.name] = got
    if resets:
        notes.append(
            "counter reset(s) (an exporter restarted): the increase is taken from the reset on, "
            "as Prometheus' increase() does: " + "; ".join(resets[:5]) + "."
        )
    keys = sorted({k for got in cols.values() for k in got})
    rows = []
    for version, i in keys:
        row: dict[str, Any] = {"version": version, "window_start": edges[i], "window_end": edges[i] + w}
        ns = []
        for o in objectives:
            value, lo, hi, n = cols[o.name].get((version, i), (math.nan, math.nan, math.nan, 0.0))
            row[o.name], row[f"{o.name}_lo"], row[f"{o.name}_hi"] = value, lo, hi
            row[f"{o.name}_n"] = 0 if not np.isfinite(n) else int(round(n))
            if getattr(o, "aggregation", None) != "sum":
                ns.append(row[f"{o.name}_n"])
        row["n_requests"] = max(ns) if ns else 0
        rows.append(row)
    names = [o.name for o in objectives]
    order = [
        "version",
        "window_start",
        "window_end",
        "n_requests",
        *names,
        *[f"{c}{s}" for c in names for s in ("_lo", "_hi", "_n")],
    ]
    frame = pd.DataFrame(rows, columns=order)
    if len(frame):
        frame["window_start"] = pd.to_datetime(frame["window_start"], utc=True)
        frame["window_end"] = pd.to_datetime(frame["window_end"], utc=True)
    frame["n_requests"] = frame["n_requests"].astype("int64")
    for c in names:
        frame[c] = frame[c].astype("float64")
        frame[f"{c}_lo"] = frame[f"{c}_lo"].astype("float64")
        frame[f"{c}_hi"] = frame[f"{c}_hi"].astype("float64")
        frame[f"{c}_n"] = frame[f"{c}_n"].astype("int64")
    explicit = [o.name for o in objectives if "value" in queries[o.name]]
    # an explicit query's value has no interval: without the columns the triggers use their rule for
    # data without one (the point estimate, on windows with at least the minimum n), and say so
    frame = frame.drop(columns=[f"{c}{s}" for c in explicit for s in ("_lo", "_hi")])
    if explicit:
        notes.append(
            f"explicit PromQL for {', '.join(explicit)}: values without an interval, judged by the point "
            "estimate on windows with enough requests."
        )
    frame["interval_level"] = level
    frame = frame.sort_values(["version", "window_start"], kind="stable").reset_index(drop=True)
    return PrometheusFrame(frame, queries, tuple(notes), tuple(edges))
