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

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.analysis.feasibility import _violations
from workbench.analysis.problem import Problem, problem
from workbench.analysis.scoring import check_method, normalized, order, reference_point, scores_for_weights
from workbench.errors import CandidatesError, QualityModelError, UnknownNameError, unknown_name

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = [
    "LEVEL",
    "SAMPLES",
    "VERDICTS",
    "Uncertainty",
    "check_level",
    "chosen_evidence",
    "compare_replicates",
    "complete_replicates",
    "difference_interval",
    "dominance_probability",
    "mean_draws",
    "rank_probability",
    "replicate_stats",
    "robustness_text",
    "seed_noise",
    "uncertainty",
]

_CHUNK_BYTES = 100 * 2**20


def _replicate_values(prob: Problem, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Finite replicate rows sorted by candidate: values (r, k) and candidate positions (r,)."""
    reps = prob.candidates.replicates
    if reps is None:
        raise CandidatesError(
            f"{what} needs per-seed replicates, but the candidates have one row each and no replicate "
            "column was declared.\n"
            "  Fix: load the per-seed rows and name the column that tells them apart: "
            'replicate_column="seed" (CLI: --replicates seed).'
        )
    values = reps[prob.names].to_numpy(dtype=float)
    codes = prob.ids.get_indexer(reps.index.get_level_values("candidate").astype(str))
    keep = (codes >= 0) & np.isfinite(values).all(axis=1)
    values, codes = values[keep], codes[keep]
    sort = np.argsort(codes, kind="stable")
    return values[sort], codes[sort]


def _as_problem(candidates: Any, model: QualityModel | None, champion: str | None = None) -> Problem:
    return candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)


def dominance_probability(
    candidates: Any, model: QualityModel | None = None, *, tolerance: bool = True
) -> pd.DataFrame:
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
        A = F[lo : lo + chunk, None, :]
        dom = (F[None, :, :] + tol >= A).all(axis=2) & (F[None, :, :] - tol > A).any(axis=2)
        # Sum columns per dominated candidate (rows are sorted by candidate), then rows per dominator.
        by_b = np.zeros((len(A), n))
        by_b[:, present] = np.add.reduceat(dom.astype(float), starts[present], axis=1)
        np.add.at(counts, codes[lo : lo + chunk], by_b)
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


def rank_probability(
    candidates: Any,
    model: QualityModel | None = None,
    *,
    samples: int = 1000,
    seed: int = 0,
    method: str | None = None,
    weights: Any = None,
    champion: str | None = None,
) -> pd.DataFrame:
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


# --- evidence from replicates: per-candidate statistics and pairwise comparisons -----------------

#: Confidence level of intervals and verdicts unless the caller says otherwise.
LEVEL = 0.95
#: Draws of the bootstrap over replicates behind P(dominates) and P(better).
SAMPLES = 4000
#: How a bootstrap draw of a candidate's mean is made (see :func:`compare_replicates`).
RESAMPLING = ("t", "bootstrap")
#: Verdicts of a comparison; "no detectable difference" when tolerance or seed noise covers it.
VERDICTS = ("dominates", "better", "no detectable difference", "worse", "dominated")


def check_level(level: Any, what: str = "confidence level") -> float:
    """``level`` as a float in [0.5, 1); else a :class:`QualityModelError` naming ``what`` and the fix."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(level, bool) or not 0.5 <= value < 1.0:
        raise QualityModelError(
            f"The {what} must be a number in [0.5, 1), got {level!r:.40}.\n"
            "  Fix: use 0.95 (the default) or 0.9 for a laxer rule."
        )
    return value


def difference_interval(
    a: tuple[float, float, int], b: tuple[float, float, int], level: float = LEVEL
) -> tuple[float, float]:
    """Welch's interval for the difference of two means of seed replicates, ``mean_a - mean_b``.

    ``a`` and ``b`` are ``(mean, sd, n)`` (as in :func:`replicate_stats`). The interval is
    ``d ± t_{ν, (1+level)/2} · se`` with ``se = √(sd_a²/n_a + sd_b²/n_b)`` and the
    Welch–Satterthwaite degrees of freedom ``ν`` (unequal variances: the seeds of two candidates
    need not vary alike). ``(nan, nan)`` when either side has fewer than 2 replicates or a
    missing value; a point ``(d, d)`` when neither varies (a deterministic metric).

    >>> lo, hi = difference_interval((0.93, 0.024, 3), (0.92, 0.018, 3))
    >>> lo < 0 < hi  # a 0.01 difference inside three seeds' noise
    True
    """
    (ma, sa, na), (mb, sb, nb) = a, b
    values = (ma, sa, na, mb, sb, nb)
    if any(v is None or not math.isfinite(float(v)) for v in values) or min(na, nb) < 2:
        return math.nan, math.nan
    d = float(ma) - float(mb)
    va, vb = float(sa) ** 2 / na, float(sb) ** 2 / nb
    se = math.sqrt(va + vb)
    if se == 0.0:
        return d, d
    from scipy.stats import t as student_t

    nu = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))
    half = float(student_t.ppf((1 + check_level(level)) / 2, nu)) * se
    return d - half, d + half


def seed_noise(
    a: tuple[float, float, int], b: tuple[float, float, int], level: float = LEVEL
) -> tuple[float, float] | None:
    """Welch's interval of ``mean_a - mean_b`` when it includes 0 (the difference is within seed
    noise: neither gained nor given up), else None -- also when either side has too few
    replicates to tell, so the point difference decides (see :func:`difference_interval`)."""
    lo, hi = difference_interval(a, b, level)
    return (lo, hi) if lo <= 0 <= hi else None  # NaN compares False


def replicate_stats(candidates: Any, model: QualityModel | None = None, *, level: float = LEVEL) -> pd.DataFrame:
    """Per candidate and objective: ``n``, ``mean``, ``sd`` and a Student-t interval of the mean.

    ``n`` counts the replicates with a finite value of that objective; the interval is
    ``mean ± t_{n-1, (1+level)/2} · sd / √n`` (undefined, NaN, for ``n < 2``). ``missing`` lists the
    replicate labels (seeds) whose value of that objective is missing, so a metric logged in
    some seeds only is visible rather than averaged over fewer seeds silently.

    Returns
    -------
    DataFrame
        Index (``candidate``, ``objective``); columns ``n, mean, sd, ci_low, ci_high, missing``.
        Without replicates every candidate has ``n = 1`` and its value as the mean.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> from workbench.sources import from_frame
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["a"] * 3, "seed": [0, 1, 2], "acc": [0.80, 0.82, 0.84]})
    >>> replicate_stats(from_frame(df, replicate_column="seed"), qm).round(4)[["n", "mean", "sd", "ci_low", "ci_high"]]
                         n  mean    sd  ci_low  ci_high
    candidate objective
    a         acc        3  0.82  0.02  0.7703   0.8697
    """
    from scipy import stats as _stats

    level = check_level(level)
    prob = _as_problem(candidates, model)
    reps = prob.candidates.replicates
    if reps is None:
        long = (
            prob.candidates.table[prob.names]
            .reset_index()
            .melt(id_vars="candidate", var_name="objective", value_name="value")
        )
        long["replicate"] = ""
    else:
        long = (
            reps[prob.names]
            .reset_index()
            .melt(id_vars=["candidate", "replicate"], var_name="objective", value_name="value")
        )
        long = long[long["candidate"].astype(str).isin(prob.ids)]
    long["candidate"] = long["candidate"].astype(str)
    finite = np.isfinite(long["value"].to_numpy(dtype=float))
    g = long[finite].groupby(["candidate", "objective"], sort=False)["value"]
    out = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std(ddof=1)})
    full = pd.MultiIndex.from_product([prob.ids.astype(str), prob.names], names=["candidate", "objective"])
    out = out.reindex(full)
    out["n"] = out["n"].fillna(0).astype(int)
    n = out["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = _stats.t.ppf((1 + level) / 2, np.where(n >= 2, n - 1, np.nan)) * out["sd"].to_numpy() / np.sqrt(n)
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    missing = (
        long[~finite].groupby(["candidate", "objective"], sort=False)["replicate"].agg(lambda s: sorted(map(str, s)))
    )
    out["missing"] = [list(missing.get(key, [])) for key in out.index]
    return out


def complete_replicates(prob: Problem) -> tuple[list[np.ndarray], np.ndarray]:
    """Per candidate position: its complete replicate rows (r, k) in raw units (the summary row when
    it has none), and the number of complete replicates (0 for none)."""
    if prob.candidates.replicates is None:
        return [prob.X[i][None, :] for i in range(prob.n)], np.zeros(prob.n, dtype=int)
    values, codes = _replicate_values(prob, "compare_replicates")
    r = np.bincount(codes, minlength=prob.n)
    starts = np.searchsorted(codes, np.arange(prob.n))
    rows = [values[starts[i] : starts[i] + r[i]] if r[i] else prob.X[i][None, :] for i in range(prob.n)]
    return rows, r


def mean_draws(rows: np.ndarray, samples: int, rng: np.random.Generator, resampling: str = "t") -> np.ndarray:
    """``samples`` bootstrap draws of the mean of replicate rows (r, k) -> (samples, k).

    ``"t"``: ``x̄ + (Σ_i g_i (x_i − x̄)) / √(r (r−1)) / √(χ²_{r−1} / (r−1))`` with ``g_i ~ N(0, 1)``:
    a Gaussian-multiplier bootstrap of the replicates, scaled so that each objective's drawn mean
    follows ``x̄ + s/√r · t_{r−1}``, the Student-t sampling distribution of a mean of r runs, and
    correlations between objectives within a run are kept. ``"bootstrap"``: the mean of r rows
    drawn with replacement (the plain percentile bootstrap; too narrow for a handful of seeds,
    kept for comparison). With one row (no spread measured) every draw is that row.
    """
    rows = np.asarray(rows, dtype=float)
    r, k = rows.shape
    if r < 2:
        return np.broadcast_to(rows.mean(axis=0), (samples, k)).copy()
    xbar = rows.mean(axis=0)
    if resampling == "bootstrap":
        pick = rng.integers(0, r, size=(samples, r))
        return rows[pick].mean(axis=1)
    D = rows - xbar
    G = rng.standard_normal((samples, r))
    scale = np.sqrt(rng.chisquare(r - 1, size=samples) / (r - 1))
    return xbar + (G @ D) / math.sqrt(r * (r - 1)) / scale[:, None]


def _dominance(Fa: np.ndarray, Fb: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Row-wise: a dominates b beyond tolerance (minimised values, (s, k) each) -> (s,) bool."""
    return (Fa <= Fb + tol).all(axis=-1) & (Fa < Fb - tol).any(axis=-1)


def compare_replicates(
    candidates: Any,
    model: QualityModel | None = None,
    *,
    candidate: str,
    versus: Any,
    method: str | None = None,
    weights: Any = None,
    champion: str | None = None,
    samples: int = SAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    tolerance: bool = True,
    resampling: str = "t",
    relations: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """How sure is "``candidate`` beats ``versus``"? A seeded bootstrap over the per-seed replicates.

    Each of ``samples`` draws replaces every involved candidate's values by a bootstrap draw of
    the mean of its replicates (:func:`mean_draws`; a candidate with fewer than two complete
    replicates keeps its value). Over the draws:

    - ``p_dominates`` = P[candidate's mean dominates versus's mean beyond tolerance] (no worse than
      ``-tol`` in every objective, better by more than ``tol`` in one), ``p_dominated`` the reverse;
    - ``p_better`` = P[candidate scores higher than versus under ``method`` and ``weights``], ties
      counted half; scores use the fixed normalisation bounds of the point estimate (declared
      bounds or the data's ideal/nadir over the feasible candidates).

    ``verdict``: ``dominates``/``dominated`` when that probability reaches ``level``; else
    ``better``/``worse`` when ``p_better`` reaches ``level`` / falls to ``1 - level``; else
    ``no detectable difference`` with ``reason`` "within tolerance" (every mean difference within
    the objective's tolerance) or "within seed noise". ``detectable`` is the verdict's negation of
    that last case. Candidates with fewer than two complete replicates on both sides are compared
    on their point values (``reason`` says so).

    Returns
    -------
    DataFrame
        One row per ``versus`` id: ``candidate, versus, relation, n_candidate, n_versus,
        p_dominates, p_dominated, p_better, verdict, reason, detectable`` and ``diff_<objective>``
        (candidate's mean minus versus's, raw units).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> from workbench.sources import from_frame
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max", "tolerance": 0.002}]})
    >>> df = pd.DataFrame({"id": ["a"] * 3 + ["b"] * 3, "seed": [0, 1, 2] * 2,
    ...                    "acc": [0.9004, 0.9014, 0.8994, 0.9000, 0.9010, 0.8990]})
    >>> row = compare_replicates(from_frame(df, replicate_column="seed"), qm, candidate="a", versus=["b"]).iloc[0]
    >>> row["verdict"], row["reason"], bool(row["p_dominates"] < 0.95)
    ('no detectable difference', 'within tolerance', True)
    """
    from workbench.analysis import _kernels as K

    prob = _as_problem(candidates, model, champion)
    method = check_method(method or prob.model.method)
    level = check_level(level)
    samples, seed = int(samples), int(seed)
    if samples < 1:
        raise QualityModelError(f"compare_replicates needs samples >= 1, got {samples}.")
    if resampling not in RESAMPLING:
        raise UnknownNameError(unknown_name("Resampling", resampling, RESAMPLING, where="a bootstrap kind"))
    i = prob.position(candidate)
    others = [versus] if isinstance(versus, str) else list(versus)
    js = [prob.position(v, "Compared candidate") for v in others]
    w = prob.weights(weights)
    tol = prob.tolerance if tolerance else np.zeros(prob.k)
    rows, r = complete_replicates(prob)
    involved = list(dict.fromkeys([i, *js]))
    rng = np.random.default_rng(seed)
    draws = {p: mean_draws(rows[p], samples, rng, resampling) for p in involved}  # raw units (s, k)

    _, feasible, _ = _violations(prob)
    _, ideal, nadir = normalized(prob, feasible)
    reference = reference_point(prob, ideal, nadir)
    if method == "topsis":  # the closeness of one candidate depends on every other: re-score per draw
        score = np.empty((samples, len(involved)))
        for t in range(samples):
            X = prob.X.copy()
            for p in involved:
                X[p] = draws[p][t]
            drawn = replace(prob, X=X, F=X * prob.sign)
            score[t] = scores_for_weights(drawn, K.normalize(drawn.F, ideal, nadir), w, method, reference)[involved]
    else:
        stack = np.stack([draws[p] for p in involved], axis=1)  # (s, m, k)
        N = K.normalize((stack * prob.sign).reshape(-1, prob.k), ideal, nadir)
        score = scores_for_weights(prob, N, w, method, reference).reshape(samples, len(involved))
    col = {p: c for c, p in enumerate(involved)}
    mine = draws[i] * prob.sign
    relations = dict(relations or {})
    out = []
    for _other, j in zip(others, js, strict=True):
        theirs = draws[j] * prob.sign
        p_dom = float(_dominance(mine, theirs, tol).mean())
        p_domd = float(_dominance(theirs, mine, tol).mean())
        diff_s = score[:, col[i]] - score[:, col[j]]
        p_better = float((diff_s > 0).mean() + 0.5 * (diff_s == 0).mean())
        diff = rows[i].mean(axis=0) - rows[j].mean(axis=0)
        point = r[i] < 2 and r[j] < 2
        within = bool((np.abs(diff) <= tol).all())
        if within:
            verdict, reason = "no detectable difference", "within tolerance"
        elif p_dom >= level:
            verdict, reason = "dominates", "dominates beyond tolerance"
        elif p_domd >= level:
            verdict, reason = "dominated", "dominated beyond tolerance"
        elif p_better >= level:
            verdict, reason = "better", "better under the weights"
        elif p_better <= 1 - level:
            verdict, reason = "worse", "worse under the weights"
        else:
            verdict, reason = "no detectable difference", "within seed noise"
        if point and not within:
            reason += " (fewer than 2 seeds on both sides: point estimate)"
        out.append(
            {
                "candidate": str(prob.ids[i]),
                "versus": str(prob.ids[j]),
                "relation": relations.get(str(prob.ids[j]), ""),
                "n_candidate": int(r[i]),
                "n_versus": int(r[j]),
                "p_dominates": p_dom,
                "p_dominated": p_domd,
                "p_better": p_better,
                "verdict": verdict,
                "reason": reason,
                "detectable": verdict != "no detectable difference",
                **{f"diff_{name}": float(diff[k]) for k, name in enumerate(prob.names)},
            }
        )
    columns = [
        "candidate",
        "versus",
        "relation",
        "n_candidate",
        "n_versus",
        "p_dominates",
        "p_dominated",
        "p_better",
        "verdict",
        "reason",
        "detectable",
        *[f"diff_{n}" for n in prob.names],
    ]
    return pd.DataFrame(out, columns=columns)


def _pct(p: float | None) -> str:
    from workbench.format import format_percent

    return format_percent(p)


@dataclass(frozen=True, repr=False, eq=False)
class Uncertainty:
    """What the per-seed replicates say about the recommendation (built by :func:`uncertainty`).

    ``stats``: :func:`replicate_stats`; ``comparisons``: :func:`compare_replicates` of the
    recommended candidate against the runner-up and its front neighbours; ``counts``: complete
    replicates per candidate; ``verdict``: ``robust`` (bool or None) and a plain-words ``text``.
    """

    candidate: str | None
    level: float
    samples: int
    seed: int
    resampling: str
    stats: pd.DataFrame
    comparisons: pd.DataFrame
    counts: pd.Series
    notes: tuple[str, ...] = ()
    robust: bool | None = None
    text: str = ""

    def comparison(self, versus: str) -> dict[str, Any] | None:
        """The comparison row against ``versus`` as a dict, or None."""
        rows = self.comparisons[self.comparisons["versus"] == str(versus)]
        return None if rows.empty else rows.iloc[0].to_dict()

    def half_widths(self) -> dict[tuple[str, str], tuple[float, int]]:
        """``{(candidate, objective): (half-width of the mean's interval, n)}`` where it is defined
        (n ≥ 2): what the memo and the explorer print as ``± half (n=N)``."""
        s = self.stats
        half = (s["ci_high"] - s["mean"]).to_numpy(dtype=float)
        ok = np.isfinite(half) & (s["n"].to_numpy() >= 2)
        return {
            (str(c), str(o)): (float(h), int(n))
            for (c, o), h, n, keep in zip(s.index, half, s["n"].to_numpy(), ok, strict=True)
            if keep
        }

    def to_dict(self) -> dict[str, Any]:
        stats = self.stats.reset_index()
        return {
            "candidate": self.candidate,
            "level": self.level,
            "samples": self.samples,
            "seed": self.seed,
            "resampling": self.resampling,
            "robust": self.robust,
            "text": self.text,
            "replicates": {str(k): int(v) for k, v in self.counts.items()},
            "stats": stats.to_dict(orient="records"),
            "comparisons": self.comparisons.to_dict(orient="records"),
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        return f"Uncertainty({self.candidate!r}, {len(self.comparisons)} comparisons; {self.text})"


def robustness_text(
    candidate: str | None, runner_up: dict[str, Any] | None, acceptability: float | None = None, smaa_samples: int = 0
) -> tuple[bool | None, str]:
    """The plain-words verdict of the decision box: ``(robust, text)``.

    "Robust: ranks first in 87 % of weight samples and beats the runner-up v7 in 94 % of seed
    resamples" when the advantage over the runner-up is detectable (and, with SMAA, the candidate
    ranks first in at least half of the weight samples); "Fragile: indistinguishable from v7
    within seed noise ..." otherwise.

    >>> robustness_text("v8", {"versus": "v7", "p_better": 0.94, "detectable": True,
    ...                        "reason": "better under the weights"}, 0.87, 10000)
    (True, 'Robust: ranks first in 87 % of weight samples and beats the runner-up v7 in 94 % of seed resamples.')
    >>> robustness_text("v8", {"versus": "v7", "p_better": 0.61, "detectable": False,
    ...                        "reason": "within seed noise"})[1]
    'Fragile: indistinguishable from v7 within seed noise (beats it in 61 % of seed resamples).'
    """
    if candidate is None:
        return None, ""
    weights = (
        f"ranks first in {_pct(acceptability)} of weight samples" if acceptability is not None and smaa_samples else ""
    )
    if runner_up is None:
        if weights:
            return acceptability >= 0.5, ("Robust: " if acceptability >= 0.5 else "Fragile: ") + weights + "."
        return None, ""
    other, p = runner_up["versus"], runner_up["p_better"]
    if not runner_up["detectable"] or runner_up.get("verdict") in ("worse", "dominated"):
        why = str(runner_up.get("reason") or "within seed noise")
        if runner_up.get("verdict") in ("worse", "dominated"):
            return False, f"Fragile: {other} beats it in {_pct(1 - p)} of seed resamples."
        text = f"Fragile: indistinguishable from {other} {why} (beats it in {_pct(p)} of seed resamples)"
        return False, text + (f"; {weights}." if weights else ".")
    beats = f"beats the runner-up {other} in {_pct(p)} of seed resamples"
    if weights and acceptability < 0.5:
        return False, f"Fragile: {weights} only, though it {beats}."
    return True, "Robust: " + (f"{weights} and " if weights else "") + beats + "."


def uncertainty(
    candidates: Any,
    model: QualityModel | None = None,
    *,
    candidate: str | None,
    versus: Mapping[str, str],
    method: str | None = None,
    weights: Any = None,
    champion: str | None = None,
    samples: int = SAMPLES,
    seed: int = 0,
    level: float = LEVEL,
    tolerance: bool = True,
    acceptability: float | None = None,
    smaa_samples: int = 0,
    resampling: str = "t",
) -> Uncertainty:
    """Replicate statistics, the comparisons of ``candidate`` with ``versus`` (``{id: relation}``,
    e.g. ``{"v7": "runner-up"}``) and the robustness verdict, in one result.

    ``analyze`` calls it with the recommended candidate, the runner-up and the front neighbours,
    so every output reads the same numbers.
    """
    prob = _as_problem(candidates, model, champion)
    stats = replicate_stats(prob, level=level)
    _, r = complete_replicates(prob)
    counts = pd.Series(r, index=prob.ids.astype(str), name="n")
    notes = []
    if prob.candidates.replicates is not None:
        if len(set(r.tolist())) > 1:
            groups = []
            for n_seeds in sorted(set(r.tolist())):
                ids = [str(x) for x in counts.index[counts.to_numpy() == n_seeds]]
                groups.append(f"{n_seeds} seeds: {', '.join(ids[:5])}{'…' if len(ids) > 5 else ''}")
            notes.append(
                f"Candidates have different numbers of complete replicates ({'; '.join(groups)}); "
                "each is summarised over its own seeds, none is dropped."
            )
        gaps = stats[stats["missing"].map(len) > 0]
        for (cid, obj), row in gaps.head(10).iterrows():
            notes.append(
                f"{cid}: {obj} is missing in seeds {', '.join(row['missing'])} (summarised over {row['n']} seeds)."
            )
        if len(gaps) > 10:
            notes.append(f"… and {len(gaps) - 10} more candidates/objectives with missing seeds.")
    comparisons = pd.DataFrame()
    robust, text = None, ""
    if candidate is not None:
        others = [v for v in versus if str(v) != str(candidate)]
        comparisons = compare_replicates(
            prob,
            candidate=candidate,
            versus=others,
            method=method,
            weights=weights,
            samples=samples,
            seed=seed,
            level=level,
            tolerance=tolerance,
            resampling=resampling,
            relations={str(k): v for k, v in versus.items()},
        )
        ru = comparisons[comparisons["relation"].str.contains("runner-up")]
        robust, text = robustness_text(
            str(candidate), None if ru.empty else ru.iloc[0].to_dict(), acceptability, smaa_samples
        )
    return Uncertainty(
        candidate=None if candidate is None else str(candidate),
        level=float(level),
        samples=int(samples),
        seed=int(seed),
        resampling=resampling,
        stats=stats,
        comparisons=comparisons,
        counts=counts,
        notes=tuple(notes),
        robust=robust,
        text=text,
    )


def chosen_evidence(analysis: Any, chosen: str | None) -> dict[str, Any]:
    """The decision box's robustness verdict for ``chosen``, in plain words, with its numbers.

    From ``analysis.uncertainty`` (computed once in :mod:`workbench.analysis.uncertainty`) when
    ``chosen`` is the recommended candidate; for another choice its comparison with the recommended
    one and the runner-up is computed the same way. Without replicates the verdict rests on the
    weights alone (SMAA) and says that seed noise was not measured.
    Review summaries (``decision.robustness``) and decision records both take it from here.
    Returns ``{robust, text, comparisons, replicates, level}`` (empty without a choice).
    """
    if chosen is None or str(chosen) not in analysis.table.index:
        return {}
    chosen = str(chosen)
    t = analysis.table
    acc = float(t.loc[chosen, "acceptability"]) if "acceptability" in t.columns else None
    smaa = int(analysis.parameters.get("smaa") or 0)
    unc = analysis.uncertainty
    if unc is None:
        robust, text = robustness_text(chosen, None, acc, smaa)
        note = "Seed noise not measured (one run per candidate)."
        return {"robust": robust, "text": f"{text} {note}".strip(), "comparisons": [], "replicates": {}, "level": None}
    if unc.candidate != chosen:
        feasible = t[t["feasible"] & (t.index.astype(str) != chosen)].sort_values("rank", kind="stable")
        versus = {str(i): "runner-up" for i in feasible.index[:1]}
        if analysis.recommended and analysis.recommended != chosen:
            versus[analysis.recommended] = (versus.get(analysis.recommended, "") + ", recommended").lstrip(", ")
        unc = uncertainty(
            analysis.candidates,
            analysis.model,
            candidate=chosen,
            versus=versus,
            method=analysis.method,
            weights=analysis.weights,
            champion=analysis.champion,
            samples=unc.samples,
            seed=unc.seed,
            level=unc.level,
            acceptability=acc,
            smaa_samples=smaa,
        )
    d = unc.to_dict()
    return {
        "robust": d["robust"],
        "text": d["text"],
        "comparisons": d["comparisons"],
        "replicates": d["replicates"],
        "level": d["level"],
    }
