"""The one MADR 4.0 renderer: a decision record, or a review summary, as Markdown.

Every MADR text the workbench writes comes from here: ``DecisionRecord.to_madr()``, ``workbench
export madr``, ``decisions show --format madr`` and the review's ``decision.md`` (also when nothing
is chosen, so no record can be built). Text from the data is escaped by
:mod:`workbench.decisions._markdown`; numbers are formatted by :mod:`workbench.format`. Pure
functions: no SQLAlchemy, no Jupyter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from workbench.decisions._markdown import md_code, md_escape, md_paragraphs, yaml_date, yaml_value
from workbench.decisions._text import MADR_OPTIONS, compare, num, resolved
from workbench.format import format_number

if TYPE_CHECKING:
    from workbench.decisions.record import DecisionRecord

__all__ = ["no_choice_madr", "record_madr"]


def record_madr(record: DecisionRecord) -> str:
    """MADR 4.0 Markdown of a :class:`~workbench.decisions.DecisionRecord` (what
    ``DecisionRecord.to_madr()`` returns; :func:`workbench.decisions.render_madr` also takes a summary)."""
    return _record_madr(record)


def no_choice_madr(summary: Mapping[str, Any]) -> str:
    """MADR 4.0 Markdown of a review summary in which nothing could be chosen (no candidate meets
    every constraint): the considered options and the hashes."""
    return _no_choice_madr(summary)


def _seed_values(o: Mapping[str, Any], units: Mapping[str, str]) -> str:
    """``; over seeds: acc 0.912 ± 0.004 (n=5), ...`` for an option with seed statistics."""
    seeds = o.get("seeds") or {}
    parts = []
    for name, st in seeds.items():
        if st.get("ci_high") is None or st.get("mean") is None:
            continue
        unit = units.get(name) or None
        parts.append(
            f"{md_escape(name)} {md_escape(format_number(st['mean'], unit))} ± "
            f"{md_escape(format_number(st['ci_high'] - st['mean'], unit))} (n={st['n']})"
        )
    return "; over seeds: " + ", ".join(parts) if parts else ""


def _no_choice_madr(summary: Mapping[str, Any]) -> str:
    a, d = summary["analysis"], summary.get("decision") or {}
    prov = summary.get("provenance") or {}
    lines = [
        "---",
        "status: proposed",
        f"date: {yaml_date(prov.get('finished', ''))}",
        f"decision-makers: {yaml_value([str(n) for n in d.get('decision_makers') or []])}",
        "---",
        "",
        f"# {md_escape(summary.get('title') or 'Trade-off review')}",
        "",
        "## Context and Problem Statement",
        "",
        md_paragraphs(summary.get("question") or "Choose a candidate under the quality model."),
        "",
        "## Considered Options",
        "",
    ]
    lines += [f"* {md_escape(c['id'])}" for c in a["candidates"]]
    lines += ["", "## Decision Outcome", "", "No option chosen: no candidate meets every constraint.", ""]
    if d.get("rationale"):
        lines += [md_paragraphs(d["rationale"]), ""]
    lines += [
        "## More Information",
        "",
        f"* quality model hash: {md_code(a.get('model_hash'))}",
        f"* data hash: {md_code(a.get('data_hash'))}",
        f"* source: {md_code(a.get('source'))}",
        "",
    ]
    return "\n".join(lines)


def _front_matter(r: DecisionRecord) -> str:
    # lists as JSON flow sequences (valid YAML): one line each, whatever the names contain
    lines = ["---", f"status: {r.status}", f"date: {yaml_date(r.created)}"]
    for key, names in (("decision-makers", r.decision_makers), ("consulted", r.consulted), ("informed", r.informed)):
        lines.append(f"{key}: {yaml_value(list(names))}")
    return "\n".join(lines) + "\n---\n"


def _status_of(o: dict[str, Any]) -> str:
    if not o.get("feasible"):
        return "infeasible"
    return "Pareto-optimal" if o.get("front") == 0 else f"dominated (front {o.get('front')})"


def _record_madr(r: DecisionRecord) -> str:
    e = md_escape
    objs = r.model.get("objectives", [])
    units = {o["name"]: o.get("unit") or "" for o in objs}
    lines = [
        _front_matter(r),
        f"# {e(r.title)}",
        "",
        "## Context and Problem Statement",
        "",
        md_paragraphs(r.context) or "–",
        "",
        "## Decision Drivers",
        "",
    ]
    for o in objs:
        arrow = "lower is better" if o["direction"] == "min" else "higher is better"
        w = r.weights.get(o["name"])
        extra = f", tolerance {num(o.get('tolerance'), units[o['name']])}" if o.get("tolerance") else ""
        attr = f" ({e(o['quality_attribute'])})" if o.get("quality_attribute") else ""
        lines.append(
            f"* {e(o['name'])}{attr}: {arrow}, weight {num(w) if w is not None else num(o.get('weight'))}"
            f"{extra}" + (f" — {e(o['description'])}" if o.get("description") else "")
        )
    for c in r.constraints:
        plain = resolved(c)
        lines.append(f"* Hard constraint: {e(c.get('constraint'))}" + (f" (resolved: {e(plain)})" if plain else ""))
    ranked = sorted(r.options, key=lambda o: o["rank"] if o["rank"] is not None else math.inf)
    shown = [o for o in ranked if o["id"] == r.chosen or o.get("front") == 0 and o.get("feasible")]
    shown += [o for o in ranked if o not in shown]
    shown = sorted(shown[:MADR_OPTIONS], key=lambda o: o["rank"] if o["rank"] is not None else math.inf)
    lines += ["", "## Considered Options", ""]
    for o in shown:
        lines.append(
            f"* {e(o['id'])} — rank {o['rank']}, {_status_of(o)}, score {num(o['score'])}"
            + (f", first-rank acceptability {o['acceptability']:.3g}" if o.get("acceptability") is not None else "")
            + _seed_values(o, units)
        )
    if len(r.options) > len(shown):
        lines.append(f"* … and {len(r.options) - len(shown)} more options (all in the decision record's JSON).")
    lines += ["", "## Decision Outcome", ""]
    me = r.option
    because = (
        md_paragraphs(r.rationale)
        if r.rationale.strip()
        else (f"it ranks {me['rank']} under {e(r.method)} with the agreed weights and is {_status_of(me)}")
    )
    lines.append(f'Chosen option: "{e(r.chosen)}", because {because}')
    lines += ["", "### Consequences", ""]
    goods, bads = [], []
    for t in r.accepted_tradeoffs:
        other = next((o for o in r.options if o["id"] == t["versus"]), None)

        def items(d: dict[str, float], t: dict[str, Any] = t, other: Any = other) -> str:
            return ", ".join(
                f"{e(num(v, units.get(n, '')))} {e(n)} ({e(num(me['values'].get(n), units.get(n, '')))} vs "
                f"{e(num(other['values'].get(n), units.get(n, '')) if other else '–')})"
                for n, v in d.items()
            )

        if t["gains"]:
            goods.append(f"* Good, because against {e(t['versus'])} ({e(t['relation'])}) it gains {items(t['gains'])}")
        if t["gives_up"]:
            bads.append(
                f"* Bad, because against {e(t['versus'])} ({e(t['relation'])}) it gives up {items(t['gives_up'])}"
            )
    if not me.get("feasible"):
        bads.insert(
            0, f"* Bad, because it violates at least one hard constraint (total violation {num(me.get('violation'))})"
        )
    elif me.get("front") != 0:
        bads.insert(0, f"* Bad, because it is dominated (front {me.get('front')})")
    lines += goods + bads or ["* Neutral, because no other option was compared."]
    for text in r.robustness.get("text") or []:
        lines.append(f"* Robustness: {e(text)}")
    lines += [
        "",
        "### Confirmation",
        "",
        "Confirmed in CI and in production by the push-down artefacts of this decision:",
        "",
        (
            f"* CI gate: {md_code(f'workbench gate CANDIDATES --model quality.yaml --candidate NEW --against champion --champion {r.chosen}')}"
            " exits 1 when a new candidate violates a constraint or the champion dominates it beyond tolerance"
            " (with seed replicates: with probability of at least 0.95)."
        ),
        (
            f"* Alerting rules: {md_code(f'workbench export prometheus --decision {r.id}')} (one alert per "
            "monitored constraint)."
        ),
        (
            f"* Audit: {md_code(f'workbench decisions verify {r.id[:12]}')} re-derives this decision from its "
            "data and checks the data and model hashes, the choice and the summary digest."
        ),
    ]
    for t in r.reopen_triggers:
        if t["kind"] == "constraint":
            lines.append(f"* Monitor: {e(t['constraint'])} (alert when the {e(t['objective'])} limit is crossed)")
    for p in r.pushdown:
        lines.append(f"* Pushed down: {e(p.get('kind'))} — {e(p.get('target') or p.get('path') or '')}")
    lines += ["", "## Pros and Cons of the Options", ""]
    objectives = [o for o in objs]
    for o in shown:
        lines += [f"### {e(o['id'])}", ""]
        if o["id"] == r.chosen:
            lines.append(f"* Good, because it is the chosen option ({_status_of(o)}, rank {o['rank']})")
        else:
            cmp = compare(o, me, objectives)
            for name, v in cmp["gains"].items():
                lines.append(
                    f"* Good, because it is better than {e(r.chosen)} in {e(name)} by {e(num(v, units.get(name, '')))}"
                )
            for name, v in cmp["gives_up"].items():
                lines.append(
                    f"* Bad, because it is worse than {e(r.chosen)} in {e(name)} by {e(num(v, units.get(name, '')))}"
                )
            if cmp["ties"]:
                lines.append(
                    f"* Neutral, because it ties with {e(r.chosen)} (within tolerance) in "
                    + ", ".join(e(n) for n in cmp["ties"])
                )
            if cmp["noise"]:
                lines.append(
                    f"* Neutral, because its difference from {e(r.chosen)} is within seed noise "
                    "(Welch's 95 % interval of the difference of the means includes 0) in "
                    + ", ".join(e(n) for n in cmp["noise"])
                )
            if not o.get("feasible"):
                lines.append("* Bad, because it violates a hard constraint")
            elif o.get("front") != 0:
                lines.append(f"* Bad, because it is dominated (front {o.get('front')})")
        lines.append("")
    lines += [
        "## More Information",
        "",
        f"* Decision id: {md_code(r.id)}, recorded {e(r.created)}"
        + (f"; supersedes {md_code(r.supersedes)}" if r.supersedes else ""),
        f"* Quality model hash: {md_code(r.model_hash)}",
        f"* Candidate data hash: {md_code(r.data_hash)} ({len(r.candidates)} candidates)",
        f"* Method: {e(r.method)}; weights: " + ", ".join(f"{e(k)} {v:.3g}" for k, v in r.weights.items()),
    ]
    prov = r.provenance
    for key in ("source", "workbench_version", "template", "template_version", "seed"):
        if prov.get(key) is not None:
            lines.append(f"* {e(key)}: {e(prov[key])}")
    if prov.get("parameters"):
        lines.append("* Analysis parameters: " + ", ".join(f"{e(k)}={e(v)}" for k, v in prov["parameters"].items()))
    lines += ["", "Reopen this decision when:", ""]
    lines += [f"* {e(t['description'])}" for t in r.reopen_triggers] or ["* (no trigger)"]
    return "\n".join(lines).rstrip() + "\n"
