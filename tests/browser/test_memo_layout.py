"""The decision memo as a busy reader sees it, in a real Chromium at 1280x720 and 1920x1080.

- the page never scrolls sideways (``scrollWidth <= innerWidth``) and no element reaches past the
  window unless it sits in a box that scrolls itself (a wide table);
- the linked parallel coordinates draw an axis for every objective (8 here), inside the window;
- no two labels of a chart overlap (bounding boxes of the drawn texts, in the browser);
- one far infeasible outlier does not squash the axes: they span the feasible candidates and the
  chart says how many sit beyond;
- the recommendation, the robustness verdict and what is given up are on the first screen at
  1280x720 (the screenshot is kept in ``artifacts/memo-first-screen-1280x720.png``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]
pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT = 60_000
ALL_RENDERED = "() => [...document.querySelectorAll('[data-spec]')].every(e => e.dataset.rendered)"
OBJECTIVES = [
    "recall",
    "precision",
    "latency_p95_ms",
    "model_size_kb",
    "energy_wh",
    "cost_usd",
    "fairness_gap",
    "error_rate",
]

#: Elements whose right edge passes the window, leaving out those inside a box that scrolls or
#: clips its own overflow (those do not widen the page).
PAST_THE_WINDOW = """() => {
  const W = window.innerWidth;
  const clipped = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; }
    return false; };
  return [...document.querySelectorAll('body *')].filter(e => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.right > W + 0.5 && !clipped(e);
  }).map(e => e.tagName + (e.id ? '#' + e.id : ''));
}"""

#: Pairs of texts in one chart that overlap by more than 2 px. Each text is the quadrilateral its
#: own box makes on screen (``getBBox`` through ``getScreenCTM``), so rotated labels are compared as
#: drawn, not by their axis-aligned hulls; two convex quads overlap when no edge normal separates
#: them (separating axis theorem), with a 2 px allowance.
OVERLAPS = """(sel) => {
  const quad = t => { const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]); };
  const apart = (p, q) => { for (const poly of [p, q]) for (let i = 0; i < 4; i++) {
      const [x1, y1] = poly[i], [x2, y2] = poly[(i + 1) % 4], n = [y1 - y2, x2 - x1];
      const len = Math.hypot(n[0], n[1]) || 1;
      const proj = P => P.map(([x, y]) => (x * n[0] + y * n[1]) / len);
      const a = proj(p), b = proj(q);
      if (Math.min(Math.max(...a), Math.max(...b)) - Math.max(Math.min(...a), Math.min(...b)) <= 2) return true;
    } return false; };
  // Vega hides a label it has to drop for room with opacity 0: such a label is not seen
  const seen = t => t.textContent.trim() && t.getBBox().width > 0 && t.getAttribute('opacity') !== '0'
                    && getComputedStyle(t).opacity !== '0' && getComputedStyle(t).visibility !== 'hidden';
  const out = [];
  for (const svg of document.querySelectorAll(sel + ' svg')) {
    const texts = [...svg.querySelectorAll('text')].filter(seen).map(t => ({t: t.textContent, q: quad(t)}));
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++)
      if (!apart(texts[i].q, texts[j].q)) out.push([texts[i].t, texts[j].t]);
  }
  return out;
}"""


def _analysis():
    """Eight objectives, twelve candidates; 'far' is infeasible and 50x slower than the rest."""
    from workbench import QualityModel, analyze

    objectives = [
        {"name": "recall", "direction": "max", "weight": 3, "tolerance": 0.005, "constraint": ">= 0.8"},
        {"name": "precision", "direction": "max", "weight": 1},
        {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "weight": 1, "constraint": "<= 40"},
        {"name": "model_size_kb", "direction": "min", "unit": "KB", "weight": 0.5},
        {"name": "energy_wh", "direction": "min", "unit": "Wh", "weight": 0.5},
        {"name": "cost_usd", "direction": "min", "unit": "USD", "weight": 0.5},
        {"name": "fairness_gap", "direction": "min", "weight": 1},
        {"name": "error_rate", "direction": "min", "weight": 1, "constraint": "<= 0.005"},
    ]
    qm = QualityModel.from_dict(
        {
            "name": "eight objectives",
            "objectives": objectives,
            "champion": "c03",
            "description": "Which model replaces c03?",
        }
    )
    rng = np.random.default_rng(7)
    n = 12
    df = pd.DataFrame(
        {
            "id": [f"c{i:02d}" for i in range(n - 1)] + ["far"],
            "recall": rng.uniform(0.82, 0.95, n),
            "precision": rng.uniform(0.7, 0.99, n),
            "latency_p95_ms": rng.uniform(5, 30, n),
            "model_size_kb": rng.uniform(100, 900, n),
            "energy_wh": rng.uniform(1e-5, 5e-5, n),
            "cost_usd": rng.uniform(0.1, 0.4, n),
            "fairness_gap": rng.uniform(0.01, 0.05, n),
            "error_rate": rng.uniform(0.001, 0.004, n),
        }
    )
    df.loc[n - 1, ["latency_p95_ms", "error_rate"]] = [1500.0, 0.0063]  # the far outlier
    return analyze(df, qm, smaa=500, seed=0)


@pytest.fixture(scope="module")
def memo_file(tmp_path_factory) -> Path:
    from workbench._io import atomic_write_text
    from workbench.reports import Memo

    html = Memo.from_analysis(_analysis(), title="Eight objectives, one outlier").to_html()
    return atomic_write_text(tmp_path_factory.mktemp("memo") / "memo.html", html)


def _open(page, path: Path, width: int, height: int):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path.as_uri())
    page.wait_for_function(ALL_RENDERED, timeout=TIMEOUT)
    return page


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_no_horizontal_scroll(browser_page, memo_file, size):
    page = _open(browser_page, memo_file, *size)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.evaluate("() => window.innerWidth") == size[0], width
    assert page.evaluate(PAST_THE_WINDOW) == []
    # every chart is drawn inside the window, the linked view over (nearly) the whole content width
    boxes = page.eval_on_selector_all("[data-spec] svg", "els => els.map(e => e.getBoundingClientRect().right)")
    assert boxes and max(boxes) <= size[0]
    content = page.evaluate("() => document.querySelector('#views').getBoundingClientRect().width")
    pareto = page.evaluate("() => document.querySelector('#view-pareto svg').getBoundingClientRect().width")
    assert pareto >= 0.9 * content, (pareto, content)


def test_parallel_coordinates_show_every_objective(browser_page, memo_file):
    page = _open(browser_page, memo_file, 1280, 720)
    labels = page.evaluate("""() => [...document.querySelectorAll('#view-pareto svg text')]
        .filter(t => t.getBoundingClientRect().right <= window.innerWidth && t.getBoundingClientRect().width > 0)
        .map(t => t.textContent)""")
    for name in OBJECTIVES:
        assert any(t.startswith(name) for t in labels), (name, labels)


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_no_overlapping_labels(browser_page, memo_file, size):
    page = _open(browser_page, memo_file, *size)
    for chart in page.eval_on_selector_all("[data-spec]", "els => els.map(e => '#' + e.id)"):
        assert page.evaluate(OVERLAPS, chart) == [], chart


def test_an_outlier_does_not_squash_the_axes(browser_page, memo_file):
    page = _open(browser_page, memo_file, 1280, 720)
    texts = page.evaluate("() => [...document.querySelectorAll('#view-pareto svg text')].map(t => t.textContent)")
    assert any("1 infeasible beyond the axes" in t for t in texts), texts
    # the y axis (latency) ends near the feasible maximum (< 40 ms limit), not at 1500 ms
    ticks = [
        float(t.replace(",", ""))
        for t in page.evaluate(
            """() => [...document.querySelectorAll('#view-pareto svg .role-axis-label text')].map(t => t.textContent)"""
        )
        if t.replace(",", "").replace(".", "", 1).lstrip("-").isdigit()
    ]
    assert ticks and max(ticks) < 100, ticks


def test_the_decision_fits_the_first_screen(browser_page, memo_file):
    page = _open(browser_page, memo_file, 1280, 720)
    for sel in ("#chosen", "#incumbent", "#verdict-constraints", "#verdict-robustness", "#given-up"):
        box = page.evaluate(f"() => document.querySelector('{sel}').getBoundingClientRect().bottom")
        assert box <= 720, (sel, box)
    assert (
        page.locator("#incumbent").inner_text().endswith("c03")
        or "incumbent" in page.locator("#incumbent").inner_text()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "memo-first-screen-1280x720.png"))
