"""A minimal MADR 4.0 rendering of a review summary, used only when the decision record proper
(``DecisionRecord.from_summary(...).to_madr()``) cannot be built, e.g. when nothing is chosen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Text from the data is escaped exactly as in the decision record (pure functions, no SQLAlchemy).
from workbench.decisions._markdown import md_code, md_escape, md_paragraphs, yaml_date, yaml_value

__all__ = ["render_madr"]


def render_madr(summary: Mapping[str, Any]) -> str:
    """MADR 4.0 Markdown of a review summary's decision."""
    a, d = summary["analysis"], summary.get("decision") or {}
    prov = summary.get("provenance") or {}
    chosen = d.get("chosen")
    because = md_paragraphs(d.get("rationale", ""))
    lines = ["---", "status: accepted", f"date: {yaml_date(prov.get('finished', ''))}",
             f"decision-makers: {yaml_value([str(n) for n in d.get('decision_makers') or []])}", "---", "",
             f"# {md_escape(summary.get('title') or 'Trade-off review')}", "",
             "## Context and Problem Statement", "",
             md_paragraphs(summary.get("question") or "Choose a candidate under the quality model."),
             "", "## Considered Options", ""]
    lines += [f"* {md_escape(c['id'])}" for c in a["candidates"]]
    lines += ["", "## Decision Outcome", "",
              f"Chosen option: \"{md_escape(chosen)}\", because {because}" if chosen
              else "No option chosen: no candidate meets every constraint.", ""]
    if d.get("tradeoffs"):
        lines += ["### Consequences", ""]
        lines += [f"* {md_escape(t['text'])}" for t in d["tradeoffs"]]
        lines.append("")
    lines += ["## More Information", "", f"* quality model hash: {md_code(a.get('model_hash'))}",
              f"* data hash: {md_code(a.get('data_hash'))}", f"* source: {md_code(a.get('source'))}", ""]
    return "\n".join(lines)
