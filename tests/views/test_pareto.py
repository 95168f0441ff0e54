"""Pareto scatter, scatter matrix, parallel coordinates and linked views, tested as specs."""

import re

import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc

import workbench
from workbench import QualityModel
from workbench.analysis.feasibility import constraint_limits
from workbench.analysis.problem import problem
from workbench.errors import UnknownNameError, UnknownObjectiveError
from workbench.views import ChartError, linked_views, parallel_coordinates, pareto_scatter, scatter_matrix
from workbench.views.theme import UNSELECTED

MODEL = {
    "objectives": [
        {
            "name": "accuracy",
            "direction": "max",
            "weight": 2,
            "quality_attribute": "system_accuracy",
            "constraint": ">= 0.75",
        },
        {
            "name": "latency_ms",
            "direction": "min",
            "unit": "ms",
            "quality_attribute": "resource_efficiency",
            "constraint": "<= 1.5 * champion",
        },
        {"name": "size_kb", "direction": "min", "unit": "KB", "quality_attribute": "resource_efficiency"},
    ],
    "champion": "c00",
}


def frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"c{i:02d}" for i in range(n)],
            "accuracy": rng.uniform(0.7, 0.95, n),
            "latency_ms": rng.uniform(5, 100, n),
            "size_kb": rng.uniform(10, 500, n),
            "energy_kwh": rng.uniform(0, 1, n),
        }
    )


@pytest.fixture(scope="module")
def analysis():
    return workbench.analyze(frame(), QualityModel.from_dict(MODEL), smaa=2000, seed=0)


def layers(spec):
    return spec["layer"]


def layer_with(spec, mark, data="candidates"):
    return [
        lay
        for lay in spec["layer"]
        if (lay["mark"]["type"] if isinstance(lay["mark"], dict) else lay["mark"]) == mark
        and lay["data"]["name"] == data
    ]


# --- pareto_scatter ---------------------------------------------------------------------------------


def test_scatter_encodes_objectives_with_units_and_directions(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    (points,) = [lay for lay in layers(spec) if lay.get("name") == "points"]
    enc = points["encoding"]
    assert enc["x"]["field"] == "latency_ms" and enc["x"]["title"] == "latency_ms [ms] (↓ better)"
    assert enc["y"]["field"] == "accuracy" and enc["y"]["title"] == "accuracy (↑ better)"
    assert enc["x"]["scale"] == {"zero": False}
    assert enc["shape"]["field"] == "status"
    assert (
        dict(zip(enc["shape"]["scale"]["domain"], enc["shape"]["scale"]["range"], strict=True))["infeasible"] == "cross"
    )
    assert spec["title"]["text"] == "Trade-off: accuracy vs latency_ms"


def test_scatter_data_has_every_candidate_with_stable_columns(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    rows = spec["datasets"]["candidates"]
    assert len(rows) == len(analysis.table) == 40
    assert list(rows[0]) == [
        "candidate",
        "accuracy",
        "latency_ms",
        "size_kb",
        "rank",
        "score",
        "feasible",
        "violation",
        "front",
        "front_line",
        "status",
        "knee",
        "role",
        "label",
        "acceptability",
        "confidence",
    ]
    by_id = {r["candidate"]: r for r in rows}
    t = analysis.table
    for cid in t.index:
        r = by_id[cid]
        assert r["rank"] == t.loc[cid, "rank"] and r["feasible"] == bool(t.loc[cid, "feasible"])
        expected = "infeasible" if not t.loc[cid, "feasible"] else "front" if t.loc[cid, "front"] == 0 else "dominated"
        assert r["status"] == expected
    assert {r["candidate"] for r in rows if r["status"] == "front"} == set(analysis.front)
    # the front is drawn last (on top)
    assert [r["status"] for r in rows][-len(analysis.front) :] == ["front"] * len(analysis.front)


def test_scatter_tooltips_carry_id_objectives_with_units_rank_score(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    (points,) = [lay for lay in layers(spec) if lay.get("name") == "points"]
    tips = {t["field"]: t for t in points["encoding"]["tooltip"]}
    assert {"candidate", "accuracy", "latency_ms", "size_kb", "rank", "score", "feasible", "front", "status"} <= set(
        tips
    )
    assert tips["latency_ms"]["title"] == "latency_ms [ms]" and tips["size_kb"]["title"] == "size_kb [KB]"
    assert tips["acceptability"]["format"] == ".0%"


def test_scatter_front_line_infeasible_and_labels(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    (line,) = layer_with(spec, "line")
    assert line["transform"] == [{"filter": "datum.front_line"}]
    assert line["encoding"]["order"] == {
        "field": "latency_ms",
        "type": "quantitative",
        "title": "latency_ms [ms] (↓ better)",
    }
    rows = spec["datasets"]["candidates"]
    on_line = [r for r in rows if r["front_line"]]
    assert on_line and all(r["status"] == "front" for r in on_line)
    # the line's members are non-dominated in the two plotted objectives
    for r in on_line:
        assert not any(
            o["latency_ms"] <= r["latency_ms"]
            and o["accuracy"] >= r["accuracy"]
            and (o["latency_ms"], o["accuracy"]) != (r["latency_ms"], r["accuracy"])
            for o in rows
            if o["status"] == "front"
        )
    labels = {r["candidate"]: r["label"] for r in rows if r["label"]}
    assert labels[analysis.recommended].startswith(f"{analysis.recommended} (recommended")
    assert labels["c00"] == "c00 (incumbent)" or "incumbent" in labels["c00"]
    for cid in analysis.table.index[analysis.table["knee"]]:
        assert "knee" in labels[cid]
    (text,) = [lay for lay in layer_with(spec, "text") if lay["encoding"]["text"]["field"] == "label"]
    assert text["transform"] == [{"filter": "isValid(datum.label)"}]


def _ring_roles(spec):
    return {
        re.search(r'"(\w+)"\) >= 0', lay["transform"][0]["filter"]).group(1)
        for lay in spec["layer"]
        if "indexof(datum.role" in str(lay.get("transform"))
    }


def test_scatter_rings_only_the_roles_someone_holds(analysis):
    """An empty ring layer drew nothing and made Vega-Lite warn of an infinite extent."""
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    assert analysis.champion == "c00" and analysis.table["knee"].any()
    assert _ring_roles(spec) == {"recommended", "champion", "knee"}
    plain = {k: v for k, v in MODEL.items() if k != "champion"}
    plain["objectives"] = [
        {**o, "constraint": None} if "champion" in str(o.get("constraint")) else o for o in MODEL["objectives"]
    ]
    plain["objectives"] = [{k: v for k, v in o.items() if v is not None} for o in plain["objectives"]]
    two = workbench.analyze(
        frame().head(2).assign(accuracy=[0.9, 0.8], latency_ms=[5.0, 50.0], size_kb=[10, 20]),
        QualityModel.from_dict(plain),
    )
    assert two.champion is None and not two.table["knee"].any()
    assert _ring_roles(pareto_scatter(two, "latency_ms", "accuracy").to_dict()) == {"recommended"}


def test_scatter_draws_resolved_constraint_limits_as_rules(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    slo = {r["objective"]: r for r in spec["datasets"]["constraints"]}
    limits = {
        c.objective: lim
        for c, lim in constraint_limits(problem(analysis.candidates, analysis.model, analysis.champion))
    }
    assert slo["accuracy"]["axis"] == "y" and slo["accuracy"]["limit"] == 0.75
    assert slo["latency_ms"]["axis"] == "x"
    assert slo["latency_ms"]["limit"] == pytest.approx(limits["latency_ms"])
    assert slo["latency_ms"]["limit"] == pytest.approx(1.5 * analysis.table.loc["c00", "latency_ms"])
    assert "1.5 * champion (= " in slo["latency_ms"]["text"]
    rules = layer_with(spec, "rule", "constraints")
    assert sorted(next(iter(set(r["encoding"]) & {"x", "y"})) for r in rules) == ["x", "y"]


def test_scatter_notes_constraints_not_on_its_axes():
    qm = QualityModel.from_dict(
        {**MODEL, "objectives": [*MODEL["objectives"][:2], {**MODEL["objectives"][2], "constraint": "<= 400"}]}
    )
    a = workbench.analyze(frame(), qm)
    spec = pareto_scatter(a, "latency_ms", "accuracy").to_dict()
    assert any("size_kb <= 400" in s for s in spec["title"]["subtitle"])


def test_scatter_brush_param_is_named_and_used(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    (param,) = spec["params"]
    assert param == {"name": "brush", "select": {"type": "interval", "encodings": ["x", "y"]}, "views": ["points"]}
    (points,) = [lay for lay in layers(spec) if lay.get("name") == "points"]
    assert points["encoding"]["color"]["condition"]["param"] == "brush"
    assert points["encoding"]["color"]["value"] == UNSELECTED


def test_scatter_can_colour_by_a_numeric_column(analysis):
    spec = pareto_scatter(analysis, "latency_ms", "accuracy", color="score").to_dict()
    (points,) = [lay for lay in layers(spec) if lay.get("name") == "points"]
    colour = points["encoding"]["color"]["condition"]
    assert colour["field"] == "score" and colour["type"] == "quantitative"
    with pytest.raises(UnknownNameError, match=r"Colour field 'scroe'.*\n  Valid: .*score.*\n  Did you mean 'score'"):
        pareto_scatter(analysis, "latency_ms", "accuracy", color="scroe")


def test_unknown_objective_is_rejected_with_the_valid_names(analysis):
    with pytest.raises(
        UnknownObjectiveError,
        match=r"Objective 'latncy_ms' is not an objective of the quality model\.\n"
        r"  Valid: accuracy, latency_ms, size_kb\.\n  Did you mean 'latency_ms'\?",
    ):
        pareto_scatter(analysis, "latncy_ms", "accuracy")
    with pytest.raises(UnknownObjectiveError, match="'energy_kwh' is a metric of the candidates but not an objective"):
        pareto_scatter(analysis, "latency_ms", "energy_kwh")
    for build in (
        lambda: scatter_matrix(analysis, ["accuracy", "acuracy"]),
        lambda: parallel_coordinates(analysis, ["accuracy", "sizekb"]),
        lambda: linked_views(analysis, "latency_ms", "acc"),
    ):
        with pytest.raises(UnknownObjectiveError, match="is not an objective of the quality model"):
            build()
    with pytest.raises(ChartError, match="two different objectives"):
        pareto_scatter(analysis, "accuracy", "accuracy")


def test_objective_names_that_clash_with_chart_columns_are_refused():
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "status", "direction": "max"}, {"name": "ms", "direction": "min"}]}
    )
    a = workbench.analyze(pd.DataFrame({"id": list("ab"), "status": [1.0, 2.0], "ms": [3.0, 4.0]}), qm)
    with pytest.raises(ChartError, match="'status' clash with column names the charts use"):
        pareto_scatter(a, "ms", "status")


def test_dotted_objective_names_are_escaped_and_still_plotted():
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "val.acc", "direction": "max"}, {"name": "p95[ms]", "direction": "min", "unit": "ms"}]}
    )
    df = pd.DataFrame({"id": list("abc"), "val.acc": [0.9, 0.8, 0.7], "p95[ms]": [20.0, 10.0, 30.0]})
    chart = linked_views(workbench.analyze(df, qm), "p95[ms]", "val.acc")
    spec = chart.to_dict()
    (points,) = [lay for lay in spec["hconcat"][0]["layer"] if lay.get("name")]
    assert points["encoding"]["x"]["field"] == "p95\\[ms\\]" and points["encoding"]["y"]["field"] == "val\\.acc"
    assert spec["datasets"]["candidates"][0]["val.acc"] in (0.9, 0.8, 0.7)  # data keeps the real names
    svg = vlc.vegalite_to_svg(chart.to_json())
    # three points and three lines, each with its real values
    assert len(re.findall(r'aria-roledescription="point"', svg)) >= 3
    assert re.search(r"val\.acc: 0\.9", svg) and re.search(r"p95\[ms\] \[ms\]: 20", svg)
    assert set(marks_by_colour(svg, "line mark")) == {"a", "b", "c"}  # one line per candidate


@pytest.mark.parametrize("names", [("it's acc", 'say "ms"'), ("'+alert(1)+'", '"+alert(1)+"'), ("a\\.b", "ms\\[0]")])
def test_objective_names_with_quotes_are_plotted(names):
    # Vega reads a quote before the first '.' or '[' of a field as a quoted path segment: "it's acc"
    # failed with "Access path missing closing quote", and the front line's untitled order channel
    # put the field name raw into the marks' description expression ("Expression parse error").
    # Vega-Lite does not re-escape a backslash: "a\\.b" was read as the nested path a\\ -> b.
    acc, ms = names
    qm = QualityModel.from_dict(
        {"objectives": [{"name": acc, "direction": "max"}, {"name": ms, "direction": "min", "unit": "ms"}]}
    )
    df = pd.DataFrame({"id": list("abc"), acc: [0.9, 0.8, 0.7], ms: [20.0, 10.0, 30.0]})
    a = workbench.analyze(df, qm)
    for chart in (pareto_scatter(a, ms, acc), scatter_matrix(a), linked_views(a, ms, acc), parallel_coordinates(a)):
        svg = vlc.vegalite_to_svg(chart.to_json())
        marks = (
            'aria-roledescription="line mark"'
            if chart.to_dict().get("layer") and "fold" in chart.to_json()
            else 'aria-roledescription="point"'
        )
        assert len(re.findall(marks, svg)) >= 3, marks
        assert "0.9" in svg and "20" in svg


# --- scatter matrix and parallel coordinates ------------------------------------------------------------


def test_scatter_matrix_cells_share_one_global_brush(analysis):
    spec = scatter_matrix(analysis).to_dict()
    (param,) = spec["params"]
    assert param["name"] == "brush" and param["select"]["resolve"] == "global"
    cells = [c for row in spec["vconcat"] for c in row["hconcat"]]
    assert len(cells) == 3  # lower triangle of 3 objectives
    names = [lay["name"] for c in cells for lay in c["layer"] if "name" in lay]
    assert param["views"] == names and len(set(names)) == 3
    pairs = [(lay["encoding"]["x"]["field"], lay["encoding"]["y"]["field"]) for c in cells for lay in c["layer"]]
    assert pairs == [("accuracy", "latency_ms"), ("accuracy", "size_kb"), ("latency_ms", "size_kb")]
    for c in cells:
        assert c["layer"][-1]["encoding"]["color"]["condition"]["param"] == "brush"
    two = scatter_matrix(analysis, ["size_kb", "accuracy"]).to_dict()
    assert len(two["vconcat"]) == 1
    with pytest.raises(ChartError, match="scatter_matrix needs at least 2 objectives, got 1"):
        scatter_matrix(analysis, ["accuracy"])
    with pytest.raises(ChartError, match="given more than once"):
        scatter_matrix(analysis, ["accuracy", "accuracy"])


def positions(spec):
    """Each candidate's normalised position per objective, as the Vega-Lite transforms compute it."""
    axes = {a["axis_objective"]: a for a in spec["datasets"]["axes"]}
    out = {}
    for r in spec["datasets"]["candidates"]:
        out[r["candidate"]] = {
            o: 0.5 if a["axis_span"] == 0 else (r[o] - a["axis_lo"]) / a["axis_span"] for o, a in axes.items()
        }
    return out


def test_parallel_coordinates_normalise_so_that_up_is_better(analysis):
    spec = parallel_coordinates(analysis).to_dict()
    axes = spec["datasets"]["axes"]
    assert [a["label"] for a in axes] == [
        "accuracy (↑ better)",
        "latency_ms [ms] (↓ better)",
        "size_kb [KB] (↓ better)",
    ]
    pos = positions(spec)
    t = analysis.table
    assert pos[t["accuracy"].idxmax()]["accuracy"] == pytest.approx(1.0)
    assert pos[t["latency_ms"].idxmin()]["latency_ms"] == pytest.approx(1.0)
    assert pos[t["latency_ms"].idxmax()]["latency_ms"] == pytest.approx(0.0)
    assert all(0 <= v <= 1 for p in pos.values() for v in p.values())
    (lines,) = [lay for lay in spec["layer"] if lay["mark"]["type"] == "line"]
    assert lines["transform"][0] == {
        "fold": ["accuracy", "latency_ms", "size_kb"],
        "as": ["axis_objective", "axis_value"],
    }
    assert lines["transform"][1]["lookup"] == "axis_objective"
    assert lines["encoding"]["detail"]["field"] == "candidate"
    assert lines["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert "params" not in spec  # nothing to brush on its own; see linked_views
    assert '["accuracy", "↑ better"]' in lines["encoding"]["x"]["axis"]["labelExpr"]  # name, then direction


def test_linked_views_share_the_data_and_the_brush(analysis):
    spec = linked_views(analysis, "latency_ms", "accuracy").to_dict()
    (param,) = spec["params"]
    scatter, parallel = spec["hconcat"]
    (points,) = [lay for lay in scatter["layer"] if lay.get("name")]
    assert param["name"] == "brush" and param["views"] == [points["name"]]
    (lines,) = [lay for lay in parallel["layer"] if lay["mark"]["type"] == "line"]
    assert points["data"] == lines["data"] == {"name": "candidates"}
    assert lines["encoding"]["color"]["condition"]["param"] == "brush"
    assert lines["encoding"]["color"]["value"] == UNSELECTED


def marks_by_colour(svg, role):
    """{candidate: colour} of the SVG paths of a mark role (point: fill, line: stroke)."""
    out = {}
    attr = "fill" if role == "point" else "stroke"
    for path in re.findall(rf'<path [^>]*aria-roledescription="{role}"[^>]*>', svg):
        cid = re.search(r"candidate: ([^;\"]+)", path)
        colour = re.search(rf' {attr}="([^"]+)"', path)
        if cid and colour:
            out[cid.group(1)] = colour.group(1)
    return out


def test_a_brush_on_the_scatter_greys_out_the_same_candidates_in_both_views(analysis):
    """Behaviour, not only structure: Vega evaluates an initial brush and both views respond."""
    chart = linked_views(analysis, "latency_ms", "accuracy")
    spec = chart.to_dict()
    box = {"x": [20.0, 60.0], "y": [0.8, 0.95]}
    spec["params"][0]["value"] = box
    svg = vlc.vegalite_to_svg(spec)
    t = analysis.table
    inside = set(t.index[t["latency_ms"].between(*box["x"]) & t["accuracy"].between(*box["y"])])
    assert 0 < len(inside) < len(t)
    lines = marks_by_colour(svg, "line mark")
    points = marks_by_colour(svg, "point")
    assert set(lines) == set(points) == set(t.index)
    assert {c for c, col in lines.items() if col != UNSELECTED} == inside
    assert {c for c, col in points.items() if col != UNSELECTED} == inside


def test_scatter_compiles_without_vega_lite_warnings(analysis, capfd):
    """Vega-Lite warned on every draw (an empty ring layer's infinite extent; size and opacity on
    an unsorted discrete field): noise in the browser console of every explorer move."""
    capfd.readouterr()
    for x, y in (("latency_ms", "accuracy"), ("size_kb", "latency_ms")):
        vlc.vegalite_to_vega(pareto_scatter(analysis, x, y).to_dict(), show_warnings=True)
    big = workbench.analyze(frame(6_000, seed=3), QualityModel.from_dict(MODEL))  # density layer too
    vlc.vegalite_to_vega(pareto_scatter(big, "latency_ms", "accuracy").to_dict(), show_warnings=True)
    assert "WARN" not in capfd.readouterr().err


def test_seed_intervals_are_drawn_as_bars_crossing_each_point():
    """With per-seed replicates the scatter carries an ``intervals`` dataset: each bar spans scipy's
    Student-t interval of the mean over that candidate's seeds and crosses where its point is drawn;
    without replicates there is none."""
    from scipy import stats

    import workbench as wb
    from workbench import views

    qm = wb.QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]}
    )
    rng = np.random.default_rng(11)
    df = pd.DataFrame(
        [
            {"id": c, "seed": s, "acc": 0.8 + 0.03 * i + rng.normal(0, 0.01), "ms": 10 + 5 * i + rng.normal(0, 1)}
            for i, c in enumerate("abcd")
            for s in range(3)
        ]
    )
    a = wb.analyze(df, qm)
    spec = views.pareto_scatter(a, "ms", "acc").to_dict()
    bars = {r["candidate"]: r for r in spec["datasets"]["intervals"]}
    points = {r["candidate"]: r for r in spec["datasets"]["candidates"]}
    assert set(bars) == set("abcd")
    whole = 0
    for cid, bar in bars.items():
        for axis, name in (("x", "ms"), ("y", "acc")):
            seeds = df.loc[df["id"] == cid, name].to_numpy()
            lo, hi = stats.t.interval(0.95, len(seeds) - 1, loc=seeds.mean(), scale=stats.sem(seeds))
            # the tooltip keeps the exact interval
            assert (bar[f"{axis}_ci_lo"], bar[f"{axis}_ci_hi"]) == (
                pytest.approx(lo, rel=1e-12),
                pytest.approx(hi, rel=1e-12),
            )
            point = a.table.loc[cid, name]
            assert bar[axis] == pytest.approx(point)
            span = a.table[name].min(), a.table[name].max()
            if lo < span[0] and hi > span[1]:  # wider than the whole axis: not drawn, counted
                assert bar[f"{axis}_whole"] and bar[f"{axis}_lo"] == bar[f"{axis}_hi"] == pytest.approx(point)
                whole += 1
            else:  # an end beyond what the points span is cut at the axis (never widening it), else exact
                assert not bar[f"{axis}_whole"]
                assert bar[f"{axis}_lo"] == pytest.approx(max(lo, span[0]), rel=1e-12)
                assert bar[f"{axis}_hi"] == pytest.approx(min(hi, span[1]), rel=1e-12)
        assert bar["n"] == 3 and points[cid]["candidate"] == cid
    assert any(r["clamped"] for r in bars.values()) and not all(r["clamped"] for r in bars.values())
    subtitle = " ".join(spec["title"]["subtitle"])
    assert (
        "Bars: the 95 % interval of each mean over its seeds (from 3 seeds; wide bars are cut at the axes)" in subtitle
    )
    assert ("not drawn" in subtitle) == (whole > 0)

    # one candidate far noisier than the spread of all: its interval crosses the whole axis
    noisy = df.copy()
    noisy.loc[noisy["id"] == "b", "acc"] += [-0.3, 0.0, 0.3]
    wide = views.pareto_scatter(wb.analyze(noisy, qm), "ms", "acc").to_dict()
    b = next(r for r in wide["datasets"]["intervals"] if r["candidate"] == "b")
    assert b["y_whole"] and b["y_lo"] == b["y_hi"] and b["y_ci_hi"] - b["y_ci_lo"] > 1
    assert "intervals wider than the whole axis are not drawn: acc of 1 candidate" in " ".join(
        wide["title"]["subtitle"]
    )
    assert vlc.vegalite_to_svg(spec).count("<line") + vlc.vegalite_to_svg(spec).count("<path") > 8  # it draws
    plain = views.pareto_scatter(
        wb.analyze(df.groupby("id", as_index=False)[["acc", "ms"]].mean(), qm), "ms", "acc"
    ).to_dict()
    assert "intervals" not in plain["datasets"]
