import pandas as pd
import pytest

from workbench import QualityModel, analyze

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def qm():
    return QualityModel.from_dict(
        {
            "name": "api",
            "objectives": [
                {
                    "name": "acc",
                    "direction": "max",
                    "weight": 2,
                    "tolerance": 0.005,
                    "quality_attribute": "system_accuracy",
                },
                {
                    "name": "latency_ms",
                    "direction": "min",
                    "unit": "ms",
                    "aggregation": "p95",
                    "source": "http_request_duration_ms",
                    "quality_attribute": "resource_efficiency",
                    "constraint": "<= 30",
                },
            ],
            "constraints": ["acc >= 0.95 * champion"],
        }
    )


@pytest.fixture
def frame():
    return pd.DataFrame({"id": ["a", "b", "c", "d"], "acc": [0.90, 0.80, 0.85, 0.95], "latency_ms": [20, 10, 25, 40]})


@pytest.fixture
def analysis(qm, frame):
    return analyze(frame, qm, smaa=300, seed=1, champion="b")


@pytest.fixture
def evil_analysis(qm, frame):
    return analyze(frame.assign(id=[EVIL, "b", "c", "d"]), qm, smaa=300, seed=1, champion="b")
