"""Configuration search with pymoo, driven by the quality model (see :mod:`workbench.search.run`).

>>> from workbench.search import Space, Float, Int, Categorical, Bool, search
"""

from workbench.search.run import STOP_REASONS, SearchConfig, SearchResult, search
from workbench.search.space import Bool, Categorical, Float, Int, Parameter, Space
from workbench.search.store import Evaluation, LocalStore, MlflowStore

__all__ = [
    "search",
    "SearchConfig",
    "SearchResult",
    "STOP_REASONS",
    "Space",
    "Parameter",
    "Float",
    "Int",
    "Categorical",
    "Bool",
    "Evaluation",
    "LocalStore",
    "MlflowStore",
]
