"""Prometheus metrics: text exposition snapshots and HTTP API query results.

- :func:`parse_exposition` reads the text a ``/metrics`` endpoint serves, in the classic format
  (``text/plain; version=0.0.4``) or OpenMetrics (detected by its final ``# EOF`` line), with
  ``prometheus_client``'s own parsers, into a long table.
- :func:`histogram_quantiles` turns histogram buckets into quantiles the way PromQL's
  ``histogram_quantile`` does (below), keeping the bucket layout beside each value.
- :func:`read_range_query` reads the JSON of ``/api/v1/query_range`` (or ``/api/v1/query``).
- :func:`query_range` runs a range query on a live server (bounded timeout, clear errors);
  :func:`workbench.monitoring.prometheus.aggregate_prometheus` builds the per-(version, window)
  frame ``watch`` reads from such queries.

How ``histogram_quantile`` estimates a quantile (Prometheus ``promql/quantile.go``), reproduced
here: buckets are cumulative counts ``c_i`` of observations ``<= le_i``, sorted by ``le``, the last
being ``+Inf``. With ``n = c_+Inf`` and ``rank = q * n``, take the first bucket ``b`` with
``c_b >= rank``; the quantile is
``le_{b-1} + (le_b - le_{b-1}) * (rank - c_{b-1}) / (c_b - c_{b-1})``
— *linear interpolation inside the bucket*, i.e. observations assumed spread evenly in it. The
lowest bucket interpolates from 0 (``le_{-1} = 0``) when its upper bound is > 0 (else its upper
bound is returned). When ``b`` is the ``+Inf`` bucket, the upper bound of the last finite bucket is
returned (``in_inf_bucket`` is then True: the true value is larger). No ``+Inf`` bucket, fewer than
two buckets, or no observation give NaN. Counts that decrease with ``le`` (possible after summing
rates) are made monotonic by a running maximum, as Prometheus does. One deviation: ``q = 0`` with
an empty lowest bucket gives that bucket's lower bound where Prometheus computes ``0/0 = NaN``.
So a quantile is only as precise as the layout: the result records ``buckets`` and the bucket it
fell in.

``prometheus_client`` is needed to parse expositions (``pip install
"mltradeops-workbench[monitoring]"``); quantiles and API JSON need only pandas.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import SourceNotFoundError, UnknownNameError, require, unknown_name
from workbench.sources.logs import MonitoringDataError

__all__ = [
    "parse_exposition",
    "histogram_quantiles",
    "bucket_quantile",
    "read_range_query",
    "query_range",
    "EXPOSITION_COLUMNS",
]

#: Fixed columns of :func:`parse_exposition`; label columns follow them.
EXPOSITION_COLUMNS = ("family", "metric", "type", "labels", "le", "value", "timestamp")
_PARENTS = ("counter", "histogram", "summary", "gaugehistogram")


def _ts(value: Any) -> float:
    if value is None:
        return math.nan
    if hasattr(value, "sec"):  # openmetrics Timestamp
        return value.sec + value.nsec / 1e9
    return float(value)


def _le(value: Any) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    text = str(value).strip()
    return math.inf if text in ("+Inf", "Inf", "inf", "+inf") else float(text)


def _flatten(rows: list[dict[str, Any]], labels: list[dict[str, str]], fixed: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(fixed))
    keys = list(dict.fromkeys(k for lab in labels for k in lab))
    for key in keys:
        col = f"label_{key}" if key in fixed else key
        df[col] = pd.Series([lab.get(key) for lab in labels], index=df.index, dtype="string")
    return df


def parse_exposition(text: str | bytes) -> pd.DataFrame:
    """Parse Prometheus text exposition (classic or OpenMetrics) into a long table.

    Parameters
    ----------
    text : str or bytes
        What a ``/metrics`` endpoint returned. OpenMetrics is recognised by its ``# EOF`` line.

    Returns
    -------
    DataFrame
        One row per sample: ``family`` (the metric family: counters without ``_total`` in both
        formats), ``metric`` (the sample's name, e.g. ``requests_total``, ``latency_bucket``),
        ``type``, ``labels`` (dict, without ``le``), ``le`` (float bucket bound, ``inf`` for
        ``+Inf``, NaN elsewhere), ``value``, ``timestamp`` (UTC, NaT when the sample has none),
        then one string column per label (``label_<name>`` if it clashes with a fixed column).
        ``<family>_created`` samples (series creation times, not measurements; a separate gauge
        family in the classic format) are dropped so both formats give the same table.

    Raises
    ------
    MonitoringDataError
        The text is not valid exposition (the parser's message is quoted).

    Examples
    --------
    >>> df = parse_exposition('# TYPE requests_total counter\\nrequests_total{version="v1"} 3\\n')
    >>> df[["family", "metric", "type", "version", "value"]]
         family          metric     type version  value
    0  requests  requests_total  counter      v1    3.0
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    openmetrics = text.rstrip().endswith("# EOF")
    fmt = "OpenMetrics" if openmetrics else "classic text"
    if openmetrics:
        parser = require("prometheus_client.openmetrics.parser", "monitoring", "Parsing Prometheus exposition")
    else:
        parser = require("prometheus_client.parser", "monitoring", "Parsing Prometheus exposition")
    try:
        families = list(parser.text_string_to_metric_families(text))
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise MonitoringDataError(
            f"Cannot parse the Prometheus exposition ({fmt} format): {exc}.\n"
            "  Fix: pass the body of a /metrics response; OpenMetrics text must end with '# EOF'."
        ) from None
    parents = {f.name for f in families if f.type in _PARENTS}
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, str]] = []
    for fam in families:
        if fam.type == "gauge" and fam.name.endswith("_created") and fam.name[:-8] in parents:
            continue  # classic format: creation times of counters/histograms as gauges
        for s in fam.samples:
            if s.name == f"{fam.name}_created" and fam.type in _PARENTS:
                continue
            lab = {k: v for k, v in s.labels.items() if k != "le"}
            rows.append(
                {
                    "family": fam.name,
                    "metric": s.name,
                    "type": fam.type,
                    "labels": lab,
                    "le": _le(s.labels.get("le")),
                    "value": float(s.value),
                    "timestamp": _ts(s.timestamp),
                }
            )
            labels.append(lab)
    df = _flatten(rows, labels, EXPOSITION_COLUMNS)
    df["le"] = df["le"].astype("float64")
    df["value"] = df["value"].astype("float64")
    df["timestamp"] = pd.to_datetime(df["timestamp"].astype("float64"), unit="s", utc=True)
    return df


def bucket_quantile(
    q: float, upper_bounds: Sequence[float], counts: Sequence[float]
) -> tuple[float, float, float, bool]:
    """PromQL's ``histogram_quantile`` for one histogram (see the module docstring).

    Returns ``(value, bucket_lower, bucket_upper, in_inf_bucket)``.

    >>> bucket_quantile(0.5, [0.1, 0.5, 1.0, math.inf], [1, 3, 4, 5])  # rank 2.5 in (0.1, 0.5]
    (0.4, 0.1, 0.5, False)
    >>> bucket_quantile(0.99, [0.1, 0.5, 1.0, math.inf], [1, 3, 4, 5])  # in +Inf: last finite bound
    (1.0, 1.0, inf, True)
    """
    nan = (math.nan, math.nan, math.nan, False)
    le = np.asarray(upper_bounds, dtype="float64")
    c = np.asarray(counts, dtype="float64")
    order = np.argsort(le, kind="stable")
    le, c = le[order], np.maximum.accumulate(c[order]) if len(c) else c
    if len(le) < 2 or not math.isinf(le[-1]) or le[-1] < 0 or math.isnan(q):
        return nan
    n = c[-1]
    if n <= 0:
        return nan
    rank = q * n
    b = int(np.searchsorted(c, rank, side="left"))  # first bucket with count >= rank
    b = min(b, len(c) - 1)
    if b == len(le) - 1:
        return float(le[-2]), float(le[-2]), math.inf, True
    if b == 0 and le[0] <= 0:
        return float(le[0]), math.nan, float(le[0]), False
    start, end, count = 0.0, float(le[b]), float(c[b])
    if b > 0:
        start = float(le[b - 1])
        count -= float(c[b - 1])
        rank -= float(c[b - 1])
    value = start + (end - start) * (rank / count) if count > 0 else start
    return float(value), start, end, False


def histogram_quantiles(
    data: pd.DataFrame | str | bytes,
    metric: str | None,
    q: float | Sequence[float] = (0.5, 0.95, 0.99),
    by: str | Sequence[str] = ("version",),
) -> pd.DataFrame:
    """Quantiles of a Prometheus histogram per group, as ``histogram_quantile`` computes them.

    Parameters
    ----------
    data : DataFrame or str
        A table from :func:`parse_exposition` or :func:`read_range_query` (with an ``le`` column),
        or exposition text.
    metric : str or None
        The histogram family (``request_latency_seconds``; ``..._bucket`` is accepted too). None
        uses every row with an ``le`` (e.g. a range query of ``sum by (le) (rate(x_bucket[5m]))``).
    q : float or sequence of float
        Quantiles in [0, 1].
    by : str or sequence of str
        Labels to group by; buckets of series differing in other labels are summed first, like
        ``histogram_quantile(q, sum by (version, le) (...))``. A ``timestamp`` column with values
        is always grouped on.

    Returns
    -------
    DataFrame
        The ``by`` columns (and ``timestamp``), ``q``, ``value``, ``observations`` (the +Inf
        count), ``bucket_lower``/``bucket_upper`` (the bucket interpolated in),
        ``in_inf_bucket``, and ``buckets`` (the upper bounds, a tuple: the layout).

    Examples
    --------
    >>> text = "\\n".join(["# TYPE lat histogram",
    ...     'lat_bucket{le="0.1",version="v1"} 1', 'lat_bucket{le="0.5",version="v1"} 3',
    ...     'lat_bucket{le="+Inf",version="v1"} 4', 'lat_count{version="v1"} 4',
    ...     'lat_sum{version="v1"} 1.2'])
    >>> histogram_quantiles(text, "lat", q=0.5)[["version", "q", "value", "buckets"]]
      version    q  value          buckets
    0      v1  0.5    0.3  (0.1, 0.5, inf)
    """
    df = parse_exposition(data) if isinstance(data, (str, bytes)) else data
    qs = [float(q)] if isinstance(q, (int, float)) else [float(x) for x in q]
    for x in qs:
        if not 0.0 <= x <= 1.0:
            raise MonitoringDataError(f"Quantile {x!r} is not in [0, 1].")
    by = [by] if isinstance(by, str) else list(by)
    if "le" not in df.columns:
        raise MonitoringDataError(
            "The table has no 'le' column: it holds no histogram buckets.\n"
            "  Fix: pass parse_exposition(text), or a range query of '<name>_bucket' series."
        )
    rows = df[df["le"].notna()]
    if metric is not None:
        base = metric[:-7] if metric.endswith("_bucket") else metric
        if "family" in rows.columns:
            sel = rows["family"] == base
        elif "metric" in rows.columns:
            sel = rows["metric"].isin([base, f"{base}_bucket"])
        else:
            sel = pd.Series(True, index=rows.index)
        if not sel.any():
            names = rows["family"] if "family" in rows.columns else rows["metric"]
            valid = sorted(set(names.dropna().astype(str)))
            raise UnknownNameError(unknown_name("Histogram", metric, valid, where="a histogram of the data"))
        rows = rows[sel.to_numpy()]
    if rows.empty:
        raise MonitoringDataError("No histogram bucket (row with an 'le') in the data.")
    for col in by:
        if col not in rows.columns:
            fixed = set(EXPOSITION_COLUMNS) | {"metric"}
            present = [c for c in rows.columns if c not in fixed and rows[c].notna().any()]
            raise UnknownNameError(
                unknown_name(
                    "Label",
                    col,
                    present,
                    where=f"a label of {metric or 'the histogram'}",
                    fix="by= names labels to group by (() for one overall histogram).",
                )
            )
    keys = list(by)
    if "timestamp" in rows.columns and rows["timestamp"].notna().any():
        keys.append("timestamp")
    rows = rows.assign(le=rows["le"].astype("float64"))
    summed = rows.groupby([*keys, "le"], dropna=False, sort=True)["value"].sum().reset_index()
    out: list[dict[str, Any]] = []
    groups = summed.groupby(keys, dropna=False, sort=True) if keys else [((), summed)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        layout = tuple(float(x) for x in g["le"])
        for x in qs:
            value, lo, hi, inf = bucket_quantile(x, g["le"].to_numpy(), g["value"].to_numpy())
            out.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "q": x,
                    "value": value,
                    "observations": float(g["value"].max()),
                    "bucket_lower": lo,
                    "bucket_upper": hi,
                    "in_inf_bucket": inf,
                    "buckets": layout,
                }
            )
    cols = [*keys, "q", "value", "observations", "bucket_lower", "bucket_upper", "in_inf_bucket", "buckets"]
    return pd.DataFrame(out, columns=cols)


def _load_json(source: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    text = os.fspath(source)
    if isinstance(source, str) and text.lstrip().startswith("{"):
        label, body = "the query result", text
    else:
        path = Path(text)
        if not path.is_file():
            raise SourceNotFoundError(f"Prometheus query result {text!r} does not exist.")
        label, body = repr(text), path.read_text(encoding="utf-8")
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise MonitoringDataError(f"{label} is not valid JSON: {exc}.") from None
    if not isinstance(doc, Mapping):
        raise MonitoringDataError(f"{label} is not a Prometheus API response (a JSON object).")
    return doc


def read_range_query(source: Mapping[str, Any] | str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Prometheus HTTP API query result (``/api/v1/query_range`` or ``/api/v1/query``).

    Parameters
    ----------
    source : dict, path or JSON text
        ``{"status": "success", "data": {"resultType": "matrix", "result": [...]}}``.

    Returns
    -------
    DataFrame
        ``metric`` (the ``__name__`` label; missing after functions like ``rate``), one string
        column per label, ``le`` (float, when a label ``le`` is present, so the table feeds
        :func:`histogram_quantiles`), ``timestamp`` (UTC) and ``value`` (float; ``"NaN"`` and
        ``"+Inf"`` as Prometheus writes them). Result types matrix, vector and scalar.

    Raises
    ------
    MonitoringDataError
        ``status`` is not ``success`` (Prometheus' ``errorType`` and ``error`` are quoted), the
        result type is unsupported (string, native histograms), or the shape is wrong.

    Examples
    --------
    >>> doc = {"status": "success", "data": {"resultType": "matrix", "result": [
    ...     {"metric": {"__name__": "up", "job": "api"}, "values": [[1767225600, "1"]]}]}}
    >>> read_range_query(doc)
      metric  job                 timestamp  value
    0     up  api 2026-01-01 00:00:00+00:00    1.0
    """
    doc = _load_json(source)
    status = doc.get("status")
    if status != "success":
        raise MonitoringDataError(
            f"Prometheus returned status {status!r}: {doc.get('errorType', 'error')}: "
            f"{doc.get('error', '(no message)')}"
        )
    data = doc.get("data")
    if not isinstance(data, Mapping) or "resultType" not in data:
        raise MonitoringDataError("The Prometheus response has no data.resultType: it is not an API query result.")
    kind, result = data["resultType"], data.get("result", [])
    if kind == "scalar":
        result = [{"metric": {}, "value": result}]
    elif kind not in ("matrix", "vector"):
        raise MonitoringDataError(f"Prometheus result type {kind!r} is not supported (matrix, vector, scalar).")
    rows: list[dict[str, Any]] = []
    labels: list[dict[str, str]] = []
    for series in result:
        if "histograms" in series or "histogram" in series:
            raise MonitoringDataError(
                "Native histograms in the query result are not supported; query the classic "
                "'<name>_bucket' series instead."
            )
        lab = dict(series.get("metric", {}))
        name = lab.pop("__name__", None)
        points = series.get("values") if "values" in series else [series.get("value")]
        for point in points:
            if not isinstance(point, (list, tuple)) or len(point) != 2:
                raise MonitoringDataError(f"Malformed sample {point!r} in the Prometheus result.")
            rows.append({"metric": name, "timestamp": float(point[0]), "value": float(point[1])})
            labels.append(lab)
    df = _flatten(rows, labels, ("metric", "timestamp", "value"))
    if "le" in df.columns:
        df["le"] = [_le(v) for v in df["le"]]
        df["le"] = df["le"].astype("float64")
    df["timestamp"] = pd.to_datetime(df["timestamp"].astype("float64"), unit="s", utc=True)
    df["value"] = df["value"].astype("float64")
    order = ["metric", *[c for c in df.columns if c not in ("metric", "timestamp", "value")], "timestamp", "value"]
    return df[order]


#: Seconds to wait for the Prometheus server per request (``WORKBENCH_PROMETHEUS_TIMEOUT`` overrides it).
DEFAULT_TIMEOUT = 10.0
TIMEOUT_ENV = "WORKBENCH_PROMETHEUS_TIMEOUT"


def _timeout(timeout: float | None) -> float:
    raw = os.environ.get(TIMEOUT_ENV) if timeout is None else timeout
    if raw is None or raw == "":
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        from workbench.errors import SourceUnreachableError

        raise SourceUnreachableError(
            f"Prometheus timeout {raw!r} is not a positive number of seconds.\n"
            f"  Fix: pass e.g. timeout=30 (CLI --timeout, or {TIMEOUT_ENV}=30)."
        )
    return value


def query_range(
    url: str, query: str, start: Any, end: Any, step: float, *, timeout: float | None = None
) -> pd.DataFrame:
    """Run one range query on a Prometheus server (``GET <url>/api/v1/query_range``).

    Parameters
    ----------
    url : str
        The server's base URL, e.g. ``http://127.0.0.1:9090``.
    query : str
        PromQL.
    start, end : timestamp or float
        Evaluation range (UTC; floats are Unix seconds); Prometheus evaluates at ``start``,
        ``start + step``, ... up to ``end``.
    step : float
        Seconds between evaluations.
    timeout : float, optional
        Seconds to wait for the answer (default ``WORKBENCH_PROMETHEUS_TIMEOUT`` or 10).

    Returns
    -------
    DataFrame
        As :func:`read_range_query`.

    Raises
    ------
    SourceUnreachableError
        The server cannot be reached, does not answer in time, or answers 5xx (the URL is named).
    MonitoringDataError
        The server rejected the query (its ``error`` is quoted).
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    from workbench.errors import SourceUnreachableError

    def secs(t: Any) -> float:
        if isinstance(t, (int, float)):
            return float(t)
        ts = pd.Timestamp(t)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
        return ts.value / 1e9

    base = str(url).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise SourceUnreachableError(
            f"Prometheus URL {url!r} is not an http(s) URL.\n"
            "  Fix: pass the server's base URL, e.g. http://127.0.0.1:9090."
        )
    wait = _timeout(timeout)
    params = urllib.parse.urlencode(
        {
            "query": query,
            "start": f"{secs(start):.3f}",
            "end": f"{secs(end):.3f}",
            "step": f"{float(step):g}",
            "timeout": f"{wait:g}s",
        }
    )
    fix = (
        f"  Fix: check the URL (the server's base URL, e.g. http://127.0.0.1:9090), that the server runs "
        f"(curl {base}/-/ready), or allow more time (timeout=..., CLI --timeout, {TIMEOUT_ENV})."
    )
    try:
        with urllib.request.urlopen(f"{base}/api/v1/query_range?{params}", timeout=wait) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code >= 500 or not body.lstrip().startswith(b"{"):
            raise SourceUnreachableError(
                f"The Prometheus server at {base} answered HTTP {exc.code} ({exc.reason}) to a range query.\n{fix}"
            ) from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceUnreachableError(
            f"Cannot reach the Prometheus server at {base}: {reason} (timeout {wait:g} s).\n{fix}"
        ) from None
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SourceUnreachableError(
            f"{base} did not answer a Prometheus API response (no JSON) to /api/v1/query_range.\n{fix}"
        ) from None
    if isinstance(doc, Mapping) and doc.get("status") == "error":
        raise MonitoringDataError(
            f"The Prometheus server at {base} rejected the query {query!r}: "
            f"{doc.get('errorType', '')}: {doc.get('error', '')}.\n"
            "  Fix: check the metric names (source:/query:) and the label selector."
        )
    return read_range_query(doc)
