"""Generate the Evidently 0.7 report fixtures read by tests/sources/test_evidently.py.

Evidently 0.7.23 does not import next to pandas 3, so this runs in its own environment:

    python3 -m venv /tmp/evidently-venv
    /tmp/evidently-venv/bin/pip install "evidently==0.7.23" "pandas<3"
    /tmp/evidently-venv/bin/python tests/data/evidently/generate.py

Data (seed 0): a reference window of 2,000 rows and, per served version, a current window of
2,000 rows. ``v1`` is drawn from the reference distribution; ``v2`` gets an injected drift in
``amount`` (mean shifted by +0.8 standard deviations) and in ``channel`` (the web share rises from
0.5 to 0.8), plus 5 % missing ``amount`` values. Each version gets three reports:

- ``<version>_drift.json``: ``Report([DataDriftPreset()])`` (per-column ValueDrift with the
  default method and threshold, DriftedColumnsCount);
- ``<version>_value_drift.json``: ``Report([ValueDrift("amount", method="psi", threshold=0.1),
  ValueDrift("channel")], include_tests=True)`` (an explicit method and a default one);
- ``<version>_summary.json``: ``Report([DataSummaryPreset()], include_tests=True)`` (data quality:
  row/column counts, missing values, per-column statistics, with Evidently's default tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift
from evidently.presets import DataDriftPreset, DataSummaryPreset

HERE = Path(__file__).parent
N = 2_000


def frame(rng: np.random.Generator, *, shift: float = 0.0, web: float = 0.5, missing: float = 0.0) -> pd.DataFrame:
    amount = rng.normal(50.0 + shift * 10.0, 10.0, N)
    if missing:
        amount[rng.random(N) < missing] = np.nan
    return pd.DataFrame(
        {
            "amount": amount,
            "age": rng.integers(18, 80, N).astype(float),
            "score": rng.beta(2.0, 5.0, N),
            "channel": np.where(rng.random(N) < web, "web", "store"),
        }
    )


def dataset(df: pd.DataFrame) -> Dataset:
    return Dataset.from_pandas(
        df,
        data_definition=DataDefinition(numerical_columns=["amount", "age", "score"], categorical_columns=["channel"]),
    )


def main() -> None:
    rng = np.random.default_rng(0)
    reference = dataset(frame(rng))
    currents = {"v1": frame(rng), "v2": frame(rng, shift=0.8, web=0.8, missing=0.05)}
    for version, df in currents.items():
        current = dataset(df)
        reports = {
            "drift": Report([DataDriftPreset()]),
            "value_drift": Report(
                [ValueDrift(column="amount", method="psi", threshold=0.1), ValueDrift(column="channel")],
                include_tests=True,
            ),
            "summary": Report([DataSummaryPreset()], include_tests=True),
        }
        for name, report in reports.items():
            snapshot = report.run(current, reference)
            doc = json.loads(snapshot.json())
            path = HERE / f"{version}_{name}.json"
            path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {path.name}: {len(doc['metrics'])} metrics, {len(doc['tests'])} tests")


if __name__ == "__main__":
    main()
