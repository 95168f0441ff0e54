"""Push a decision down into lower-level MLOps artefacts.

* :func:`mlflow_alias` — point a registered-model alias (``champion``) at the chosen model version
  and tag that version with the decision.
* :func:`gate` — a CI check: does a candidate meet the hard constraints, and is it free of
  dominance (beyond tolerance) by a baseline or by any feasible candidate?
* :func:`prometheus_rules` — alerting rules from the constraints on monitored metrics.
* :func:`optuna_directions` / :func:`constraints_func` — directions, metric names and
  constraints for the next Optuna search.

MLflow and Optuna are imported inside the functions that need them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from workbench._version import __version__
from workbench.decisions._markdown import yaml_comment
from workbench.decisions.record import DecisionRecord
from workbench.errors import DecisionError, UnknownNameError, require, unknown_name
from workbench.format import format_number
from workbench.quality.objective import limit_text

__all__ = [
    "GateResult",
    "gate",
    "dominates",
    "mlflow_alias",
    "prometheus_rules",
    "optuna_directions",
    "constraints_func",
    "constraint_values",
    "set_constraints",
    "DECISION_TAGS",
]

#: Model-version tags :func:`mlflow_alias` sets (values from the record).
DECISION_TAGS = (
    "decision.id",
    "decision.chosen",
    "decision.status",
    "decision.created",
    "decision.rationale",
    "decision.model_hash",
    "decision.data_hash",
    "decision.decision_makers",
    "decision.supersedes",
)
RATIONALE_TAG_CHARS = 500


def _unit(obj: Any) -> str:
    return f" {obj.unit}" if getattr(obj, "unit", "") else ""


# --- gate ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateResult:
    """Outcome of :func:`gate`: ``passed`` and the readable ``reasons`` it failed (empty when passed).

    ``rule`` says which rule decided (``"constraint"``, ``"constraint probability"``,
    ``"dominance probability"``, ``"dominance beyond tolerance"``, or ``"none"`` when it passed);
    ``evidence`` has one entry per challenger compared (``versus``, ``rule``, ``p_dominates`` —
    None under the point rule —, ``n``, ``n_versus``, ``dominates``) and per constraint checked
    with a probability. ``bool(result)`` is ``result.passed``.
    """

    candidate: str
    passed: bool
    reasons: list[str] = field(default_factory=list)
    against: str | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    dominated_by: list[str] = field(default_factory=list)
    rule: str = "none"
    confidence: float | None = None
    constraint_confidence: float | None = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "against": self.against,
            "violations": list(self.violations),
            "dominated_by": list(self.dominated_by),
            "rule": self.rule,
            "confidence": self.confidence,
            "constraint_confidence": self.constraint_confidence,
            "evidence": [dict(e) for e in self.evidence],
            "summary": self.summary,
        }

    def __str__(self) -> str:
        head = f"gate {'passed' if self.passed else 'FAILED'} for {self.candidate}"
        head += f" against {self.against}" if self.against else ""
        head += "".join(f"\n  - {r}" for r in self.reasons)
        return head + (f"\n  rule: {self.summary}" if self.summary else "")


def dominates(fb: np.ndarray, fa: np.ndarray, tol: np.ndarray) -> bool:
    """``b`` dominates ``a`` beyond tolerance (minimised values): ``b_i <= a_i + tol_i`` for all
    ``i`` and ``b_i < a_i - tol_i`` for some ``i`` — the analysis's tolerance dominance.

    >>> dominates(np.array([1.0, 1.0]), np.array([1.05, 2.0]), np.array([0.1, 0.1]))
    True
    >>> dominates(np.array([1.0, 1.0]), np.array([1.05, 1.05]), np.array([0.1, 0.1]))
    False
    """
    return bool(np.all(fb <= fa + tol) and np.any(fb < fa - tol))


def _fmt(v: float) -> str:
    return format_number(v)


def _p(p: float) -> str:
    return f"{p:.3f}".rstrip("0").rstrip(".") if p not in (0.0, 1.0) else f"{p:.0f}"


def gate(
    candidates: Any,
    model: Any,
    candidate: str,
    *,
    against: str | None = None,
    champion: str | None = None,
    confidence: float = 0.95,
    constraint_confidence: float | None = None,
    samples: int = 4000,
    seed: int = 0,
) -> GateResult:
    """Check one candidate for CI: hard constraints, and dominance beyond tolerance — on evidence.

    The candidate fails when

    1. it violates a hard constraint of the model (relative ones resolved against ``champion``),
       judged on its value (the mean of its seeds); with ``constraint_confidence`` and per-seed
       replicates, when the constraint holds with probability below ``constraint_confidence``
       over a bootstrap of its mean (:func:`workbench.analysis.uncertainty.mean_draws`);
    2. a challenger dominates it beyond tolerance — with ``against`` (``"champion"``, resolved from
       ``champion`` or the model's ``champion``, or a candidate id) the baseline, without it any
       *feasible* candidate of the set. When both have at least two complete replicates (seeds),
       the rule is ``P(challenger dominates beyond tolerance) >= confidence`` over a seeded
       bootstrap of both means (:func:`workbench.analysis.uncertainty.compare_replicates`);
       otherwise the point rule: the challenger is no worse in every objective (differences
       within an objective's tolerance are ties) and better beyond tolerance in one.

    A difference inside the tolerance is never a failure, whatever the noise.

    Parameters
    ----------
    candidates : Candidates, DataFrame or source spec
    model : QualityModel
    candidate : str
        Id of the candidate under test.
    against : str, optional
        ``"champion"`` or a candidate id.
    champion : str, optional
        Champion id (baseline of ``--against champion`` and of relative constraints).
    confidence : float
        Probability of dominance that fails the gate when replicates exist (default 0.95).
    constraint_confidence : float, optional
        Probability with which every constraint must hold when replicates exist.
    samples, seed : int
        Bootstrap draws and their seed: same inputs and seed, same probabilities.

    Returns
    -------
    GateResult

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "recall", "direction": "max", "tolerance": 0.005},
    ...     {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "tolerance": 2,
    ...      "constraint": "<= 150"}]})
    >>> df = pd.DataFrame({"id": ["v3", "v7", "v8"], "recall": [0.95, 0.93, 0.97],
    ...                    "latency_p95_ms": [120, 121, 163]})
    >>> print(gate(df, qm, "v8"))
    gate FAILED for v8
      - v8 violates latency_p95_ms <= 150 (measured 163 ms)
      rule: constraint: latency_p95_ms <= 150 (point value, no replicates)
    >>> print(gate(df, qm, "v7", against="champion", champion="v3"))
    gate FAILED for v7 against v3
      - v7 is dominated by v3 beyond tolerance: v3 is better in recall by 0.02 and no worse elsewhere
      rule: dominance beyond tolerance: v3 dominates v7 (point values, no replicates)
    >>> gate(df, qm, "v3").passed
    True
    """
    from workbench.analysis.feasibility import constraint_limits
    from workbench.analysis.problem import problem
    from workbench.analysis.uncertainty import check_level, compare_replicates, complete_replicates, mean_draws

    confidence = check_level(confidence, "confidence")
    if constraint_confidence is not None:
        constraint_confidence = check_level(constraint_confidence, "constraint confidence")
    prob = problem(candidates, model, champion)
    i = prob.position(candidate, "Candidate")
    cid = str(prob.ids[i])
    objs = prob.model.objectives
    rows, nrep = complete_replicates(prob)
    has_reps = prob.candidates.replicates is not None and nrep[i] >= 2
    reasons: list[str] = []
    violations: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    rules: list[str] = []
    draws = None
    if constraint_confidence is not None and has_reps:
        draws = mean_draws(rows[i], int(samples), np.random.default_rng(int(seed)))
    for c, lim in constraint_limits(prob):
        j = prob.names.index(c.objective)
        v = float(prob.X[i, j])
        unit = _unit(objs[j])
        if draws is not None:
            p_hold = float(np.mean(c.satisfied(draws[:, j], lim)))
            evidence.append(
                {
                    "constraint": str(c),
                    "rule": "constraint probability",
                    "p_holds": p_hold,
                    "n": int(nrep[i]),
                    "limit": lim,
                    "value": v,
                }
            )
            if p_hold >= constraint_confidence:
                continue
            text = (
                f"{cid} meets {c} with probability {_p(p_hold)} < {_p(constraint_confidence)} "
                f"(mean {_fmt(v)}{unit} over {nrep[i]} seeds"
            )
            rules.append(
                f"constraint probability: P({c} holds) = {_p(p_hold)} < {_p(constraint_confidence)} ({nrep[i]} seeds)"
            )
        else:
            if c.satisfied(v, lim):
                continue
            text = f"{cid} violates {c} (measured {_fmt(v)}{unit}"
            how = (
                f"mean of {nrep[i]} seeds"
                if prob.candidates.replicates is not None and nrep[i] >= 2
                else "point value, no replicates"
            )
            rules.append(f"constraint: {c} ({how})")
        text += f"; limit {_fmt(lim)}{unit})" if c.is_relative else ")"
        reasons.append(text)
        violations.append({"constraint": str(c), "objective": c.objective, "op": c.op, "limit": lim, "value": v})
    baseline = None
    if against is not None:
        baseline = str(against)
        if baseline == "champion" and "champion" not in prob.ids:
            if prob.champion is None:
                raise UnknownNameError(
                    "--against champion needs the champion's id, but none was given.\n"
                    "  Fix: pass champion=<id> (CLI: --champion ID) or set 'champion:' in the quality model."
                )
            baseline = prob.champion
        others = [prob.position(baseline, "Baseline")]
    else:
        from workbench.analysis.feasibility import feasibility

        feas = feasibility(prob, None)["feasible"].to_numpy()
        others = [int(k) for k in np.flatnonzero(feas)]
    others = [k for k in others if k != i]
    with_reps = [k for k in others if has_reps and nrep[k] >= 2]
    prob_of: dict[int, float] = {}
    if with_reps:
        cmp = compare_replicates(
            prob,
            candidate=cid,
            versus=[str(prob.ids[k]) for k in with_reps],
            samples=int(samples),
            seed=int(seed),
            level=confidence,
        )
        prob_of = dict(zip(with_reps, cmp["p_dominated"].astype(float), strict=True))
    dominated_by = []
    for k in others:
        other = str(prob.ids[k])
        point = dominates(prob.F[k], prob.F[i], prob.tolerance)
        if k in prob_of:
            p = prob_of[k]
            hit = p >= confidence
            evidence.append(
                {
                    "versus": other,
                    "rule": "dominance probability",
                    "p_dominates": p,
                    "n": int(nrep[i]),
                    "n_versus": int(nrep[k]),
                    "dominates": hit,
                }
            )
        else:
            hit = point
            evidence.append(
                {
                    "versus": other,
                    "rule": "dominance beyond tolerance",
                    "p_dominates": None,
                    "n": int(nrep[i]),
                    "n_versus": int(nrep[k]),
                    "dominates": hit,
                }
            )
        if hit:
            dominated_by.append(other)
    # the strongest dominators first: higher probability, then more objectives better beyond tolerance
    better = lambda k: prob.F[k] < prob.F[i] - prob.tolerance  # noqa: E731
    dom_rows = sorted(
        (prob.ids.get_loc(d) for d in dominated_by), key=lambda k: (-prob_of.get(k, 1.0), -int(better(k).sum()))
    )
    for k in dom_rows[:3]:
        other = str(prob.ids[k])
        parts = [
            f"{objs[j].name} by {_fmt(abs(prob.X[k, j] - prob.X[i, j]))}{_unit(objs[j])}"
            for j in np.flatnonzero(better(k))
        ]
        rest = " and no worse elsewhere" if len(parts) < prob.k else ""
        what = (
            (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0])
            if parts
            else "the bootstrap draws (the means differ within tolerance)"
        )
        if k in prob_of:
            reasons.append(
                f"{cid} is dominated by {other} beyond tolerance with probability {_p(prob_of[k])} "
                f">= {_p(confidence)} (bootstrap over {nrep[i]} and {nrep[k]} seeds): {other} is "
                f"better in {what}" + (rest if parts else "")
            )
            rules.append(
                f"dominance probability: P({other} dominates {cid} beyond tolerance) = "
                f"{_p(prob_of[k])} >= {_p(confidence)} ({nrep[k]} and {nrep[i]} seeds)"
            )
        else:
            reasons.append(f"{cid} is dominated by {other} beyond tolerance: {other} is better in {what}" + rest)
            rules.append(
                f"dominance beyond tolerance: {other} dominates {cid} "
                + (
                    "(point values, no replicates)"
                    if prob.candidates.replicates is None
                    else "(point values: fewer than 2 seeds)"
                )
            )
    if len(dom_rows) > 3:
        reasons.append(
            f"{cid} is dominated beyond tolerance by {len(dom_rows) - 3} more candidates: "
            + ", ".join(str(prob.ids[k]) for k in dom_rows[3:13])
            + ("…" if len(dom_rows) > 13 else "")
        )
    passed = not reasons
    if passed:
        rule = "none"
        if prob_of:
            k, p = max(prob_of.items(), key=lambda kv: kv[1])
            summary = (
                f"no challenger dominates beyond tolerance with probability >= {_p(confidence)}; "
                f"the highest is P({prob.ids[k]} dominates {cid}) = {_p(p)} "
                f"({nrep[k]} and {nrep[i]} seeds)"
            )
        else:
            summary = "no challenger dominates beyond tolerance (point values" + (
                ", no replicates)" if prob.candidates.replicates is None else ")"
            )
    else:
        first = rules[0]
        rule = first.split(":", 1)[0]
        summary = first + (f" (and {len(rules) - 1} more)" if len(rules) > 1 else "")
    return GateResult(
        candidate=cid,
        passed=passed,
        reasons=reasons,
        against=baseline,
        violations=violations,
        dominated_by=[str(prob.ids[k]) for k in dom_rows],
        rule=rule,
        confidence=confidence if prob_of else None,
        constraint_confidence=constraint_confidence if draws is not None else None,
        evidence=evidence,
        summary=summary,
    )


# --- MLflow --------------------------------------------------------------------------------------

_RUN_ID = re.compile(r"^[0-9a-fA-F]{8,64}$")


def _runs_of(record: DecisionRecord) -> list[str]:
    ref = (record.provenance or {}).get("source_ref") or {}
    runs = ref.get("runs") or {}
    out = [
        rid for rid, val in runs.items() if (val[0] if isinstance(val, (list, tuple)) and val else val) == record.chosen
    ]
    if not out and _RUN_ID.match(record.chosen):
        out = [record.chosen]
    return out


def mlflow_alias(
    record: DecisionRecord,
    tracking_uri: str,
    model_name: str,
    *,
    alias: str = "champion",
    version: int | str | None = None,
    registry_uri: str | None = None,
) -> dict[str, Any]:
    """Point ``model_name@alias`` at the chosen candidate's model version and tag that version.

    The version is ``version`` when given; otherwise the registered version whose ``run_id`` is
    one of the chosen candidate's runs (``record.provenance["source_ref"]["runs"]``, as the MLflow
    reader records them; or the candidate id itself when it is a run id). When several versions
    match, the highest version number wins. Tags ``decision.id``, ``decision.chosen``,
    ``decision.status``, ``decision.created``, ``decision.rationale`` (first 500 characters),
    ``decision.model_hash``, ``decision.data_hash``, ``decision.decision_makers`` and (when set)
    ``decision.supersedes`` are set on the version.

    Returns
    -------
    dict
        The push-down artefact: ``kind="mlflow_alias"``, ``target`` (``"name@alias"``),
        ``model_name``, ``alias``, ``version``, ``run_id``, ``tags`` — ready for
        ``DecisionLog.add_pushdown``.
    """
    require("mlflow", "mlflow", "Setting an MLflow registered-model alias")
    from mlflow.exceptions import MlflowException

    from workbench._mlflow import client_error, env_defaults, http_env, redact_uri

    # A bounded timeout and retry with backoff (WORKBENCH_MLFLOW_TIMEOUT / _RETRIES), with the same
    # message as the MLflow reader.
    with env_defaults(http_env()):
        try:
            return _mlflow_alias(record, tracking_uri, model_name, alias, version, registry_uri)
        except MlflowException as exc:
            if getattr(exc, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise
            raise client_error(redact_uri(tracking_uri), "://" in str(tracking_uri), exc) from None


def _mlflow_alias(
    record: DecisionRecord,
    tracking_uri: str,
    model_name: str,
    alias: str,
    version: int | str | None,
    registry_uri: str | None,
) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from workbench._mlflow import redact_uri as _redact_uri

    def missing(exc: MlflowException) -> bool:
        return getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST"

    client = MlflowClient(tracking_uri, registry_uri=registry_uri or tracking_uri)
    try:
        client.get_registered_model(model_name)
    except MlflowException as exc:
        if not missing(exc):
            raise
        names = [m.name for m in client.search_registered_models()]
        raise UnknownNameError(
            unknown_name(
                "Registered model",
                model_name,
                names,
                where=f"in the MLflow registry of {_redact_uri(tracking_uri)!r}",
                fix="register the model first, or correct the name.",
            )
        ) from None
    if version is not None:
        try:
            mv = client.get_model_version(model_name, str(version))
        except MlflowException as exc:
            if not missing(exc):
                raise
            known = [v.version for v in _versions_of(client, model_name)]
            raise UnknownNameError(
                unknown_name(f"Version of {model_name!r}", str(version), known, where="a registered version")
            ) from None
    else:
        runs = [r for r in _runs_of(record) if _RUN_ID.match(r)]
        if not runs:
            raise DecisionError(
                f"Decision {record.id[:12]} carries no MLflow run ids for candidate {record.chosen!r} "
                "(its candidates did not come from an MLflow source).\n"
                "  Fix: pass version=<registered version> (CLI: --version N)."
            )
        found = []
        for rid in runs:
            found += [v for v in client.search_model_versions(f"run_id='{rid}'") if v.name == model_name]
        if not found:
            known = [f"{v.version} (run {v.run_id})" for v in _versions_of(client, model_name)]
            raise DecisionError(
                f"No version of registered model {model_name!r} comes from the runs of candidate "
                f"{record.chosen!r} ({', '.join(runs[:5])}{'…' if len(runs) > 5 else ''}).\n"
                f"  Versions: {', '.join(known) or '(none)'}.\n"
                "  Fix: register the chosen run's model, or pass version=<N>."
            )
        mv = max(found, key=lambda v: int(v.version))
    rationale = record.rationale
    if len(rationale) > RATIONALE_TAG_CHARS:
        rationale = rationale[: RATIONALE_TAG_CHARS - 1] + "…"
    tags = {
        "decision.id": record.id,
        "decision.chosen": record.chosen,
        "decision.status": record.status,
        "decision.created": record.created,
        "decision.rationale": rationale,
        "decision.model_hash": record.model_hash,
        "decision.data_hash": record.data_hash,
        "decision.decision_makers": ", ".join(record.decision_makers),
    }
    if record.supersedes:
        tags["decision.supersedes"] = record.supersedes
    client.set_registered_model_alias(model_name, alias, mv.version)
    for key, value in tags.items():
        client.set_model_version_tag(model_name, mv.version, key, value)
    return {
        "kind": "mlflow_alias",
        "target": f"{model_name}@{alias}",
        "model_name": model_name,
        "alias": alias,
        "version": str(mv.version),
        "run_id": mv.run_id,
        "tracking_uri": _redact_uri(tracking_uri),
        "tags": tags,
    }


def _versions_of(client: Any, model_name: str) -> list[Any]:
    """The registered versions of ``model_name``.

    MLflow's filter strings have no escape inside a quoted value (``name='it\\'s'`` and
    ``name='it''s'`` match nothing), so the name is quoted with a quote character it does not
    contain; a name with both kinds lists every version. The names are compared here in any case.
    """
    name = str(model_name)
    if "'" not in name:
        query: str | None = f"name='{name}'"
    elif '"' not in name:
        query = f'name="{name}"'
    else:
        query = None
    return [v for v in client.search_model_versions(query) if v.name == name]


# --- Prometheus ----------------------------------------------------------------------------------

_QUANTILES = {"p50": 0.5, "median": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
_INVERSE = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}
_DURATION = re.compile(r"^(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def _objectives_and_limits(source: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], Any]:
    """(objective dicts, resolved constraints, skipped notes, record or None) from a record/model."""
    from workbench.quality import QualityModel

    if isinstance(source, dict):
        source = DecisionRecord.from_dict(source) if "chosen" in source else QualityModel.from_dict(source)
    if isinstance(source, DecisionRecord):
        return list(source.model.get("objectives", [])), [dict(c) for c in source.constraints], [], source
    if isinstance(source, QualityModel):
        cons, skipped = [], []
        for c in source.constraints:
            if c.is_relative:
                skipped.append(
                    f"{c} (relative to {c.baseline!r}: export from a decision record, which holds the resolved limit)"
                )
            else:
                cons.append({"constraint": str(c), "objective": c.objective, "op": c.op, "limit": c.resolve()})
        return [o.to_dict() for o in source.objectives], cons, skipped, None
    raise TypeError(f"Expected a DecisionRecord, a QualityModel or a dict, got {type(source).__name__}.")


def _selector(*parts: str | None) -> str:
    inner = ",".join(p for p in parts if p)
    return "{" + inner + "}" if inner else ""


def _value_expr(o: dict[str, Any], spec: Any, window: str) -> tuple[str | None, str]:
    """(PromQL of the monitored value in the objective's unit, or None; reason when None)."""
    if isinstance(spec, str):
        spec = {"metric": spec}
    if spec is not None and not isinstance(spec, Mapping):
        raise DecisionError(
            f"metric_map[{o['name']!r}] must be a metric name or a mapping "
            f"(metric, scale, selector, error_selector, expr), got {spec!r:.80}."
        )
    spec = dict(spec or {})
    keys = ["expr", "metric", "scale", "selector", "error_selector", "query", "count"]
    unknown = set(spec) - set(keys)
    if unknown:
        raise DecisionError(
            unknown_name("metric_map key", sorted(unknown)[0], keys, where=f"valid for objective {o['name']!r}")
        )
    if not spec.get("expr") and spec.get("query"):  # watch's explicit query, over the alert's window
        spec["expr"] = str(spec["query"]).replace("$window", window)
    try:
        scale = float(spec.get("scale", 1.0))
    except (TypeError, ValueError, OverflowError):
        scale = math.nan
    if not math.isfinite(scale) or scale == 0:
        raise DecisionError(
            f"metric_map[{o['name']!r}]: scale {spec.get('scale')!r:.40} must be a finite, "
            "non-zero number (e.g. 1000 for seconds to ms)."
        )
    if spec.get("expr"):
        expr = str(spec["expr"])
    else:
        src = spec.get("metric") or o.get("source")
        agg = o.get("aggregation")
        if not src:
            return None, "no source metric"
        if not agg:
            return None, f"source {src!r} but no aggregation"
        if not _METRIC.match(str(src)):
            raise DecisionError(
                f"Objective {o['name']!r}: source {src!r} is not a valid Prometheus metric name "
                "([a-zA-Z_:][a-zA-Z0-9_:]*).\n  Fix: map it with metric_map={name: 'metric'}."
            )
        sel = spec.get("selector")
        s = _selector(sel)
        w = window
        if agg in _QUANTILES:
            expr = f"histogram_quantile({_QUANTILES[agg]}, sum by (le, version) (rate({src}_bucket{s}[{w}])))"
        elif agg == "mean":
            expr = f"sum by (version) (rate({src}_sum{s}[{w}])) / sum by (version) (rate({src}_count{s}[{w}]))"
        elif agg == "rate":
            err = _selector(sel, spec.get("error_selector", 'outcome="error"'))
            expr = f"sum by (version) (rate({src}_total{err}[{w}])) / sum by (version) (rate({src}_total{s}[{w}]))"
        elif agg == "last":
            expr = f"{src}{s}"
        elif agg in ("max", "min"):
            expr = f"{agg}_over_time({src}{s}[{w}])"
        elif agg == "sum":
            expr = f"sum by (version) (increase({src}_total{s}[{w}]))"
        elif agg == "count":
            expr = f"sum by (version) (increase({src}_count{s}[{w}]))"
        else:
            return None, f"aggregation {agg!r} has no standard PromQL form (give metric_map={{name: {{'expr': ...}}}})"
    if scale != 1.0:
        expr = f"{limit_text(scale)} * ({expr})"
    return expr, ""


def _camel(name: str) -> str:
    """``latency_p95_ms`` -> ``LatencyP95Ms``; a name that would start with a digit gets ``Objective``
    in front (an alert name starts with a letter).

    >>> _camel("95th latency"), _camel("{{ 7*7 }}")
    ('Objective95thLatency', 'Objective77')
    """
    camel = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", name) if p)
    return camel if camel[:1].isalpha() or not camel else "Objective" + camel


_BRACES = re.compile(r"([{}])(?=[{}])")


def _safe_template(text: str) -> str:
    """Text from data for an annotation or label (Prometheus reads both as Go templates): a space
    between any two adjacent braces, so no ``{{`` or ``}}`` is left (``"{{{"`` too).

    >>> _safe_template("{{{ $labels.x }}}")
    '{ { { $labels.x } } }'
    """
    return _BRACES.sub(r"\1 ", str(text))


def prometheus_rules(
    record_or_model: Any,
    *,
    metric_map: Mapping[str, Any] | None = None,
    for_: str = "10m",
    labels: Mapping[str, str] | None = None,
    window: str = "5m",
    group: str | None = None,
) -> str:
    """Prometheus alerting rules (YAML text) for the constraints on monitored objectives.

    One rule per hard constraint whose objective has a ``source`` metric and an ``aggregation``
    (or an entry in ``metric_map``). The alert fires when the monitored value crosses the limit
    (the resolved limit of a decision record; a bare quality model's relative constraints are
    skipped). PromQL by aggregation, ``<src>`` the source metric, ``<w>`` the window::

        p50/median/p90/p95/p99  histogram_quantile(q, sum by (le, version) (rate(<src>_bucket[<w>])))
        mean                    sum by (version) (rate(<src>_sum[<w>])) / sum by (version) (rate(<src>_count[<w>]))
        rate                    error ratio: sum by (version) (rate(<src>_total{outcome="error"}[<w>]))
                                             / sum by (version) (rate(<src>_total[<w>]))
        last / max / min        <src> / max_over_time(<src>[<w>]) / min_over_time(<src>[<w>])
        sum / count             sum by (version) (increase(<src>_total[<w>])) / ... <src>_count ...

    Values are compared in the objective's unit: when the metric is in another one (seconds vs
    ``ms``), give ``metric_map={"latency_p95_ms": {"metric": "http_request_duration_seconds",
    "scale": 1000}}``. ``metric_map`` values: a metric name, or a dict with ``metric``, ``scale``,
    ``selector`` (label matchers, e.g. ``'job="api"'``), ``error_selector`` (for ``rate``) or a
    full ``expr``. Objectives without a metric are listed in a comment at the top. When no rule
    can be written (no constraint on a monitored objective) :class:`DecisionError` says why.

    Parameters
    ----------
    record_or_model : DecisionRecord, QualityModel or dict
    metric_map : mapping, optional
    for_ : str
        How long the condition must hold (Prometheus duration, e.g. ``"10m"``).
    labels : mapping, optional
        Extra labels on every rule (``severity`` defaults to ``"critical"``).
    window : str
        Range of the ``rate``/``increase`` selectors.
    group : str, optional
        Rule group name (default ``workbench-<model name>`` or ``workbench-slo``).

    Examples
    --------
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"name": "fraud", "objectives": [
    ...     {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "aggregation": "p95",
    ...      "source": "predict_latency_ms", "constraint": "<= 150"},
    ...     {"name": "recall", "direction": "max", "constraint": ">= 0.9"}]})
    >>> rules = yaml.safe_load(prometheus_rules(qm))
    >>> rule = rules["groups"][0]["rules"][0]
    >>> rule["alert"], rule["expr"]
    ('LatencyP95MsSloBreach', 'histogram_quantile(0.95, sum by (le, version) (rate(predict_latency_ms_bucket[5m]))) > 150')
    """
    if not isinstance(for_, str) or not for_ or not _DURATION.match(for_):
        raise DecisionError(f"for_={for_!r} is not a Prometheus duration.\n  Valid: e.g. '30s', '10m', '1h', '1h30m'.")
    if not isinstance(window, str) or not window or not _DURATION.match(window):
        raise DecisionError(f"window={window!r} is not a Prometheus duration.\n  Valid: e.g. '1m', '5m', '1h'.")
    objectives, constraints, skipped_constraints, record = _objectives_and_limits(record_or_model)
    by_name = {o["name"]: o for o in objectives}
    if metric_map is not None and not isinstance(metric_map, Mapping):
        raise DecisionError(
            f"metric_map must map objective names to metrics, got {metric_map!r:.80}.\n"
            "  Fix: write e.g. 'latency_ms: http_request_duration_ms' (one line per objective)."
        )
    metric_map = dict(metric_map or {})
    for key in metric_map:
        if key not in by_name:
            raise UnknownNameError(unknown_name("metric_map: objective", key, by_name, where="an objective"))
    extra_labels = {str(k): str(v) for k, v in (labels or {}).items()}
    rules, skipped, names_used = [], [], set()
    for c in constraints:
        o = by_name.get(c["objective"])
        if o is None or c.get("limit") is None:
            continue
        expr, why = _value_expr(o, metric_map.get(o["name"]), window)
        if expr is None:
            skipped.append(f"{c['constraint']} ({why})")
            continue
        limit = float(c["limit"])
        unit = f" {_safe_template(o['unit'])}" if o.get("unit") else ""
        oname = _safe_template(o["name"])
        name = _camel(o["name"]) + "SloBreach"
        base, n = name, 2
        while name in names_used:
            name, n = f"{base}{n}", n + 1
        names_used.add(name)
        rule_labels = {"severity": "critical", **extra_labels, "objective": oname}
        if record is not None:
            rule_labels.setdefault("decision_id", _safe_template(record.id))
            rule_labels.setdefault("champion", _safe_template(record.chosen))
        description = (
            f"{o.get('aggregation') or 'value'} of {oname} is {{{{ $value | humanize }}}}{unit}; "
            f"the hard constraint is {oname} {c['op']} {limit_text(limit)}{unit}"
        )
        if record is not None:
            description += (
                f" (decision {_safe_template(record.id[:12])}, champion {_safe_template(record.chosen)}). "
                "The decision's reopen trigger fired: review it (workbench review) if this persists."
            )
        else:
            description += "."
        rules.append(
            {
                "alert": name,
                "expr": f"{expr} {_INVERSE[c['op']]} {limit_text(limit)}",
                "for": for_,
                "labels": rule_labels,
                "annotations": {
                    "summary": f"{oname} breaches {_safe_template(c['constraint'])}",
                    "description": description,
                },
            }
        )
    not_monitored = [o["name"] for o in objectives if not (o.get("source") or o["name"] in metric_map)]
    if not rules:
        reasons = skipped + skipped_constraints
        if not constraints and not skipped_constraints:
            reasons.append("the model has no hard constraint (an alert rule needs a limit)")
        if not_monitored:
            reasons.append("objectives without a monitored metric (no source:): " + ", ".join(not_monitored))
        raise DecisionError(
            "Nothing to export as Prometheus rules: no hard constraint is on a monitored objective.\n"
            "  Why: " + "; ".join(reasons) + ".\n"
            "  Fix: give the constrained objectives a 'source:' metric and an 'aggregation:' (p95, rate, "
            "mean, ...) in the quality model, or map them with metric_map={objective: metric} "
            "(CLI --metric-map); export from a decision record to resolve relative constraints."
        )
    model_name = (record.model.get("name") if record is not None else getattr(record_or_model, "name", "")) or ""
    group = group or (f"workbench-{model_name}" if model_name else "workbench-slo")
    header = [f"# Prometheus alerting rules generated by mltradeops-workbench {__version__}."]
    if record is not None:
        header.append(f"# From decision {record.id} (chosen {record.chosen!r}, model hash {record.model_hash[:12]}).")
    if not_monitored:
        header.append("# Objectives without a monitored metric (skipped): " + ", ".join(not_monitored) + ".")
    for s in skipped + skipped_constraints:
        header.append(f"# Constraint skipped: {s}")
    header = [yaml_comment(h) for h in header]
    body = yaml.safe_dump(
        {"groups": [{"name": group, "rules": rules}]}, sort_keys=False, allow_unicode=True, width=1000
    )
    return "\n".join(header) + "\n" + body


# --- Optuna --------------------------------------------------------------------------------------


def optuna_directions(record_or_model: Any) -> dict[str, Any]:
    """Directions, metric names and constraints for the next Optuna search.

    Returns
    -------
    dict
        ``directions`` (``"maximize"``/``"minimize"`` per objective, for
        ``optuna.create_study(directions=...)``), ``metric_names`` (for
        ``study.set_metric_names``), ``constraints`` (``objective, op, limit, constraint``; a
        decision record's relative constraints come resolved, a bare model's are in ``skipped``)
        and ``skipped``.

    Examples
    --------
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "recall", "direction": "max"},
    ...     {"name": "latency_ms", "direction": "min", "constraint": "<= 150"}]})
    >>> d = optuna_directions(qm)
    >>> d["directions"], d["metric_names"], d["constraints"][0]["limit"]
    (['maximize', 'minimize'], ['recall', 'latency_ms'], 150.0)
    """
    objectives, constraints, skipped, _ = _objectives_and_limits(record_or_model)
    return {
        "directions": ["maximize" if o["direction"] == "max" else "minimize" for o in objectives],
        "metric_names": [o["name"] for o in objectives],
        "constraints": [
            {"objective": c["objective"], "op": c["op"], "limit": c["limit"], "constraint": c["constraint"]}
            for c in constraints
            if c.get("limit") is not None
        ],
        "skipped": skipped,
    }


def constraint_values(record_or_model: Any, values: Mapping[str, Any]) -> dict[str, float]:
    """Optuna constraint values (``<= 0`` feasible) by constraint text, from measured ``values``.

    ``value - limit`` for ``<=``/``<``, ``limit - value`` for ``>=``/``>`` (a strict ``<`` is read
    as ``<=``); a missing or non-finite value counts as violated (``inf``).

    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "recall", "direction": "max", "constraint": ">= 0.9"},
    ...     {"name": "latency_ms", "direction": "min", "constraint": "<= 150"}]})
    >>> constraint_values(qm, {"recall": 0.95, "latency_ms": 160})
    {'recall >= 0.9': -0.05..., 'latency_ms <= 150': 10.0}
    """
    out = {}
    for c in optuna_directions(record_or_model)["constraints"]:
        v = values.get(c["objective"])
        try:
            v = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            v = math.nan
        if not math.isfinite(v):
            out[c["constraint"]] = math.inf
        else:
            out[c["constraint"]] = v - c["limit"] if c["op"] in ("<=", "<") else c["limit"] - v
    return out


def set_constraints(trial: Any, record_or_model: Any, values: Mapping[str, Any] | None = None) -> dict[str, float]:
    """Optuna 5: record the model's constraints on a running trial with ``trial.set_constraint``.

    Call it in the objective function with the measured metrics (default: ``trial.user_attrs``);
    the constraint names are the constraint texts (``"latency_ms <= 150"``). Returns the values set.
    Optuna 5 deprecates samplers' ``constraints_func`` in favour of this; :func:`constraints_func`
    remains for Optuna 4.
    """
    if not hasattr(trial, "set_constraint"):
        raise DecisionError(
            "This Optuna has no Trial.set_constraint (added in Optuna 5).\n"
            "  Fix: pass constraints_func(model) to the sampler instead."
        )
    out = constraint_values(record_or_model, dict(trial.user_attrs) if values is None else values)
    for key, value in out.items():
        trial.set_constraint(key, value)
    return out


def constraints_func(record_or_model: Any) -> Callable[[Any], list[float]]:
    """A callable for Optuna's ``constraints_func`` (e.g. ``NSGAIISampler(constraints_func=...)``).

    For each constraint it returns ``value - limit`` (``<=``/``<``) or ``limit - value``
    (``>=``/``>``): Optuna counts values ``<= 0`` as feasible (so a strict ``<`` is read as ``<=``).
    The value is ``trial.user_attrs[<objective>]`` — set it in the objective function with
    ``trial.set_user_attr(name, value)`` — or else the trial's value for that metric; a missing
    value counts as violated (``inf``). Optuna 5 deprecates a sampler's ``constraints_func`` (it
    warns): there, prefer :func:`set_constraints` in the objective function.
    """
    info = optuna_directions(record_or_model)
    names = info["metric_names"]
    cons = info["constraints"]

    def _constraints(trial: Any) -> list[float]:
        out = []
        values = getattr(trial, "values", None) or []
        attrs = getattr(trial, "user_attrs", {}) or {}
        for c in cons:
            v = attrs.get(c["objective"])
            if v is None and c["objective"] in names and len(values) == len(names):
                v = values[names.index(c["objective"])]
            if v is None or not math.isfinite(float(v)):
                out.append(math.inf)
                continue
            v = float(v)
            out.append(v - c["limit"] if c["op"] in ("<=", "<") else c["limit"] - v)
        return out

    return _constraints
