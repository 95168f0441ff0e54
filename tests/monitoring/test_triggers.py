"""Each trigger kind on a hand-made aggregated frame: one case where it must fire, one where it must not."""

import dataclasses
import json

import pandas as pd
import pytest

from workbench import QualityModel
from workbench.decisions import DecisionRecord
from workbench.monitoring.triggers import KINDS, Thresholds, Trigger, detect, review_due

T0 = pd.Timestamp("2026-03-01", tz="UTC")
H = pd.Timedelta("1h")


def frame(rows):
    """rows: {(version, window index): (latency_p95_ms, error_rate, cost_per_1k)}."""
    return pd.DataFrame([
        {"version": v, "window_start": T0 + w * H, "window_end": T0 + (w + 1) * H, "n_requests": 1000,
         "latency_p95_ms": lat, "error_rate": err, "cost_per_1k": cost}
        for (v, w), (lat, err, cost) in rows.items()])


@pytest.fixture
def qm():
    return QualityModel.from_dict({"objectives": [
        {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "source": "latency_ms", "aggregation": "p95",
         "tolerance": 2, "constraint": "<= 120"},
        {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate", "tolerance": 0.001,
         "constraint": "<= 0.02"},
        {"name": "cost_per_1k", "direction": "min", "unit": "USD", "tolerance": 0.01},
    ]})


def kinds(triggers):
    return [t.kind for t in triggers]


def of(triggers, kind):
    return [t for t in triggers if t.kind == kind]


# --- constraint_violated -------------------------------------------------------------------------

def test_constraint_violated_fires_in_latest_window_for_every_version(qm):
    agg = frame({("v1", 0): (100, 0.01, 1.0), ("v2", 0): (100, 0.01, 1.0),
                 ("v1", 1): (130, 0.01, 1.0), ("v2", 1): (150, 0.03, 1.0)})
    triggers = detect(agg, qm)  # no decision: constraints are still checked
    hits = of(triggers, "constraint_violated")
    assert sorted((t.version, t.objective) for t in hits) == [
        ("v1", "latency_p95_ms"), ("v2", "error_rate"), ("v2", "latency_p95_ms")]
    assert {t.severity for t in hits} == {"warning"}
    lat = next(t for t in hits if t.version == "v2" and t.objective == "latency_p95_ms")
    assert lat.message == ("v2 violates latency_p95_ms <= 120 in the window from 2026-03-01 01:00 UTC: "
                           "measured 150 ms (limit 120 ms).")
    assert lat.value == 150 and lat.threshold == 120 and lat.window_start == T0 + H
    assert lat.evidence["margin"] == -30 and lat.evidence["n_requests"] == 1000
    err = next(t for t in hits if t.objective == "error_rate")
    assert err.evidence["burn_rate"] == pytest.approx(1.5) and "1.5× as fast" in err.message
    assert review_due(triggers)


def test_constraint_violated_is_critical_for_the_champion(qm):
    agg = frame({("v1", 0): (130, 0.01, 1.0), ("v2", 0): (100, 0.01, 1.0)})
    hits = of(detect(agg, qm, champion="v1"), "constraint_violated")
    assert [(t.version, t.severity) for t in hits] == [("v1", "critical")]
    assert hits[0].message.startswith("champion v1 violates latency_p95_ms <= 120")


def test_constraint_violated_does_not_fire_for_past_windows_only(qm):
    agg = frame({("v1", 0): (130, 0.05, 1.0), ("v1", 1): (100, 0.01, 1.0)})
    triggers = detect(agg, qm)
    assert "constraint_violated" not in kinds(triggers)
    assert not review_due(triggers)


def test_relative_constraint_without_champion_is_reported_not_raised():
    qm = QualityModel.from_dict({"objectives": [
        {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "constraint": "<= 1.1 * champion"},
        {"name": "error_rate", "direction": "min"}, {"name": "cost_per_1k", "direction": "min"}]})
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
    assert "v1 is dominated by v2 beyond tolerance: v2 is better in latency_p95_ms by 10 ms" in hits[0].message


def test_champion_not_dominated_within_tolerance_or_by_an_infeasible_version(qm):
    agg = frame({("v1", 0): (100, 0.010, 1.0), ("v2", 0): (99, 0.0095, 0.995),  # within tolerance
                 ("v3", 0): (130, 0.001, 0.5)})  # better on two, but violates latency <= 120
    assert "champion_dominated" not in kinds(detect(agg, qm, champion="v1"))


def test_champion_dominated_by_a_newer_offline_candidate_only(qm):
    agg = frame({("v1", 0): (100, 0.010, 1.0), ("v2", 0): (80, 0.015, 1.2)})
    offline = pd.DataFrame({"id": ["run-a", "run-b"], "latency_p95_ms": [70.0, 200.0],
                            "error_rate": [0.005, 0.001], "cost_per_1k": [0.9, 0.5]})
    decision = DecisionRecord(chosen="v1", candidates=("v1", "v2"))
    hits = of(detect(agg, qm, decision=decision, offline=offline), "champion_dominated")
    assert len(hits) == 1 and hits[0].evidence["offline"] == ["offline:run-a"]
    assert "offline candidate" in hits[0].message
    # the same candidate, already considered by the decision, is not newer: no trigger
    seen = DecisionRecord(chosen="v1", candidates=("v1", "v2", "run-a"))
    assert "champion_dominated" not in kinds(detect(agg, qm, decision=seen, offline=offline))


# --- acceptability_drop ----------------------------------------------------------------------------

def test_acceptability_drop_fires_when_another_version_wins_most_weights(qm):
    agg = frame({("v1", 0): (110, 0.019, 1.9), ("v2", 0): (20, 0.002, 2.0)})
    hits = of(detect(agg, qm, champion="v1"), "acceptability_drop")
    assert len(hits) == 1 and hits[0].value < 0.5 and hits[0].threshold == 0.5
    assert hits[0].evidence["acceptability"]["v2"] > 0.5
    assert "v2 leads" in hits[0].message


def test_acceptability_drop_does_not_fire_for_a_leading_champion(qm):
    agg = frame({("v1", 0): (20, 0.002, 1.9), ("v2", 0): (110, 0.019, 1.8)})
    assert "acceptability_drop" not in kinds(detect(agg, qm, champion="v1"))
    # ... but does with a stricter threshold
    strict = Thresholds(acceptability=0.999, smaa_samples=500)
    assert "acceptability_drop" in kinds(detect(agg, qm, champion="v1", thresholds=strict))


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

    hv = analyze(agg.rename(columns={"version": "id"})[["id", *qm.names]], qm.with_constraints([])).hypervolume
    same = DecisionRecord(chosen="v1", provenance={"hypervolume": hv})
    assert "hypervolume_shift" not in kinds(detect(agg, qm, decision=same))
    bigger = DecisionRecord(chosen="v1", provenance={"hypervolume": hv * 1.5})
    hit = of(detect(agg, qm, decision=bigger), "hypervolume_shift")
    assert len(hit) == 1 and hit[0].evidence["reference"] == "the decision's recorded hypervolume"


# --- conflict_flip ---------------------------------------------------------------------------------

def model2():
    return QualityModel.from_dict({"objectives": [
        {"name": "latency_p95_ms", "direction": "min", "unit": "ms"},
        {"name": "cost_per_1k", "direction": "min", "unit": "USD"}]})


def two(rows):
    return frame({k: (lat, 0.0, cost) for k, (lat, cost) in rows.items()}).drop(columns="error_rate")


def test_conflict_flip_fires_when_a_conflict_turns_into_a_synergy():
    rows = {("v1", 0): (10, 3.0), ("v2", 0): (20, 2.0), ("v3", 0): (30, 1.0),  # fast is expensive
            ("v1", 1): (10, 1.0), ("v2", 1): (20, 2.0), ("v3", 1): (30, 3.0)}  # fast is cheap
    hits = of(detect(two(rows), model2()), "conflict_flip")
    assert len(hits) == 1 and hits[0].objective == "latency_p95_ms/cost_per_1k"
    assert hits[0].evidence["reference_rho"] == pytest.approx(-1.0) and hits[0].value == pytest.approx(1.0)
    assert "turned from conflict (rho -1.00) to synergy (rho +1.00)" in hits[0].message


def test_conflict_flip_does_not_fire_when_the_sign_holds():
    rows = {("v1", 0): (10, 3.0), ("v2", 0): (20, 2.0), ("v3", 0): (30, 1.0),
            ("v1", 1): (12, 3.1), ("v2", 1): (21, 2.2), ("v3", 1): (33, 1.0)}
    assert "conflict_flip" not in kinds(detect(two(rows), model2()))


def test_conflict_flip_against_the_decisions_recorded_conflicts():
    rows = {("v1", 0): (10, 3.0), ("v2", 0): (20, 2.0), ("v3", 0): (30, 1.0)}
    synergy = DecisionRecord(chosen="v1", provenance={"conflicts": [
        {"a": "latency_p95_ms", "b": "cost_per_1k", "rho": 0.8}]})
    hits = of(detect(two(rows), model2(), decision=synergy), "conflict_flip")
    assert len(hits) == 1 and hits[0].evidence["reference"] == "the decision's recorded conflicts"
    weak = DecisionRecord(chosen="v1", provenance={"conflicts": [
        {"a": "latency_p95_ms", "b": "cost_per_1k", "rho": 0.1}]})
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
