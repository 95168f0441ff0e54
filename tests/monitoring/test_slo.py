"""SLO compliance per (version, window) and error-budget burn, on hand-made aggregated frames."""

import numpy as np
import pandas as pd
import pytest

from workbench import QualityModel
from workbench.errors import UnknownNameError, UnknownObjectiveError
from workbench.monitoring.schema import MonitoringError
from workbench.monitoring.slo import COMPLIANCE_COLUMNS, SUMMARY_COLUMNS, slo_compliance, slo_summary

T0 = pd.Timestamp("2026-03-01", tz="UTC")
H = pd.Timedelta("1h")


def frame(rows):
    """rows: {(version, window index): {column: value}} -> aggregated frame."""
    out = []
    for (v, w), values in rows.items():
        out.append(
            {
                "version": v,
                "window_start": T0 + w * H,
                "window_end": T0 + (w + 1) * H,
                "n_requests": values.pop("n", 1000),
                **values,
            }
        )
    return pd.DataFrame(out)


@pytest.fixture
def qm():
    return QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_p95_ms",
                    "direction": "min",
                    "unit": "ms",
                    "source": "latency_ms",
                    "aggregation": "p95",
                    "constraint": ["<= 120", "<= 1.1 * champion"],
                },
                {
                    "name": "error_rate",
                    "direction": "min",
                    "source": "error",
                    "aggregation": "rate",
                    "constraint": "<= 0.01",
                },
            ]
        }
    )


def test_values_limits_margins_and_relative_limits_per_window(qm):
    agg = frame(
        {
            ("v1", 0): {"latency_p95_ms": 100.0, "error_rate": 0.005},
            ("v2", 0): {"latency_p95_ms": 115.0, "error_rate": 0.02},
            ("v1", 1): {"latency_p95_ms": 80.0, "error_rate": 0.01},
            ("v2", 1): {"latency_p95_ms": 100.0, "error_rate": 0.0},
        }
    )
    out = slo_compliance(agg, qm, champion="v1")
    assert list(out.columns) == COMPLIANCE_COLUMNS
    assert len(out) == 2 * 2 * 3
    rel = out[(out["constraint"] == "latency_p95_ms <= 1.1 * champion")].set_index(["version", "window_start"])
    # resolved against the champion's value in the same window: 110 then 88
    assert rel.loc[("v2", T0), "limit"] == pytest.approx(110.0)
    assert rel.loc[("v2", T0 + H), "limit"] == pytest.approx(88.0)
    assert not rel.loc[("v2", T0), "met"] and not rel.loc[("v2", T0 + H), "met"]
    assert rel.loc[("v2", T0 + H), "margin"] == pytest.approx(-12.0)
    assert rel.loc[("v1", T0), "met"]
    err = out[out["objective"] == "error_rate"].set_index(["version", "window_start"])
    assert err.loc[("v2", T0), "burn_rate"] == pytest.approx(2.0)
    assert err.loc[("v1", T0 + H), "met"]  # <= is inclusive at equality
    assert err.loc[("v1", T0 + H), "burn_rate"] == pytest.approx(1.0)
    assert out.loc[out["objective"] == "latency_p95_ms", "burn_rate"].isna().all()


def test_summary_compliance_ratio_and_budget_consumed(qm):
    agg = frame(
        {
            ("v1", 0): {"latency_p95_ms": 100.0, "error_rate": 0.005, "n": 1000},
            ("v1", 1): {"latency_p95_ms": 130.0, "error_rate": 0.03, "n": 3000},
            ("v1", 2): {"latency_p95_ms": 90.0, "error_rate": 0.0, "n": 1000},
            ("v1", 3): {"latency_p95_ms": 90.0, "error_rate": 0.0, "n": 1000},
        }
    )
    summary = slo_summary(slo_compliance(agg, qm, champion="v1")).set_index("constraint")
    assert list(slo_summary(slo_compliance(agg, qm, champion="v1")).columns) == SUMMARY_COLUMNS
    assert summary.loc["latency_p95_ms <= 120", "compliance"] == pytest.approx(0.75)
    assert summary.loc["latency_p95_ms <= 120", "worst_margin"] == pytest.approx(-10.0)
    # Σ errors / (limit × Σ requests) = (5 + 90) / (0.01 × 6000)
    assert summary.loc["error_rate <= 0.01", "budget_consumed"] == pytest.approx(95 / 60)
    assert np.isnan(summary.loc["latency_p95_ms <= 120", "budget_consumed"])


def test_success_rate_budget_is_one_minus_limit():
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "success", "direction": "max", "source": "ok", "aggregation": "rate", "constraint": ">= 0.99"}
            ]
        }
    )
    out = slo_compliance(frame({("v1", 0): {"success": 0.98}}), qm)
    assert out["burn_rate"].iloc[0] == pytest.approx(2.0)
    assert not out["met"].iloc[0]


def test_missing_baseline_window_gives_na_not_a_guess(qm):
    agg = frame(
        {
            ("v1", 0): {"latency_p95_ms": 100.0, "error_rate": 0.0},
            ("v2", 1): {"latency_p95_ms": 100.0, "error_rate": 0.0},
        }
    )
    out = slo_compliance(agg, qm, champion="v1")
    row = out[(out["version"] == "v2") & (out["constraint"] == "latency_p95_ms <= 1.1 * champion")].iloc[0]
    assert pd.isna(row["limit"]) and pd.isna(row["met"]) and pd.isna(row["margin"])
    summary = slo_summary(out).set_index(["version", "constraint"])
    assert summary.loc[("v2", "latency_p95_ms <= 1.1 * champion"), "n_windows"] == 0


def test_index_form_and_caller_frame_untouched(qm):
    agg = frame({("v1", 0): {"latency_p95_ms": 100.0, "error_rate": 0.0}}).set_index(["version", "window_start"])
    before = agg.copy()
    out = slo_compliance(agg, qm, champion="v1")
    assert len(out) == 3 and out["met"].all()
    pd.testing.assert_frame_equal(agg, before)


def test_errors(qm):
    agg = frame({("v1", 0): {"latency_p95_ms": 100.0, "error_rate": 0.0}})
    with pytest.raises(UnknownNameError, match="relative to 'champion', but no champion was given"):
        slo_compliance(agg, qm)
    with pytest.raises(UnknownNameError, match="Baseline of constraint .* 'v9'"):
        slo_compliance(agg, qm, champion="v9")
    with pytest.raises(UnknownObjectiveError, match="Objective 'error_rate' is not a column of the aggregated"):
        slo_compliance(agg.drop(columns="error_rate"), qm, champion="v1")
    with pytest.raises(MonitoringError, match="lacks 'version'"):
        slo_compliance(agg.drop(columns="version"), qm, champion="v1")
    with pytest.raises(MonitoringError, match="several rows for version 'v1'"):
        slo_compliance(pd.concat([agg, agg]), qm, champion="v1")


def test_no_constraints_gives_empty_frames():
    qm = QualityModel.from_dict({"objectives": [{"name": "latency_p95_ms", "direction": "min"}]})
    out = slo_compliance(frame({("v1", 0): {"latency_p95_ms": 1.0}}), qm)
    assert out.empty and list(out.columns) == COMPLIANCE_COLUMNS
    assert slo_summary(out).empty
