"""Confidence intervals of monitoring windows: one implementation, used by every engine.

Every engine (DuckDB, Dask, the pandas reference) hands the same *sufficient statistics* to these
functions (counts, sums, sample variances, or a window's raw values for quantiles), so ``n`` and
the bounds are the same on every engine by construction.

Methods (``level`` is two-sided, default 0.95, ``alpha = 1 - level``, ``z`` its normal quantile):

``wilson`` -- rates and proportions (``error_rate``, ``aggregation: rate``, ``accuracy``)
    The Wilson score interval for ``k`` successes in ``n`` trials (E. B. Wilson, JASA 1927):
    ``(k + z^2/2) / (n + z^2) +- z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)``. Good coverage at
    small ``n`` and near 0 or 1, where the Wald interval collapses (a window with no error has
    a Wald interval of width 0). Same as ``statsmodels ... proportion_confint(method="wilson")``.
``f1``
    F1 = 2J / (1 + J) with J = TP / (TP + FP + FN) (the Jaccard index). Given the number of rows
    that are TP, FP or FN, J is a binomial proportion, so its Wilson interval mapped through the
    increasing function ``2J / (1 + J)`` is an interval for F1.
``order_statistic`` -- quantiles (p50, p95, p99, ...)
    Distribution-free: the interval ``[x_(l), x_(u)]`` of sorted values whose ranks come from the
    binomial distribution of the number of values below the true quantile:
    ``l = binom.ppf(alpha/2, n, q)`` and ``u = binom.isf(alpha/2, n, q) + 1`` (1-based), exactly as
    ``scipy.stats.quantile_test(x, p=q).confidence_interval(level)``. Coverage is at least
    ``level`` for any continuous distribution. A bound whose rank falls outside ``1..n`` does not
    exist (NaN): e.g. the upper bound of a p95 needs n >= 72 at 95 %, of a p99 n >= 368.
``t`` -- means (``aggregation: mean``, ``mean_per_1k``)
    Student's t: ``mean +- t_{1-alpha/2, n-1} * s / sqrt(n)``; needs n >= 2. A ``mean`` whose
    window holds only the values 0 and 1 is a proportion and gets the Wilson interval instead
    (Student's t can pass 1 on a few dozen values).
``sum_per_1k`` (``cost_per_1k``, ``energy_per_1k``)
    The point estimate is ``1000 * sum / n_requests``: the mean per request (a request without an
    amount counts as 0) times 1000, so its interval is the Student-t interval of that mean, with
    the variance of the per-request amounts (missing as 0), times 1000. Per-request costs are
    skewed; the t interval relies on the central limit theorem, which holds at the window sizes
    where a verdict is drawn (hundreds of requests and more).

Aggregations without a sampling interval (``sum``, ``min``, ``max``, ``count``, ``last``,
``parity_difference``, ``latency_psi``) carry ``n`` and NaN bounds.
"""

from __future__ import annotations

import numpy as np

from workbench.errors import MonitoringError

__all__ = [
    "DEFAULT_LEVEL",
    "check_level",
    "f1_interval",
    "minimum_n_quantile",
    "minimum_n_rate",
    "order_statistics",
    "quantile_ranks",
    "quantiles_with_intervals",
    "t_interval",
    "wilson",
]

#: The interval level used when none is stated.
DEFAULT_LEVEL = 0.95


def check_level(level: float) -> float:
    """The level as a float in (0, 1), else :class:`MonitoringError` naming the valid range.

    >>> check_level(0.9)
    0.9
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    workbench.errors.MonitoringError: Interval level 95 is not in (0, 1)...
    """
    try:
        value = float(level)
    except (TypeError, ValueError):
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise MonitoringError(
            f"Interval level {level!r} is not in (0, 1).\n"
            "  Valid: a probability such as 0.9, 0.95 (the default) or 0.99."
        )
    return value


def _z(level: float) -> float:
    # scipy.special, not scipy.stats: the same function (``norm.ppf`` is ``ndtri``) at a tenth of
    # the import time, which ``aggregate`` would otherwise pay on its first call
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 2))


def wilson(k: np.ndarray, n: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``k`` successes in ``n`` trials (arrays; NaN where ``n`` is 0).

    >>> lo, hi = wilson(np.array([0.0]), np.array([100.0]))
    >>> round(float(lo[0]), 6), round(float(hi[0]), 4)
    (0.0, 0.037)
    """
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = _z(level)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (k + z2 / 2) / (n + z2)
        half = z / (n + z2) * np.sqrt(np.maximum(k * (n - k) / n, 0.0) + z2 / 4)
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0) | np.isnan(k)
    lo = np.where(bad, np.nan, np.where(k <= 0, 0.0, lo))
    hi = np.where(bad, np.nan, np.where(k >= n, 1.0, hi))
    del p
    return lo, hi


def f1_interval(
    tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, level: float = DEFAULT_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """Interval of F1 = 2TP / (2TP + FP + FN) from the Wilson interval of J = TP / (TP + FP + FN)."""
    tp = np.asarray(tp, dtype="float64")
    m = tp + np.asarray(fp, dtype="float64") + np.asarray(fn, dtype="float64")
    lo, hi = wilson(tp, m, level)
    return 2 * lo / (1 + lo), 2 * hi / (1 + hi)


def t_interval(
    mean: np.ndarray, var: np.ndarray, n: np.ndarray, level: float = DEFAULT_LEVEL
) -> tuple[np.ndarray, np.ndarray]:
    """Student-t interval of a mean from its sample variance (``ddof=1``) and ``n`` (NaN for n < 2)."""
    from scipy.special import stdtrit  # ``scipy.stats.t.ppf(q, df)`` is ``stdtrit(df, q)``

    mean = np.asarray(mean, dtype="float64")
    n = np.asarray(n, dtype="float64")
    var = np.asarray(var, dtype="float64")
    ok = n >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = stdtrit(np.where(ok, n - 1, 1.0), 0.5 + level / 2)
        half = crit * np.sqrt(np.maximum(var, 0.0) / n)
    return np.where(ok, mean - half, np.nan), np.where(ok, mean + half, np.nan)


def quantile_ranks(n: int, q: float, level: float = DEFAULT_LEVEL) -> tuple[int, int]:
    """0-based ranks ``(lo, hi)`` of the order-statistic interval; ``-1`` / ``n`` when a bound does not exist.

    The same ranks as ``scipy.stats.quantile_test(x, p=q).confidence_interval(level)``.

    >>> quantile_ranks(100, 0.5)
    (39, 60)
    """
    if n <= 0:
        return -1, 0
    a = (1 - level) / 2
    return _binom_ppf(a, n, q) - 1, _binom_isf(a, n, q)


def _binom_search(ok, k: int, n: int) -> int:
    """Smallest ``k`` in ``0..n`` with ``ok(k)`` (``ok`` is monotone), searching from a guess."""
    k = min(max(k, 0), n)
    while k > 0 and ok(k - 1):
        k -= 1
    while k < n and not ok(k):
        k += 1
    return k


def _binom_ppf(a: float, n: int, q: float) -> int:
    """``scipy.stats.binom.ppf(a, n, q)``: the smallest ``k`` with ``P(X <= k) >= a``.

    With ``scipy.special`` (a tenth of the import time of ``scipy.stats``); the guess from the
    inverse CDF is corrected by exact CDF checks, so the result is the definition's.
    """
    from scipy.special import bdtr, bdtrik

    guess = bdtrik(a, n, q)
    return _binom_search(lambda k: bdtr(k, n, q) >= a, int(guess) if np.isfinite(guess) else 0, n)


def _binom_isf(a: float, n: int, q: float) -> int:
    """``scipy.stats.binom.isf(a, n, q)``: the smallest ``k`` with ``P(X > k) <= a``."""
    from scipy.special import bdtrc, bdtrik

    guess = bdtrik(1 - a, n, q)
    return _binom_search(lambda k: bdtrc(k, n, q) <= a, int(guess) if np.isfinite(guess) else n, n)


def quantiles_with_intervals(
    values: np.ndarray, qs: list[float], level: float = DEFAULT_LEVEL, clean: bool = False
) -> list[tuple[float, float, float]]:
    """``(point, lo, hi)`` per quantile of one window's values (NaNs ignored).

    The point is the linear-interpolation quantile (position ``(n - 1) q``, numpy's default and
    DuckDB's ``quantile_cont``); the bounds are the order statistics of :func:`quantile_ranks`.
    The order statistics come from :func:`order_statistics` (``values`` is not changed).
    """
    x = np.asarray(values, dtype="float64")
    if not clean:  # ``clean``: the caller guarantees there is no NaN
        x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return [(np.nan, np.nan, np.nan) for _ in qs]
    plans = []
    need: set[int] = set()
    for q in qs:
        pos = (n - 1) * q
        below = int(np.floor(pos))
        above = min(below + 1, n - 1)
        lo, hi = quantile_ranks(n, q, level)
        plans.append((pos, below, above, lo, hi))
        need.update((below, above))
        need.update(r for r in (lo, hi) if 0 <= r < n)
    part = order_statistics(x, sorted(need))
    out = []
    for pos, below, above, lo, hi in plans:
        a, b = part[below], part[above]
        t = pos - below
        point = float(a + (b - a) * t) if t < 0.5 else float(b - (b - a) * (1 - t))  # numpy's _lerp
        out.append((point, float(part[lo]) if 0 <= lo < n else np.nan, float(part[hi]) if 0 <= hi < n else np.nan))
    return out


#: Below this many values one ``np.partition`` over all of them is as fast as bracketing.
_BRACKET_FROM = 20_000
#: Values sampled to place the brackets (sorting them takes ~0.2 ms).
_BRACKET_SAMPLE = 8192


def order_statistics(x: np.ndarray, ranks: list[int]) -> dict[int, float]:
    """The values of the 0-based sorted ``ranks`` (ascending, within ``0..len(x)-1``) of ``x`` (no NaN).

    Exact, like ``np.partition(x, ranks)[ranks]``, and on large windows about 2.5x faster: the
    ranks a window's quantiles and their intervals need lie in a few narrow bands (Floyd and
    Rivest's selection, CACM 1975). An evenly spaced sample places a value bracket ``[a, b]``
    around each band (4 binomial standard deviations of the sample rank either side); one
    pass counts the values below ``a`` and copies those inside the bracket, and only that copy
    is partitioned. When a bracket misses its ranks (a sample that does not represent the
    values, e.g. long runs of sorted data) the whole array is partitioned instead, so the
    result never depends on the sample.

    >>> order_statistics(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), [0, 2, 4])
    {0: 1.0, 2: 3.0, 4: 5.0}
    """
    n = len(x)
    if n < _BRACKET_FROM:
        part = np.partition(x, ranks)
        return {r: float(part[r]) for r in ranks}
    sample = np.sort(x[:: max(1, n // _BRACKET_SAMPLE)])
    m = len(sample)
    # Ranks closer than 6 % of n share a bracket: each bracket costs ~3 passes over ``x``, a wider
    # one only a larger (still small) copy to partition; p95 and p99 with their bounds are one band.
    bands: list[list[int]] = []
    for r in ranks:
        if bands and r - bands[-1][-1] < n * 0.06:
            bands[-1].append(r)
        else:
            bands.append([r])
    out: dict[int, float] = {}
    for band in bands:
        first, last = band[0], band[-1]
        spread = [4 * np.sqrt(m * (r / n) * (1 - r / n)) + 2 for r in (first, last)]
        i = int(first * m / n - spread[0])
        j = int(last * m / n + spread[1]) + 1
        if i < 0 and j >= m:
            break  # the bracket would be everything
        below, inside = 0, None
        if i >= 0:
            inside = x >= sample[i]
            below = n - int(np.count_nonzero(inside))  # no NaN: the rest is below the bracket
        if j < m:
            inside = x <= sample[j] if inside is None else inside & (x <= sample[j])
        picked = np.compress(inside, x)
        if not below <= first <= last < below + len(picked):
            break
        ks = [r - below for r in band]
        part = np.partition(picked, ks)
        out.update((r, float(part[k])) for r, k in zip(band, ks, strict=True))
    else:
        return out
    part = np.partition(x, ranks)
    return {r: float(part[r]) for r in ranks}


def minimum_n_quantile(q: float, level: float = DEFAULT_LEVEL) -> int:
    """Smallest ``n`` for which both bounds of the order-statistic interval of quantile ``q`` exist.

    >>> minimum_n_quantile(0.95), minimum_n_quantile(0.99), minimum_n_quantile(0.5)
    (72, 368, 6)
    """
    a = (1 - level) / 2
    # the upper bound exists when P(X = n) = q^n <= a; the lower bound when (1 - q)^n <= a
    need = max(np.log(a) / np.log(q), np.log(a) / np.log(1 - q))
    n = max(1, int(np.floor(need)))
    while True:
        lo, hi = quantile_ranks(n, q, level)
        if lo >= 0 and hi < n:
            return n
        n += 1


def minimum_n_rate(limit: float, upper: bool, level: float = DEFAULT_LEVEL) -> int:
    """Smallest ``n`` at which a window can show compliance with a rate limit.

    For ``rate <= limit`` that is the ``n`` whose Wilson upper bound with no bad request is at or
    below the limit (``n >= z^2 (1 - L) / L``); for ``rate >= limit`` the ``n`` whose lower bound
    with every request good reaches it (``n >= z^2 L / (1 - L)``). Below it a window cannot tell
    a compliant version from a breaching one.

    >>> minimum_n_rate(0.01, upper=True), minimum_n_rate(0.9, upper=False)
    (381, 35)
    """
    z2 = _z(level) ** 2
    limit = float(limit)
    if not 0 < limit < 1:
        return 1
    need = z2 * (1 - limit) / limit if upper else z2 * limit / (1 - limit)
    return max(1, int(np.ceil(need - 1e-9)))
