"""Production monitoring: request logs aggregated per (version, window) into the objective space,
SLO compliance with error-budget burn, and the drift triggers that reopen a decision.

logs --aggregate()--> per (version, window) objectives --slo_compliance()/detect()--> triggers

Heavy back ends (DuckDB, Dask) are imported only when an engine runs.
"""

from workbench.monitoring.aggregate import BASE_COLUMNS, ENGINES, aggregate, parse_window
from workbench.monitoring.schema import OPTIONAL, REQUIRED, SCHEMA, MonitoringError
from workbench.monitoring.slo import slo_compliance, slo_summary
from workbench.monitoring.triggers import Thresholds, Trigger, detect, review_due

__all__ = [
    "BASE_COLUMNS",
    "ENGINES",
    "OPTIONAL",
    "REQUIRED",
    "SCHEMA",
    "MonitoringError",
    "Thresholds",
    "Trigger",
    "aggregate",
    "detect",
    "parse_window",
    "review_due",
    "slo_compliance",
    "slo_summary",
]
