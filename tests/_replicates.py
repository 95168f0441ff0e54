"""Per-seed replicate tables for the tests: a few candidates' means with seeded normal noise."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seeds(means: dict, sd=(0.01, 1.0), n=5, seed=0) -> pd.DataFrame:
    """One row per (candidate, seed): ``acc`` and ``latency_ms`` around ``means[id] = (acc, ms)``
    with standard deviations ``sd``, ``n`` seeds each."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        [
            {
                "id": cid,
                "seed": s,
                "acc": a + sd[0] * rng.standard_normal(),
                "latency_ms": ms + sd[1] * rng.standard_normal(),
            }
            for cid, (a, ms) in means.items()
            for s in range(n)
        ]
    )
