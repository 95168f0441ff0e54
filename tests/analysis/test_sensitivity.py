"""SMAA-2 and weight stability: known answers, numpy oracles, sampler constraints.

No Python peer implements SMAA (R's ``smaa`` package is the reference and is not available here),
so the checks are analytic cases, symmetry, and brute-force numpy re-computations of the same
estimators from the same weight draws.
"""

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench import QualityModel
from workbench.analysis._batch import _Scorer
from workbench.analysis.feasibility import feasibility
from workbench.analysis.problem import problem
from workbench.analysis.scoring import normalized, reference_point, scores_for_weights
from workbench.analysis.smaa import FULL_RANKS_LIMIT, sample_weights, smaa
from workbench.analysis.weights import (
    _interval_numeric,
    _interval_weighted_sum,
    _path,
    weight_stability,
)
from workbench.errors import (
    CandidatesError,
    QualityModelError,
    UnknownNameError,
    UnknownObjectiveError,
)
from workbench.sources import from_frame

METHODS = ["weighted_sum", "tchebycheff", "asf", "topsis"]


def sigma4(p, s):
    """Four binomial standard errors of a proportion p estimated from s samples."""
    return 4 * math.sqrt(p * (1 - p) / s) + 1e-12


def fixed_model(names, method="weighted_sum", **extra):
    """All objectives minimised with fixed bounds [0, 1], so that N equals the raw values."""
    objs = [{"name": n, "direction": "min", "bounds": [0, 1]} for n in names]
    return QualityModel.from_dict({"objectives": objs, "method": method, **extra})


def frame(rows, names=("f1", "f2"), ids=None):
    df = pd.DataFrame(np.asarray(rows, dtype=float), columns=list(names))
    df.insert(0, "id", ids or [f"c{i}" for i in range(len(df))])
    return df


@pytest.fixture
def abc():
    """Normalised a = (0, 1), b = (1, 0), c = (0.4, 0.4): the analytic 2-D case."""
    df = pd.DataFrame({"id": ["a", "b", "c"], "acc": [1.0, 0.0, 0.6], "ms": [100.0, 0.0, 40.0]})
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "bounds": [1.0, 0.0]},
                {"name": "ms", "direction": "min", "bounds": [0, 100]},
            ]
        }
    )
    return df, qm


# --- SMAA known answers ------------------------------------------------------------------------


def test_analytic_two_objective_weighted_sum(abc):
    # w_acc = t ~ U[0, 1]; utilities a: t, b: 1 - t, c: 0.6. Rank orders by t:
    # [0, .4): b c a; [.4, .5): c b a; [.5, .6): c a b; [.6, 1]: a c b.
    df, qm = abc
    s = 40_000
    r = smaa(df, qm, samples=s, seed=3)
    exact = pd.DataFrame([[0.4, 0.1, 0.5], [0.4, 0.1, 0.5], [0.2, 0.8, 0.0]], index=["a", "b", "c"], columns=[1, 2, 3])
    for cid in exact.index:
        for rank in exact.columns:
            p = exact.loc[cid, rank]
            assert abs(r.acceptability.loc[cid, rank] - p) <= sigma4(p, s)
    # central weights: E[t | t > .6] = .8, E[t | t < .4] = .2, E[t | .4 < t < .6] = .5
    sd = 0.2 / math.sqrt(3)  # std of U on an interval of width .4 is .4 / sqrt(12)
    for cid, t in {"a": 0.8, "b": 0.2}.items():
        assert abs(r.central_weights.loc[cid, "acc"] - t) <= 4 * sd / math.sqrt(0.4 * s)
    assert abs(r.central_weights.loc["c", "acc"] - 0.5) <= 4 * (0.1 / math.sqrt(3)) / math.sqrt(0.2 * s)
    np.testing.assert_allclose(r.central_weights.sum(axis=1), 1.0)
    assert r.confidence.to_dict() == {"a": 1.0, "b": 1.0, "c": 1.0}
    assert r.acceptability.index.name == "candidate" and r.acceptability.columns.name == "rank"


@pytest.mark.parametrize("method", METHODS)
def test_strictly_dominated_candidate_is_never_first(method):
    rng = np.random.default_rng(0)
    X = rng.uniform(0.1, 0.9, (12, 3))
    X = np.vstack([X, X[0] + 0.05])  # 'c12' is worse than c0 in every objective
    df = frame(X, ("f1", "f2", "f3"))
    qm = fixed_model(["f1", "f2", "f3"], method)
    everyone = smaa(df, qm, samples=5000, subset=np.ones(len(df), dtype=bool))
    assert everyone.competing.all()
    assert everyone.first_rank["c12"] == 0.0
    assert np.isnan(everyone.central_weights.loc["c12"]).all() and np.isnan(everyone.confidence["c12"])
    default = smaa(df, qm, samples=2000)  # default subset: the front; dominated ones do not compete
    assert not default.competing["c12"]
    assert (default.acceptability.loc["c12"] == 0).all()


def test_weighted_sum_gives_every_dominated_candidate_zero():
    rng = np.random.default_rng(1)
    df = frame(rng.random((40, 3)), ("f1", "f2", "f3"))
    qm = fixed_model(["f1", "f2", "f3"])
    r = smaa(df, qm, samples=4000, subset=np.ones(40, dtype=bool))
    prob = problem(df, qm)
    from workbench.analysis._pareto import nondominated_mask

    dominated = ~nondominated_mask(prob.F)
    assert dominated.any()
    assert (r.first_rank[dominated] == 0).all()


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf"])
def test_symmetric_pair_shares_first_rank(method):
    s = 20_000
    r = smaa(frame([[1, 0], [0, 1]]), fixed_model(["f1", "f2"], method), samples=s, seed=5)
    assert abs(r.first_rank["c0"] - 0.5) <= sigma4(0.5, s)
    assert r.first_rank.sum() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf", "topsis"])
def test_permutations_share_first_rank_equally(method):
    from itertools import permutations

    X = np.array(list(permutations([0.1, 0.5, 0.9])))
    s = 30_000
    r = smaa(frame(X, ("f1", "f2", "f3")), fixed_model(["f1", "f2", "f3"], method), samples=s, seed=2)
    assert r.competing.all()
    for p in r.first_rank:
        assert abs(p - 1 / 6) <= sigma4(1 / 6, s)


def test_identical_candidates_split_ties_exactly():
    df = frame([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.4, 0.4]], ids=["a", "a2", "b", "c"])
    r = smaa(df, fixed_model(["f1", "f2"]), samples=5000)
    A = r.acceptability
    pd.testing.assert_series_equal(A.loc["a"], A.loc["a2"], check_names=False)
    np.testing.assert_allclose(A.sum(axis=1), 1.0)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    assert r.first_rank["a"] > 0
    np.testing.assert_allclose(r.central_weights.loc["a"], r.central_weights.loc["a2"])


# --- numpy oracles -----------------------------------------------------------------------------


def oracle(df, qm, method, samples, seed, subset=None):
    """Brute force: same weights, scores over *all* candidates by scoring.py, full argsort."""
    prob = problem(df, qm)
    feas = feasibility(prob, None)["feasible"].to_numpy()
    N, ideal, nadir = normalized(prob, feas)
    W = sample_weights(prob.k, samples, np.random.default_rng(seed))
    S = scores_for_weights(prob, N, W, method, reference_point(prob, ideal, nadir))
    mask = np.ones(prob.n, dtype=bool) if subset is None else subset
    S = S[:, mask]
    ranks = np.argsort(np.argsort(-S, axis=1, kind="stable"), axis=1)  # 0-based ranks, no ties here
    m = mask.sum()
    A = np.stack([(ranks == r).mean(axis=0) for r in range(m)], axis=1)
    first = ranks == 0
    with np.errstate(invalid="ignore"):
        CW = (first.T.astype(float) @ W) / first.sum(axis=0)[:, None]
    return A, CW


@pytest.mark.parametrize("method", METHODS)
def test_full_matrix_equals_bruteforce_oracle(method):
    rng = np.random.default_rng(11)
    df = frame(rng.uniform(1, 10, (15, 3)), ("f1", "f2", "f3"))
    objs = [
        {"name": "f1", "direction": "max", "weight": 2},
        {"name": "f2", "direction": "min"},
        {"name": "f3", "direction": "min"},
    ]
    qm = QualityModel.from_dict({"objectives": objs, "method": method, "reference_point": {"f1": 8.0, "f2": 3.0}})
    subset = np.ones(15, dtype=bool)
    subset[[2, 5]] = False
    r = smaa(df, qm, samples=3000, seed=4, subset=subset)
    A, CW = oracle(df, qm, method, 3000, 4, subset)
    np.testing.assert_allclose(r.acceptability.to_numpy()[subset], A, atol=1e-12)
    np.testing.assert_allclose(r.central_weights.to_numpy()[subset], CW, atol=1e-12)
    np.testing.assert_allclose(r.acceptability.sum(axis=1)[subset], 1.0)
    np.testing.assert_allclose(r.acceptability.sum(axis=0), 1.0)
    assert (r.acceptability.to_numpy()[~subset] == 0).all()


@pytest.mark.parametrize("method", ["weighted_sum", "topsis"])
def test_capped_ranks_equal_oracle_first_columns(method):
    # 70 points on a convex front: every one competes, more than FULL_RANKS_LIMIT of them
    x = np.linspace(0, 1, 70)
    df = frame(np.c_[x, (1 - x) ** 2])
    qm = fixed_model(["f1", "f2"], method)
    r = smaa(df, qm, samples=2000, seed=9)
    assert r.competing.sum() == 70 > FULL_RANKS_LIMIT
    assert list(r.acceptability.columns) == list(range(1, 11))
    A, _ = oracle(df, qm, method, 2000, 9)
    np.testing.assert_allclose(r.acceptability.to_numpy(), A[:, :10], atol=1e-12)
    np.testing.assert_allclose(r.acceptability.sum(axis=0), 1.0)
    assert r.acceptability.sum(axis=1).max() <= 1 + 1e-12
    r3 = smaa(df, qm, samples=500, max_ranks=3)
    assert list(r3.acceptability.columns) == [1, 2, 3]


def test_capped_ranks_with_ties_straddling_the_cut():
    # 20 distinct front points, each three times: tie groups of 3 cross rank 10 in many samples.
    x = np.linspace(0, 1, 20)
    F = np.repeat(np.c_[x, (1 - x) ** 2], 3, axis=0)
    df = frame(F)
    qm = fixed_model(["f1", "f2"])
    s = 400
    r = smaa(df, qm, samples=s, seed=1)
    prob = problem(df, qm)
    W = sample_weights(2, s, np.random.default_rng(1))
    S = np.round(scores_for_weights(prob, prob.F, W, "weighted_sum"), 12)
    A = np.zeros((60, 10))
    for row in S:  # tie groups share their ranks equally, by hand
        for score in np.unique(row):
            members = np.flatnonzero(row == score)
            first = int((row > score).sum())
            for rank in range(first, first + len(members)):
                if rank < 10:
                    A[members, rank] += 1 / len(members)
    np.testing.assert_allclose(r.acceptability.to_numpy(), A / s, atol=1e-12)
    np.testing.assert_allclose(r.acceptability.sum(axis=0), 1.0)


def test_scorer_topsis_uses_all_candidates_like_ranking():
    rng = np.random.default_rng(3)
    df = frame(rng.uniform(1, 5, (30, 3)), ("f1", "f2", "f3"))
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "f1", "direction": "max"},
                {"name": "f2", "direction": "min"},
                {"name": "f3", "direction": "min"},
            ],
            "method": "topsis",
        }
    )
    prob = problem(df, qm)
    feas = np.ones(30, dtype=bool)
    subset = rng.random(30) < 0.5
    W = sample_weights(3, 50, rng)
    for method in METHODS:
        ours = _Scorer.build(prob, method, subset, feas)(W)
        N, ideal, nadir = normalized(prob, feas)
        ref = scores_for_weights(prob, N, W, method, reference_point(prob, ideal, nadir))[:, subset]
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


# --- central weights and confidence ------------------------------------------------------------


@pytest.mark.parametrize("method", ["weighted_sum", "topsis"])
def test_central_weight_lies_in_winning_region(method):
    rng = np.random.default_rng(8)
    df = frame(rng.random((25, 3)), ("f1", "f2", "f3"))
    qm = fixed_model(["f1", "f2", "f3"], method)
    r = smaa(df, qm, samples=5000)
    winners = r.first_rank[r.first_rank > 0].index
    prob = problem(df, qm)
    mask = r.competing.to_numpy()
    N, *_ = normalized(prob, np.ones(prob.n, dtype=bool))
    for cid in winners:
        w = r.central_weights.loc[cid].to_numpy()
        s = pd.Series(scores_for_weights(prob, N, w, method), index=prob.ids)[mask]
        if method == "weighted_sum":  # winning regions of a weighted sum are convex: always inside
            assert s.idxmax() == cid
            assert r.confidence[cid] == 1.0
        assert r.confidence[cid] == (1.0 if s.idxmax() == cid else 0.0)


def test_confidence_with_replicates_matches_normal_cdf():
    # a = (0 +- noise, 1), b = (1, 0) exact. At central weight (c1, c2): u_a = c1 (1 - X), u_b = c2,
    # so P[a first] = Phi((1 - c2/c1) / se) with se = std / sqrt(n) the standard error of a's f1.
    d = 0.4
    rows = pd.DataFrame(
        {
            "id": ["a", "a", "b", "b"],
            "seed": [0, 1, 0, 1],
            "f1": [-d / math.sqrt(2), d / math.sqrt(2), 1.0, 1.0],
            "f2": [1.0, 1.0, 0.0, 0.0],
        }
    )
    cands = from_frame(rows, replicate_column="seed")
    qm = fixed_model(["f1", "f2"])
    draws = 20_000
    r = smaa(cands, qm, samples=20_000, seed=0, confidence_samples=draws)
    se = d / math.sqrt(2)  # the std (ddof=1) of -d/sqrt(2) and d/sqrt(2) is d; n = 2 replicates
    ca1, ca2 = r.central_weights.loc["a"]
    cb1, cb2 = r.central_weights.loc["b"]
    pa = stats.norm.cdf((1 - ca2 / ca1) / se)
    pb = 1 - stats.norm.cdf((1 - cb2 / cb1) / se)
    assert abs(r.confidence["a"] - pa) <= sigma4(pa, draws)
    assert abs(r.confidence["b"] - pb) <= sigma4(pb, draws)
    assert 0 < r.confidence["a"] < 1


def test_confidence_is_one_when_replicates_do_not_vary(abc):
    df, qm = abc
    reps = pd.concat([df.assign(seed=0), df.assign(seed=1)])
    r = smaa(from_frame(reps, replicate_column="seed"), qm, samples=3000)
    assert r.confidence.to_dict() == {"a": 1.0, "b": 1.0, "c": 1.0}


# --- distributions -----------------------------------------------------------------------------


def test_simplex_sampler_is_uniform_dirichlet():
    W = sample_weights(3, 20_000, np.random.default_rng(0))
    assert W.shape == (20_000, 3) and (W >= 0).all()
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    # the marginal of Dirichlet(1, 1, 1) is Beta(1, 2)
    assert stats.kstest(W[:, 0], stats.beta(1, 2).cdf).pvalue > 1e-3


def test_interval_sampler_respects_bounds_and_is_uniform():
    rng = np.random.default_rng(1)
    W = sample_weights(2, 20_000, rng, "intervals", lower=[0.2, 0.0], upper=[0.5, 1.0])
    assert W[:, 0].min() >= 0.2 and W[:, 0].max() <= 0.5
    assert stats.kstest(W[:, 0], stats.uniform(0.2, 0.3).cdf).pvalue > 1e-3
    lo, hi = np.array([0.1, 0.0, 0.2, 0.05]), np.array([0.4, 0.3, 0.6, 0.5])
    W = sample_weights(4, 5000, rng, "intervals", lower=lo, upper=hi)
    assert ((lo - 1e-12 <= W) & (hi + 1e-12 >= W)).all()
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    again = sample_weights(4, 5000, np.random.default_rng(7), "intervals", lower=lo, upper=hi)
    np.testing.assert_array_equal(
        again, sample_weights(4, 5000, np.random.default_rng(7), "intervals", lower=lo, upper=hi)
    )


def test_interval_sampler_errors_and_single_points():
    rng = np.random.default_rng(0)
    with pytest.raises(QualityModelError, match=r"lower bounds sum to 1.2 > 1"):
        sample_weights(2, 10, rng, "intervals", lower=[0.6, 0.6], upper=[1, 1])
    with pytest.raises(QualityModelError, match=r"upper bounds sum to 0.5 < 1"):
        sample_weights(2, 10, rng, "intervals", lower=[0, 0], upper=[0.25, 0.25])
    with pytest.raises(QualityModelError, match="almost no room"):
        sample_weights(5, 100, rng, "intervals", lower=[0] * 5, upper=[0.2 + 1e-9] * 5)
    W = sample_weights(3, 4, rng, "intervals", lower=[0.5, 0.3, 0.2], upper=[1, 1, 1])
    np.testing.assert_allclose(W, [[0.5, 0.3, 0.2]] * 4)


def test_ordinal_sampler_keeps_the_order_and_expected_values():
    W = sample_weights(3, 20_000, np.random.default_rng(2), "ordinal", order=[1, 2, 0])
    assert ((W[:, 1] >= W[:, 2]) & (W[:, 2] >= W[:, 0])).all()
    # order statistics of Dirichlet(1,1,1): E = (11/18, 5/18, 2/18)
    np.testing.assert_allclose(W.mean(axis=0)[[1, 2, 0]], [11 / 18, 5 / 18, 2 / 18], atol=0.01)
    with pytest.raises(QualityModelError, match="permutation"):
        sample_weights(3, 5, np.random.default_rng(0), "ordinal", order=[0, 0, 1])


def test_stakeholder_sampler_is_uniform_on_the_hull():
    rng = np.random.default_rng(3)
    # three stakeholders on a segment: uniform on it (mixing Dirichlet(1) weights would not be)
    W = sample_weights(2, 20_000, rng, "stakeholders", vertices=[[0.2, 0.8], [0.5, 0.5], [0.8, 0.2]])
    assert stats.kstest(W[:, 0], stats.uniform(0.2, 0.6).cdf).pvalue > 1e-3
    # four stakeholders, a non-symmetric quadrilateral of the 3-simplex: mean = area centroid
    V = np.array([[0.6, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6], [0.5, 0.45, 0.05]])
    W = sample_weights(3, 40_000, rng, "stakeholders", vertices=V)
    from scipy.spatial import Delaunay

    assert (Delaunay(V[:, :2]).find_simplex(W[:, :2], tol=1e-9) >= 0).all()
    P = V[[0, 3, 1, 2], :2]  # polygon in order, in (w1, w2) coordinates
    x, y = P[:, 0], P[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2
    centroid = [((x + np.roll(x, -1)) * cross).sum() / (6 * area), ((y + np.roll(y, -1)) * cross).sum() / (6 * area)]
    np.testing.assert_allclose(W[:, :2].mean(axis=0), centroid, atol=0.003)
    one = sample_weights(3, 5, rng, "stakeholders", vertices=[[2, 1, 1]])
    np.testing.assert_allclose(one, [[0.5, 0.25, 0.25]] * 5)


def test_samplers_are_reproducible():
    for kind, kw in [
        ("simplex", {}),
        ("ordinal", {"order": [2, 0, 1]}),
        ("intervals", {"lower": [0.1, 0.1, 0.1], "upper": [0.6, 0.6, 0.6]}),
        ("stakeholders", {"vertices": np.eye(3)[[0, 1, 2, 0]] * 0.5 + 0.5 / 3}),
    ]:
        a = sample_weights(3, 100, np.random.default_rng(42), kind, **kw)
        b = sample_weights(3, 100, np.random.default_rng(42), kind, **kw)
        np.testing.assert_array_equal(a, b)


def test_smaa_distributions_on_the_analytic_case(abc):
    df, qm = abc
    s = 20_000
    # w_acc ~ U[0.5, 0.7]: c wins on [.5, .6), a on [.6, .7]
    r = smaa(df, qm, samples=s, weights="intervals", intervals={"acc": (0.5, 0.7)})
    assert abs(r.first_rank["a"] - 0.5) <= sigma4(0.5, s) and r.first_rank["b"] == 0
    # ms at least as important as acc: w_acc ~ U[0, 0.5]: b on [0, .4), c on [.4, .5]
    r = smaa(df, qm, samples=s, weights="ordinal", order=["ms", "acc"])
    assert abs(r.first_rank["b"] - 0.8) <= sigma4(0.8, s) and r.first_rank["a"] == 0
    # between two stakeholders, w_acc in [0.7, 0.9]: a always wins
    qm2 = qm.replace(stakeholders={"lead": {"acc": 7, "ms": 3}, "research": {"acc": 0.9, "ms": 0.1}})
    r = smaa(df, qm2, samples=2000, weights="stakeholders")
    assert r.first_rank.to_dict() == {"a": 1.0, "b": 0.0, "c": 0.0}
    assert 0.7 <= r.central_weights.loc["a", "acc"] <= 0.9
    assert r.weights == "stakeholders"


def test_smaa_argument_errors(abc):
    df, qm = abc
    with pytest.raises(UnknownNameError, match=r"(?s)Weight distribution 'simplx'.*Did you mean 'simplex'"):
        smaa(df, qm, weights="simplx")
    with pytest.raises(QualityModelError, match="needs intervals="):
        smaa(df, qm, weights="intervals")
    with pytest.raises(QualityModelError, match="pass weights='intervals'"):
        smaa(df, qm, intervals={"acc": (0, 1)})
    with pytest.raises(UnknownObjectiveError, match="Did you mean 'acc'"):
        smaa(df, qm, weights="intervals", intervals={"accc": (0, 1)})
    with pytest.raises(QualityModelError, match="interval of 'acc'"):
        smaa(df, qm, weights="intervals", intervals={"acc": (0.7, 0.2)})
    with pytest.raises(QualityModelError, match="Missing: ms"):
        smaa(df, qm, weights="ordinal", order=["acc"])
    with pytest.raises(QualityModelError, match="declares none"):
        smaa(df, qm, weights="stakeholders")
    with pytest.raises(UnknownNameError, match="Method 'wsum'"):
        smaa(df, qm, method="wsum")
    with pytest.raises(CandidatesError, match="selects no candidate"):
        smaa(df, qm, subset=np.zeros(3, dtype=bool))
    with pytest.raises(CandidatesError, match="there are 3 candidates"):
        smaa(df, qm, subset=np.ones(4, dtype=bool))
    with pytest.raises(UnknownNameError, match="Candidate 'zz'"):
        smaa(df, qm, subset=["a", "zz"])


# --- result shape, labels, reproducibility -----------------------------------------------------


def test_result_is_labelled_reproducible_and_accepts_problems(abc):
    df, qm = abc
    a = smaa(df, qm, samples=3000, seed=7)
    b = smaa(problem(df, qm), samples=3000, seed=7)  # a Problem needs no model
    pd.testing.assert_frame_equal(a.acceptability, b.acceptability)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    c = smaa(df, qm, samples=3000, seed=8)
    assert not a.acceptability.equals(c.acceptability)
    assert list(a.to_frame().columns) == ["first_rank", "confidence", "cw_acc", "cw_ms"]
    assert (a.samples, a.seed, a.weights, a.method) == (3000, 7, "simplex", "weighted_sum")
    assert "first-rank acceptability" in repr(a)
    only = smaa(df, qm, samples=500, subset=["a", "c"])
    assert list(only.acceptability.index) == ["a", "b", "c"] and list(only.acceptability.columns) == [1, 2]
    assert only.first_rank["b"] == 0 and not only.competing["b"]
    series = smaa(df, qm, samples=500, subset=pd.Series([True, True], index=["c", "a"]))
    pd.testing.assert_frame_equal(series.acceptability, only.acceptability)


def test_default_subset_is_the_feasible_front():
    df = frame([[0.1, 0.9], [0.9, 0.1], [0.5, 0.5], [0.6, 0.6], [0.0, 0.0]])
    qm = fixed_model(["f1", "f2"], constraints=["f2 >= 0.05"])  # c4 dominates all but is infeasible
    r = smaa(df, qm, samples=1000)
    assert r.competing.to_dict() == {"c0": True, "c1": True, "c2": True, "c3": False, "c4": False}
    none = smaa(df, fixed_model(["f1", "f2"], constraints=["f2 >= 5"]), samples=100)
    assert none.competing.to_dict() == {"c0": False, "c1": False, "c2": False, "c3": False, "c4": True}


def test_chunking_does_not_change_the_result(abc, monkeypatch):
    smaa_module = importlib.import_module("workbench.analysis.smaa")

    df, qm = abc
    whole = smaa(df, qm, samples=3000, seed=1)
    monkeypatch.setattr(smaa_module, "_CHUNK_BYTES", 1000)  # a few samples per chunk
    pieces = smaa(df, qm, samples=3000, seed=1)
    pd.testing.assert_frame_equal(whole.acceptability, pieces.acceptability, atol=1e-12, rtol=0)
    pd.testing.assert_frame_equal(whole.central_weights, pieces.central_weights, atol=1e-12, rtol=0)


# --- weight stability --------------------------------------------------------------------------


def test_weight_stability_hand_checked(abc):
    df, qm = abc
    ws = weight_stability(df, qm)  # equal weights: c is on top for w_acc in [0.4, 0.6]
    assert ws.attrs["top"] == "c"
    assert ws.loc["acc", ["weight", "lower", "upper", "margin"]].tolist() == pytest.approx([0.5, 0.4, 0.6, 0.1])
    assert (ws.loc["acc", "lower_winner"], ws.loc["acc", "upper_winner"]) == ("b", "a")
    assert (ws.loc["ms", "lower_winner"], ws.loc["ms", "upper_winner"]) == ("a", "b")
    assert list(ws.columns) == ["weight", "lower", "upper", "lower_winner", "upper_winner", "margin"]
    assert ws.index.name == "objective"
    # Tchebycheff: c = 1 - .4 max(w); a = 1 - w_ms; c loses to a once 1 - t < .4 t, i.e. t > 5/7
    tc = weight_stability(df, qm, method="tchebycheff")
    assert tc.loc["acc", "lower"] == pytest.approx(2 / 7, abs=1e-8)
    assert tc.loc["acc", "upper"] == pytest.approx(5 / 7, abs=1e-8)
    assert (tc.loc["acc", "lower_winner"], tc.loc["acc", "upper_winner"]) == ("b", "a")


def test_weight_stability_never_changes_gives_none_and_nan(abc):
    df, qm = abc
    ws = weight_stability(df, qm, weights={"acc": 3, "ms": 1})
    assert ws.attrs["top"] == "a"
    assert ws.loc["acc", "upper"] == 1.0 and ws.loc["acc", "upper_winner"] is None
    assert ws.loc["acc", "lower"] == pytest.approx(0.6) and ws.loc["acc", "lower_winner"] == "c"
    assert ws["upper_winner"].dtype == object
    one = weight_stability(df, qm, subset=["b"])
    assert one[["lower", "upper"]].to_numpy().tolist() == [[0.0, 1.0], [0.0, 1.0]]
    assert one["lower_winner"].isna().all() and one["upper_winner"].tolist() == [None, None]
    assert one["margin"].isna().all()


def test_weight_stability_with_a_zero_and_a_full_weight():
    rng = np.random.default_rng(5)
    df = frame(rng.random((12, 3)), ("f1", "f2", "f3"))
    qm = fixed_model(["f1", "f2", "f3"])
    ws = weight_stability(df, qm, weights={"f1": 1, "f2": 0, "f3": 1})
    assert ws.loc["f2", "weight"] == 0.0 and ws.loc["f2", "lower"] == 0.0
    assert ws.loc["f2", "lower_winner"] is None
    assert ws.loc["f2", "upper"] > 0
    full = weight_stability(df, qm, weights={"f1": 1, "f2": 0, "f3": 0})
    assert full.loc["f1", "weight"] == 1.0 and full.loc["f1", "upper"] == 1.0
    np.testing.assert_allclose(_path(np.array([1.0, 0, 0]), 0, np.array([0.4])), [[0.4, 0.3, 0.3]])


@pytest.mark.parametrize("seed", range(5))
def test_closed_form_equals_numeric_path_for_weighted_sum(seed):
    rng = np.random.default_rng(seed)
    df = frame(rng.random((30, 4)), ("f1", "f2", "f3", "f4"))
    qm = fixed_model(["f1", "f2", "f3", "f4"])
    prob = problem(df, qm)
    feas = np.ones(prob.n, dtype=bool)
    from workbench.analysis._pareto import nondominated_mask

    mask = nondominated_mask(prob.F)
    scorer = _Scorer.build(prob, "weighted_sum", mask, feas)
    w0 = sample_weights(4, 1, rng)[0]
    top = int(np.argmax(scorer(w0[None])[0]))
    for i in range(4):
        exact = _interval_weighted_sum(scorer.N, w0, i, top)
        numeric = _interval_numeric(scorer, w0, i, top)
        assert exact[0] == pytest.approx(numeric[0], abs=1e-8)
        assert exact[1] == pytest.approx(numeric[1], abs=1e-8)
        assert exact[2:] == numeric[2:]


@pytest.mark.parametrize("method", METHODS)
def test_stability_interval_is_where_the_top_stays_first(method):
    rng = np.random.default_rng(21)
    df = frame(rng.random((20, 3)), ("f1", "f2", "f3"))
    qm = fixed_model(["f1", "f2", "f3"], method)
    ws = weight_stability(df, qm)
    prob = problem(df, qm)
    w0 = prob.weights()
    N, ideal, nadir = normalized(prob, np.ones(prob.n, dtype=bool))
    ref = reference_point(prob, ideal, nadir)
    front = smaa(df, qm, samples=1).competing.to_numpy()
    ids = prob.ids[front]

    def best(t, i):
        s = scores_for_weights(prob, N, _path(w0, i, np.array([t])), method, ref)[0][front]
        return ids[np.argmax(np.round(s, 12))]

    for i, name in enumerate(prob.names):
        row = ws.loc[name]
        for t in np.linspace(row["lower"], row["upper"], 7)[1:-1]:
            assert best(t, i) == ws.attrs["top"]
        if row["upper_winner"] is not None:
            assert best(row["upper"] + 1e-6, i) == row["upper_winner"]
        if row["lower_winner"] is not None:
            assert best(row["lower"] - 1e-6, i) == row["lower_winner"]


@pytest.mark.parametrize("method", METHODS)
def test_confidence_with_noisy_replicates_for_every_method(method):
    rng = np.random.default_rng(12)
    base = rng.random((8, 3))
    rows = pd.DataFrame(np.repeat(base, 3, axis=0) + 0.05 * rng.standard_normal((24, 3)), columns=["f1", "f2", "f3"])
    rows.insert(0, "id", np.repeat([f"c{i}" for i in range(8)], 3))
    rows["seed"] = np.tile([0, 1, 2], 8)
    cands = from_frame(rows, replicate_column="seed")
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "f1", "direction": "max"},
                {"name": "f2", "direction": "min"},
                {"name": "f3", "direction": "min"},
            ],
            "method": method,
        }
    )
    a = smaa(cands, qm, samples=2000, confidence_samples=300)
    won = a.first_rank > 0
    assert a.confidence[won].between(0, 1).all() and a.confidence[~won].isna().all()
    assert (a.confidence[won] < 1).any()  # noise of 0.05 on values in [0, 1] leaves some doubt
    pd.testing.assert_series_equal(a.confidence, smaa(cands, qm, samples=2000, confidence_samples=300).confidence)
