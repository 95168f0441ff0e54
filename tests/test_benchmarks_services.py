"""bench_services at a tiny size against the real services (no timing asserted: the figures live in
benchmarks/results/services.json), and its report section."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests._scripts import script

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


@pytest.mark.slow
@pytest.mark.service
def test_postgres_append_part_end_to_end(tmp_path):
    with script("bench_services") as bench:
        results = bench.main(["--quick", "--only", "postgres", "--out", str(tmp_path / "s.json")])
    pg = results["postgres"]
    if "skipped" in pg:
        pytest.skip(pg["skipped"])
    for key in ("postgres_8", "postgres_1", "sqlite_1"):
        assert pg[key]["present_once"] and pg[key]["one_chain"], key
        assert pg[key]["decisions"] == 8 * bench.SIZES["per_writer"][1]


def test_services_section_renders_both_parts():
    import report

    data = {
        "mlflow": {
            "mlflow_server": "3.17.2",
            "mlflow_client": "3.18.0",
            "runs": 3000,
            "candidates": 1000,
            "seeds": 3,
            "repeat": 5,
            "workbench_candidates": 1000,
            "search_runs_rows": 3000,
            "workbench_s": 2.0,
            "search_runs_s": 1.8,
            "ratio": 0.9,
        },
        "postgres": {
            "postgres_version": "15",
            "server_settings": "fsync=off",
            **{
                k: {
                    "decisions": 400,
                    "wall_s": 4.0,
                    "decisions_per_s": 100.0,
                    "present_once": True,
                    "one_chain": k != "sqlite_1",
                }
                for k in ("postgres_8", "postgres_1", "sqlite_1")
            },
        },
    }
    text = "\n".join(report.render_services(data))
    assert "3,000 runs" in text and "0.90×" in text and "**100**" in text and "**no**" in text
    skipped = "\n".join(report.render_services({"mlflow": {"skipped": "no server"}, "postgres": {"skipped": "no pg"}}))
    assert "not run (no server)" in skipped and "not run (no pg)" in skipped
