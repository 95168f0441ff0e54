"""The load benchmark at a tiny size, so the script cannot rot (no timing is asserted here:
speed and memory live in ``benchmarks/results/load.json``)."""

from __future__ import annotations

import json

import pytest

from tests._scripts import script


@pytest.fixture(scope="module")
def bench():
    with script("bench_load") as module:
        yield module


def test_analyze_scenarios_in_process(bench):
    for analyst in (False, True):
        r = bench.run_analyze(quick=True, analyst=analyst)
        assert r["candidates"] == bench.SIZES["analyze_n"][1]
        assert 0 < r["front_size"] <= r["feasible"] < r["candidates"]  # a real trade-off, some infeasible
        assert ("top_acceptability" in r) == analyst
    peers = bench.run_pareto_peers(quick=True)
    assert peers["same_front"]


@pytest.mark.slow
def test_the_script_end_to_end(tmp_path, bench):
    """Children, log generation, the hand-query check and the results file (monitoring only: the
    other scenarios' children cost seconds of imports each)."""
    out = tmp_path / "load.json"
    results = bench.main(["--quick", "--only", "monitoring", "--out", str(out)])
    assert json.loads(out.read_text())["monitoring_check"]["agree"] is True
    assert results["monitoring"]["rows_in"] == bench.SIZES["log_rows"][1]
    assert results["monitoring_hand_limited"].get("failed") is not True
    for key in ("cpus", "ram_gib", "duckdb", "pandas", "numpy", "run_at_utc"):
        assert key in results["machine"]


@pytest.mark.slow
def test_widget_scenario_in_process(bench, monkeypatch):
    import comm

    monkeypatch.setattr(comm, "create_comm", comm.create_comm)  # the scenario swaps in a counting comm
    r = bench.run_widget(quick=True)
    assert r["brushed_candidates"] == min(1_000, r["candidates"] // 3)
    for key in ("weight_move", "method_change", "constraint_move", "brush_1000"):
        assert r[key]["sent_kb_median"] > 0


@pytest.mark.slow
def test_bench_replicates_quick(tmp_path):
    """The replicate benchmark at smoke-test size: it runs, writes its results and the report renders them."""
    with script("bench_replicates") as bench:
        out = tmp_path / "replicates.json"
        results = bench.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text())["quick"] is True
    assert {(c["n"], c["delta_sd"]) for c in results["cells"]} == {(3, 0.0), (3, 2.0), (10, 0.0), (10, 2.0)}
    for c in results["cells"]:  # the evidence rule never switches or fails more often than the point rule
        assert c["gate_evidence"] <= c["gate_point"] and c["worse_evidence"] <= c["worse_point"]
    with script("report") as report:
        text = report.render_replicates(results)
    assert "gate fails: point" in "\n".join(text)
