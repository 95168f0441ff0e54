"""workbench.monitoring.aggregate: hand-checked values, windows, objectives, engine equivalence, errors."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel
from workbench.errors import SourceNotFoundError, SourceUnreachableError, UnknownNameError
from workbench.monitoring import MonitoringError, aggregate, parse_window
from workbench.quality import Objective

T0 = pd.Timestamp("2026-03-02 00:00", tz="UTC")


def at(minutes):
    return T0 + pd.to_timedelta(minutes, unit="min")


@pytest.fixture
def small():
    """v1: 4 requests in hour 0 and 1 in hour 1; v2: 2 requests in hour 0."""
    return pd.DataFrame(
        {
            "timestamp": [at(m) for m in (5, 10, 20, 50, 70, 15, 30)],
            "version": ["v1"] * 5 + ["v2"] * 2,
            "latency_ms": [10.0, 20.0, 30.0, 40.0, 50.0, 100.0, 200.0],
            "error": [False, True, False, False, False, True, True],
            "cost_usd": [0.001, 0.002, 0.003, 0.004, 0.005, 0.01, 0.03],
            "energy_wh": [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 5.0],
            "prediction": [1, 0, 1, 1, 0, 1, 0],
            "label": [1.0, 1.0, 0.0, None, None, 1.0, 0.0],
            "group": ["a", "a", "b", "b", "a", "a", "b"],
        }
    )


ENGINES = ["duckdb", "pandas", "dask"]


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_checked_hourly_values(small, engine):
    out = aggregate(small, window="1h", engine=engine)
    assert list(out[["version", "window_start"]].itertuples(index=False, name=None)) == [
        ("v1", T0),
        ("v1", T0 + pd.Timedelta("1h")),
        ("v2", T0),
    ]
    row = out.iloc[0]
    assert row["window_end"] == T0 + pd.Timedelta("1h")
    assert row["n_requests"] == 4
    # numpy "linear": position (n - 1) * q over [10, 20, 30, 40]
    assert row["latency_p50_ms"] == pytest.approx(25.0)
    assert row["latency_p95_ms"] == pytest.approx(30 + 0.85 * 10)
    assert row["latency_p99_ms"] == pytest.approx(30 + 0.97 * 10)
    assert row["error_rate"] == pytest.approx(0.25)
    assert row["cost_per_1k"] == pytest.approx(0.010 / 4 * 1000)
    assert row["energy_per_1k"] == pytest.approx(4.0 / 4 * 1000)
    # labelled rows: (pred 1, label 1) TP, (0, 1) FN, (1, 0) FP; the 4th label is unknown
    assert row["n_labelled"] == 3
    assert row["accuracy"] == pytest.approx(1 / 3)
    assert row["f1"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    # positive prediction rate: group a 1/2, group b 2/2
    assert row["parity_difference"] == pytest.approx(0.5)
    hour1 = out.iloc[1]
    assert hour1["n_requests"] == 1 and hour1["latency_p99_ms"] == 50.0
    assert hour1["n_labelled"] == 0 and np.isnan(hour1["accuracy"]) and np.isnan(hour1["f1"])
    v2 = out.iloc[2]
    assert v2["error_rate"] == 1.0 and v2["accuracy"] == 1.0 and v2["f1"] == 1.0
    assert v2["parity_difference"] == 1.0 and v2["latency_p50_ms"] == 150.0


def test_reads_parquet_csv_folders_and_globs(small, tmp_path):
    pq, csv = tmp_path / "pq", tmp_path / "csv"
    pq.mkdir()
    csv.mkdir()
    small.iloc[:4].to_parquet(pq / "a.parquet")
    small.iloc[4:].to_parquet(pq / "b.parquet")
    small.to_csv(csv / "logs.csv", index=False)
    expected = aggregate(small, window="1h")
    for spec in (pq, str(pq / "*.parquet"), [pq / "a.parquet", pq / "b.parquet"], csv):
        pd.testing.assert_frame_equal(aggregate(spec, window="1h"), expected, check_dtype=False)
    pd.testing.assert_frame_equal(aggregate(csv, window="1h", engine="pandas"), expected, check_dtype=False)
    # whole period: from Parquet the first/last timestamps come from the row-group statistics
    whole = aggregate(small, window=None)
    for spec in (pq, csv):
        pd.testing.assert_frame_equal(aggregate(spec, window=None), whole, check_dtype=False)


def test_minimal_schema_gives_base_columns_only(small):
    out = aggregate(small[["timestamp", "version", "latency_ms", "error"]], window="1h")
    points = ["latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "error_rate"]
    assert list(out.columns) == [
        "version",
        "window_start",
        "window_end",
        "n_requests",
        *points,
        *[f"{c}_{s}" for c in points for s in ("lo", "hi", "n")],
        "interval_level",
    ]


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_windows_daily_whole_period_and_filters(small, engine):
    daily = aggregate(small, window="1d", engine=engine)
    assert list(daily["n_requests"]) == [5, 2]
    assert (daily["window_start"] == T0).all() and (daily["window_end"] == T0 + pd.Timedelta(days=1)).all()
    whole = aggregate(small, window=None, engine=engine)
    assert list(whole["n_requests"]) == [5, 2]
    assert (whole["window_start"] == at(5)).all()
    assert (whole["window_end"] == at(70) + pd.Timedelta(1, "us")).all()
    cut = aggregate(small, window=None, since=at(10), until="2026-03-02 00:50", engine=engine)
    assert list(cut["n_requests"]) == [2, 2]  # v1 at 10 and 20 (50 excluded), v2 at 15 and 30
    assert (cut["window_start"] == at(10)).all() and (cut["window_end"] == at(50)).all()
    quarter = aggregate(small, window="15min", engine=engine)
    assert list(quarter.loc[quarter["version"] == "v1", "window_start"]) == [at(0), at(15), at(45), at(60)]


@pytest.mark.parametrize("engine", ENGINES)
def test_rolling_windows_trail_each_fixed_window_end(small, engine):
    out = aggregate(small, window="1h", rolling="2h", engine=engine)
    v1 = out[out["version"] == "v1"]
    # ends at 01:00 (hour 0 only) and 02:00 (hours 0 and 1); none past the last data window
    assert list(v1["window_end"]) == [T0 + pd.Timedelta("1h"), T0 + pd.Timedelta("2h")]
    assert list(v1["window_start"]) == [T0 - pd.Timedelta("1h"), T0]
    assert list(v1["n_requests"]) == [4, 5]
    assert v1["latency_p50_ms"].iloc[1] == 30.0
    assert list(out.loc[out["version"] == "v2", "n_requests"]) == [2, 2]


def test_objective_declared_columns(small):
    model = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_p95_ms", "direction": "min", "source": "latency_ms", "aggregation": "p95"},
                {"name": "err", "direction": "min", "source": "error", "aggregation": "rate"},
                {"name": "cost_k", "direction": "min", "source": "cost_usd", "aggregation": "sum_per_1k"},
                {"name": "energy_mean_k", "direction": "min", "source": "energy_wh", "aggregation": "mean_per_1k"},
                {"name": "n_cost", "direction": "max", "source": "cost_usd", "aggregation": "count"},
                {"name": "lat_last", "direction": "min", "source": "latency_ms", "aggregation": "last"},
                {"name": "lat_med", "direction": "min", "source": "latency_ms", "aggregation": "median"},
                {"name": "lat_max", "direction": "min", "source": "latency_ms", "aggregation": "max"},
                {"name": "acc_offline", "direction": "max"},  # no source: not a monitoring column
            ]
        }
    )
    outs = [aggregate(small, model, window="1h", engine=e) for e in ENGINES]
    for out in outs[1:]:
        pd.testing.assert_frame_equal(out, outs[0], rtol=1e-12, check_dtype=False)
    row = outs[0].iloc[0]
    assert "acc_offline" not in outs[0]
    assert row["latency_p95_ms"] == pytest.approx(38.5)
    assert row["err"] == pytest.approx(0.25)
    assert row["cost_k"] == pytest.approx(2.5)
    assert row["energy_mean_k"] == pytest.approx(1000.0)
    assert row["n_cost"] == 4 and row["lat_last"] == 40.0 and row["lat_med"] == 25.0 and row["lat_max"] == 40.0


@pytest.mark.parametrize("engine", ENGINES)
def test_latency_psi_against_reference(engine):
    rng = np.random.default_rng(3)
    n = 2000
    lat = np.concatenate([rng.lognormal(3, 0.3, n), rng.lognormal(3, 0.3, n), rng.lognormal(3.5, 0.3, n)])
    logs = pd.DataFrame(
        {
            "timestamp": T0 + pd.to_timedelta(np.repeat([0, 1, 2], n) * 3600 + np.tile(np.arange(n), 3), unit="s"),
            "version": "v1",
            "latency_ms": lat,
            "error": False,
        }
    )
    out = aggregate(logs, window="1h", reference="first", engine=engine)
    assert out["latency_psi"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # the reference itself
    assert out["latency_psi"].iloc[1] < 0.05 < 1.0 < out["latency_psi"].iloc[2]
    explicit = aggregate(logs, window="1h", reference=(T0, T0 + pd.Timedelta("1h")), engine=engine)
    np.testing.assert_allclose(explicit["latency_psi"], out["latency_psi"], rtol=1e-9)


# --- engines agree on random logs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def random_logs():
    rng = np.random.default_rng(42)
    n = 50_000
    versions = np.array([f"v{i}" for i in range(5)])
    label = (rng.random(n) < 0.4).astype(float)
    label[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame(
        {
            # microsecond resolution: DuckDB rounds nanoseconds, pandas truncates them
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 2 * 86400, n), unit="s")).floor("us"),
            "version": versions[rng.integers(0, 5, n)],
            "latency_ms": rng.lognormal(3, 0.6, n),
            "error": rng.random(n) < 0.03,
            "cost_usd": rng.uniform(0, 0.002, n),
            "energy_wh": rng.gamma(2.0, 0.1, n),
            "prediction": rng.random(n),
            "label": label,
            "group": rng.choice(["f", "m", "x"], n),
        }
    )


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, host="127.0.0.1"
    )
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


MODEL = [
    Objective("lat_p90", "min", source="latency_ms", aggregation="p90"),
    Objective("err", "min", source="error", aggregation="rate"),
    Objective("cost_k", "min", source="cost_usd", aggregation="sum_per_1k"),
    Objective("energy_sum", "min", source="energy_wh", aggregation="sum"),
]


@pytest.mark.parametrize(
    "options",
    [
        {"window": "1h"},
        {"window": None, "since": "2026-03-02 06:00"},
        {"window": "1h", "rolling": "6h", "reference": "first"},
    ],
    ids=["hourly", "whole", "rolling+psi"],
)
@pytest.mark.slow
def test_duckdb_pandas_and_dask_cluster_agree(random_logs, dask_client, tmp_path, options):
    random_logs.to_parquet(tmp_path / "logs.parquet", row_group_size=10_000)
    duck = aggregate(tmp_path / "logs.parquet", MODEL, engine="duckdb", memory_limit="256MB", **options)
    ref = aggregate(random_logs, MODEL, engine="pandas", **options)
    dask = aggregate(tmp_path / "logs.parquet", MODEL, engine="dask", scheduler=dask_client, **options)
    assert len(duck) > 0 and set(duck["version"]) == {f"v{i}" for i in range(5)}
    for other in (ref, dask):
        pd.testing.assert_frame_equal(other, duck, rtol=1e-9, check_dtype=False)


def test_dask_scheduler_by_address(random_logs, dask_client):
    sample = random_logs.iloc[:5000]
    out = aggregate(sample, engine="dask", scheduler=dask_client.scheduler.address, window="6h")
    pd.testing.assert_frame_equal(out, aggregate(sample, window="6h"), rtol=1e-9, check_dtype=False)


@pytest.mark.slow
def test_unreachable_scheduler_fails_fast(small):
    with pytest.raises(SourceUnreachableError, match="(?s)could not be reached.*connection refused"):
        aggregate(small, engine="dask", scheduler="tcp://127.0.0.1:9")


# --- bad inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["1 fortnight", "1M", "-1h", "abc"])
def test_bad_window(small, window):
    with pytest.raises(MonitoringError, match="window"):
        aggregate(small, window=window)


def test_bad_rolling(small):
    with pytest.raises(MonitoringError, match="whole multiple"):
        aggregate(small, window="1h", rolling="90min")
    with pytest.raises(MonitoringError, match="needs a fixed window"):
        aggregate(small, window=None, rolling="2h")


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_required_column(small, engine):
    with pytest.raises(
        MonitoringError, match=r"(?s)lack required column\(s\) .latency_ms.*Available.*Did you mean .latency."
    ):
        aggregate(small.rename(columns={"latency_ms": "latency"}), engine=engine)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_unknown_objective_source(small, engine):
    model = [Objective("lat", "min", source="latncy_ms", aggregation="p95")]
    with pytest.raises(UnknownNameError, match=r"(?s)'latncy_ms'.*Valid: timestamp.*Did you mean 'latency_ms'"):
        aggregate(small, model, engine=engine)


@pytest.mark.parametrize("engine", ["duckdb", "pandas"])
def test_non_numeric_prediction(small, engine):
    with pytest.raises(MonitoringError, match="prediction"):
        aggregate(small.assign(prediction="cat"), engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_objective_replaces_builtin_column_and_empty_result(small, engine):
    model = [Objective("latency_p95_ms", "min", source="latency_ms", aggregation="max")]
    out = aggregate(small, model, window="1h", engine=engine)
    assert list(out.columns).count("latency_p95_ms") == 1
    assert out["latency_p95_ms"].iloc[0] == 40.0
    empty = aggregate(small, model, window="1h", since="2030-01-01", engine=engine)
    assert len(empty) == 0 and list(empty.columns) == list(out.columns)


def test_other_bad_arguments(small, tmp_path):
    with pytest.raises(UnknownNameError, match="Did you mean 'duckdb'"):
        aggregate(small, engine="duckbd")
    with pytest.raises(MonitoringError, match="memory_limit"):
        aggregate(small, memory_limit="2GB'; DROP TABLE x; --")
    with pytest.raises(MonitoringError, match="reference"):
        aggregate(small, reference="last")
    with pytest.raises(MonitoringError, match="since"):
        aggregate(small, since="yesterday-ish")
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        aggregate(tmp_path / "nope.parquet")
    with pytest.raises(SourceNotFoundError, match="No log file matches the pattern"):
        aggregate(str(tmp_path / "*.parquet"))
    (tmp_path / "a.parquet").write_bytes(b"")
    (tmp_path / "b.csv").write_text("x\n")
    with pytest.raises(MonitoringError, match="mix Parquet and CSV"):
        aggregate(tmp_path)


def test_parse_window():
    assert parse_window("1d") == pd.Timedelta(days=1)
    assert parse_window("15min") == pd.Timedelta(minutes=15)
    assert parse_window(None) is None


def test_import_is_light():
    code = "import sys, json, workbench.monitoring; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    mods = set(
        json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    )
    assert not mods & {"dask", "distributed", "duckdb", "altair", "ipywidgets", "IPython", "papermill", "jinja2"}
