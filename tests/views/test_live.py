"""The live Pareto view: the scatter itself with its subtitle apart, and the rows of a weight move.

The truth is the scatter drawn afresh: a weight move's rows must be those ``pareto_scatter`` draws
for the re-weighted analysis, computed independently by ``analyze`` with the new weights."""

import re

import pytest
import vl_convert as vlc

import workbench
from tests import _live
from workbench import views
from workbench.analysis.reweight import Reranker
from workbench.views import live as live_module
from workbench.views import pareto as pareto_module

MODEL = _live.model()
NEW_WEIGHTS = _live.new_weights()
frame = _live.frame


@pytest.fixture(scope="module")
def small():
    return workbench.analyze(frame(60), MODEL)


def test_live_is_the_scatter_with_its_subtitle_apart(small):
    chart = views.pareto_scatter(small, "latency_ms", "accuracy")
    whole = chart.to_dict()
    live = views.pareto_live(small, "latency_ms", "accuracy")
    assert live.notes == tuple(whole["title"]["subtitle"])
    assert live.spec["title"] == {"text": whole["title"]["text"]}
    hovered = views.hover_tooltips(whole)
    assert {k: v for k, v in live.spec.items() if k != "title"} == {k: v for k, v in hovered.items() if k != "title"}
    assert live.drawn == tuple(r["candidate"] for r in whole["datasets"]["candidates"])
    assert views.to_spec(chart) == views.to_spec(chart, validate=False) == whole


def test_candidate_tooltips_move_to_usermeta_and_other_layers_keep_theirs(small):
    whole = views.pareto_scatter(small, "latency_ms", "accuracy").to_dict()
    live = views.pareto_live(small, "latency_ms", "accuracy").spec
    pairs = list(zip(whole["layer"], live["layer"], strict=True))
    moved = [(w, v) for w, v in pairs if w.get("data") == {"name": "candidates"} and "tooltip" in w["encoding"]]
    assert len(moved) >= 2  # the points and at least the recommended ring
    listed = live["usermeta"][views.HOVER_TOOLTIPS]["candidates"]
    for w, v in moved:
        assert v["mark"]["tooltip"] == {"expr": "datum"} and "tooltip" not in v["encoding"]
        assert [(e["title"], e.get("format")) for e in listed] == [
            (t["title"], t.get("format")) for t in w["encoding"]["tooltip"]
        ]
        assert {k: x for k, x in v["encoding"].items()} == {k: x for k, x in w["encoding"].items() if k != "tooltip"}
    assert [e["key"] for e in listed][:2] == ["candidate", "accuracy"]
    for w, v in pairs:
        if (w, v) not in moved:
            assert v == w
    # The ARIA label: the candidate, both axes' values and the status, and nothing a weight move changes.
    rendered = vlc.vegalite_to_svg(live)
    first = small.table.index[0]
    row = small.table.loc[first]
    assert f'aria-label="candidate {first}; latency_ms [ms] (↓ better): {row["latency_ms"]:.4g}' in rendered
    assert "rank" not in " ".join(re.findall(r'aria-label="candidate [^"]*"', rendered))


def test_brush_is_the_initial_interval(small):
    brush = {"latency_ms": [10.0, 40.0], "accuracy": [0.8, 0.9]}
    spec = views.pareto_live(small, "latency_ms", "accuracy", brush=brush).spec
    assert spec["params"][0]["value"] == {"x": [10.0, 40.0], "y": [0.8, 0.9]}
    assert views.pareto_scatter(small, "latency_ms", "accuracy", brush=brush).to_dict()["params"][0]["value"] == {
        "x": [10.0, 40.0],
        "y": [0.8, 0.9],
    }
    # a brush on one axis only is no initial interval
    assert (
        "value" not in views.pareto_live(small, "latency_ms", "accuracy", brush={"accuracy": [0, 1]}).spec["params"][0]
    )
    # the brush's value is not part of the drawing: a drawn view keeps its own brush
    assert views.pareto_live(small, "latency_ms", "accuracy").same_drawing(
        views.pareto_live(small, "latency_ms", "accuracy", brush=brush)
    )


def test_weight_move_rows_equal_a_fresh_draw(small):
    before = views.pareto_live(small, "latency_ms", "accuracy")
    moved = Reranker(small).reweigh(NEW_WEIGHTS)
    expected = workbench.analyze(frame(60), MODEL.with_weights(NEW_WEIGHTS))
    assert moved.recommended == expected.recommended != small.recommended
    after = views.pareto_reweighted(moved, before)
    fresh = views.pareto_live(expected, "latency_ms", "accuracy")
    assert after.spec == fresh.spec
    assert after.notes == fresh.notes and f"recommended: {expected.recommended}" in after.notes[0]
    assert before.same_drawing(after)
    assert set(before.changed_datasets(after)) == {"candidates"}
    # the spec the page would draw is valid Vega-Lite
    assert vlc.vegalite_to_svg(after.spec).startswith("<svg")


def test_weight_move_above_the_point_limit_keeps_the_drawn_set_and_adds_the_top():
    df = frame(3000, seed=2)
    a = workbench.analyze(df, MODEL)
    before = views.pareto_live(a, "latency_ms", "accuracy", max_points=40)
    assert len(before.drawn) == 40 and "density" in before.datasets
    weights = {"accuracy": 0.2, "latency_ms": 1.0, "size_kb": 6.0}
    moved = Reranker(a).reweigh(weights)
    expected = workbench.analyze(df, MODEL.with_weights(weights))
    after = views.pareto_reweighted(moved, before)
    assert set(before.drawn) <= set(after.drawn)
    assert expected.recommended in after.drawn
    assert set(after.drawn) - set(before.drawn) <= {expected.recommended}
    t = expected.table
    for row in after.datasets["candidates"]:
        cid = row["candidate"]
        assert row["rank"] == t.loc[cid, "rank"]
        assert row["score"] == pytest.approx(t.loc[cid, "score"])
        assert ("recommended" in (row["role"] or "")) == (cid == expected.recommended)
    assert after.datasets["density"] is before.datasets["density"]  # positions did not move


def test_axes_change_is_another_drawing_a_constraint_move_is_not(small):
    before = views.pareto_live(small, "latency_ms", "accuracy")
    assert not before.same_drawing(views.pareto_live(small, "size_kb", "accuracy"))
    tighter = workbench.analyze(frame(60), MODEL.with_constraints(["latency_ms <= 40"]))
    after = views.pareto_live(tighter, "latency_ms", "accuracy")
    assert before.same_drawing(after)
    changed = before.changed_datasets(after)
    assert changed["constraints"][0]["limit"] == 40.0
    statuses = {r["candidate"]: r["status"] for r in changed["candidates"]}
    assert statuses == {
        cid: ("infeasible" if not tighter.table.loc[cid, "feasible"] else statuses[cid]) for cid in statuses
    }


def test_constraint_moves_reuse_the_marks_and_draw_what_a_fresh_scatter_draws(monkeypatch):
    """The live view builds its marks (Altair's work) once per layout: a constraint move that
    changes only rows reuses them, one that changes a layer (nothing feasible: no recommended
    ring) builds anew, and every spec is the scatter drawn afresh, its subtitle apart."""
    built = []
    layers = pareto_module._scatter_layers
    monkeypatch.setattr(pareto_module, "_scatter_layers", lambda layout: built.append(layout) or layers(layout))
    live_module._kept_skeleton.cache_clear()
    seen, live_builds = set(), 0
    for limit in (80, 60, 40, 60, 1):
        a = workbench.analyze(frame(60), MODEL.with_constraints([f"latency_ms <= {limit}"]))
        before = len(built)
        live = views.pareto_live(a, "latency_ms", "accuracy", brush={"latency_ms": [1, 50], "accuracy": [0.7, 0.9]})
        live_builds += len(built) - before
        whole = views.pareto_scatter(
            a, "latency_ms", "accuracy", brush={"latency_ms": [1, 50], "accuracy": [0.7, 0.9]}
        ).to_dict()
        hovered = views.hover_tooltips(whole)
        assert {k: v for k, v in live.spec.items() if k != "title"} == {
            k: v for k, v in hovered.items() if k != "title"
        }
        assert live.notes == tuple(whole["title"]["subtitle"])
        seen.add(live_module._skeleton(live.spec).__repr__())
        live.spec["layer"][0]["mark"] = "mutated by the page"  # the kept marks are not the page's
    assert a.recommended is None  # the last limit leaves nothing feasible: a layer less
    assert live_builds == len(seen) == 2


def test_another_altair_theme_builds_the_marks_anew(small):
    """Altair's enabled theme fills in what the spec's own config leaves out: a kept spec is
    reused only under the theme it was built with."""
    import altair as alt

    live_module._kept_skeleton.cache_clear()
    plain = views.pareto_live(small, "latency_ms", "accuracy")
    with alt.theme.enable("dark"):
        dark = views.pareto_live(small, "latency_ms", "accuracy")
        whole = views.pareto_scatter(small, "latency_ms", "accuracy").to_dict()
    hovered = views.hover_tooltips(whole)
    assert {k: v for k, v in dark.spec.items() if k != "title"} == {k: v for k, v in hovered.items() if k != "title"}
    assert dark.spec["usermeta"]["embedOptions"] == {"theme": "dark"} and "embedOptions" not in plain.spec["usermeta"]
    assert views.pareto_live(small, "latency_ms", "accuracy").spec == plain.spec  # the default theme again
