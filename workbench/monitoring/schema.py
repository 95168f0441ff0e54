"""The canonical request-log schema the monitoring engines read.

One row per served request. ``workbench.sources.logs`` (the reader that normalises raw logs) owns
this contract; when it is importable its constants are re-exported here, otherwise the same
contract is defined locally so that the aggregation engines work on their own.

Columns
-------
timestamp : datetime (UTC)
version : str
latency_ms : float >= 0
error : bool
cost_usd, energy_wh : float, optional
prediction : float or bool, optional (a score or a class; positive when >= 0.5)
label : float or bool, nullable, optional (positive when >= 0.5; null while not yet known)
group : str, optional (the attribute fairness differences are computed across)
"""

from __future__ import annotations

from workbench.errors import MonitoringError
from workbench.sources.logs import REQUIRED, SCHEMA

__all__ = ["OPTIONAL", "REQUIRED", "SCHEMA", "MonitoringError"]

#: Columns a log may have; each enables more output columns of :func:`workbench.monitoring.aggregate`.
OPTIONAL = tuple(c for c in SCHEMA if c not in REQUIRED)
