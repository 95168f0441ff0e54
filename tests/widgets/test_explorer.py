"""TradeoffExplorer, headless: set the controls' traitlets as the browser would, check the engine's answer."""

import json
import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
alt = pytest.importorskip("altair")

import workbench as wb  # noqa: E402
from widgets import TradeoffExplorer  # noqa: E402


@pytest.fixture
def df(make_candidates):
    return make_candidates(n=40, seed=3)


@pytest.fixture
def model(model3):
    """model3 (acc max w=2, ms min, kb min w=0.5; stakeholder 'ops') with a what-if constraint."""
    return model3.with_constraints(["ms <= 0.8"])


@pytest.fixture
def ex(df, model):
    explorer = TradeoffExplorer(df, model)
    assert explorer.error_text == ""
    return explorer


def chart_rows(explorer) -> dict:
    """The candidate rows the front end renders (the JupyterChart's synced spec)."""
    return {r["candidate"]: r for r in explorer._chart.datasets()["candidates"]}


def table_ids(explorer) -> list:
    """Candidate ids of the ranked table's rows, in order."""
    import re

    return re.findall(r'data-candidate="([^"]+)"', explorer._table.value)


def assert_same_ranking(analysis, expected):
    pd.testing.assert_series_equal(analysis.table["rank"], expected.table["rank"])
    np.testing.assert_allclose(analysis.table["score"], expected.table["score"])
    assert analysis.recommended == expected.recommended


def test_initial_state_matches_analyze(ex, df, model):
    expected = wb.analyze(df, model)
    assert_same_ranking(ex.analysis, expected)
    assert ex.quality_model == model
    assert set(ex._weight_sliders) == {"acc", "ms", "kb"}
    assert ex._share_labels["acc"].value == "57 %"  # 2 / 3.5
    assert table_ids(ex)[0] == expected.recommended
    assert ex._chart.spec["params"][0]["name"] == "brush"
    assert len(chart_rows(ex)) == len(df)


def test_weight_slider_reranks_like_analyze(ex, df, model):
    draws, rows_drawn = ex._chart.draws, ex._chart.data  # the drawing's rows (sent with it)
    ex._weight_sliders["ms"].value = 6.0
    expected = wb.analyze(df, model.with_weights({"acc": 2, "ms": 6, "kb": 0.5}))
    assert_same_ranking(ex.analysis, expected)
    assert ex.quality_model.weights == pytest.approx({"acc": 2 / 8.5, "ms": 6 / 8.5, "kb": 0.5 / 8.5})
    assert ex._share_labels["ms"].value == "71 %"
    # the chart the front end draws carries the new ranks and scores
    rows = chart_rows(ex)
    for cid, row in rows.items():
        assert row["rank"] == expected.table.loc[cid, "rank"]
        assert row["score"] == pytest.approx(expected.table.loc[cid, "score"])
    assert rows[expected.recommended]["role"].startswith("recommended")
    assert f"recommended: {expected.recommended}" in ex._live.notes[0]
    assert f"Recommended: {expected.recommended}" in ex._status.value
    # the page changed the drawn rows in place: nothing was drawn anew
    assert ex._chart.draws == draws and set(ex._chart.patch) == {"candidates"}
    assert ex._chart.data is rows_drawn  # a patch, no rows replaced
    assert "subtitle" not in ex._chart.spec["title"]
    # and the table lists the new order
    assert table_ids(ex) == list(expected.to_frame().index[: len(table_ids(ex))])


def test_weight_moves_keep_everything_else(ex, df, model):
    before = ex.analysis
    ex._weight_sliders["kb"].value = 3.0
    after = ex.analysis
    pd.testing.assert_frame_equal(after.rates, before.rates)
    pd.testing.assert_frame_equal(after.pseudo_weights, before.pseudo_weights)
    expected = wb.analyze(df, model.with_weights({"acc": 2, "ms": 1, "kb": 3}))
    pd.testing.assert_frame_equal(after.stability, expected.stability)


def test_stakeholder_preset(ex, df, model):
    ex._preset_buttons["ops"].click()
    assert ex.weights == {"acc": 1.0, "ms": 3.0, "kb": 1.0}
    assert ex._weight_sliders["ms"].value == 3.0
    assert_same_ranking(ex.analysis, wb.analyze(df, model.with_weights("ops")))
    ex._preset_buttons["model"].click()
    assert_same_ranking(ex.analysis, wb.analyze(df, model))


def test_method_change(ex, df, model):
    ex._method_picker.value = "tchebycheff"
    expected = wb.analyze(df, model.replace(method="tchebycheff"))
    assert ex.analysis.method == "tchebycheff"
    assert ex.quality_model.method == "tchebycheff"
    assert_same_ranking(ex.analysis, expected)
    ex._weight_sliders["acc"].value = 5.0  # the fast path now uses the new method
    assert_same_ranking(
        ex.analysis, wb.analyze(df, model.replace(method="tchebycheff").with_weights({"acc": 5, "ms": 1, "kb": 0.5}))
    )


def test_constraint_what_if(ex, df, model):
    slider = ex._constraint_sliders["ms <= 0.8"]
    slider.value = 0.3
    assert [str(c) for c in ex.quality_model.constraints] == [f"ms <= {slider.value:g}"]
    expected = wb.analyze(df, model.with_constraints([f"ms <= {slider.value!r}"]))
    pd.testing.assert_series_equal(ex.analysis.table["feasible"], expected.table["feasible"])
    assert_same_ranking(ex.analysis, expected)
    assert int(ex.analysis.table["feasible"].sum()) == int((df["ms"] <= slider.value).sum())
    # the SLO line in the chart moved too
    assert ex._chart.datasets()["constraints"][0]["limit"] == pytest.approx(slider.value)
    # a weight move afterwards re-ranks the new feasible set, not the one before the move
    ex._weight_sliders["acc"].value = 5.0
    moved = wb.analyze(
        df, model.with_constraints([f"ms <= {slider.value!r}"]).with_weights({"acc": 5, "ms": 1, "kb": 0.5})
    )
    pd.testing.assert_series_equal(ex.analysis.table["feasible"], moved.table["feasible"])
    assert_same_ranking(ex.analysis, moved)


def test_brush_selects_and_filters_the_table(ex, df):
    # what the front end writes when the analyst drags on the Pareto view (x = acc, y = ms)
    value = {"acc": [0.7, 0.2], "ms": [0.1, 0.6]}
    ex._chart.brush = value
    inside = df[df["acc"].between(0.2, 0.7) & df["ms"].between(0.1, 0.6)]["id"]
    assert sorted(ex.selected.index) == sorted(inside)
    assert ex.selected["rank"].is_monotonic_increasing
    assert set(table_ids(ex)) <= set(inside)
    assert f"{len(inside)} brushed candidates" in ex._table.value
    # a weight move keeps the brush, in Python and in the page (the chart is not drawn anew)
    draws = ex._chart.draws
    ex._weight_sliders["ms"].value = 4.0
    assert sorted(ex.selected.index) == sorted(inside)
    assert ex._chart.draws == draws
    # a new drawing (other axes and back) carries no stale brush; clear_brush draws without one
    ex.brush = {"acc": [0.7, 0.2], "ms": [0.1, 0.6]}
    ex.clear_brush()
    assert ex._chart.draws == draws + 1 and "value" not in ex._chart.spec["params"][0]
    assert ex.selected.empty
    # clearing the brush in the front end clears the selection
    ex._chart.brush = value
    assert sorted(ex.selected.index) == sorted(inside)
    ex._chart.brush = {}
    assert ex.selected.empty
    assert "Top 15 of 40 candidates" in ex._table.value


def test_axes(ex):
    ex._x_picker.value = "kb"
    spec = ex._chart.spec
    encodings = json.dumps(spec)
    assert '"field": "kb"' in encodings
    assert spec["title"]["text"].endswith("vs kb")
    assert ex.error_text == ""
    ex._y_picker.value = "kb"  # same objective on both axes: the view's own error, shown
    assert "two different objectives" in ex.error_text
    ex._y_picker.value = "acc"
    assert ex.error_text == ""


def test_all_weights_zero_shows_the_engine_error_and_recovers(ex, df, model):
    ex._weight_sliders["acc"].value = 0.0
    ex._weight_sliders["kb"].value = 0.0
    before = ex.analysis
    ex._weight_sliders["ms"].value = 0.0
    assert "all weights are zero" in ex.error_text
    assert "all weights are zero" in ex._errors.widget.value
    assert ex.analysis is before  # the last valid analysis stays on show
    ex._weight_sliders["kb"].value = 1.0
    assert ex.error_text == ""
    assert ex._errors.widget.value == ""
    assert_same_ranking(ex.analysis, wb.analyze(df, model.with_weights({"acc": 0, "ms": 0, "kb": 1})))


def test_bad_model_shows_the_engine_error(df):
    bad = wb.QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "latncy_ms", "direction": "min"}]}
    )
    ex = TradeoffExplorer(df, bad)
    assert ex.analysis is None and ex.quality_model is None
    assert "Objective 'latncy_ms' is not" in ex.error_text
    assert "latncy_ms" in ex._errors.widget.value
    assert ex.selected.empty


def test_bad_inputs_show_errors(df, model, tmp_path):
    assert "does not exist" in TradeoffExplorer(tmp_path / "missing.csv", model).error_text
    assert "does not exist" in TradeoffExplorer(df, tmp_path / "missing.yaml").error_text
    assert "'nope'" in TradeoffExplorer(df, model, x="nope").error_text


def test_why_panel(df, model):
    ex = TradeoffExplorer(df, model, smaa=500)
    top = ex.analysis.recommended
    text = ex._why.value
    assert f"{top} ranks 1 of 40" in text
    assert "effectively weighs" in text
    assert "sampled weightings (SMAA-2" in text
    other = ex.analysis.to_frame().index[3]
    ex._focus_picker.value = other
    assert ex.focus == other
    assert f"{other} ranks 4 of 40" in ex._why.value
    assert 'class="focus"' in ex._table.value
    ex._focus_picker.value = ""  # "top-ranked"
    assert ex.focus is None
    assert f"{top} ranks 1" in ex._why.value


def test_strings_from_data_are_escaped(model):
    df = pd.DataFrame(
        {"id": ["<script>alert(1)</script>", "b&c"], "acc": [0.9, 0.8], "ms": [0.1, 0.2], "kb": [0.3, 0.1]}
    )
    ex = TradeoffExplorer(df, model)
    assert ex.error_text == ""
    html = ex._table.value + ex._why.value + str(ex._focus_picker.options)
    assert "<script>" not in ex._table.value + ex._why.value
    assert "&lt;script&gt;" in ex._table.value
    assert "b&amp;c" in html


def test_charts_are_offline(ex):
    esm = ex._chart._esm
    assert len(esm) > 500_000 and "applyData" in esm  # Vega, Vega-Lite and vega-embed are inside the module
    assert "esm.sh" not in esm and not re.search(r"""import[^;]*["']https?://""", esm)
    assert ex._chart.embed_options["actions"]["editor"] is False


def test_adopt_an_analysis_with_smaa(ex, df, model):
    richer = wb.analyze(df, model.with_weights("ops").replace(method="asf"), smaa=300, seed=1)
    ex.adopt(richer)
    assert ex.analysis is richer
    assert ex.method == "asf" and ex.weights == {"acc": 1.0, "ms": 3.0, "kb": 1.0}
    assert "acceptability" in ex._table.value
    ex.adopt(wb.analyze(df.iloc[:10], model))
    assert "other candidates" in ex.error_text


def test_quality_model_round_trips(ex, tmp_path):
    ex._weight_sliders["ms"].value = 2.5
    ex._constraint_sliders["ms <= 0.8"].value = 0.5
    path = tmp_path / "decided.yaml"
    ex.quality_model.to_yaml(path)
    back = wb.QualityModel.from_yaml(path)
    assert back == ex.quality_model
    assert back["ms"].weight == 2.5


def test_nothing_feasible(df, model):
    ex = TradeoffExplorer(df, model.with_constraints(["ms <= -1"]))
    assert ex.error_text == ""
    assert ex.analysis.recommended is None
    assert "none (nothing is feasible)" in ex._status.value
    top = ex.analysis.to_frame().index[0]
    assert f"{top} ranks 1 of 40" in ex._why.value and "breaks a hard constraint" in ex._why.value
    assert "ms &lt;= -1" in ex._why.value
    ex._weight_sliders["kb"].value = 4.0
    assert ex.error_text == ""
    assert_same_ranking(
        ex.analysis, wb.analyze(df, model.with_constraints(["ms <= -1"]).with_weights({"acc": 2, "ms": 1, "kb": 4}))
    )


def test_brush_on_objectives_named_with_backslashes_and_quotes(make_candidates):
    # The chart data names a column with a backslash with U+29F5 (Vega-Lite cannot address a
    # backslash); the brush the front end reports must come back under the objective's own name.
    from workbench.views._data import fieldname

    acc, ms = "acc\\.x", 'it\'s "ms"'
    df = make_candidates(n=20, names=(acc, ms), seed=3)
    model = wb.QualityModel.from_dict(
        {"objectives": [{"name": acc, "direction": "max"}, {"name": ms, "direction": "min"}]}
    )
    ex = TradeoffExplorer(df, model)
    value = {fieldname(acc): [0.7, 0.2], fieldname(ms): [0.1, 0.6]}
    ex._chart.brush = value
    assert ex.brush == {acc: [0.7, 0.2], ms: [0.1, 0.6]}
    inside = df[df[acc].between(0.2, 0.7) & df[ms].between(0.1, 0.6)]["id"]
    assert sorted(ex.selected.index) == sorted(inside)
