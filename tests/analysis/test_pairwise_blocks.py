"""The knee and trade-off-rate kernels work pair by pair in compiled loops (fewer than 8
objectives) or in blocks of rows (memory O(block * m * k)); their numbers must be those of the
dense all-pairs numpy computation bit for bit, whatever the path and the block size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel, analyze
from workbench.analysis import _kernels as K


def dense_knees(N: np.ndarray, radius: float) -> np.ndarray:
    """The former all-pairs implementation, kept here as the reference."""
    m = len(N)
    out = np.full(m, np.nan)
    if m < 2:
        return out
    diff = N[:, None, :] - N[None, :, :]
    gain = np.clip(diff, 0, None).sum(axis=2)
    loss = np.clip(-diff, 0, None).sum(axis=2)
    dist = np.sqrt((diff**2).sum(axis=2))
    near = (dist <= radius) & (dist > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(gain > 0, loss / gain, np.inf)
    ratio = np.where(near, ratio, np.inf)
    has = near.any(axis=1)
    out[has] = ratio[has].min(axis=1)
    return out


def dense_nearest(N: np.ndarray, count: int) -> np.ndarray:
    dist = np.sqrt(((N[:, None, :] - N[None, :, :]) ** 2).sum(axis=2))
    np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind="stable")[:, :count]


def points(seed: int, m: int, k: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    N = rng.uniform(0, 1, (m, k))
    N[5:10] = N[0]  # duplicates: equal distances (ties) and zero distances
    N[10:14, 0] = N[20, 0]
    return np.round(N, 2)  # a coarse grid: many equal distances


@pytest.mark.parametrize("small", [K._SMALL, 0])  # small inputs: numpy blocks; 0: compiled loops
@pytest.mark.parametrize("k", [2, 3, 5, 7, 9])
@pytest.mark.parametrize("block_bytes", [1, 8 * 40 * 3 * 7, K.PAIRWISE_BLOCK_BYTES])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_equal_dense(monkeypatch, block_bytes, seed, k, small):
    monkeypatch.setattr(K, "PAIRWISE_BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(K, "_SMALL", small)
    N = points(seed, 40, k)
    for radius in (0.1, 0.3, 2.0):
        np.testing.assert_array_equal(K.tradeoff_knees(N, radius), dense_knees(N, radius))
    for count in (1, 2, 5, 39):
        np.testing.assert_array_equal(K.nearest_neighbours(N, count), dense_nearest(N, count))


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("small", [K._SMALL, 0])
@pytest.mark.parametrize("k", [2, 9])
def test_nearest_neighbours_with_nan_and_inf(monkeypatch, k, small):
    monkeypatch.setattr(K, "_SMALL", small)
    rng = np.random.default_rng(4)
    N = rng.uniform(0, 1, (12, k))
    N[1, 0] = np.nan
    N[4] = np.nan
    N[7, 1] = np.inf
    for count in (1, 2, 5, 11):
        np.testing.assert_array_equal(K.nearest_neighbours(N, count), dense_nearest(N, count))
    for radius in (0.3, 5.0):
        np.testing.assert_array_equal(K.tradeoff_knees(N, radius), dense_knees(N, radius))


@pytest.mark.parametrize("scale", [1.0, 1e-155, 1e-160, 1e-200, 1e150])
def test_compiled_screens_keep_every_pair_at_the_radius(monkeypatch, scale):
    """The compiled loops skip the square root of squared distances clearly beyond the radius (or
    the last neighbour kept); a pair exactly at the radius, or at a scale where squares lose
    precision or underflow, is decided as the dense computation decides it."""
    monkeypatch.setattr(K, "_SMALL", 0)
    N = points(6, 60, 3) * scale
    dist = np.sqrt(((N[:, None, :] - N[None, :, :]) ** 2).sum(axis=2))
    positive = np.unique(dist[dist > 0])  # none where every square underflows
    radii = positive[[0, 3, 40, -1]].tolist() if len(positive) > 40 else [scale, 10 * scale]
    for radius in radii:  # exactly the distance of some pairs
        assert np.array_equal(K.tradeoff_knees(N, radius), dense_knees(N, radius), equal_nan=True)
    for count in (1, 2, 7):
        np.testing.assert_array_equal(K.nearest_neighbours(N, count), dense_nearest(N, count))


def test_wide_real_values_bit_for_bit():
    rng = np.random.default_rng(5)
    for k in (3, 5, 9):
        N = rng.normal(size=(300, k)) * 10.0 ** rng.integers(-6, 6, size=(300, k))
        assert np.array_equal(K.tradeoff_knees(N, 1e5), dense_knees(N, 1e5), equal_nan=True)
        assert np.array_equal(K.nearest_neighbours(N, 3), dense_nearest(N, 3))


def test_analyze_knees_and_rates_unchanged_by_blocks(monkeypatch):
    rng = np.random.default_rng(3)
    s = rng.uniform(0, 1, 3000)
    df = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(3000)],
            "acc": 1 - np.exp(-3 * s) + rng.normal(0, 0.05, 3000),
            "ms": s + rng.normal(0, 0.05, 3000),
            "cost": s * rng.uniform(0.5, 1.5, 3000),
        }
    )
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "ms", "direction": "min"},
                {"name": "cost", "direction": "min"},
            ]
        }
    )
    whole = analyze(df, qm)
    monkeypatch.setattr(K, "PAIRWISE_BLOCK_BYTES", 1)
    blocked = analyze(df, qm)
    assert len(whole.front) > 20
    pd.testing.assert_frame_equal(whole.table, blocked.table)
    pd.testing.assert_frame_equal(whole.rates, blocked.rates)
