"""Pure numpy kernels: ``ndarray -> ndarray`` maths with shapes in the docstrings.

Conventions for every kernel here:

- ``F`` (n, k): objective values turned into minimisation (maximised objectives negated).
- ``N`` (n, k): ``F`` min-max normalised, 0 at the ideal and 1 at the nadir of each objective.
- ``w`` (k,) or ``W`` (s, k): weights >= 0 summing to 1; a larger weight means *more important*.
- Scores are utilities: **higher is better**, for every method.

The public functions in ``workbench.analysis`` validate inputs and label results; the kernels trust
their inputs.
"""

from __future__ import annotations

import numpy as np

from workbench.analysis._jit import njit

__all__ = [
    "distinct_argsort",
    "stable_argsort",
    "normalize",
    "weighted_sum",
    "tchebycheff",
    "asf",
    "topsis",
    "topsis_parts",
    "topsis_closeness",
    "pseudo_weights",
    "tradeoff_knees",
    "hypervolume_2d",
    "hv_contributions_2d",
]


def distinct_argsort(values: np.ndarray) -> np.ndarray | None:
    """The order of a 1-D float array by one introsort when no two values are equal (then every
    sort, stable or not, gives that order); None when some are (or NaN is there).

    >>> distinct_argsort(np.array([0.3, 0.1, 0.2])), distinct_argsort(np.array([1.0, 0.0, 1.0]))
    (array([1, 2, 0]), None)
    """
    by = np.argsort(values)
    v = values[by]
    return by if len(v) < 2 or (v[1:] > v[:-1]).all() else None


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` of a 1-D float array, in a third of the time when no
    two values are equal (:func:`distinct_argsort`).

    >>> stable_argsort(np.array([0.3, 0.1, 0.2])), stable_argsort(np.array([1.0, 0.0, 1.0]))
    (array([1, 2, 0]), array([1, 0, 2]))
    """
    by = distinct_argsort(values)
    return np.argsort(values, kind="stable") if by is None else by


def normalize(F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """``N = (F - ideal) / (nadir - ideal)``; a zero range (one distinct value) maps to 0.

    A range below the float resolution of the column's magnitudes (e.g. ``5e-324`` among values
    near 1) is rounding noise and counts as zero too: dividing by it would overflow.
    F (n, k), ideal (k,), nadir (k,) -> N (n, k).

    >>> normalize(np.array([[1.0], [0.0], [5e-324]]), np.array([0.0]), np.array([5e-324])).ravel().tolist()
    [1.0, 0.0, 5e-324]
    """
    span = nadir - ideal
    scale = np.maximum(np.abs(ideal), np.abs(nadir))
    if len(F):
        scale = np.maximum(scale, np.abs(F).max(axis=0))
    span = np.where(span > scale * np.finfo(float).eps, span, 1.0)
    return (F - ideal) / span


def weighted_sum(N: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Utility ``1 - sum_i w_i N_i`` (a weighted sum of normalised goodness).

    N (n, k), W (k,) -> (n,), or W (s, k) -> (s, n).
    """
    return 1.0 - (N @ W if W.ndim == 1 else W @ N.T)


def tchebycheff(N: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Utility ``1 - max_i w_i N_i``: weighted Tchebycheff distance to the ideal (N = 0).

    Unlike the weighted sum, it reaches every point of a non-convex front.
    N (n, k), W (k,) -> (n,), or W (s, k) -> (s, n).
    """
    if W.ndim == 1:
        return 1.0 - (N * W).max(axis=1)
    # loop over the (few) objectives rather than materialising an (s, n, k) array
    worst = np.outer(W[:, 0], N[:, 0])
    for i in range(1, N.shape[1]):
        np.maximum(worst, np.outer(W[:, i], N[:, i]), out=worst)
    return 1.0 - worst


def asf(N: np.ndarray, W: np.ndarray, reference: np.ndarray, rho: float = 1e-4) -> np.ndarray:
    """Utility ``-(max_i w_i (N_i - r_i) + rho * sum_i w_i (N_i - r_i))``, the augmented ASF.

    The achievement scalarising function (Wierzbicki 1980) measured from the reference point ``r``
    (normalised aspiration levels). Weights multiply, so a larger weight penalises shortfall on
    that objective more; this equals pymoo's ``ASF`` with weights ``1/w`` (pymoo divides).
    N (n, k), W (k,), reference (k,) -> (n,); W (s, k) -> (s, n).
    """
    D = N - reference
    if W.ndim == 1:
        WD = D * W
        return -(WD.max(axis=1) + rho * WD.sum(axis=1))
    worst = np.outer(W[:, 0], D[:, 0])
    total = worst.copy()
    for i in range(1, D.shape[1]):
        term = np.outer(W[:, i], D[:, i])
        np.maximum(worst, term, out=worst)
        total += term
    return -(worst + rho * total)


def topsis(X: np.ndarray, W: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """TOPSIS closeness ``D- / (D+ + D-)`` on the raw decision matrix (Hwang & Yoon 1981).

    Columns are vector-normalised (``x / ||x||``), weighted, and compared with the positive ideal
    (best value per column) and the negative ideal (worst). A column whose norm is 0 contributes 0.
    X (n, k) raw values, W (k,) or (s, k) >= 0, benefit (k,) bool -> (n,) or (s, n), in [0, 1].
    """
    closeness = topsis_closeness(W, *topsis_parts(X, benefit))
    return closeness[0] if W.ndim == 1 else closeness


def topsis_parts(X: np.ndarray, benefit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vector-normalised values and the column ideal/anti-ideal: X (n, k), benefit (k,) ->
    ``R`` (n, k), ``best`` (k,), ``worst`` (k,). The weighted ideal is ``w * best`` (weights >= 0)."""
    norm = np.sqrt((X**2).sum(axis=0))
    R = X / np.where(norm > 0, norm, 1.0)
    best = np.where(benefit, R.max(axis=0), R.min(axis=0))
    worst = np.where(benefit, R.min(axis=0), R.max(axis=0))
    return R, best, worst


def topsis_closeness(W: np.ndarray, R: np.ndarray, best: np.ndarray, worst: np.ndarray) -> np.ndarray:
    """TOPSIS closeness of the rows of R for a batch of weights: W (s, k) or (k,) -> (s, n).

    With weights >= 0, ``max_i w_j R_ij = w_j max_i R_ij``, so the distances are
    ``sqrt(Σ_j w_j² (R_ij - R*_j)²)``: two matrix products, no (s, n, k) temporary.
    """
    W2 = np.atleast_2d(W) ** 2
    d_plus = np.sqrt(np.clip(W2 @ ((R - best) ** 2).T, 0.0, None))
    d_minus = np.sqrt(np.clip(W2 @ ((R - worst) ** 2).T, 0.0, None))
    total = d_plus + d_minus
    return np.divide(d_minus, total, out=np.full_like(total, 0.5), where=total > 0)


def pseudo_weights(N: np.ndarray) -> np.ndarray:
    """Deb's pseudo-weights ``(1 - N_i) / sum_j (1 - N_j)`` of each point (rows sum to 1).

    With ``N`` normalised by the front's ideal and nadir, ``1 - N_i`` is the relative distance
    from the worst value; a point at the nadir of every objective gets equal weights.
    N (n, k) -> (n, k).
    """
    G = np.clip(1.0 - N, 0.0, None)
    total = G.sum(axis=1, keepdims=True)
    k = N.shape[1]
    return np.divide(G, total, out=np.full_like(G, 1.0 / k), where=total > 0)


#: Bytes of one (block, m, k) float64 temporary in the pairwise kernels below: rows are processed
#: in blocks so memory stays O(block * m * k) instead of O(m^2 * k) (a 5,000-member front in 5-D
#: would need 1 GB per temporary). Each row's numbers are the same whatever the block size.
PAIRWISE_BLOCK_BYTES = 32 * 2**20


#: numpy sums fewer than 8 values along a row one after the other (from 8 on it unrolls and
#: pairs them); below this many objectives the compiled loops below add in that same order, so
#: they give the numpy formulas' numbers bit for bit, without the (block, m, k) temporaries.
_SEQUENTIAL_SUM_MAX_K = 8
#: Up to this many points the numpy blocks are used anyway (as fast, and they need no compiler).
_SMALL = 256


@njit(cache=True, inline="always")
def _square_screen(d):  # pragma: no cover - compiled
    """A bound on squared distances: ``sqrt(sq) > d`` for every ``sq`` above it. None (inf) when
    ``d`` is NaN or below ~1e-150, where its square is not exact enough (or underflows)."""
    return d * d * (1.0 + 1e-9) if d > 1e-150 else np.inf


@njit(cache=True)
def _tradeoff_knees_loop(N, radius):  # pragma: no cover - compiled
    """Each pair once (``i < j``): ``N_j - N_i`` is exactly ``-(N_i - N_j)`` in floating point, so
    the pair's gain from ``i`` is its loss from ``j`` and their distances are equal, summed over
    the objectives in their order as the numpy blocks sum them (bit for bit). A squared distance
    clearly beyond ``radius**2`` skips the square root; the radius test itself is the blocks'.
    """
    m, k = N.shape
    best = np.full(m, np.inf)
    found = np.zeros(m, dtype=np.bool_)
    screen = _square_screen(radius)
    for i in range(m - 1):
        best_i = best[i]
        found_i = found[i]
        for j in range(i + 1, m):
            gain = 0.0
            loss = 0.0
            sq = 0.0
            for c in range(k):
                d = N[i, c] - N[j, c]
                gain += max(d, 0.0)
                loss += max(-d, 0.0)
                sq += d * d
            if sq <= screen:
                dist = np.sqrt(sq)
                if dist <= radius and dist > 0.0:
                    found_i = True
                    found[j] = True
                    there = loss / gain if gain > 0.0 else np.inf  # moving from i to j
                    back = gain / loss if loss > 0.0 else np.inf  # from j to i
                    if there < best_i:
                        best_i = there
                    if back < best[j]:
                        best[j] = back
        best[i] = best_i
        found[i] = found_i
    out = np.full(m, np.nan)
    for i in range(m):
        if found[i]:
            out[i] = best[i]
    return out


@njit(cache=True)
def _before(d1, j1, d2, j2):  # pragma: no cover - compiled
    """(distance, index) order of a stable argsort: NaN last, ties by the lower index."""
    if np.isnan(d1):
        return np.isnan(d2) and j1 < j2
    if np.isnan(d2):
        return True
    return d1 < d2 or (d1 == d2 and j1 < j2)


@njit(cache=True)
def _nearest_loop(N, count):  # pragma: no cover - compiled
    m, k = N.shape
    out = np.empty((m, count), dtype=np.int64)
    best_d = np.empty(count)
    best_j = np.empty(count, dtype=np.int64)
    for i in range(m):
        filled = 0
        screen = np.inf  # once full: squared distances above it cannot come before the last kept
        for j in range(m):
            if j == i:
                d = np.inf
            else:
                sq = 0.0
                for c in range(k):
                    diff = N[i, c] - N[j, c]
                    sq += diff * diff
                if sq > screen:
                    continue
                d = np.sqrt(sq)
            if filled == count and not _before(d, j, best_d[count - 1], best_j[count - 1]):
                continue
            pos = filled if filled < count else count - 1
            while pos > 0 and _before(d, j, best_d[pos - 1], best_j[pos - 1]):
                if pos < count:
                    best_d[pos] = best_d[pos - 1]
                    best_j[pos] = best_j[pos - 1]
                pos -= 1
            best_d[pos] = d
            best_j[pos] = j
            if filled < count:
                filled += 1
            if filled == count:
                screen = _square_screen(best_d[count - 1])
        for r in range(count):
            out[i, r] = best_j[r]
    return out


def _row_blocks(m: int, k: int) -> range:
    step = max(1, PAIRWISE_BLOCK_BYTES // max(1, 8 * m * k))
    return range(0, m, step)


def tradeoff_knees(N: np.ndarray, radius: float) -> np.ndarray:
    """Least sacrifice per unit gain of each front point against its neighbours within ``radius``.

    For point i and a neighbour j (Euclidean distance in N below ``radius``), moving from i to j
    gains ``sum max(0, N_i - N_j)`` and sacrifices ``sum max(0, N_j - N_i)``; the trade-off of i
    is the smallest ``sacrifice / gain`` over its neighbours (Rachmawati & Srinivasan 2009): a knee
    is a point where every move costs much more than it brings. Points with no neighbour within
    the radius get NaN (nothing to compare); duplicates of a point are not its neighbours.
    Computed in blocks of rows (memory O(block * m * k)).
    N (m, k) mutually non-dominated points -> (m,).
    """
    m, k = N.shape
    out = np.full(m, np.nan)
    if m < 2:
        return out
    if m > _SMALL and k < _SEQUENTIAL_SUM_MAX_K:
        return _tradeoff_knees_loop(np.ascontiguousarray(N, dtype=np.float64), float(radius))
    blocks = _row_blocks(m, k)
    for lo in blocks:
        hi = min(lo + blocks.step, m)
        with np.errstate(invalid="ignore"):  # inf - inf: NaN, never near (as in the compiled loop)
            diff = N[lo:hi, None, :] - N[None, :, :]  # diff[i, j] = N_i - N_j
        gain = np.clip(diff, 0, None).sum(axis=2)
        loss = np.clip(-diff, 0, None).sum(axis=2)
        dist = np.sqrt((diff**2).sum(axis=2))
        del diff
        near = (dist <= radius) & (dist > 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a subnormal gain: infinite
            ratio = np.where(gain > 0, loss / gain, np.inf)
        ratio = np.where(near, ratio, np.inf)
        has = near.any(axis=1)
        out[lo:hi][has] = ratio[has].min(axis=1)
    return out


def nearest_neighbours(N: np.ndarray, count: int) -> np.ndarray:
    """Indices of each point's ``count`` nearest other points (Euclidean), nearest first; ties
    broken by the lower index (as a stable sort of the distances would). Computed in blocks of rows.
    N (m, k), count < m -> (m, count) int.
    """
    m, k = N.shape
    out = np.empty((m, count), dtype=np.intp)
    if count <= 0:
        return out
    if m > _SMALL and k < _SEQUENTIAL_SUM_MAX_K:
        return _nearest_loop(np.ascontiguousarray(N, dtype=np.float64), count).astype(np.intp)
    blocks = _row_blocks(m, k)
    for lo in blocks:
        hi = min(lo + blocks.step, m)
        with np.errstate(invalid="ignore"):
            dist = np.sqrt(((N[lo:hi, None, :] - N[None, :, :]) ** 2).sum(axis=2))
        dist[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        if count < m - 1:
            # the count-th smallest distance of each row; every index at or below it is a candidate
            kth = np.partition(dist, count - 1, axis=1)[:, count - 1]
            for r in range(hi - lo):
                cand = np.flatnonzero(dist[r] <= kth[r])
                if len(cand) < count:  # NaN distances: fall back to the full sort of the row
                    cand = np.arange(m)
                out[lo + r] = cand[np.argsort(dist[r, cand], kind="stable")[:count]]
        else:
            out[lo:hi] = np.argsort(dist, axis=1, kind="stable")[:, :count]
    return out


def hypervolume_2d(F: np.ndarray, ref: np.ndarray) -> float:
    """Area dominated by the points of ``F`` and bounded by ``ref`` (minimisation), by a sweep.

    Points not strictly better than ``ref`` in both objectives add nothing.
    F (n, 2), ref (2,) -> float.
    """
    P = F[(ref > F).all(axis=1)]
    if len(P) == 0:
        return 0.0
    P = P[np.lexsort((P[:, 1], P[:, 0]))]
    best_y = np.minimum.accumulate(P[:, 1])
    # Each step in x from P[i] to the next point covers (x_next - x_i) * (ref_y - best_y_i).
    x_next = np.append(P[1:, 0], ref[0])
    return float(((x_next - P[:, 0]) * (ref[1] - best_y)).sum())


def hv_contributions_2d(F: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Exclusive hypervolume contribution of each point in 2-D, exactly, in O(n log n).

    On the front sorted by the first objective, point i alone covers the box between its
    neighbours: ``(x_next - x_i) * (y_prev - y_i)``. Dominated points, duplicates and points
    outside ``ref`` contribute 0.
    F (n, 2), ref (2,) -> (n,).
    """
    n = len(F)
    out = np.zeros(n)
    inside = np.flatnonzero((ref > F).all(axis=1))
    if len(inside) == 0:
        return out
    P = F[inside]
    order = np.lexsort((P[:, 1], P[:, 0]))
    P, idx = P[order], inside[order]
    # keep the first of each run with a strictly smaller y than everything before (the front)
    prev_best = np.concatenate([[np.inf], np.minimum.accumulate(P[:-1, 1])])
    on_front = P[:, 1] < prev_best
    dup = np.zeros(len(P), dtype=bool)
    dup[1:] = (P[1:] == P[:-1]).all(axis=1)
    dup[:-1] |= dup[1:]
    Q, qidx = P[on_front], idx[on_front]
    x_next = np.append(Q[1:, 0], ref[0])
    y_prev = np.concatenate([[ref[1]], Q[:-1, 1]])
    out[qidx] = (x_next - Q[:, 0]) * (y_prev - Q[:, 1])
    out[idx[dup]] = 0.0
    return out


_RADIX_BITS = 13
_RADIX_PASSES = 5  # 5 x 13 >= 64 bits


@njit(cache=True)
def _float_keys(x):  # pragma: no cover - compiled
    """Unsigned integers in the order of the floats ``x`` (no NaN; -0.0 and 0.0 are one value)."""
    n = x.shape[0]
    keys = np.empty(n, dtype=np.uint64)
    top = np.uint64(1) << np.uint64(63)
    bits = x.view(np.uint64)
    for i in range(n):
        u = np.uint64(0) if x[i] == 0.0 else bits[i]
        keys[i] = ~u if u & top else u | top
    return keys


@njit(cache=True)
def _radix_min_ranks(keys):  # pragma: no cover - compiled
    """1-based ranks of unsigned ``keys`` (equal keys share the smallest), by an LSD radix sort;
    digits on which every key agrees are skipped. Overwrites ``keys``."""
    n = keys.shape[0]
    size = 1 << _RADIX_BITS
    mask = np.uint64(size - 1)
    counts = np.zeros((_RADIX_PASSES, size), dtype=np.int64)
    for i in range(n):
        u = keys[i]
        for p in range(_RADIX_PASSES):
            counts[p, (u >> np.uint64(p * _RADIX_BITS)) & mask] += 1
    order = np.arange(n)
    order2 = np.empty(n, dtype=np.int64)
    keys2 = np.empty(n, dtype=np.uint64)
    start = np.empty(size, dtype=np.int64)
    for p in range(_RADIX_PASSES):
        shift = np.uint64(p * _RADIX_BITS)
        skip = n == 0
        for b in range(size):
            if counts[p, b] == n:  # every key has this digit: the pass changes nothing
                skip = True
                break
        if skip:
            continue
        total = 0
        for b in range(size):
            start[b] = total
            total += counts[p, b]
        for t in range(n):  # keys travel with their rows: sequential reads
            u = keys[t]
            d = (u >> shift) & mask
            pos = start[d]
            keys2[pos] = u
            order2[pos] = order[t]
            start[d] = pos + 1
        order, order2 = order2, order
        keys, keys2 = keys2, keys
    ranks = np.empty(n, dtype=np.int64)
    r = 1
    for t in range(n):
        if t == 0 or keys[t] != keys[t - 1]:
            r = t + 1
        ranks[order[t]] = r
    return ranks


def min_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of ``x`` in ascending order, equal values sharing the smallest rank
    (``scipy.stats.rankdata(x, method="min")``), by a radix sort: linear in ``n``.

    x (n,) float without NaN -> (n,) int64.

    >>> min_ranks(np.array([0.5, -1.0, 0.5, 2.0, -0.0, 0.0])).tolist()
    [4, 1, 4, 6, 2, 2]
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    return _radix_min_ranks(_float_keys(x if x.flags.writeable else x.copy()))


def score_ranks(score: np.ndarray, decimals: int = 12) -> np.ndarray:
    """1-based ranks by *descending* score rounded to ``decimals`` (equal rounded scores share
    the smallest rank): ``min_ranks(-np.round(score, decimals))``.

    Rounded scores are integers times ``10**-decimals``, so for scores of moderate size the
    integers are sorted instead (fewer radix digits). score (n,) float, no NaN -> (n,) int64.

    >>> score_ranks(np.array([0.2, 0.9, 0.2 + 1e-14, 0.5])).tolist()
    [3, 1, 3, 2]
    """
    score = np.asarray(score, dtype=np.float64)
    if score.size and np.abs(score).max() < 1e3:  # integers below 2**53: exact and injective
        q = np.rint(score * -(10.0**decimals))
        return _radix_min_ranks((q - q.min()).astype(np.uint64))
    return min_ranks(-np.round(score, decimals))
