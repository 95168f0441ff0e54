"""DecisionRecord: construction from an analysis or a summary, JSON round trip, MADR export."""

import datetime
import json
import re

import pytest
import yaml
from markdown_it import MarkdownIt

from workbench.decisions import DecisionRecord
from workbench.errors import DecisionError, UnknownNameError

from .conftest import EVIL


def test_from_analysis_fields(analysis):
    rec = DecisionRecord.from_analysis(analysis, rationale="Accuracy leads.", decision_makers=["Ann", "Bob"])
    assert rec.chosen == analysis.recommended == "a"
    assert re.fullmatch(r"[0-9a-f]{32}", rec.id)
    assert rec.created.endswith("+00:00") and rec.status == "accepted"
    assert rec.decision_makers == ("Ann", "Bob") and rec.candidates == ("a", "b", "c", "d")
    assert rec.model_hash == analysis.model.hash and rec.data_hash == analysis.candidates.data_hash
    assert rec.model == analysis.model.to_dict()
    opts = {o["id"]: o for o in rec.options}
    assert set(opts["a"]) >= {"id", "feasible", "front", "rank", "score", "acceptability", "values"}
    assert opts["d"]["feasible"] is False and opts["c"]["front"] == 1 and opts["a"]["front"] == 0
    assert rec.weights == pytest.approx({"acc": 2 / 3, "latency_ms": 1 / 3})
    # accepted trade-offs in domain units, against the runner-up / front neighbour
    (t,) = rec.accepted_tradeoffs
    assert t["versus"] == "b" and "runner-up" in t["relation"] and "front neighbour" in t["relation"]
    assert t["gains"] == {"acc": pytest.approx(0.1)} and t["gives_up"] == {"latency_ms": pytest.approx(10)}
    assert t["text"] == (
        "Choosing a over b (front neighbour, runner-up): gains 0.1 acc (0.9 vs 0.8); "
        "gives up 10 ms latency_ms (20 vs 10)."
    )
    # robustness
    r = rec.robustness
    assert r["smaa_samples"] == 300
    assert r["chosen_acceptability"] == pytest.approx(analysis.smaa.first_rank["a"])
    assert [s["objective"] for s in r["stability"]] == ["acc", "latency_ms"]
    assert any("first-rank acceptability" in t for t in r["text"])


def test_reopen_triggers_derived_from_constraints(analysis):
    rec = DecisionRecord.from_analysis(analysis)
    kinds = [t["kind"] for t in rec.reopen_triggers]
    assert kinds[:2] == ["constraint", "constraint"] and {"dominated", "acceptability", "weight"} <= set(kinds)
    lat, acc = rec.reopen_triggers[:2]
    assert lat == {
        "kind": "constraint",
        "objective": "latency_ms",
        "op": "<=",
        "threshold": 30.0,
        "constraint": "latency_ms <= 30",
        "description": "champion a violates latency_ms <= 30 ms",
    }
    # the relative constraint is resolved against the champion (b: 0.8 * 0.95)
    assert acc["threshold"] == pytest.approx(0.76)
    assert acc["description"] == "champion a violates acc >= 0.76 (from acc >= 0.95 * champion)"
    for t in rec.reopen_triggers:
        assert {"kind", "objective", "threshold", "description"} <= set(t)


def test_round_trip(analysis):
    rec = DecisionRecord.from_analysis(
        analysis,
        rationale="why",
        decision_makers=("Ann",),
        consulted=["Ops"],
        informed=["Team"],
        supersedes="abc",
        provenance={"ticket": "ML-1"},
    )
    again = DecisionRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert again == rec
    assert DecisionRecord.from_json(rec.to_json()) == rec
    assert again.provenance["ticket"] == "ML-1" and again.supersedes == "abc"
    assert isinstance(again.decision_makers, tuple)


def test_from_summary_matches_from_analysis(analysis):
    a = DecisionRecord.from_analysis(analysis)
    b = DecisionRecord.from_summary(analysis.to_dict())
    assert (b.chosen, b.options, b.accepted_tradeoffs, b.reopen_triggers, b.model_hash) == (
        a.chosen,
        a.options,
        a.accepted_tradeoffs,
        a.reopen_triggers,
        a.model_hash,
    )
    assert [o["name"] for o in b.model["objectives"]] == ["acc", "latency_ms"]
    assert b.model["constraints"] == ["latency_ms <= 30", "acc >= 0.95 * champion"]


def test_from_review_summary(analysis):
    summary = {
        "title": "Which model?",
        "analysis": analysis.to_dict(),
        "quality_model": analysis.model.to_dict(),
        "decision": {"chosen": "b", "rationale": "Latency first.", "decision_makers": ["Ann"], "recommended": "a"},
        "provenance": {"seed": 1, "inputs": [{"role": "candidates", "path": "runs.csv"}]},
    }
    rec = DecisionRecord.from_summary(summary)
    assert rec.chosen == "b" and rec.rationale == "Latency first." and rec.decision_makers == ("Ann",)
    assert rec.title == "Which model?" and rec.model == analysis.model.to_dict()
    assert rec.provenance["seed"] == 1 and rec.provenance["inputs"][0]["path"] == "runs.csv"
    relations = {t["versus"]: t["relation"] for t in rec.accepted_tradeoffs}
    assert "recommended" in relations["a"]
    # explicit arguments win over the summary's decision
    assert DecisionRecord.from_summary(summary, chosen="a", rationale="x").chosen == "a"


def test_errors(analysis, qm, frame):
    with pytest.raises(UnknownNameError, match="Chosen candidate 'zz' is not a candidate of the analysis"):
        DecisionRecord.from_analysis(analysis, chosen="zz")
    with pytest.raises(DecisionError, match="neither a review summary"):
        DecisionRecord.from_summary({"foo": 1})
    with pytest.raises(DecisionError, match="status 'acepted' is not one of .*Did you mean 'accepted'"):
        DecisionRecord.from_analysis(analysis, status="acepted")
    data = DecisionRecord.from_analysis(analysis).to_dict()
    with pytest.raises(DecisionError, match="Key 'chosn' is not a field"):
        DecisionRecord.from_dict({**data, "chosn": "a"})
    from workbench import analyze

    nothing = analyze(frame.assign(latency_ms=[99, 99, 99, 99]), qm, champion="b")
    with pytest.raises(DecisionError, match="No candidate is feasible"):
        DecisionRecord.from_analysis(nothing)
    assert DecisionRecord.from_analysis(nothing, chosen="b").option["feasible"] is False


MADR_SECTIONS = [
    "## Context and Problem Statement",
    "## Decision Drivers",
    "## Considered Options",
    "## Decision Outcome",
    "### Consequences",
    "### Confirmation",
    "## Pros and Cons of the Options",
    "## More Information",
]


def split_front_matter(md):
    lines = md.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1 :])


def test_madr_sections_and_front_matter(analysis):
    rec = DecisionRecord.from_analysis(
        analysis, rationale="Accuracy leads.", decision_makers=["Ann"], consulted=["Ops: on call"]
    )
    md = rec.to_madr()
    positions = [md.index(s + "\n") for s in MADR_SECTIONS]
    assert positions == sorted(positions)
    front, _ = split_front_matter(md)
    assert front == {
        "status": "accepted",
        "date": datetime.date.fromisoformat(rec.created[:10]),
        "decision-makers": ["Ann"],
        "consulted": ["Ops: on call"],
        "informed": [],
    }
    assert 'Chosen option: "a", because Accuracy leads.' in md
    assert "* Bad, because against b (front neighbour, runner-up) it gives up 10 ms latency\\_ms (20 ms vs 10 ms)" in md
    assert "* Good, because against b (front neighbour, runner-up) it gains 0.1 acc (0.9 vs 0.8)" in md
    assert "Hard constraint: latency\\_ms &lt;= 30" in md
    assert rec.model_hash in md and rec.data_hash in md and rec.id in md
    assert "Reopen this decision when:" in md and "champion a violates latency\\_ms &lt;= 30 ms" in md
    assert "workbench gate" in md


def test_madr_escapes_data_text(evil_analysis):
    rationale = "# Not a heading\n\n- not a list | not a cell\n\n<b>bold?</b> [link](http://x) ```code```"
    rec = DecisionRecord.from_analysis(evil_analysis, rationale=rationale, decision_makers=["---\nstatus: hacked"])
    md = rec.to_madr()
    front, body = split_front_matter(md)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(body)
    assert "<script" not in html and "<b>" not in html and "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the structure is exactly the record's: one h1, the MADR h2/h3 sections, one h3 per option
    assert html.count("<h1>") == 1
    assert html.count("<h2>") == 6
    assert html.count("<h3>") == 2 + len(rec.options)
    assert "<li>not a list" not in html and "Not a heading" in html
    assert front["status"] == "accepted" and front["decision-makers"] == ["---\nstatus: hacked"]
    assert md.count(EVIL) == 1  # only inside the inline code span of the gate command


def test_from_a_real_review_summary(analysis):
    review = pytest.importorskip("workbench.reports.review")
    summary = review.build_summary(
        analysis,
        decision=review.decide(analysis, chosen="b", decision_makers="Ann, Bob"),
        provenance={"seed": 1},
        views=False,
    )
    rec = DecisionRecord.from_summary(json.loads(json.dumps(summary)))
    assert rec.chosen == "b" and rec.decision_makers == ("Ann", "Bob")
    assert rec.rationale == summary["decision"]["rationale"] and rec.title == summary["title"]
    assert rec.model == analysis.model.to_dict() and rec.model_hash == analysis.model.hash
    assert rec.provenance["seed"] == 1
    assert "## Decision Outcome" in rec.to_madr()


def test_madr_front_matter_keeps_names_with_yaml_line_breaks(evil_analysis):
    # U+2028, U+2029 and NEL are line breaks to YAML: written raw they folded the names, and a
    # C1 control character made the front matter unreadable.
    names = ["Ana\u2028status: rejected", "Bo\u2029b", "Cy\x85d", "Di\x9be"]
    rec = DecisionRecord.from_analysis(evil_analysis, decision_makers=names)
    front, _ = split_front_matter(rec.to_madr())
    assert front["decision-makers"] == names and front["status"] == "accepted"


def test_madr_date_line_cannot_add_front_matter_keys(evil_analysis):
    rec = DecisionRecord.from_dict({**DecisionRecord.from_analysis(evil_analysis).to_dict(), "created": "2026\nx: 1"})
    front, _ = split_front_matter(rec.to_madr())
    assert front["date"] == "2026\nx: 1"[:10] and "x" not in front
