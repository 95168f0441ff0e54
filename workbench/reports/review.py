"""What a review template computes besides the analysis: the decision in words, the views as
Vega-Lite specs, provenance, and the JSON-safe summary every output is rendered from.

The shipped notebooks stay thin: they load, call :func:`workbench.analyze`, display, and call
:func:`build_summary` / :func:`write_summary`. Everything here is a pure function of the analysis
and the parameters, so the same inputs and seed give the same summary.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench._io import atomic_write_text, file_sha256
from workbench.analysis.analyze import to_jsonable
from workbench.format import format_number, format_percent

__all__ = [
    "SUMMARY_VERSION",
    "MODEL_WEIGHTS",
    "split_names",
    "stakeholder_weights",
    "main_pair",
    "decide",
    "seed_evidence",
    "rationale",
    "tradeoffs",
    "view_specs",
    "provenance",
    "build_summary",
    "write_summary",
    "package_versions",
]

#: Version of the summary's layout (bump when keys change meaning).
SUMMARY_VERSION = "1"
#: Width in pixels the memo's charts are laid out for (its content box at a 1280 px window).
MEMO_WIDTH = 1100
#: Packages whose versions the provenance records (when installed).
PACKAGES = (
    "mltradeops-workbench",
    "numpy",
    "pandas",
    "scipy",
    "altair",
    "vl-convert-python",
    "papermill",
    "nbclient",
    "jinja2",
    "mlflow-skinny",
    "optuna",
    "codecarbon",
    "scikit-learn",
)


def split_names(value: str | Iterable[str] | None) -> list[str]:
    """``"a, b"`` or ``["a", "b"]`` -> ``["a", "b"]``; empty or None -> ``[]``.

    >>> split_names("Ana Lima, ops team ,")
    ['Ana Lima', 'ops team']
    >>> split_names(["x", " y "])
    ['x', 'y']
    """
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [s.strip() for s in items if s and s.strip()]


#: In ``stakeholders``, this name stands for the quality model's own weights.
MODEL_WEIGHTS = "model"


def stakeholder_weights(names: list[str]) -> str | None:
    """The ``weights=`` argument of :func:`workbench.analyze` for a ``stakeholders`` list: the first
    name, or None (the model's weights) when the list is empty or starts with ``"model"``."""
    return names[0] if names and names[0] != MODEL_WEIGHTS else None


def _num(value: float | None, unit: str = "") -> str:
    return format_number(value, unit or None)


def _num4(value: float | None, unit: str = "") -> str:
    return format_number(value, unit or None)


def _signed(value: float, unit: str = "") -> str:
    return ("+" if value > 0 else "") + _num(value, unit)


def _objectives(summary_analysis: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(summary_analysis["objectives"])


def seed_stats(a: Mapping[str, Any]) -> tuple[dict[tuple[str, str], tuple[float, float, int]], float]:
    """``{(candidate, objective): (mean, sd, n)}`` of the per-seed replicates in ``a``
    (:meth:`Analysis.to_dict`'s ``uncertainty.stats``) and their level; empty without replicates."""
    unc = a.get("uncertainty") or {}
    stats = {
        (str(r["candidate"]), str(r["objective"])): (r.get("mean"), r.get("sd"), int(r.get("n") or 0))
        for r in unc.get("stats") or []
    }
    return stats, float(unc.get("level") or 0.95)


def tradeoffs(a: Mapping[str, Any], chosen: str, against: Iterable[str]) -> list[dict[str, Any]]:
    """What ``chosen`` gains and gives up against each candidate of ``against``, per objective.

    ``a`` is :meth:`Analysis.to_dict`. Returns one dict per alternative: ``against``, ``gains`` and
    ``gives_up`` (lists of ``{objective, delta, unit, chosen, other}``, deltas as chosen - other in
    the objective's own unit), ``same`` (within the objective's tolerance), ``noise`` and ``text``
    ("we give up ... for ...").

    A difference is a gain or a give-up only when the evidence says so: beyond the objective's
    tolerance and, when both candidates have per-seed replicates, with Welch's interval of the
    difference of the means (at the analysis's level) excluding 0. A difference inside that
    interval goes to ``noise``, with ``lo``, ``hi``, ``n`` (the two seed counts) and ``level``.
    """
    from workbench.analysis.uncertainty import seed_noise

    by_id = {c["id"]: c for c in a["candidates"]}
    objs = _objectives(a)
    seeds, level = seed_stats(a)
    out = []
    for other in against:
        if other == chosen or other not in by_id:
            continue
        mine, theirs = by_id[chosen]["values"], by_id[other]["values"]
        gains, gives, same, noise = [], [], [], []
        for o in objs:
            x, y = mine.get(o["name"]), theirs.get(o["name"])
            if x is None or y is None:
                continue
            item = {"objective": o["name"], "delta": x - y, "unit": o.get("unit", ""), "chosen": x, "other": y}
            if abs(x - y) <= float(o.get("tolerance") or 0.0):
                same.append(item)  # within the objective's tolerance: no material difference
                continue
            sa, sb = seeds.get((str(chosen), o["name"])), seeds.get((str(other), o["name"]))
            within = seed_noise(sa, sb, level) if sa is not None and sb is not None else None
            if within is not None:
                noise.append({**item, "lo": within[0], "hi": within[1], "n": [sa[2], sb[2]], "level": level})
                continue
            better = x > y if o["direction"] == "max" else x < y
            (gains if better else gives).append(item)

        def words(items: list[dict[str, Any]]) -> str:
            parts = [f"{_num(abs(i['delta']), i['unit'])} of {i['objective']}" for i in items]
            return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

        if gives and gains:
            text = f"Against {other}, we give up {words(gives)} for {words(gains)}."
        elif gains:
            text = f"{chosen} is better than {other} on {words(gains)} and worse on none."
        elif gives:
            text = f"{other} is better on {words(gives)} and worse on none."
        elif noise:
            text = f"{chosen} and {other}: no difference beyond seed noise on any objective."
        else:
            text = f"{chosen} and {other}: no material difference on any objective."
        if noise and (gains or gives):
            text = text[:-1] + "; within seed noise: " + ", ".join(i["objective"] for i in noise) + "."
        if noise:
            counts = sorted({tuple(i["n"]) for i in noise})
            seeds_text = " or ".join(f"{m} and {k}" for m, k in counts)
            text = text[:-1] + (
                f" (Welch's {format_percent(level)} interval of each difference includes 0; {seeds_text} seeds)."
            )
        if same and (gains or gives or noise):
            text = text[:-1] + (
                "; no material difference in " + ", ".join(i["objective"] for i in same) + " (within tolerance)."
            )
        out.append({"against": other, "gains": gains, "gives_up": gives, "same": same, "noise": noise, "text": text})
    return out


def rationale(a: Mapping[str, Any], chosen: str | None, stakeholder_choices: Mapping[str, Any] | None = None) -> str:
    """One paragraph saying why ``chosen`` was chosen, from ranks, weights, constraints, trade-offs and
    robustness in ``a`` (:meth:`Analysis.to_dict`)."""
    if chosen is None:
        return (
            "No candidate meets every constraint, so nothing is chosen. The closest candidates are "
            "listed by their total constraint violation; relax a constraint or find better candidates."
        )
    by_id = {c["id"]: c for c in a["candidates"]}
    c = by_id[chosen]
    n = a["n_candidates"]
    weights = ", ".join(f"{k} {format_percent(v)}" for k, v in sorted(a["weights"].items(), key=lambda kv: -kv[1]))
    s = [f"We recommend {chosen}."]
    status = "" if c["feasible"] else "violates a constraint, "
    front = (
        "is on the Pareto front"
        if c["front"] == 0 and c["feasible"]
        else "is off the feasible Pareto front (another candidate is better on every objective)"
    )
    s.append(
        f"Of {n} candidates ({a['n_feasible']} feasible, {len(a['front'])} on the Pareto front) it "
        f"{status}{front} and ranks {c['rank']} by the {a['method'].replace('_', ' ')} score "
        f"({_num(c['score'])}) under the weights {weights}."
    )
    if a["recommended"] is not None and a["recommended"] != chosen:
        s.append(
            f"The analysis ranks {a['recommended']} first; the decision makers recommend {chosen} "
            f"instead, for reasons stated by them."
        )
    ranked = sorted((x for x in a["candidates"] if x["feasible"] and x["id"] != chosen), key=lambda x: x["rank"])
    if ranked:
        runner = ranked[0]
        s.append(f"The runner-up is {runner['id']} (score {_num(runner['score'])}).")
        t = tradeoffs(a, chosen, [runner["id"]])
        if t:
            s.append(t[0]["text"])
    units = {o["name"]: o.get("unit") or "" for o in _objectives(a)}
    limits = [
        f"{k['objective']} {k['op']} {_num4(k['limit'], units.get(k['objective'], ''))} "
        f"(it has {_num4(c['values'].get(k['objective']), units.get(k['objective'], ''))})"
        for k in a.get("constraints", [])
        if k.get("limit") is not None
    ]
    if limits and c["feasible"]:
        s.append("It meets every constraint: " + "; ".join(limits) + ".")
    if c.get("acceptability") is not None:
        samples = a.get("parameters", {}).get("smaa", 0)
        s.append(
            f"It ranks first under {format_percent(c['acceptability'])} of {samples:,} random weightings (SMAA-2 "
            f"rank acceptability), so the choice does not hinge on the exact weights."
            if c["acceptability"] >= 0.5
            else f"It ranks first under only {format_percent(c['acceptability'])} of {samples:,} random weightings "
            f"(SMAA-2), so the choice depends on the weights: check the stability ranges."
        )
    flips = []
    for r in a.get("stability") or []:
        if r.get("upper_winner"):
            flips.append(
                f"the weight share of {r['objective']} rises above {format_percent(r['upper'])} "
                f"(then {r['upper_winner']} wins)"
            )
        if r.get("lower_winner"):
            flips.append(
                f"the weight share of {r['objective']} falls below {format_percent(r['lower'])} "
                f"(then {r['lower_winner']} wins)"
            )
    if flips:
        s.append("It stays first unless " + "; or ".join(flips) + ".")
    if stakeholder_choices:
        named = {
            ("the quality model's weights" if k == MODEL_WEIGHTS else k): v for k, v in stakeholder_choices.items()
        }
        if set(named.values()) == {chosen}:
            s.append(f"Every listed stakeholder's own weights ({', '.join(named)}) pick {chosen} too.")
        else:
            s.append(
                "Under each stakeholder's own weights the choice would be: "
                + "; ".join(f"{k} → {v or 'nothing feasible'}" for k, v in named.items())
                + "."
            )
    return " ".join(s)


def decide(
    analysis: Any, *, chosen: str | None = None, decision_makers: Any = None, stakeholders: Any = None
) -> dict[str, Any]:
    """The decision block of a review: ``chosen`` (default: the recommended candidate), a generated
    ``rationale``, ``decision_makers``, ``tradeoffs`` against the other front members, and each named
    stakeholder's top choice under their own weights."""
    from workbench.analysis import analyze
    from workbench.errors import UnknownNameError, unknown_name

    a = analysis.to_dict()
    ids = [x["id"] for x in a["candidates"]]
    if chosen:
        if chosen not in ids:
            raise UnknownNameError(
                unknown_name(
                    "Candidate",
                    chosen,
                    ids,
                    where="a candidate of this review",
                    fix="set 'chosen' to one of the candidate ids.",
                )
            )
    else:
        chosen = a["recommended"]
    choices: dict[str, Any] = {}
    for name in split_names(stakeholders):
        weights = None if name == MODEL_WEIGHTS else name
        other = analyze(
            analysis.candidates,
            analysis.model,
            method=analysis.method,
            weights=weights,
            champion=analysis.champion,
            stability=False,
        )
        choices[name] = other.recommended
    against = [f for f in a["front"] if f != chosen][:5]
    robustness = seed_evidence(analysis, chosen)
    return {
        "chosen": chosen,
        "recommended": a["recommended"],
        "overrides_recommendation": chosen is not None and chosen != a["recommended"],
        "rationale": rationale(a, chosen, choices),
        "robustness": robustness,
        "decision_makers": split_names(decision_makers),
        "stakeholder_choices": choices,
        "tradeoffs": tradeoffs(a, chosen, against) if chosen else [],
    }


def seed_evidence(analysis: Any, chosen: str | None) -> dict[str, Any]:
    """The decision box's robustness verdict: :func:`workbench.analysis.uncertainty.chosen_evidence`."""
    from workbench.analysis.uncertainty import chosen_evidence

    return chosen_evidence(analysis, chosen)


def main_pair(analysis: Any) -> tuple[str, str]:
    """The two objectives of the main scatter: the heaviest, and the heaviest one it conflicts with."""
    names = sorted(analysis.weights, key=lambda n: -analysis.weights[n])
    x = names[0]
    conf = analysis.conflicts
    if len(conf):
        rows = conf[(conf["a"] == x) | (conf["b"] == x)].sort_values("rho")
        for _, r in rows.iterrows():
            if r["rho"] is not None and r["rho"] < 0:
                return x, r["b"] if r["a"] == x else r["a"]
    quality = {o.name: o.quality_attribute for o in analysis.model.objectives}
    other = [n for n in names[1:] if quality[n] != quality[x]] or names[1:]
    return x, other[0]


def view_specs(analysis: Any) -> dict[str, dict[str, Any]]:
    """The review's charts as Vega-Lite specs (dicts with inline named datasets), by name.

    ``pareto``: the main scatter linked to parallel coordinates by a brush; ``ranking``;
    ``acceptability`` (with SMAA); ``stability`` (with weight stability); ``conflicts``.
    A view that the analysis cannot support (e.g. fewer than two objectives) is left out.
    """
    import workbench.views as views

    out: dict[str, dict[str, Any]] = {}
    if len(analysis.model.names) >= 2:
        x, y = main_pair(analysis)
        # the memo's content box (MEMO_WIDTH): the parallel coordinates go under the scatter when
        # they do not fit beside it; axes span the feasible candidates, outliers sit at the edge
        out["pareto"] = views.linked_views(analysis, x, y, width=MEMO_WIDTH, focus=True).to_dict()
    out["ranking"] = views.ranking_bars(analysis).to_dict()
    if analysis.smaa is not None:
        out["acceptability"] = views.acceptability_bars(analysis).to_dict()
    if analysis.stability is not None and len(analysis.stability):
        out["stability"] = views.stability_tornado(analysis).to_dict()
    if len(analysis.conflicts):
        out["conflicts"] = views.conflict_heatmap(analysis).to_dict()
    return to_jsonable(out)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a review depends on (missing ones are left out)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


_SPEC = re.compile(r"^(mlflow|optuna):")


def _input(path_or_spec: str | None, role: str) -> dict[str, Any] | None:
    if not path_or_spec:
        return None
    if _SPEC.match(str(path_or_spec)):
        return {"role": role, "spec": str(path_or_spec)}
    p = Path(path_or_spec)
    return {"role": role, "path": str(p), "sha256": file_sha256(p) if p.is_file() else None}


def provenance(
    analysis: Any,
    *,
    candidates: str,
    quality_model: str,
    emissions: str = "",
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Where the review's numbers come from: inputs with hashes (or run ids), model and data hashes,
    parameters, seed and package versions."""
    ref = dict(analysis.candidates.source_ref)
    runs = ref.get("runs") or ref.get("trials")
    inputs = [
        i
        for i in (
            _input(candidates, "candidates"),
            _input(quality_model, "quality_model"),
            _input(emissions, "emissions"),
        )
        if i
    ]
    out = {
        "inputs": inputs,
        "source": analysis.candidates.source,
        "run_ids": sorted(runs) if isinstance(runs, Mapping) else runs,
        "model_hash": analysis.model.hash,
        "data_hash": analysis.candidates.data_hash,
        "parameters": dict(parameters or {}),
        "seed": analysis.parameters.get("seed"),
        "packages": package_versions(),
    }
    return to_jsonable(out)


def build_summary(
    analysis: Any,
    *,
    title: str = "",
    decision: Mapping[str, Any] | None = None,
    provenance: Mapping[str, Any] | None = None,
    views: bool = True,
) -> dict[str, Any]:
    """The JSON-safe summary of a review: ``title``, ``analysis`` (:meth:`Analysis.to_dict`),
    ``decision``, ``provenance`` and ``views`` (Vega-Lite specs). The memo, decision record and
    JSON are renderings of it."""
    decision = dict(decision) if decision is not None else decide(analysis)
    a = analysis.to_dict()
    summary = {
        "summary_version": SUMMARY_VERSION,
        "title": title or f"Trade-off review: {analysis.model.name or 'quality model'}",
        "question": analysis.model.description or "",
        "analysis": a,
        "quality_model": analysis.model.to_dict(),
        "decision": decision,
        "provenance": dict(provenance or {}),
        "views": view_specs(analysis) if views else {},
    }
    return to_jsonable(summary)


def write_summary(summary: Mapping[str, Any], output_dir: str | Path) -> Path:
    """Write ``summary.json`` into ``output_dir`` (atomically) and return its path."""
    text = json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False, sort_keys=False)
    return atomic_write_text(Path(output_dir) / "summary.json", text + "\n")
