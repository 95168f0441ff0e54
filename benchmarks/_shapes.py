"""The candidate generators and quality models shared by the benchmarks (numpy and pandas only,
no ``workbench``: a cold-start subprocess, or the previous release's worker, can use them and
build the same data)."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


#: The ML-shaped candidates' objectives, in the columns :func:`ml` returns them (k = 5).
ML_NAMES = ["accuracy", "latency_ms", "size_mb", "energy_j", "fairness_gap"]

#: The quality model of the ``analyze`` benchmark on ML-shaped candidates (``QualityModel.from_dict``).
ML_MODEL = {
    "objectives": [
        {"name": "accuracy", "direction": "max", "tolerance": 0.002, "weight": 2},
        {"name": "latency_ms", "direction": "min", "unit": "ms"},
        {"name": "size_mb", "direction": "min", "unit": "MB"},
        {"name": "energy_j", "direction": "min", "unit": "J"},
        {"name": "fairness_gap", "direction": "min"},
    ],
    "constraints": ["latency_ms <= 40", "fairness_gap <= 0.1"],
}

#: The quality model of the uniform ``analyze`` scenario (the figure the previous release published).
UNIFORM_MODEL = {
    "objectives": [
        {"name": n, "direction": d}
        for n, d in zip(
            ["acc", "latency_ms", "cost", "energy", "fairness_gap"], ["max", "min", "min", "min", "min"], strict=True
        )
    ],
    "constraints": ["latency_ms <= 0.95", "acc >= 0.02"],
}


def ml_candidates(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` ML-shaped candidates with ids, in the objectives' own directions (accuracy maximised)."""
    F = ml(np.random.default_rng(seed), n, 5)
    df = pd.DataFrame(F * np.array([-1.0, 1, 1, 1, 1]), columns=ML_NAMES)
    df.insert(0, "id", [f"c{i:07d}" for i in range(n)])
    return df


def uniform_candidates(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` candidates uniform in [0, 1]^5 with ids."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.uniform(0, 1, (n, 5)), columns=["acc", "latency_ms", "cost", "energy", "fairness_gap"])
    df.insert(0, "id", [f"c{i}" for i in range(n)])
    return df
