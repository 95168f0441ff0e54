"""The decision memo in a real Chromium (Playwright), opened from file:// with the network unused.

Every chart renders, no request other than the file itself is made, no console error; moving a
weight slider of the what-if control re-sorts the ranking; a candidate named
``<script>alert(1)</script>`` is shown as text and never runs. Uses the ``chromium`` and
``browser_page`` fixtures of this folder's conftest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

pytestmark = [pytest.mark.browser]
pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

XSS = "<script>alert(1)</script>"
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT = 30_000
ALL_RENDERED = "() => [...document.querySelectorAll('[data-spec]')].every(e => e.dataset.rendered)"
#: The candidate names of the what-if ranking, top to bottom as drawn.
RANKING = f"""() => [...document.querySelectorAll('#whatif svg text')]
                 .filter(e => {json.dumps(["big", "small", XSS])}.includes(e.textContent))
                 .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
                 .map(e => e.textContent)"""
LEADER = """() => [...document.querySelectorAll('#whatif svg text')].map(e => e.textContent)
                 .find(t => t.startsWith('First under these weights: '))"""


@pytest.fixture(scope="module")
def memo_file(tmp_path_factory) -> Path:
    """A memo of four candidates (one named like an XSS payload) in which the leader flips when
    latency weighs more."""
    from workbench import QualityModel, analyze
    from workbench._io import atomic_write_text
    from workbench.reports import Memo

    qm = QualityModel.from_dict(
        {
            "name": "toy",
            "objectives": [
                {"name": "acc", "direction": "max", "weight": 2, "quality_attribute": "system_accuracy"},
                {
                    "name": "latency_ms",
                    "direction": "min",
                    "unit": "ms",
                    "weight": 1,
                    "quality_attribute": "resource_efficiency",
                    "constraint": "<= 40",
                },
            ],
        }
    )
    df = pd.DataFrame(
        {"id": ["big", "small", XSS, "slow"], "acc": [0.95, 0.85, 0.90, 0.97], "latency_ms": [30.0, 5.0, 18.0, 60.0]}
    )
    a = analyze(df, qm, smaa=500, seed=0)
    html = Memo.from_analysis(a, title=f"Review of {XSS}").to_html()
    return atomic_write_text(tmp_path_factory.mktemp("memo") / "memo.html", html)


def _open(page, path: Path) -> tuple[list, list]:
    problems: list = []
    dialogs: list = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function(ALL_RENDERED, timeout=TIMEOUT)
    return problems, dialogs


def test_memo_renders_offline_without_errors(browser_page, memo_file):
    page = browser_page
    problems, dialogs = _open(page, memo_file)
    assert page.requests == [memo_file.as_uri()]  # nothing but the file: no CDN, no http(s)
    states = page.eval_on_selector_all("[data-spec]", "els => els.map(e => [e.id, e.dataset.rendered])")
    assert len(states) >= 5 and all(s == "true" for _, s in states), states
    drawn = page.eval_on_selector_all("[data-spec]", "els => els.map(e => e.querySelectorAll('svg, canvas').length)")
    assert all(n >= 1 for n in drawn), drawn
    assert page.locator("#view-pareto svg .mark-symbol path").count() >= 4  # the candidates are drawn
    assert problems == [] and dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "memo.png"), full_page=True)


def test_a_weight_slider_changes_the_ranking(browser_page, memo_file):
    page = browser_page
    problems, _ = _open(page, memo_file)
    before = page.evaluate(RANKING)
    assert before[0] == "big" and page.evaluate(LEADER).endswith("big")
    sliders = page.locator("#whatif input[type=range]")
    assert sliders.count() == 2
    page.evaluate("""() => {
        const el = document.querySelector('#whatif input[type=range][name="w1"]');
        el.value = el.max;
        el.dispatchEvent(new Event('input', {bubbles: true}));
        el.dispatchEvent(new Event('change', {bubbles: true}));
    }""")
    page.wait_for_function(f"() => ({RANKING})()[0] !== 'big'", timeout=TIMEOUT)
    after = page.evaluate(RANKING)
    assert after[0] == "small" and sorted(after) == sorted(before)
    assert page.evaluate(LEADER) == "First under these weights: small"
    assert problems == []


def test_a_script_in_a_candidate_id_is_shown_as_text(browser_page, memo_file):
    page = browser_page
    problems, dialogs = _open(page, memo_file)
    assert page.locator("td.candidate", has_text=XSS).count() == 1
    assert page.locator("td.candidate", has_text=XSS).is_visible()
    assert XSS in page.title()
    assert page.evaluate("() => window.__xss === undefined")
    assert dialogs == [] and problems == []
