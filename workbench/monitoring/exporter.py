"""A serving exporter: the request metrics a quality model monitors, as Prometheus metrics.

A serving process calls :meth:`RequestExporter.observe` once per request (with the same values
it would write to the request log) and serves ``/metrics`` with :meth:`RequestExporter.serve`.
The metrics are named so that ``workbench export prometheus`` (alert rules) and
``workbench watch --prometheus`` (:mod:`workbench.monitoring.prometheus`) read them without a
metric map. For each objective with ``source: X`` and ``aggregation:``:

* quantiles (``p50``..``p99``, ``median``), ``mean``, ``mean_per_1k``, ``sum_per_1k``, ``count``:
  a histogram ``X`` (``X_bucket{le}``, ``X_sum``, ``X_count``) labelled ``version``. For
  ``sum_per_1k`` a request without an amount is observed as 0 (it counts in the denominator).
* ``rate``: a counter ``X_total`` labelled ``version`` and ``outcome`` -- ``"error"`` when the
  value is true (>= 0.5), ``"ok"`` otherwise; a missing value is not counted.
* ``sum``: a counter ``X_total`` labelled ``version``, increased by the value.

Bucket layout: ``buckets={source: [...]}``, else a 1-2-5 series from 0.1 to 10,000 plus every
absolute constraint limit on an objective of that source -- a quantile read from buckets is only
known within its bucket, and an edge at the limit lets a breach be decided exactly.
``prometheus_client`` is needed (``pip install "mltradeops-workbench[monitoring]"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.errors import require
from workbench.monitoring.plan import QUANTILES
from workbench.monitoring.schema import MonitoringError

__all__ = ["DEFAULT_BUCKETS", "RequestExporter"]

#: Default bucket upper bounds (the model's limits are added).
DEFAULT_BUCKETS = tuple(m * 10.0**e for e in range(-1, 4) for m in (1, 2, 5)) + (10_000.0,)

_HISTOGRAM = (*QUANTILES, "mean", "mean_per_1k", "sum_per_1k", "count")


class RequestExporter:
    """Prometheus metrics for the objectives of a quality model (see the module docstring).

    Parameters
    ----------
    model : QualityModel
    buckets : mapping of source -> sequence of float, optional
    registry : prometheus_client.CollectorRegistry, optional
        Default: a new registry of its own (not the process-global one).

    Examples
    --------
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_p95_ms", "direction": "min", "source": "latency_ms", "aggregation": "p95",
    ...      "constraint": "<= 4"},
    ...     {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate"}]})
    >>> ex = RequestExporter(qm)
    >>> ex.observe("v1", latency_ms=3.2, error=False)
    >>> [line for line in ex.text().splitlines() if 'le="4.0"' in line or "error_total{" in line]
    ['latency_ms_bucket{le="4.0",version="v1"} 1.0', 'error_total{outcome="ok",version="v1"} 1.0']
    """

    def __init__(
        self, model: Any, *, buckets: Mapping[str, Sequence[float]] | None = None, registry: Any = None
    ) -> None:
        client = require("prometheus_client", "monitoring", "Exporting request metrics")
        self._client = client
        self.registry = registry if registry is not None else client.CollectorRegistry(auto_describe=True)
        self.kinds: dict[str, str] = {}
        self._zero_missing: set[str] = set()
        limits: dict[str, set[float]] = {}
        for o in model.objectives:
            src, agg = getattr(o, "source", None), getattr(o, "aggregation", None)
            if not src or not agg:
                continue
            kind = "histogram" if agg in _HISTOGRAM else "rate" if agg == "rate" else "sum" if agg == "sum" else None
            if kind is None:
                raise MonitoringError(
                    f"Objective {o.name!r}: aggregation {agg!r} has no Prometheus metric form.\n"
                    f"  Valid: {', '.join((*_HISTOGRAM, 'rate', 'sum'))}."
                )
            if self.kinds.get(src, kind) != kind:
                raise MonitoringError(
                    f"Source {src!r} is read as a {self.kinds[src]} and as a {kind} by different "
                    "objectives; one metric cannot be both.\n  Fix: give them different sources."
                )
            self.kinds[src] = kind
            if agg == "sum_per_1k":
                self._zero_missing.add(src)
        for c in model.constraints:
            o = model[c.objective]
            if not c.is_relative and getattr(o, "source", None) and self.kinds.get(o.source) == "histogram":
                limits.setdefault(o.source, set()).add(float(c.resolve()))
        self.buckets: dict[str, tuple[float, ...]] = {}
        self._metrics: dict[str, Any] = {}
        for src, kind in self.kinds.items():
            if kind == "histogram":
                given = (buckets or {}).get(src)
                layout = sorted(
                    {float(b) for b in (given if given is not None else DEFAULT_BUCKETS)}
                    | limits.get(src, set()) - {math.inf}
                )
                self.buckets[src] = tuple(layout)
                self._metrics[src] = client.Histogram(
                    src, f"{src} per request", ["version"], buckets=layout, registry=self.registry
                )
            elif kind == "rate":
                self._metrics[src] = client.Counter(
                    src, f"requests by {src} outcome", ["version", "outcome"], registry=self.registry
                )
            else:
                self._metrics[src] = client.Counter(src, f"sum of {src}", ["version"], registry=self.registry)

    def observe(self, version: str, **values: Any) -> None:
        """Record one request of ``version``; ``values`` by log column (``latency_ms=3.1, error=False``).

        Columns the exporter does not export are ignored; a missing one counts as missing.
        """
        for src, kind in self.kinds.items():
            v = values.get(src)
            missing = v is None or (isinstance(v, float) and math.isnan(v))
            metric = self._metrics[src]
            if kind == "histogram":
                if missing and src not in self._zero_missing:
                    continue
                metric.labels(version=str(version)).observe(0.0 if missing else float(v))
            elif kind == "rate":
                if not missing:
                    metric.labels(version=str(version), outcome="error" if float(v) >= 0.5 else "ok").inc()
            elif not missing:
                metric.labels(version=str(version)).inc(float(v))

    def observe_frame(self, frame: Any) -> int:
        """Record every row of a request-log frame (canonical columns, ``version`` required); returns rows."""
        cols = [c for c in self.kinds if c in frame.columns]
        for row in frame[["version", *cols]].itertuples(index=False):
            self.observe(row[0], **dict(zip(cols, row[1:], strict=True)))
        return len(frame)

    def text(self) -> str:
        """The exposition ``/metrics`` serves (classic text format)."""
        return self._client.generate_latest(self.registry).decode("utf-8")

    def serve(self, port: int = 0, addr: str = "127.0.0.1") -> tuple[Any, Any]:
        """Serve ``/metrics`` on ``addr:port`` in a daemon thread; returns ``(server, thread)``
        (``server.server_port`` is the port; ``server.shutdown()`` stops it)."""
        return self._client.start_http_server(port, addr=addr, registry=self.registry)
