"""The exploration notebook in a real JupyterLab and a real Chromium (Playwright).

Runs every cell of ``02_interactive_exploration.ipynb``, moves a weight slider and brushes the
Pareto view with the mouse, and checks that the ranked table and the chart change — with no
request leaving 127.0.0.1. A screenshot is kept as an artifact.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser._lab import CELL_ERRORS, NOTEBOOK_READY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Upper bounds (ms) of the waits; nothing sleeps for a fixed time.
OPEN_TIMEOUT = 90_000
RUN_TIMEOUT = 240_000
UPDATE_TIMEOUT = 30_000

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NOTEBOOK = "02_interactive_exploration.ipynb"
ARTIFACTS = Path(__file__).parent / "artifacts"

# --- JavaScript probes (window.jupyterapp is exposed by --LabApp.expose_app_in_browser) -----------

RUN_FINISHED = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || (cells.length > 0 && cells.every(c => c.model.executionCount !== null));
}"""

#: Every candidate point of the Pareto view hovered in turn: its tooltip (the mark's row, formatted
#: by the page on hover), so the text follows each rank and score; the last one is then left.
CHART_MARKS = """() => {
  const marks = Array.from(document.querySelectorAll('.wb-pareto svg g.points_marks path'));
  const tips = marks.map(mark => {
    const r = mark.getBoundingClientRect();
    const at = {bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2};
    mark.dispatchEvent(new PointerEvent('pointermove', at));
    mark.dispatchEvent(new MouseEvent('mousemove', at));
    const tip = document.getElementById('vg-tooltip-element');
    return tip ? tip.innerText : '';
  });
  for (const kind of ['pointerout', 'mouseout']) marks.at(-1)?.dispatchEvent(new MouseEvent(kind, {bubbles: true}));
  return tips.filter(s => s.includes('rank')).join('\\n');
}"""

TEXT_CHANGED = """([selector, before]) => {
  const el = document.querySelector(selector);
  return !!el && el.innerText !== before;
}"""


def _text(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def _save(page, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    return shot


def test_explorer_reacts_to_a_slider_and_a_brush_offline(lab, browser_page, tmp_path):
    page = browser_page
    started = time.monotonic()
    page.goto(lab.notebook_url(NOTEBOOK), wait_until="domcontentloaded", timeout=OPEN_TIMEOUT)
    page.wait_for_function(NOTEBOOK_READY, timeout=OPEN_TIMEOUT, polling=250)

    # Run all cells through JupyterLab's own command, then wait until every cell has run.
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(RUN_FINISHED, timeout=RUN_TIMEOUT, polling=500)
    finally:
        _save(page, tmp_path, "after-run-all.png")
    assert page.evaluate(CELL_ERRORS) == []

    explorer = page.locator(".wb-tradeoff-explorer").first
    explorer.scroll_into_view_if_needed()
    table = ".wb-tradeoff-explorer .wb-ranked-table"
    page.wait_for_selector(f"{table} table", timeout=UPDATE_TIMEOUT)
    page.wait_for_function(f"() => ({CHART_MARKS})().length > 0", timeout=UPDATE_TIMEOUT, polling=200)
    table_before = _text(page, table)
    marks_before = page.evaluate(CHART_MARKS)
    share_before = _text(page, ".wb-tradeoff-explorer .wb-share-latency_p95_ms")

    # 1. Move the latency weight slider with the mouse (the value is sent when the drag ends).
    handle = page.locator(".wb-tradeoff-explorer .wb-weight-latency_p95_ms .noUi-handle").first
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    page.wait_for_function(TEXT_CHANGED, arg=[table, table_before], timeout=UPDATE_TIMEOUT, polling=100)
    page.wait_for_function(
        f"(before) => {{ const now = ({CHART_MARKS})(); return now.length > 0 && now !== before; }}",
        arg=marks_before,
        timeout=UPDATE_TIMEOUT,
        polling=100,
    )
    assert _text(page, ".wb-tradeoff-explorer .wb-share-latency_p95_ms") != share_before
    table_after_slider = _text(page, table)
    assert "Top 6 of 6 candidates" in table_after_slider

    # 2. Brush the Pareto view: drag over the left fifth of its plot area (the fast candidates).
    plot = page.locator(".wb-tradeoff-explorer .wb-pareto svg .role-frame path.background").first
    plot.scroll_into_view_if_needed()
    area = plot.bounding_box()
    assert area is not None and area["width"] > 100
    svg_before = page.locator(".wb-tradeoff-explorer .wb-pareto svg").first.inner_html()
    page.mouse.move(area["x"] + area["width"] * 0.02, area["y"] + area["height"] * 0.02)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.22, area["y"] + area["height"] * 0.98, steps=12)
    page.mouse.up()
    # The brush emits selections while it is dragged, and the table follows each of them (a late
    # selection can still arrive after the mouse is up). Wait until the table has settled: its count
    # and its rows agree, and its text has not changed for 800 ms. Then read text and rows together.
    page.wait_for_function(
        f"""() => {{ const el = document.querySelector('{table}'); if (!el) return false;
                   const text = el.innerText, m = text.match(/(\\d+) brushed candidates/);
                   const agree = m && el.querySelectorAll('tr[data-candidate]').length === Math.min(Number(m[1]), 15);
                   const now = performance.now(), seen = window.__wbSettle;
                   if (!agree || !seen || seen.text !== text) {{ window.__wbSettle = {{text, since: now}}; return false; }}
                   return now - seen.since >= 800; }}""",
        timeout=UPDATE_TIMEOUT,
        polling=100,
    )
    brushed_table, rows = page.evaluate(
        f"""() => {{ const el = document.querySelector('{table}');
                   return [el.innerText, el.querySelectorAll('tr[data-candidate]').length]; }}"""
    )
    assert brushed_table != table_after_slider
    brushed = int(re.search(r"(\d+) brushed candidates", brushed_table).group(1))
    assert rows == min(brushed, 15)
    assert page.locator(".wb-tradeoff-explorer .wb-pareto svg").first.inner_html() != svg_before
    assert page.locator(".wb-tradeoff-explorer .wb-pareto svg g[class*='brush_brush'] path").count() > 0

    # 3. The artifact: a screenshot of the explorer, in the test's tmp dir and in tests/browser/artifacts.
    explorer.scroll_into_view_if_needed()
    shot = tmp_path / "explorer.png"
    explorer.screenshot(path=str(shot))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "explorer.png")

    # 4. Nothing left 127.0.0.1.
    outside = sorted(
        {
            u
            for u in page.requests
            if urlsplit(u).scheme not in ("data", "blob", "about") and urlsplit(u).hostname not in LOCAL_HOSTS
        }
    )
    assert outside == [], f"requests left 127.0.0.1: {outside[:10]}"
    assert len(page.requests) > 20
    print(f"browser test: {time.monotonic() - started:.1f} s, {len(page.requests)} requests, screenshot {shot}")
