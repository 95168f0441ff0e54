"""DecisionRecorder persists through the decision log's API."""

import pytest

pytest.importorskip("ipywidgets")

import workbench as wb  # noqa: E402
from widgets import DecisionRecorder, TradeoffExplorer  # noqa: E402
from workbench.decisions import DecisionLog  # noqa: E402
from workbench.errors import DecisionError  # noqa: E402


def test_recorder_saves_to_the_decision_log(make_candidates, model3, tmp_path):
    df = make_candidates(n=12, seed=3)
    ex = TradeoffExplorer(df, model3)
    rec = DecisionRecorder(ex)
    with pytest.raises(DecisionError, match="still needed: a rationale, at least one decision maker"):
        rec.save(tmp_path / "d.db")
    rec.rationale.value = "Best accuracy within budget."
    rec.decision_makers.value = "Ann, Bob"
    chosen = rec.candidate.value
    stored = rec.save(tmp_path / "d.db", title="Pick a model")
    with DecisionLog(tmp_path / "d.db") as log:
        got = log.get(stored.id)
        assert got == stored
        assert got.chosen == chosen and got.decision_makers == ("Ann", "Bob") and got.title == "Pick a model"
        assert got.model_hash == ex.analysis.model.hash and got.weights == pytest.approx(ex.analysis.weights)
        again = rec.save(log, supersedes=stored.id)
        assert log.get(stored.id).status == "superseded" and again.supersedes == stored.id
    assert DecisionRecorder(wb.analyze(df, model3)).to_record().chosen == wb.analyze(df, model3).recommended
