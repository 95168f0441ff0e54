"""Evidence from seed replicates: statistics and intervals against scipy, bootstrap probabilities
against the Student-t distribution, scipy.stats.bootstrap and Welch's test, and a seeded simulation
that checks the probabilities are calibrated (a truly equal pair is called different at most
5 % of the time at confidence 0.95)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import QualityModel, analyze
from workbench.analysis.uncertainty import compare_replicates, mean_draws, replicate_stats
from workbench.sources import from_frame

ACC = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
TWO = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "tolerance": 0.002},
            {"name": "ms", "direction": "min", "unit": "ms", "tolerance": 1},
        ]
    }
)


def seeds(data: dict, names=("acc",)) -> pd.DataFrame:
    rows = []
    for cid, reps in data.items():
        for s, v in enumerate(reps):
            v = v if isinstance(v, tuple) else (v,)
            rows.append({"id": cid, "seed": s, **dict(zip(names, v, strict=True))})
    return pd.DataFrame(rows)


def test_stats_match_numpy_and_scipy_t_intervals():
    rng = np.random.default_rng(3)
    data = {"a": list(rng.normal(0.9, 0.01, 5)), "b": list(rng.normal(0.8, 0.02, 3)), "c": [0.7]}
    st = replicate_stats(from_frame(seeds(data), replicate_column="seed"), ACC, level=0.9)
    for cid, x in data.items():
        row = st.loc[(cid, "acc")]
        assert row["n"] == len(x) and row["mean"] == pytest.approx(np.mean(x))
        if len(x) < 2:
            assert np.isnan(row["sd"]) and np.isnan(row["ci_low"])
            continue
        assert row["sd"] == pytest.approx(np.std(x, ddof=1))
        lo, hi = stats.t.interval(0.9, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi))


def test_a_metric_missing_in_some_seeds_is_reported_with_the_seeds():
    df = seeds(
        {"a": [(0.9, 10), (0.91, 11), (0.92, 12)], "b": [(0.8, 9), (0.81, np.nan), (0.82, np.nan)]}, ("acc", "ms")
    )
    cands = from_frame(df, replicate_column="seed")
    st = replicate_stats(cands, TWO)
    assert st.loc[("b", "ms"), "missing"] == ["1", "2"] and st.loc[("b", "ms"), "n"] == 1
    assert st.loc[("b", "acc"), "missing"] == [] and st.loc[("b", "acc"), "n"] == 3
    a = analyze(cands, TWO)
    assert any("b: ms is missing in seeds 1, 2 (summarised over 1 seeds)" in n for n in a.notes)
    # fewer complete replicates: kept, counted, said
    assert a.uncertainty.counts.to_dict() == {"a": 3, "b": 1}
    assert any("different numbers of complete replicates (1 seeds: b; 3 seeds: a)" in n for n in a.notes)
    assert set(a.table.index) == {"a", "b"}


def test_t_draws_follow_the_student_t_sampling_distribution_and_keep_correlation():
    x = np.array([[0.80, 10.0], [0.83, 13.0], [0.85, 15.0], [0.86, 16.0]])  # acc and ms perfectly correlated
    d = mean_draws(x, 200_000, np.random.default_rng(0))
    n, m, s = len(x), x[:, 0].mean(), x[:, 0].std(ddof=1)
    for q in (0.025, 0.5, 0.975):
        expected = stats.t.ppf(q, n - 1, loc=m, scale=s / np.sqrt(n))
        assert np.quantile(d[:, 0], q) == pytest.approx(expected, abs=0.02 * s)
    assert np.corrcoef(d[:, 0], d[:, 1])[0, 1] == pytest.approx(1.0)
    assert (mean_draws(x[:1], 5, np.random.default_rng(0)) == x[0]).all()  # one seed: no spread measured


def test_with_many_seeds_the_difference_interval_matches_scipy_bootstrap_and_welch():
    rng = np.random.default_rng(11)
    a, b = rng.normal(0.90, 0.02, 60), rng.normal(0.895, 0.03, 60)
    da = mean_draws(a[:, None], 40_000, np.random.default_rng(1))[:, 0]
    db = mean_draws(b[:, None], 40_000, np.random.default_rng(2))[:, 0]
    ref = stats.bootstrap(
        (a, b),
        lambda x, y: np.mean(x) - np.mean(y),
        method="percentile",
        n_resamples=20_000,
        random_state=0,
        vectorized=False,
    ).confidence_interval
    lo, hi = np.quantile(da - db, [0.025, 0.975])
    assert lo == pytest.approx(ref.low, abs=0.0015) and hi == pytest.approx(ref.high, abs=0.0015)
    row = compare_replicates(
        from_frame(seeds({"a": list(a), "b": list(b)}), replicate_column="seed"),
        ACC,
        candidate="a",
        versus="b",
        samples=40_000,
    ).iloc[0]
    welch = stats.ttest_ind(a, b, equal_var=False, alternative="greater").pvalue
    assert row["p_better"] == pytest.approx(1 - welch, abs=0.02)


def test_hand_checked_cases():
    # every seed of a beats every seed of b by far more than the tolerance, in both objectives
    df = seeds({"a": [(0.95, 10), (0.96, 11), (0.94, 10)], "b": [(0.80, 30), (0.81, 31), (0.79, 29)]}, ("acc", "ms"))
    row = compare_replicates(from_frame(df, replicate_column="seed"), TWO, candidate="a", versus="b").iloc[0]
    assert row["p_dominates"] > 0.99 and row["p_dominated"] == 0.0 and row["p_better"] > 0.99
    assert row["verdict"] == "dominates" and row["detectable"]
    assert row["diff_acc"] == pytest.approx(0.15) and row["diff_ms"] == pytest.approx(-19.667, abs=1e-3)
    # against a single-seed candidate (a fixed value) P(better) is a Student-t tail: 3 seeds with
    # mean 0.91, sd 0.01, vs 0.90 -> P = F_t2(sqrt 3); for 2 df F(t) = 1/2 + t / (2 sqrt(2 + t^2)) = 0.8873
    c = from_frame(seeds({"a": [0.90, 0.91, 0.92], "b": [0.90]}), replicate_column="seed")
    row = compare_replicates(c, ACC, candidate="a", versus="b", samples=200_000).iloc[0]
    assert stats.t.cdf(np.sqrt(3), 2) == pytest.approx(0.5 + np.sqrt(3) / (2 * np.sqrt(5)), abs=1e-12)
    assert row["p_better"] == pytest.approx(0.8873, abs=0.003) and row["reason"] == "within seed noise"
    # 0.0004 better in acc, identical latency: inside the 0.002 tolerance, never a difference
    df = seeds(
        {"a": [(0.9004, 10), (0.9014, 10), (0.8994, 10)], "b": [(0.9, 10), (0.901, 10), (0.899, 10)]}, ("acc", "ms")
    )
    row = compare_replicates(from_frame(df, replicate_column="seed"), TWO, candidate="a", versus="b").iloc[0]
    assert row["p_dominates"] < 0.2 and row["verdict"] == "no detectable difference"
    assert row["reason"] == "within tolerance" and not row["detectable"]
    # the same seeds, reproducible: same seed, same probabilities
    c = from_frame(seeds({"a": [0.9, 0.92, 0.91], "b": [0.905, 0.915, 0.9]}), replicate_column="seed")
    r1 = compare_replicates(c, ACC, candidate="a", versus="b", seed=5)
    r2 = compare_replicates(c, ACC, candidate="a", versus="b", seed=5)
    assert r1.equals(r2) and r1.iloc[0]["reason"] == "within seed noise"


@pytest.mark.parametrize("n", [3, 5, 10])
def test_probabilities_are_calibrated_a_truly_equal_pair_is_rarely_called_different(n):
    """1,000 studies where a and b have the same true mean: P(better) >= 0.95 must happen in at most
    5 % of them (+ 2.5 standard errors of the simulation); the plain percentile bootstrap, too narrow
    for a handful of seeds, is shown exceeding it at n = 3."""
    rng = np.random.default_rng(100 + n)
    studies = 1000
    hits = {"t": 0, "bootstrap": 0}
    for _ in range(studies):
        a, b = rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n)
        for kind in hits:
            da = mean_draws(a[:, None], 1000, rng, kind)[:, 0]
            db = mean_draws(b[:, None], 1000, rng, kind)[:, 0]
            hits[kind] += np.mean(da > db) >= 0.95
    limit = 0.05 + 2.5 * np.sqrt(0.05 * 0.95 / studies)
    assert hits["t"] / studies <= limit
    if n == 3:
        assert hits["bootstrap"] / studies > limit


def test_a_detectable_difference_is_detected():
    """Power: a true gain of 2 seed sd with 10 seeds is called 'better' in most studies."""
    rng = np.random.default_rng(7)
    called = 0
    for _ in range(200):
        a, b = rng.normal(2.0, 1.0, 10), rng.normal(0.0, 1.0, 10)
        c = from_frame(seeds({"a": list(a), "b": list(b)}), replicate_column="seed")
        called += compare_replicates(c, ACC, candidate="a", versus="b", samples=1000, seed=1).iloc[0]["detectable"]
    assert called / 200 > 0.9


def test_analysis_carries_the_evidence_into_its_json():
    rng = np.random.default_rng(0)
    rows = []
    for cid, (acc, ms) in {"v3": (0.90, 20), "v7": (0.905, 24), "v8": (0.80, 10)}.items():
        for s in range(5):
            rows.append({"id": cid, "seed": s, "acc": acc + rng.normal(0, 0.01), "ms": ms + rng.normal(0, 1)})
    a = analyze(from_frame(pd.DataFrame(rows), replicate_column="seed"), TWO, smaa=500)
    d = a.to_dict()["uncertainty"]
    assert d["candidate"] == a.recommended and d["replicates"] == {"v3": 5, "v7": 5, "v8": 5}
    assert len(d["stats"]) == 3 * 2 and {"n", "mean", "sd", "ci_low", "ci_high"} <= set(d["stats"][0])
    rel = {c["versus"]: c["relation"] for c in d["comparisons"]}
    runner = a.to_frame().index[1]
    assert "runner-up" in rel[runner]
    assert d["text"].startswith(("Robust: ranks first in", "Fragile: "))
    assert a.parameters["confidence"] == 0.95 and a.parameters["resamples"] == 4000
    assert "uncertainty" not in analyze(pd.DataFrame({"id": ["a", "b"], "acc": [1, 2], "ms": [1, 2]}), TWO).to_dict()
