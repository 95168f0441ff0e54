"""The fast weight-move path gives exactly the numbers of a full analysis."""

import numpy as np
import pandas as pd
import pytest

from workbench import analyze
from workbench.analysis import Reranker


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
