"""Under a memory limit the DuckDB engine aggregates fixed windows one time slice at a time
(percentile states do not spill); the slices must give exactly the table of a single statement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench.monitoring._duckdb as D
from workbench.monitoring import aggregate
from workbench.quality import Objective

T0 = pd.Timestamp("2026-03-01", tz="UTC")
MODEL = [
    Objective("lat_p90", "min", source="latency_ms", aggregation="p90"),
    Objective("err", "min", source="error", aggregation="rate"),
    Objective("last_cost", "min", source="cost_usd", aggregation="last"),
]


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 30_000
    df = pd.DataFrame(
        {
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 2 * 86400, n), unit="s")).floor("us"),
            "version": np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
            "latency_ms": rng.lognormal(3, 0.6, n),
            "error": rng.random(n) < 0.03,
            "cost_usd": rng.uniform(0, 0.002, n),
            "prediction": rng.random(n),
            "group": rng.choice(["f", "m"], n),
        }
    )
    folder = tmp_path_factory.mktemp("logs")
    df = df.sort_values("timestamp", ignore_index=True)
    for i, lo in enumerate(range(0, n, 10_000)):
        df.iloc[lo : lo + 10_000].to_parquet(folder / f"part-{i}.parquet", row_group_size=2_000)
    return sorted(str(p) for p in folder.glob("*.parquet"))


@pytest.mark.parametrize(
    "options",
    [
        {"window": "1h"},
        {"window": "15min", "since": "2026-03-01 05:07:13", "until": "2026-03-02 17:00:01"},
        {"window": "6h"},
    ],
    ids=["hourly", "since-until-unaligned", "6h"],
)
@pytest.mark.slow
def test_time_slices_give_the_single_statement_table(logs, monkeypatch, options):
    whole = aggregate(logs, MODEL, **options)
    seen = []
    real = D._time_slices

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        seen.append(len(out))
        return out

    monkeypatch.setattr(D, "_PERCENTILE_BYTES_PER_ROW", 10**6)  # forces many slices at 256MB
    monkeypatch.setattr(D, "_time_slices", spy)
    sliced = aggregate(logs, MODEL, memory_limit="256MB", **options)
    assert seen and seen[0] > 3
    # sums and means are floating additions in DuckDB's (parallel, unordered) order: last-ulp
    # differences; counts, percentiles (order statistics) and the latest value are exact
    pd.testing.assert_frame_equal(sliced, whole, rtol=1e-12)
    exact = [
        "version",
        "window_start",
        "window_end",
        "n_requests",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "lat_p90",
        "last_cost",
    ]
    pd.testing.assert_frame_equal(sliced[exact], whole[exact], rtol=0, atol=0)


def test_no_slices_when_it_fits_or_cannot_be_split(logs, monkeypatch):
    seen = []
    real = D._time_slices
    monkeypatch.setattr(D, "_time_slices", lambda *a, **k: seen.append(len(real(*a, **k))) or real(*a, **k))
    aggregate(logs, memory_limit="1GB")  # 30,000 rows fit
    monkeypatch.setattr(D, "_PERCENTILE_BYTES_PER_ROW", 10**6)
    aggregate(logs, window=None, memory_limit="256MB")  # a version's rows cannot be split by time
    aggregate(logs, window="1h", rolling="3h", memory_limit="256MB")
    assert seen == [1, 1, 1]


def test_memory_sizes():
    assert D._bytes("1GiB") == 2**30
    assert D._bytes("1.5 GB") == 1_500_000_000
    assert D._bytes("512kb") == 512_000
