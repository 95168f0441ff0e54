"""The explorer's chart formats a candidate's tooltip on hover exactly as Vega-Lite draws it.

``workbench.views.hover_tooltips`` takes the tooltip out of every candidate mark (the mark carries
its row) and ``LiveChart``'s page formats the row on hover. The truth is Vega-Lite's own tooltip:
the same analysis drawn by ``pareto_scatter`` and embedded with vega-embed's defaults. Both are
drawn in a real Chromium through the widget's own module (its ``render`` with a stand-in for the
anywidget model), every candidate mark is hovered, and the tooltips must be equal, before and
after a weight move patched in place. Uses the ``browser_page`` fixture of this folder's conftest.
"""

from __future__ import annotations

import base64
import json
import re

import pytest

pytestmark = [pytest.mark.browser]
pytest.importorskip("vl_convert")
pytest.importorskip("anywidget")

import workbench  # noqa: E402
from tests import _live  # noqa: E402
from workbench import views  # noqa: E402
from workbench.analysis.reweight import Reranker  # noqa: E402

ORIGIN = "http://workbench.test"
TIMEOUT = 30_000
MODEL = _live.model("latency.ms")  # a dot: the field is escaped in the spec, not in the row
NEW_WEIGHTS = _live.new_weights("latency.ms")

PAGE = """<!doctype html><html><body><div id="chart"></div><script type="module">
import widget from "./live_chart.js";
let handlers = {}, state = {}, cleanup = null;
window.draw = async (spec) => {
  if (cleanup) cleanup();
  document.getElementById('vg-tooltip-element')?.remove();
  handlers = {};
  state = {spec, data: {}, patch: {}, embed_options: {renderer: 'svg', actions: false}, draws: 1, revision: 1,
           brush: {}};
  const model = {get: k => state[k], set: (k, v) => { state[k] = v; }, save_changes() {},
                 on: (event, fn) => { (handlers[event] = handlers[event] || []).push(fn); }};
  const el = document.getElementById('chart');
  el.replaceChildren();
  cleanup = await widget.render({model, el});
};
window.patch = async (patch) => {
  state.patch = patch;
  for (const fn of handlers['change:patch'] || []) await fn();
};
// Every mark of every layer hovered in turn: {mark group's class: [its marks' tooltips]}, '' for
// a mark that shows none.
// New rows for some datasets, as the kernel sends them: one binary buffer each (base64 here).
window.replaceData = async (packed) => {
  state.data = Object.fromEntries(Object.entries(packed).map(([name, b64]) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    return [name, new DataView(bytes.buffer)];
  }));
  for (const fn of handlers['change:data'] || []) await fn();
};
window.tooltips = () => {
  const out = {};
  for (const group of document.querySelectorAll('#chart svg g.role-mark')) {
    const name = Array.from(group.classList).find(c => c.endsWith('_marks') || c.startsWith('brush'));
    out[name] = Array.from(group.children).map(mark => {
      const tip = document.getElementById('vg-tooltip-element');
      if (tip) { tip.innerHTML = ''; tip.classList.remove('visible'); }
      const r = mark.getBoundingClientRect();
      const at = {bubbles: true, clientX: r.x + r.width / 2, clientY: r.y + r.height / 2};
      mark.dispatchEvent(new PointerEvent('pointermove', at));
      mark.dispatchEvent(new MouseEvent('mousemove', at));
      const shown = document.getElementById('vg-tooltip-element');
      return shown && shown.classList.contains('visible') ? shown.innerHTML : '';
    });
  }
  return out;
};
window.ready = true;
</script></body></html>"""


@pytest.fixture
def chart_page(browser_page):
    from widgets._vega import _bundle

    bundle = _bundle()
    files = {"/page.html": ("text/html", PAGE), "/live_chart.js": ("text/javascript", bundle)}

    def serve(route) -> None:
        path = route.request.url[len(ORIGIN) :]
        if path in files:
            kind, body = files[path]
            route.fulfill(status=200, content_type=kind, body=body)
        else:
            route.abort()

    browser_page.route(f"{ORIGIN}/**", serve)
    browser_page.goto(f"{ORIGIN}/page.html")
    browser_page.wait_for_function("window.ready === true", timeout=TIMEOUT)
    return browser_page


def drawn_tooltips(page, spec: dict) -> dict[str, list[str]]:
    page.evaluate("(spec) => window.draw(spec)", spec)
    return page.evaluate("window.tooltips()")


def by_candidate(tips: dict[str, list[str]]) -> dict[str, str]:
    """The candidate points' tooltips by candidate id (the first row's value)."""
    return {re.search(r'<td class="value">([^<]*)</td>', t).group(1): t for t in tips["points_marks"] if t}


def test_hover_tooltips_equal_vega_lites_own_before_and_after_a_weight_move(chart_page):
    page = chart_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    analysis = workbench.analyze(_live.frame(40, latency="latency.ms"), MODEL, smaa=500, seed=0)
    live = views.pareto_live(analysis, "latency.ms", "accuracy")
    assert "tooltip" not in json.dumps([layer.get("encoding", {}) for layer in live.spec["layer"][-5:]])

    truth = drawn_tooltips(page, views.pareto_scatter(analysis, "latency.ms", "accuracy").to_dict())
    mine = drawn_tooltips(page, live.spec)
    # every layer's marks, the candidates' and the others' (the SLO rules: the generic formatter)
    assert mine == truth
    assert len(by_candidate(truth)) == len(live.drawn) == 40
    rules = [t for name, tips in truth.items() if name != "points_marks" for t in tips if t]
    assert any('<td class="key">constraint</td><td class="value">latency.ms &lt;= 80</td>' in t for t in rules)
    first = next(iter(by_candidate(truth).values()))
    for title in ("latency.ms [ms]", "rank", "score", "first-rank acceptability"):
        assert f'<td class="key">{title}</td>' in first

    # A weight move patched in place: the hovered rows are those of the re-weighted analysis.
    moved = Reranker(analysis).reweigh(NEW_WEIGHTS)
    after = views.pareto_reweighted(moved, live)
    assert after.patch is not None
    page.evaluate("(patch) => window.patch(patch)", after.patch)
    patched = by_candidate(page.evaluate("window.tooltips()"))
    fresh = by_candidate(drawn_tooltips(page, views.pareto_scatter(moved, "latency.ms", "accuracy").to_dict()))
    assert patched == fresh != by_candidate(truth)
    assert errors == []
    assert [u for u in page.requests if not u.startswith(ORIGIN)] == []


def test_rows_replaced_in_place_after_a_constraint_move_draw_what_a_fresh_scatter_draws(chart_page):
    """A constraint move sends new rows, packed column by column in one buffer per dataset; the
    page rebuilds them and changes its drawn view in place: every mark's tooltip (candidates,
    the moved SLO rule and its label) is then the tooltip of the scatter drawn afresh."""
    from widgets._vega import _pack_rows

    page = chart_page
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    frame = _live.frame(40, latency="latency.ms")
    before = views.pareto_live(workbench.analyze(frame, MODEL), "latency.ms", "accuracy")
    page.evaluate("(spec) => window.draw(spec)", before.spec)
    tighter = workbench.analyze(frame, MODEL.with_constraints(["latency.ms <= 40"]))
    after = views.pareto_live(tighter, "latency.ms", "accuracy")
    assert before.same_drawing(after)
    changed = before.changed_datasets(after)
    assert {"candidates", "constraints"} <= set(changed)
    packed = {name: base64.b64encode(bytes(_pack_rows(rows))).decode() for name, rows in changed.items()}
    page.evaluate("(packed) => window.replaceData(packed)", packed)
    replaced = page.evaluate("window.tooltips()")
    fresh = drawn_tooltips(page, views.pareto_scatter(tighter, "latency.ms", "accuracy").to_dict())
    assert by_candidate(replaced) == by_candidate(fresh)
    assert by_candidate(fresh) != by_candidate(drawn_tooltips(page, before.spec))
    assert {k: sorted(v) for k, v in replaced.items()} == {k: sorted(v) for k, v in fresh.items()}
    assert any("latency.ms &lt;= 40" in t for tips in replaced.values() for t in tips)
    assert errors == []
