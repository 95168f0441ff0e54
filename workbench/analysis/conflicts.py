"""Which objectives conflict on the evidence, side by side with what the literature expects.

The observed relation is the rank correlation (Spearman's ρ, or Kendall's τ) of the objectives'
*goodness* (values oriented so that higher is better) over the Pareto front — over all candidates
when the front has fewer than 3 members. Negative means improving one costs the other: a
conflict (ρ < -0.3), a synergy (ρ > 0.3), else weak. The prior comes from the quality attributes
the objectives are mapped to (JSS 2025 tactic matrix, ``workbench.quality.prior_relation``).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis._pareto import nondominated_mask
from workbench.analysis.problem import Problem, problem
from workbench.errors import UnknownNameError, unknown_name
from workbench.quality.attributes import prior_relation

__all__ = ["conflicts", "conflict_matrix", "CONFLICT", "SYNERGY"]

CONFLICT, SYNERGY = -0.3, 0.3
_METHODS = ("spearman", "kendall")


def conflict_matrix(
    candidates: Any, model: Any = None, *, front: np.ndarray | None = None, method: str = "spearman"
) -> pd.DataFrame:
    """Objective × objective rank correlation of goodness over the front (see module docstring)."""
    if method not in _METHODS:
        raise UnknownNameError(unknown_name("Correlation method", method, _METHODS, where="supported"))
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    mask = nondominated_mask(prob.F) if front is None else np.asarray(front, dtype=bool)
    if mask.sum() < 3:
        mask = np.ones(prob.n, dtype=bool)
    goodness = pd.DataFrame(-prob.F[mask], columns=prob.names)
    if len(goodness) < 2:
        return pd.DataFrame(np.nan, index=prob.names, columns=prob.names)
    return goodness.corr(method=method)


def conflicts(
    candidates: Any, model: Any = None, *, front: np.ndarray | None = None, method: str = "spearman"
) -> pd.DataFrame:
    """One row per pair of objectives: observed correlation and relation, and the literature prior.

    Columns: ``a``, ``b``, ``rho``, ``observed`` (conflict / synergy / weak / undetermined),
    ``attribute_a``, ``attribute_b``, ``prior`` (conflict / synergy / unknown / same), and
    ``agrees`` (True/False where both are known, else None).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "quality_attribute": "system_accuracy"},
    ...     {"name": "ms", "direction": "min", "quality_attribute": "resource_efficiency"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.7, 0.8, 0.9, 0.95], "ms": [5, 9, 20, 40]})
    >>> conflicts(df, qm)[["a", "b", "rho", "observed", "prior", "agrees"]]
         a   b  rho  observed     prior  agrees
    0  acc  ms -1.0  conflict  conflict    True
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    corr = conflict_matrix(prob, front=front, method=method)
    rows = []
    for a, b in combinations(prob.names, 2):
        rho = corr.loc[a, b]
        if not np.isfinite(rho):
            observed = "undetermined"
        elif rho < CONFLICT:
            observed = "conflict"
        elif rho > SYNERGY:
            observed = "synergy"
        else:
            observed = "weak"
        attr_a, attr_b = prob.model[a].quality_attribute, prob.model[b].quality_attribute
        prior = prior_relation(attr_a, attr_b) if attr_a and attr_b else "unknown"
        agrees = None
        if prior in ("conflict", "synergy") and observed in ("conflict", "synergy"):
            agrees = prior == observed
        rows.append(
            {
                "a": a,
                "b": b,
                "rho": float(rho),
                "observed": observed,
                "attribute_a": attr_a,
                "attribute_b": attr_b,
                "prior": prior,
                "agrees": agrees,
            }
        )
    return pd.DataFrame(rows, columns=["a", "b", "rho", "observed", "attribute_a", "attribute_b", "prior", "agrees"])
