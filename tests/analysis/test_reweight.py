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
