"""Each trigger kind on a hand-made aggregated frame: one case where it must fire, one where it must not."""

import dataclasses
import json

import pandas as pd
import pytest

from tests._serving import serving_model
from workbench import QualityModel
from workbench.decisions import DecisionRecord
from workbench.monitoring.triggers import KINDS, Thresholds, Trigger, detect, review_due

T0 = pd.Timestamp("2026-03-01", tz="UTC")
H = pd.Timedelta("1h")


def frame(rows):
    """rows: {(version, window index): (latency_p95_ms, error_rate, cost_per_1k)}."""
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


@pytest.fixture
def qm():
    return serving_model(error="<= 0.02", cost="column", tolerances=(2, 0.001, 0.01))


def with_intervals(agg, half, n=2000):
    """Add symmetric intervals of the given half-widths (per objective) and n."""
    out = agg.copy()
    for name, h in half.items():
        out[f"{name}_lo"], out[f"{name}_hi"], out[f"{name}_n"] = out[name] - h, out[name] + h, n
    out["interval_level"] = 0.95
    return out


def kinds(triggers):
    return [t.kind for t in triggers]


def of(triggers, kind):
    return [t for t in triggers if t.kind == kind]


# --- constraint_violated -------------------------------------------------------------------------


def test_constraint_violated_fires_in_latest_window_for_every_version(qm):
    agg = frame(
        {
            ("v1", 0): (100, 0.01, 1.0),
            ("v2", 0): (100, 0.01, 1.0),
            ("v1", 1): (130, 0.01, 1.0),
            ("v2", 1): (150, 0.03, 1.0),
        }
    )
    triggers = detect(agg, qm)  # no decision: constraints are still checked
    hits = of(triggers, "constraint_violated")
    assert sorted((t.version, t.objective) for t in hits) == [
        ("v1", "latency_p95_ms"),
        ("v2", "error_rate"),
        ("v2", "latency_p95_ms"),
    ]
    assert {t.severity for t in hits} == {"warning"}
    lat = next(t for t in hits if t.version == "v2" and t.objective == "latency_p95_ms")
    assert lat.message == (
        "v2 latency_p95_ms 150 ms (n = 1,000, point estimate) is above the SLO "
        "latency_p95_ms <= 120 (limit 120 ms) in the window from 2026-03-01 01:00 UTC (rule: the "
        "point estimate beyond the limit (the data carry no interval); only windows with n ≥ 72)."
    )
    assert lat.value == 150 and lat.threshold == 120 and lat.window_start == T0 + H
    assert lat.evidence["margin"] == -30 and lat.evidence["n_requests"] == 1000
    err = next(t for t in hits if t.objective == "error_rate")
    assert err.evidence["burn_rate"] == pytest.approx(1.5) and "1.5× as fast" in err.message
    assert err.evidence["rule"].startswith("the point estimate") and err.evidence["level"] == 0.95
    assert review_due(triggers)


def test_constraint_violated_is_critical_for_the_champion(qm):
    agg = frame({("v1", 0): (130, 0.01, 1.0), ("v2", 0): (100, 0.01, 1.0)})
    hits = of(detect(agg, qm, champion="v1"), "constraint_violated")
    assert [(t.version, t.severity) for t in hits] == [("v1", "critical")]
    assert hits[0].message.startswith("champion v1 latency_p95_ms 130 ms")


def test_constraint_violated_does_not_fire_for_past_windows_only(qm):
    agg = frame({("v1", 0): (130, 0.05, 1.0), ("v1", 1): (100, 0.01, 1.0)})
    triggers = detect(agg, qm)
    assert "constraint_violated" not in kinds(triggers)
    assert not review_due(triggers)


def test_relative_constraint_without_champion_is_reported_not_raised():
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "constraint": "<= 1.1 * champion"},
                {"name": "error_rate", "direction": "min"},
                {"name": "cost_per_1k", "direction": "min"},
            ]
        }
    )
    agg = frame({("v1", 0): (100, 0.01, 1.0), ("v2", 0): (130, 0.01, 1.0)})
    triggers = detect(agg, qm)
    assert kinds(triggers) == ["constraint_unresolved"] and not review_due(triggers)
    hits = of(detect(agg, qm, champion="v1"), "constraint_violated")
    assert [(t.version, t.threshold) for t in hits] == [("v2", pytest.approx(110.0))]
    assert "limit 110 ms from 1.1 * champion" in hits[0].message


# --- champion_dominated ----------------------------------------------------------------------------


def test_champion_dominated_by_a_live_version(qm):
    agg = frame({("v1", 0): (100, 0.010, 1.0), ("v2", 0): (90, 0.010, 1.0)})
    hits = of(detect(agg, qm, champion="v1"), "champion_dominated")
    assert len(hits) == 1 and hits[0].version == "v1" and hits[0].severity == "warning"
    assert hits[0].evidence["dominated_by"] == ["v2"]
    assert hits[0].evidence["probability"]["v2"] == 1.0  # no interval in a hand-made frame: exact values
    assert "dominated beyond tolerance by live version v2 with probability 100 %" in hits[0].message


def test_champion_not_dominated_within_tolerance_or_by_an_infeasible_version(qm):
    agg = frame(
        {
            ("v1", 0): (100, 0.010, 1.0),
            ("v2", 0): (99, 0.0095, 0.995),  # within tolerance
            ("v3", 0): (130, 0.001, 0.5),
        }
    )  # better on two, but violates latency <= 120
    assert "champion_dominated" not in kinds(detect(agg, qm, champion="v1"))


def test_champion_dominated_by_a_newer_offline_candidate_only(qm):
    agg = frame({("v1", 0): (100, 0.010, 1.0), ("v2", 0): (80, 0.015, 1.2)})
    offline = pd.DataFrame(
        {
            "id": ["run-a", "run-b"],
            "latency_p95_ms": [70.0, 200.0],
            "error_rate": [0.005, 0.001],
            "cost_per_1k": [0.9, 0.5],
        }
    )
    decision = DecisionRecord(chosen="v1", candidates=("v1", "v2"))
    hits = of(detect(agg, qm, decision=decision, offline=offline), "champion_dominated")
    assert len(hits) == 1 and hits[0].evidence["offline"] == ["offline:run-a"]
    assert "offline candidate" in hits[0].message
    # the same candidate, already considered by the decision, is not newer: no trigger
    seen = DecisionRecord(chosen="v1", candidates=("v1", "v2", "run-a"))
    assert "champion_dominated" not in kinds(detect(agg, qm, decision=seen, offline=offline))


# --- acceptability_drop ----------------------------------------------------------------------------


def test_acceptability_drop_fires_relative_to_the_first_window(qm):
    agg = frame(
        {
            ("v1", 0): (20, 0.002, 1.9),
            ("v2", 0): (110, 0.019, 1.8),  # v1 leads on day one
            ("v1", 1): (110, 0.019, 1.9),
            ("v2", 1): (20, 0.002, 2.0),
        }
    )  # v2 wins most weights
    hits = of(detect(agg, qm, champion="v1"), "acceptability_drop")
    assert len(hits) == 1 and hits[0].evidence["reference"] > 0.5 > hits[0].value
    assert hits[0].evidence["drop"] > 0.25 and "v2 leads" in hits[0].message
    assert "down from" in hits[0].message and "first window" in hits[0].message


def test_acceptability_low_on_day_one_is_not_an_alarm(qm):
    """Three versions share the weight space: the champion's acceptability is below 0.5 from the start."""
    rows = {(v, w): x for v, x in FRONT.items() for w in range(3)}
    triggers = detect(frame(rows), qm, champion="v2")
    assert "acceptability_drop" not in kinds(triggers) and not review_due(triggers)


def test_acceptability_drop_within_the_intervals_does_not_fire(qm):
    agg = frame(
        {
            ("v1", 0): (20, 0.002, 1.9),
            ("v2", 0): (110, 0.019, 1.8),
            ("v1", 1): (110, 0.019, 1.9),
            ("v2", 1): (20, 0.002, 2.0),
        }
    )
    wide = with_intervals(agg, {"latency_p95_ms": 200.0, "error_rate": 0.05, "cost_per_1k": 2.0})
    assert "acceptability_drop" not in kinds(detect(wide, qm, champion="v1"))


# --- hypervolume_shift -----------------------------------------------------------------------------

FRONT = {"v1": (40, 0.010, 3.0), "v2": (60, 0.008, 2.0), "v3": (80, 0.006, 1.0)}


def test_hypervolume_shift_fires_when_every_version_degrades(qm):
    rows = {(v, 0): x for v, x in FRONT.items()}
    rows |= {(v, 1): (lat * 1.4, err * 1.4, cost * 1.4) for v, (lat, err, cost) in FRONT.items()}
    hits = of(detect(frame(rows), qm), "hypervolume_shift")
    assert len(hits) == 1 and hits[0].evidence["relative_change"] < -0.1
    assert "shrank" in hits[0].message and hits[0].evidence["reference_window"] == T0


def test_hypervolume_shift_does_not_fire_for_a_stable_front(qm):
    rows = {(v, w): x for v, x in FRONT.items() for w in range(3)}
    rows[("v2", 2)] = (60.5, 0.008, 2.0)
    assert "hypervolume_shift" not in kinds(detect(frame(rows), qm))


def test_hypervolume_shift_against_the_decisions_recorded_hypervolume(qm):
    agg = frame({(v, 0): x for v, x in FRONT.items()})
    from workbench import analyze

    a = analyze(agg.rename(columns={"version": "id"})[["id", *qm.names]], qm.with_constraints([]))
    hv = a.hypervolume
    bounds = {n: {"ideal": float(a.bounds.loc[n, "ideal"]), "nadir": float(a.bounds.loc[n, "nadir"])} for n in qm.names}
    same = DecisionRecord(chosen="v1", provenance={"hypervolume": hv, "bounds": bounds})
    assert "hypervolume_shift" not in kinds(detect(agg, qm, decision=same))
    bigger = DecisionRecord(chosen="v1", provenance={"hypervolume": hv * 1.5, "bounds": bounds})
    hit = of(detect(agg, qm, decision=bigger), "hypervolume_shift")
    assert len(hit) == 1 and hit[0].evidence["reference"] == "the decision's recorded hypervolume"
    assert {b["source"] for b in hit[0].evidence["bounds"].values()} == {"recorded"}
    # without the bounds it was computed with, a recorded hypervolume is not comparable: not used
    unbounded = DecisionRecord(chosen="v1", provenance={"hypervolume": hv * 1.5})
    assert "hypervolume_shift" not in kinds(detect(agg, qm, decision=unbounded))


def test_decision_records_its_hypervolume_and_bounds():
    from workbench import analyze

    frame_ = pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "y": [3.0, 2.0, 1.0]})
    qm2 = QualityModel.from_dict({"objectives": [{"name": "x", "direction": "min"}, {"name": "y", "direction": "min"}]})
    a = analyze(frame_, qm2)
    rec = DecisionRecord.from_analysis(a, chosen="b")
    assert rec.provenance["hypervolume"] == pytest.approx(a.hypervolume)
    assert rec.provenance["bounds"]["x"] == {"ideal": 1.0, "nadir": 3.0, "source": a.bounds.loc["x", "source"]}
    old = DecisionRecord.from_dict({**rec.to_dict(), "provenance": {}})  # records without them still load
    assert old.provenance == {}


# --- conflict_flip ---------------------------------------------------------------------------------


def model2():
    return QualityModel.from_dict(
        {
            "objectives": [
                {"name": "latency_p95_ms", "direction": "min", "unit": "ms"},
                {"name": "cost_per_1k", "direction": "min", "unit": "USD"},
            ]
        }
    )


def two(rows):
    return frame({k: (lat, 0.0, cost) for k, (lat, cost) in rows.items()}).drop(columns="error_rate")


def test_conflict_flip_fires_when_a_conflict_turns_into_a_synergy():
    rows = {
        ("v1", 0): (10, 3.0),
        ("v2", 0): (20, 2.0),
        ("v3", 0): (30, 1.0),  # fast is expensive
        ("v1", 1): (10, 1.0),
        ("v2", 1): (20, 2.0),
        ("v3", 1): (30, 3.0),
    }  # fast is cheap
    hits = of(detect(two(rows), model2()), "conflict_flip")
    assert len(hits) == 1 and hits[0].objective == "latency_p95_ms/cost_per_1k"
    assert hits[0].evidence["reference_rho"] == pytest.approx(-1.0) and hits[0].value == pytest.approx(1.0)
    assert "turned from conflict (rho -1.00) to synergy (rho +1.00)" in hits[0].message


def test_conflict_flip_does_not_fire_when_the_sign_holds():
    rows = {
        ("v1", 0): (10, 3.0),
        ("v2", 0): (20, 2.0),
        ("v3", 0): (30, 1.0),
        ("v1", 1): (12, 3.1),
        ("v2", 1): (21, 2.2),
        ("v3", 1): (33, 1.0),
    }
    assert "conflict_flip" not in kinds(detect(two(rows), model2()))


def test_conflict_flip_against_the_decisions_recorded_conflicts():
    rows = {("v1", 0): (10, 3.0), ("v2", 0): (20, 2.0), ("v3", 0): (30, 1.0)}
    synergy = DecisionRecord(
        chosen="v1", provenance={"conflicts": [{"a": "latency_p95_ms", "b": "cost_per_1k", "rho": 0.8}]}
    )
    hits = of(detect(two(rows), model2(), decision=synergy), "conflict_flip")
    assert len(hits) == 1 and hits[0].evidence["reference"] == "the decision's recorded conflicts"
    weak = DecisionRecord(
        chosen="v1", provenance={"conflicts": [{"a": "latency_p95_ms", "b": "cost_per_1k", "rho": 0.1}]}
    )
    assert "conflict_flip" not in kinds(detect(two(rows), model2(), decision=weak))


# --- decision plumbing, ordering and serialisation -------------------------------------------------


def test_champion_from_the_decision_and_not_live_champion(qm):
    agg = frame({("v1", 0): (130, 0.01, 1.0), ("v2", 0): (100, 0.01, 1.0)})
    hits = detect(agg, qm, decision=DecisionRecord(chosen="v1"))
    assert hits[0].kind == "constraint_violated" and hits[0].severity == "critical"
    triggers = detect(agg, qm, decision=DecisionRecord(chosen="run-123"))
    assert of(triggers, "champion_not_live")[0].severity == "info"
    assert [t.severity for t in of(triggers, "constraint_violated")] == ["warning"]


def test_incomplete_window_is_reported(qm):
    agg = frame({("v1", 0): (100, 0.01, 1.0), ("v2", 0): (100, 0.01, float("nan"))})
    triggers = detect(agg, qm, champion="v1")
    assert of(triggers, "incomplete_window")[0].evidence["versions"] == ["v2"]
    assert not review_due(triggers)


def test_triggers_sorted_by_severity_and_json_safe(qm):
    agg = frame({("v1", 0): (130, 0.01, 1.0), ("v2", 0): (125, 0.01, 1.0)})
    triggers = detect(agg, qm, champion="v1")
    assert [t.severity for t in triggers][:2] == ["critical", "warning"]
    assert all(isinstance(t, Trigger) and t.kind in KINDS for t in triggers)
    data = json.loads(json.dumps([t.to_dict() for t in triggers], allow_nan=False))
    assert data[0]["window_start"] == "2026-03-01T00:00:00+00:00"
    with pytest.raises(dataclasses.FrozenInstanceError):
        triggers[0].kind = "x"


def test_unknown_champion_is_an_error(qm):
    from workbench.errors import UnknownNameError

    agg = frame({("v1", 0): (100, 0.01, 1.0)})
    with pytest.raises(UnknownNameError, match="Champion 'v9' is not a version of the monitoring data"):
        detect(agg, qm, champion="v9")


# --- evidence: intervals, persistence, minimum n ---------------------------------------------------

HALF = {"latency_p95_ms": 5.0, "error_rate": 0.002, "cost_per_1k": 0.05}


def test_a_point_beyond_the_limit_inside_the_interval_is_not_a_breach(qm):
    agg = with_intervals(frame({("v1", 0): (123, 0.021, 1.0)}), HALF)  # 123 [118, 128], 0.021 [0.019, 0.023]
    triggers = detect(agg, qm)
    assert "constraint_violated" not in kinds(triggers) and not review_due(triggers)
    beyond = with_intervals(frame({("v1", 0): (131, 0.025, 1.0)}), HALF)  # 131 [126, 136] > 120
    hits = of(detect(beyond, qm), "constraint_violated")
    lat = next(t for t in hits if t.objective == "latency_p95_ms")
    assert lat.message.startswith("v1 latency_p95_ms 131 [126, 136] ms (95 %, n = 2,000) is above the SLO")
    assert (
        lat.evidence["interval"] == [126, 136]
        and lat.evidence["rule"]
        == "the whole interval beyond the limit; a window with n below 72 counts only when the interval lies beyond the limit by more than its half-width"
    )


def test_persistence_needs_consecutive_windows_in_breach(qm):
    # beyond the limit 120, but each by less than the interval's half-width 5: persistence decides
    rows = {("v1", 0): (100, 0.01, 1.0), ("v1", 1): (128, 0.01, 1.0), ("v1", 2): (129, 0.01, 1.0)}
    agg = with_intervals(frame(rows), HALF)
    two = Thresholds(for_windows=2)
    hits = of(detect(agg, qm, thresholds=two), "constraint_violated")
    assert len(hits) == 1 and "in 2 consecutive 1 h windows" in hits[0].message
    assert hits[0].evidence["breach_by_window"] == [True, True]
    assert "in 2 consecutive 1 h windows, the last from 2026-03-01 02:00 UTC" in hits[0].message
    assert not of(detect(agg, qm, thresholds=Thresholds(for_windows=3)), "constraint_violated")
    rows[("v1", 1)] = (118, 0.01, 1.0)  # the run is broken
    assert not of(detect(with_intervals(frame(rows), HALF), qm, thresholds=two), "constraint_violated")


def test_one_window_suffices_when_the_interval_is_beyond_the_limit_by_its_half_width(qm):
    two = Thresholds(for_windows=2)
    # p95 [124, 134] against 120: the near bound is 4 beyond, less than the half-width 5: wait
    weak = with_intervals(frame({("v1", 0): (100, 0.01, 1.0), ("v1", 1): (129, 0.01, 1.0)}), HALF)
    assert not of(detect(weak, qm, thresholds=two), "constraint_violated")
    # p95 [125, 135]: 5 beyond, the half-width: one window is overwhelming evidence
    strong = with_intervals(frame({("v1", 0): (100, 0.01, 1.0), ("v1", 1): (130, 0.01, 1.0)}), HALF)
    hits = of(detect(strong, qm, thresholds=two), "constraint_violated")
    assert len(hits) == 1 and hits[0].evidence["one_window"] is True
    assert hits[0].evidence["breach_by_window"] == [False, True]
    assert "beyond it by more than the interval's half-width" in hits[0].message
    assert "half-width" in hits[0].evidence["rule"] and "99.99 %" in hits[0].evidence["rule"]
    # the stricter level is the one of an interval twice as wide (normal approximation), checked by scipy
    from scipy.stats import norm

    assert abs(hits[0].evidence["one_window_level"] - (1 - 2 * norm.sf(2 * norm.ppf(0.975)))) < 1e-12
    # with for_windows=1 the ordinary rule already fires and says nothing about the half-width
    one = of(detect(weak, qm, thresholds=Thresholds(for_windows=1)), "constraint_violated")
    assert (
        len(one) == 1
        and one[0].evidence["one_window"] is False
        and "latest window alone" not in one[0].evidence["rule"]
    )


def test_an_interval_beyond_the_limit_on_too_few_requests_is_no_verdict(qm):
    # two errors in 9 requests: the Wilson interval lies above 2 %, but 9 < 189 requests
    agg = frame({("v1", 0): (100, 2 / 9, 1.0), ("v1", 1): (100, 2 / 9, 1.0)})
    agg = with_intervals(agg, {"latency_p95_ms": 5.0, "cost_per_1k": 0.05}, n=9)
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(2, 9, alpha=0.05, method="wilson")
    agg["error_rate_lo"], agg["error_rate_hi"], agg["error_rate_n"] = lo, hi, 9
    assert lo > 0.02
    for k in (1, 2):
        triggers = detect(agg, qm, thresholds=Thresholds(for_windows=k))
        assert not of(triggers, "constraint_violated") and not review_due(triggers)
        info = [t for t in of(triggers, "insufficient_data") if t.objective == "error_rate"]
        assert len(info) == 1 and info[0].evidence["n"] == 9 and info[0].evidence["minimum_n"] == 189
    # 44 errors in 176 requests is still below the minimum n, but far beyond the limit: a breach
    lo, hi = proportion_confint(44, 176, alpha=0.05, method="wilson")
    agg["error_rate"], agg["error_rate_lo"], agg["error_rate_hi"], agg["error_rate_n"] = 0.25, lo, hi, 176
    assert lo - 0.02 > (hi - lo) / 2
    hits = of(detect(agg, qm, thresholds=Thresholds(for_windows=2)), "constraint_violated")
    assert [t.objective for t in hits] == ["error_rate"] and hits[0].evidence["n"] == 176


def test_insufficient_data_is_info_with_n_and_the_minimum(qm):
    agg = with_intervals(frame({("v1", 0): (118, 0.0, 1.0)}), HALF, n=36)
    agg["latency_p95_ms_hi"] = float("nan")  # a p95 upper bound needs n >= 72
    triggers = detect(agg, qm)
    info = of(triggers, "insufficient_data")
    assert {t.objective for t in info} == {"latency_p95_ms", "error_rate"}
    lat = next(t for t in info if t.objective == "latency_p95_ms")
    assert lat.severity == "info" and lat.evidence["n"] == 36 and lat.evidence["minimum_n"] == 72
    assert "n = 36" in lat.message and "below the minimum 72" in lat.message
    assert next(t for t in info if t.objective == "error_rate").evidence["minimum_n"] == 189  # z^2 (1 - L) / L
    assert not review_due(triggers)


def test_champion_dominated_needs_probability_beyond_the_intervals(qm):
    agg = frame({("v1", 0): (100, 0.010, 1.0), ("v2", 0): (90, 0.009, 0.9)})
    sure = with_intervals(agg, {"latency_p95_ms": 1.0, "error_rate": 0.0002, "cost_per_1k": 0.01})
    hits = of(detect(sure, qm, champion="v1"), "champion_dominated")
    assert len(hits) == 1 and hits[0].value >= 0.95 and "probability" in hits[0].message
    noisy = with_intervals(agg, {"latency_p95_ms": 20.0, "error_rate": 0.004, "cost_per_1k": 0.3})
    assert "champion_dominated" not in kinds(detect(noisy, qm, champion="v1"))


def test_champion_dominated_in_a_single_window_waits_for_persistence(qm):
    rows = {
        ("v1", 0): (100, 0.010, 1.0),
        ("v2", 0): (101, 0.010, 1.0),
        ("v1", 1): (100, 0.010, 1.0),
        ("v2", 1): (90, 0.009, 0.9),
    }
    agg = with_intervals(frame(rows), {"latency_p95_ms": 1.0, "error_rate": 0.0002, "cost_per_1k": 0.01})
    assert "champion_dominated" in kinds(detect(agg, qm, champion="v1"))
    assert "champion_dominated" not in kinds(detect(agg, qm, champion="v1", thresholds=Thresholds(for_windows=2)))


def test_hypervolume_noise_within_the_bootstrap_does_not_fire(qm):
    rows = {(v, 0): x for v, x in FRONT.items()}
    rows |= {(v, 1): (lat * 1.15, err * 1.15, cost * 1.15) for v, (lat, err, cost) in FRONT.items()}
    noisy = with_intervals(frame(rows), {"latency_p95_ms": 30.0, "error_rate": 0.005, "cost_per_1k": 1.5})
    assert "hypervolume_shift" not in kinds(detect(noisy, qm))
    rows |= {(v, 1): (lat * 1.6, err * 1.6, cost * 1.6) for v, (lat, err, cost) in FRONT.items()}
    tight = with_intervals(frame(rows), {"latency_p95_ms": 1.0, "error_rate": 0.0001, "cost_per_1k": 0.02})
    hit = of(detect(tight, qm), "hypervolume_shift")
    assert len(hit) == 1 and hit[0].evidence["per_window"][0]["difference_interval"][1] < 0


def test_conflict_flip_with_three_versions_is_info_only():
    rows = {
        ("v1", 0): (10, 3.0),
        ("v2", 0): (20, 2.0),
        ("v3", 0): (30, 1.0),
        ("v1", 1): (10, 1.0),
        ("v2", 1): (20, 2.0),
        ("v3", 1): (30, 3.0),
    }
    hits = of(detect(two(rows), model2()), "conflict_flip")
    assert [t.severity for t in hits] == ["info"] and "Not decisive: 3 live versions" in hits[0].message
    # three versions in the same order: 2 of the 6 orders are as extreme (the t approximation said 0)
    assert "Spearman p = 0.3333 now" in hits[0].message


@pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8, 9, 12, 20])
def test_spearman_p_is_exact_for_few_versions(n):
    # oracle: scipy's permutation test over every pairing (exact up to 8 values), and above that
    # spearmanr's t approximation, which the function then uses; ties included
    import numpy as np
    from scipy.stats import permutation_test, rankdata, spearmanr

    from workbench.monitoring.triggers import EXACT_SPEARMAN_N, spearman_p

    rng = np.random.default_rng(n)
    for _ in range(5):
        x = rng.integers(0, 4, n).astype(float)
        y = x + rng.integers(-1, 3, n)
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            assert spearman_p(x, y) == 1.0
            continue
        if n <= EXACT_SPEARMAN_N:
            ranks_x = rankdata(x)

            def rho(v, axis=-1, rx=ranks_x):  # Spearman's rho of x and each row of v
                rv = rankdata(v, axis=axis)
                a, b = rx - rx.mean(), rv - rv.mean(axis=axis, keepdims=True)
                return (a * b).sum(axis=axis) / np.sqrt((a * a).sum() * (b * b).sum(axis=axis))

            assert rho(y) == pytest.approx(spearmanr(x, y).statistic)
            want = permutation_test((y,), rho, permutation_type="pairings", n_resamples=np.inf, vectorized=True).pvalue
        else:
            want = spearmanr(x, y).pvalue
        assert spearman_p(x, y) == pytest.approx(min(want, 1.0), abs=1e-12)


def test_conflict_flip_with_six_versions_and_significance_is_a_warning():
    rows = {(f"v{i}", 0): (10 * i, 7.0 - i) for i in range(1, 7)}
    rows |= {(f"v{i}", 1): (10 * i, float(i)) for i in range(1, 7)}
    hits = of(detect(two(rows), model2()), "conflict_flip")
    assert [t.severity for t in hits] == ["warning"] and hits[0].evidence["decisive"]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_for_windows_must_be_a_whole_number_from_one(bad):
    from workbench.monitoring import MonitoringError

    with pytest.raises(MonitoringError, match=r"(?s)for_windows .* >= 1.*Valid: 1"):
        Thresholds(for_windows=bad)
