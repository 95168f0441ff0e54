"""Evidently JSON exports, written by hand in the shapes Evidently produces (it is not imported)."""

import json

import pytest

from workbench.errors import SourceNotFoundError
from workbench.sources.evidently import EVIDENTLY_COLUMNS, read_evidently
from workbench.sources.logs import MonitoringDataError

# Evidently 0.4 `Report(metrics=[DatasetDriftMetric(), DataDriftTable()]).json()` plus a TestSuite.
LEGACY = {
    "version": "0.4.33",
    "timestamp": "2026-01-05 10:00:00.000000",
    "metrics": [
        {
            "metric": "DatasetDriftMetric",
            "result": {
                "drift_share": 0.5,
                "number_of_columns": 4,
                "number_of_drifted_columns": 1,
                "share_of_drifted_columns": 0.25,
                "dataset_drift": False,
            },
        },
        {
            "metric": "DataDriftTable",
            "result": {
                "number_of_columns": 4,
                "number_of_drifted_columns": 1,
                "share_of_drifted_columns": 0.25,
                "dataset_drift": False,
                "drift_by_columns": {
                    "age": {
                        "column_name": "age",
                        "column_type": "num",
                        "stattest_name": "K-S p_value",
                        "stattest_threshold": 0.05,
                        "drift_score": 0.0012,
                        "drift_detected": True,
                        "current": {"small_distribution": {"x": [1, 2], "y": [0.4, 0.6]}},
                        "reference": {"small_distribution": {"x": [1, 2], "y": [0.5, 0.5]}},
                    },
                    "income": {
                        "column_name": "income",
                        "column_type": "num",
                        "stattest_name": "Wasserstein distance (normed)",
                        "stattest_threshold": 0.1,
                        "drift_score": 0.04,
                        "drift_detected": False,
                    },
                    "region": {
                        "column_name": "region",
                        "column_type": "cat",
                        "stattest_name": "chi-square p_value",
                        "stattest_threshold": 0.05,
                        "drift_score": 0.61,
                        "drift_detected": False,
                    },
                    "device": {
                        "column_name": "device",
                        "column_type": "cat",
                        "stattest_name": "Jensen-Shannon",
                        "stattest_threshold": 0.1,
                        "drift_score": 0.02,
                        "drift_detected": False,
                    },
                },
            },
        },
        {
            "metric": "ColumnDriftMetric",
            "result": {
                "column_name": "prediction",
                "column_type": "num",
                "stattest_name": "PSI",
                "stattest_threshold": 0.1,
                "drift_score": 0.23,
                "drift_detected": True,
            },
        },
        {"metric": "ColumnSummaryMetric", "result": {"column_name": "age", "plot_data": [1, 2, 3]}},
    ],
    "tests": [
        {
            "name": "Share of Drifted Columns",
            "description": "The drift is detected for 25% columns.",
            "status": "SUCCESS",
            "group": "data_drift",
            "parameters": {"condition": {"lt": 0.3}, "value": 0.25},
        },
        {
            "name": "Drift per Column",
            "description": "The drift score for the feature **age** is 0.001.",
            "status": "FAIL",
            "group": "data_drift",
            "parameters": {"column_name": "age", "stattest": "K-S p_value", "score": 0.001},
        },
    ],
}

# Evidently 0.7 `Report([DataDriftPreset()]).run(cur, ref).json()` (a snapshot), abridged.
SNAPSHOT = {
    "metrics": [
        {
            "id": "8c2ed0b5a1",
            "metric_name": "DriftedColumnsCount(drift_share=0.5)",
            "config": {"type": "evidently:metric_v2:DriftedColumnsCount", "columns": None, "drift_share": 0.5},
            "value": {"count": 1.0, "share": 0.5},
        },
        {
            "id": "f01a9c",
            "metric_name": "ValueDrift(column=latency_ms,method=K-S p_value,threshold=0.05)",
            "config": {
                "type": "evidently:metric_v2:ValueDrift",
                "column": "latency_ms",
                "method": "K-S p_value",
                "threshold": 0.05,
            },
            "value": 0.003,
        },
        {
            "id": "77b1e2",
            "metric_name": "ValueDrift(column=group,method=Jensen-Shannon distance,threshold=0.1)",
            "config": {
                "type": "evidently:metric_v2:ValueDrift",
                "column": "group",
                "method": "Jensen-Shannon distance",
                "threshold": 0.1,
            },
            "value": 0.04,
        },
        {
            "id": "odd1",
            "metric_name": "SomethingNew()",
            "config": {"type": "evidently:metric_v2:SomethingNew"},
            "value": [[0.1, 0.2], "text"],
        },
        {"id": "odd2", "metric_name": "NoValue()", "config": {}},
        "not even an object",
    ],
    "tests": [
        {
            "id": "t1",
            "name": "Share of Drifted Columns: Less 0.5",
            "description": "Drifted columns share is 0.5",
            "status": "FAIL",
            "metric_config": {"metric": "DriftedColumnsCount", "params": {"drift_share": 0.5}},
            "test_config": {"type": "evidently:test_v2:LessThanMetricTest", "threshold": 0.5},
        },
        {
            "id": "t2",
            "name": "Value drift for latency_ms",
            "description": "Drift score is 0.003",
            "status": "success",
            "metric_config": {"metric": "ValueDrift", "params": {"column": "latency_ms"}},
            "test_config": {"type": "evidently:test_v2:ValueDriftTest"},
        },
    ],
}


@pytest.fixture
def legacy_path(tmp_path):
    path = tmp_path / "drift_report.json"
    path.write_text(json.dumps(LEGACY))
    return path


def test_legacy_report_dataset_and_per_column_drift(legacy_path):
    df = read_evidently(legacy_path)
    assert list(df.columns) == list(EVIDENTLY_COLUMNS)
    ds = df[df["metric_type"] == "DatasetDriftMetric"].set_index("field")["value"]
    assert ds["share_of_drifted_columns"] == 0.25 and ds["drift_share"] == 0.5
    assert ds["number_of_drifted_columns"] == 1 and ds["dataset_drift"] == 0.0
    table = df[(df["metric_type"] == "DataDriftTable") & (df["field"] == "drift_score")].set_index("column")
    assert table["value"].to_dict() == {"age": 0.0012, "income": 0.04, "region": 0.61, "device": 0.02}
    assert table.loc["age", "drift_detected"] and not table.loc["income", "drift_detected"]
    assert table.loc["age", "stattest"] == "K-S p_value" and table.loc["income", "threshold"] == 0.1
    # distributions for plots are not results
    assert not df["field"].astype(str).str.contains("small_distribution").any()
    col = df[df["metric_type"] == "ColumnDriftMetric"].iloc[0]
    assert (col["column"], col["field"], col["value"], col["stattest"]) == ("prediction", "drift_score", 0.23, "PSI")
    summary = df[df["metric_type"] == "ColumnSummaryMetric"].set_index("field")
    assert summary.loc["plot_data", "raw"] == "[1, 2, 3]" and summary["value"].isna().all()


def test_legacy_tests_with_status(legacy_path):
    tests = read_evidently(legacy_path).query("kind == 'test'")
    assert tests["status"].tolist() == ["SUCCESS", "FAIL"]
    assert tests["metric_name"].tolist() == ["Share of Drifted Columns", "Drift per Column"]
    assert tests["value"].iloc[0] == 0.25
    assert tests["column"].iloc[1] == "age" and "age" in tests["raw"].iloc[1]


def test_snapshot_values_tests_and_unknown_shapes(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(SNAPSHOT))
    df = read_evidently(path)
    metrics = df[df["kind"] == "metric"]
    count = metrics[metrics["metric_type"] == "DriftedColumnsCount"].set_index("field")["value"]
    assert count.to_dict() == {"count": 1.0, "share": 0.5}
    drift = metrics[metrics["metric_type"] == "ValueDrift"].set_index("column")
    assert drift.loc["latency_ms", "value"] == 0.003 and drift.loc["latency_ms", "threshold"] == 0.05
    assert drift.loc["group", "stattest"] == "Jensen-Shannon distance"
    assert drift["field"].eq("drift_score").all()
    # by each method's rule: a K-S p-value 0.003 <= 0.05 is drift, a JS distance 0.04 < 0.1 is not
    assert drift.loc["latency_ms", "drift_detected"] and not drift.loc["group", "drift_detected"]
    odd = metrics.set_index("metric_id")
    assert odd.loc["odd1", "raw"] == '[[0.1, 0.2], "text"]' and odd.loc["odd1", "metric_type"] == "SomethingNew"
    assert odd.loc["odd2", "raw"] is not None
    assert odd.loc["#5", "raw"] == '"not even an object"'
    tests = df[df["kind"] == "test"].set_index("metric_id")
    assert tests["status"].to_dict() == {"t1": "FAIL", "t2": "SUCCESS"}
    assert tests.loc["t2", "column"] == "latency_ms"
    assert read_evidently(SNAPSHOT).equals(df)  # a dict reads the same as its file


def test_bad_inputs(tmp_path):
    bad = tmp_path / "report.json"
    bad.write_text('{"metrics": [')
    with pytest.raises(MonitoringDataError, match=r"(?s)is not valid JSON.*Fix: export with snapshot.json"):
        read_evidently(bad)
    with pytest.raises(SourceNotFoundError, match=r"(?s)does not exist.*Did you mean 'report.json'"):
        read_evidently(tmp_path / "reprot.json")
    other = tmp_path / "other.json"
    other.write_text('{"status": "success"}')
    with pytest.raises(MonitoringDataError, match=r"not an Evidently report or snapshot.*found: status"):
        read_evidently(other)
    empty = read_evidently({"metrics": [], "tests": []})
    assert empty.empty and list(empty.columns) == list(EVIDENTLY_COLUMNS)
