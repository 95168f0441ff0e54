"""The ML-shaped candidate generator shared by the benchmarks (numpy only, so a cold-start
subprocess can use it without importing the peers)."""

from __future__ import annotations

import numpy as np


def ml(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """ML-shaped candidates, minimised: ``[-accuracy, latency_ms, size_mb, energy_j, fairness_gap]``.

    - accuracy ~ U(0.80, 0.95)
    - latency = 5 ms x e^(18 (acc - 0.80)) x LogNormal(0, 0.35)
    - size = 20 MB x e^(12 (acc - 0.80)) x LogNormal(0, 0.5)
    - energy = 0.01 x latency x size^0.3 x LogNormal(0, 0.2)
    - fairness gap = 0.10 - 0.4 (acc - 0.80) + Normal(0, 0.02)

    k = 2: accuracy and latency; k = 3: plus size; k = 5: all five.
    """
    acc = rng.uniform(0.80, 0.95, n)
    latency = 5.0 * np.exp(18.0 * (acc - 0.80)) * rng.lognormal(0.0, 0.35, n)
    size = 20.0 * np.exp(12.0 * (acc - 0.80)) * rng.lognormal(0.0, 0.5, n)
    energy = 0.01 * latency * size**0.3 * rng.lognormal(0.0, 0.2, n)
    gap = 0.10 - 0.4 * (acc - 0.80) + rng.normal(0.0, 0.02, n)
    F = np.column_stack([-acc, latency, size, energy, gap])
    return np.ascontiguousarray(F[:, {2: [0, 1], 3: [0, 1, 2], 5: [0, 1, 2, 3, 4]}[k]])
