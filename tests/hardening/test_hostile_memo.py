"""Hostile strings in every text field of a review summary -> the HTML decision memo.

Oracle: the memo of a summary whose text fields carry an attack string is parsed (``html.parser``)
and compared with the memo of the same review carrying a harmless string. The two must have the
same element structure (same tags, same attribute names, same number of scripts): any injected
element, attribute or script shows as a difference. Every ``<script type="application/json">``
must still parse as JSON (no break-out with ``</script>``, ``<!--`` or U+2028), and each field's
text must come back literally, in the page's text or in its embedded specs.
"""

from __future__ import annotations

import functools
import json
from html.parser import HTMLParser

import pytest

from tests.hardening import _evil, _tally, attacks

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

AREA = "hostile_memo"
#: Payloads of which the memo test also builds the Vega-Lite views (0.5 s each); the others have
#: only the what-if chart, which still embeds ids and objective names as JSON.
WITH_VIEWS = set(attacks.HTML + attacks.VEGA)


class _Page(HTMLParser):
    """Start tags with their attribute names, all text, attribute values and script bodies."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.structure: list[tuple[str, tuple[str, ...]]] = []
        self.text: list[str] = []
        self.attr_values: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        self.structure.append((tag, tuple(sorted(k for k, _ in attrs))))
        self.attr_values += [v for _, v in attrs if v]
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag):
        self.structure.append(("/" + tag, ()))
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (_strings(k) + _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@functools.lru_cache(maxsize=2)
def _baseline(views: bool) -> _Page:
    from workbench.reports import Memo

    return parse(Memo(_evil.evil_summary(_evil.BENIGN, views=views)).to_html())


def _fields(payload: str) -> dict[str, str]:
    """Sink -> the exact text the memo must show for it."""
    acc, lat = _evil.objective_names(payload)
    ids = _evil.ids(payload)
    return {
        "title": f"Review of {payload}",
        "question (model description)": f"Which one? {payload}",
        "chosen candidate id": ids[0],
        "other candidate id": ids[1],
        "objective name": acc,
        "objective unit": f"u {payload}",
        "objective description (title attribute)": f"d {payload}",
        "rationale": f"because {payload}",
        "decision maker": f"dm {payload} .",
        "stakeholder name": f"s {payload} .",
        "provenance input role": f"r {payload}",
        "provenance input path": f"p {payload}",
        "provenance parameter": f"k {payload}=v {payload}",
        "template name": f"t {payload}",
        "run id": f"run {payload}",
    }


@pytest.mark.parametrize("payload", attacks.NAMES, ids=range(len(attacks.NAMES)))
def test_memo_shows_hostile_text_literally_and_injects_nothing(payload):
    from workbench.reports import Memo

    views = payload in WITH_VIEWS
    html = Memo(_evil.evil_summary(payload, views=views)).to_html()
    page, base = parse(html), _baseline(views)
    injected = page.structure != base.structure
    json_ok, embedded = True, []
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            try:
                embedded += _strings(json.loads(body))
            except ValueError:
                json_ok = False
    shown = "".join(page.text) + "\x00" + "\x00".join(page.attr_values)
    for sink, expected in _fields(payload).items():
        _tally.assert_blocked(AREA, payload, injected or not json_ok or expected not in shown, f"memo {sink}")
    # JSON inside <script>: the ids and objective names reach the charts' data verbatim.
    for name in (_evil.ids(payload)[0], _evil.objective_names(payload)[0]):
        _tally.assert_blocked(
            AREA,
            payload,
            not json_ok or not any(name in s for s in embedded),
            "memo <script type=application/json> (chart specs)",
        )
