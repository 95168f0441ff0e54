"""A minimal MADR 4.0 rendering of a review summary, used only when :mod:`workbench.decisions`
cannot be imported (the decision record proper is ``DecisionRecord.from_summary(...).to_madr()``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["render_madr"]


def _md(text: Any) -> str:
    """Escape Markdown/HTML-significant characters of text from the data."""
    out = str(text)
    for ch in "\\`*_{}[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def render_madr(summary: Mapping[str, Any]) -> str:
    """MADR 4.0 Markdown of a review summary's decision."""
    a, d = summary["analysis"], summary.get("decision") or {}
    prov = summary.get("provenance") or {}
    chosen = d.get("chosen")
    lines = ["---", "status: accepted", f"date: {str(prov.get('finished', ''))[:10]}",
             f"decision-makers: {', '.join(d.get('decision_makers') or [])}", "---", "",
             f"# {_md(summary.get('title') or 'Trade-off review')}", "",
             "## Context and Problem Statement", "", _md(summary.get("question") or
                                                         "Choose a candidate under the quality model."),
             "", "## Considered Options", ""]
    lines += [f"* {_md(c['id'])}" for c in a["candidates"]]
    lines += ["", "## Decision Outcome", "",
              f"Chosen option: \"{_md(chosen)}\", because {_md(d.get('rationale', ''))}" if chosen
              else "No option chosen: no candidate meets every constraint.", ""]
    if d.get("tradeoffs"):
        lines += ["### Consequences", ""]
        lines += [f"* {_md(t['text'])}" for t in d["tradeoffs"]]
        lines.append("")
    lines += ["## More Information", "", f"* quality model hash: `{a.get('model_hash')}`",
              f"* data hash: `{a.get('data_hash')}`", f"* source: `{a.get('source')}`", ""]
    return "\n".join(lines)
