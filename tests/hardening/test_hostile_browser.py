"""The memo of a review full of HTML/JavaScript payloads, opened in a real Chromium.

Candidate ids, objective names and units, the title, rationale and decision makers carry payloads
that would set ``window.__pwned`` or open a dialog if anything ran. Oracle: every chart renders, no
dialog opens, ``window.__pwned`` stays unset, no element has an ``on*`` attribute or a
``javascript:`` URL, and hovering each point of the Pareto view shows a Vega tooltip that holds
the candidate id as text (no element from the data inside it). The what-if sliders' labels show the
objective names as text.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.browser.conftest import browser_page, chromium  # noqa: F401 - the browser fixtures
from tests.hardening import _evil, _tally, attacks

pytestmark = [pytest.mark.browser]
pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

AREA = "hostile_memo_browser"
TIMEOUT = 30_000
IDS = [p for p in attacks.HTML if "\x00" not in p][:10]
# objective names refuse '<', '>' and '=' (test_hostile_names.py): the rest of the payload stays
ACC = _evil.objective_names(attacks.HTML[2])[0]
LAT = _evil.objective_names(attacks.HTML[7])[1]
INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on') || /^\\s*javascript:/i.test(a.value)) bad.push(el.tagName + ' ' + a.name);
    }
    if (['IMG', 'IFRAME', 'DETAILS', 'TEXTAREA', 'STYLE'].includes(el.tagName) && el.closest('body')) {
      if (el.tagName !== 'DETAILS' || el.hasAttribute('ontoggle')) bad.push(el.tagName);
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def memo_file(tmp_path_factory):
    from workbench import QualityModel, analyze
    from workbench._io import atomic_write_text
    from workbench.reports import Memo
    from workbench.reports.review import decide

    qm = QualityModel.from_dict(
        {
            "name": attacks.HTML[1],
            "objectives": [
                {"name": ACC, "direction": "max", "weight": 2, "unit": attacks.HTML[4]},
                {"name": LAT, "direction": "min", "unit": attacks.HTML[3], "constraint": "<= 90"},
            ],
        }
    )
    n = len(IDS)
    df = pd.DataFrame({"id": IDS, ACC: [0.80 + 0.015 * i for i in range(n)], LAT: [10.0 + 9 * i for i in range(n)]})
    a = analyze(df, qm, smaa=300, seed=0)
    d = decide(a, chosen=IDS[1], decision_makers=[attacks.HTML[5], attacks.HTML[6]])
    d["rationale"] = attacks.HTML[8] + " " + attacks.HTML[10]
    html = Memo.from_analysis(a, title=attacks.HTML[7], decision=d).to_html()
    return atomic_write_text(tmp_path_factory.mktemp("memo") / "memo.html", html)


def test_hostile_memo_runs_nothing_in_chromium(browser_page, memo_file):  # noqa: F811
    page = browser_page
    dialogs: list = []
    page.on("dialog", lambda dlg: (dialogs.append(dlg.message), dlg.dismiss()))
    page.goto(memo_file.as_uri())
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-spec]')].every(e => e.dataset.rendered)", timeout=TIMEOUT
    )
    states = page.eval_on_selector_all("[data-spec]", "els => els.map(e => e.dataset.rendered)")
    injected = page.evaluate(INJECTED)
    pwned = page.evaluate("() => window.__pwned !== undefined")
    whole_page = bool(dialogs) or pwned or bool(injected) or any(s != "true" for s in states)
    for payload in [*IDS, ACC, LAT]:
        _tally.assert_blocked(AREA, payload, whole_page, "memo in Chromium (dialogs, window.__pwned, on* attributes)")
    assert not whole_page, (dialogs, pwned, injected, states)
    text = page.inner_text("body")
    for payload in (attacks.HTML[7], IDS[1], attacks.HTML[5]):
        _tally.assert_blocked(AREA, payload, payload not in text, "memo in Chromium (text shown literally)")
    # the what-if sliders are labelled by objective names: as text
    labels = page.eval_on_selector_all(
        "#whatif .vega-bind-name", "els => els.map(e => [e.textContent, e.children.length])"
    )
    for name in (ACC, LAT):
        _tally.assert_blocked(
            AREA,
            name,
            not any(t.startswith(name) and k == 0 for t, k in labels),
            "what-if slider label (Vega bind name)",
        )
    # hover every point of the Pareto view: the tooltip shows the id as text, no element from the data
    points = page.locator("#view-pareto svg .mark-symbol path")
    seen = set()
    for i in range(points.count()):
        points.nth(i).hover(force=True)
        page.wait_for_timeout(150)
        tip = page.evaluate("""() => { const t = document.getElementById('vg-tooltip-element');
            if (!t) return null;
            const foreign = t.querySelectorAll('img, script, svg, iframe, a, details, style, textarea');
            return [t.textContent, foreign.length, t.innerHTML.length]; }""")
        if not tip:
            continue
        for cid in IDS:
            if cid in tip[0]:
                seen.add(cid)
                _tally.assert_blocked(
                    AREA,
                    cid,
                    tip[1] > 0 or page.evaluate("() => window.__pwned !== undefined"),
                    "Vega tooltip on hover",
                )
    assert len(seen) >= len(IDS) // 2, f"tooltips showed {sorted(seen)} of {json.dumps(IDS)}"
    assert dialogs == []
