"""Pareto dominance: the front, the non-dominated ranks, and constraint-domination fronts.

A candidate a dominates b when it is at least as good in every objective and better in one
(Pareto). With tolerances, differences of at most the objective's tolerance are ties:
a dominates b iff ``a_i <= b_i + tol_i`` for all i and ``a_i < b_i - tol_i`` for some i.
Constraint domination (Deb 2000): a feasible candidate beats an infeasible one; between infeasible
ones the smaller total violation wins.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis._pareto import nondominated_mask, nondominated_ranks
from workbench.analysis.problem import Problem, problem

__all__ = ["pareto_front", "pareto_ranks", "constrained_fronts", "front_mask", "unconstrained_front", "forget_fronts"]


def front_mask(F: np.ndarray, tolerance: np.ndarray | None) -> np.ndarray:
    """Non-dominated mask; never empty for a non-empty set.

    Tolerance-aware dominance is not transitive: with three or more objectives it can form
    cycles in which every candidate is dominated by another. The front is then the first front
    of :func:`nondominated_ranks`, which breaks such cycles by plain (tolerance-free) dominance.
    (n, k) -> (n,) bool.
    """
    mask = nondominated_mask(F, tolerance)
    if tolerance is not None and len(F) and not mask.any():
        mask = nondominated_ranks(F, tolerance) == 0
    return mask


#: Unconstrained fronts of recent analyses, by the content of their values and tolerances.
_FRONTS: OrderedDict[bytes, np.ndarray] = OrderedDict()
_FRONTS_KEPT = 4
_FRONTS_LOCK = threading.Lock()


def unconstrained_front(prob: Problem, tolerance: np.ndarray | None) -> np.ndarray:
    """:func:`front_mask` of ``prob.F``, remembered for the next problem with the same values.

    The front that ignores the constraints depends on the candidates' values and the
    tolerances only, and a what-if that moves a constraint limit analyses the same values
    again (the explorer's constraint sliders): at 1e5 candidates in five objectives the front
    costs ~80 ms and the key ~5 ms. The last few fronts are kept, keyed by a digest of the
    values, their shape and the tolerances. A copy is returned.
    """
    F = prob.F if prob.F.flags.c_contiguous else np.ascontiguousarray(prob.F)
    digest = hashlib.blake2b(F.view(np.uint8).reshape(-1) if F.size else b"", digest_size=16)
    digest.update(repr(F.shape).encode())
    digest.update(b"-" if tolerance is None else np.ascontiguousarray(tolerance, dtype=np.float64).tobytes())
    key = digest.digest()
    with _FRONTS_LOCK:
        mask = _FRONTS.get(key)
        if mask is not None:
            _FRONTS.move_to_end(key)
            return mask.copy()
    mask = front_mask(F, tolerance)
    with _FRONTS_LOCK:
        _FRONTS[key] = mask.copy()
        while len(_FRONTS) > _FRONTS_KEPT:
            _FRONTS.popitem(last=False)
    return mask


def forget_fronts() -> None:
    """Drop the fronts :func:`unconstrained_front` keeps (benchmarks time analyses from scratch)."""
    with _FRONTS_LOCK:
        _FRONTS.clear()


def _tol(prob: Problem, tolerance: bool) -> np.ndarray | None:
    return prob.tolerance if tolerance and prob.tolerance.any() else None


def pareto_front(candidates: Any, model: Any, *, tolerance: bool = True) -> pd.Series:
    """Which candidates are non-dominated (constraints ignored; see :func:`constrained_fronts`).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}]})
    >>> df = pd.DataFrame({"id": list("abc"), "acc": [0.9, 0.8, 0.85], "ms": [20, 10, 25]})
    >>> pareto_front(df, qm).to_dict()
    {'a': True, 'b': True, 'c': False}
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    return pd.Series(front_mask(prob.F, _tol(prob, tolerance)), index=prob.ids, name="pareto")


def pareto_ranks(candidates: Any, model: Any, *, tolerance: bool = True, depth: int | None = None) -> pd.Series:
    """Non-dominated sorting: 0 for the front, 1 for the front once it is removed, and so on.

    With ``depth``, only fronts ``0..depth`` are ranked and every candidate behind them gets
    ``depth + 1`` ("beyond"); that is much faster on large sets with many fronts.
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    ranks = nondominated_ranks(prob.F, _tol(prob, tolerance), depth=depth)
    return pd.Series(ranks, index=prob.ids, name="pareto_rank")


def constrained_fronts(
    prob: Problem, feasible: np.ndarray, violation: np.ndarray, *, tolerance: bool = True, depth: int | None = None
) -> np.ndarray:
    """Front index under constraint domination: feasible fronts 0..m-1 by Pareto ranks, then the
    infeasible candidates in order of increasing total violation (equal violations share a front).

    With ``depth``, feasible fronts ``0..depth`` are exact and the feasible candidates behind them
    share front ``depth + 1`` ("beyond"); the infeasible ones follow from the next index.
    (n,) bool, (n,) float -> (n,) int.
    """
    fronts = np.empty(prob.n, dtype=np.int64)
    if feasible.any():
        fronts[feasible] = nondominated_ranks(prob.F[feasible], _tol(prob, tolerance), depth=depth)
        start = int(fronts[feasible].max()) + 1
    else:
        start = 0
    if (~feasible).any():
        levels = np.unique(violation[~feasible], return_inverse=True)[1]
        fronts[~feasible] = start + levels
    return fronts
