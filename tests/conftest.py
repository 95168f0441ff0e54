import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel


@pytest.fixture
def make_candidates():
    """Seeded factory: a candidates DataFrame with `n` rows and objectives `names`."""

    def make(n=30, names=("acc", "ms", "kb"), seed=0):
        rng = np.random.default_rng(seed)
        data = {"id": [f"c{i:03d}" for i in range(n)]}
        for name in names:
            data[name] = rng.uniform(0.0, 1.0, n)
        return pd.DataFrame(data)

    return make


@pytest.fixture
def model3():
    return QualityModel.from_dict({
        "objectives": [
            {"name": "acc", "direction": "max", "weight": 2, "quality_attribute": "system_accuracy"},
            {"name": "ms", "direction": "min", "unit": "ms", "quality_attribute": "resource_efficiency"},
            {"name": "kb", "direction": "min", "unit": "KB", "weight": 0.5, "quality_attribute": "resource_efficiency"},
        ],
        "stakeholders": {"ops": {"ms": 3, "acc": 1, "kb": 1}},
    })
