"""Candidates for the live Pareto view's tests (``tests/views/test_live.py`` and the browser's
``tests/browser/test_live_chart_tooltips.py``): accuracy against latency along a noisy front, a
size apart, a latency SLO, and the weights of a move that changes the recommendation."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench import QualityModel


def model(latency: str = "latency_ms") -> QualityModel:
    """Accuracy (weight 2), ``latency`` in ms with the SLO ``<= 80``, size in KB."""
    return QualityModel.from_dict(
        {
            "objectives": [
                {"name": "accuracy", "direction": "max", "weight": 2},
                {"name": latency, "direction": "min", "unit": "ms", "constraint": "<= 80"},
                {"name": "size_kb", "direction": "min", "unit": "KB"},
            ],
        }
    )


def new_weights(latency: str = "latency_ms") -> dict[str, float]:
    """Weights under which latency counts most (the recommendation changes)."""
    return {"accuracy": 1.0, latency: 5.0, "size_kb": 0.5}


def frame(n: int, seed: int = 0, latency: str = "latency_ms") -> pd.DataFrame:
    """``n`` candidates ``c0000``...; faster ones are less accurate."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(0, 1, n)
    return pd.DataFrame(
        {
            "id": [f"c{i:04d}" for i in range(n)],
            "accuracy": 0.7 + 0.25 * s - rng.uniform(0, 0.05, n),
            latency: 5 + 100 * s * rng.uniform(0.8, 1.2, n),
            "size_kb": rng.uniform(10, 500, n),
        }
    )
