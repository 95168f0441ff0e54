"""SensitivityPanel and DecisionRecorder, headless."""

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("altair")

import workbench as wb  # noqa: E402
from widgets import DecisionRecorder, SensitivityPanel, TradeoffExplorer  # noqa: E402


@pytest.fixture
def df(make_candidates):
    return make_candidates(n=25, seed=5)


def test_sensitivity_panel_on_an_explorer(df, model3):
    ex = TradeoffExplorer(df, model3)
    ex._preset_buttons["ops"].click()
    panel = SensitivityPanel(ex, samples=800, seed=2)
    assert panel.analysis is None and panel.progress.value == 0
    result = panel.run_button.click() or panel.analysis
    assert panel.errors.text == ""
    expected = wb.analyze(df, model3.with_weights("ops"), smaa=800, seed=2)
    pd.testing.assert_series_equal(result.smaa.first_rank, expected.smaa.first_rank)
    pd.testing.assert_frame_equal(result.stability, expected.stability)
    assert panel.progress.value == panel.progress.max and panel.progress.bar_style == "success"
    assert panel.acceptability_chart.spec is not None and panel.stability_chart.spec is not None
    assert "SMAA-2 over 800 weight samples" in panel.table.value
    # handed back to the explorer: its why panel now cites the acceptability
    assert ex.analysis is result
    assert "sampled weightings (SMAA-2" in ex._why.value
    assert ex.weights == {"acc": 1.0, "ms": 3.0, "kb": 1.0}


def test_sensitivity_panel_on_an_analysis_and_errors(df, model3):
    panel = SensitivityPanel(wb.analyze(df, model3), samples=300)
    panel.distribution.value = "stakeholders"
    assert panel.run() is not None
    assert panel.analysis.smaa.weights == "stakeholders"
    no_stakeholders = model3.replace(stakeholders={})
    failing = SensitivityPanel(wb.analyze(df, no_stakeholders), samples=300, distribution="stakeholders")
    assert failing.run() is None
    assert "stakeholder" in failing.errors.text.lower()
    assert failing.progress.bar_style == "danger"


def test_decision_recorder_follows_the_explorer(df, model3):
    ex = TradeoffExplorer(df, model3)
    rec = DecisionRecorder(ex)
    assert rec.candidate.value == ex.analysis.recommended
    assert set(rec.missing) == {"a rationale", "at least one decision maker"}
    rec.rationale.value = "  Best accuracy within budget.  "
    rec.decision_makers.value = "Ada Lovelace, , Alan Turing "
    ex._weight_sliders["ms"].value = 5.0
    value = rec.to_dict()
    assert value == {
        "candidate": rec.candidate.value,
        "rationale": "Best accuracy within budget.",
        "decision_makers": ["Ada Lovelace", "Alan Turing"],
        "model_hash": ex.quality_model.hash,
        "data_hash": ex.analysis.candidates.data_hash,
        "method": "weighted_sum",
        "weights": ex.analysis.weights,
    }
    assert value["weights"]["ms"] == pytest.approx(5 / 7.5)
    assert rec.missing == []
    assert "Complete" in rec.summary.value
    other = ex.analysis.to_frame().index[2]
    rec.candidate.value = other
    assert rec.value["candidate"] == other
    handed_out = rec.to_dict()
    handed_out["decision_makers"].append("someone else")  # to_dict hands out copies
    assert rec.to_dict()["decision_makers"] == ["Ada Lovelace", "Alan Turing"]


def test_decision_recorder_on_an_analysis(df, model3):
    a = wb.analyze(df, model3)
    rec = DecisionRecorder(a)
    assert rec.analysis is a
    assert len(rec.candidate.options) == len(df)
    assert rec.to_dict()["model_hash"] == model3.hash
    assert "Record the decision" in rec.children[0].value
