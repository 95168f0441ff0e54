"""The explorer's chart state: what a page opened now would draw (spec, rows replaced in place, the
patch of a weight move) must be the rows ``workbench.views`` draws for the current analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("anywidget")

import workbench as wb  # noqa: E402
from widgets import TradeoffExplorer  # noqa: E402
from widgets.explorer import PLOT_HEIGHT, PLOT_WIDTH  # noqa: E402
from workbench import QualityModel, views  # noqa: E402


@pytest.fixture
def explorer():
    rng = np.random.default_rng(0)
    n = 6_000  # above the point-by-point limit: a density dataset as well
    s = rng.uniform(0, 1, n)
    df = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "acc": 1 - np.exp(-3 * s) - rng.uniform(0, 0.1, n),
            "ms": 5 + 100 * s * rng.uniform(0.8, 1.2, n),
            "cost": s * rng.uniform(0.5, 1.5, n),
        }
    )
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "weight": 2},
                {"name": "ms", "direction": "min"},
                {"name": "cost", "direction": "min"},
            ],
            "constraints": ["ms <= 90"],
        }
    )
    return TradeoffExplorer(df, qm, x="ms", y="acc")


def shown(ex) -> dict:
    """Rows on show in the page, by candidate (the chart's spec, data and patch together)."""
    return {r["candidate"]: r for r in ex._chart.datasets()["candidates"]}


def drawn_by_views(ex, analysis) -> dict:
    live = views.pareto_live(analysis, ex.x, ex.y, width=PLOT_WIDTH, height=PLOT_HEIGHT)
    return live, {r["candidate"]: r for r in live.datasets["candidates"]}


def test_first_draw_is_the_views_spec(explorer):
    assert explorer.error_text == ""
    live, _ = drawn_by_views(explorer, explorer.analysis)
    assert explorer._chart.drawn_spec() == live.spec
    assert "datasets" not in explorer._chart.spec  # the rows travel as data, packed
    assert "density" in live.datasets and len(live.drawn) < 6_000


def test_weight_move_patch_gives_the_rows_of_the_new_ranking(explorer):
    draws = explorer._chart.draws
    explorer.weights = {"acc": 1.0, "ms": 4.0, "cost": 0.5}
    expected = wb.analyze(explorer.analysis.candidates, explorer.quality_model)
    rows = shown(explorer)
    for cid, row in rows.items():
        assert row["rank"] == expected.table.loc[cid, "rank"]
        assert row["score"] == pytest.approx(expected.table.loc[cid, "score"])
        assert ("recommended" in (row["role"] or "")) == (cid == expected.recommended)
    assert explorer._chart.draws == draws  # nothing drawn anew


def test_constraint_move_replaces_rows_in_place(explorer):
    explorer.weights = {"acc": 1.0, "ms": 4.0, "cost": 0.5}  # a patch first: it must not be lost
    draws = explorer._chart.draws
    explorer.limits = {"ms <= 90": 60.0}
    assert explorer.error_text == ""
    live, want = drawn_by_views(explorer, explorer.analysis)
    assert explorer._chart.draws == draws
    assert shown(explorer) == want
    assert explorer._chart.datasets()["constraints"] == live.datasets["constraints"]
    assert explorer._chart.datasets()["density"] == live.datasets["density"]


def test_method_change_reranks_to_the_full_analysis(explorer):
    """Without SMAA a method change re-ranks instead of re-running analyze: same analysis."""
    for method in ("asf", "topsis", "weighted_sum"):
        explorer.method = method
        assert explorer.error_text == ""
        want = wb.analyze(explorer.analysis.candidates, explorer.quality_model)
        assert explorer.analysis.method == want.method == method
        pd.testing.assert_frame_equal(explorer.analysis.table, want.table, rtol=1e-12)
        pd.testing.assert_frame_equal(explorer.analysis.stability, want.stability)
        assert f"Recommended: {want.recommended}" in explorer._status.value
        assert shown(explorer) == drawn_by_views(explorer, want)[1]


def test_axes_change_draws_anew(explorer):
    draws = explorer._chart.draws
    explorer.x = "cost"
    assert explorer._chart.draws == draws + 1
    assert explorer._chart.drawn_spec() == drawn_by_views(explorer, explorer.analysis)[0].spec


@pytest.mark.parametrize(
    "rows",
    [
        [
            {"candidate": "a", "ms": 1.5, "role": None, "front_line": True},
            {"candidate": "b→c", "ms": 2.0, "role": "knee", "front_line": False},
        ],
        [{"x": 1, "y": 2}, {"y": 3, "x": 4}],  # fields in another order: sent as rows
        [{"x": 1}, {"x": 2, "y": 3}],  # other fields
        [],
        [{}, {}],
    ],
)
def test_rows_reach_the_page_as_they_were_given(rows):
    from widgets._vega import _pack_rows, _unpack_rows

    packed = _pack_rows(rows)
    assert isinstance(packed, memoryview)
    assert _unpack_rows(packed) == rows
    assert [list(r) for r in _unpack_rows(packed)] == [list(r) for r in rows]  # field order too


def test_rows_are_packed_column_by_column_and_refuse_nan():
    import json

    from widgets._vega import _pack_rows

    rows = [{"candidate": f"c{i}", "rank": i} for i in range(3)]
    assert json.loads(bytes(_pack_rows(rows))) == {
        "length": 3,
        "columns": {"candidate": ["c0", "c1", "c2"], "rank": [0, 1, 2]},
    }
    with pytest.raises(ValueError):
        _pack_rows([{"x": float("nan")}])  # not JSON: the page would fail to parse it
