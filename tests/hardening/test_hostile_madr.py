"""Hostile strings in a decision -> MADR Markdown (the decision record and the review's fallback).

Oracles: the Markdown body is rendered by a CommonMark renderer that *allows* raw HTML
(markdown-it-py, tables and strikethrough on) and parsed; apart from paragraph breaks (a
multi-paragraph rationale is legitimate) its element structure must equal the same record's with
a harmless string, and no ``<a>`` or ``<img>`` may appear. The YAML front matter must load with
``yaml.safe_load`` to the same keys, with ``decision-makers`` the exact list of names. The text
must come back literally (line breaks inside one value shown as spaces).
"""

from __future__ import annotations

import pytest
import yaml

from tests.hardening import _evil, _tally, attacks
from tests.hardening.test_hostile_memo import parse

markdown_it = pytest.importorskip("markdown_it")

AREA = "hostile_madr"


def _render(md: str):
    assert md.startswith("---\n"), md[:80]
    head, body = md[4:].split("\n---\n", 1)
    renderer = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError:
        meta = None  # a value broke the front matter
    return meta, parse(renderer.render(body))


def _shape(page) -> list:
    return [t for t in page.structure if t[0] not in ("p", "/p")]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _record_madr(payload: str) -> str:
    from workbench.decisions import DecisionRecord

    return DecisionRecord.from_summary(_evil.evil_summary(payload, views=False)).to_madr()


def _no_choice_madr(payload: str) -> str:
    from workbench.decisions import render_madr

    s = _evil.evil_summary(payload, views=False)
    s["provenance"]["finished"] = f"2026-01-01 {payload}"
    s["decision"]["chosen"] = s["analysis"]["recommended"] = None  # nothing chosen: no record can be built
    return render_madr(s)


RENDERERS = {"DecisionRecord.to_madr": _record_madr, "decisions.madr.render_madr (nothing chosen)": _no_choice_madr}


@pytest.mark.parametrize("renderer", list(RENDERERS))
@pytest.mark.slow
def test_madr_shows_hostile_text_literally(renderer):
    render = RENDERERS[renderer]
    base_meta, base = _render(render(_evil.BENIGN))
    for payload in attacks.NAMES:
        meta, page = _render(render(payload))
        text = _flat("".join(page.text))
        injected = _shape(page) != _shape(base) or any(t[0] in ("a", "img") for t in page.structure)
        front_ok = (
            isinstance(meta, dict)
            and set(meta) == set(base_meta)
            and meta.get("decision-makers") in ([f"dm {payload} .", "Ops lead"], f"dm {payload} ., Ops lead")
            and meta.get("status") == base_meta.get("status")
        )
        _tally.assert_blocked(AREA, payload, not front_ok, f"{renderer} front matter (decision-makers)")
        for sink, value in {
            "title": f"Review of {payload}",
            "candidate id": _evil.ids(payload)[1],
            "rationale": f"because {payload}",
        }.items():
            _tally.assert_blocked(AREA, payload, injected or _flat(value) not in text, f"{renderer} {sink}")
