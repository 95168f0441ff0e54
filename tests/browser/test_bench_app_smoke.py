"""The decision-app benchmark's quick mode (2 first paints, 3 weight moves), so the script cannot rot.

Checks the structure of the results and that every time is a finite positive number in order
(table/chart drawn no earlier than the page started; median between min and max); no timing
threshold (the machines are shared): speed lives in ``benchmarks/results/app.json``.
"""

from __future__ import annotations

import json
import math

import pytest

from tests._scripts import script

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def bench():
    for module in ("voila", "ipywidgets", "mlflow", "sklearn", "vl_convert"):
        pytest.importorskip(module)
    with script("bench_browser"), script("bench_app") as module:
        yield module


def _check(stat: dict, runs: int) -> None:
    values = stat["all"]
    assert len(values) == runs and all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in values)
    assert min(values) <= stat["median"] <= stat["p90"] <= max(values)


def test_quick_run_writes_complete_finite_results(bench, chromium, tmp_path):
    out = tmp_path / "app.json"
    results = bench.main(["--quick", "--out", str(out)])
    assert json.loads(out.read_text()) == results
    assert results["quick"] is True and results["machine"]["chromium"].startswith("Chromium")
    first, move = results["first_paint"], results["weight_move"]
    assert first["runs"] == bench.QUICK_PAINTS and move["runs"] == bench.QUICK_MOVES
    for key in ("first_paint_ms", "table_shown_ms", "chart_drawn_ms"):
        _check(first[key], bench.QUICK_PAINTS)
    for key in ("table_updated_ms", "headline_updated_ms", "chart_settled_ms"):
        _check(move[key], bench.QUICK_MOVES)
