"""The one entry point: labelled, complete, reproducible; front invariants hold."""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import QualityModel, analyze
from workbench.analysis import conflicts, knees, tradeoff_rates
from workbench.analysis.knees import KneeParameterError

REQUIRED = {"feasible", "violation", "front", "score", "rank", "knee"}


def test_frame_has_required_columns_and_labels(make_candidates, model3):
    df = make_candidates(40)
    a = analyze(df, model3)
    t = a.to_frame()
    assert set(t.columns) >= REQUIRED
    assert set(t.index) == set(df["id"])
    assert t["rank"].min() == 1 and t["rank"].is_monotonic_increasing
    assert a.recommended == t.index[0]
    assert (t.loc[t["front"] == 0, "feasible"]).all()
    assert df.columns.tolist() == ["id", "acc", "ms", "kb"]  # caller's frame untouched


def test_json_summary_is_complete_and_strict(make_candidates, model3):
    a = analyze(make_candidates(25), model3, smaa=500, seed=3)
    d = json.loads(a.to_json())
    for key in ("candidates", "hypervolume", "objectives", "model_hash", "data_hash", "workbench_version"):
        assert key in d
    c0 = d["candidates"][0]
    for key in ("id", "feasible", "violation", "front", "score", "rank", "knee", "acceptability"):
        assert key in c0
    assert d["model_hash"] == model3.hash
    assert sum(c["acceptability"] for c in d["candidates"]) == pytest.approx(1.0)


def test_same_seed_same_numbers(make_candidates, model3):
    df = make_candidates(30)
    a, b = analyze(df, model3, smaa=2000, seed=11), analyze(df, model3, smaa=2000, seed=11)
    assert a.to_json() == b.to_json()


def test_stakeholder_weights_change_the_ranking(make_candidates, model3):
    df = make_candidates(50, seed=4)
    base = analyze(df, model3)
    ops = analyze(df, model3, weights="ops")
    assert ops.weights["ms"] == pytest.approx(0.6)
    assert ops.model.hash != base.model.hash


def test_nothing_feasible_is_explicit():
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "ms", "direction": "min", "constraint": "<= 1"}, {"name": "acc", "direction": "max"}]}
    )
    df = pd.DataFrame({"id": ["a", "b"], "ms": [5.0, 9.0], "acc": [0.8, 0.9]})
    a = analyze(df, qm)
    assert a.recommended is None
    assert a.front == []
    assert any("No candidate is feasible" in n for n in a.notes)
    assert a.to_frame()["rank"].tolist() == [1, 2]  # least violation first


def test_knee_radius_is_honoured():
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]}
    )
    # a convex bend at d = (0.1, 0.1): leaving d either way costs twice what it gains
    x = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.6, 1.0])
    y = np.array([1.0, 0.6, 0.2, 0.1, 0.05, 0.02, 0.0])
    df = pd.DataFrame({"id": list("abcdefg"), "f1": x, "f2": y})
    wide = knees(df, qm, radius=0.6)
    assert wide.index[wide["knee"]].tolist() == ["d"]
    # by hand: d -> c gains 0.05 in f1 and gives up 0.1 in f2 (ratio 2); d -> e likewise; others cost more
    assert wide.loc["d", "tradeoff"] == pytest.approx(2.0)
    assert wide.loc["c", "tradeoff"] == pytest.approx(0.5)  # c -> d gains 0.1 for 0.05
    tiny = knees(df, qm, radius=0.01)
    assert tiny["tradeoff"].isna().all() and not tiny["knee"].any()
    with pytest.raises(KneeParameterError, match="radius must be > 0"):
        knees(df, qm, radius=0)


def test_tradeoff_rates_in_domain_units():
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_ms", "direction": "min", "unit": "ms"},
                {"name": "recall", "direction": "max"},
            ]
        }
    )
    df = pd.DataFrame(
        {"id": ["fast", "mid", "slow", "bad"], "latency_ms": [10, 45, 120, 200], "recall": [0.90, 0.95, 0.96, 0.5]}
    )
    r = tradeoff_rates(df, qm)
    assert set(r["candidate"]) == {"fast", "mid", "slow"}  # 'bad' is dominated
    row = r[(r["candidate"] == "mid") & (r["neighbour"] == "slow")].iloc[0]
    assert row["delta_latency_ms"] == 75 and row["delta_recall"] == pytest.approx(0.01)
    assert row["text"] == "mid → slow: recall 0.01 higher (better); latency_ms 75 ms higher (worse)"


def test_move_sentences_order_gains_before_losses_and_name_unchanged_objectives():
    """Hand-checked: gains first then losses, each in the model's order; a tie is not mentioned;
    one sentence per pair equals describe_move of that pair."""
    from workbench.analysis.problem import problem
    from workbench.analysis.rates import describe_move

    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "cost", "direction": "min", "unit": "USD"},
                {"name": "latency_ms", "direction": "min", "unit": "ms"},
                {"name": "recall", "direction": "max"},
            ]
        }
    )
    df = pd.DataFrame(
        {"id": ["a", "b", "c"], "cost": [1.0, 2.0, 1.0], "latency_ms": [30, 20, 30], "recall": [0.9, 0.92, 0.9]}
    )
    prob = problem(df, qm)
    assert describe_move(prob, 0, 1) == (
        "a → b: latency_ms 10 ms lower (better); recall 0.02 higher (better); cost 1 USD higher (worse)"
    )
    assert describe_move(prob, 1, 0) == (
        "b → a: cost 1 USD lower (better); latency_ms 10 ms higher (worse); recall 0.02 lower (worse)"
    )
    assert describe_move(prob, 0, 2) == "a → c: no objective changes"
    r = tradeoff_rates(prob, front=np.array([True, True, False]))
    for row in r.itertuples():
        i, j = ["a", "b"].index(row.candidate), ["a", "b"].index(row.neighbour)
        assert row.text == describe_move(prob, i, j)


def test_conflicts_against_prior():
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "quality_attribute": "system_accuracy"},
                {"name": "kb", "direction": "min", "quality_attribute": "resource_efficiency"},
                {"name": "dp", "direction": "min", "quality_attribute": "fairness"},
            ]
        }
    )
    df = pd.DataFrame(
        {
            "id": list("abcde"),
            "acc": [0.7, 0.75, 0.8, 0.85, 0.9],
            "kb": [1, 2, 3, 4, 5],
            "dp": [0.05, 0.04, 0.03, 0.02, 0.01],
        }
    )
    c = conflicts(df, qm).set_index(["a", "b"])
    assert c.loc[("acc", "kb"), "observed"] == "conflict" and c.loc[("acc", "kb"), "agrees"]
    assert c.loc[("acc", "dp"), "observed"] == "synergy" and c.loc[("acc", "dp"), "rho"] == pytest.approx(1.0)


ids = st.integers(min_value=3, max_value=25)


@settings(max_examples=40, deadline=None)
@given(n=ids, seed=st.integers(0, 10_000), scale=st.floats(0.01, 1000), shift=st.floats(-100, 100))
def test_rescaling_an_objective_keeps_the_front(n, seed, scale, shift):
    rng = np.random.default_rng(seed)
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "a", "direction": "min"},
                {"name": "b", "direction": "max"},
                {"name": "c", "direction": "min"},
            ]
        }
    )
    df = pd.DataFrame(
        {
            "id": [f"x{i}" for i in range(n)],
            "a": rng.integers(0, 5, n).astype(float),
            "b": rng.uniform(0, 1, n),
            "c": rng.uniform(0, 1, n),
        }
    )
    base = analyze(df, qm, stability=False).table["front"]
    df2 = df.assign(a=df["a"] * scale + shift)
    assert analyze(df2, qm, stability=False).table["front"].equals(base)


@settings(max_examples=40, deadline=None)
@given(n=ids, seed=st.integers(0, 10_000))
def test_adding_a_dominated_candidate_keeps_front_members(n, seed):
    rng = np.random.default_rng(seed)
    qm = QualityModel.from_dict({"objectives": [{"name": "a", "direction": "min"}, {"name": "b", "direction": "max"}]})
    df = pd.DataFrame({"id": [f"x{i}" for i in range(n)], "a": rng.uniform(0, 1, n), "b": rng.uniform(0, 1, n)})
    before = analyze(df, qm, stability=False).table
    victim = df.iloc[int(rng.integers(n))]
    extra = pd.DataFrame({"id": ["new"], "a": [victim["a"] + 0.1], "b": [victim["b"] - 0.1]})
    after = analyze(pd.concat([df, extra], ignore_index=True), qm, stability=False).table
    assert after.loc["new", "front"] > 0
    assert (after.loc[before.index, "front"] == 0).equals(before["front"] == 0)


def test_tolerance_cycles_never_leave_an_empty_front():
    # on a 3-D sphere with a large tolerance, tolerance-dominance cycles make every point dominated
    rng = np.random.default_rng(0)
    P = np.abs(rng.normal(size=(400, 3)))
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    qm = QualityModel.from_dict({"objectives": [{"name": n, "direction": "max", "tolerance": 0.1} for n in "abc"]})
    df = pd.DataFrame({"id": [f"p{i}" for i in range(400)], "a": P[:, 0], "b": P[:, 1], "c": P[:, 2]})
    a = analyze(df, qm, stability=False)
    assert a.table["pareto"].any() and len(a.front) > 0
    assert a.recommended in a.front


def test_subnormal_ranges_do_not_overflow_the_normalisation():
    # A front spanning 5e-324 next to values near 1 used to divide by the subnormal range and
    # overflow (scores inf/NaN, a RuntimeWarning); such a range is rounding noise, i.e. zero.
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "weight": 0}]}
    )
    df = pd.DataFrame({"id": list("abcd"), "acc": [0.0, 5e-324, -1.0, 0.0], "ms": [0.0, 0.0, 0.0, -1.0]})
    for method in ("weighted_sum", "tchebycheff", "asf", "topsis"):
        a = analyze(df, qm, method=method, smaa=20)
        assert np.isfinite(a.table["score"]).all(), method


@pytest.mark.parametrize(
    "options, pattern",
    [
        # used to escape as numpy's ValueError ("expected non-negative integer", "Maximum allowed dimension")
        ({"seed": -1}, r"seed must be a whole number >= 0, got -1"),
        ({"seed": "x"}, r"seed must be a whole number >= 0, got 'x'"),
        ({"smaa": 10**23}, r"smaa must be a whole number from 0 to 10,000,000, got 1000"),
        ({"smaa": 1.5}, r"smaa must be a whole number from 0 to 10,000,000, got 1.5"),
    ],
)
def test_bad_smaa_and_seed_are_rejected_with_the_value(options, pattern):
    from workbench.errors import QualityModelError

    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    with pytest.raises(QualityModelError, match=pattern):
        analyze(pd.DataFrame({"id": ["a", "b"], "acc": [1.0, 2.0]}), qm, **options)


def test_knee_parameters_of_the_wrong_type_are_named():
    # a text radius raised numpy's TypeError from isfinite
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"}]})
    with pytest.raises(KneeParameterError, match="Knee radius must be > 0 .* got 'x'"):
        analyze(pd.DataFrame({"id": ["a", "b"], "acc": [1.0, 2.0]}), qm, knee_radius="x")
    with pytest.raises(KneeParameterError, match="Knee threshold must be finite, got None"):
        analyze(pd.DataFrame({"id": ["a", "b"], "acc": [1.0, 2.0]}), qm, knee_threshold=None)


def test_subnormal_gain_between_front_members_does_not_overflow_the_knees():
    # loss / gain with a 5e-324 gain overflowed (RuntimeWarning) in the knee trade-off kernel
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "ms", "direction": "min"},
                {"name": "cost", "direction": "min"},
            ]
        }
    )
    df = pd.DataFrame(
        {"id": ["c0", "c1", "c2"], "acc": [0.0, 1.0, 0.0], "ms": [1.0, 5e-324, 0.0], "cost": [-1.0, 0.0, 0.0]}
    )
    a = analyze(df, qm)
    assert np.isfinite(a.table["score"]).all()


def test_the_unconstrained_front_is_remembered_by_value_not_by_object():
    # a constraint what-if analyses the same values again: the front that ignores the constraints
    # is reused, and any change of a value or a tolerance computes it anew
    from workbench.analysis import pareto as pareto_module
    from workbench.analysis.pareto import forget_fronts, front_mask, unconstrained_front
    from workbench.analysis.problem import problem

    rng = np.random.default_rng(7)
    df = pd.DataFrame(rng.uniform(0, 1, (400, 3)), columns=["a", "b", "c"])
    df.insert(0, "id", [f"c{i}" for i in range(len(df))])
    qm = QualityModel.from_dict({"objectives": [{"name": n, "direction": "min"} for n in "abc"]})
    forget_fronts()
    first = unconstrained_front(problem(df, qm), None)
    assert np.array_equal(first, front_mask(problem(df, qm).F, None))
    first[:] = False  # the caller's copy: the kept front is not touched
    again = unconstrained_front(problem(df.copy(), qm.with_constraints(["a <= 0.5"])), None)
    assert np.array_equal(again, front_mask(problem(df, qm).F, None)) and len(pareto_module._FRONTS) == 1
    # one value moved onto the front's ideal corner: now it dominates every other row
    moved = df.copy()
    moved.loc[moved.index[-1], ["a", "b", "c"]] = -1.0
    only = unconstrained_front(problem(moved, qm), None)
    assert only.sum() == 1 and only[-1]
    tol = np.array([0.2, 0.2, 0.2])
    assert np.array_equal(unconstrained_front(problem(df, qm), tol), front_mask(problem(df, qm).F, tol))
    assert len(pareto_module._FRONTS) == 3
    analysed = analyze(moved, qm)
    assert analysed.table["pareto"].sum() == 1 and bool(analysed.table["pareto"].iloc[-1])
