"""``DecisionRecord``: one trade-off decision with its evidence, as a frozen value object.

A record is built from an analysis (:meth:`DecisionRecord.from_analysis`) or from a review's
``summary.json`` (:meth:`DecisionRecord.from_summary`), stored append-only in the decision log
(:mod:`workbench.decisions.log`), exported as MADR 4.0 Markdown (:meth:`DecisionRecord.to_madr`)
and pushed down into MLOps artefacts (:mod:`workbench.decisions.pushdown`).

Ids are random (``uuid4().hex``, 32 hex characters), not derived from the content: the same
evidence may be decided twice (e.g. re-accepted after a review), and each act is its own record.
What the decision was *about* is identified by ``model_hash`` and ``data_hash``.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from workbench._version import __version__
from workbench.decisions._text import compare, num, resolved
from workbench.decisions.madr import no_choice_madr, record_madr
from workbench.errors import DecisionError, UnknownNameError, did_you_mean, unknown_name

__all__ = ["DecisionRecord", "STATUSES", "ACCEPTABILITY_TRIGGER"]

#: Valid values of :attr:`DecisionRecord.status`.
STATUSES = ("proposed", "accepted", "superseded", "rejected")
#: A decision is due for review when the chosen candidate's first-rank acceptability falls below this.
ACCEPTABILITY_TRIGGER = 0.5
_FORMAT = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    try:
        return tuple(str(v) for v in value)
    except TypeError:
        raise DecisionError(f"{what} must be a list of names, got {value!r}.") from None


@dataclass(frozen=True)
class DecisionRecord:
    """One decision: what was chosen among which options, why, on what evidence, and when to reopen it.

    Build one with :meth:`from_analysis` or :meth:`from_summary`; every field is plain JSON data,
    so :meth:`to_dict`/:meth:`from_dict` round-trip exactly.

    Attributes
    ----------
    id : str
        ``uuid4().hex`` (random, see the module docstring).
    created : str
        UTC ISO-8601 time of the decision.
    status : {"proposed", "accepted", "superseded", "rejected"}
        As recorded. The log reports a record that a newer one supersedes as ``superseded``
        without changing the stored record.
    chosen : str
        Candidate id of the chosen option.
    model, model_hash : dict, str
        The quality model (``QualityModel.to_dict()``) and the analysis's model hash.
    candidates, data_hash : tuple of str, str
        The candidate set and the hash of its data.
    options : list of dict
        Every considered option: ``id, feasible, pareto, front, rank, score, acceptability,
        knee, violation, values``.
    accepted_tradeoffs : list of dict
        What the chosen option gives up and gains against its front neighbours, the runner-up and
        (when not chosen) the recommended option: ``versus, relation, gains, gives_up, ties,
        deltas, text`` (deltas are chosen minus other, in the objectives' units).
    robustness : dict
        ``smaa_samples, chosen_acceptability, chosen_confidence, first_rank_acceptability,
        stability, text``.
    reopen_triggers : list of dict
        ``kind, objective, threshold, description`` (+ ``op``, ``constraint`` for constraints).
    pushdown : list of dict
        Artefacts produced from the decision (kind + where).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "weight": 2},
    ...     {"name": "ms", "direction": "min", "unit": "ms", "constraint": "<= 30"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.90, 0.80, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    >>> rec = DecisionRecord.from_analysis(analyze(df, qm), rationale="Accuracy leads.")
    >>> rec.chosen, rec.status
    ('a', 'accepted')
    >>> rec.accepted_tradeoffs[0]["text"]
    'Choosing a over b (front neighbour, runner-up): gains 0.1 acc (0.9 vs 0.8); gives up 10 ms ms (20 vs 10).'
    >>> DecisionRecord.from_dict(rec.to_dict()) == rec
    True
    """

    chosen: str
    id: str = ""
    created: str = ""
    title: str = ""
    status: str = "accepted"
    decision_makers: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    informed: tuple[str, ...] = ()
    rationale: str = ""
    context: str = ""
    method: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    constraints: list[dict[str, Any]] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    model_hash: str = ""
    candidates: tuple[str, ...] = ()
    data_hash: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    accepted_tradeoffs: list[dict[str, Any]] = field(default_factory=list)
    robustness: dict[str, Any] = field(default_factory=dict)
    pushdown: list[dict[str, Any]] = field(default_factory=list)
    reopen_triggers: list[dict[str, Any]] = field(default_factory=list)
    supersedes: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.chosen, str) or not self.chosen:
            raise DecisionError(f"A decision needs the chosen candidate's id, got {self.chosen!r}.")
        set_(self, "id", str(self.id) if self.id else uuid.uuid4().hex)
        set_(self, "created", str(self.created) if self.created else _now())
        if self.status not in STATUSES:
            raise DecisionError(
                f"Decision status {self.status!r} is not one of {', '.join(STATUSES)}."
                + did_you_mean(str(self.status), STATUSES)
            )
        for name in ("decision_makers", "consulted", "informed", "candidates"):
            set_(self, name, _names(getattr(self, name), name))
        if self.candidates and self.chosen not in self.candidates:
            raise UnknownNameError(
                unknown_name("Chosen candidate", self.chosen, self.candidates, where="one of the considered candidates")
            )
        if self.supersedes is not None:
            set_(self, "supersedes", str(self.supersedes))
        set_(self, "rationale", str(self.rationale or ""))
        set_(self, "title", str(self.title or "") or f"Choose {self.chosen}")

    def __hash__(self) -> int:  # the id identifies a record (its fields hold lists and dicts)
        return hash(self.id)

    # --- constructors ------------------------------------------------------------------------

    @classmethod
    def from_analysis(
        cls,
        analysis: Any,
        *,
        chosen: str | None = None,
        rationale: str = "",
        decision_makers: Any = (),
        title: str = "",
        consulted: Any = (),
        informed: Any = (),
        supersedes: str | None = None,
        provenance: dict[str, Any] | None = None,
        status: str = "accepted",
    ) -> DecisionRecord:
        """Record a decision on an :class:`~workbench.Analysis`.

        Parameters
        ----------
        analysis : Analysis
        chosen : str, optional
            Candidate id; default ``analysis.recommended``.
        rationale : str
            Why, in the decision makers' words (rendered escaped).
        decision_makers, consulted, informed : sequence of str
        title : str
            Default ``"Choose <chosen>"``.
        supersedes : str, optional
            Id of the record this one replaces.
        provenance : dict, optional
            Extra provenance, merged over the analysis's (source, parameters, versions).
        status : str
            ``"accepted"`` (default) or ``"proposed"``...
        """
        seed = None
        if getattr(analysis, "uncertainty", None) is not None:
            from workbench.analysis.uncertainty import chosen_evidence

            seed = chosen_evidence(analysis, str(chosen) if chosen is not None else analysis.recommended)
        return cls._build(
            analysis.to_dict(),
            analysis.model.to_dict(),
            chosen=chosen,
            rationale=rationale,
            decision_makers=decision_makers,
            title=title,
            consulted=consulted,
            informed=informed,
            supersedes=supersedes,
            provenance=provenance,
            status=status,
            seed_evidence=seed,
        )

    @classmethod
    def from_summary(
        cls,
        summary: dict[str, Any],
        *,
        chosen: str | None = None,
        rationale: str | None = None,
        decision_makers: Any = None,
        title: str | None = None,
        consulted: Any = None,
        informed: Any = None,
        supersedes: str | None = None,
        provenance: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> DecisionRecord:
        """Record a decision from a review's ``summary.json`` or an ``Analysis.to_dict()``.

        A review summary has the analysis under ``"analysis"``, and may carry ``"decision"``
        (``chosen``, ``rationale``, ``decision_makers``, ``consulted``, ``informed``, ``title``,
        ``status``, ``supersedes``: the defaults of the keyword arguments), ``"provenance"`` and
        the full quality model under ``"quality_model"`` (or ``"model"``); without it, the model is
        rebuilt from the analysis's objectives and constraints (``model_hash`` stays the
        analysis's). Keyword arguments given explicitly win over the summary's ``decision``.
        """
        if not isinstance(summary, dict):
            raise DecisionError(f"A review summary must be a JSON object, got {type(summary).__name__}.")
        a = summary.get("analysis", summary)
        if not isinstance(a, dict) or not {"candidates", "objectives"} <= set(a):
            raise DecisionError(
                "This JSON is neither a review summary (with an 'analysis' object) nor an analysis "
                "(with 'candidates' and 'objectives').\n  Fix: pass the summary.json of `workbench review` "
                "or the JSON of `workbench analyze --format json -o analysis.json`."
            )
        model = None
        for holder in (summary, a):
            for key in ("quality_model", "model"):
                if isinstance(holder.get(key), dict) and "objectives" in holder[key]:
                    model = holder[key]
                    break
            if model is not None:
                break
        if model is None:
            model = _model_from_analysis_dict(a)
        d = summary.get("decision") if isinstance(summary.get("decision"), dict) else {}

        def pick(value: Any, key: str, default: Any) -> Any:
            return value if value is not None else d.get(key, default)

        prov = {**(summary.get("provenance") or {}), **(provenance or {})}
        return cls._build(
            a,
            model,
            chosen=pick(chosen, "chosen", None),
            rationale=pick(rationale, "rationale", ""),
            decision_makers=pick(decision_makers, "decision_makers", ()),
            title=pick(title, "title", summary.get("title") if "analysis" in summary else ""),
            consulted=pick(consulted, "consulted", ()),
            informed=pick(informed, "informed", ()),
            supersedes=pick(supersedes, "supersedes", None),
            provenance=prov,
            status=pick(status, "status", "accepted"),
            seed_evidence=d.get("robustness") if isinstance(d.get("robustness"), dict) else None,
        )

    @classmethod
    def _build(
        cls,
        a: dict[str, Any],
        model: dict[str, Any],
        *,
        chosen: str | None,
        rationale: str,
        decision_makers: Any,
        title: str,
        consulted: Any,
        informed: Any,
        supersedes: str | None,
        provenance: dict[str, Any] | None,
        status: str,
        seed_evidence: dict[str, Any] | None = None,
    ) -> DecisionRecord:
        cands = a.get("candidates") or []
        ids = [str(c["id"]) for c in cands]
        if chosen is None:
            chosen = a.get("recommended")
            if chosen is None:
                raise DecisionError(
                    "No candidate is feasible, so there is no recommended one to record.\n"
                    "  Fix: pass the chosen candidate explicitly (chosen=... / --chosen ID), or relax "
                    "the constraints."
                )
        chosen = str(chosen)
        if chosen not in ids:
            raise UnknownNameError(unknown_name("Chosen candidate", chosen, ids, where="a candidate of the analysis"))
        options = [
            {
                "id": str(c["id"]),
                "feasible": c.get("feasible"),
                "pareto": c.get("pareto"),
                "front": c.get("front"),
                "rank": c.get("rank"),
                "score": c.get("score"),
                "acceptability": c.get("acceptability"),
                "knee": c.get("knee"),
                "violation": c.get("violation"),
                "values": dict(c.get("values") or {}),
            }
            for c in cands
        ]
        seeds: dict[str, dict[str, Any]] = {}
        for r in (a.get("uncertainty") or {}).get("stats") or []:
            seeds.setdefault(str(r["candidate"]), {})[r["objective"]] = {
                k: r.get(k) for k in ("n", "mean", "sd", "ci_low", "ci_high", "missing")
            }
        for o in options:
            if o["id"] in seeds:
                o["seeds"] = seeds[o["id"]]
        objectives = [o for o in model.get("objectives", [])]
        by_id = {o["id"]: o for o in options}
        level = float((a.get("uncertainty") or {}).get("level") or 0.95)
        tradeoffs = _tradeoffs(chosen, by_id, options, objectives, a.get("rates") or [], a.get("recommended"), level)
        robustness = _robustness(chosen, a, by_id, seed_evidence)
        triggers = _triggers(chosen, a, robustness, objectives)
        source = a.get("source")
        prov = {
            "workbench_version": a.get("workbench_version", __version__),
            "recorded_with": __version__,
            "source": source,
            "source_ref": a.get("source_ref") or {},
            "parameters": a.get("parameters") or {},
            "champion": a.get("champion"),
            "recommended": a.get("recommended"),
            # what monitoring compares a live front with: the hypervolume and the bounds it was
            # normalised with (additive; records without them still load)
            "hypervolume": a.get("hypervolume"),
            "bounds": {
                o["name"]: {"ideal": o.get("ideal"), "nadir": o.get("nadir"), "source": o.get("bounds_source")}
                for o in a.get("objectives") or []
                if "name" in o and o.get("ideal") is not None
            },
            **(provenance or {}),
        }
        name = model.get("name") or ""
        context = (
            f"Choose one of {len(ids)} candidates ({a.get('n_feasible', '?')} feasible, "
            f"{len(a.get('front') or [])} on the Pareto front) from {source or 'a candidate table'}, under "
            f"the quality model {name or 'given'} with {len(objectives)} objectives and "
            f"{len(a.get('constraints') or [])} hard constraints, ranked by {a.get('method')}."
        )
        if model.get("description"):
            context += " " + str(model["description"]).strip()
        return cls(
            chosen=chosen,
            title=title or (f"Choose {chosen} for {name}" if name else ""),
            status=status,
            decision_makers=decision_makers,
            consulted=consulted,
            informed=informed,
            rationale=rationale or "",
            context=context,
            method=str(a.get("method") or ""),
            weights=dict(a.get("weights") or {}),
            constraints=list(a.get("constraints") or []),
            model=copy.deepcopy(model),
            model_hash=str(a.get("model_hash") or ""),
            candidates=tuple(ids),
            data_hash=str(a.get("data_hash") or ""),
            options=options,
            accepted_tradeoffs=tradeoffs,
            robustness=robustness,
            pushdown=[],
            reopen_triggers=triggers,
            supersedes=supersedes,
            provenance=json.loads(json.dumps(prov, default=str)),
        )

    # --- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping (tuples as lists, plus ``"format"``) that :meth:`from_dict` reads back."""
        out: dict[str, Any] = {"format": _FORMAT}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else copy.deepcopy(value)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionRecord:
        """Read a mapping written by :meth:`to_dict`; unknown keys are rejected with the valid ones."""
        if not isinstance(data, dict):
            raise DecisionError(f"A decision record must be a JSON object, got {type(data).__name__}.")
        data = dict(data)
        version = data.pop("format", _FORMAT)
        if version != _FORMAT:
            raise DecisionError(f"Decision record format {version!r} is not supported (expected {_FORMAT}).")
        valid = [f.name for f in fields(cls)]
        for key in data:
            if key not in valid:
                raise DecisionError(
                    unknown_name("Key", key, valid, where="a field of a decision record", fix="remove or rename it.")
                )
        if "chosen" not in data:
            raise DecisionError("A decision record needs 'chosen' (the chosen candidate's id).")
        return cls(**copy.deepcopy(data))

    @classmethod
    def from_json(cls, text: str) -> DecisionRecord:
        """Read the JSON text written by :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DecisionError(f"The decision record is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def with_status(self, status: str) -> DecisionRecord:
        """A copy with another status (the log uses it to show superseded records)."""
        return replace(self, status=status)

    def with_pushdown(self, *artefacts: dict[str, Any]) -> DecisionRecord:
        """A copy with more push-down artefacts listed."""
        return replace(self, pushdown=[*self.pushdown, *map(dict, artefacts)])

    # --- derived views -----------------------------------------------------------------------

    @property
    def option(self) -> dict[str, Any]:
        """The chosen option's entry of :attr:`options`."""
        return next(o for o in self.options if o["id"] == self.chosen)

    def __repr__(self) -> str:
        return (
            f"DecisionRecord({self.id[:12]}, {self.status}, chosen={self.chosen!r}, "
            f"{len(self.options)} options, created {self.created})"
        )

    def to_madr(self) -> str:
        """MADR 4.0 Markdown: front matter, then the nine MADR sections, filled from the evidence.

        Every text that comes from data (ids, names, rationale) is escaped, so it renders literally.
        """
        return record_madr(self)


# --- builders ---------------------------------------------------------------------------------


def _model_from_analysis_dict(a: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "name",
        "direction",
        "unit",
        "quality_attribute",
        "weight",
        "bounds",
        "tolerance",
        "aggregation",
        "source",
        "description",
    )
    objectives = [{k: o[k] for k in keep if k in o and o[k] is not None} for o in a.get("objectives", [])]
    out: dict[str, Any] = {"version": 1, "method": a.get("method") or "weighted_sum", "objectives": objectives}
    cons = [c["constraint"] for c in a.get("constraints") or [] if c.get("constraint")]
    if cons:
        out["constraints"] = cons
    if a.get("champion"):
        out["champion"] = a["champion"]
    return out


def _phrase(items: dict[str, float], chosen: dict[str, Any], other: dict[str, Any], units: dict[str, str]) -> str:
    return ", ".join(
        f"{num(v, units.get(n, ''))} {n} ({num(chosen['values'][n])} vs {num(other['values'][n])})"
        for n, v in items.items()
    )


def _tradeoffs(
    chosen: str,
    by_id: dict[str, dict[str, Any]],
    options: list[dict[str, Any]],
    objectives: list[dict[str, Any]],
    rates: list[dict[str, Any]],
    recommended: str | None,
    level: float = 0.95,
) -> list[dict[str, Any]]:
    relations: dict[str, list[str]] = {}
    for r in rates:
        if str(r.get("candidate")) == chosen and str(r.get("neighbour")) in by_id:
            relations.setdefault(str(r["neighbour"]), []).append("front neighbour")
    ranked = sorted(
        (o for o in options if o["id"] != chosen and o["feasible"]),
        key=lambda o: o["rank"] if o["rank"] is not None else math.inf,
    )
    if ranked:
        relations.setdefault(ranked[0]["id"], []).append("runner-up")
    if recommended and recommended != chosen and recommended in by_id:
        relations.setdefault(str(recommended), []).append("recommended")
    units = {o["name"]: o.get("unit") or "" for o in objectives}
    me = by_id[chosen]
    out = []
    for other_id, rel in relations.items():
        other = by_id[other_id]
        cmp = compare(me, other, objectives, level)
        relation = ", ".join(dict.fromkeys(rel))
        text = f"Choosing {chosen} over {other_id} ({relation}): "
        text += ("gains " + _phrase(cmp["gains"], me, other, units)) if cmp["gains"] else "gains nothing"
        text += (
            ("; gives up " + _phrase(cmp["gives_up"], me, other, units)) if cmp["gives_up"] else "; gives up nothing"
        )
        if cmp["noise"]:
            text += "; within seed noise on " + ", ".join(cmp["noise"])
        if cmp["ties"] and len(cmp["ties"]) < len(objectives):
            text += "; ties (within tolerance) on " + ", ".join(cmp["ties"])
        out.append({"versus": other_id, "relation": relation, **cmp, "text": text + "."})
    return out


def _seed(chosen: str, a: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any] | None:
    """The seed-noise evidence of ``chosen``: the review's (``decision.robustness``) when it is about
    ``chosen``, else the analysis's ``uncertainty`` when that is about ``chosen``; None without replicates."""
    unc = a.get("uncertainty") or {}
    cmp = (given or {}).get("comparisons")
    if given and cmp and cmp[0].get("candidate") == chosen:
        src = {**given, "samples": unc.get("samples"), "seed": unc.get("seed"), "resampling": unc.get("resampling")}
    elif unc.get("candidate") == chosen:
        src = unc
    else:
        return None
    keep = (
        "versus",
        "relation",
        "n_candidate",
        "n_versus",
        "p_dominates",
        "p_dominated",
        "p_better",
        "verdict",
        "reason",
        "detectable",
    )
    return {
        "robust": src.get("robust"),
        "text": src.get("text") or "",
        "level": src.get("level"),
        "samples": src.get("samples"),
        "seed": src.get("seed"),
        "resampling": src.get("resampling"),
        "replicates": dict(src.get("replicates") or {}),
        "comparisons": [{k: c.get(k) for k in keep} for c in src.get("comparisons") or []],
    }


def _seed_sentence(chosen: str, c: dict[str, Any], samples: Any) -> str:
    from workbench.format import format_count, format_percent

    rel = f" ({c['relation']})" if c.get("relation") else ""
    draws = f" of {format_count(samples)}" if samples else ""
    text = (
        f"Against {c['versus']}{rel}: {chosen} scores higher in {format_percent(c['p_better'])}{draws} seed "
        f"resamples and dominates it beyond tolerance in {format_percent(c['p_dominates'])} "
        f"({c['n_candidate']} vs {c['n_versus']} seeds): {c['verdict']}"
    )
    return text + (f" ({c['reason']})." if c["verdict"] == "no detectable difference" else ".")


def _robustness(
    chosen: str, a: dict[str, Any], by_id: dict[str, dict[str, Any]], given_seed: dict[str, Any] | None = None
) -> dict[str, Any]:
    samples = int((a.get("parameters") or {}).get("smaa") or 0)
    accept = {o["id"]: o["acceptability"] for o in by_id.values() if o.get("acceptability") is not None}
    first = dict(sorted(((k, v) for k, v in accept.items() if v > 0), key=lambda kv: -kv[1]))
    conf = next((c.get("confidence") for c in a.get("candidates", []) if str(c["id"]) == chosen), None)
    stability = list(a.get("stability") or [])
    texts = []
    if samples and chosen in accept:
        texts.append(
            f"{chosen} ranks first in {accept[chosen]:.1%} of {samples} SMAA-2 weight samples "
            f"(first-rank acceptability)."
        )
    top = a.get("recommended")
    for s in stability:
        lo, hi, w = s.get("lower"), s.get("upper"), s.get("weight")
        if lo is None or hi is None or w is None:
            continue
        if lo <= 0 and hi >= 1:
            texts.append(
                f"The top choice {top} stays first for any weight of {s['objective']} "
                f"(now {w:.3g}, others renormalised)."
            )
        else:
            texts.append(
                f"The top choice {top} stays first while the weight of {s['objective']} stays within "
                f"[{lo:.3g}, {hi:.3g}] (now {w:.3g}, others renormalised)."
            )
    seed = _seed(chosen, a, given_seed)
    if seed is not None:
        if seed["text"]:
            texts.insert(0, seed["text"])
        texts += [_seed_sentence(chosen, c, seed["samples"]) for c in seed["comparisons"]]
    out = {
        "smaa_samples": samples,
        "chosen_acceptability": accept.get(chosen),
        "chosen_confidence": conf,
        "first_rank_acceptability": first,
        "stability": stability,
        "stability_of": top,
        "text": texts,
    }
    if seed is not None:
        out["seed"] = seed
    return out


def _triggers(
    chosen: str, a: dict[str, Any], robustness: dict[str, Any], objectives: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    units = {o["name"]: o.get("unit") or "" for o in objectives}
    out = []
    for c in a.get("constraints") or []:
        limit = c.get("limit")
        text = c.get("constraint") or f"{c.get('objective')} {c.get('op')} {limit}"
        shown = f"{c['objective']} {c['op']} {num(limit, units.get(c['objective'], ''))}"
        desc = f"champion {chosen} violates {shown}"
        if resolved(c):
            desc += f" (from {text})"
        out.append(
            {
                "kind": "constraint",
                "objective": c.get("objective"),
                "op": c.get("op"),
                "threshold": limit,
                "constraint": text,
                "description": desc,
            }
        )
    tol = {o["name"]: float(o.get("tolerance") or 0.0) for o in objectives}
    out.append(
        {
            "kind": "dominated",
            "objective": None,
            "threshold": tol,
            "description": f"champion {chosen} is dominated beyond tolerance by a new candidate "
            "(`workbench gate ... --against champion` fails)",
        }
    )
    if robustness.get("chosen_acceptability") is not None:
        out.append(
            {
                "kind": "acceptability",
                "objective": None,
                "threshold": ACCEPTABILITY_TRIGGER,
                "description": f"first-rank acceptability of {chosen} below {ACCEPTABILITY_TRIGGER} "
                f"(now {robustness['chosen_acceptability']:.3g})",
            }
        )
    if robustness.get("stability_of") == chosen:
        for s in robustness.get("stability") or []:
            if s.get("lower") is None or s.get("upper") is None or (s["lower"] <= 0 and s["upper"] >= 1):
                continue  # no weight of this objective changes the top choice
            out.append(
                {
                    "kind": "weight",
                    "objective": s["objective"],
                    "threshold": [s["lower"], s["upper"]],
                    "description": f"the agreed weight of {s['objective']} moves outside "
                    f"[{s['lower']:.3g}, {s['upper']:.3g}]",
                }
            )
    return out


def render_madr(source: DecisionRecord | Mapping[str, Any]) -> str:
    """MADR 4.0 Markdown of a :class:`DecisionRecord`, or of a review ``summary.json`` (a mapping).

    A summary is recorded with :meth:`DecisionRecord.from_summary` and rendered the same way; when
    no record can be built from it (no candidate is feasible, so nothing is chosen), the MADR says
    so, with the considered options and the hashes. The text itself comes from
    :mod:`workbench.decisions.madr`, the one MADR renderer.
    """
    if isinstance(source, DecisionRecord):
        return record_madr(source)
    if not isinstance(source, Mapping):
        raise DecisionError(f"render_madr needs a DecisionRecord or a review summary, got {type(source).__name__}.")
    try:
        record = DecisionRecord.from_summary(dict(source))
    except DecisionError:
        return no_choice_madr(source)
    return record_madr(record)
