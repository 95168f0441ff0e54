"""Radix-sort ranks (workbench.analysis._kernels.min_ranks / score_ranks) against scipy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from workbench.analysis._kernels import min_ranks, score_ranks

floats = st.floats(allow_nan=False, allow_infinity=True, width=64)


@settings(max_examples=300, deadline=None)
@given(st.lists(floats | st.sampled_from([0.0, -0.0, 1.0, -1.0, 5e-324]), max_size=60))
def test_min_ranks_equal_scipy(values):
    x = np.array(values, dtype=float)
    np.testing.assert_array_equal(min_ranks(x), rankdata(x, method="min").astype(np.int64))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-2e3, 2e3, allow_nan=False) | st.integers(0, 8).map(lambda v: v / 8 + 1e-13), max_size=60))
def test_score_ranks_equal_descending_rounded_ranks(values):
    # Scores around 1 that differ below 12 decimals tie; large scores take the float path.
    s = np.array(values, dtype=float)
    want = rankdata(-np.round(s, 12), method="min").astype(np.int64)
    np.testing.assert_array_equal(score_ranks(s), want)


@pytest.mark.parametrize("n", [0, 1, 70_000])
def test_large_inputs_use_every_radix_digit(n):
    rng = np.random.default_rng(n)
    x = np.concatenate(
        [rng.standard_normal(n // 2) * 10.0 ** rng.integers(-300, 300, n // 2), np.round(rng.random(n - n // 2), 3)]
    )
    np.testing.assert_array_equal(min_ranks(x), rankdata(x, method="min"))
    s = rng.random(n)
    np.testing.assert_array_equal(score_ranks(s), rankdata(-np.round(s, 12), method="min"))
    np.testing.assert_array_equal(min_ranks(x[::-1].copy()), rankdata(x[::-1], method="min"))
