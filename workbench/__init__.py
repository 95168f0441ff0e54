"""MLTradeOps Workbench: make ML quality trade-offs explicit, measured, reproducible and recorded.

The data flow::

    QualityModel (quality/)      load() (sources/)
              \\                    /
               +--> analyze() (analysis/) --> Analysis --> CLI / views / reviews / decisions

>>> import workbench as wb
>>> sorted(wb.__all__)[:4]
['ATTRIBUTES', 'Analysis', 'Candidates', 'Constraint']
"""

from workbench._version import __version__
from workbench.analysis import Analysis, analyze
from workbench.errors import WorkbenchError
from workbench.quality import ATTRIBUTES, Constraint, Objective, QualityModel
from workbench.sources import Candidates, load

__all__ = [
    "ATTRIBUTES", "Analysis", "Candidates", "Constraint", "Objective", "QualityModel",
    "WorkbenchError", "__version__", "analyze", "load",
]


def __getattr__(name: str):
    # Views need altair (the ``viz`` extra); import them on first use, not with the engine.
    if name == "views":
        import importlib

        return importlib.import_module("workbench.views")
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
