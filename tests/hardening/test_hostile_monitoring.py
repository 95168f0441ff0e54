"""Hostile version names in request logs -> DuckDB aggregation, triggers, the memo's monitoring
section and the MonitoringBoard widget.

Oracle: the version names come back verbatim from the aggregation; the memo with a monitoring
section (versions, triggers, SLO table, panel spec) has the structure of the same memo with
harmless names and shows each name literally; the widget's HTML (triggers table, status) keeps
its structure and shows the names as text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._serving import serving_model
from tests.hardening import _tally, attacks
from tests.hardening.test_hostile_memo import parse

pytest.importorskip("duckdb")
pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

AREA = "hostile_monitoring"
GROUPS = [attacks.HTML[i : i + 3] for i in range(0, 9, 3)] + [
    attacks.SQL[:3],
    attacks.TEMPLATE[:3],
    attacks.MARKDOWN[:3],
]
T0 = pd.Timestamp("2026-03-01", tz="UTC")


def _model():
    return serving_model()


def _logs(versions, path):
    rng = np.random.default_rng(0)
    frames = []
    for k, version in enumerate(versions):
        for hour in range(3):
            n = 120
            lat = 60.0 + 10 * k + rng.gamma(2.0, 5.0, n) + (120.0 if k == 1 and hour == 2 else 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "timestamp": T0 + pd.Timedelta(hours=hour) + pd.to_timedelta(rng.uniform(0, 3599, n), unit="s"),
                        "version": version,
                        "latency_ms": lat,
                        "error": rng.uniform(size=n) < 0.01,
                    }
                )
            )
    pd.concat(frames, ignore_index=True).to_parquet(path)
    return str(path)


def _memo_and_board(versions, path):
    import workbench.views as views
    from widgets import MonitoringBoard
    from workbench import analyze
    from workbench.monitoring import aggregate, detect
    from workbench.reports import Memo
    from workbench.reports.monitoring import live_candidates, monitoring_section
    from workbench.reports.review import build_summary

    qm = _model()
    logs = _logs(versions, path)
    agg = aggregate(logs, qm, window="1h")
    triggers = detect(agg, qm, champion=versions[0])
    panel = views.monitoring_panel(agg, qm, triggers=triggers, champion=versions[0])
    a = analyze(live_candidates(agg, qm), qm, smaa=0)
    summary = build_summary(a, title="Monitoring", views=False)
    summary["monitoring"] = monitoring_section(
        agg, qm, triggers, champion=versions[0], logs=logs, window="1h", panel=panel
    )
    board = MonitoringBoard(logs, qm, champion=versions[0])
    return agg, Memo(summary).to_html(), board


def _board_html(board):
    import ipywidgets as W

    def walk(w):
        yield w
        for c in getattr(w, "children", ()) or ():
            yield from walk(c)

    return [w.value for w in walk(board) if isinstance(w, W.HTML)]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    _, memo, board = _memo_and_board(["v one", "v two", "v three"], tmp_path_factory.mktemp("b") / "logs.parquet")
    return parse(memo).structure, [parse(h).structure for h in _board_html(board)]


@pytest.mark.parametrize("versions", GROUPS, ids=range(len(GROUPS)))
def test_hostile_version_names(versions, baseline, tmp_path):
    versions = [f"v {v}" for v in versions]
    agg, memo, board = _memo_and_board(versions, tmp_path / "logs.parquet")
    page = parse(memo)
    text = "".join(page.text)
    memo_injected = page.structure != baseline[0]
    pages = [parse(h) for h in _board_html(board)]
    board_injected = [p.structure for p in pages] != baseline[1]
    board_text = "".join("".join(p.text) for p in pages)
    for v in versions:
        _tally.assert_blocked(AREA, v, set(agg["version"]) != set(versions), "DuckDB aggregation (version names)")
        _tally.assert_blocked(AREA, v, memo_injected or v not in text, "memo monitoring section")
        _tally.assert_blocked(AREA, v, board_injected or board.error_text != "", "MonitoringBoard HTML")
    _tally.assert_blocked(AREA, versions[1], versions[1] not in board_text, "MonitoringBoard triggers table")
