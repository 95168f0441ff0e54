"""Evidently reports as reopen evidence, on real Evidently 0.7.23 exports.

tests/data/evidently/*.json were written by the real library (tests/data/evidently/generate.py, run
in its own environment: Evidently does not import next to pandas 3). v1's current data is drawn
from the reference distribution; v2's has an injected drift in ``amount`` and ``channel`` and 5 %
missing ``amount``. Evidently's own verdicts in those files are the oracle: its
``DriftedColumnsCount`` and its ValueDrift test statuses.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests._serving import serving_model
from workbench.errors import SourceNotFoundError
from workbench.monitoring import MonitoringError, detect, drift_triggers, watch, with_drift
from workbench.sources import read_evidently

DATA = Path(__file__).parent.parent / "data" / "evidently"
T0 = pd.Timestamp("2026-03-01", tz="UTC")
QM = serving_model()


def report(version, name):
    return DATA / f"{version}_{name}.json"


def healthy_logs(hours=3, n=400, seed=0):
    rng = np.random.default_rng(seed)
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "timestamp": T0 + pd.Timedelta(hours=h) + pd.to_timedelta(rng.uniform(0, 3600, n), unit="s"),
                    "version": v,
                    "latency_ms": 50.0 * rng.lognormal(0, 0.15, n),
                    "error": rng.random(n) < 0.01,
                }
            )
            for h in range(hours)
            for v in ("v1", "v2")
        ],
        ignore_index=True,
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_value_drift_verdicts_agree_with_evidently_s_own_count(version):
    df = read_evidently(report(version, "drift"))
    drift = df[df["metric_type"] == "ValueDrift"].set_index("column")
    assert drift["field"].eq("drift_score").all() and drift["drift_detected"].notna().all()
    counted = df[(df["metric_type"] == "DriftedColumnsCount") & (df["field"] == "count")]["value"].item()
    assert int(drift["drift_detected"].sum()) == counted  # Evidently's DriftedColumnsCount
    expected = {"amount", "channel"} if version == "v2" else set()
    assert set(drift.index[drift["drift_detected"].astype(bool)]) == expected
    assert (
        drift.loc["amount", "stattest"] == "Wasserstein distance (normed)" and drift.loc["amount", "threshold"] == 0.1
    )


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_value_drift_verdicts_agree_with_evidently_s_tests(version):
    df = read_evidently(report(version, "value_drift"))
    metrics = df[df["kind"] == "metric"].set_index("column")
    tests = df[df["kind"] == "test"].set_index("column")
    assert tests["metric_type"].eq("ValueDrift").all()
    for column in ("amount", "channel"):  # an explicit method (psi) and a default one (Jensen-Shannon)
        assert bool(metrics.loc[column, "drift_detected"]) == (tests.loc[column, "status"] == "FAIL")
    assert metrics.loc["amount", "stattest"] == "psi"


def test_v1_gives_no_drift_warning_v2_names_column_method_score_threshold():
    assert not [
        t
        for t in drift_triggers([report("v1", "drift"), report("v1", "value_drift")], version="v1")
        if t.severity != "info"
    ]
    triggers = drift_triggers({"v2": [report("v2", "drift"), report("v2", "value_drift")]})
    warnings = [t for t in triggers if t.severity == "warning"]
    # amount by Wasserstein and by PSI, channel once (the same metric is in both reports)
    assert sorted((t.evidence["column"], t.evidence["method"]) for t in warnings) == [
        ("amount", "Wasserstein distance (normed)"),
        ("amount", "psi"),
        ("channel", "Jensen-Shannon distance"),
    ]
    assert all(t.kind == "data_drift" and t.version == "v2" for t in warnings)
    assert not any(t.severity == "critical" for t in triggers)
    psi = next(t for t in warnings if t.evidence["method"] == "psi")
    score = json.loads(report("v2", "value_drift").read_text())["metrics"][0]["value"]
    assert psi.value == score and psi.threshold == 0.1 and psi.evidence["comparison"] == ">="
    assert psi.message.startswith("v2: data drift in column amount: psi score 0.7001 is at or above the threshold 0.1")
    assert "v2_value_drift.json" in psi.message


def test_quality_failures_are_informational_and_name_the_tests():
    (v2,) = drift_triggers(report("v2", "summary"), version="v2")
    assert (v2.kind, v2.severity) == ("data_quality", "info")
    assert "amount" in v2.evidence["columns"] and any("missing values" in n for n in v2.evidence["failed"])
    assert "Column 'amount' missing values" in v2.message and "without a sampling interval" in v2.message
    (v1,) = drift_triggers(report("v1", "summary"), version="v1")
    assert v1.value < v2.value  # v1 fails only Evidently's noisy min-value tests


def test_watch_and_detect_with_drift_take_reports_as_reopen_evidence(tmp_path):
    logs = healthy_logs()
    calm = watch(logs, QM, window="1h", drift=[f"v1={report('v1', 'drift')}", report("v1", "summary")])
    assert not calm.review_due and all(t.severity == "info" for t in calm.triggers)
    assert calm.provenance["evidently"][0]["version"] == "v1" and len(calm.provenance["evidently"][0]["sha256"]) == 64
    drifted = watch(logs, QM, window="1h", drift=f"v2={report('v2', 'drift')}")
    assert drifted.review_due and drifted.verdict == "review due"
    assert {t.evidence["column"] for t in drifted.triggers if t.kind == "data_drift"} == {"amount", "channel"}
    payload = json.loads(drifted.to_json())
    assert any(t["kind"] == "data_drift" and t["evidence"]["threshold"] == 0.1 for t in payload["triggers"])
    # detect() on the same aggregated frame gives the same drift triggers
    again = with_drift(detect(drifted.aggregated, QM), {"v2": read_evidently(report("v2", "drift"))})
    assert [t.message for t in again if t.kind == "data_drift"] == [
        t.message.replace("v2_drift.json", "the Evidently report") for t in drifted.triggers if t.kind == "data_drift"
    ]


def test_cli_watch_evidently_exit_codes(tmp_path):
    from workbench.cli import app

    healthy_logs().to_parquet(tmp_path / "logs.parquet")
    QM.to_yaml(tmp_path / "q.yaml")
    base = ["watch", str(tmp_path / "logs.parquet"), "-m", str(tmp_path / "q.yaml"), "--window", "1h"]
    ok = CliRunner().invoke(app, [*base, "--evidently", f"v1={report('v1', 'drift')}"])
    assert ok.exit_code == 0, ok.output
    due = CliRunner().invoke(
        app,
        [
            *base,
            "--evidently",
            f"v2={report('v2', 'drift')}",
            "--evidently",
            str(report("v2", "summary")),
            "-o",
            str(tmp_path / "t.json"),
        ],
    )
    assert due.exit_code == 1, due.output
    assert "data_drift" in due.output and "data_quality" in due.output
    saved = json.loads((tmp_path / "t.json").read_text())
    assert {t["evidence"].get("column") for t in saved["triggers"] if t["kind"] == "data_drift"} == {
        "amount",
        "channel",
    }
    missing = CliRunner().invoke(app, [*base, "--evidently", str(tmp_path / "nope.json")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_bad_drift_inputs_say_what_to_pass(tmp_path):
    with pytest.raises(MonitoringError, match=r"(?s)lacks the columns.*Fix: pass the report's JSON path"):
        drift_triggers(pd.DataFrame({"column": ["a"]}))
    with pytest.raises(SourceNotFoundError, match=r"(?s)does not exist.*Did you mean 'v2_drift.json'"):
        drift_triggers(DATA / "v2_drfit.json")
    unknown = {
        "metrics": [
            {
                "id": "x",
                "config": {
                    "type": "evidently:metric_v2:ValueDrift",
                    "column": "a",
                    "method": "my_test",
                    "threshold": 0.1,
                },
                "value": 0.5,
            }
        ]
    }
    (t,) = drift_triggers(unknown)
    assert t.severity == "info" and "rule is unknown" in t.message and t.evidence["drift_detected"] is None


def test_monitoring_board_shows_the_drift_evidence():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("altair")
    from widgets import MonitoringBoard

    board = MonitoringBoard(healthy_logs(), QM, window="1h", drift={"v2": report("v2", "drift")})
    assert board.error_text == ""
    assert board.drift_table in board.children
    html = board.drift_table.value
    assert "Data drift (Evidently)" in html and "amount" in html and "Jensen-Shannon distance" in html
    assert "data_drift" in board.table.value
    quiet = MonitoringBoard(healthy_logs(), QM, window="1h")
    assert quiet.drift_table not in quiet.children
