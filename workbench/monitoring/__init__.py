"""Production monitoring: request logs aggregated per (version, window) into the objective space.

See :func:`aggregate`. Heavy back ends (DuckDB, Dask) are imported only when an engine runs.
"""

from workbench.monitoring.aggregate import BASE_COLUMNS, ENGINES, aggregate, parse_window
from workbench.monitoring.schema import OPTIONAL, REQUIRED, SCHEMA, MonitoringError

__all__ = ["aggregate", "parse_window", "ENGINES", "BASE_COLUMNS", "SCHEMA", "REQUIRED", "OPTIONAL",
           "MonitoringError"]
