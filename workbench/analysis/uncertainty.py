"""Measurement noise: what the per-seed replicates say about dominance and ranks.

When a candidate was trained or evaluated with several seeds (``replicate_column="seed"``), its
objective values are a sample, not a number. Two questions follow:

- **Does a really dominate b?** :func:`dominance_probability` estimates ``P[a ≺ b]`` by comparing
  every replicate of ``a`` with every replicate of ``b``.
- **How sure is the ranking?** :func:`rank_probability` redraws one replicate per candidate
  (a bootstrap over seeds), re-runs the whole ranking (constraints, normalisation, scores) on the
  drawn values, and tallies the ranks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.analysis.problem import Problem, problem
from workbench.analysis.feasibility import _violations
from workbench.analysis.scoring import check_method, reference_point, normalized, order, scores_for_weights
from workbench.errors import CandidatesError, QualityModelError

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = ["dominance_probability", "rank_probability"]

_CHUNK_BYTES = 100 * 2**20


def _replicate_values(prob: Problem, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Finite replicate rows sorted by candidate: values (r, k) and candidate positions (r,)."""
    reps = prob.candidates.replicates
    if reps is None:
        raise CandidatesError(
            f"{what} needs per-seed replicates, but the candidates have one row each and no replicate "
            "column was declared.\n"
            "  Fix: load the per-seed rows and name the column that tells them apart: "
            "replicate_column=\"seed\" (CLI: --replicates seed)."
        )
    values = reps[prob.names].to_numpy(dtype=float)
    codes = prob.ids.get_indexer(reps.index.get_level_values("candidate").astype(str))
    keep = (codes >= 0) & np.isfinite(values).all(axis=1)
    values, codes = values[keep], codes[keep]
    sort = np.argsort(codes, kind="stable")
    return values[sort], codes[sort]


def _as_problem(candidates: Any, model: QualityModel | None, champion: str | None = None) -> Problem:
    return candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)


def dominance_probability(candidates: Any, model: QualityModel | None = None, *,
                          tolerance: bool = True) -> pd.DataFrame:
    """Probability that each candidate dominates each other one, from per-seed replicates.

    With replicates ``x_a^(1..r_a)`` of a and ``x_b^(1..r_b)`` of b,

    ``P̂[a ≺ b] = (1 / (r_a r_b)) Σ_i Σ_j 1[x_a^(i) ≺ x_b^(j)]``

    over all ``r_a · r_b`` pairs of replicates: the two-sample U-statistic, unbiased for the
    probability that a fresh run of a dominates a fresh run of b when runs are independent
    (replicates are not paired by seed value). Dominance is Pareto dominance in the minimised
    space; with ``tolerance`` the objectives' tolerances make small differences ties
    (``a_i <= b_i + tol_i`` for all i and ``a_i < b_i - tol_i`` for some i), as in
    :func:`workbench.analysis.pareto_front`. ``P̂[a ≺ b] + P̂[b ≺ a] <= 1``; the rest is the
    share of incomparable or equal pairs. Replicate rows with a missing objective value are
    left out; the diagonal is NaN.

    Parameters
    ----------
    candidates : Candidates, DataFrame, source spec or Problem
        With replicates (``replicate_column=`` when loading).
    model : QualityModel, optional
        Not needed when ``candidates`` is already a ``Problem``.
    tolerance : bool
        Apply the objectives' tolerances.

    Returns
    -------
    DataFrame
        ``P.loc[a, b] = P̂[a ≺ b]``: index ``candidate`` (the dominating one), columns
        ``dominates`` (the dominated one).

    Raises
    ------
    CandidatesError
        The candidates have no replicates.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> from workbench.sources import from_frame
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1],
    ...                    "acc": [0.80, 0.90, 0.85, 0.70]})
    >>> dominance_probability(from_frame(df, replicate_column="seed"), qm)
    dominates     a     b
    candidate
    a           NaN  0.75
    b          0.25   NaN
    """
    prob = _as_problem(candidates, model)
    values, codes = _replicate_values(prob, "dominance_probability")
    n, k = prob.n, prob.k
    F = values * prob.sign
    tol = prob.tolerance if tolerance else np.zeros(k)
    r = np.bincount(codes, minlength=n).astype(float)
    starts = np.searchsorted(codes, np.arange(n))
    present = r > 0
    counts = np.zeros((n, n))
    total = len(F)
    chunk = max(1, _CHUNK_BYTES // max(1, total * (2 * k + 8)))  # bool (c, r, k) twice, float (c, r)
    for lo in range(0, total, chunk):
        A = F[lo:lo + chunk, None, :]
        dom = ((A <= F[None, :, :] + tol).all(axis=2) & (A < F[None, :, :] - tol).any(axis=2))
        # Sum columns per dominated candidate (rows are sorted by candidate), then rows per dominator.
        by_b = np.zeros((len(A), n))
        by_b[:, present] = np.add.reduceat(dom.astype(float), starts[present], axis=1)
        np.add.at(counts, codes[lo:lo + chunk], by_b)
    with np.errstate(invalid="ignore", divide="ignore"):
        P = counts / np.outer(r, r)
    P[~present, :] = np.nan
    P[:, ~present] = np.nan
    np.fill_diagonal(P, np.nan)
    return pd.DataFrame(P, index=prob.ids.rename("candidate"), columns=pd.Index(prob.ids, name="dominates"))


def _split_ties(ranks: np.ndarray, n: int) -> np.ndarray:
    """Rank counts (n, n) from (s, n) "min" ranks; a group tied at rank r with t members gives
    each ``1/t`` at ranks ``r..r+t-1`` (so rows and columns of the tally both sum to s)."""
    s = ranks.shape[0]
    key = (np.arange(s)[:, None] * (n + 1) + ranks).ravel()
    size = np.bincount(key)[key].reshape(ranks.shape)
    share = 1.0 / size
    cand = np.broadcast_to(np.arange(n), ranks.shape)
    width = n + 1
    diff = np.bincount((cand * width + ranks - 1).ravel(), weights=share.ravel(), minlength=n * width)
    diff -= np.bincount((cand * width + ranks - 1 + size).ravel(), weights=share.ravel(), minlength=n * width)
    return np.cumsum(diff.reshape(n, width)[:, :n], axis=1)


def rank_probability(candidates: Any, model: QualityModel | None = None, *, samples: int = 1000,
                     seed: int = 0, method: str | None = None, weights: Any = None,
                     champion: str | None = None) -> pd.DataFrame:
    """Probability of each rank under measurement noise: a bootstrap over the per-seed replicates.

    Each of ``samples`` draws picks, for every candidate independently, one of its replicates
    uniformly at random and ranks the drawn values exactly as :func:`workbench.analysis.rank`
    does: constraints evaluated on the drawn values (relative ones against the drawn baseline),
    data-driven normalisation bounds recomputed, scores by ``method`` with ``weights``, feasible
    candidates first. ``P̂[rank(a) = r] = (1/s) Σ_t 1[rank_t(a) = r]``; candidates tied in a draw
    share the ranks they occupy equally, so every row and every column sums to 1. A candidate
    whose every replicate misses an objective value keeps its summary values in every draw.

    Parameters
    ----------
    candidates : Candidates, DataFrame, source spec or Problem
        With replicates (``replicate_column=`` when loading).
    model : QualityModel, optional
        Not needed when ``candidates`` is already a ``Problem``.
    samples : int
        Number of bootstrap draws.
    seed : int
        Seed of ``numpy.random.default_rng``: same inputs and seed, same result.
    method : str, optional
        Scoring method; default: the model's.
    weights : str or mapping, optional
        A stakeholder name or ``{objective: weight}``; default: the model's weights.
    champion : str, optional
        Baseline of relative constraints.

    Returns
    -------
    DataFrame
        Index ``candidate``, columns ``rank`` 1..n.

    Raises
    ------
    CandidatesError
        The candidates have no replicates.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> from workbench.sources import from_frame
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["a", "a", "b", "b"], "seed": [0, 1, 0, 1],
    ...                    "acc": [0.90, 0.60, 0.80, 0.70]})
    >>> rank_probability(from_frame(df, replicate_column="seed"), qm, samples=2000).round(1)
    rank         1    2
    candidate
    a          0.5  0.5
    b          0.5  0.5
    """
    prob = _as_problem(candidates, model, champion)
    method = check_method(method or prob.model.method)
    samples, seed = int(samples), int(seed)
    if samples < 1:
        raise QualityModelError(f"rank_probability needs samples >= 1, got {samples}.")
    w = prob.weights(weights)
    values, codes = _replicate_values(prob, "rank_probability")
    n = prob.n
    r = np.bincount(codes, minlength=n)
    starts = np.searchsorted(codes, np.arange(n))
    lonely = np.flatnonzero(r == 0)
    if len(lonely):  # no complete replicate: the summary row stands in
        values = np.vstack([values, prob.X[lonely]])
        starts[lonely] = np.arange(len(codes), len(codes) + len(lonely))
        r[lonely] = 1

    rng = np.random.default_rng(seed)
    picks = starts + np.floor(rng.random((samples, n)) * r).astype(np.int64)
    ranks = np.empty((samples, n), dtype=np.int64)
    for t in range(samples):
        X = values[picks[t]]
        drawn = replace(prob, X=X, F=X * prob.sign)
        V, feasible, _ = _violations(drawn)
        N, ideal, nadir = normalized(drawn, feasible)
        s = scores_for_weights(drawn, N, w, method, reference_point(drawn, ideal, nadir))
        ranks[t] = order(s, feasible, V.sum(axis=1))
    P = np.clip(_split_ties(ranks, n) / samples, 0.0, 1.0)
    P[P < 1e-12] = 0.0
    return pd.DataFrame(P, index=prob.ids.rename("candidate"), columns=pd.Index(range(1, n + 1), name="rank"))
