"""Hypervolume: equal to moocore's; for >= 3 objectives (where moocore is the building block),
equal to an exact brute-force union-of-boxes oracle."""

import itertools

import moocore
import numpy as np
import pytest

from workbench.analysis.indicators import hv_contributions, hypervolume


def exact_hv(P, ref):
    """Exact volume of the union of boxes [p, ref] by coordinate compression (small n only)."""
    P = P[(ref > P).all(axis=1)]
    if len(P) == 0:
        return 0.0
    k = P.shape[1]
    axes = [np.unique(np.append(P[:, j], ref[j])) for j in range(k)]
    total = 0.0
    for cell in itertools.product(*[range(len(a) - 1) for a in axes]):
        lo = np.array([axes[j][c] for j, c in enumerate(cell)])
        hi = np.array([axes[j][c + 1] for j, c in enumerate(cell)])
        if ((lo >= P).all(axis=1)).any():
            total += float(np.prod(hi - lo))
    return total


@pytest.mark.parametrize("seed", range(5))
def test_2d_equals_moocore(seed):
    rng = np.random.default_rng(seed)
    P = rng.uniform(0, 1, (200, 2))
    ref = np.array([1.1, 1.1])
    assert hypervolume(P, ref) == pytest.approx(moocore.hypervolume(P, ref=ref), abs=1e-9)
    np.testing.assert_allclose(hv_contributions(P, ref), moocore.hv_contributions(P, ref=ref), atol=1e-9)


@pytest.mark.parametrize("k, seed", [(3, 0), (3, 1), (4, 2)])
def test_3d_4d_equal_exact_oracle(k, seed):
    rng = np.random.default_rng(seed)
    P = rng.uniform(0, 1, (7, k))
    ref = np.full(k, 1.1)
    assert hypervolume(P, ref) == pytest.approx(exact_hv(P, ref), abs=1e-9)
    contrib = hv_contributions(P, ref)
    # contributions are among the non-dominated points (dominated ones are ignored and get 0)
    dominated = np.array([((p >= P).all(axis=1) & (p > P).any(axis=1)).any() for p in P])
    front = P[~dominated]
    for i in range(len(P)):
        if dominated[i]:
            assert contrib[i] == 0
            continue
        rest = np.array([q for q in front if not (q == P[i]).all()])
        assert contrib[i] == pytest.approx(exact_hv(front, ref) - exact_hv(rest, ref), abs=1e-9)


def test_degenerate_cases():
    ref = np.array([1.1, 1.1])
    assert hypervolume(np.empty((0, 2)), ref) == 0.0
    assert hypervolume(np.array([[2.0, 0.0]]), ref) == 0.0  # outside the reference box
    P = np.array([[0.5, 0.5], [0.5, 0.5], [0.2, 0.9]])
    assert hypervolume(P, ref) == pytest.approx(exact_hv(P, ref))
    c = hv_contributions(P, ref)
    assert c[0] == 0 and c[1] == 0  # duplicates: removing one copy loses nothing
    assert c[2] == pytest.approx(0.3 * 0.2)
    assert hypervolume(np.array([[0.3], [0.5]]), 1.1) == pytest.approx(0.8)
    assert hv_contributions(np.array([[0.3], [0.5]]), 1.1).tolist() == pytest.approx([0.2, 0.0])
