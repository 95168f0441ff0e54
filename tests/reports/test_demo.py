"""run_demo, the library form of `workbench demo`: the same cycle a notebook or a scheduler can call."""

import json

import pytest

from workbench.decisions import DecisionLog
from workbench.reports.demo import run_demo

pytestmark = pytest.mark.slow  # trains the example's models, runs the review, serves and watches


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    steps = []
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, quick=True, smaa=500, seed=0, on_step=steps.append), steps


def test_every_step_ran_and_wrote_where_it_says(result):
    r, steps = result
    assert r.skipped == ()
    assert any(s.startswith("Running the trade_off_review") for s in steps)
    assert json.loads(r.analysis_json.read_text())["recommended"] == r.analysis.recommended
    assert r.review.memo.is_file() and r.review.decision.is_file() and r.review.summary_path.is_file()
    log = DecisionLog(r.decision_log)
    try:
        latest = log.latest()
    finally:
        log.close()
    assert latest.id == r.decision_id and latest.chosen == r.chosen
    assert latest.id in r.review.decision.read_text()  # the MADR file is the logged record's


def test_only_the_degraded_version_raises_alarms(result):
    r, _ = result
    mon = r.monitoring
    assert mon.versions[0] == r.chosen and mon.degraded in mon.versions[1:]
    payload = json.loads(mon.triggers_json.read_text())
    alarms = [t for t in payload["triggers"] if t["severity"] in ("warning", "critical")]
    assert mon.review_due and payload["review_due"] is True and alarms
    assert {t["version"] for t in alarms if t.get("version")} == {mon.degraded}
    assert not any("NOT explained" in line for line in mon.explanation)
    assert payload["provenance"]["decision"]["id"] == r.decision_id


def test_same_store_and_seed_give_the_same_numbers_and_decision(result):
    # Latencies are measured on this machine, so a rebuilt store differs; the same store (reused
    # when the folder already holds it) and the same seed must give identical numbers.
    r, _ = result
    again = run_demo(r.out, quick=True, smaa=500, seed=0)
    assert again.store.n_runs == r.store.n_runs and again.chosen == r.chosen
    assert again.analysis.table["score"].round(12).equals(r.analysis.table["score"].round(12))
    log = DecisionLog(again.decision_log)
    try:
        assert log.latest().supersedes == r.decision_id  # the rerun's decision supersedes the first
    finally:
        log.close()
