"""Trade-off analysis: pure numpy/pandas, labelled results, one entry point.

``analyze(candidates, model)`` runs every step; each step is also callable on its own:
feasibility -> pareto fronts -> normalisation and scores -> ranks -> knees, hypervolume,
pseudo-weights, trade-off rates, conflicts -> robustness (SMAA-2, weight stability, replicates).
"""

from workbench.analysis._pareto import nondominated_mask, nondominated_ranks
from workbench.analysis.analyze import Analysis, analyze
from workbench.analysis.conflicts import conflict_matrix, conflicts
from workbench.analysis.feasibility import feasibility
from workbench.analysis.indicators import hv_contributions, hypervolume
from workbench.analysis.knees import knees
from workbench.analysis.pareto import pareto_front, pareto_ranks
from workbench.analysis.rates import tradeoff_rates
from workbench.analysis.reweight import Reranker
from workbench.analysis.scoring import bounds, pseudo_weights, rank, score

# Bound after the submodule of the same name is loaded, so ``workbench.analysis.smaa`` is the function.
from workbench.analysis.smaa import smaa  # noqa: E402  isort: skip

__all__ = [
    "Analysis",
    "analyze",
    "bounds",
    "conflict_matrix",
    "conflicts",
    "feasibility",
    "hv_contributions",
    "hypervolume",
    "knees",
    "nondominated_mask",
    "nondominated_ranks",
    "pareto_front",
    "pareto_ranks",
    "pseudo_weights",
    "rank",
    "Reranker",
    "score",
    "smaa",
    "tradeoff_rates",
]


def __getattr__(name):  # robustness helpers load their optional parts lazily
    if name == "weight_stability":
        from workbench.analysis.weights import weight_stability

        return weight_stability
    if name in ("dominance_probability", "rank_probability"):
        from workbench.analysis import uncertainty

        return getattr(uncertainty, name)
    raise AttributeError(f"module 'workbench.analysis' has no attribute {name!r}")
