"""Monitoring intervals against scipy/statsmodels, by seeded coverage simulation, and on every engine."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from workbench.monitoring import MonitoringError, aggregate
from workbench.monitoring.intervals import (
    check_level,
    f1_interval,
    minimum_n_quantile,
    minimum_n_rate,
    order_statistics,
    quantile_ranks,
    quantiles_with_intervals,
    t_interval,
    wilson,
)
from workbench.quality import Objective

proportion_confint = pytest.importorskip("statsmodels.stats.proportion").proportion_confint

T0 = pd.Timestamp("2026-03-02", tz="UTC")


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels_and_scipy(level):
    k = np.array([0, 1, 3, 17, 50, 99, 100, 0, 5, 2140])
    n = np.array([100, 100, 40, 36, 100, 100, 100, 1, 5, 50_000])
    lo, hi = wilson(k, n, level)
    sm_lo, sm_hi = proportion_confint(k, n, alpha=1 - level, method="wilson")
    np.testing.assert_allclose(lo, sm_lo, atol=1e-12)
    np.testing.assert_allclose(hi, sm_hi, atol=1e-12)
    for ki, ni, low, high in zip(k, n, lo, hi, strict=True):
        ci = stats.binomtest(int(ki), int(ni)).proportion_ci(confidence_level=level, method="wilson")
        assert (low, high) == pytest.approx((ci.low, ci.high), abs=1e-12)


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
@pytest.mark.parametrize("n", [5, 40, 72, 73, 200, 367, 368, 1000])
def test_order_statistic_interval_matches_scipy_quantile_test(q, n):
    x = np.random.default_rng(n).lognormal(3, 0.8, n)
    ((point, lo, hi),) = quantiles_with_intervals(x, [q], 0.95)
    ci = stats.quantile_test(x, q=np.quantile(x, q), p=q).confidence_interval(0.95)
    assert point == np.quantile(x, q)
    np.testing.assert_equal([lo, hi], [ci.low, ci.high])  # NaN where scipy has none


@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_large_windows_use_bracketed_selection_and_still_match_scipy(q):
    x = np.random.default_rng(7).lognormal(3, 0.8, 120_001)
    ((point, lo, hi),) = quantiles_with_intervals(x, [q], 0.95)
    ci = stats.quantile_test(x, q=np.quantile(x, q), p=q).confidence_interval(0.95)
    assert point == np.quantile(x, q)
    assert (lo, hi) == (ci.low, ci.high)


def _values(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "lognormal":
        return rng.lognormal(3, 1.2, n)
    if kind == "ties":  # a handful of distinct values: brackets land on runs of equal values
        return rng.integers(0, 7, n).astype(float)
    if kind == "sorted":
        return np.sort(rng.normal(size=n))
    if kind == "reversed":
        return np.sort(rng.normal(size=n))[::-1].copy()
    if kind == "constant":
        return np.full(n, 42.0)
    if kind == "infinite":
        x = rng.normal(size=n)
        x[rng.random(n) < 0.05] = np.inf
        x[rng.random(n) < 0.05] = -np.inf
        return x
    # "spike": most values equal, a heavy tail above
    x = np.where(rng.random(n) < 0.9, 1.0, rng.pareto(1.1, n) + 1.0)
    return x


@given(
    kind=st.sampled_from(["lognormal", "ties", "sorted", "reversed", "constant", "infinite", "spike"]),
    n=st.integers(20_000, 60_000),
    seed=st.integers(0, 2**31),
    fractions=st.lists(st.floats(0, 1), min_size=1, max_size=12),
)
def test_order_statistics_equal_a_full_partition(kind, n, seed, fractions):
    x = _values(kind, n, seed)
    ranks = sorted({min(int(f * n), n - 1) for f in fractions})
    before = x.copy()
    got = order_statistics(x, ranks)
    assert list(got) == ranks
    np.testing.assert_array_equal([got[r] for r in ranks], np.partition(x, ranks)[ranks])
    np.testing.assert_array_equal(x, before)  # the caller's values are not reordered


def test_order_statistics_fall_back_when_the_sample_misleads(monkeypatch):
    """Values whose evenly spaced sample is all outliers: every bracket misses, the result is exact."""
    n = 100_000
    x = np.random.default_rng(3).normal(size=n)
    x[:: max(1, n // 8192)] = 1e9  # exactly the sampled positions
    calls = []
    real = np.partition
    monkeypatch.setattr(np, "partition", lambda a, k: calls.append(len(a)) or real(a, k))
    ranks = [n // 2 - 300, n // 2, n // 2 + 300]
    got = order_statistics(x, ranks)
    assert calls[-1] == n  # the whole array was partitioned
    monkeypatch.undo()
    np.testing.assert_array_equal([got[r] for r in ranks], np.partition(x, ranks)[ranks])


def test_minimum_n_is_where_both_order_statistic_bounds_exist():
    for q in (0.5, 0.95, 0.99):
        m = minimum_n_quantile(q)
        lo, hi = quantile_ranks(m, q)
        assert lo >= 0 and hi < m
        lo, hi = quantile_ranks(m - 1, q)
        assert lo < 0 or hi >= m - 1
    # a rate limit: the smallest n whose Wilson upper bound with 0 bad requests is <= the limit
    m = minimum_n_rate(0.01, upper=True)
    assert wilson(np.array([0]), np.array([m]))[1][0] <= 0.01 < wilson(np.array([0]), np.array([m - 1]))[1][0]
    m = minimum_n_rate(0.9, upper=False)
    assert wilson(np.array([m]), np.array([m]))[0][0] >= 0.9 > wilson(np.array([m - 1]), np.array([m - 1]))[0][0]


def test_t_interval_matches_scipy():
    x = np.random.default_rng(1).gamma(2.0, 0.3, 50)
    lo, hi = t_interval(np.array([x.mean()]), np.array([x.var(ddof=1)]), np.array([50]), 0.9)
    ref = stats.t.interval(0.9, 49, loc=x.mean(), scale=stats.sem(x))
    assert (lo[0], hi[0]) == pytest.approx(ref, rel=1e-12)
    assert np.isnan(t_interval(np.array([1.0]), np.array([np.nan]), np.array([1]))[0][0])


def test_f1_interval_contains_the_point_and_narrows_with_n():
    lo, hi = f1_interval(np.array([30, 3000]), np.array([10, 1000]), np.array([10, 1000]))
    f1 = 2 * 30 / (2 * 30 + 20)
    assert lo[0] < f1 < hi[0] and lo[1] < f1 < hi[1] and hi[1] - lo[1] < (hi[0] - lo[0]) / 5


@pytest.mark.parametrize("level", [0, 1, 95, -0.1, "x", float("nan")])
def test_level_outside_0_1_is_refused(level):
    with pytest.raises(MonitoringError, match=r"(?s)not in \(0, 1\).*0.95"):
        check_level(level)
    logs = pd.DataFrame({"timestamp": [T0], "version": "v1", "latency_ms": [1.0], "error": [False]})
    with pytest.raises(MonitoringError, match=r"not in \(0, 1\)"):
        aggregate(logs, level=level)


def test_coverage_by_seeded_simulation():
    """Each interval covers the true value in about `level` of 400 simulated windows (seed 7)."""
    rng = np.random.default_rng(7)
    reps, n, level = 400, 300, 0.95
    true_p95 = float(np.exp(3 + 0.6 * stats.norm.ppf(0.95)))
    hits = {"p95": 0, "rate": 0, "mean": 0}
    for _ in range(reps):
        lat = rng.lognormal(3, 0.6, n)
        ((_, lo, hi),) = quantiles_with_intervals(lat, [0.95], level)
        hits["p95"] += lo <= true_p95 <= hi
        k = rng.binomial(n, 0.02)
        wl, wh = wilson(np.array([k]), np.array([n]), level)
        hits["rate"] += wl[0] <= 0.02 <= wh[0]
        cost = rng.gamma(2.0, 0.5, n)
        tl, th = t_interval(np.array([cost.mean()]), np.array([cost.var(ddof=1)]), np.array([n]), level)
        hits["mean"] += tl[0] <= 1.0 <= th[0]
    coverage = {k: v / reps for k, v in hits.items()}
    # binomial sampling error of 400 draws at 0.95 is ~0.011: allow 3 of them below, and the
    # order-statistic interval is conservative (coverage >= level by construction)
    assert coverage["p95"] >= 0.95 - 0.035 and coverage["rate"] >= 0.95 - 0.035
    assert coverage["mean"] >= 0.95 - 0.035
    assert max(coverage.values()) <= 1.0 and min(coverage.values()) < 0.999  # not trivially wide


OBJECTIVES = [
    Objective("lat_p90", "min", source="latency_ms", aggregation="p90"),
    Objective("err", "min", source="error", aggregation="rate"),
    Objective("cost_k", "min", source="cost_usd", aggregation="sum_per_1k"),
    Objective("cost_mean", "min", source="cost_usd", aggregation="mean"),
    Objective("lat_max", "min", source="latency_ms", aggregation="max"),
]


@pytest.mark.parametrize("engine", ["duckdb", "pandas", "dask"])
def test_every_engine_gives_the_reference_intervals(engine):
    rng = np.random.default_rng(5)
    n = 4000
    cost = rng.gamma(2.0, 0.001, n)
    cost[rng.random(n) < 0.1] = np.nan
    logs = pd.DataFrame(
        {
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 4 * 3600, n), unit="s")).floor("us"),
            "version": rng.choice(["a", "b"], n),
            "latency_ms": rng.lognormal(3, 0.7, n),
            "error": rng.random(n) < 0.02,
            "cost_usd": cost,
            "prediction": rng.random(n),
            "label": (rng.random(n) < 0.3).astype(float),
        }
    )
    out = aggregate(logs, OBJECTIVES, window="1h", engine=engine, level=0.9)
    assert (out["interval_level"] == 0.9).all()
    for row in out.itertuples():
        g = logs[
            (logs["version"] == row.version)
            & (logs["timestamp"] >= row.window_start)
            & (logs["timestamp"] < row.window_end)
        ]
        lat = g["latency_ms"].to_numpy()
        ci = stats.quantile_test(lat, q=1.0, p=0.95).confidence_interval(0.9)
        assert (row.latency_p95_ms_lo, row.latency_p95_ms_hi, row.latency_p95_ms_n) == (ci.low, ci.high, len(g))
        k = int(g["error"].sum())
        lo, hi = proportion_confint(k, len(g), alpha=0.1, method="wilson")
        assert (row.err_lo, row.err_hi, row.err_n) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9), len(g))
        amounts = g["cost_usd"].fillna(0.0).to_numpy() * 1000
        ref = stats.t.interval(0.9, len(g) - 1, loc=amounts.mean(), scale=stats.sem(amounts))
        assert (row.cost_k_lo, row.cost_k_hi) == pytest.approx(ref, rel=1e-9)
        known = g["cost_usd"].dropna().to_numpy()
        ref = stats.t.interval(0.9, len(known) - 1, loc=known.mean(), scale=stats.sem(known))
        assert (row.cost_mean_lo, row.cost_mean_hi) == pytest.approx(ref, rel=1e-9) and row.cost_mean_n == len(known)
        assert np.isnan(row.lat_max_lo) and row.lat_max_n == len(g)
        correct = int(((g["prediction"] >= 0.5) == (g["label"] >= 0.5)).sum())
        lo, hi = proportion_confint(correct, len(g), alpha=0.1, method="wilson")
        assert (row.accuracy_lo, row.accuracy_hi) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))


def test_engines_identical_to_1e9_including_n_and_bounds():
    rng = np.random.default_rng(11)
    n = 6000
    logs = pd.DataFrame(
        {
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 6 * 3600, n), unit="s")).floor("us"),
            "version": rng.choice(["a", "b", "c"], n),
            "latency_ms": rng.pareto(2.5, n) * 30 + 5,
            "error": rng.random(n) < 0.01,
            "cost_usd": rng.gamma(2.0, 0.001, n),
            "energy_wh": rng.gamma(3, 0.2, n),
            "prediction": rng.random(n),
            "label": np.where(rng.random(n) < 0.5, np.nan, (rng.random(n) < 0.4) * 1.0),
            "group": rng.choice(["f", "m"], n),
        }
    )
    outs = {e: aggregate(logs, OBJECTIVES, window="2h", engine=e) for e in ("duckdb", "pandas", "dask")}
    cols = [c for c in outs["duckdb"].columns if c.endswith(("_lo", "_hi", "_n"))]
    assert len(cols) >= 3 * 12
    for e in ("pandas", "dask"):
        pd.testing.assert_frame_equal(outs[e], outs["duckdb"], rtol=1e-9, atol=1e-9, check_dtype=False)


@pytest.mark.parametrize("engine", ["duckdb", "pandas", "dask"])
def test_a_mean_of_0_1_values_gets_the_wilson_interval(engine):
    # a recall hit declared as a mean (1 = caught, 0 = missed, null = unlabelled) is a proportion:
    # Wilson's interval on the labelled rows, inside [0, 1]; a window with any other value keeps t
    rng = np.random.default_rng(3)
    n = 600
    hit = np.where(rng.random(n) < 0.9, 1.0, 0.0)
    hit[rng.random(n) < 0.5] = np.nan
    t = (T0 + pd.to_timedelta(rng.uniform(0, 3 * 3600, n), unit="s")).floor("us")
    score = hit.copy()
    score[(t >= T0 + pd.Timedelta(hours=2)) & ~np.isnan(score)] = 0.5 + 0.5 * rng.random()  # not 0/1
    logs = pd.DataFrame({"timestamp": t, "version": "a", "latency_ms": 1.0, "error": False, "hit": hit, "score": score})
    objectives = [
        Objective("recall", "max", source="hit", aggregation="mean"),
        Objective("mean_score", "max", source="score", aggregation="mean"),
    ]
    out = aggregate(logs, objectives, window="1h", engine=engine, level=0.95)
    assert len(out) == 3
    for row in out.itertuples():
        g = logs[(logs["timestamp"] >= row.window_start) & (logs["timestamp"] < row.window_end)]
        known = g["hit"].dropna()
        lo, hi = proportion_confint(int(known.sum()), len(known), alpha=0.05, method="wilson")
        assert row.recall_n == len(known) and row.recall == pytest.approx(known.mean(), abs=1e-12)
        assert (row.recall_lo, row.recall_hi) == (pytest.approx(lo, abs=1e-9), pytest.approx(hi, abs=1e-9))
        scores = g["score"].dropna().to_numpy()
        if set(np.unique(scores)) <= {0.0, 1.0}:
            want = proportion_confint(int(scores.sum()), len(scores), alpha=0.05, method="wilson")
        else:
            want = stats.t.interval(0.95, len(scores) - 1, loc=scores.mean(), scale=stats.sem(scores))
        assert (row.mean_score_lo, row.mean_score_hi) == pytest.approx(want, rel=1e-9)
    assert not set(np.unique(logs.loc[logs["timestamp"] >= T0 + pd.Timedelta(hours=2), "score"].dropna())) <= {0, 1}
