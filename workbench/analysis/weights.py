"""How far can each weight move before the top choice changes? Weight stability intervals.

Scores are exactly those of :func:`workbench.analysis.scoring.rank` (same normalisation, same
method, ASF reference point and TOPSIS ideal/anti-ideal taken over *all* candidates), so "the top
choice" means the same thing here as in the ranked table.

The weight-stability interval of objective ``i`` (after Triantaphyllou & Sánchez 1997) moves its
weight along ``w_i = t`` with the other weights rescaled proportionally,
``w_j(t) = (1 - t) w_j / (1 - w_i)``, and reports the interval of ``t`` in ``[0, 1]`` over which the
current top candidate stays first.

References
----------
E. Triantaphyllou, A. Sánchez (1997). A sensitivity analysis approach for some deterministic
multi-criteria decision-making methods. Decision Sciences 28(1), 151-194.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.analysis.scoring import check_method

if TYPE_CHECKING:
    from workbench.quality import QualityModel
from workbench.analysis._batch import _DECIMALS, _as_problem, _Scorer, _subset_mask

__all__ = ["weight_stability", "STABILITY_GRID", "STABILITY_XTOL"]


# --- weight stability --------------------------------------------------------------------------

#: Grid over t in [0, 1] on which non-linear methods are scanned for crossings.
STABILITY_GRID = 1001
#: Bisection stops when the bracket of a crossing is this narrow.
STABILITY_XTOL = 1e-9


def _path(w0: np.ndarray, i: int, t: np.ndarray) -> np.ndarray:
    """Weights along ``w_i = t`` with the others rescaled proportionally: (len(t),) -> (len(t), k).

    ``w_j(t) = (1 - t) w_j / (1 - w_i)``; when ``w_i = 1`` (the others all 0) the remaining
    ``1 - t`` is split equally among the other objectives.
    """
    k = len(w0)
    rest = w0.astype(float).copy()
    rest[i] = 0.0
    total = rest.sum()
    if total > 0:
        base = rest / total
    else:
        base = np.full(k, 1.0 / (k - 1))
        base[i] = 0.0
    t = np.atleast_1d(np.asarray(t, dtype=float))
    W = (1.0 - t)[:, None] * base[None, :]
    W[:, i] = t
    return W


def _is_first(S: np.ndarray, top: int) -> np.ndarray:
    """(g, m) scores -> (g,) whether ``top`` is (possibly tied) first, ties to 12 decimals."""
    Sr = np.round(S, _DECIMALS)
    return Sr[:, top] >= Sr.max(axis=1)


def _leader(S: np.ndarray, top: int) -> int:
    """The best candidate other than ``top`` in one row of scores (first by position on ties)."""
    s = np.round(S, _DECIMALS).astype(float)
    s[top] = -np.inf
    return int(np.argmax(s))


def _interval_numeric(
    scorer: Callable[[np.ndarray], np.ndarray], w0: np.ndarray, i: int, top: int
) -> tuple[float, float, int | None, int | None]:
    """Scan a grid of t, then bisect each end to ``STABILITY_XTOL``.

    Returns (lower, upper, lower_winner, upper_winner) with winners as competitor positions.
    A loss of the first place narrower than the grid step (1e-3) can go unseen.
    """
    t0 = float(w0[i])
    grid = np.linspace(0.0, 1.0, STABILITY_GRID)
    ok = _is_first(scorer(_path(w0, i, grid)), top)

    def first_at(t: float) -> bool:
        return bool(_is_first(scorer(_path(w0, i, np.array([t]))), top)[0])

    def bisect(good: float, bad: float) -> tuple[float, int]:
        while abs(bad - good) > STABILITY_XTOL:
            mid = 0.5 * (good + bad)
            if first_at(mid):
                good = mid
            else:
                bad = mid
        return good, _leader(scorer(_path(w0, i, np.array([bad])))[0], top)

    upper, up_win = 1.0, None
    above = np.flatnonzero((grid > t0) & ~ok)
    if len(above):
        g = int(above[0])
        good = max(t0, float(grid[g - 1])) if g > 0 else t0
        upper, up_win = bisect(good, float(grid[g]))
    lower, low_win = 0.0, None
    below = np.flatnonzero((grid < t0) & ~ok)
    if len(below):
        g = int(below[-1])
        good = min(t0, float(grid[g + 1])) if g + 1 < len(grid) else t0
        lower, low_win = bisect(good, float(grid[g]))
    return lower, upper, low_win, up_win


def _interval_weighted_sum(
    N: np.ndarray, w0: np.ndarray, i: int, top: int
) -> tuple[float, float, int | None, int | None]:
    """Closed form for the weighted sum (Triantaphyllou & Sánchez 1997).

    Along the path, ``u_b(t) = 1 - t N_bi - (1 - t) c_b`` with ``c_b = Σ_j base_j N_bj``, so the
    lead of the top candidate over b, ``d_b(t) = u_top(t) - u_b(t) = α_b + β_b t``, is linear:
    ``α_b = c_b - c_top`` and ``β_b = (c_top - N_top,i) - (c_b - N_bi)``. The top stays first
    up to the smallest root ``-α_b / β_b >= t0`` among the b with ``β_b < 0`` (the one of those
    with the most negative ``β_b`` takes over), and down to the largest root ``<= t0`` among
    those with ``β_b > 0``.
    """
    t0 = float(w0[i])
    base = _path(w0, i, np.array([0.0]))[0]  # the others' shares at t = 0 (base_i = 0)
    c = N @ base
    alpha = c - c[top]
    beta = (c[top] - N[top, i]) - (c - N[:, i])
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(beta != 0, -alpha / np.where(beta != 0, beta, 1.0), np.nan)
    root = np.where(np.abs(root - t0) < 1e-12, t0, root)

    def end(sel: np.ndarray, pick_max: bool) -> tuple[float, int | None]:
        cand = np.flatnonzero(sel)
        if not len(cand):
            return (0.0 if pick_max else 1.0), None
        r = root[cand]
        at = r.max() if pick_max else r.min()
        near = cand[np.abs(r - at) <= 1e-12]
        who = near[np.argmax(beta[near])] if pick_max else near[np.argmin(beta[near])]
        return float(at), int(who)

    upper, up_win = end((beta < 0) & (root >= t0) & (root <= 1.0), pick_max=False)
    lower, low_win = end((beta > 0) & (root <= t0) & (root >= 0.0), pick_max=True)
    return lower, upper, low_win, up_win


def weight_stability(
    candidates: Any,
    model: QualityModel | None = None,
    *,
    method: str | None = None,
    weights: Any = None,
    champion: str | None = None,
    subset: Any = None,
) -> pd.DataFrame:
    """How far each weight can move before the top-ranked candidate changes.

    For objective ``i`` the weights follow ``w_i = t`` and ``w_j(t) = (1 - t) w_j / (1 - w_i)``
    for ``j != i`` (the others keep their proportions; when ``w_i = 1`` the rest is split equally).
    The top candidate (the best-scored competitor at the current weights) stays first on an
    interval ``[lower, upper]`` of ``t`` around the current weight; just past each end another
    candidate takes over.

    - ``weighted_sum``: exact closed form — each utility is linear in ``t``, so the ends are roots
      of linear equations (Triantaphyllou & Sánchez 1997).
    - other methods: a scan of ``t`` on a grid of 1001 points (batch scoring), each crossing then
      bisected to 1e-9; a loss of first place over less than the grid step can go unseen.

    Parameters
    ----------
    candidates : Candidates, DataFrame, source spec or Problem
    model : QualityModel, optional
        Not needed when ``candidates`` is already a ``Problem``.
    method : str, optional
        Scoring method; default: the model's.
    weights : str or mapping, optional
        The current weights: a stakeholder name or ``{objective: weight}``; default: the model's.
    champion : str, optional
        Baseline of relative constraints.
    subset : bool mask, boolean Series or list of ids, optional
        The competitors; default: the feasible Pareto front (as in :func:`smaa`).

    Returns
    -------
    DataFrame
        Index ``objective``; columns ``weight`` (current, normalised), ``lower`` and ``upper`` (the
        interval of the weight over which the top stays first, within [0, 1]), ``lower_winner``
        and ``upper_winner`` (the candidate that takes over just past each end, None when the top
        does not change before 0 or 1) and ``margin`` (distance from the current weight to the
        nearest end where the top changes; NaN when it never changes). ``attrs["top"]`` holds the
        top candidate and ``attrs["method"]`` the method.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "bounds": [1.0, 0.0], "weight": 3},
    ...     {"name": "ms", "direction": "min", "bounds": [0, 100]}]})
    >>> df = pd.DataFrame({"id": ["a", "b", "c"], "acc": [1.0, 0.0, 0.6], "ms": [100, 0, 40]})
    >>> ws = weight_stability(df, qm)
    >>> ws.attrs["top"]
    'a'
    >>> ws[["weight", "lower", "upper", "lower_winner", "upper_winner", "margin"]]
               weight  lower  upper lower_winner upper_winner  margin
    objective
    acc          0.75    0.6    1.0            c         None    0.15
    ms           0.25    0.0    0.4         None            c    0.15
    """
    prob = _as_problem(candidates, model, champion)
    method = check_method(method or prob.model.method)
    w0 = prob.weights(weights)

    from workbench.analysis.feasibility import feasibility

    feasible = feasibility(prob, None)["feasible"].to_numpy()
    mask = _subset_mask(prob, subset, feasible)
    comp = np.flatnonzero(mask)
    scorer = _Scorer.build(prob, method, mask, feasible)
    top = int(np.argmax(np.round(scorer(w0[None, :])[0], _DECIMALS)))
    ids = prob.ids[comp]

    rows = []
    for i, name in enumerate(prob.names):
        if len(comp) == 1 or prob.k == 1:
            lower, upper, lw, uw = 0.0, 1.0, None, None
        elif method == "weighted_sum":
            lower, upper, lw, uw = _interval_weighted_sum(scorer.N, w0, i, top)
        else:
            lower, upper, lw, uw = _interval_numeric(scorer, w0, i, top)
        t0 = float(w0[i])
        ends = [abs(t0 - e) for e, win in ((lower, lw), (upper, uw)) if win is not None]
        rows.append(
            {
                "objective": name,
                "weight": t0,
                "lower": lower,
                "upper": upper,
                "lower_winner": None if lw is None else str(ids[lw]),
                "upper_winner": None if uw is None else str(ids[uw]),
                "margin": min(ends) if ends else np.nan,
            }
        )
    out = pd.DataFrame(rows).set_index("objective")
    for col in ("lower_winner", "upper_winner"):
        out[col] = pd.Series([r[col] for r in rows], index=out.index, dtype=object)
    out.attrs["top"] = str(ids[top])
    out.attrs["method"] = method
    return out
