"""workbench.monitoring.watch: the watch workflow as a library function returning a WatchReport."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel
from workbench.decisions import DecisionRecord
from workbench.monitoring import MonitoringError, WatchReport, watch
from workbench.monitoring.watch import explain_degradation, parse_columns

T0 = pd.Timestamp("2026-03-01", tz="UTC")
QM = QualityModel.from_dict(
    {
        "objectives": [
            {
                "name": "latency_p95_ms",
                "direction": "min",
                "unit": "ms",
                "source": "latency_ms",
                "aggregation": "p95",
                "tolerance": 2,
                "constraint": "<= 120",
            },
            {
                "name": "error_rate",
                "direction": "min",
                "source": "error",
                "aggregation": "rate",
                "tolerance": 0.002,
                "constraint": "<= 0.05",
            },
        ]
    }
)


def logs(degrade=None, hours=4, n=400, seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for h in range(hours):
        for v, lat in (("v1", 40.0), ("v2", 60.0), ("v3", 80.0)):
            slow = 1 + (0.4 * h if v == degrade else 0)
            parts.append(
                pd.DataFrame(
                    {
                        "ts": T0 + pd.Timedelta(hours=h) + pd.to_timedelta(rng.uniform(0, 3600, n), unit="s"),
                        "model_version": v,
                        "latency_ms": lat * slow * rng.lognormal(0, 0.15, n),
                        "error": rng.random(n) < 0.01,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def test_watch_returns_a_frozen_report_with_tables_triggers_verdict_provenance(tmp_path):
    data = logs(degrade="v3")
    data.to_parquet(tmp_path / "logs.parquet")
    report = watch(str(tmp_path / "logs.parquet"), QM, decision=DecisionRecord(chosen="v1"), window="1h")
    assert isinstance(report, WatchReport) and report.review_due and report.verdict == "review due"
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.verdict = "x"
    hit = next(t for t in report.triggers if t.kind == "constraint_violated")
    assert hit.version == "v3" and hit.evidence["for_windows"] == 2
    assert {"latency_p95_ms_lo", "latency_p95_ms_hi", "latency_p95_ms_n"} <= set(report.aggregated.columns)
    assert "note: " not in " ".join(report.notes) and any(
        "'model_version' read as 'version'" in n for n in report.notes
    )
    assert report.provenance["columns"] == {"version": "model_version", "timestamp": "ts"}
    assert report.provenance["champion"] == "v1" and report.provenance["level"] == 0.95
    assert len(report.provenance["log_files"][0]["sha256"]) == 64
    payload = json.loads(report.to_json())
    assert payload["review_due"] is True and payload["triggers"][0]["evidence"]["level"] == 0.95
    ev = report.evidence_table()
    assert set(ev["objective"]) == {"latency_p95_ms", "error_rate"} and (ev["lo"] <= ev["value"]).all()
    lines = explain_degradation(report, degraded="v3", versions=["v1", "v2", "v3"])
    assert lines[0].startswith("Injected degradation: v3") and "NOT explained" not in " ".join(lines)
    # each alarm names its objective and the evidence it rests on
    hit = payload["triggers"][0]
    assert lines[1].startswith(f"- {hit['kind']} for v3, {hit['objective']} ")
    assert f"(95 %, n = {hit['evidence']['n']:,}), limit " in lines[1] and "right: it concerns v3" in lines[1]
    assert lines[-1] == "Healthy versions with no alarm: v1, v2."


def test_healthy_logs_give_no_review_and_a_dataframe_can_be_mapped():
    report = watch(logs(), QM, columns="version=model_version,timestamp=ts", window="1h")
    assert not report.review_due and report.verdict == "no trigger: no review due"


def test_explain_degradation_flags_an_alarm_on_a_healthy_version():
    payload = {
        "triggers": [{"kind": "constraint_violated", "severity": "warning", "version": "v1", "evidence": {"rule": "r"}}]
    }
    lines = explain_degradation(payload, degraded="v3", versions=["v1", "v3"])
    assert "NOT explained by the injected degradation" in lines[1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"level": 1.0}, r"Interval level 1.0 is not in \(0, 1\)"),
        ({"for_windows": 0}, "for_windows 0 must be a whole number >= 1"),
        ({"columns": "version=nope"}, r"(?s)'nope'.*model_version"),
    ],
)
def test_bad_arguments_name_the_valid_values(tmp_path, kwargs, match):
    logs().to_parquet(tmp_path / "l.parquet")
    with pytest.raises(MonitoringError if "columns" not in kwargs else KeyError, match=match):
        watch(str(tmp_path / "l.parquet"), QM, **kwargs)


def test_parse_columns():
    assert parse_columns("version=a, latency_ms=b") == {"version": "a", "latency_ms": "b"}
    with pytest.raises(MonitoringError, match="CANONICAL=COLUMN"):
        parse_columns("version")
