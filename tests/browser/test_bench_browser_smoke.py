"""The browser benchmark's quick mode (2,000 candidates, 3 moves), so the script cannot rot.

Checks the structure of the results and that every measurement is a finite number of the right
sign; no timing threshold (the machines are shared): speed lives in ``benchmarks/results/browser.json``.
"""

from __future__ import annotations

import json
import math

import pytest

from tests._scripts import script

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INTERACTIONS = ("weight_move", "method_change", "constraint_move")
#: Times from the trigger (or the explorer's appearance): strictly positive.
LATENCIES = ("table_updated_ms", "reply_received_ms", "chart_first_change_ms", "chart_settled_ms")
#: Blocking of the main thread: zero when no task was longer than 50 ms.
BLOCKING = ("total_blocking_ms", "longest_task_ms", "long_tasks", "frame_blocking_ms", "longest_frame_ms")


@pytest.fixture(scope="module")
def bench():
    """The benchmark script as a module (it is not part of a package)."""
    for module in ("jupyterlab", "nbformat", "ipywidgets", "vl_convert"):
        pytest.importorskip(module)
    with script("bench_browser") as module:
        yield module


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_interaction(name: str, r: dict, runs: int) -> None:
    assert r["runs"] == runs, name
    for metric in LATENCIES + BLOCKING + ("bytes_received",):
        m = r[metric]
        assert len(m["all"]) == runs and all(_finite(v) for v in [m["median"], m["p90"], *m["all"]]), (name, metric)
        positive = metric not in BLOCKING
        assert all(v > 0 if positive else v >= 0 for v in m["all"]), (name, metric, m)
        assert min(m["all"]) <= m["median"] <= m["p90"] <= max(m["all"]), (name, metric, m)


def test_quick_run_writes_complete_finite_results(bench, chromium, tmp_path):
    out = tmp_path / "browser.json"
    results = bench.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == results
    assert results["quick"] is True
    assert results["machine"]["chromium"].startswith("Chromium")
    assert list(results["sizes"]) == [str(bench.QUICK_SIZE)]
    size = results["sizes"][str(bench.QUICK_SIZE)]
    assert size["candidates"] == bench.QUICK_SIZE

    first = size["initial_render"]
    for key in ("explorer_shown_ms", "table_shown_ms", "chart_drawn_ms", "chart_settled_ms", "run_all_to_settled_ms"):
        assert _finite(first[key]) and first[key] > 0, (key, first)
    assert all(_finite(first[k]) and first[k] >= 0 for k in BLOCKING), first
    assert first["bytes_received"] > 0 and first["chart_svg_elements"] > 0

    warmup = size["warmup_weight_move"]
    assert all(_finite(warmup[k]) and warmup[k] > 0 for k in LATENCIES + ("bytes_received",)), warmup
    for name in INTERACTIONS:
        _check_interaction(name, size[name], bench.QUICK_MOVES)
