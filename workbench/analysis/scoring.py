"""Normalisation, scores, ranks and pseudo-weights.

Normalisation (min-max, per objective, in the minimised space): ``N = (F - ideal) / (nadir - ideal)``.
The bounds are the objective's declared ``bounds`` when given (fixed, SLO-anchored: they do not
move when candidates are added, so ranks do not reverse) and otherwise taken from the data: the
ideal is the best value among the feasible candidates (all candidates when none is feasible) and
the nadir is the worst value *on their Pareto front*. :func:`bounds` shows which is used.

Scores are utilities — **higher is better** — and one weight semantics holds for every method:
a larger weight means the objective matters more. The methods themselves (weighted sum,
Tchebycheff, ASF, TOPSIS, pseudo-weights) are one class each in :mod:`workbench.analysis.methods`;
:func:`scores_for_weights` is the one call every analysis step scores through.

``r`` is the model's ``reference_point`` normalised (the ideal, 0, when none is declared).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis import _kernels as K
from workbench.analysis._pareto import nondominated_mask
from workbench.analysis.methods import PseudoWeights, ScoringInputs, check_method, scorer
from workbench.analysis.problem import Problem, problem

__all__ = [
    "bounds",
    "score",
    "rank",
    "pseudo_weights",
    "normalized",
    "normalize",
    "normalization_bounds",
    "reference_point",
    "scores_for_weights",
    "scoring_inputs",
    "order",
    "check_method",
]

#: ``normalize(F, ideal, nadir)``: min-max normalisation (a zero range maps to 0), F (n, k) -> (n, k).
normalize = K.normalize


def _data_bounds(prob: Problem, feasible: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Ideal (minimum) and nadir (maximum over the non-dominated rows) of the feasible rows.

    The front search costs ~1.5 s for 1e6 rows, and an analysis asks for the same bounds several
    times (scores, the bounds table, weight stability, every weight move of the explorer), so the
    result is kept on the (immutable) problem, keyed by the feasible set. Copies are returned.
    """
    use = None if feasible is None or not feasible.any() else np.asarray(feasible, dtype=bool)
    key = (
        b"all"
        if use is None
        else hashlib.blake2b(np.packbits(use).tobytes() + len(use).to_bytes(8, "little"), digest_size=16).digest()
    )
    cache = prob.__dict__.setdefault("_data_bounds_cache", {})
    if key not in cache:
        ref = prob.F if use is None else prob.F[use]
        front = ref[nondominated_mask(ref)]
        if len(cache) >= 8:  # a few feasible sets per problem (constraint what-ifs build new problems)
            cache.clear()
        cache[key] = (ref.min(axis=0), front.max(axis=0))
    ideal, nadir = cache[key]
    return ideal.copy(), nadir.copy()


def bounds(candidates: Any, model: Any = None, *, feasible: np.ndarray | None = None) -> pd.DataFrame:
    """Normalisation bounds per objective, in the objective's own units, and where they come from.

    Returns a DataFrame indexed by objective with ``ideal``, ``nadir``, ``source``
    (``"declared"`` or ``"data"``), ``direction`` and ``unit``.
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    ideal, nadir, declared = normalization_bounds(prob, feasible)
    return pd.DataFrame(
        {
            "ideal": ideal * prob.sign,
            "nadir": nadir * prob.sign,
            "source": np.where(declared, "declared", "data"),
            "direction": [o.direction for o in prob.model.objectives],
            "unit": [o.unit for o in prob.model.objectives],
        },
        index=pd.Index(prob.names, name="objective"),
    )


def normalization_bounds(
    prob: Problem, feasible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ideal, nadir, declared)`` in the minimised space, (k,) each: the declared bounds where an
    objective has them (``declared`` True), else the data's (see :func:`bounds`)."""
    ideal, nadir = _data_bounds(prob, feasible)
    declared = np.zeros(prob.k, dtype=bool)
    for j, o in enumerate(prob.model.objectives):
        if o.bounds is not None:
            ideal[j], nadir[j] = o.bounds[0] * o.sign, o.bounds[1] * o.sign
            declared[j] = True
    return ideal, nadir, declared


def normalized(prob: Problem, feasible: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N, ideal, nadir)`` in the minimised space (see the module docstring)."""
    ideal, nadir, _ = normalization_bounds(prob, feasible)
    return K.normalize(prob.F, ideal, nadir), ideal, nadir


def reference_point(prob: Problem, ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """The model's reference point, minimised and normalised (k,); the ideal (0) where none is set."""
    ref_point = prob.model.reference_point
    if not ref_point:
        return np.zeros(prob.k)
    raw = np.array([ref_point.get(n, np.nan) for n in prob.names]) * prob.sign
    r = K.normalize(np.where(np.isnan(raw), ideal, raw)[None, :], ideal, nadir)[0]
    return r


def scores_for_weights(
    prob: Problem, N: np.ndarray, W: np.ndarray, method: str, reference: np.ndarray | None = None
) -> np.ndarray:
    """Utilities for one weight vector (k,) -> (n,) or a batch (s, k) -> (s, n), by the method's
    scorer in :data:`workbench.analysis.methods.SCORERS`."""
    return scorer(method)(scoring_inputs(prob, N, reference), W)


def scoring_inputs(prob: Problem, N: np.ndarray, reference: np.ndarray | None = None) -> ScoringInputs:
    """What a scorer reads: ``N`` (n, k), the normalised ``reference`` (0 by default), raw values."""
    return ScoringInputs(
        N=N, reference=np.zeros(prob.k) if reference is None else reference, X=prob.X, benefit=prob.sign < 0
    )


def _by_violation_then_score(violation: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """``np.lexsort((neg, violation))``: one sort where no two violations are equal (the usual
    case: continuous values), as every sort then gives that order."""
    by = K.distinct_argsort(violation)
    return np.lexsort((neg, violation)) if by is None else by


def order(score: np.ndarray, feasible: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Ranks 1..n: feasible candidates first by descending score, then infeasible ones by
    ascending violation (then score). Equal keys share the smaller rank ("min" method).

    (n,), (n,) bool, (n,) -> (n,) int.
    """
    n = len(score)
    neg = -np.round(score, 12)  # scores equal to 12 decimals are ties
    feas_idx = np.flatnonzero(feasible)
    inf_idx = np.flatnonzero(~feasible)
    # equal keys share a rank below, so the sort need not be stable (introsort is ~4x faster)
    feas_sorted = feas_idx[np.argsort(neg[feas_idx])]
    inf_sorted = inf_idx[_by_violation_then_score(violation[inf_idx], neg[inf_idx])]
    idx = np.concatenate([feas_sorted, inf_sorted])
    # a new rank starts wherever the sort key changes: gather once, compare neighbours
    keys = [neg[idx]]
    if len(inf_idx):
        keys += [np.where(feasible, 0.0, violation)[idx], feasible[idx]]
    new = np.ones(n, dtype=bool)
    if n > 1:
        new[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    ranks = np.empty(n, dtype=np.int64)
    ranks[idx] = np.maximum.accumulate(np.where(new, np.arange(1, n + 1), 0))
    return ranks


def score(
    candidates: Any, model: Any, *, method: str | None = None, weights: Any = None, champion: str | None = None
) -> pd.Series:
    """Score every candidate by one method (higher is better); constraints are not applied here.

    Parameters
    ----------
    method : str, optional
        One of ``weighted_sum``, ``tchebycheff``, ``asf``, ``topsis``; default: the model's.
    weights : str or mapping, optional
        A stakeholder name or ``{objective: weight}``; default: the model's weights.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "bounds": [1.0, 0.0]},
    ...     {"name": "ms", "direction": "min", "bounds": [0, 100]}]})
    >>> df = pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.5], "ms": [50, 10]})
    >>> score(df, qm).round(3).to_dict()
    {'a': 0.7, 'b': 0.7}
    >>> score(df, qm, weights={"acc": 3, "ms": 1}).round(3).to_dict()
    {'a': 0.8, 'b': 0.6}
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)
    method = check_method(method or prob.model.method)
    N, ideal, nadir = normalized(prob)
    s = scores_for_weights(prob, N, prob.weights(weights), method, reference_point(prob, ideal, nadir))
    return pd.Series(s, index=prob.ids, name="score")


def rank(
    candidates: Any, model: Any, *, method: str | None = None, weights: Any = None, champion: str | None = None
) -> pd.DataFrame:
    """Score and rank with constraints applied: feasible candidates first (see :func:`order`).

    Returns a DataFrame with ``score``, ``feasible``, ``violation`` and ``rank``, sorted by rank.
    """
    from workbench.analysis.feasibility import feasibility

    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)
    feas = feasibility(prob, None)
    method = check_method(method or prob.model.method)
    N, ideal, nadir = normalized(prob, feas["feasible"].to_numpy())
    s = scores_for_weights(prob, N, prob.weights(weights), method, reference_point(prob, ideal, nadir))
    out = pd.DataFrame({"score": s, "feasible": feas["feasible"], "violation": feas["violation"]}, index=prob.ids)
    out["rank"] = order(s, out["feasible"].to_numpy(), out["violation"].to_numpy())
    return out.sort_values(["rank"], kind="stable")


def pseudo_weights(candidates: Any, model: Any = None, *, front: np.ndarray | None = None) -> pd.DataFrame:
    """Deb's pseudo-weights of the front members, normalised by the front's own ideal and nadir.

    Returns one row per front member and one column per objective; rows sum to 1.
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    mask = nondominated_mask(prob.F) if front is None else front
    return pd.DataFrame(PseudoWeights()(prob.F[mask]), index=prob.ids[mask], columns=prob.names)
