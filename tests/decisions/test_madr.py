"""The one MADR renderer: records and review summaries (also with nothing chosen) render through
workbench.decisions.madr, escape text from the data, and carry the seed evidence."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import workbench
from workbench import QualityModel, analyze
from workbench.decisions import DecisionRecord, render_madr
from workbench.reports.review import build_summary, decide
from workbench.sources import from_frame

MarkdownIt = pytest.importorskip("markdown_it").MarkdownIt
IDS = ["<script>alert(1)</script>", "&lt;b&gt;x", "line\n\n# heading\n- item"]


def hostile_summary(limit: str = "<= 100"):
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max"},
                {"name": "ms", "direction": "min", "constraint": f"ms {limit}"},
            ]
        }
    )
    a = analyze(pd.DataFrame({"id": IDS, "acc": [0.9, 0.8, 0.7], "ms": [30, 20, 10]}), qm, smaa=0)
    d = decide(
        a,
        chosen=IDS[0] if a.recommended else None,
        decision_makers=["Ana: lead\nstatus: rejected", "Bo\n---\nx: 1", "Cy\u2028d"],
    )
    d["rationale"] = "because [x](javascript:alert(1)) <iframe src=x></iframe>\n\n*one* `two`"
    return build_summary(
        a,
        title="Review of <img src=x onerror=alert(1)>",
        decision=d,
        views=False,
        provenance={"finished": "2026-05-01\ndate: 1999-01-01"},
    )


def check_escaped(md: str) -> tuple[dict, str]:
    head, body = md[4:].split("\n---\n", 1)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(body)
    assert "<script" not in html and "<iframe" not in html and "<img" not in html and "<a " not in html
    assert "<em>" not in html and "<code>two" not in html and "<li>item" not in html
    assert html.count("<h1>") == 1
    return yaml.safe_load(head), html


@pytest.mark.parametrize("chosen", [True, False])
def test_summary_madr_escapes_text_and_keeps_the_front_matter(chosen):
    summary = hostile_summary("<= 100" if chosen else "<= 5")
    md = render_madr(summary)
    front, html = check_escaped(md)
    assert front["decision-makers"] == summary["decision"]["decision_makers"]
    if chosen:  # recorded, then rendered like any record
        assert front["status"] == "accepted" and "Chosen option:" in md
        assert "&amp;lt;b&amp;gt;x" in html  # shown literally as '&lt;b&gt;x'
    else:  # nothing feasible: no record, the same renderer says so
        assert front == {
            "status": "proposed",
            "date": datetime.date(2026, 5, 1),
            "decision-makers": summary["decision"]["decision_makers"],
        }
        assert "No option chosen: no candidate meets every constraint." in md


def test_there_is_one_madr_renderer():
    """Only workbench/decisions/madr.py writes MADR sections; records, exports and reviews call it."""
    root = Path(workbench.__file__).parent
    writers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if "## Decision Outcome" in p.read_text(encoding="utf-8")
    )
    assert writers == ["decisions/madr.py"]
    rec = DecisionRecord.from_summary(hostile_summary())
    assert rec.to_madr() == render_madr(rec)


def test_the_record_and_its_madr_carry_the_seed_evidence():
    rng = np.random.default_rng(2)
    rows = [
        {"id": cid, "seed": s, "acc": acc + 0.01 * rng.standard_normal(), "ms": ms + rng.standard_normal()}
        for cid, (acc, ms) in {"v8": (0.91, 20), "v7": (0.905, 20.5), "v1": (0.7, 30)}.items()
        for s in range(5)
    ]
    qm = QualityModel.from_dict(
        {
            "objectives": [
                {"name": "acc", "direction": "max", "tolerance": 0.002},
                {"name": "ms", "direction": "min", "unit": "ms", "tolerance": 1},
            ]
        }
    )
    a = analyze(from_frame(pd.DataFrame(rows)), qm, smaa=300)
    rec = DecisionRecord.from_analysis(a)
    seed = rec.robustness["seed"]
    assert seed["replicates"] == {"v8": 5, "v7": 5, "v1": 5} and seed["level"] == 0.95
    assert seed["text"] == a.uncertainty.text and rec.robustness["text"][0] == a.uncertainty.text
    runner = a.to_frame().index[1]
    line = next(t for t in rec.robustness["text"] if t.startswith(f"Against {runner}"))
    assert "seed resamples and dominates it beyond tolerance in" in line and "(5 vs 5 seeds)" in line
    assert rec.option["seeds"]["acc"]["n"] == 5
    assert DecisionRecord.from_dict(rec.to_dict()) == rec
    md = rec.to_madr()
    assert "; over seeds: acc 0." in md and "(n=5)" in md and "* Robustness: " + a.uncertainty.text.split(" (")[0] in md
    assert "workbench decisions verify" in md
