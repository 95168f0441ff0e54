"""Ranking, acceptability, stability, rates, conflicts and seed spread, tested as specs."""

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import QualityModel
from workbench.errors import UnknownObjectiveError
from workbench.views import (
    ChartError,
    MissingResultError,
    acceptability_bars,
    conflict_heatmap,
    ranking_bars,
    rates_chart,
    replicate_spread,
    stability_tornado,
)
from workbench.views.theme import STATUS_COLORS

MODEL = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "accuracy", "direction": "max", "weight": 2, "quality_attribute": "system_accuracy"},
            {
                "name": "latency_ms",
                "direction": "min",
                "unit": "ms",
                "quality_attribute": "resource_efficiency",
                "constraint": "<= 90",
            },
            {"name": "size_kb", "direction": "min", "unit": "KB", "quality_attribute": "resource_efficiency"},
        ],
    }
)
TWO = QualityModel.from_dict(
    {"objectives": [{"name": "latency_ms", "direction": "min", "unit": "ms"}, {"name": "recall", "direction": "max"}]}
)


def frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"c{i:02d}" for i in range(n)],
            "accuracy": rng.uniform(0.7, 0.95, n),
            "latency_ms": rng.uniform(5, 100, n),
            "size_kb": rng.uniform(10, 500, n),
        }
    )


@pytest.fixture(scope="module")
def analysis():
    return workbench.analyze(frame(), MODEL, smaa=2000, seed=0)


@pytest.fixture(scope="module")
def plain():
    return workbench.analyze(frame(), MODEL, stability=False)


@pytest.fixture(scope="module")
def replicated():
    rng = np.random.default_rng(3)
    rows = [
        {
            "id": f"m{i:02d}",
            "seed": s,
            "accuracy": 0.7 + 0.02 * i + rng.normal(0, 0.01),
            "latency_ms": 10 + 5 * i + rng.normal(0, 2),
            "size_kb": 100 + rng.normal(0, 5),
        }
        for i in range(12)
        for s in range(3 if i else 1)
    ]
    return workbench.analyze(workbench.load(pd.DataFrame(rows), replicate_column="seed"), MODEL)


# --- ranking -------------------------------------------------------------------------------------------


def test_ranking_bars_in_rank_order_with_infeasible_marked(analysis):
    spec = ranking_bars(analysis, top=40).to_dict()
    rows = spec["datasets"]["ranking"]
    assert [r["rank"] for r in rows] == sorted(analysis.table["rank"])
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == [r["candidate"] for r in rows]
    assert bars["encoding"]["x"]["field"] == "score"
    colours = dict(
        zip(bars["encoding"]["color"]["scale"]["domain"], bars["encoding"]["color"]["scale"]["range"], strict=True)
    )
    assert colours["infeasible"] == STATUS_COLORS["infeasible"]
    infeasible = [r for r in rows if not r["feasible"]]
    assert infeasible and all(r["text"].endswith("✗ infeasible") for r in infeasible)
    assert all(r["rank"] > max(f["rank"] for f in rows if f["feasible"]) for r in infeasible)


def test_ranking_bars_top_and_bad_top(analysis):
    spec = ranking_bars(analysis, top=5).to_dict()
    assert len(spec["datasets"]["ranking"]) == 5
    assert spec["datasets"]["ranking"][0]["candidate"] == analysis.recommended
    assert spec["title"]["subtitle"][0] == "Top 5 of 40 candidates by rank"
    with pytest.raises(ChartError, match="top must be a positive integer, got 0"):
        ranking_bars(analysis, top=0)


# --- SMAA acceptability -----------------------------------------------------------------------------------


def test_acceptability_needs_smaa(plain):
    with pytest.raises(MissingResultError, match=r"without SMAA \(smaa=0\)\.\n  Fix: analyze\(\.\.\., smaa=10_000\)"):
        acceptability_bars(plain)


def test_acceptability_stacks_to_one_per_competing_candidate(analysis):
    spec = acceptability_bars(analysis, ranks=3).to_dict()
    data = pd.DataFrame(spec["datasets"]["acceptability"])
    competing = analysis.smaa.competing
    assert set(data["candidate"]) <= set(competing.index[competing])
    totals = data.groupby("candidate")["acceptability"].sum()
    assert np.allclose(totals, 1.0)
    assert set(data["rank_group"]) <= {"1", "2", "3", "4+"}
    first = data[data["rank_group"] == "1"].set_index("candidate")["acceptability"]
    assert np.allclose(first, analysis.smaa.first_rank.reindex(first.index))
    bars = spec["layer"][0]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["1", "2", "3", "4+"]
    assert bars["encoding"]["order"]["field"] == "rank_order"
    # sorted by first-rank acceptability, best first
    order = bars["encoding"]["y"]["sort"]
    firsts = analysis.smaa.first_rank.reindex(order).to_numpy()
    assert (np.diff(firsts) <= 1e-12).all()
    assert len(acceptability_bars(analysis, top=2).to_dict()["layer"][0]["encoding"]["y"]["sort"]) == 2


# --- weight stability ---------------------------------------------------------------------------------


def test_stability_tornado_intervals_weights_and_winners(analysis):
    spec = stability_tornado(analysis).to_dict()
    rows = spec["datasets"]["stability"]
    stab = analysis.stability
    assert {r["objective"] for r in rows} == set(MODEL.names)
    margins = [np.inf if r["margin"] is None else r["margin"] for r in rows]
    assert margins == sorted(margins)  # most sensitive first
    for r in rows:
        s = stab.loc[r["objective"]]
        assert r["lower"] == pytest.approx(s["lower"]) and r["upper"] == pytest.approx(s["upper"])
        assert r["lower"] - 1e-9 <= r["weight"] <= r["upper"] + 1e-9
        assert r["left_text"] == (f"← {s['lower_winner']}" if isinstance(s["lower_winner"], str) else "")
    assert spec["title"]["text"] == f"Weight stability of the top choice, {stab.attrs['top']}"
    tips = {t["field"] for lay in spec["layer"] for t in lay["encoding"].get("tooltip", [])}
    assert {"lower_winner", "upper_winner", "weight", "margin"} <= tips
    ticks = [lay for lay in spec["layer"] if lay["mark"]["type"] == "tick"]
    assert ticks[0]["encoding"]["x"]["field"] == "weight"


def test_stability_tornado_needs_stability(plain):
    with pytest.raises(
        MissingResultError, match=r"run with stability=False.*\n  Fix: analyze\(\.\.\., stability=True\)"
    ):
        stability_tornado(plain)


# --- rates ------------------------------------------------------------------------------------------


def test_rates_match_the_engine_on_a_two_objective_front():
    df = pd.DataFrame(
        {"id": ["fast", "mid", "slow", "bad"], "latency_ms": [10, 45, 120, 130], "recall": [0.90, 0.95, 0.96, 0.5]}
    )
    a = workbench.analyze(df, TWO)
    spec = rates_chart(a, "latency_ms", "recall").to_dict()
    segs = spec["datasets"]["segments"]
    assert [(s["from"], s["to"]) for s in segs] == [("fast", "mid"), ("mid", "slow")]
    assert segs[0]["delta_x"] == 35 and segs[0]["delta_y"] == pytest.approx(0.05)
    engine = {(r["candidate"], r["neighbour"]): r["rate"] for r in a.rates.to_dict(orient="records")}
    for s in segs:
        assert s["rate"] == pytest.approx(engine[(s["from"], s["to"])])
    assert segs[0]["text"] == "fast → mid: +35 ms latency_ms, +0.05 recall; 0.00143 recall per ms"
    assert [r["candidate"] for r in spec["datasets"]["front"]] == ["fast", "mid", "slow"]
    assert spec["title"]["subtitle"][0] == "Labels: Δrecall / Δlatency_ms between neighbours (recall per ms)."


def test_rates_use_the_two_objective_front_of_feasible_candidates(analysis):
    spec = rates_chart(analysis, "latency_ms", "accuracy").to_dict()
    front = spec["datasets"]["front"]
    t = analysis.table
    feas = t[t["feasible"]]
    expected = feas.index[
        np.array(
            [
                not (
                    (feas["latency_ms"] <= r.latency_ms)
                    & (feas["accuracy"] >= r.accuracy)
                    & ((feas["latency_ms"] < r.latency_ms) | (feas["accuracy"] > r.accuracy))
                ).any()
                for r in feas.itertuples()
            ]
        )
    ]
    assert {r["candidate"] for r in front} == set(expected)
    xs = [r["latency_ms"] for r in front]
    assert xs == sorted(xs)
    assert any("size_kb ignored" in s for s in spec["title"]["subtitle"])
    with pytest.raises(UnknownObjectiveError, match="Did you mean 'accuracy'"):
        rates_chart(analysis, "latency_ms", "acuracy")


# --- conflicts -------------------------------------------------------------------------------------------


def test_conflict_heatmap_symmetric_diverging_and_marks_disagreement(analysis):
    spec = conflict_heatmap(analysis).to_dict()
    rows = spec["datasets"]["conflicts"]
    assert len(rows) == 6  # 3 pairs, both ways
    cells = {(r["row"], r["column"]): r for r in rows}
    for (a, b), r in cells.items():
        assert cells[(b, a)]["rho"] == r["rho"]
    c = analysis.conflicts.set_index(["a", "b"])
    for (a, b), r in c.iterrows():
        assert cells[(a, b)]["rho"] == pytest.approx(r["rho"])
        assert cells[(a, b)]["disagrees"] == (r["agrees"] is False)
        assert ("≠ prior" in cells[(a, b)]["text"]) == (r["agrees"] is False)
    rect = spec["layer"][0]
    scale = rect["encoding"]["color"]["condition"]["scale"]
    assert scale["domain"] == [-1, 1] and scale["domainMid"] == 0
    assert rect["encoding"]["strokeWidth"]["condition"] == {"test": "datum.disagrees", "value": 2.5}
    tips = {t["field"] for t in rect["encoding"]["tooltip"]}
    assert {"rho", "observed", "prior", "agrees"} <= tips


def test_conflict_heatmap_needs_two_objectives():
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    a = workbench.analyze(pd.DataFrame({"id": ["a", "b"], "acc": [0.1, 0.2]}), qm)
    with pytest.raises(ChartError, match="needs at least two objectives; the model has one"):
        conflict_heatmap(a)


# --- seed spread -----------------------------------------------------------------------------------------


def test_replicate_spread_needs_replicates(analysis):
    with pytest.raises(
        MissingResultError,
        match=r"needs per-seed replicates.*\n  Fix: .*workbench\.load\(df, replicate_column=\"seed\"\)",
    ):
        replicate_spread(analysis, "latency_ms", "accuracy")


def test_replicate_spread_mean_plus_minus_std(replicated):
    spec = replicate_spread(replicated, "latency_ms", "accuracy").to_dict()
    rows = {r["candidate"]: r for r in spec["datasets"]["spread"]}
    reps = replicated.candidates.replicates
    assert set(rows) == set(replicated.table.index)
    for cid, r in rows.items():
        values = reps.loc[cid]
        assert r["latency_ms"] == pytest.approx(values["latency_ms"].mean())
        assert r["replicates"] == len(values)
        if len(values) > 1:
            assert r["x_std"] == pytest.approx(values["latency_ms"].std())
            assert r["y_lo"] == pytest.approx(values["accuracy"].mean() - values["accuracy"].std())
        else:
            assert r["x_std"] is None  # one seed: no bar
    assert len(spec["datasets"]["replicates"]) == len(reps)
    assert "Candidates with a single replicate (no bar): 1." in spec["title"]["subtitle"]
    rules = [lay for lay in spec["layer"] if lay["mark"]["type"] == "rule"]
    assert [set(lay["encoding"]) & {"x2", "y2"} for lay in rules] == [{"x2"}, {"y2"}]
    with pytest.raises(UnknownObjectiveError, match="Did you mean 'latency_ms'"):
        replicate_spread(replicated, "latency", "accuracy")


# --- edge cases ------------------------------------------------------------------------------------------


def test_views_explain_an_analysis_where_nothing_is_feasible():
    from workbench.views import linked_views, pareto_scatter

    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "constraint": ">= 2"},
                {"name": "ms", "direction": "min", "unit": "ms"},
            ]
        }
    )
    df = pd.DataFrame({"id": list("abcd"), "acc": [0.9, 0.8, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    a = workbench.analyze(df, qm)
    spec = pareto_scatter(a, "ms", "acc").to_dict()
    assert {r["status"] for r in spec["datasets"]["candidates"]} == {"infeasible"}
    assert "No candidate is feasible: there is no feasible front to draw." in spec["title"]["subtitle"]
    assert "recommended" not in spec["title"]["subtitle"][0]
    linked_views(a, "ms", "acc").to_dict()
    ranking_bars(a).to_dict()
    assert any("none is feasible" in s for s in rates_chart(a, "ms", "acc").to_dict()["title"]["subtitle"])
    with pytest.raises(MissingResultError, match=r"\(no candidate is feasible\)"):
        stability_tornado(a)


def test_views_without_constraints_draw_no_rules():
    from workbench.views import pareto_scatter

    df = pd.DataFrame({"id": list("abc"), "latency_ms": [10, 45, 120], "recall": [0.90, 0.95, 0.96]})
    spec = pareto_scatter(workbench.analyze(df, TWO), "latency_ms", "recall").to_dict()
    assert "constraints" not in spec["datasets"]
    assert not [lay for lay in spec["layer"] if lay["mark"]["type"] == "rule"]
