"""Production monitoring: request logs aggregated per (version, window) into the objective space,
SLO compliance with error-budget burn, and the drift triggers that reopen a decision.

logs --aggregate()--> per (version, window) objectives, each with n and an interval
     --slo_compliance()/detect()--> triggers (a breach needs the interval beyond the limit)
Evidently reports --drift_triggers()--> data_drift / data_quality triggers (watch(drift=), with_drift)
watch() runs the whole check and returns a WatchReport (what ``workbench watch`` prints).
aggregate_prometheus() builds the same per-(version, window) frame from a Prometheus server's range
queries (``workbench watch --prometheus URL``); RequestExporter (monitoring.exporter) serves the
metrics it reads.

Heavy back ends (DuckDB, Dask) are imported only when an engine runs.
"""

from workbench.monitoring.aggregate import BASE_COLUMNS, ENGINES, aggregate, parse_window
from workbench.monitoring.drift import drift_triggers, with_drift
from workbench.monitoring.prometheus import aggregate_prometheus
from workbench.monitoring.schema import OPTIONAL, REQUIRED, SCHEMA, MonitoringError
from workbench.monitoring.slo import slo_compliance, slo_summary
from workbench.monitoring.triggers import Thresholds, Trigger, detect, review_due
from workbench.monitoring.watch import WatchReport, watch

__all__ = [
    "BASE_COLUMNS",
    "ENGINES",
    "OPTIONAL",
    "REQUIRED",
    "SCHEMA",
    "MonitoringError",
    "Thresholds",
    "Trigger",
    "WatchReport",
    "aggregate",
    "aggregate_prometheus",
    "detect",
    "drift_triggers",
    "parse_window",
    "review_due",
    "slo_compliance",
    "slo_summary",
    "watch",
    "with_drift",
]
