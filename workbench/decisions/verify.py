"""Re-derive a recorded decision from its data: does it still hold, and if not, what differs?

:func:`verify_decision` reloads the candidates the record names (or the ones given), checks the
data and quality-model hashes against the recorded ones, re-runs the analysis with the recorded
method, weights, champion, seed and parameters, records the decision again and compares the
choice and the :func:`evidence_digest` (a hash of everything the decision rests on: options,
trade-offs, robustness, seed evidence, constraints, weights — not ids, times or names). The CLI
(``workbench decisions verify ID``) only prints the :class:`Verification`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

from workbench._version import __version__
from workbench.decisions.record import DecisionRecord
from workbench.errors import DecisionError, SourceNotFoundError, WorkbenchError

__all__ = ["EVIDENCE_FIELDS", "Verification", "evidence_digest", "verify_decision"]

#: The fields of a record the evidence digest covers (what the decision rests on).
EVIDENCE_FIELDS = (
    "chosen",
    "method",
    "weights",
    "constraints",
    "model_hash",
    "candidates",
    "data_hash",
    "options",
    "accepted_tradeoffs",
    "robustness",
)
#: Significant digits floats are compared to (below that, platform rounding is not a difference).
DIGITS = 10


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{DIGITS}g}")
    return value


def evidence_digest(record: DecisionRecord) -> str:
    """``sha256:<hex>`` of the record's evidence (:data:`EVIDENCE_FIELDS`, floats to 10 significant
    digits, keys sorted): two records of the same decision on the same data have the same digest,
    whoever recorded them and when."""
    data = {k: _canonical(getattr(record, k)) for k in EVIDENCE_FIELDS}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Verification:
    """Outcome of :func:`verify_decision`.

    ``verified`` is True when the re-derived decision has the same choice and the same evidence
    digest; ``differences`` says exactly what differs otherwise (data changed, model changed,
    different choice, evidence that changed, library version changed); ``notes`` holds what does
    not change the verdict (e.g. a newer library that still gives the same digest).
    """

    decision: str
    verified: bool
    chosen: str
    rederived_choice: str | None
    recorded_digest: str
    rederived_digest: str | None
    data_hash: tuple[str, str | None]
    model_hash: tuple[str, str | None]
    versions: tuple[str, str]
    source: str
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.verified

    @property
    def exit_code(self) -> int:
        """0 verified, 1 something differs (bad input raises instead: exit 2 in the CLI)."""
        return 0 if self.verified else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "verified": self.verified,
            "chosen": self.chosen,
            "rederived_choice": self.rederived_choice,
            "recorded_digest": self.recorded_digest,
            "rederived_digest": self.rederived_digest,
            "data_hash": {"recorded": self.data_hash[0], "now": self.data_hash[1]},
            "model_hash": {"recorded": self.model_hash[0], "now": self.model_hash[1]},
            "versions": {"recorded": self.versions[0], "now": self.versions[1]},
            "source": self.source,
            "differences": list(self.differences),
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        if self.verified:
            head = (
                f"verified: same choice ({self.chosen}), same summary digest ({self.recorded_digest[:19]}…) "
                f"— decision {self.decision[:12]} re-derived from {self.source}"
            )
        else:
            head = f"NOT verified: decision {self.decision[:12]} re-derived from {self.source} differs"
        return head + "".join(f"\n  - {d}" for d in self.differences) + "".join(f"\n  note: {n}" for n in self.notes)


def _params(record: DecisionRecord) -> dict[str, Any]:
    prov = record.provenance or {}
    p = dict(prov.get("parameters") or {})
    return {
        "smaa": int(p.get("smaa", p.get("smaa_samples", 0)) or 0),
        "seed": int(p.get("seed", prov.get("seed", 0)) or 0),
        "smaa_weights": p.get("smaa_weights", "simplex"),
        "knee_radius": p.get("knee_radius"),
        "knee_threshold": p.get("knee_threshold"),
        "tolerance": p.get("tolerance", True),
        "confidence": p.get("confidence", 0.95),
        "resamples": p.get("resamples", 4000),
    }


def _where(record: DecisionRecord) -> tuple[str | None, dict[str, Any]]:
    """(the candidates spec to reload, load options) from the record's provenance."""
    prov = record.provenance or {}
    ref = dict(prov.get("source_ref") or {})
    params = dict(prov.get("parameters") or {})
    options: dict[str, Any] = {}
    if params.get("emissions"):
        options["emissions"] = params["emissions"]
    if params.get("replicates"):
        options["replicate_column"] = params["replicates"]
    elif (
        ref.get("replicate_column")
        and not ref.get("replicate_column_detected")
        and not str(prov.get("source") or "").startswith(("mlflow:", "optuna:"))
    ):
        options["replicate_column"] = ref["replicate_column"]
    if isinstance(params.get("candidates"), str) and params["candidates"]:
        return params["candidates"], options
    source = str(prov.get("source") or "")
    if source.startswith(("mlflow:", "optuna:")):
        return source, options
    if ref.get("path"):
        return str(ref["path"]), options
    return None, options


def verify_decision(
    record: DecisionRecord, *, candidates: Any = None, model: Any = None, load_options: dict[str, Any] | None = None
) -> Verification:
    """Re-derive ``record`` and say whether it still holds.

    Parameters
    ----------
    record : DecisionRecord
    candidates : source spec, path, DataFrame or Candidates, optional
        Where the data is now; default: where the record says it came from (the review's
        ``candidates`` parameter, the file path or the MLflow/Optuna source).
    model : QualityModel or path, optional
        A quality model to check against the recorded one (e.g. the YAML file in the repository);
        default: the model stored in the record.
    load_options : dict, optional
        Extra options for :func:`workbench.load` (``id_column``...).

    Raises
    ------
    SourceNotFoundError
        The record does not say where its data is and none was given, or the data is gone.
    """
    from workbench.analysis import analyze
    from workbench.quality import QualityModel
    from workbench.sources import load

    if not isinstance(record, DecisionRecord):
        raise DecisionError(f"verify_decision needs a DecisionRecord, got {type(record).__name__}.")
    differences: list[str] = []
    notes: list[str] = []
    recorded_model = QualityModel.from_dict(record.model)
    if model is None:
        qm = recorded_model
    elif isinstance(model, QualityModel):
        qm = model
    else:
        qm = QualityModel.from_yaml(model)
    model_now = qm.hash
    if record.model_hash and model_now != record.model_hash:
        what = "the given quality model" if model is not None else "the recorded quality model"
        differences.append(
            f"model changed: {what} hashes {model_now[:12]}…, the decision recorded {record.model_hash[:12]}…"
        )
    spec, options = _where(record)
    options.update(load_options or {})
    if candidates is not None:
        spec = candidates
    if spec is None:
        raise SourceNotFoundError(
            f"Decision {record.id[:12]} does not say where its candidates came from.\n"
            "  Fix: pass the data: verify_decision(record, candidates=PATH) (CLI: --candidates PATH)."
        )
    shown = spec if isinstance(spec, str) else type(spec).__name__
    try:
        cands = load(spec, model=qm, **options)
    except SourceNotFoundError as exc:
        raise SourceNotFoundError(
            f"The data of decision {record.id[:12]} is not where it was: {exc}\n"
            "  Fix: pass its current location with --candidates (verify_decision(..., candidates=...))."
        ) from None
    data_now = cands.data_hash
    if record.data_hash and data_now != record.data_hash:
        differences.append(
            f"data changed: the candidates from {shown} hash {data_now[:12]}…, the decision "
            f"recorded {record.data_hash[:12]}…"
        )
        ids_now = set(map(str, cands.table.index))
        added, removed = sorted(ids_now - set(record.candidates)), sorted(set(record.candidates) - ids_now)
        if added:
            differences.append(f"candidates added: {', '.join(added[:10])}" + ("…" if len(added) > 10 else ""))
        if removed:
            differences.append(f"candidates removed: {', '.join(removed[:10])}" + ("…" if len(removed) > 10 else ""))
    recorded_version = str((record.provenance or {}).get("workbench_version") or "unknown")
    p = _params(record)
    kwargs = {k: p[k] for k in ("knee_radius", "knee_threshold") if p[k] is not None}
    prov = record.provenance or {}
    recorded_digest = evidence_digest(record)
    rederived_choice = rederived_digest = None
    weights = record.weights or None
    if (
        weights
        and set(weights) == set(qm.weights)
        and all(math.isclose(float(weights[k]), float(qm.weights[k]), rel_tol=1e-9, abs_tol=1e-12) for k in weights)
    ):
        weights = None  # the model's own weights: keep the model (and its hash) as recorded
    try:
        analysis = analyze(
            cands,
            qm,
            method=record.method or None,
            weights=weights,
            champion=prov.get("champion"),
            smaa=p["smaa"],
            seed=p["seed"],
            smaa_weights=p["smaa_weights"],
            tolerance=p["tolerance"],
            confidence=p["confidence"],
            resamples=p["resamples"],
            **kwargs,
        )
        rederived_choice = analysis.recommended
        recorded_rec = prov.get("recommended", record.chosen)
        if rederived_choice != recorded_rec:
            differences.append(
                f"different choice: the analysis now recommends {rederived_choice}, it recommended {recorded_rec}"
            )
        if record.chosen not in analysis.table.index:
            differences.append(f"the chosen candidate {record.chosen} is no longer among the candidates")
        else:
            again = DecisionRecord.from_analysis(analysis, chosen=record.chosen)
            rederived_digest = evidence_digest(again)
            if rederived_digest != recorded_digest:
                changed = [
                    k for k in EVIDENCE_FIELDS if _canonical(getattr(again, k)) != _canonical(getattr(record, k))
                ]
                differences.append(
                    f"different summary digest: {rederived_digest[:19]}… now, "
                    f"{recorded_digest[:19]}… recorded; differing: {', '.join(changed)}"
                )
                differences += _option_changes(record, again)
    except WorkbenchError as exc:
        differences.append(f"the analysis no longer runs on this data: {exc}")
    if recorded_version != __version__:
        text = f"library version changed: recorded with workbench {recorded_version}, verified with {__version__}"
        (differences if differences else notes).append(text)
    return Verification(
        decision=record.id,
        verified=not differences,
        chosen=record.chosen,
        rederived_choice=rederived_choice,
        recorded_digest=recorded_digest,
        rederived_digest=rederived_digest,
        data_hash=(record.data_hash, data_now),
        model_hash=(record.model_hash, model_now),
        versions=(recorded_version, __version__),
        source=shown,
        differences=differences,
        notes=notes,
    )


def _option_changes(old: DecisionRecord, new: DecisionRecord, limit: int = 5) -> list[str]:
    """The first few per-option fields that differ (rank, score, front, feasible, values)."""
    from workbench.format import format_number

    before = {o["id"]: o for o in old.options}
    out = []
    for o in new.options:
        b = before.get(o["id"])
        if b is None:
            continue
        for key in ("feasible", "front", "rank", "score", "acceptability"):
            if _canonical(b.get(key)) != _canonical(o.get(key)):
                show = format_number if isinstance(o.get(key), float) else str
                out.append(f"{o['id']}: {key} {show(b.get(key))} → {show(o.get(key))}")
        for name, v in (o.get("values") or {}).items():
            if _canonical(b.get("values", {}).get(name)) != _canonical(v):
                out.append(f"{o['id']}: {name} {format_number(b['values'].get(name))} → {format_number(v)}")
        if len(out) >= limit:
            break
    return out[:limit]
