"""MonitoringBoard, headless, on hand-made Parquet request logs (canonical schema)."""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("altair")
pytest.importorskip("duckdb")

from tests._serving import serving_model  # noqa: E402
from widgets import MonitoringBoard  # noqa: E402

T0 = pd.Timestamp("2026-03-01", tz="UTC")


@pytest.fixture
def qm():
    return serving_model(cost="sum_per_1k")


@pytest.fixture
def logs(tmp_path):
    """Two versions over three hours; v2 <degrades> in the last hour (latency beyond the SLO)."""
    rng = np.random.default_rng(0)
    frames = []
    for version, base, cost in (("v1", 80.0, 0.001), ("v2<b>", 60.0, 0.002)):
        for hour in range(3):
            n = 200
            lat = base + rng.gamma(2.0, 5.0, n) + (120.0 if version.startswith("v2") and hour == 2 else 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "timestamp": T0 + pd.Timedelta(hours=hour) + pd.to_timedelta(rng.uniform(0, 3599, n), unit="s"),
                        "version": version,
                        "latency_ms": lat,
                        "error": rng.uniform(size=n) < 0.01,
                        "cost_usd": np.full(n, cost),
                    }
                )
            )
    path = tmp_path / "logs.parquet"
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return path


def test_board_shows_series_triggers_and_live_front(logs, qm):
    board = MonitoringBoard(str(logs), qm, champion="v1")
    assert board.error_text == ""
    assert list(board.picker.options) == ["latency_p95_ms", "error_rate", "cost_per_1k"]
    assert len(board.aggregated) == 6
    # the violated objective is shown first, its trigger marked in the chart
    assert board.objective == "latency_p95_ms" == board.picker.value
    spec = board.chart.spec
    assert {r["version"] for r in spec["datasets"]["series"]} == {"v1", "v2<b>"}
    assert any(t["kind"] == "constraint_violated" and t["version"] == "v2<b>" for t in spec["datasets"]["triggers"])
    # the triggers table is escaped
    assert "v2&lt;b&gt;" in board.table.value and "<b>" not in board.table.value
    assert "constraint_violated" in board.table.value
    # the champion against the latest window's front
    assert board.live_analysis is not None and set(board.live_analysis.table.index) == {"v1", "v2<b>"}
    assert board.front_chart is not None and board.front_chart in board.children
    assert board.front_chart.spec["datasets"]["candidates"]


def test_picking_an_objective_redraws(logs, qm):
    board = MonitoringBoard(str(logs), qm)
    board.picker.value = "cost_per_1k"
    assert board.objective == "cost_per_1k"
    titles = [
        layer["encoding"]["y"].get("title", "")
        for layer in board.chart.spec["layer"]
        if "y" in layer.get("encoding", {})
    ]
    assert any(t.startswith("cost_per_1k [USD]") for t in titles), titles
    board.objective = "error_rate"
    assert board.picker.value == "error_rate" and board.error_text == ""


def test_bad_objective_shows_error_in_widget(logs, qm):
    board = MonitoringBoard(str(logs), qm)
    board.objective = "latncy"
    assert "UnknownObjectiveError" in board.error_text and "latency_p95_ms" in board.error_text
    board.objective = "error_rate"
    assert board.error_text == ""


def test_accepts_aggregated_frame_and_reports_bad_input(logs, qm, tmp_path):
    from workbench.monitoring import aggregate

    board = MonitoringBoard(aggregate(str(logs), qm), qm)
    assert board.error_text == "" and len(board.triggers) >= 1
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"timestamp": [T0], "version": ["v1"]}).to_parquet(bad)
    board = MonitoringBoard(str(bad), qm)
    assert "Loading the monitoring data" in board.error_text and "latency_ms" in board.error_text
