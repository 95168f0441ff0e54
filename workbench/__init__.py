"""MLTradeOps Workbench: make ML quality trade-offs explicit, measured, reproducible and recorded.

The data flow::

    QualityModel (quality/)      load() (sources/)
              \\                    /
               +--> analyze() (analysis/) --> Analysis --> CLI / views / reviews / decisions

The public names are imported on first use, so ``import workbench.monitoring`` or
``import workbench.quality`` does not pay for the analysis kernels (numba) it does not need.

>>> import workbench as wb
>>> sorted(wb.__all__)[:4]
['ATTRIBUTES', 'Analysis', 'Candidates', 'Constraint']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from workbench._version import __version__
from workbench.errors import WorkbenchError

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from workbench.analysis import Analysis, analyze
    from workbench.quality import ATTRIBUTES, Constraint, Objective, QualityModel
    from workbench.sources import Candidates, load

_LAZY = {
    "ATTRIBUTES": "workbench.quality",
    "Constraint": "workbench.quality",
    "Objective": "workbench.quality",
    "QualityModel": "workbench.quality",
    "Candidates": "workbench.sources",
    "load": "workbench.sources",
    "Analysis": "workbench.analysis",
    "analyze": "workbench.analysis",
}
_SUBPACKAGES = ("views",)  # needs altair (the ``viz`` extra): imported on first use

__all__ = [
    "ATTRIBUTES",
    "Analysis",
    "Candidates",
    "Constraint",
    "Objective",
    "QualityModel",
    "WorkbenchError",
    "__version__",
    "analyze",
    "load",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"workbench.{name}")
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBPACKAGES))
