"""The fast weight-move path gives exactly the numbers of a full analysis."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import analyze
from workbench.analysis import Reranker
from workbench.analysis.reweight import _CachedOrder
from workbench.analysis.scoring import order


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf", "topsis"])
def test_reweigh_equals_full_analysis(make_candidates, model3, method):
    df = make_candidates(60, seed=2)
    qm = model3.with_constraints(["ms <= 0.9"])
    fast = Reranker(analyze(df, qm, method=method))
    for w in ({"acc": 1, "ms": 5, "kb": 1}, "ops", {"acc": 0, "ms": 0, "kb": 1}):
        got = fast.reweigh(w)
        want = analyze(df, qm, method=method, weights=w)
        np.testing.assert_allclose(got.table["score"], want.table["score"], rtol=1e-12)
        assert got.table["rank"].tolist() == want.table["rank"].tolist()
        assert got.weights == pytest.approx(want.weights)
        pd.testing.assert_frame_equal(got.stability, want.stability)


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf", "topsis"])
def test_method_change_equals_full_analysis(make_candidates, model3, method):
    """The explorer re-ranks on a method change (without SMAA): the whole result must be analyze's."""
    df = make_candidates(80, seed=3)
    qm = model3.with_constraints(["ms <= 0.9"])
    fast = Reranker(analyze(df, qm))
    for w in ({"acc": 1, "ms": 5, "kb": 1}, "ops"):
        got = fast.reweigh(w, method=method)
        want = analyze(df, qm.with_weights(w).replace(method=method))
        assert got.method == want.method == method and got.model.method == method
        assert got.model == want.model
        pd.testing.assert_frame_equal(got.table, want.table, rtol=1e-12)
        pd.testing.assert_frame_equal(got.stability, want.stability)
        assert got.to_dict()["candidates"] == want.to_dict()["candidates"]


def test_method_change_with_smaa_needs_analyze(make_candidates, model3):
    from workbench.errors import QualityModelError

    fast = Reranker(analyze(make_candidates(40, seed=1), model3, smaa=200))
    fast.reweigh({"acc": 2, "ms": 1, "kb": 1})  # weights alone: fine
    with pytest.raises(QualityModelError, match="SMAA acceptabilities depend on the scoring method"):
        fast.reweigh({"acc": 2, "ms": 1, "kb": 1}, method="topsis")


# --- the weight-independent caches ---------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans(), st.integers(0, 3)), max_size=40), st.integers(0, 3))
def test_cached_order_equals_order(rows, shift):
    # Coarse scores and violations: ties in score, in violation, and in both.
    score = np.array([s / 4 + 1e-14 * shift for s, _, _ in rows], dtype=float)
    feasible = np.array([f for _, f, _ in rows], dtype=bool)
    violation = np.where(feasible, 0.0, np.array([1.0 + v for _, _, v in rows], dtype=float))
    cached = _CachedOrder(feasible, violation)
    np.testing.assert_array_equal(cached.ranks(score), order(score, feasible, violation))
    np.testing.assert_array_equal(cached.ranks(-score), order(-score, feasible, violation))  # reused


@pytest.mark.parametrize("method", ["weighted_sum", "tchebycheff", "asf", "topsis"])
def test_reweigh_with_tied_violations_tolerance_and_champion(method):
    # Integer-valued objectives: many candidates share a violation; a relative constraint on the
    # champion, a tolerance, declared bounds on one objective and a reference point.
    from workbench import QualityModel

    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame(
        {
            "id": [f"m{i}" for i in range(n)],
            "acc": rng.integers(60, 100, n) / 100,
            "ms": rng.integers(1, 40, n).astype(float),
            "kb": rng.integers(1, 9, n) * 100.0,
        }
    )
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "weight": 2, "tolerance": 0.01},
                {"name": "ms", "direction": "min", "bounds": [0, 50]},
                {"name": "kb", "direction": "min"},
            ],
            "constraints": ["ms <= 30", "kb <= 1.2 * champion"],
            "reference_point": {"acc": 0.95},
        }
    )
    base = analyze(df, qm, method=method, champion="m7", smaa=300)
    assert (~base.table["feasible"]).sum() > 50
    fast = Reranker(base)
    for w in ({"acc": 1, "ms": 5, "kb": 1}, {"acc": 3, "ms": 0, "kb": 1}, {"acc": 1, "ms": 1, "kb": 1}):
        got = fast.reweigh(w)
        want = analyze(df, qm, method=method, champion="m7", smaa=300, weights=w)
        np.testing.assert_allclose(got.table["score"], want.table["score"], rtol=1e-12)
        assert got.table["rank"].tolist() == want.table["rank"].tolist()
        pd.testing.assert_frame_equal(got.stability, want.stability)
        assert got.stability.attrs == want.stability.attrs
        assert got.recommended == want.recommended


def test_reweigh_leaves_the_base_analysis_alone(make_candidates, model3):
    base = analyze(make_candidates(50, seed=5), model3)
    before = base.table.copy()
    Reranker(base).reweigh({"acc": 0, "ms": 1, "kb": 0})
    pd.testing.assert_frame_equal(base.table, before)


def test_reranker_normalises_with_the_analysis_bounds_exactly(make_candidates, model3):
    # the re-ranker reads the normalisation bounds off the analysis's bounds table instead of
    # searching the feasible front again: the same matrix, bit for bit, declared bounds included
    from workbench.analysis.problem import problem
    from workbench.analysis.scoring import normalized

    df = make_candidates(80, seed=4)
    import dataclasses

    qm = model3.with_constraints(["ms <= 0.8"])
    qm = qm.replace(objectives=[dataclasses.replace(qm.objectives[0], bounds=(0.9, 0.2)), *qm.objectives[1:]])
    base = analyze(df, qm)
    fast = Reranker(base)
    want, _, _ = normalized(problem(df, qm), base.table["feasible"].to_numpy())
    assert np.array_equal(fast._N, want)
    assert (base.bounds["source"] == "declared").sum() == 1
