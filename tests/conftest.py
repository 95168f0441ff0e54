import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from workbench import QualityModel

# Scripts that regenerate fixtures in their own environment (e.g. Evidently 0.7 beside pandas < 3):
# run by hand, never imported by the suite's doctest collection.
collect_ignore_glob = ["data/*/generate.py"]

# Property tests for the whole suite. Derandomised, without an example database: a CI failure
# reproduces exactly on a laptop. Deadlines are off: these machines are shared and noisy, and speed
# is measured in benchmarks. Tests that set their own max_examples keep it; the hardening fuzzers
# use the profile's (``thorough``: what benchmarks/bench_hardening.py publishes).
_PROFILE = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
    database=None,
)
settings.register_profile("ci", max_examples=60, **_PROFILE)
settings.register_profile("thorough", max_examples=1000, **_PROFILE)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    """A browser test is a slow test too (`make test-fast` skips both; `make test` runs everything)."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _terminal_of_its_own(monkeypatch):
    """No inherited terminal size: the CLI's tables are as wide as COLUMNS says when it is set
    (pytest-xdist's workers set it to 80), so a test that needs a width sets it itself."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


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
    return QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "weight": 2, "quality_attribute": "system_accuracy"},
                {"name": "ms", "direction": "min", "unit": "ms", "quality_attribute": "resource_efficiency"},
                {
                    "name": "kb",
                    "direction": "min",
                    "unit": "KB",
                    "weight": 0.5,
                    "quality_attribute": "resource_efficiency",
                },
            ],
            "stakeholders": {"ops": {"ms": 3, "acc": 1, "kb": 1}},
        }
    )
