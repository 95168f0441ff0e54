"""monitoring_timeseries / monitoring_panel on a hand-made aggregated frame: spec and SVG render."""

import json

import pandas as pd
import pytest

from tests._serving import serving_model
from workbench import QualityModel
from workbench.errors import UnknownObjectiveError
from workbench.monitoring import detect
from workbench.views import ChartError, monitoring_panel, monitoring_timeseries

T0 = pd.Timestamp("2026-03-01", tz="UTC")
H = pd.Timedelta("1h")


@pytest.fixture
def qm():
    return serving_model(error="<= 1.5 * champion", cost="column")


@pytest.fixture
def agg():
    rows = {
        ("v1", 0): (100, 0.010, 1.0),
        ("v2", 0): (90, 0.010, 1.2),
        ("v1", 1): (105, 0.012, 1.0),
        ("v2", 1): (150, 0.030, 1.2),
    }
    return pd.DataFrame(
        [
            {
                "version": v,
                "window_start": T0 + w * H,
                "window_end": T0 + (w + 1) * H,
                "n_requests": 1000,
                "latency_p95_ms": lat,
                "error_rate": err,
                "cost_per_1k": cost,
            }
            for (v, w), (lat, err, cost) in rows.items()
        ]
    )


def layer_of(spec, dataset):
    return next(lay for lay in spec["layer"] if lay["data"]["name"] == dataset)


def test_timeseries_spec_has_lines_slo_triggers_and_champion(agg, qm):
    triggers = detect(agg, qm, champion="v1")
    chart = monitoring_timeseries(agg, qm, "latency_p95_ms", triggers=triggers, champion="v1")
    spec = chart.to_dict()
    series = spec["datasets"]["series"]
    assert len(series) == 4 and {r["version"] for r in series} == {"v1", "v2"}
    assert [r["champion"] for r in series if r["version"] == "v1"] == [True, True]
    lines = layer_of(spec, "series")
    assert lines["encoding"]["y"]["title"] == "latency_p95_ms [ms] (↓ better)"
    assert lines["encoding"]["x"]["type"] == "temporal"
    assert lines["encoding"]["strokeWidth"]["scale"]["range"] == [1.5, 4]
    assert {r["limit"] for r in spec["datasets"]["limits"]} == {120.0}
    marked = spec["datasets"]["triggers"]
    assert any(t["kind"] == "constraint_violated" and t["version"] == "v2" and t["value"] == 150 for t in marked)
    assert all(t["message"] for t in marked)
    tips = [t["field"] for t in layer_of(spec, "triggers")["encoding"]["tooltip"]]
    assert "message" in tips
    json.dumps(spec)  # self-contained, JSON-safe


def test_relative_slo_is_resolved_per_window(agg, qm):
    spec = monitoring_timeseries(agg, qm, "error_rate", champion="v1").to_dict()
    assert [r["limit"] for r in spec["datasets"]["limits"]] == pytest.approx([0.015, 0.018])
    # without a champion the relative SLO cannot be drawn, but the chart still builds
    spec = monitoring_timeseries(agg, qm, "error_rate").to_dict()
    assert "limits" not in spec["datasets"]


def test_unknown_objective_lists_valid_names(agg, qm):
    with pytest.raises(UnknownObjectiveError) as err:
        monitoring_timeseries(agg, qm, "latency_p59_ms")
    msg = str(err.value)
    assert "latency_p95_ms" in msg and "error_rate" in msg and "Did you mean 'latency_p95_ms'" in msg


def test_objective_of_model_missing_from_data(agg, qm):
    with pytest.raises(UnknownObjectiveError, match="not a column of the aggregated"):
        monitoring_timeseries(agg.drop(columns="cost_per_1k"), qm, "cost_per_1k")


def test_panel_stacks_every_present_objective(agg, qm):
    spec = monitoring_panel(agg, qm, triggers=detect(agg, qm, champion="v1"), champion="v1").to_dict()
    assert len(spec["vconcat"]) == 3
    for row in spec["vconcat"]:
        names = [lay["data"]["name"] for lay in row["layer"] if "data" in lay] + (
            [row["data"]["name"]] if "data" in row else []
        )
        assert names and all(n in spec["datasets"] for n in names)
    with pytest.raises(ChartError):
        monitoring_panel(agg[["version", "window_start", "window_end", "n_requests"]], qm)


def test_renders_to_svg(agg, qm):
    vlc = pytest.importorskip("vl_convert")
    triggers = detect(agg, qm, champion="v1")
    svg = vlc.vegalite_to_svg(
        monitoring_timeseries(agg, qm, "latency_p95_ms", triggers=triggers, champion="v1").to_json()
    )
    assert svg.startswith("<svg") and "latency_p95_ms" in svg
    svg = vlc.vegalite_to_svg(monitoring_panel(agg, qm, triggers=[t.to_dict() for t in triggers]).to_json())
    assert svg.startswith("<svg") and "error_rate" in svg


def test_interval_is_drawn_as_a_band_from_aggregate():
    import numpy as np

    from workbench.monitoring import aggregate

    rng = np.random.default_rng(0)
    n = 3000
    logs = pd.DataFrame(
        {
            "timestamp": (T0 + pd.to_timedelta(rng.uniform(0, 3 * 3600, n), unit="s")).floor("us"),
            "version": rng.choice(["v1", "v2"], n),
            "latency_ms": rng.lognormal(4, 0.3, n),
            "error": rng.random(n) < 0.01,
        }
    )
    model = QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_p95_ms",
                    "direction": "min",
                    "unit": "ms",
                    "source": "latency_ms",
                    "aggregation": "p95",
                    "constraint": "<= 120",
                }
            ]
        }
    )
    out = aggregate(logs, model, window="1h")
    spec = monitoring_timeseries(out, model, "latency_p95_ms").to_dict()
    band = next(lay for lay in spec["layer"] if lay["mark"]["type"] == "area")
    assert band["encoding"]["y"]["field"] == "lo" and band["encoding"]["y2"]["field"] == "hi"
    rows = spec["datasets"]["series"]
    assert all(r["lo"] <= r["value"] <= r["hi"] and r["n"] > 0 for r in rows)
    assert rows[0]["lo"] == out["latency_p95_ms_lo"].iloc[0]
    assert any("95 % interval" in s for s in spec["title"]["subtitle"])
