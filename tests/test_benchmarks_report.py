"""The benchmark report (``benchmarks/report.py``): the committed doc matches the committed results,
hand-made results render to hand-computed figures, and rewriting the doc touches only its block."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._scripts import script


@pytest.fixture(scope="module")
def report():
    with script("report", "bench_report") as module:
        yield module


def write(folder: Path, name: str, data: dict) -> None:
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")


def pareto_row(tool: str, median_s: float | None, **extra) -> dict:
    row = {"n": 10_000, "k": 2, "data": "uniform", "tool": tool}
    if median_s is None:
        return {**row, "skipped": "predicted 84 s > 60 s", **extra}
    return {**row, "median_s": median_s, "runs_s": [median_s], "agree": True, "count": 7, **extra}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results folder with three small hand-made files; the other five benchmarks not run."""
    folder = tmp_path / "results"
    folder.mkdir()
    write(
        folder,
        "pareto",
        {
            "machine": {"python": "3.11.7", "cpu_count": 2, "numpy": "2.4.6", "platform": "Linux-x"},
            "quick": True,
            "mask": [pareto_row("workbench", 0.1), pareto_row("moocore", 0.3), pareto_row("paretoset", None)],
            "ranks": [pareto_row("workbench", 2e-5), pareto_row("moocore", 5e-3)],
            "cold_start": {"import_s": 0.42, "first_calls_s": 0.0261},
        },
    )
    write(
        folder,
        "monitoring",
        {
            "rows": 10_000_000,
            "versions": 20,
            "files": 10,
            "cpus": 2,
            "engines": {
                "workbench": {"median_s": 0.2, "peak_mb": 300.4, "added_mb": 250.0},
                "pandas": {"median_s": 1.0, "peak_mb": 1200.0, "added_mb": 1000.6},
            },
            "ratios": {"targets_met": {"2x_faster_than_pandas": True, "within_10pct_of_duckdb_hand": False}},
        },
    )
    counters = dict.fromkeys(
        (
            "inputs_tried",
            "accepted",
            "rejected",
            "unhandled",
            "invariant_checked",
            "invariant_violated",
            "attack_tried",
            "attack_succeeded",
            "fault_injected",
            "data_lost",
        ),
        0,
    )
    write(
        folder,
        "hardening",
        {
            "profile": "thorough",
            "pytest_exit": 0,
            "seconds": 456.6,
            "areas": {
                "candidates": {**counters, "inputs_tried": 1000, "rejected": 600, "invariant_checked": 400},
                "hostile_sql": {**counters, "attack_tried": 77},
                "faults.disk": {**counters, "fault_injected": 5, "data_lost": 1},
                "total": {
                    **counters,
                    "inputs_tried": 1000,
                    "rejected": 600,
                    "invariant_checked": 400,
                    "attack_tried": 77,
                    "fault_injected": 5,
                    "data_lost": 1,
                },
            },
        },
    )
    return folder


# --- (a) the committed doc -----------------------------------------------------------------------


def test_the_committed_doc_is_in_sync_with_the_committed_results(report):
    assert report.current(report.DOC, report.RESULTS), "run `python benchmarks/report.py` and commit the doc"
    assert report.main(["--check"]) == 0


# --- (b) hand-made results -----------------------------------------------------------------------


def test_pareto_ratio_skipped_peer_and_quick_flag(report, results):
    text = report.render(results)
    assert "| 1e4 | 2 | uniform | 0.10 s | 0.30 s (3.0×) | skipped | 7 | yes |" in text  # 0.3 / 0.1
    assert "| 1e4 | 2 | uniform | 20.0 µs | 5.00 ms (250×) | 7 | yes |" in text  # ranks: 5e-3 / 2e-5
    assert "Skipped: `paretoset` 1 times: predicted 84 s > 60 s." in text
    assert "Cold start of a fresh interpreter: import 0.42 s, first calls 26.1 ms." in text
    assert "**Quick run** (`--quick`)" in text.split("### Pareto kernels")[1].split("###")[0]
    assert "_Machine: Python 3.11.7, 2 CPUs, numpy 2.4.6._" in text  # the platform string is left out


def test_monitoring_ratio_and_memory(report, results):
    text = report.render(results)
    assert "| `workbench` | 0.20 s | 1.0× | 300 MB | 250 MB |" in text
    assert "| `pandas` | 1.00 s | 5.0× | 1,200 MB | 1,001 MB |" in text  # 1.0 / 0.2
    assert "Targets: `2x_faster_than_pandas` met, `within_10pct_of_duckdb_hand` **missed**." in text
    assert "Quick run" not in text.split("### Monitoring aggregation")[1].split("###")[0]


def test_hardening_sums_the_areas_without_the_total_row(report, results):
    text = report.render(results)
    assert "`thorough` profile, 3 areas, 457 s (pytest exit 0)" in text
    assert "| bad input | 1,000 tried, 600 rejected with a clear error | **0** unhandled |" in text
    assert "| invariants | 400 checked | **0** violated |" in text
    assert "| hostile strings | 77 tried | **0** got through |" in text
    assert "| injected faults | 5 injected | **1** data lost |" in text


def test_missing_results_are_reported_as_not_run_yet(report, results):
    text = report.render(results)
    for name in ("analyze", "widgets", "browser", "app", "search", "load"):
        assert f"Not run yet (`python benchmarks/bench_{name}.py`)." in text
    assert text.count("### ") == len(report.SECTIONS)  # one heading per section


def stat(median: float, p90: float) -> dict:
    return {"median": median, "p90": p90, "all": [median, p90]}


def browser_size(n: int, scale: float, frames: bool = True) -> dict:
    """One size of a hand-made browser.json: every figure of the 1e4 size times ``scale``."""

    def moves(
        runs: int, table: float, reply: float, settled: float, blocking: float, frame: float, received: float
    ) -> dict:
        out = {
            "runs": runs,
            "table_updated_ms": stat(table * scale, table * scale * 1.2),
            "reply_received_ms": stat(reply * scale, reply * scale * 1.2),
            "chart_settled_ms": stat(settled * scale, settled * scale * 1.2),
            "total_blocking_ms": stat(1.0, 2.0),
            "longest_task_ms": stat(51.0, 52.0),
            "bytes_received": stat(received * scale, received * scale + 10),
        }
        if frames:  # a Chromium without long animation frames leaves the two metrics out
            out |= {
                "frame_blocking_ms": stat(blocking * scale, blocking * scale * 1.2),
                "longest_frame_ms": stat(frame * scale, frame * scale * 1.2),
            }
        return out

    return {
        "candidates": n,
        "initial_render": {
            "explorer_shown_ms": 3199.8 * scale,
            "table_shown_ms": 183.1 * scale,
            "chart_drawn_ms": 182.8 * scale,
            "chart_settled_ms": 210.4 * scale,
            "total_blocking_ms": 165,
            "longest_task_ms": 215,
            "long_tasks": 1,
            "frame_blocking_ms": 170.6 * scale if frames else None,
            "longest_frame_ms": 221.1 * scale if frames else None,
            "bytes_received": int(1_736_023 * scale),
        },
        "warmup_weight_move": {"table_updated_ms": 9999.0},
        "weight_move": moves(15, 157.1, 54.2, 131.7, 45.1, 95.4, 625_053),
        "method_change": moves(6, 246.2, 159.2, 232.2, 35.1, 85.2, 623_644),
        "constraint_move": moves(6, 299.1, 213.6, 274.6, 27.8, 77.9, 612_470),
    }


def browser_results(sizes: list[dict], quick: bool = False) -> dict:
    return {
        "machine": {
            "cpus": 2,
            "python": "3.11.7",
            "platform": "Linux-x",
            "chromium": "Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)",
            "jupyterlab": "4.6.6",
            "altair": "6.3.0",
            "run_at_utc": "2026-12-02T21:07:03Z",
            "loadavg_1min_at_start": 0.92,
            "note": "shared machine",
        },
        "quick": quick,
        "settings": {"quiet_ms": 300, "weight_moves": 3 if quick else 15, "other_moves": 3 if quick else 6},
        "sizes": {str(s["candidates"]): s for s in sizes},
    }


def browser_section(text: str) -> str:
    return text.split("### Explorer in the browser")[1].split("###")[0]


def test_browser_rows_per_interaction_and_size(report, results):
    # the smaller size first in the file: the table still shows 100,000 first
    sizes = [browser_size(10_000, 1.0), browser_size(100_000, 3.0, frames=False)]
    write(results, "browser", browser_results(sizes))
    text = report.render(results)
    assert (
        text.index("### Explorer widget")
        < text.index("### Explorer in the browser")
        < text.index("### Configuration search")
    )
    section = browser_section(text)
    assert (
        "median (p90) in ms over 15 weight moves (after one warm-up), 6 method changes and 6 constraint "
        "moves per size; the initial render is one run." in section
    )
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    assert rows == [
        "| interaction | candidates | table updated | reply | chart settled | total blocking (frames) "
        "| longest frame | MB received |",
        "| --- | --- | --: | --: | --: | --: | --: | --: |",
        "| initial render | 100,000 | 549 | — | 631 | — | — | 5.21 |",  # 183.1 × 3, 210.4 × 3; no frames
        "| initial render | 10,000 | 183 | — | 210 | 171 | 221 | 1.74 |",
        "| weight move | 100,000 | 471 (566) | 163 (195) | 395 (474) | — | — | 1.88 |",  # 157.1 × 3 (× 1.2)
        "| weight move | 10,000 | 157 (189) | 54.2 (65.0) | 132 (158) | 45.1 (54.1) | 95.4 (114) | 0.625 |",
        "| method change | 100,000 | 739 (886) | 478 (573) | 697 (836) | — | — | 1.87 |",
        "| method change | 10,000 | 246 (295) | 159 (191) | 232 (279) | 35.1 (42.1) | 85.2 (102) | 0.624 |",
        # 299.1 × 3 = 897.3 and its p90 1,077; 274.6 × 3 × 1.2 = 988.6
        "| constraint move | 100,000 | 897 (1,080) | 641 (769) | 824 (989) | — | — | 1.84 |",
        "| constraint move | 10,000 | 299 (359) | 214 (256) | 275 (330) | 27.8 (33.4) | 77.9 (93.5) | 0.612 |",
    ]
    assert "9,999" not in section and "10.0 s" not in section  # the warm-up move is kept out
    assert "run-all to the explorer: 9.60 s at 100,000, 3.20 s at 10,000" in section  # 3199.8 × 3 ms
    assert "before 300 ms without one (chart settled; settled minus reply is the browser's redraw)" in section
    assert "the reply minus the kernel's time is the transfer" in section
    assert "Quick run" not in section
    # the targets read the largest size's median chart settled: 131.7 × 3 = 395 ms, 274.6 × 3 = 824 ms
    assert (
        "Targets at 100,000 candidates, median chart settled: weight move ≤ 250 ms: **missed** (395 ms); "
        "constraint move ≤ 400 ms: **missed** (824 ms)." in section
    )
    assert (
        "_Machine: 2 CPUs, Python 3.11.7, Chromium 156.0.8078.114, jupyterlab 4.6.6, altair 6.3.0, "
        "run 2026-12-02 21:07 UTC, load average 0.92 at the start._" in section
    )  # no platform, no note


def test_browser_targets_met_at_the_largest_size(report, results):
    write(results, "browser", browser_results([browser_size(100_000, 1.0), browser_size(10_000, 0.5)]))
    section = browser_section(report.render(results))
    assert (
        "Targets at 100,000 candidates, median chart settled: weight move ≤ 250 ms: met (132 ms); "
        "constraint move ≤ 400 ms: met (275 ms)." in section
    )


def test_browser_quick_run_is_flagged(report, results):
    write(results, "browser", browser_results([browser_size(2_000, 0.5)], quick=True))
    section = browser_section(report.render(results))
    assert (
        "**Quick run** (`--quick`): smoke-test sizes, not the published figures; re-run "
        "`python benchmarks/bench_browser.py` without it." in section
    )
    assert "over 3 weight moves (after one warm-up), 3 method changes and 3 constraint moves" in section
    # 157.1 / 2 = 78.55 -> 78.5 (three significant figures of the float 78.55, just below it)
    assert (
        "| weight move | 2,000 | 78.5 (94.3) | 27.1 (32.5) | 65.8 (79.0) | 22.6 (27.1) | 47.7 (57.2) "
        "| 0.313 |" in section
    )
    assert section.count("| 2,000 |") == 4


def test_browser_without_its_results_file_is_not_run_yet(report, results):
    section = browser_section(report.render(results))
    assert section.strip().splitlines() == ["Not run yet (`python benchmarks/bench_browser.py`)."]


def test_browser_file_without_sizes_names_the_key(report, results):
    write(results, "browser", {"quick": False, "settings": {}})
    with pytest.raises(report.ReportError, match=r"browser\.json has no key 'sizes'.*bench_browser\.py"):
        report.render(results)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4.1772e-05, "41.8 µs"),
        (0.00099972, "1.00 ms"),
        (0.0843, "84.3 ms"),
        (0.48928, "0.49 s"),
        (2.2177, "2.22 s"),
        (20.3265, "20.3 s"),
        (456.6, "457 s"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_times_are_formatted_with_an_adaptive_unit(report, value, expected):
    assert report.seconds(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.30464, "0.30×"),
        (0.3 / 0.1, "3.0×"),
        (9.97, "10×"),
        (13.672, "13.7×"),
        (2057.74, "2,058×"),
    ],
)
def test_ratios_keep_the_digits_that_mean_something(report, value, expected):
    assert report.ratio(value) == expected


def test_sizes_are_powers_of_ten(report):
    assert [report.size(n) for n in (10_000, 100_000, 1_000_000, 200_000, 1_234)] == [
        "1e4",
        "1e5",
        "1e6",
        "2e5",
        "1,234",
    ]


def test_a_broken_results_file_names_the_file_and_the_fix(report, results):
    (results / "analyze.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(report.ReportError, match=r"analyze\.json is not valid JSON.*bench_analyze\.py"):
        report.render(results)
    write(results, "analyze", {"front_size_1e5x5": 988})
    with pytest.raises(report.ReportError, match=r"analyze\.json has no key 'analyze_1e5x5_smaa1e4_s'"):
        report.render(results)


# --- (c) rewriting the doc -----------------------------------------------------------------------

HEAD = "# Benchmarks\r\n\nHand-written text, ünïcode, trailing spaces   \n\n"
TAIL = "\n\n## Load\n\nMore hand-written text.\n"


def test_rewriting_keeps_the_rest_byte_identical_and_is_idempotent(report, results, tmp_path, capsys):
    doc = tmp_path / "benchmarks.md"
    doc.write_bytes(f"{HEAD}{report.BEGIN}\nstale figures\n{report.END}{TAIL}".encode())
    assert report.update(doc, results) is True
    once = doc.read_bytes()
    assert once.startswith(f"{HEAD}{report.BEGIN}\n".encode()) and once.endswith(f"{report.END}{TAIL}".encode())
    assert report.render(results).encode() in once
    assert report.update(doc, results) is False and doc.read_bytes() == once
    assert report.main(["--check", "--doc", str(doc), "--results", str(results)]) == 0
    assert list(tmp_path.glob(".benchmarks.md.*")) == []  # no temporary file left behind

    (results / "monitoring.json").unlink()  # the results move on; the doc is now stale
    assert report.main(["--check", "--doc", str(doc), "--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "out of date" in err and "run `python benchmarks/report.py`" in err
    assert doc.read_bytes() == once  # --check never writes


# --- (d) a doc without markers ---------------------------------------------------------------------


def test_a_doc_without_markers_names_them_and_the_fix(report, results, tmp_path, capsys):
    doc = tmp_path / "benchmarks.md"
    doc.write_bytes((HEAD + TAIL).encode())
    with pytest.raises(report.ReportError) as caught:
        report.update(doc, results)
    message = str(caught.value)
    assert report.BEGIN in message and report.END in message and "python benchmarks/report.py" in message
    assert report.main(["--doc", str(doc), "--results", str(results)]) == 2
    assert report.BEGIN in capsys.readouterr().err
    assert doc.read_bytes() == (HEAD + TAIL).encode()


def test_pareto_fastest_peer_summary_and_regression_table(report, results):
    data = json.loads((results / "pareto.json").read_text())
    data["summary"] = {
        "mask": {
            "cells_n_ge_1e5": 36,
            "target_met": False,
            "peer_faster": [{"n": 100_000, "k": 5, "data": "tied", "best_peer_ratio": 0.5}],
        },
        "ranks": {"cells_n_ge_1e5": 36, "target_met": True, "peer_faster": []},
    }
    data["before"] = {
        "ref": "577a502",
        "commit": "577a502" + "0" * 33,
        "note": None,
        "mask": [
            {"n": 10_000, "k": 2, "data": "uniform", "before_s": 0.2, "now_s": 0.1, "speedup": 2.0, "agree": True}
        ],
        "ranks": [{"n": 10_000, "k": 5, "data": "ml", "before_s": 0.1, "now_s": 0.2, "speedup": 0.5, "agree": False}],
    }
    data["cold_start_fresh_cache"] = {"import_s": 0.4, "first_calls_s": 12.0}
    write(results, "pareto", data)
    text = report.render(results)
    assert (
        "Target, no peer faster in any cell at n ≥ 1e5 (36 cells): **missed**; the fastest peer's ratio "
        "where it wins: 1e5 × 5 tied (0.50×)."
    ) in text
    assert "Target, no peer faster in any cell at n ≥ 1e5 (36 cells): met." in text
    assert "Regression check against the previous release (commit `577a502`)" in text
    assert "| mask | 1e4 | 2 | uniform | 0.20 s | 0.10 s | 2.0× | yes |" in text
    assert "| ranks | 1e4 | 5 | ml | 0.10 s | 0.20 s | 0.50× | **no** |" in text
    assert "Cells slower than the previous release: 1 of 2: ranks 1e4 × 5 ml (0.50×)." in text
    data["before"] = {"ref": "577a502", "commit": None, "note": "Commit '577a502' is not in this clone", "mask": []}
    write(results, "pareto", data)
    assert "No regression check in this run: Commit '577a502' is not in this clone" in report.render(results)
    assert "with an empty numba cache (a fresh install) the first calls take 12.0 s." in text


def test_analyze_targets_floor_and_regression(report, results):
    move = {"reweigh_ms": 90.0, "floor_ms": 60.0}
    cold = {
        "fresh_100": {"first_analyze_s": 0.3, "import_s": 1.0},
        "warm_100": {"first_analyze_s": 0.2, "import_s": 0.9},
        "fresh_10000": {"first_analyze_s": 9.0, "import_s": 1.0},
    }
    write(
        results,
        "analyze",
        {
            "analyze_1e5x5_smaa1e4_s": 0.5,
            "front_size_1e5x5": 988,
            "sizes": [100_000, 1_000_000],
            "analyze_ml_100000": {"median_s": 0.8, "peak_mb": 400.0},
            "analyze_ml_1000000": {"median_s": 4.5, "peak_mb": 1500.0},
            "analyze_ml_1000000_full_ranks": {"median_s": 14.0, "deepest_feasible_front": 46},
            "weight_move_1000000": move,
            "cold_start": cold,
            "targets_met": {
                "analyze_1e5_le_0.5s": False,
                "analyze_1e6_le_5s": True,
                "analyze_1e6_peak_le_4GiB": True,
                "weight_move_1e6_le_120ms": True,
                "fresh_install_first_analyze_le_3s": True,
                "warm_new_process_le_0.5s": True,
            },
            "before": {
                "ref": "577a502",
                "commit": "577a502" + "0" * 33,
                "figures": {
                    "analyze_uniform": {
                        "label": "`analyze` 1e5 × 5 uniform",
                        "rounds": 3,
                        "before_s": 1.0,
                        "now_s": 0.5,
                        "speedup": 2.0,
                    },
                    "reweigh_big": {
                        "label": "weight move",
                        "rounds": 15,
                        "before_s": 0.05,
                        "now_s": 0.1,
                        "speedup": 0.5,
                    },
                },
            },
        },
    )
    text = report.render(results).split("### `analyze`")[1].split("###")[0]
    assert (
        "| `analyze` 1e5 × 5 ML-shaped, 2 constraints, a tolerance, SMAA 1e4 | 0.80 s, peak 400 MB | "
        "≤ 0.5 s: **missed** |" in text
    )
    assert "| … every front ranked (`depth=None`; 47 feasible fronts) | 14.0 s | — |" in text
    assert "| … numpy floor: `N @ w` + `argsort` | 60.0 ms | reweigh / floor 1.5× |" in text
    assert "Against the previous release (commit `577a502`)" in text
    assert "| `analyze` 1e5 × 5 uniform | 1.00 s | 0.50 s | 2.0× | 3 |" in text
    assert "| weight move | 50.0 ms | 0.10 s | 0.50× | 15 |" in text
    assert "Slower than the previous release: weight move." in text


def app_results(quick: bool = False) -> dict:
    """A hand-made app.json: 3 first paints and 3 weight moves."""

    def stat(values):
        return {"median": sorted(values)[1], "p90": max(values), "all": values}

    return {
        "machine": {"cpus": 2, "voila": "0.5.13"},
        "quick": quick,
        "settings": {
            "quiet_ms": 300,
            "viewport": {"width": 1280, "height": 720},
            "weight": "latency_p95_ms",
            "source": "embedded demo",
            "smaa_samples": 2000,
            "first_paints": 3,
            "weight_moves": 3,
        },
        "first_paint": {
            "runs": 3,
            "first_paint_ms": stat([9000.0, 10240.0, 12000.0]),
            "table_shown_ms": stat([9100.0, 10300.0, 12100.0]),
            "chart_drawn_ms": stat([9050.0, 10290.0, 12040.0]),
        },
        "weight_move": {
            "runs": 3,
            "table_updated_ms": stat([50.0, 61.0, 70.0]),
            "headline_updated_ms": stat([40.0, 42.0, 44.0]),
            "chart_settled_ms": stat([70.0, 76.0, 90.0]),
        },
    }


def test_app_section_shows_first_paint_and_weight_move(report, results):
    write(results, "app", app_results())
    text = report.render(results)
    assert text.index("### Explorer in the browser") < text.index("### Decision app in the browser")
    section = text.split("### Decision app in the browser")[1].split("###")[0]
    assert "| first paint | 3 | 10,200 (12,000) | 10,300 (12,100) | 10,300 (12,000) | — |" in section
    assert "| weight move | 3 | — | 61.0 (70.0) | 76.0 (90.0) | 42.0 (44.0) |" in section
    assert "1280×720 with every other host blocked" in section and "voila 0.5.13" in section


def test_app_without_its_results_file_is_not_run_yet(report, results):
    section = report.render(results).split("### Decision app in the browser")[1].split("###")[0]
    assert section.strip().splitlines()[-1] == "Not run yet (`python benchmarks/bench_app.py`)."
