"""The HTML decision memo: one self-contained file rendered from a review's summary.

summary (dict) -> :class:`Memo` -> ``to_html()``. The page carries its charts as Vega-Lite specs
(the review's views, plus a what-if weight control built here) and ONE inline copy of the
Vega / Vega-Lite / vega-embed JavaScript taken from vl-convert-python at render time: no CDN, no
network, no kernel. All text from the data is escaped (Jinja2 autoescape); JSON inside
``<script>`` has ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no
string from the data can close the script element.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.errors import require
from workbench.format import (
    format_count,
    format_delta,
    format_interval,
    format_number,
    format_percent,
    format_value,
)

__all__ = ["Memo", "render_memo", "whatif_spec", "script_json", "javascript_bundle"]

_TEMPLATE = "memo.html.j2"


def script_json(value: Any) -> str:
    """JSON safe to place inside ``<script>``: ``<``, ``>`` and ``&`` escaped as ``\\u00XX``.

    >>> script_json({"id": "</script><script>alert(1)</script>"})
    '{"id": "\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script (from vl-convert-python; ~0.9 MB, cached)."""
    vlc = require("vl_convert", "reports", "The decision memo")
    bundle = vlc.javascript_bundle()
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


def _goodness(x: float | None, ideal: float | None, nadir: float | None, direction: str) -> float | None:
    """Normalised goodness in [0, 1] for the objectives' bounds (1 at the ideal, 0 at the nadir)."""
    if x is None or ideal is None or nadir is None:
        return None
    sign = 1.0 if direction == "min" else -1.0
    span = (nadir - ideal) * sign
    n = (x - ideal) * sign / (span if span > 0 else 1.0)
    return 1.0 - n


def whatif_spec(summary: Mapping[str, Any], *, width: int = 420) -> dict[str, Any] | None:
    """A Vega-Lite spec with one slider per objective weight that re-scores and re-sorts the feasible
    candidates in the page: ``score = Σ w_i g_i / Σ w_i`` where ``g_i`` is the candidate's normalised
    goodness on objective i (the analysis's weighted sum). None when nothing is feasible."""
    a = summary["analysis"]
    objs = a["objectives"]
    rows = []
    for c in a["candidates"]:
        if not c["feasible"]:
            continue
        row: dict[str, Any] = {"candidate": c["id"], "rank": c["rank"]}
        for i, o in enumerate(objs):
            g = _goodness(c["values"].get(o["name"]), o.get("ideal"), o.get("nadir"), o["direction"])
            row[f"g{i}"] = None if g is None or not math.isfinite(g) else round(g, 6)
            row[f"v{i}"] = c["values"].get(o["name"])
        rows.append(row)
    if not rows:
        return None
    top = max(float(o.get("weight") or 0.0) for o in objs) or 1.0
    hi = max(5.0, math.ceil(2 * top))
    params = []
    for i, o in enumerate(objs):
        params.append(
            {
                "name": f"w{i}",
                "value": float(o.get("weight") or 0.0),
                "bind": {"input": "range", "min": 0, "max": hi, "step": 0.1, "name": f"{o['name']} weight "},
            }
        )
    total = " + ".join(f"w{i}" for i in range(len(objs)))
    num = " + ".join(f"w{i} * (isValid(datum.g{i}) ? datum.g{i} : 0)" for i in range(len(objs)))
    tips = [
        {"field": "candidate", "type": "nominal", "title": "candidate"},
        {"field": "whatif", "type": "quantitative", "title": "score under these weights", "format": ".3f"},
        {"field": "rank", "type": "quantitative", "title": "rank in the review"},
    ]
    tips += [
        {
            "field": f"v{i}",
            "type": "quantitative",
            "title": o["name"] + (f" [{o['unit']}]" if o.get("unit") else ""),
            "format": ".4~g",
        }
        for i, o in enumerate(objs)
    ]
    base_tf = [
        {"calculate": f"({total}) > 0 ? ({num}) / ({total}) : 0", "as": "whatif"},
        {
            "window": [{"op": "row_number", "as": "place"}],
            "sort": [{"field": "whatif", "order": "descending"}, {"field": "rank", "order": "ascending"}],
        },
    ]
    # Vega does not re-sort a scale domain when a param changes, so the bars are placed by their
    # computed position ("place", recomputed by the window transform) and named by a text mark.
    y = {"field": "place", "type": "ordinal", "axis": None}
    ranking = {
        "height": {"step": 20},
        "width": width,
        "transform": base_tf,
        "layer": [
            {
                "mark": {"type": "bar", "height": {"band": 0.8}},
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "whatif",
                        "type": "quantitative",
                        "title": "score (↑ better)",
                        "scale": {"domain": [0, 1]},
                    },
                    "color": {"condition": {"test": "datum.place == 1", "value": "#0072B2"}, "value": "#9ecae1"},
                    "tooltip": tips,
                },
            },
            {
                "mark": {"type": "text", "align": "right", "dx": -6, "fontSize": 11},
                "encoding": {
                    "y": y,
                    "x": {"value": 0},
                    "text": {"field": "candidate", "type": "nominal"},
                    "tooltip": tips,
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 10},
                "encoding": {
                    "y": y,
                    "x": {"field": "whatif", "type": "quantitative"},
                    "text": {"field": "whatif", "type": "quantitative", "format": ".3f"},
                },
            },
        ],
    }
    leader = {
        "transform": [*base_tf, {"filter": "datum.place == 1"}],
        "mark": {"type": "text", "align": "left", "fontSize": 14, "fontWeight": "bold"},
        "encoding": {"text": {"field": "leader", "type": "nominal"}},
        "width": width,
        "height": 20,
    }
    leader["transform"].append({"calculate": "'First under these weights: ' + datum.candidate", "as": "leader"})
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "What-if: weights bound to sliders re-score the feasible candidates.",
        "data": {"values": rows},
        "params": params,
        "vconcat": [leader, ranking],
        "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"},
    }


def _fmt(value: Any, unit: str = "") -> str:
    """Numbers through the one formatter (:mod:`workbench.format`); other values as text."""
    return format_value(value, unit or None)


def _pct(value: Any) -> str:
    return format_percent(value)


def _plus_minus(summary: Mapping[str, Any]) -> Any:
    """``pm(candidate, objective, value, unit)``: the value with ``± half-width`` of its seed
    interval when the analysis has per-seed replicates (``analysis.uncertainty.stats``), else the value."""
    from workbench.format import format_plus_minus

    unc = summary["analysis"].get("uncertainty") or {}
    half = {
        (r["candidate"], r["objective"]): (r["ci_high"] - r["mean"], r["n"])
        for r in unc.get("stats", [])
        if r.get("ci_high") is not None and r.get("mean") is not None
    }

    def pm(candidate: Any, objective: str, value: Any, unit: str = "") -> str:
        text = _fmt(value, unit)
        h = half.get((str(candidate), objective))
        if h is None:
            return text
        return format_plus_minus(value, h[0], h[1], unit or None)

    return pm


#: How a constraint reads when it is broken: the operator that holds instead.
_BROKEN = {"<=": ">", "<": "≥", ">=": "<", ">": "≤", "==": "≠"}
_SHOWN = {"<=": "≤", ">=": "≥", "<": "<", ">": ">", "==": "="}


def constraint_checks(summary: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each constraint of the review checked on one candidate, in words that name it and its limit.

    ``[{"constraint", "ok", "text"}]``; a broken one reads ``"error_rate 0.0063 > 0.005 (SLO)"``,
    a met one ``"recall 0.927 ≥ 0.88"``. The check is the constraint's own
    (:meth:`workbench.quality.Constraint.satisfied`), with the limit the analysis resolved.
    """
    from workbench.quality import Constraint

    a = summary["analysis"]
    units = {o["name"]: o.get("unit") or "" for o in a["objectives"]}
    out = []
    for k in a.get("constraints") or []:
        name, limit = k["objective"], k.get("limit")
        value = candidate["values"].get(name)
        if limit is None:
            continue
        ok = value is not None and bool(Constraint.parse(k["constraint"]).satisfied(value, limit=limit))
        u = units.get(name, "")
        op = _SHOWN.get(k["op"], k["op"]) if ok else _BROKEN.get(k["op"], "violates " + k["op"])
        out.append(
            {
                "constraint": k["constraint"],
                "ok": ok,
                "text": f"{name} {_fmt(value, u)} {op} {_fmt(limit, u)}" + ("" if ok else " (SLO)"),
            }
        )
    return out


def _trigger_holds(t: Mapping[str, Any], summary: Mapping[str, Any]) -> bool:
    """Whether a reopen trigger is already true on the day of the decision."""
    a = summary["analysis"]
    chosen = (summary.get("decision") or {}).get("chosen")
    row = next((c for c in a["candidates"] if c["id"] == chosen), None)
    if row is None:
        return False
    kind, th = t.get("kind"), t.get("threshold")
    if kind == "acceptability" and row.get("acceptability") is not None and isinstance(th, (int, float)):
        return row["acceptability"] < th
    if kind == "constraint":
        return any(not c["ok"] for c in constraint_checks(summary, row) if c["constraint"] == t.get("constraint"))
    if kind == "dominated":
        return not row["feasible"] or row["front"] != 0
    if kind == "weight" and isinstance(th, (list, tuple)) and len(th) == 2:
        w = a.get("weights", {}).get(t.get("objective"))
        return w is not None and not (th[0] - 1e-9 <= w <= th[1] + 1e-9)
    return False


def _reworded(text: str) -> str:
    """Trigger text in the memo's words: the decided model is the recommended one, not a 'champion'."""
    return re.sub(r"^champion ", "", re.sub(r"--against champion", "--against incumbent", text))


def _triggers(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Reopen triggers ``[{"text", "holds"}]``: from the decision record (workbench.decisions) when
    available; ``holds`` marks one that is already true at decision time."""
    d = summary.get("decision") or {}
    if d.get("reopen_triggers"):
        raw = [t if isinstance(t, Mapping) else {"description": str(t)} for t in d["reopen_triggers"]]
    elif not d.get("chosen"):
        return [{"text": "a candidate that meets every constraint appears", "holds": False}]
    else:
        try:
            from workbench.decisions import DecisionRecord

            raw = [t for t in DecisionRecord.from_summary(dict(summary)).reopen_triggers if not _whole_range(t)]
        except Exception:  # noqa: BLE001 - the memo must render without the decision log
            chosen = d["chosen"]
            raw = [
                {
                    "kind": "constraint",
                    "constraint": c["constraint"],
                    "description": f"{chosen} violates {c['constraint']} in production",
                }
                for c in summary["analysis"].get("constraints", [])
            ]
            raw.append({"kind": "dominated", "description": f"a new candidate dominates {chosen}"})
    return [{"text": _reworded(str(t.get("description", ""))), "holds": _trigger_holds(t, summary)} for t in raw]


def _whole_range(trigger: Mapping[str, Any]) -> bool:
    """A weight trigger over the whole [0, 1] range can never fire: not worth a line in the memo."""
    th = trigger.get("threshold")
    return (
        trigger.get("kind") == "weight"
        and isinstance(th, (list, tuple))
        and len(th) == 2
        and th[0] <= 1e-9
        and th[1] >= 1 - 1e-9
    )


def _options(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    a = summary["analysis"]
    d = summary.get("decision") or {}
    chosen = d.get("chosen")
    out = []
    for c in a["candidates"]:
        if not c["feasible"]:
            status = "infeasible"
        elif c["front"] == 0:
            status = "Pareto front"
        else:
            status = f"dominated (front {c['front']})"
        broken = [k["text"] for k in constraint_checks(summary, c) if not k["ok"]]
        out.append(
            {
                **c,
                "status": status,
                "chosen": c["id"] == chosen,
                "recommended": c["id"] == a["recommended"],
                "incumbent": c["id"] == a.get("champion"),
                "broken": broken,
            }
        )
    return out


def _objective_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    a = summary["analysis"]
    units = {o["name"]: o.get("unit") or "" for o in a["objectives"]}
    limits: dict[str, list[str]] = {}
    for c in a.get("constraints", []):
        limits.setdefault(c["objective"], []).append(
            f"{_SHOWN.get(c['op'], c['op'])} {_fmt(c['limit'], units.get(c['objective'], ''))}"
        )
    out = []
    for o in a["objectives"]:
        out.append(
            {
                **o,
                "unit": o.get("unit") or "",
                "constraint": ", ".join(limits.get(o["name"], [])) or "–",
                "arrow": "↓ lower is better" if o["direction"] == "min" else "↑ higher is better",
            }
        )
    return out


def _headline(summary: Mapping[str, Any]) -> dict[str, Any]:
    """What the first screen says: the recommendation, the incumbent, the constraints, the robustness
    verdict and what is given up against the runner-up (all as short texts)."""
    from workbench.reports.review import tradeoffs

    a = summary["analysis"]
    d = summary.get("decision") or {}
    chosen = d.get("chosen")
    row = next((c for c in a["candidates"] if c["id"] == chosen), None)
    out: dict[str, Any] = {
        "incumbent": a.get("champion"),
        "checks": [],
        "robust": None,
        "verdict": "",
        "given_up": None,
    }
    if row is None:
        return out
    out["checks"] = constraint_checks(summary, row)
    acc = row.get("acceptability")
    samples = (a.get("parameters") or {}).get("smaa") or 0
    if acc is not None:
        out["robust"] = acc >= 0.5
        out["verdict"] = (
            f"Robust to the weights: first under {format_percent(acc)} of "
            f"{format_count(samples)} random weightings (SMAA-2)."
            if acc >= 0.5
            else f"Depends on the weights: first under only {format_percent(acc)} of "
            f"{format_count(samples)} random weightings (SMAA-2); see the stability ranges."
        )
    flips = [r for r in a.get("stability") or [] if r.get("upper_winner") or r.get("lower_winner")]
    if flips:
        r = min(
            flips, key=lambda r: min(abs((r.get("upper") or 1) - r["weight"]), abs(r["weight"] - (r.get("lower") or 0)))
        )
        edge = (
            f"{r['objective']} weighs more than {format_percent(r['upper'])} (then {r['upper_winner']})"
            if r.get("upper_winner")
            else f"{r['objective']} weighs less than {format_percent(r['lower'])} (then {r['lower_winner']})"
        )
        out["verdict"] = (out["verdict"] + " " if out["verdict"] else "") + f"It stays first unless {edge}."
    ranked = sorted((c for c in a["candidates"] if c["feasible"] and c["id"] != chosen), key=lambda c: c["rank"])
    if ranked:
        t = tradeoffs(a, chosen, [ranked[0]["id"]])
        if t:
            units = {o["name"]: o.get("unit") or "" for o in a["objectives"]}

            def items(xs: list[dict[str, Any]]) -> str:
                # unsigned, with its direction: "gains energy_wh -19.5 µWh" read as a loss of a loss
                return ", ".join(
                    f"{i['objective']} {format_number(abs(i['delta']), units.get(i['objective']) or None)} "
                    f"{'higher' if i['delta'] > 0 else 'lower'}"
                    for i in xs
                )

            out["given_up"] = {
                "against": ranked[0]["id"],
                "gives_up": items(t[0]["gives_up"]),
                "gains": items(t[0]["gains"]),
                "same": ", ".join(i["objective"] for i in t[0].get("same", [])),
                "noise": ", ".join(i["objective"] for i in t[0].get("noise", [])),
            }
    return out


@dataclass(frozen=True)
class Memo:
    """A decision memo: ``Memo(summary).to_html()``; ``views`` default to the summary's."""

    summary: Mapping[str, Any]

    @classmethod
    def from_analysis(cls, analysis: Any, **kwargs: Any) -> Memo:
        """A memo straight from an :class:`~workbench.Analysis` (``build_summary`` keywords)."""
        from workbench.reports.review import build_summary

        return cls(build_summary(analysis, **kwargs))

    def context(self) -> dict[str, Any]:
        s = self.summary
        a = s["analysis"]
        views = dict(s.get("views") or {})
        whatif = whatif_spec(s)
        charts = {name: script_json(spec) for name, spec in views.items()}
        if whatif is not None:
            charts["whatif"] = script_json(whatif)
        mon = s.get("monitoring") or None
        if mon and mon.get("panel"):
            charts["monitoring"] = script_json(mon["panel"])
        d = s.get("decision") or {}
        prov = s.get("provenance") or {}
        return {
            "s": s,
            "a": a,
            "d": d,
            "prov": prov,
            "title": s.get("title") or "Trade-off review",
            "objectives": _objective_rows(s),
            "options": _options(s),
            "charts": charts,
            "triggers": _triggers(s),
            "fmt": _fmt,
            "pct": _pct,
            "pm": _plus_minus(s),
            "count": format_count,
            "delta": format_delta,
            "interval": lambda lo, hi, unit="": format_interval(lo, hi, unit or None),
            "headline": _headline(s),
            "units": {o["name"]: o.get("unit") or "" for o in a["objectives"]},
            "robustness": d.get("robustness"),
            "chosen_row": next((c for c in a["candidates"] if c["id"] == d.get("chosen")), None),
            "stability": a.get("stability") or [],
            "rates": [r for r in a.get("rates") or [] if r.get("text")],
            "mon": mon,
        }

    def to_html(self) -> str:
        """The memo as one HTML page (UTF-8 text)."""
        jinja2 = require("jinja2", "reports", "The decision memo")
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("workbench.reports", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        ctx = self.context()
        ctx["bundle"] = javascript_bundle()
        return env.get_template(_TEMPLATE).render(**ctx)


def render_memo(summary: Mapping[str, Any], analysis: Any = None) -> str:
    """Render the memo of a review summary; with ``analysis``, views missing from the summary are built."""
    if analysis is not None and not summary.get("views"):
        from workbench.reports.review import view_specs

        summary = {**summary, "views": view_specs(analysis)}
    return Memo(summary).to_html()
