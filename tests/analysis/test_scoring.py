"""Scores against peer libraries (test-only oracles) and the one weight semantics."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymcdm import normalizations
from pymcdm.methods import TOPSIS as PymcdmTOPSIS
from pymoo.decomposition.asf import ASF
from pymoo.decomposition.tchebicheff import Tchebicheff
from pymoo.mcdm.pseudo_weights import PseudoWeights

from workbench import QualityModel, analyze
from workbench.analysis import _kernels as K
from workbench.analysis import rank, score
from workbench.analysis.scoring import bounds, order, pseudo_weights
from workbench.errors import UnknownNameError


def _model(df, directions, weights, method="weighted_sum", declared=True):
    objs = []
    for (name, d), w in zip(directions.items(), weights, strict=True):
        o = {"name": name, "direction": d, "weight": w}
        if declared:  # bounds = data min/max, so that the peers' min-max scaling is the same
            lo, hi = df[name].min(), df[name].max()
            o["bounds"] = [lo, hi] if d == "min" else [hi, lo]
        objs.append(o)
    return QualityModel.from_dict({"objectives": objs, "method": method})


@pytest.fixture
def matrix():
    rng = np.random.default_rng(7)
    df = pd.DataFrame(rng.uniform(1, 10, (25, 4)), columns=["a", "b", "c", "d"])
    df.insert(0, "id", [f"x{i}" for i in range(25)])
    return df


DIRS = {"a": "max", "b": "min", "c": "min", "d": "max"}
W = [0.4, 0.3, 0.2, 0.1]


def test_topsis_equals_pymcdm_vector_normalisation(matrix):
    qm = _model(matrix, DIRS, W, method="topsis", declared=False)
    ours = score(matrix, qm).to_numpy()
    types = np.array([1 if d == "max" else -1 for d in DIRS.values()])
    peer = PymcdmTOPSIS(normalizations.vector_normalization)(matrix[list(DIRS)].to_numpy(), np.array(W), types)
    np.testing.assert_allclose(ours, peer, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Although TOPSIS:UserWarning")
def test_topsis_equals_scikit_criteria(matrix):
    import skcriteria as skc
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.preprocessing.scalers import VectorScaler

    qm = _model(matrix, DIRS, W, method="topsis", declared=False)
    dm = skc.mkdm(
        matrix[list(DIRS)].to_numpy(), objectives=[max if d == "max" else min for d in DIRS.values()], weights=W
    )
    dm = VectorScaler(target="matrix").transform(dm)
    res = TOPSIS().evaluate(dm)
    np.testing.assert_allclose(score(matrix, qm).to_numpy(), res.e_.similarity, rtol=1e-12)


def test_weighted_sum_equals_scikit_criteria(matrix):
    import skcriteria as skc
    from skcriteria.agg.simple import WeightedSumModel
    from skcriteria.preprocessing.invert_objectives import NegateMinimize
    from skcriteria.preprocessing.scalers import MinMaxScaler

    qm = _model(matrix, DIRS, W)
    dm = skc.mkdm(
        matrix[list(DIRS)].to_numpy(), objectives=[max if d == "max" else min for d in DIRS.values()], weights=W
    )
    dm = MinMaxScaler(target="matrix").transform(NegateMinimize().transform(dm))
    res = WeightedSumModel().evaluate(dm)
    np.testing.assert_allclose(score(matrix, qm).to_numpy(), res.e_.score, rtol=1e-12)
    assert (rank(matrix, qm).loc[matrix["id"], "rank"].to_numpy() == res.rank_).all()


def test_tchebycheff_and_asf_agree_with_pymoo(matrix):
    qm = _model(matrix, DIRS, W, method="tchebycheff")
    X = matrix[list(DIRS)].to_numpy()
    sign = np.array([1 if d == "min" else -1 for d in DIRS.values()])
    F = X * sign
    N = K.normalize(F, F.min(axis=0), F.max(axis=0))
    w = np.array(W) / sum(W)
    ours = score(matrix, qm).to_numpy()
    peer = Tchebicheff(utopian_point=np.zeros(4)).do(N, weights=w)
    np.testing.assert_allclose(ours, 1 - peer, rtol=1e-12)
    # pymoo's ASF divides by the weights: ours (larger weight = more important) is pymoo with 1/w
    peer_asf = ASF(utopian_point=np.zeros(4)).do(N, weights=1 / w)
    np.testing.assert_allclose(K.asf(N, w, np.zeros(4), rho=0.0), -peer_asf, rtol=1e-12)


def test_pseudo_weights_equal_pymoo(matrix):
    qm = _model(matrix, DIRS, W, declared=False)
    pw = pseudo_weights(matrix, qm)
    X = matrix.set_index("id").loc[pw.index, list(DIRS)].to_numpy()
    F = X * np.array([1 if d == "min" else -1 for d in DIRS.values()])
    _, peer = PseudoWeights(np.ones(4) / 4).do(F, return_pseudo_weights=True)
    np.testing.assert_allclose(pw.to_numpy(), peer, rtol=1e-12)
    np.testing.assert_allclose(pw.sum(axis=1), 1.0)


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf", "topsis"])
def test_larger_weight_means_more_important_for_every_method(method):
    df = pd.DataFrame({"id": ["acc-best", "fast-best", "middle"], "acc": [0.95, 0.80, 0.86], "ms": [90.0, 10.0, 48.0]})
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}], "method": method}
    )
    top = lambda w: rank(df, qm, weights=w).index[0]  # noqa: E731
    assert top({"acc": 0.95, "ms": 0.05}) == "acc-best"
    assert top({"acc": 0.05, "ms": 0.95}) == "fast-best"


def test_hand_checked_weighted_sum_with_declared_bounds():
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "bounds": [1.0, 0.5], "weight": 1},
                {"name": "ms", "direction": "min", "bounds": [0.0, 100.0], "weight": 3},
            ]
        }
    )
    df = pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.6], "ms": [40.0, 20.0]})
    # a: N = (0.2, 0.4) -> 1 - (0.25*0.2 + 0.75*0.4) = 0.65 ; b: N = (0.8, 0.2) -> 1 - (0.2 + 0.15) = 0.65
    np.testing.assert_allclose(score(df, qm).to_numpy(), [0.65, 0.65])
    r = rank(df, qm)
    assert r["rank"].tolist() == [1, 1]  # exact tie shares the rank


def test_data_bounds_are_front_nadir_and_feasible_ideal():
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "constraint": "<= 50"}]}
    )
    df = pd.DataFrame({"id": list("abcd"), "acc": [0.9, 0.8, 0.7, 0.99], "ms": [30, 10, 45, 80]})
    b = bounds(df, qm, feasible=np.array([True, True, True, False]))
    # ideal: best among feasible (d is infeasible); nadir: worst on the feasible front {a, b}
    assert b.loc["acc", "ideal"] == 0.9 and b.loc["acc", "nadir"] == 0.8
    assert b.loc["ms", "ideal"] == 10 and b.loc["ms", "nadir"] == 30
    assert (b["source"] == "data").all()


def test_order_feasible_first_then_violation():
    s = np.array([0.9, 0.1, 0.5, 0.99, 0.2])
    feasible = np.array([False, True, True, False, True])
    violation = np.array([0.3, 0, 0, 0.1, 0])
    # feasible by score: 2 (0.5), 4 (0.2), 1 (0.1); infeasible by violation: 3, 0
    assert order(s, feasible, violation).tolist() == [5, 3, 1, 4, 2]


@pytest.mark.parametrize("seed", range(6))
def test_order_equals_ranking_the_sort_keys_by_hand(seed):
    """Ranks by the keys (feasible first; score down; violation up, then score), equal keys
    sharing the smaller rank: with all-distinct violations (one sort) and with ties."""
    rng = np.random.default_rng(seed)
    n = 300
    s = np.round(rng.uniform(size=n), 2 if seed % 2 else 12)
    feasible = rng.uniform(size=n) < 0.5
    violation = np.where(feasible, 0.0, rng.uniform(0.01, 1, n) if seed < 3 else rng.integers(1, 5, n) / 10)
    keys = [(0, 0.0, -s[i]) if feasible[i] else (1, violation[i], -s[i]) for i in range(n)]
    ranked = sorted(range(n), key=lambda i: keys[i])
    expected = np.empty(n, dtype=int)
    for position, i in enumerate(ranked):
        same = position and keys[ranked[position - 1]] == keys[i]
        expected[i] = expected[ranked[position - 1]] if same else position + 1
    np.testing.assert_array_equal(order(s, feasible, violation), expected)


@given(st.lists(st.one_of(st.floats(allow_infinity=True), st.sampled_from([0.0, 1.0, -0.0])), max_size=60))
def test_stable_argsort_is_numpys_stable_sort(values):
    """Distinct values (one fast sort), ties, signed zeros, NaN and infinities alike."""
    a = np.array(values, dtype=float)
    np.testing.assert_array_equal(K.stable_argsort(a), np.argsort(a, kind="stable"))


def test_unknown_method_is_reported():
    qm = QualityModel.from_dict({"objectives": [{"name": "a", "direction": "min"}]})
    df = pd.DataFrame({"id": ["x"], "a": [1.0]})
    with pytest.raises(UnknownNameError, match="(?s)Method 'topsys'.*Did you mean 'topsis'"):
        score(df, qm, method="topsys")
    with pytest.raises(UnknownNameError, match="(?s)Stakeholder 'ops'"):
        analyze(df, qm, weights="ops")
