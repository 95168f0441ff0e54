"""How robust is the recommendation to the weights? SMAA-2 and weight stability intervals.

SMAA-2 (Lahdelma & Salminen 2001) replaces the one weight vector of a ranking with a distribution
of weight vectors ``w ~ f(w)`` and reports, for each competing candidate ``a``:

- the **rank acceptability index** ``b_a^r = P[rank(a) = r]``, estimated over ``s`` sampled
  weight vectors as ``b_a^r ≈ (1/s) Σ_t 1[rank_t(a) = r]``; ``b_a^1`` (first-rank
  acceptability) is the share of the weight space in which ``a`` is the top choice;
- the **central weight** ``w_a^c = E[w | rank(a) = 1]``, the typical weights of someone who
  prefers ``a`` (NaN when ``b_a^1 = 0``);
- the **confidence factor** ``p_a^c = P[rank(a) = 1 | w = w_a^c]`` under uncertain objective
  values: with per-seed replicates each competitor's value of each objective is drawn,
  independently, from ``Normal(x, s / sqrt(n))`` — its point estimate (the candidates table's
  summary, the mean by default), its replicates' standard deviation (ddof=1) and their count,
  i.e. the standard error of the mean (0 for a single replicate); without replicates the values
  are exact and ``p_a^c`` is 1.0 when ``a`` wins at its central weight and 0.0 otherwise (with
  a tie for first, ``1/t`` for t tied candidates).

Scores are exactly those of :func:`workbench.analysis.scoring.rank` (same normalisation, same
method, ASF reference point and TOPSIS ideal/anti-ideal taken over *all* candidates), so "the top
choice under w" means the same thing here as in the ranked table.

Weights are sampled uniformly on the simplex (Smith & Tromble 2004), within intervals, in an
ordinal order, or around stakeholders' weight sets.

References
----------
R. Lahdelma, P. Salminen (2001). SMAA-2: Stochastic multicriteria acceptability analysis for group
decision making. Operations Research 49(3), 444-454.
T. Tervonen, J. R. Figueira (2008). A survey on stochastic multicriteria acceptability analysis
methods. J. Multi-Criteria Decision Analysis 15, 1-14.
N. A. Smith, R. W. Tromble (2004). Sampling uniformly from the unit simplex (the exponential
construction used here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.analysis.problem import Problem
from workbench.analysis.scoring import check_method
from workbench.errors import (
    QualityModelError,
    UnknownNameError,
    UnknownObjectiveError,
    unknown_name,
)

if TYPE_CHECKING:
    from workbench.quality import QualityModel
from workbench.analysis._batch import _DECIMALS, _as_problem, _Scorer, _subset_mask

__all__ = ["SMAAResult", "smaa", "sample_weights", "check_samples", "check_seed", "WEIGHT_DISTRIBUTIONS"]

#: Weight distributions :func:`smaa` can sample from.
WEIGHT_DISTRIBUTIONS = ("simplex", "intervals", "ordinal", "stakeholders")
#: Up to this many competing candidates, the full rank acceptability matrix is computed.
FULL_RANKS_LIMIT = 50
#: Memory budget of one chunk of sampled scores (bytes).
_CHUNK_BYTES = 100 * 2**20
#: Most SMAA weight samples one call draws (the sampled weights alone take 8 bytes x objectives each).
MAX_SAMPLES = 10_000_000


def check_samples(samples: Any, what: str = "SMAA samples", minimum: int = 1) -> int:
    """``samples`` as an int in ``minimum..MAX_SAMPLES``, or a :class:`QualityModelError` naming it."""
    if (
        isinstance(samples, (bool, np.bool_))
        or not isinstance(samples, (int, np.integer))
        or not minimum <= samples <= MAX_SAMPLES
    ):
        raise QualityModelError(
            f"{what} must be a whole number from {minimum} to {MAX_SAMPLES:,}, got {samples!r:.40}.\n"
            "  Fix: 10,000 samples give acceptabilities within ±0.005."
        )
    return int(samples)


def check_seed(seed: Any) -> int:
    """``seed`` as a non-negative int (what ``numpy.random.default_rng`` accepts)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise QualityModelError(f"The seed must be a whole number >= 0, got {seed!r:.40}.")
    return int(seed)


# --- weight sampling ---------------------------------------------------------------------------


def _simplex(rng: np.random.Generator, samples: int, k: int) -> np.ndarray:
    """Uniform on the unit simplex: normalised i.i.d. exponentials (= Dirichlet(1, ..., 1))."""
    E = rng.standard_exponential((samples, k))
    return E / E.sum(axis=1, keepdims=True)


def _sample_intervals(rng: np.random.Generator, samples: int, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    k = len(lower)
    lo_sum, hi_sum = float(lower.sum()), float(upper.sum())
    if lo_sum > 1 + 1e-12:
        raise QualityModelError(
            f"Weight intervals are infeasible: the lower bounds sum to {lo_sum:g} > 1, but normalised "
            "weights sum to 1.\n  Fix: lower some lower bounds so that they sum to at most 1."
        )
    if hi_sum < 1 - 1e-12:
        raise QualityModelError(
            f"Weight intervals are infeasible: the upper bounds sum to {hi_sum:g} < 1, but normalised "
            "weights sum to 1.\n  Fix: raise some upper bounds so that they sum to at least 1."
        )
    if lo_sum >= 1 - 1e-12:  # a single point: every weight at its lower bound
        return np.tile(lower / lo_sum, (samples, 1))
    if hi_sum <= 1 + 1e-12:  # a single point: every weight at its upper bound
        return np.tile(upper / hi_sum, (samples, 1))
    # w = lower + slack * u with u uniform on the simplex is uniform on {w >= lower, sum w = 1};
    # reject the draws that break an upper bound. The accepted ones are uniform on the polytope.
    slack = 1.0 - lo_sum
    room = (upper - lower) / slack
    out: list[np.ndarray] = []
    have = drawn = 0
    max_draws = max(1000 * samples, 20_000_000)
    while have < samples:
        rate = have / drawn if have else 0.0
        batch = max(4096, math.ceil(1.2 * (samples - have) / rate) if rate else 4 * samples)
        batch = min(batch, 1_000_000)
        U = _simplex(rng, batch, k)
        ok = (room >= U).all(axis=1)
        drawn += batch
        if ok.any():
            out.append(U[ok])
            have += int(ok.sum())
        if have < samples and drawn >= 1_000_000:
            needed = (samples - have) * drawn / have if have else math.inf
            if drawn + needed > max_draws:
                raise QualityModelError(
                    f"Weight intervals leave almost no room: {have} of {drawn:,} uniform draws on the simplex "
                    f"fell inside them (acceptance rate {have / drawn:.1e}); {samples:,} samples would need "
                    f"over {max_draws:,} draws.\n"
                    "  Fix: widen the intervals, ask for fewer samples, or fix the weights with weights= "
                    "instead of sampling them."
                )
    U = np.concatenate(out)[:samples]
    return lower + slack * U


def _sample_hull(rng: np.random.Generator, samples: int, V: np.ndarray) -> np.ndarray:
    """Uniform on the convex hull of the rows of V (points of the simplex)."""
    m, k = V.shape
    center = V.mean(axis=0)
    D = V - center
    _, sv, vt = np.linalg.svd(D, full_matrices=False)
    d = int((sv > 1e-10 * max(1.0, float(sv[0]) if len(sv) else 1.0)).sum())
    if d == 0:
        return np.tile(V[0], (samples, 1))
    if m == d + 1:
        # Affinely independent vertices: Dirichlet(1) mixing is exactly uniform on their hull.
        return _simplex(rng, samples, m) @ V
    Y = D @ vt[:d].T  # (m, d) coordinates in the hull's affine span
    if d == 1:
        y = Y[:, 0]
        a, b = int(np.argmin(y)), int(np.argmax(y))
        t = rng.random(samples)[:, None]
        return (1 - t) * V[a] + t * V[b]
    from scipy.spatial import Delaunay

    simplices = Delaunay(Y).simplices  # (p, d + 1) vertex indices; they tile the hull
    P = Y[simplices]  # (p, d + 1, d)
    vol = np.abs(np.linalg.det(P[:, 1:, :] - P[:, :1, :]))
    pick = rng.choice(len(simplices), size=samples, p=vol / vol.sum())
    C = _simplex(rng, samples, d + 1)  # barycentric coordinates, uniform in a simplex
    return np.einsum("sj,sjk->sk", C, V[simplices[pick]])


def sample_weights(
    k: int,
    samples: int,
    rng: np.random.Generator,
    distribution: str = "simplex",
    *,
    lower: Sequence[float] | None = None,
    upper: Sequence[float] | None = None,
    order: Sequence[int] | None = None,
    vertices: Any = None,
) -> np.ndarray:
    """Draw normalised weight vectors (rows >= 0 summing to 1) from one of the SMAA distributions.

    Parameters
    ----------
    k : int
        Number of objectives.
    samples : int
        Number of weight vectors.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``numpy.random.default_rng(seed)``; same state, same draws.
    distribution : {"simplex", "intervals", "ordinal", "stakeholders"}
        - ``simplex``: uniform on ``{w >= 0, Σ w = 1}``, by normalising i.i.d. standard
          exponentials (the Dirichlet(1, ..., 1) construction);
        - ``intervals``: uniform on the simplex restricted to ``lower <= w <= upper``: draws of
          ``lower + (1 - Σ lower) u`` with ``u`` uniform on the simplex (exactly uniform on
          ``w >= lower``), rejected when above an upper bound;
        - ``ordinal``: uniform on ``{w_order[0] >= w_order[1] >= ...}``: a uniform draw sorted in
          descending order and assigned in ``order`` (most important first);
        - ``stakeholders``: uniform on the convex hull of the rows of ``vertices`` (each a
          normalised weight vector): Dirichlet(1) mixtures of the vertices when they are
          affinely independent, otherwise a Delaunay triangulation of the hull with each
          simplex picked in proportion to its volume (plain Dirichlet mixing of more vertices
          than that would crowd the middle of the hull).
    lower, upper : sequence of float, optional
        Per-objective bounds for ``intervals`` (defaults 0 and 1).
    order : sequence of int, optional
        For ``ordinal``: a permutation of ``range(k)``, most important objective first.
    vertices : array-like (m, k), optional
        For ``stakeholders``: one weight vector per row (normalised here).

    Returns
    -------
    ndarray (samples, k)

    Raises
    ------
    UnknownNameError
        An unknown distribution.
    QualityModelError
        Infeasible intervals (lower bounds summing above 1, upper ones below 1, or too little
        room for rejection sampling), a bad ``order`` or missing ``vertices``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = sample_weights(3, 4, rng, "ordinal", order=[2, 0, 1])
    >>> bool(((W[:, 2] >= W[:, 0]) & (W[:, 0] >= W[:, 1])).all()), np.allclose(W.sum(axis=1), 1)
    (True, True)
    >>> W = sample_weights(2, 1000, rng, "intervals", lower=[0.2, 0.0], upper=[0.5, 1.0])
    >>> bool(W[:, 0].min() >= 0.2 and W[:, 0].max() <= 0.5)
    True
    """
    if distribution not in WEIGHT_DISTRIBUTIONS:
        raise UnknownNameError(
            unknown_name(
                "Weight distribution", distribution, WEIGHT_DISTRIBUTIONS, where="a weight distribution for SMAA"
            )
        )
    samples, k = int(samples), int(k)
    if samples < 1 or k < 1:
        raise QualityModelError(f"Need samples >= 1 and k >= 1 to sample weights, got samples={samples}, k={k}.")
    if distribution == "simplex":
        return _simplex(rng, samples, k)
    if distribution == "intervals":
        lo = np.zeros(k) if lower is None else np.asarray(lower, dtype=float)
        hi = np.ones(k) if upper is None else np.asarray(upper, dtype=float)
        if lo.shape != (k,) or hi.shape != (k,):
            raise QualityModelError(f"Interval bounds need {k} values each, got lower={lower!r}, upper={upper!r}.")
        bad = ~(np.isfinite(lo) & np.isfinite(hi) & (lo >= 0) & (lo <= hi) & (hi <= 1))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise QualityModelError(
                f"Weight interval {j} is ({lo[j]!r}, {hi[j]!r}); intervals need 0 <= lower <= upper <= 1 "
                "on the normalised weights."
            )
        return _sample_intervals(rng, samples, lo, hi)
    if distribution == "ordinal":
        perm = list(range(k)) if order is None else [int(i) for i in order]
        if sorted(perm) != list(range(k)):
            raise QualityModelError(f"An ordinal order must be a permutation of 0..{k - 1}, got {order!r}.")
        ranked = -np.sort(-_simplex(rng, samples, k), axis=1)  # descending
        out = np.empty_like(ranked)
        out[:, perm] = ranked
        return out
    if vertices is None:
        raise QualityModelError("The 'stakeholders' distribution needs vertices (one weight vector per stakeholder).")
    V = np.atleast_2d(np.asarray(vertices, dtype=float))
    if V.shape[1] != k or not np.isfinite(V).all() or (V < 0).any() or (V.sum(axis=1) <= 0).any():
        raise QualityModelError(f"Stakeholder weight vectors must be {k} finite weights >= 0, not all 0.")
    V = V / V.sum(axis=1, keepdims=True)
    W = np.clip(_sample_hull(rng, samples, V), 0.0, None)
    return W / W.sum(axis=1, keepdims=True)


def _distribution_arguments(
    prob: Problem, weights: str, intervals: Mapping[str, Any] | None, order: Sequence[str] | None
) -> dict[str, Any]:
    """Translate the name-based arguments of :func:`smaa` into those of :func:`sample_weights`."""
    if weights not in WEIGHT_DISTRIBUTIONS:
        raise UnknownNameError(
            unknown_name(
                "Weight distribution",
                weights,
                WEIGHT_DISTRIBUTIONS,
                where="a weight distribution for SMAA",
                fix="weights='simplex' (no preference), 'intervals' (with intervals=), "
                "'ordinal' (with order=) or 'stakeholders'.",
            )
        )
    names = prob.names
    if intervals is not None and weights != "intervals":
        raise QualityModelError(f"intervals= was given but weights={weights!r}.\n  Fix: pass weights='intervals'.")
    if order is not None and weights != "ordinal":
        raise QualityModelError(f"order= was given but weights={weights!r}.\n  Fix: pass weights='ordinal'.")
    if weights == "intervals":
        if not intervals:
            raise QualityModelError(
                "weights='intervals' needs intervals={objective: (lower, upper)} on the normalised weights, "
                f"e.g. intervals={{{names[0]!r}: (0.2, 0.6)}}."
            )
        lo, hi = np.zeros(prob.k), np.ones(prob.k)
        for name, pair in intervals.items():
            if name not in names:
                raise UnknownObjectiveError(unknown_name("Objective", name, names, where="an objective of the model"))
            try:
                a, b = (float(v) for v in pair)
            except (TypeError, ValueError):
                raise QualityModelError(
                    f"The weight interval of {name!r} must be a pair (lower, upper), got {pair!r}."
                ) from None
            if not (math.isfinite(a) and math.isfinite(b) and 0 <= a <= b <= 1):
                raise QualityModelError(
                    f"The weight interval of {name!r} is {pair!r}; it needs 0 <= lower <= upper <= 1 "
                    "(bounds are on the normalised weights, which sum to 1)."
                )
            j = names.index(name)
            lo[j], hi[j] = a, b
        return {"lower": lo, "upper": hi}
    if weights == "ordinal":
        if not order:
            raise QualityModelError(
                "weights='ordinal' needs order=[...] naming every objective, most important first, "
                f"e.g. order={names!r}."
            )
        order = list(order)
        for name in order:
            if name not in names:
                raise UnknownObjectiveError(unknown_name("Objective", name, names, where="an objective of the model"))
        missing = [n for n in names if n not in order]
        twice = sorted({n for n in order if order.count(n) > 1})
        if missing or twice:
            raise QualityModelError(
                "order= must name every objective exactly once, most important first."
                + (f"\n  Missing: {', '.join(missing)}." if missing else "")
                + (f"\n  Repeated: {', '.join(twice)}." if twice else "")
            )
        return {"order": [names.index(n) for n in order]}
    if weights == "stakeholders":
        sets = prob.model.stakeholders
        if not sets:
            raise QualityModelError(
                "weights='stakeholders' samples between the stakeholders' weight sets, but the model declares "
                "none.\n  Fix: add 'stakeholders: {name: {objective: weight}}' to the quality model, "
                "or use weights='simplex'."
            )
        return {"vertices": np.array([[sets[s][n] for n in names] for s in sets], dtype=float)}
    return {}


# --- shared helpers ----------------------------------------------------------------------------


# --- SMAA-2 ------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False, eq=False)
class SMAAResult:
    """Result of :func:`smaa`; every frame is indexed by candidate id (all candidates).

    Attributes
    ----------
    acceptability : DataFrame
        ``b_a^r``: index candidate, columns ranks ``1..R``. Rows of competing candidates sum to 1
        when the full matrix is computed (``R`` = number of competitors); rows of candidates that
        did not compete are 0.
    first_rank : Series
        ``b_a^1``, the first column of ``acceptability``.
    central_weights : DataFrame
        ``E[w | a first]``, candidate x objective; NaN where ``b_a^1 = 0``.
    confidence : Series
        Confidence factor ``P[a first | w = central weight]``; NaN where ``b_a^1 = 0``.
    competing : Series of bool
        Which candidates competed (the subset).
    samples, seed : int
    weights : str
        The weight distribution.
    method : str
        The scoring method.
    """

    acceptability: pd.DataFrame
    first_rank: pd.Series
    central_weights: pd.DataFrame
    confidence: pd.Series
    competing: pd.Series
    samples: int
    seed: int
    weights: str
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: ``first_rank``, ``confidence`` and ``cw_<objective>`` columns."""
        out = pd.DataFrame({"first_rank": self.first_rank, "confidence": self.confidence})
        return out.join(self.central_weights.add_prefix("cw_"))

    def __repr__(self) -> str:
        top = self.first_rank.sort_values(ascending=False, kind="stable").head(3)
        best = ", ".join(f"{cid}: {v:.3f}" for cid, v in top.items() if v > 0)
        return (
            f"SMAAResult({int(self.competing.sum())} competing of {len(self.competing)}; "
            f"method={self.method}, weights={self.weights}, samples={self.samples}, seed={self.seed}; "
            f"first-rank acceptability {best})"
        )


def _tally(S: np.ndarray, cand: np.ndarray | None, R: int, diff: np.ndarray, rows: np.ndarray, first: list) -> None:
    """Add one chunk of rank counts to ``diff`` (m, R + 1), splitting ties equally.

    S (c, p) rounded scores of p candidates per sample (the top ones, or all); ``cand`` (c, p)
    their competitor indices (None: ``arange(p)``); ``rows`` (c,) sample numbers. A tie group
    occupying ranks ``r..r+t-1`` gives each member ``1/t`` at each of these ranks (as if ties were
    broken at random), recorded as a difference array (+1/t at r, -1/t at r + t). The rank-1
    shares are appended to ``first`` as (sample, competitor, share).
    """
    c, p = S.shape
    idx = np.argsort(-S, axis=1, kind="stable")
    sv = np.take_along_axis(S, idx, axis=1)
    who = idx if cand is None else np.take_along_axis(cand, idx, axis=1)
    pos = np.arange(p)
    new = np.ones((c, p), dtype=bool)
    new[:, 1:] = sv[:, 1:] != sv[:, :-1]
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=1)
    if new.all():  # no ties: each candidate has its own rank
        end, share = np.broadcast_to(pos, (c, p)), np.ones((c, p))
    else:
        last = np.ones((c, p), dtype=bool)
        last[:, :-1] = new[:, 1:]
        end = np.minimum.accumulate(np.where(last, pos, p)[:, ::-1], axis=1)[:, ::-1]
        share = 1.0 / (end - start + 1)
    keep = start < R
    w, s, e, sh = who[keep], start[keep], np.minimum(end[keep] + 1, R), share[keep]
    width = R + 1
    size = diff.size
    diff += np.bincount(w * width + s, weights=sh, minlength=size).reshape(diff.shape)
    diff -= np.bincount(w * width + e, weights=sh, minlength=size).reshape(diff.shape)
    top = start == 0
    r, col = np.nonzero(top)
    first.append((rows[r], who[r, col], share[r, col]))


def _confidence(
    scorer: _Scorer,
    prob: Problem,
    subset: np.ndarray,
    winners: np.ndarray,
    CW: np.ndarray,
    rng: np.random.Generator,
    draws: int,
) -> np.ndarray:
    """P[winner first at its central weight], over draws of the competitors' values."""
    m = int(subset.sum())
    se = _standard_errors(prob)
    se = None if se is None else se[subset]
    if se is None or not (se > 0).any():
        draws = 1
    hits = np.zeros(len(winners))
    Xs = prob.X[subset]
    for _ in range(draws):
        if draws == 1:
            S = scorer(CW)
        else:
            S = scorer(CW, **scorer.values(Xs + se * rng.standard_normal((m, prob.k))))
        Sr = np.round(S, _DECIMALS)
        best_row = Sr.max(axis=1)
        ties = (Sr == best_row[:, None]).sum(axis=1)
        own = Sr[np.arange(len(winners)), winners]
        hits += np.where(own == best_row, 1.0 / ties, 0.0)
    return hits / draws


def _standard_errors(prob: Problem) -> np.ndarray | None:
    """(n, k) standard errors of the point estimates from the replicates, or None without them."""
    cands = prob.candidates
    if cands.replicates is None:
        return None
    reps = cands.replicates[prob.names]
    grouped = reps.groupby(level="candidate", sort=False)
    std = grouped.std(ddof=1).reindex(prob.ids)
    count = grouped.count().reindex(prob.ids)
    se = std.to_numpy(dtype=float) / np.sqrt(count.to_numpy(dtype=float))
    return np.where(np.isfinite(se), se, 0.0)


def smaa(
    candidates: Any,
    model: QualityModel | None = None,
    *,
    samples: int = 10_000,
    seed: int = 0,
    weights: str = "simplex",
    method: str | None = None,
    subset: Any = None,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    order: Sequence[str] | None = None,
    champion: str | None = None,
    max_ranks: int = 10,
    confidence_samples: int = 1_000,
) -> SMAAResult:
    """SMAA-2: rank acceptability, central weights and confidence factors under uncertain weights.

    For ``s`` weight vectors ``w_t`` drawn from the chosen distribution, every competing candidate
    is scored exactly as :func:`workbench.analysis.scoring.rank` scores it, and

    - ``b_a^r = (1/s) Σ_t 1[rank_t(a) = r]`` (rank acceptability; ties in score, equal to 12
      decimals, split the mass equally over the ranks the tied group occupies, so symmetric
      candidates share it),
    - ``w_a^c = Σ_t 1[rank_t(a) = 1] w_t / Σ_t 1[rank_t(a) = 1]`` (central weight),
    - ``p_a^c = P[rank(a) = 1 | w = w_a^c]`` (confidence factor; see the module docstring).

    Parameters
    ----------
    candidates : Candidates, DataFrame, source spec or Problem
    model : QualityModel, optional
        Not needed when ``candidates`` is already a ``Problem``.
    samples : int
        Number of weight vectors; the Monte Carlo standard error of ``b_a^r`` is at most
        ``0.5 / sqrt(samples)``.
    seed : int
        Seed of ``numpy.random.default_rng``: same inputs and seed, identical result.
    weights : {"simplex", "intervals", "ordinal", "stakeholders"}
        Weight distribution (see :func:`sample_weights`): no preference information (uniform on
        the simplex); ``intervals={objective: (lower, upper)}`` on the normalised weights
        (objectives left out are free in [0, 1]); ``order=[most important, ...]`` naming every
        objective; or anywhere between the model's stakeholders' weight sets (uniform on their
        convex hull).
    method : str, optional
        Scoring method; default: the model's.
    subset : bool mask (n,), boolean Series by candidate id, or list of ids, optional
        Which candidates compete. Default: the Pareto front of the feasible candidates (only
        they can be ranked first), or the unconstrained front when none is feasible — what
        ``analyze`` passes. Within the subset candidates compete on score alone (constraints
        are not re-applied). Candidates outside it are still reported, with 0 acceptability at
        every rank and NaN central weights and confidence.
    intervals, order
        Parameters of the ``intervals`` and ``ordinal`` distributions.
    champion : str, optional
        Baseline of relative constraints.
    max_ranks : int
        With more than ``FULL_RANKS_LIMIT`` (50) competitors only ranks ``1..max_ranks`` are
        computed (by a partial sort); otherwise the full matrix, ranks ``1..m``.
    confidence_samples : int
        Draws of the measured values for the confidence factors (only with replicates).
        Normalisation bounds (and TOPSIS's column norms, ideal and anti-ideal) are held at the
        point estimates' values across draws, so the factor reflects measurement noise only.

    Returns
    -------
    SMAAResult

    Examples
    --------
    Normalised, ``a = (0, 1)``, ``b = (1, 0)`` and ``c = (0.4, 0.4)`` (0 best): with a weighted
    sum, ``a`` wins when ``w_acc > 0.6``, ``b`` when ``w_acc < 0.4`` and ``c`` in between.

    >>> import pandas as pd
    >>> from workbench.quality import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "bounds": [1.0, 0.0]},
    ...     {"name": "ms", "direction": "min", "bounds": [0, 100]}]})
    >>> df = pd.DataFrame({"id": ["a", "b", "c"], "acc": [1.0, 0.0, 0.6], "ms": [100, 0, 40]})
    >>> r = smaa(df, qm, samples=20_000, seed=1)
    >>> r.first_rank.round(1).to_dict()
    {'a': 0.4, 'b': 0.4, 'c': 0.2}
    >>> r.central_weights.round(1)
               acc   ms
    candidate
    a          0.8  0.2
    b          0.2  0.8
    c          0.5  0.5
    >>> r.confidence.to_dict()
    {'a': 1.0, 'b': 1.0, 'c': 1.0}
    """
    prob = _as_problem(candidates, model, champion)
    method = check_method(method or prob.model.method)
    samples, seed = check_samples(samples), check_seed(seed)
    if int(max_ranks) < 1:
        raise QualityModelError(f"max_ranks must be >= 1, got {max_ranks!r}.")
    dist_args = _distribution_arguments(prob, weights, intervals, order)

    from workbench.analysis.feasibility import feasibility

    feasible = feasibility(prob, None)["feasible"].to_numpy()
    mask = _subset_mask(prob, subset, feasible)
    comp = np.flatnonzero(mask)
    m, k = len(comp), prob.k
    R = m if m <= FULL_RANKS_LIMIT else min(int(max_ranks), m)

    rng = np.random.default_rng(seed)
    W = sample_weights(k, samples, rng, weights, **dist_args)
    scorer = _Scorer.build(prob, method, mask, feasible)

    diff = np.zeros((m, R + 1))
    firsts: list = []
    chunk = max(1, _CHUNK_BYTES // scorer.bytes_per_weight)
    for lo in range(0, samples, chunk):
        Wc = W[lo : lo + chunk]
        rows = np.arange(lo, lo + len(Wc))
        Sr = np.round(scorer(Wc), _DECIMALS)
        if m <= R:
            _tally(Sr, None, R, diff, rows, firsts)
            continue
        part = np.argpartition(-Sr, R - 1, axis=1)[:, :R]
        top = np.take_along_axis(Sr, part, axis=1)
        # A tie group that straddles rank R has members outside `part`: rank those rows in full.
        closed = (Sr >= top.min(axis=1)[:, None]).sum(axis=1) == R
        if closed.any():
            _tally(top[closed], part[closed], R, diff, rows[closed], firsts)
        if not closed.all():
            _tally(Sr[~closed], None, R, diff, rows[~closed], firsts)

    A = np.cumsum(diff[:, :R], axis=1) / samples
    A = np.clip(A, 0.0, 1.0)  # cumulative sums of +-1/t leave ~1e-16 residues
    A[np.abs(A) < 1e-12] = 0.0
    srow = np.concatenate([f[0] for f in firsts])
    scand = np.concatenate([f[1] for f in firsts])
    sshare = np.concatenate([f[2] for f in firsts])
    mass = np.bincount(scand, weights=sshare, minlength=m)
    num = np.stack([np.bincount(scand, weights=sshare * W[srow, j], minlength=m) for j in range(k)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        CW = np.where(mass[:, None] > 0, num / np.where(mass > 0, mass, 1.0)[:, None], np.nan)

    winners = np.flatnonzero(mass > 0)
    conf = np.full(m, np.nan)
    if len(winners):
        conf[winners] = _confidence(scorer, prob, mask, winners, CW[winners], rng, int(confidence_samples))

    ranks = pd.Index(range(1, R + 1), name="rank")
    acc = np.zeros((prob.n, R))
    acc[comp] = A
    cw = np.full((prob.n, k), np.nan)
    cw[comp] = CW
    cf = np.full(prob.n, np.nan)
    cf[comp] = conf
    acceptability = pd.DataFrame(acc, index=prob.ids, columns=ranks)
    return SMAAResult(
        acceptability=acceptability,
        first_rank=acceptability[1].rename("first_rank"),
        central_weights=pd.DataFrame(cw, index=prob.ids, columns=list(prob.names)),
        confidence=pd.Series(cf, index=prob.ids, name="confidence"),
        competing=pd.Series(mask, index=prob.ids, name="competing"),
        samples=samples,
        seed=seed,
        weights=weights,
        method=method,
    )
