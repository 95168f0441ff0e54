"""The minimal MADR of a review (used when no decision record can be built, e.g. nothing chosen)."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
import yaml

from workbench import QualityModel, analyze
from workbench.reports.madr import render_madr
from workbench.reports.review import build_summary, decide

MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt


@pytest.fixture
def summary():
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"},
                                                {"name": "ms", "direction": "min"}]})
    ids = ["<script>alert(1)</script>", "&lt;b&gt;x", "line\n\n# heading\n- item"]
    a = analyze(pd.DataFrame({"id": ids, "acc": [0.9, 0.8, 0.7], "ms": [30, 20, 10]}), qm, smaa=0)
    d = decide(a, chosen=ids[0], decision_makers=["Ana: lead\nstatus: rejected", "Bo\n---\nx: 1", "Cy\u2028d"])
    d["rationale"] = "because [x](javascript:alert(1)) <iframe src=x></iframe>\n\n*one* `two`"
    return build_summary(a, title="Review of <img src=x onerror=alert(1)>", decision=d, views=False,
                         provenance={"finished": "2026-05-01\ndate: 1999-01-01"})


def test_fallback_madr_escapes_text_and_keeps_the_front_matter(summary):
    # The fallback escaped Markdown punctuation only: '&lt;' came out as '<', line breaks in a value
    # started headings and lists, and a decision maker with a newline or ': ' rewrote the front matter.
    md = render_madr(summary)
    head, body = md[4:].split("\n---\n", 1)
    front = yaml.safe_load(head)
    assert front == {"status": "accepted", "date": datetime.date(2026, 5, 1),
                     "decision-makers": summary["decision"]["decision_makers"]}
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(body)
    assert "<script" not in html and "<iframe" not in html and "<img" not in html and "<a " not in html
    assert "<em>" not in html and "<code>two" not in html and "<li>item" not in html
    assert html.count("<h1>") == 1 and html.count("<h2>") == 4
    assert "&amp;lt;b&amp;gt;x" in html  # shown literally as '&lt;b&gt;x'
