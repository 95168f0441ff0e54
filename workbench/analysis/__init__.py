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

__all__ = [
    "Analysis", "analyze", "bounds", "conflict_matrix", "conflicts", "feasibility",
    "hv_contributions", "hypervolume", "knees", "nondominated_mask", "nondominated_ranks",
    "pareto_front", "pareto_ranks",
    "pseudo_weights", "rank", "Reranker", "score", "tradeoff_rates",
]


def __getattr__(name):  # robustness helpers load their optional parts lazily
    if name in ("smaa", "weight_stability"):
        from workbench.analysis import sensitivity

        return getattr(sensitivity, name)
    if name in ("dominance_probability", "rank_probability"):
        from workbench.analysis import uncertainty

        return getattr(uncertainty, name)
    raise AttributeError(f"module 'workbench.analysis' has no attribute {name!r}")
