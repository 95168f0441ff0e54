"""The decision memo as HTML text: self-contained, escaped, small; the what-if matches the engine."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

from workbench import QualityModel, analyze  # noqa: E402
from workbench.reports import Memo, render_memo  # noqa: E402
from workbench.reports.memo import script_json, whatif_spec  # noqa: E402

XSS = "<script>alert(1)</script>"
MAX_BYTES = 3 * 1024 * 1024


def small_analysis(smaa: int = 300):
    """Four candidates, two objectives; the leader flips when latency weighs more. One is an XSS id."""
    qm = QualityModel.from_dict(
        {
            "name": "toy <b>model</b>",
            "description": "Pick a model & ship it </script>",
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
    return analyze(df, qm, smaa=smaa, seed=0)


@pytest.fixture(scope="module")
def memo_html():
    return Memo.from_analysis(small_analysis(), title="Toy <i>review</i>", decision=None).to_html()


def test_memo_is_self_contained(memo_html):
    assert len(memo_html.encode()) < MAX_BYTES
    markup = re.sub(r"<script[^>]*>.*?</script>", "", memo_html, flags=re.S)  # the page without scripts
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup, re.I)
    assert not re.search(r"<script[^>]+src=", memo_html, re.I)
    assert memo_html.count("vegaEmbed") >= 1
    bundles = [s for s in re.findall(r"<script>(.*?)</script>", memo_html, re.S) if len(s) > 100_000]
    assert len(bundles) == 1  # one copy of Vega for the whole page
    assert "cdn.jsdelivr" not in memo_html.replace("https://vega.github.io/schema", "")


def test_text_from_data_is_escaped(memo_html):
    assert XSS not in memo_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in memo_html  # shown as text
    assert "Toy &lt;i&gt;review&lt;/i&gt;" in memo_html
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', memo_html, re.S):
        assert "<" not in block and ">" not in block
        json.loads(block)


def test_script_json_cannot_close_the_script():
    text = script_json({"x": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"x": "</script><!-- & \u2028"}


def test_memo_sections(memo_html):
    for section in (
        "decision",
        "tradeoffs",
        "quality-model",
        "options",
        "views",
        "what-if",
        "robustness",
        "reopen",
        "provenance",
    ):
        assert f'id="{section}"' in memo_html, section
    decision = memo_html[memo_html.index('id="decision"') : memo_html.index('id="tradeoffs"')]
    assert 'Recommended: <span id="chosen">big</span>' in decision
    assert "we give up" in memo_html


def test_whatif_reproduces_the_weighted_sum_scores():
    a = small_analysis()
    summary = {"analysis": a.to_dict()}
    spec = whatif_spec(summary)
    weights = {p["name"]: p["value"] for p in spec["params"]}
    assert [p["bind"]["input"] for p in spec["params"]] == ["range", "range"]
    total = sum(weights.values())
    by_id = {c["id"]: c for c in summary["analysis"]["candidates"]}
    rows = spec["data"]["values"]
    assert {r["candidate"] for r in rows} == {c for c, v in by_id.items() if v["feasible"]}
    for r in rows:
        score = sum(weights[f"w{i}"] * r[f"g{i}"] for i in range(2)) / total
        assert score == pytest.approx(by_id[r["candidate"]]["score"], abs=1e-5)


def test_render_memo_builds_missing_views_from_the_analysis():
    from workbench.reports.review import build_summary

    a = small_analysis(smaa=0)
    summary = build_summary(a, views=False)
    assert summary["views"] == {}
    html = render_memo(summary, a)
    assert 'id="spec-pareto"' in html and 'id="spec-ranking"' in html
    assert 'id="spec-acceptability"' not in html  # no SMAA
