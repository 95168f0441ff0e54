"""The quality model: objectives, hard constraints, stakeholder weight sets and the default method."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from workbench.errors import QualityModelError, SourceNotFoundError, UnknownNameError, unknown_name
from workbench.quality.objective import Constraint, Objective, _finite, check_keys

__all__ = ["QualityModel", "METHODS"]

#: Scoring methods; see ``workbench.analysis.scoring``.
METHODS = ("weighted_sum", "tchebycheff", "asf", "topsis")

_MODEL_KEYS = (
    "name",
    "description",
    "objectives",
    "constraints",
    "stakeholders",
    "method",
    "reference_point",
    "champion",
    "version",
)
_FORMAT_VERSION = 1


def _reference_error(what: str, key: Any, names: tuple[str, ...], fix: str = "") -> UnknownNameError:
    """A name used inside the model (weights, constraints, reference point) that no objective has.

    Both spellings come from the same file, so a close match is not a fix: the objective itself may
    be the misspelt one. The message names both and asks for one spelling; it never proposes a name
    as the correct one.
    """
    import difflib

    close = difflib.get_close_matches(str(key), list(names), n=1, cutoff=0.6)
    msg = f"{what}: {key!r} is not an objective of the model.\n  Objectives: {', '.join(names) if names else '(none)'}."
    if close:
        msg += (
            f"\n  The objective {close[0]!r} is spelt differently; one of the two spellings is wrong."
            f"\n  Fix: use one spelling for the objective and every reference to it."
        )
    elif fix:
        msg += f"\n  Fix: {fix}"
    return UnknownNameError(msg)


def _freeze_weights(weights: Mapping[str, Any], names: tuple[str, ...], what: str) -> MappingProxyType[str, float]:
    if not isinstance(weights, Mapping):
        raise QualityModelError(f"{what} must map objective names to weights, got {weights!r}.")
    out: dict[str, float] = {}
    for key, value in weights.items():
        if key not in names:
            raise _reference_error(what, key, names, fix="weigh only objectives the model declares.")
        w = _finite(value, f"{what}: weight of {key!r}")
        if w < 0:
            raise QualityModelError(f"{what}: weight of {key!r} is {value!r}; weights must be finite and >= 0.")
        out[key] = w
    full = {n: out.get(n, 0.0) for n in names}
    if sum(full.values()) <= 0:
        raise QualityModelError(
            f"{what}: all weights are zero ({full}). At least one objective needs a positive weight."
        )
    return MappingProxyType(full)


def _constraint_list(value: Any, what: str) -> list[Any]:
    """``None``, one constraint string or a list of them -> a list."""
    if value is None:
        return []
    if isinstance(value, (str, Constraint)):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise QualityModelError(
            f"{what} must be a constraint string or a list of them, got {value!r:.80}.\n"
            "  Fix: write e.g. 'latency_ms <= 150' (or '<= 150' under an objective)."
        )
    return list(value)


@dataclass(frozen=True, repr=False)
class QualityModel:
    """A declared quality model, validated on construction and immutable.

    Parameters
    ----------
    objectives : sequence of Objective
        At least one; names are unique and are the columns of the candidates table.
    constraints : sequence of Constraint or str
        Hard constraints such as ``"latency_p95_ms <= 150"`` or ``"recall >= 0.98 * champion"``.
    stakeholders : mapping of name -> {objective: weight}
        Named weight sets; objectives left out get weight 0.
    method : {"weighted_sum", "tchebycheff", "asf", "topsis"}
        Default scoring method.
    reference_point : mapping of objective -> value, optional
        Aspiration levels for ``asf`` in the objectives' units (default: the ideal point).
    champion : str, optional
        Candidate id of the current champion, the default baseline of relative constraints.

    Examples
    --------
    >>> qm = QualityModel.from_dict({
    ...     "objectives": [
    ...         {"name": "accuracy", "direction": "max", "weight": 2, "quality_attribute": "system_accuracy"},
    ...         {"name": "latency_ms", "direction": "min", "unit": "ms", "constraint": "<= 150"},
    ...     ],
    ...     "stakeholders": {"ops": {"latency_ms": 3, "accuracy": 1}},
    ... })
    >>> qm
    QualityModel(accuracy ▲ w=2, latency_ms ▼ [ms] w=1; latency_ms <= 150; stakeholders: ops; method=weighted_sum)
    >>> qm.weights
    {'accuracy': 0.666..., 'latency_ms': 0.333...}
    >>> qm.with_weights("ops").weights
    {'accuracy': 0.25, 'latency_ms': 0.75}
    >>> QualityModel.from_yaml(qm.to_yaml()) == qm
    True
    """

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    stakeholders: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    method: str = "weighted_sum"
    reference_point: Mapping[str, float] | None = None
    champion: str | None = None
    name: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.objectives, (list, tuple)):
            raise QualityModelError(
                f"objectives must be a list of Objective (or mappings), got {self.objectives!r:.80}."
            )
        objectives = tuple(o if isinstance(o, Objective) else Objective.from_dict(o) for o in self.objectives)
        if not objectives:
            raise QualityModelError("A quality model needs at least one objective.")
        names = tuple(o.name for o in objectives)
        seen: set[str] = set()
        for n in names:
            if n in seen:
                raise QualityModelError(
                    f"Objective {n!r} is declared twice. Objective names must be unique; "
                    "rename one (e.g. 'latency_p50_ms' and 'latency_p95_ms')."
                )
            seen.add(n)
        if sum(o.weight for o in objectives) <= 0:
            raise QualityModelError("All objective weights are zero. At least one objective needs a positive weight.")
        set_(self, "objectives", objectives)
        constraints = []
        for c in _constraint_list(self.constraints, "constraints"):
            c = c if isinstance(c, Constraint) else Constraint.parse(c)
            if c.objective not in names:
                raise _reference_error(
                    f"Constraint {str(c)!r}",
                    c.objective,
                    names,
                    fix="declare the objective, or correct the constraint's name.",
                )
            constraints.append(c)
        set_(self, "constraints", tuple(constraints))
        if not isinstance(self.stakeholders, Mapping):
            raise QualityModelError(
                f"stakeholders must map stakeholder names to weight sets, got {self.stakeholders!r:.80}.\n"
                "  Fix: write e.g. 'stakeholders: {ops: {latency_ms: 3, accuracy: 1}}'."
            )
        set_(
            self,
            "stakeholders",
            MappingProxyType(
                {str(k): _freeze_weights(v, names, f"Stakeholder {k!r}") for k, v in dict(self.stakeholders).items()}
            ),
        )
        if self.method not in METHODS:
            raise UnknownNameError(unknown_name("Method", self.method, METHODS, where="a scoring method"))
        if self.reference_point is not None:
            if not isinstance(self.reference_point, Mapping):
                raise QualityModelError(
                    f"reference_point must map objective names to values, got {self.reference_point!r}."
                )
            ref = {}
            for key, value in self.reference_point.items():
                if key not in names:
                    raise _reference_error(
                        "reference_point", key, names, fix="give reference values only for declared objectives."
                    )
                ref[key] = _finite(value, f"reference_point[{key!r}]")
            set_(self, "reference_point", MappingProxyType(ref))
        if self.champion is not None:
            set_(self, "champion", str(self.champion))
        for key in ("name", "description"):
            value = getattr(self, key)
            if value is None:
                set_(self, key, "")
            elif not isinstance(value, str):
                raise QualityModelError(f"The quality model's {key} must be text, got {value!r:.80}.")

    # --- access ------------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """Objective names, in declaration order."""
        return [o.name for o in self.objectives]

    def __getitem__(self, name: str) -> Objective:
        for o in self.objectives:
            if o.name == name:
                return o
        raise UnknownNameError(unknown_name("Objective", name, self.names, where="an objective of the model"))

    def __iter__(self):
        return iter(self.objectives)

    def __len__(self) -> int:
        return len(self.objectives)

    @property
    def weights(self) -> dict[str, float]:
        """Weights normalised to sum to 1 (the raw ones stay on the objectives)."""
        total = sum(o.weight for o in self.objectives)
        return {o.name: o.weight / total for o in self.objectives}

    def constraints_on(self, name: str) -> list[Constraint]:
        return [c for c in self.constraints if c.objective == name]

    # --- derived models ----------------------------------------------------------------------

    def with_weights(self, weights: str | Mapping[str, float]) -> QualityModel:
        """A copy with new weights: a stakeholder name, or a mapping (objectives left out get 0)."""
        if isinstance(weights, str):
            if weights not in self.stakeholders:
                raise UnknownNameError(
                    unknown_name(
                        "Stakeholder",
                        weights,
                        self.stakeholders,
                        where="a stakeholder of the model",
                        fix="add it under 'stakeholders:' in the quality model.",
                    )
                )
            new = self.stakeholders[weights]
        else:
            new = _freeze_weights(weights, tuple(self.names), "Weights")
        return replace(self, objectives=tuple(replace(o, weight=new[o.name]) for o in self.objectives))

    def with_constraints(self, constraints: Iterable[Constraint | str]) -> QualityModel:
        """A copy whose constraints are replaced."""
        return replace(self, constraints=tuple(constraints))

    def replace(self, **changes: Any) -> QualityModel:
        """A copy with fields replaced (validated again)."""
        return replace(self, **changes)

    # --- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain, YAML/JSON-safe mapping that :meth:`from_dict` reads back to an equal model."""
        out: dict[str, Any] = {"version": _FORMAT_VERSION}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        out["method"] = self.method
        if self.champion is not None:
            out["champion"] = self.champion
        out["objectives"] = [o.to_dict() for o in self.objectives]
        if self.constraints:
            out["constraints"] = [str(c) for c in self.constraints]
        if self.stakeholders:
            out["stakeholders"] = {k: dict(v) for k, v in self.stakeholders.items()}
        if self.reference_point is not None:
            out["reference_point"] = dict(self.reference_point)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityModel:
        """Build from a mapping; objectives may be a list or a mapping name -> spec.

        An objective may carry its own ``constraint`` (a string or a list of them) written without
        its name, e.g. ``constraint: "<= 150"``.
        """
        if not isinstance(data, Mapping):
            raise QualityModelError(f"A quality model must be a mapping, got {type(data).__name__}: {data!r:.80}")
        check_keys(data, _MODEL_KEYS, "a quality model")
        version = data.get("version", _FORMAT_VERSION)
        if version != _FORMAT_VERSION:
            raise QualityModelError(
                f"Quality model format version {version!r} is not supported (expected {_FORMAT_VERSION})."
            )
        raw = data.get("objectives")
        if raw is None:
            raise QualityModelError("A quality model needs 'objectives:' (a list of {name, direction, ...}).")
        if isinstance(raw, Mapping):
            for k, v in raw.items():
                if v is not None and not isinstance(v, Mapping):
                    raise QualityModelError(
                        f"Objective {k!r} must map to its settings ({{direction: min, ...}}), got {v!r:.80}."
                    )
            raw = [{"name": k, **(v or {})} for k, v in raw.items()]
        if not isinstance(raw, list):
            raise QualityModelError(f"'objectives' must be a list or a mapping, got {raw!r:.80}.")
        objectives, constraints = [], []
        for spec in raw:
            if not isinstance(spec, Mapping):
                raise QualityModelError(f"An objective must be a mapping, got {spec!r}.")
            spec = dict(spec)
            own = spec.pop("constraint", None)
            own = _constraint_list(own, f"Objective {spec.get('name', '?')!r}: constraint")
            obj = Objective.from_dict(spec)
            objectives.append(obj)
            constraints += [Constraint.parse(text, objective=obj.name) for text in own]
        extra = _constraint_list(data.get("constraints"), "constraints")
        constraints += [c if isinstance(c, Constraint) else Constraint.parse(c) for c in extra]
        return cls(
            objectives=tuple(objectives),
            constraints=tuple(constraints),
            stakeholders=data.get("stakeholders") or {},
            method=data.get("method", "weighted_sum"),
            reference_point=data.get("reference_point"),
            champion=data.get("champion"),
            name=data.get("name"),
            description=data.get("description"),
        )

    @classmethod
    def from_yaml(cls, source: str | os.PathLike[str]) -> QualityModel:
        """Read a model from a YAML file path, or from YAML text (anything containing a newline)."""
        if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source):
            path = Path(source)
            from workbench._io import is_file

            if not is_file(path):
                raise SourceNotFoundError(
                    f"Quality model file {str(path)!r} does not exist.\n"
                    "  Fix: pass the path of a YAML file with 'objectives:' (see README, 'Quality model')."
                )
            text = path.read_text(encoding="utf-8")
        else:
            text = source
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise QualityModelError(f"The quality model is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    def to_yaml(self, path: str | os.PathLike[str] | None = None) -> str:
        """YAML text of :meth:`to_dict`; also written (atomically) to ``path`` when given."""
        data = self.to_dict()
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        if yaml.safe_load(text) != data:  # PyYAML writes some characters (e.g. U+0085) unescaped and
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)  # reads them back changed
        if path is not None:
            from workbench._io import atomic_write_text

            atomic_write_text(path, text)
        return text

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict`: equal models have equal hashes."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        objs = ", ".join(repr(o)[len("Objective(") : -1].split(",")[0] for o in self.objectives)
        parts = [objs]
        if self.constraints:
            parts.append(", ".join(map(str, self.constraints)))
        if self.stakeholders:
            parts.append("stakeholders: " + ", ".join(self.stakeholders))
        parts.append(f"method={self.method}")
        return f"QualityModel({'; '.join(parts)})"
