"""Request logs: CSV and Parquet files, folders and globs; bad logs give errors or counted exclusions."""

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import SourceNotFoundError, UnknownNameError
from workbench.sources.logs import (
    EXCLUDED_COLUMNS,
    REQUIRED,
    SCHEMA,
    LogFrame,
    MonitoringDataError,
    list_log_files,
    read_logs,
    resolve_columns,
    serving_energy,
)


def frame(n=6, version="v1", start="2026-01-01T00:00:00Z", **extra):
    df = pd.DataFrame(
        {
            "timestamp": pd.date_range(start, periods=n, freq="min").astype(str),
            "version": version,
            "latency_ms": np.arange(1, n + 1) * 10.0,
            "error": [False] * (n - 1) + [True],
        }
    )
    for k, v in extra.items():
        df[k] = v
    return df


def test_schema_contract_for_the_aggregation():
    assert REQUIRED == ("timestamp", "version", "latency_ms", "error")
    assert set(REQUIRED) <= set(SCHEMA)
    assert {"cost_usd", "energy_wh", "prediction", "label", "group"} <= set(SCHEMA)
    assert SCHEMA["latency_ms"] == "float64" and SCHEMA["error"] == "bool"


def test_folder_of_csv_and_parquet_gives_the_canonical_schema(tmp_path):
    a = frame(version="v1", cost_usd=0.001, group="A", label=[1, None, 0, 1, None, 0])
    b = frame(version="v2", start="2026-01-01T00:30:00Z", cost_usd=0.002, group="B")
    a.to_csv(tmp_path / "a.csv", index=False)
    b2 = b.assign(timestamp=pd.to_datetime(b["timestamp"]))
    b2.to_parquet(tmp_path / "b.parquet")
    logs = read_logs(tmp_path)
    assert isinstance(logs, LogFrame)
    d = logs.data
    assert len(d) == 12 and logs.versions == ["v1", "v2"]
    assert str(d["timestamp"].dtype) == "datetime64[us, UTC]"
    assert d["latency_ms"].dtype == "float64" and d["error"].dtype == bool
    assert d["timestamp"].is_monotonic_increasing
    assert list(d.columns[:4]) == list(REQUIRED)
    assert d["label"].isna().sum() == 2 + 6  # delayed labels (and none in b) stay missing
    assert d["cost_usd"].sum() == pytest.approx(6 * 0.001 + 6 * 0.002)
    assert len(logs.excluded) == 0 and list(logs.excluded.columns) == list(EXCLUDED_COLUMNS)
    sha = {f["path"].rsplit("/", 1)[-1]: f["sha256"] for f in logs.files}
    assert sha["a.csv"] == hashlib.sha256((tmp_path / "a.csv").read_bytes()).hexdigest()
    assert "2 versions" in repr(logs)


def test_glob_and_single_file(tmp_path):
    frame(version="v1").to_csv(tmp_path / "day1.csv", index=False)
    frame(version="v2").to_csv(tmp_path / "day2.csv", index=False)
    (tmp_path / "notes.txt").write_text("ignored")
    assert len(read_logs(tmp_path / "day*.csv")) == 12
    assert read_logs(tmp_path / "day2.csv").versions == ["v2"]
    assert len(read_logs([tmp_path / "day1.csv", tmp_path / "day2.csv"])) == 12


def test_missing_paths_are_reported(tmp_path):
    frame().to_csv(tmp_path / "requests.csv", index=False)
    with pytest.raises(SourceNotFoundError, match=r"Did you mean 'requests.csv'"):
        read_logs(tmp_path / "request.csv")
    with pytest.raises(SourceNotFoundError, match="No log file matches"):
        read_logs(tmp_path / "*.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceNotFoundError, match="no \\*.parquet or \\*.csv"):
        read_logs(tmp_path / "empty")


def test_columns_maps_file_names_and_converts_units(tmp_path):
    df = frame().rename(columns={"version": "model_version", "latency_ms": "duration"})
    df["duration"] = df["duration"] / 1000  # seconds
    df.to_csv(tmp_path / "x.csv", index=False)
    logs = read_logs(tmp_path, columns={"version": "model_version", "latency_ms": "duration"}, latency_unit="s")
    assert logs.data["latency_ms"].tolist() == pytest.approx([10, 20, 30, 40, 50, 60])
    assert "model_version" not in logs.data.columns and "duration" not in logs.data.columns


@pytest.mark.parametrize("column, factor", [("latency_s", 1e-3), ("latency_us", 1e3), ("latency_ms", 1)])
def test_latency_suffix_sets_the_unit(tmp_path, column, factor):
    df = frame().rename(columns={"latency_ms": column})
    df[column] = df[column] * factor
    df.to_parquet(tmp_path / "x.parquet")
    assert read_logs(tmp_path).data["latency_ms"].tolist() == pytest.approx([10, 20, 30, 40, 50, 60])


def test_files_in_different_units_are_each_converted(tmp_path):
    frame().to_csv(tmp_path / "a.csv", index=False)
    s = frame(start="2026-01-02").rename(columns={"latency_ms": "latency_s"})
    s["latency_s"] /= 1000
    s.to_csv(tmp_path / "b.csv", index=False)
    assert read_logs(tmp_path).data["latency_ms"].max() == pytest.approx(60)


def test_mixed_and_unknown_units_raise(tmp_path):
    df = frame(latency_s=0.01)
    df.to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(MonitoringDataError, match="latency columns in different units: latency_ms, latency_s"):
        read_logs(tmp_path)
    with pytest.raises(MonitoringDataError, match=r"(?s)Latency unit 'sec' is not a supported unit.*Valid: ms, s, us"):
        read_logs(tmp_path, columns={"latency_ms": "latency_s"}, latency_unit="sec")
    frame().rename(columns={"latency_ms": "latency_s"}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(MonitoringDataError, match="latency_unit='ms' contradicts the column 'latency_s'"):
        read_logs(tmp_path, latency_unit="ms")


def test_missing_required_column_lists_columns_and_the_fix(tmp_path):
    frame().rename(columns={"version": "model_version"}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(UnknownNameError) as info:
        read_logs(tmp_path)
    msg = str(info.value)
    assert "has no 'version' column" in msg
    assert "Columns: timestamp, model_version, latency_ms, error." in msg
    assert "Did you mean 'model_version' for 'version'?" in msg
    assert "Fix: columns={'version': 'model_version'}" in msg
    renamed = {"timestamp": "ts", "version": "model", "latency_ms": "elapsed", "error": "outcome"}
    frame().rename(columns=renamed).to_csv(tmp_path / "y.csv", index=False)
    with pytest.raises(UnknownNameError) as info:
        read_logs(tmp_path / "y.csv")
    assert ("Fix: columns={'timestamp': 'ts', 'version': 'model', 'latency_ms': 'elapsed', 'error': 'outcome'}") in str(
        info.value
    )
    (tmp_path / "y.csv").unlink()
    frame().rename(columns={"latency_ms": "latency"}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(UnknownNameError, match=r"(?s)'latency_ms'.*Did you mean 'latency'.*latency_unit="):
        read_logs(tmp_path)
    with pytest.raises(UnknownNameError, match=r"Column 'verion' is not a column of log file"):
        read_logs(tmp_path, columns={"version": "verion"})
    with pytest.raises(UnknownNameError, match=r"(?s)Canonical column 'latency' .*Did you mean 'latency_ms'"):
        read_logs(tmp_path, columns={"latency": "latency"})


def test_bad_rows_are_excluded_with_reason_counts(tmp_path):
    df = frame(n=8)
    df.loc[0, "timestamp"] = "not a time"
    df.loc[1, "timestamp"] = "2026-13-45T99:00"
    df.loc[2, "timestamp"] = None
    df.loc[3, "latency_ms"] = -5.0
    df.loc[4, "version"] = None
    df.to_csv(tmp_path / "x.csv", index=False)
    logs = read_logs(tmp_path)
    assert len(logs.data) == 3
    counts = dict(zip(logs.excluded["reason"], logs.excluded["rows"], strict=True))
    assert counts == {"missing timestamp": 1, "unparseable timestamp": 2, "negative latency": 1, "missing version": 1}
    ex = logs.excluded.set_index("reason")
    assert ex.loc["negative latency", "example"] == "-5.0"
    assert ex.loc["unparseable timestamp", "example"] == "not a time"
    assert int(logs.excluded["rows"].sum()) + len(logs.data) == 8  # nothing dropped silently
    assert "5 rows excluded" in repr(logs)


def test_all_timestamps_unparseable_is_an_error(tmp_path):
    frame().assign(timestamp="yesterday").to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(MonitoringDataError, match=r"No timestamp in column 'timestamp'.*'yesterday'"):
        read_logs(tmp_path)


def test_naive_timestamps_are_utc_and_noted(tmp_path):
    frame(start="2026-01-01T10:00:00").to_csv(tmp_path / "naive.csv", index=False)
    offset = frame(start="2026-01-01T12:00:00+02:00", version="v2")
    offset.to_csv(tmp_path / "offset.csv", index=False)
    logs = read_logs(tmp_path)
    first = logs.data.groupby("version")["timestamp"].min()
    assert first["v1"] == first["v2"] == pd.Timestamp("2026-01-01T10:00:00Z")
    assert len(logs.notes) == 1 and "naive.csv" in logs.notes[0] and "UTC" in logs.notes[0]
    frame(start="2026-01-01T10:00:00").assign(timestamp=lambda d: pd.to_datetime(d["timestamp"])).to_parquet(
        tmp_path / "p.parquet"
    )
    assert read_logs(tmp_path / "p.parquet").data["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T10:00Z")


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0, 1, 0, 1, 0, 0], [False, True, False, True, False, False]),
        (["true", "FALSE", "True", "false", "false", "true"], [True, False, True, False, False, True]),
        (["ok", "error", "OK", "ok", "Error", "ok"], [False, True, False, False, True, False]),
    ],
)
def test_error_accepts_documented_encodings(tmp_path, values, expected):
    frame().assign(error=values).to_csv(tmp_path / "x.csv", index=False)
    assert read_logs(tmp_path).data["error"].tolist() == expected


def test_non_boolean_error_values_raise_naming_them(tmp_path):
    frame().assign(error=["ok", "timeout", "ok", "500", "ok", "ok"]).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(MonitoringDataError, match=r"(?s)'timeout', '500' \(2 rows\).*Valid: true/false"):
        read_logs(tmp_path)


def test_since_until_is_half_open(tmp_path):
    frame(n=10).to_csv(tmp_path / "x.csv", index=False)
    logs = read_logs(tmp_path, since="2026-01-01T00:02:00", until=pd.Timestamp("2026-01-01T00:05:00Z"))
    assert logs.data["timestamp"].dt.minute.tolist() == [2, 3, 4]
    assert len(logs.excluded) == 0


def test_unknown_file_type_and_non_numeric_cost(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(MonitoringDataError, match="neither CSV nor Parquet"):
        read_logs(tmp_path / "x.json")
    frame(cost_usd="cheap").to_csv(tmp_path / "y.csv", index=False)
    with pytest.raises(MonitoringDataError, match=r"Column 'cost_usd' .* non-numeric values: 'cheap'"):
        read_logs(tmp_path / "y.csv")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(min_value=-1e3, max_value=1e6, allow_nan=False), min_size=1, max_size=30),
    st.sampled_from(["ms", "s", "us"]),
)
def test_rows_are_kept_or_counted_never_lost(tmp_path_factory, latencies, unit):
    path = tmp_path_factory.mktemp("h") / "x.parquet"
    n = len(latencies)
    pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-01-01", periods=n, freq="s", tz="UTC"),
            "version": "v",
            "lat": latencies,
            "error": False,
        }
    ).to_parquet(path)
    logs = read_logs(path, columns={"latency_ms": "lat"}, latency_unit=unit)
    assert len(logs.data) + int(logs.excluded["rows"].sum()) == n
    assert (logs.data["latency_ms"] >= 0).all()
    factor = {"ms": 1, "s": 1000, "us": 0.001}[unit]
    kept = [x * factor for x in latencies if x >= 0]
    assert logs.data["latency_ms"].tolist() == pytest.approx(kept)


def test_resolve_columns_for_engines_reading_files_themselves(tmp_path):
    df = frame().rename(columns={"version": "model_version", "latency_ms": "latency_us"})
    df.assign(group="A").to_parquet(tmp_path / "a.parquet")
    frame().to_csv(tmp_path / "b.csv", index=False)
    files = list_log_files(tmp_path)
    assert [f.name for f in files] == ["a.parquet", "b.csv"]
    mapping, factor = resolve_columns(files[0], columns={"version": "model_version"})
    assert mapping == {
        "version": "model_version",
        "timestamp": "timestamp",
        "error": "error",
        "group": "group",
        "latency_ms": "latency_us",
    }
    assert factor == 0.001
    assert resolve_columns(files[1], latency_unit="ms") == (
        {c: c for c in REQUIRED if c != "latency_ms"} | {"latency_ms": "latency_ms"},
        1.0,
    )
    with pytest.raises(UnknownNameError, match="has no 'version' column"):
        resolve_columns(files[0])
    with pytest.raises(MonitoringDataError, match="contradicts"):
        resolve_columns(files[0], columns={"version": "model_version"}, latency_unit="s")


# --- serving energy (CodeCarbon) ---------------------------------------------------------------

EMISSIONS = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,energy_consumed\n"
    "2026-01-01T10:30:00,serve,r1,v1,1800,0.001,0.004\n"
    "2026-01-01T10:59:00,serve,r1,v1,3540,0.002,0.010\n"  # cumulative snapshot of r1: 10 Wh
    "2026-01-01T11:59:00,serve,r2,v1,3600,0.003,0.012\n"
    "2026-01-01T10:59:00,serve,r3,v2,3600,0.001,0.005\n"
    "2026-01-01T10:59:00,serve,r4,canary,3600,0.001,0.001\n"
)


def test_serving_energy_per_version_and_window(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text(EMISSIONS)
    per_version = serving_energy(path, by="experiment_id")
    assert per_version.set_index("version")["energy_wh"].to_dict() == pytest.approx(
        {"v1": 22.0, "v2": 5.0, "canary": 1.0}
    )
    assert per_version.set_index("version")["runs"].to_dict() == {"v1": 2, "v2": 1, "canary": 1}
    hourly = serving_energy(path, by="experiment_id", window="1h")
    v1 = hourly[hourly["version"] == "v1"]
    assert v1["window"].tolist() == [pd.Timestamp("2026-01-01T10:00Z"), pd.Timestamp("2026-01-01T11:00Z")]
    assert v1["energy_wh"].tolist() == pytest.approx([10.0, 12.0])
    mapped = serving_energy(path, by="run_id", version_map={"r1": "v1", "r2": "v1", "r3": "v2"})
    assert mapped["version"].tolist() == ["v1", "v2"] and mapped.attrs["unmatched"] == ["r4"]
    assert serving_energy(path, by="experiment_id", energy_unit="kWh")["energy_kwh"].sum() == pytest.approx(0.028)


def test_serving_energy_errors(tmp_path):
    path = tmp_path / "emissions.csv"
    path.write_text(EMISSIONS)
    with pytest.raises(UnknownNameError, match=r"(?s)Key column 'run'.*Did you mean 'run_id'"):
        serving_energy(path, by="run")
    with pytest.raises(MonitoringDataError, match=r"No CodeCarbon run's 'run_id' is a key of version_map"):
        serving_energy(path, by="run_id", version_map={"x": "v1"})
    with pytest.raises(MonitoringDataError, match="not a pandas frequency"):
        serving_energy(path, window="fortnight")


def test_serving_energy_from_the_real_tracker(tmp_path):
    pytest.importorskip("codecarbon")
    from codecarbon import OfflineEmissionsTracker
    from codecarbon.output_methods.base_output import OutputMethod

    for version, flush in (("v1", True), ("v2", False)):
        tracker = OfflineEmissionsTracker(
            country_iso_code="SWE",
            output_methods=[OutputMethod.CSV],
            output_dir=str(tmp_path),
            log_level="error",
            project_name=version,
        )
        tracker.start()
        sum(i * i for i in range(200_000))
        if flush:
            tracker.flush()
        tracker.stop()
    raw = pd.read_csv(tmp_path / "emissions.csv")
    out = serving_energy(tmp_path / "emissions.csv", window="1D")
    assert out["version"].tolist() == ["v1", "v2"] and out["runs"].tolist() == [1, 1]
    last = raw.groupby("project_name")["energy_consumed"].last() * 1000
    assert out.set_index("version")["energy_wh"].to_dict() == pytest.approx(last.to_dict())
    assert str(out["window"].dtype).endswith("UTC]")
