"""Configuration spaces: what a search may change, declared in YAML or Python.

A space is a list of parameters: ``float`` (optionally log-scaled), ``int`` (optionally
log-scaled or with a step), ``categorical`` and ``bool``. A parameter may be *conditional*: it
is active only when categorical parents take given values (``when: {family: [tree, forest]}``), so
a model family brings its own hyperparameters. Deployment knobs (decision threshold, batch size,
quantisation level) are parameters like any other.

The optimiser sees the space as the unit box ``[0, 1]^d``, one coordinate per parameter
(a random-key encoding): :meth:`Space.decode` maps a point to a configuration, skipping inactive
parameters, so standard real-valued operators (SBX, polynomial mutation) search mixed and
conditional spaces alike. Two points that decode to the same configuration are the same
candidate: :meth:`Space.key` identifies a configuration by the SHA-256 of its canonical JSON, and
the search never evaluates a key twice.

YAML::

    name: classifier-search
    parameters:
      family: {type: categorical, choices: [tree, linear]}
      depth: {type: int, low: 1, high: 12, when: {family: tree}}
      C: {type: float, low: 0.001, high: 100, log: true}
      threshold: {type: float, low: 0.1, high: 0.9}
    conditions:            # the same as `when:` on the parameter; either form
      C: {family: linear}
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from workbench.errors import SpaceError, unknown_name

__all__ = ["Space", "Float", "Int", "Categorical", "Bool", "Parameter", "TYPES"]

#: Parameter type names accepted in a space file, with their aliases.
TYPES = {
    "float": "float",
    "real": "float",
    "double": "float",
    "int": "int",
    "integer": "int",
    "categorical": "categorical",
    "choice": "categorical",
    "cat": "categorical",
    "bool": "bool",
    "boolean": "bool",
}
_KEYS = {
    "float": ("type", "low", "high", "log", "when", "description"),
    "int": ("type", "low", "high", "log", "step", "when", "description"),
    "categorical": ("type", "choices", "when", "description"),
    "bool": ("type", "when", "description"),
}


def _number(value: Any, what: str, *, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        kind = "an integer" if integer else "a number"
        raise SpaceError(f"{what} must be {kind}, got {value!r}.")
    if not math.isfinite(float(value)):
        raise SpaceError(f"{what} must be finite, got {value!r}.")
    if integer and float(value) != int(value):
        raise SpaceError(f"{what} must be an integer, got {value!r}.")
    return int(value) if integer else float(value)


@dataclass(frozen=True)
class Parameter:
    """Common part of every parameter: its name, condition and description."""

    name: str
    when: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=(), kw_only=True)
    description: str = field(default="", kw_only=True)

    kind = "parameter"

    def decode(self, u: float) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode(self, value: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def check(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def cardinality(self) -> float:
        return math.inf

    def _spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        out.update(self._bounds())
        if self.when:
            out["when"] = {p: list(v) if len(v) > 1 else v[0] for p, v in self.when}
        if self.description:
            out["description"] = self.description
        return out

    def _bounds(self) -> dict[str, Any]:  # pragma: no cover - abstract
        return {}

    def _bad(self, value: Any, valid: str) -> SpaceError:
        return SpaceError(f"Parameter {self.name!r}: value {value!r} is not {valid}.")


@dataclass(frozen=True)
class Float(Parameter):
    """A real number in ``[low, high]``; ``log=True`` searches its logarithm uniformly."""

    low: float = 0.0
    high: float = 1.0
    log: bool = False

    kind = "float"

    def __post_init__(self) -> None:
        low = _number(self.low, f"Parameter {self.name!r}: low")
        high = _number(self.high, f"Parameter {self.name!r}: high")
        if not low < high:
            raise SpaceError(
                f"Parameter {self.name!r} has an empty range: low={self.low!r} >= high={self.high!r}.\n"
                "  Fix: make low < high, or drop the parameter and pass the value as a constant."
            )
        if self.log and low <= 0:
            raise SpaceError(f"Parameter {self.name!r} is log-scaled, so low must be > 0; got low={self.low!r}.")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def decode(self, u: float) -> float:
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high)
            t = lo + u * (hi - lo)
            # the bounds exactly: exp(log(low)) need not be low, and encode(low) must decode to low
            value = self.low if t <= lo else self.high if t >= hi else math.exp(t)
        else:
            value = self.low + u * (self.high - self.low)
        return float(min(max(value, self.low), self.high))

    def encode(self, value: Any) -> float:
        x = self.check(value)
        if self.log:
            u = (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        else:
            u = (x - self.low) / (self.high - self.low)
        # rounding: decode(u) may miss x by an ulp; step u (a few ulps at most) to a point that decodes
        # to x exactly, so that a decoded configuration keeps its key through encode
        for _ in range(8):
            y = self.decode(u)
            if y == x:
                break
            u = math.nextafter(u, 1.0 if y < x else 0.0)
        return u

    def check(self, value: Any) -> float:
        try:
            x = _number(value, f"Parameter {self.name!r}")
        except SpaceError:
            raise self._bad(value, f"a number in [{self.low:g}, {self.high:g}]") from None
        if not self.low <= x <= self.high:
            raise self._bad(value, f"in [{self.low:g}, {self.high:g}]")
        return x

    def _bounds(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, **({"log": True} if self.log else {})}


@dataclass(frozen=True)
class Int(Parameter):
    """An integer ``low, low + step, ..., <= high``; ``log=True`` spreads the search logarithmically."""

    low: int = 0
    high: int = 1
    log: bool = False
    step: int = 1

    kind = "int"

    def __post_init__(self) -> None:
        low = _number(self.low, f"Parameter {self.name!r}: low", integer=True)
        high = _number(self.high, f"Parameter {self.name!r}: high", integer=True)
        step = _number(self.step, f"Parameter {self.name!r}: step", integer=True)
        if step < 1:
            raise SpaceError(f"Parameter {self.name!r}: step must be >= 1, got {self.step!r}.")
        if not low < high:
            raise SpaceError(
                f"Parameter {self.name!r} has an empty range: low={self.low!r} >= high={self.high!r}.\n"
                "  Fix: make low < high, or drop the parameter and pass the value as a constant."
            )
        if self.log and (low <= 0 or step != 1):
            raise SpaceError(
                f"Parameter {self.name!r} is log-scaled, so it needs low >= 1 and step 1; "
                f"got low={self.low!r}, step={self.step!r}."
            )
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", low + (high - low) // step * step)
        object.__setattr__(self, "step", step)

    @property
    def cardinality(self) -> float:
        return (self.high - self.low) // self.step + 1

    def decode(self, u: float) -> int:
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high + 1) - math.log(self.low)))
            return int(min(max(math.floor(x), self.low), self.high))
        n = int(self.cardinality)
        return self.low + min(int(u * n), n - 1) * self.step

    def encode(self, value: Any) -> float:
        x = self.check(value)
        if self.log:
            lo, hi = math.log(self.low), math.log(self.high + 1)
            return ((math.log(x) + math.log(x + 1)) / 2 - lo) / (hi - lo)
        return ((x - self.low) // self.step + 0.5) / self.cardinality

    def check(self, value: Any) -> int:
        valid = f"an integer in [{self.low}, {self.high}]" + (f" in steps of {self.step}" if self.step > 1 else "")
        try:
            x = _number(value, f"Parameter {self.name!r}", integer=True)
        except SpaceError:
            raise self._bad(value, valid) from None
        if not self.low <= x <= self.high or (x - self.low) % self.step:
            raise self._bad(value, valid)
        return int(x)

    def _bounds(self) -> dict[str, Any]:
        out: dict[str, Any] = {"low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step != 1:
            out["step"] = self.step
        return out


@dataclass(frozen=True)
class Categorical(Parameter):
    """One of a list of choices (strings, numbers or booleans)."""

    choices: tuple[Any, ...] = ()

    kind = "categorical"

    def __post_init__(self) -> None:
        choices = tuple(self.choices) if isinstance(self.choices, (list, tuple)) else None
        if not choices:
            raise SpaceError(f"Parameter {self.name!r} needs a non-empty list of choices, got {self.choices!r}.")
        for c in choices:
            if not isinstance(c, (str, int, float, bool)) or (isinstance(c, float) and not math.isfinite(c)):
                raise SpaceError(f"Parameter {self.name!r}: choice {c!r} must be a string, number or boolean.")
        if len(set(map(_canonical, choices))) != len(choices):
            raise SpaceError(f"Parameter {self.name!r} lists a choice twice: {list(choices)!r}.")
        object.__setattr__(self, "choices", choices)

    @property
    def cardinality(self) -> float:
        return len(self.choices)

    def decode(self, u: float) -> Any:
        n = len(self.choices)
        return self.choices[min(int(u * n), n - 1)]

    def encode(self, value: Any) -> float:
        return (self._index(value) + 0.5) / len(self.choices)

    def check(self, value: Any) -> Any:
        return self.choices[self._index(value)]

    def _index(self, value: Any) -> int:
        wanted = _canonical(value)
        for i, c in enumerate(self.choices):
            if _canonical(c) == wanted:
                return i
        raise SpaceError(
            unknown_name(f"Parameter {self.name!r}: value", value, self.choices, where="one of its choices")
        )

    def _bounds(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


@dataclass(frozen=True)
class Bool(Categorical):
    """``False`` or ``True``."""

    choices: tuple[Any, ...] = (False, True)

    kind = "bool"

    def _bounds(self) -> dict[str, Any]:
        return {}


def _canonical(value: Any) -> str:
    """Type-aware identity of a value: True, 1 and "1" are different choices."""
    if isinstance(value, np.generic):
        value = value.item()
    return f"{type(value).__name__}:{value!r}"


def _json_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class Space:
    """An ordered set of parameters with conditions.

    Build it in Python, ``Space([Categorical("family", ["tree", "linear"]), Int("depth", 1, 12,
    when={"family": "tree"})])``, or from YAML with :meth:`from_yaml`.

    Examples
    --------
    >>> s = Space.from_dict({"parameters": {
    ...     "family": {"type": "categorical", "choices": ["tree", "linear"]},
    ...     "depth": {"type": "int", "low": 1, "high": 12, "when": {"family": "tree"}},
    ...     "C": {"type": "float", "low": 0.01, "high": 100, "log": True, "when": {"family": "linear"}}}})
    >>> s.decode([0.1, 0.5, 0.5])
    {'family': 'tree', 'depth': 7}
    >>> s.decode([0.9, 0.5, 0.5])
    {'family': 'linear', 'C': 1.0}
    >>> s.decode(s.encode({'family': 'tree', 'depth': 3}))
    {'family': 'tree', 'depth': 3}
    """

    def __init__(self, parameters: Sequence[Parameter], *, name: str = "", description: str = "") -> None:
        params = list(parameters)
        if not params:
            raise SpaceError("The space has no parameters.\n  Fix: declare at least one under 'parameters:'.")
        by_name: dict[str, Parameter] = {}
        for p in params:
            if not isinstance(p, Parameter):
                raise SpaceError(f"Expected Float, Int, Categorical or Bool parameters, got {p!r}.")
            if not isinstance(p.name, str) or not p.name.strip():
                raise SpaceError(f"Parameter names must be non-empty strings, got {p.name!r}.")
            if p.name in by_name:
                raise SpaceError(f"Parameter {p.name!r} is declared twice.")
            by_name[p.name] = p
        self.name = str(name or "")
        self.description = str(description or "")
        self._params = {p.name: _with_checked_condition(p, by_name) for p in params}
        self._order = _topological(self._params)
        self._in_order = self._order == list(self._params)

    # --- construction --------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Space:
        """Build from the mapping a space file holds (see the module docstring)."""
        if not isinstance(data, Mapping):
            raise SpaceError(f"A space must be a mapping with 'parameters:', got {type(data).__name__}.")
        for key in data:
            if key not in ("name", "description", "parameters", "conditions"):
                raise SpaceError(
                    unknown_name(
                        "Key",
                        key,
                        ("name", "description", "parameters", "conditions"),
                        where="a valid key of a space",
                        fix="remove or rename it.",
                    )
                )
        raw = data.get("parameters")
        if not isinstance(raw, Mapping) or not raw:
            raise SpaceError(
                f"A space needs a non-empty mapping 'parameters:', got {raw!r}.\n"
                "  Fix: parameters: {x: {type: float, low: 0, high: 1}}"
            )
        conditions = data.get("conditions") or {}
        if not isinstance(conditions, Mapping):
            raise SpaceError(f"'conditions:' must map a parameter to its condition, got {conditions!r}.")
        for pname in conditions:
            if pname not in raw:
                raise SpaceError(
                    unknown_name(
                        "Conditional parameter",
                        pname,
                        raw,
                        where="a parameter of the space",
                        fix="declare it under 'parameters:' or fix its name.",
                    )
                )
        params = []
        for pname, spec in raw.items():
            spec = dict(spec) if isinstance(spec, Mapping) else spec
            if not isinstance(spec, dict):
                raise SpaceError(f"Parameter {pname!r} must be a mapping with a 'type', got {spec!r}.")
            if pname in conditions:
                if "when" in spec:
                    raise SpaceError(f"Parameter {pname!r} has a condition both under 'when:' and 'conditions:'.")
                spec["when"] = conditions[pname]
            params.append(_parameter(str(pname), spec))
        return cls(params, name=data.get("name", ""), description=data.get("description", ""))

    @classmethod
    def from_yaml(cls, source: str | os.PathLike[str]) -> Space:
        """Read a space file (or YAML text). Loaded with ``yaml.safe_load``."""
        text = str(source)
        if isinstance(source, os.PathLike) or ("\n" not in text and text.endswith((".yaml", ".yml", ".json"))):
            path = Path(source)
            from workbench._io import is_file

            if not is_file(path):
                raise SpaceError(f"Space file {str(path)!r} does not exist.\n  Fix: check the path.")
            text = path.read_text(encoding="utf-8")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpaceError(f"The space is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name:
            out["name"] = self.name
        if self.description:
            out["description"] = self.description
        out["parameters"] = {n: p._spec() for n, p in self._params.items()}
        return out

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (name and description excluded)."""
        return _sha(self.to_dict()["parameters"])

    # --- views ---------------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return list(self._params)

    @property
    def parameters(self) -> list[Parameter]:
        return list(self._params.values())

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self._params[name]
        except KeyError:
            raise SpaceError(unknown_name("Parameter", name, self._params, where="a parameter of the space")) from None

    def __len__(self) -> int:
        return len(self._params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        parts = []
        for p in self._params.values():
            cond = f" if {' and '.join(f'{a} in {list(v)}' for a, v in p.when)}" if p.when else ""
            parts.append(f"{p.name}: {p.kind}{cond}")
        return f"Space({', '.join(parts)})"

    @property
    def cardinality(self) -> float:
        """Number of distinct configurations, or ``inf`` when a float parameter is active somewhere."""
        return self._count(0, {})

    def _count(self, i: int, fixed: dict[str, Any]) -> float:
        # exact count through the condition tree: enumerate categorical parents, multiply the rest
        if i == len(self._order):
            return 1.0
        p = self._params[self._order[i]]
        if not self._active(p, fixed):
            return self._count(i + 1, fixed)
        if isinstance(p, Categorical) and self._is_parent(p.name):
            return sum(self._count(i + 1, {**fixed, p.name: c}) for c in p.choices)
        return p.cardinality * self._count(i + 1, fixed)

    def _is_parent(self, name: str) -> bool:
        return any(a == name for q in self._params.values() for a, _ in q.when)

    # --- the encoding the optimiser sees -------------------------------------------------------

    def decode(self, u: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Configuration of a point of ``[0, 1]^d``: active parameters only, in declaration order."""
        u = np.asarray(u, dtype=float)
        if u.shape != (len(self._params),):
            raise SpaceError(f"Expected a point with {len(self._params)} coordinates, got shape {u.shape}.")
        coords = dict(zip(self._params, np.clip(u, 0.0, 1.0).tolist(), strict=True))
        values: dict[str, Any] = {}
        for name in self._order:
            p = self._params[name]
            if not p.when or self._active(p, values):
                values[name] = p.decode(coords[name])
        return values if self._in_order else {n: values[n] for n in self._params if n in values}

    def encode(self, config: Mapping[str, Any]) -> np.ndarray:
        """A point of ``[0, 1]^d`` that decodes to ``config`` (inactive coordinates at 0.5)."""
        checked = self.check(config)
        return np.array([self._params[n].encode(checked[n]) if n in checked else 0.5 for n in self._params])

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Validate a configuration given by hand: known names, valid values, exactly the active ones."""
        if not isinstance(config, Mapping):
            raise SpaceError(f"A configuration must be a mapping of parameter to value, got {config!r}.")
        for name in config:
            if name not in self._params:
                raise SpaceError(unknown_name("Parameter", name, self._params, where="a parameter of the space"))
        values: dict[str, Any] = {}
        for name in self._order:
            p = self._params[name]
            active = self._active(p, values)
            if active and name not in config:
                raise SpaceError(f"Configuration {dict(config)!r} misses the active parameter {name!r}.")
            if not active and name in config:
                cond = " and ".join(f"{a} in {list(v)}" for a, v in p.when)
                raise SpaceError(f"Parameter {name!r} is inactive in {dict(config)!r}: it needs {cond}.")
            if active:
                values[name] = p.check(config[name])
        return {n: values[n] for n in self._params if n in values}

    def key(self, config: Mapping[str, Any]) -> str:
        """Identity of a configuration: SHA-256 (first 16 hex digits) of its canonical JSON."""
        return _sha({k: _json_value(v) for k, v in config.items()})[:16]

    def sample(self, n: int, seed: int | None = 0) -> list[dict[str, Any]]:
        """``n`` configurations drawn uniformly in the encoding (for tests and random baselines)."""
        rng = np.random.default_rng(seed)
        return [self.decode(u) for u in rng.random((n, len(self._params)))]

    @staticmethod
    def _active(p: Parameter, values: Mapping[str, Any]) -> bool:
        return all(a in values and _canonical(values[a]) in {_canonical(v) for v in allowed} for a, allowed in p.when)


def _parameter(name: str, spec: dict[str, Any]) -> Parameter:
    if "type" not in spec:
        raise SpaceError(f"Parameter {name!r} has no 'type'.\n  Valid: float, int, categorical, bool.")
    raw_type = spec["type"]
    kind = TYPES.get(str(raw_type).lower()) if isinstance(raw_type, str) else None
    if kind is None:
        raise SpaceError(
            unknown_name(f"Parameter {name!r}: type", raw_type, sorted(set(TYPES)), where="a parameter type")
        )
    for key in spec:
        if key not in _KEYS[kind]:
            raise SpaceError(
                unknown_name(
                    f"Parameter {name!r}: key",
                    key,
                    _KEYS[kind],
                    where=f"valid for a {kind} parameter",
                    fix="remove or rename it.",
                )
            )
    common = {"when": spec.get("when") or (), "description": str(spec.get("description", ""))}
    if kind in ("float", "int"):
        for bound in ("low", "high"):
            if bound not in spec:
                raise SpaceError(f"Parameter {name!r} ({kind}) needs '{bound}'.")
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise SpaceError(f"Parameter {name!r}: log must be true or false, got {log!r}.")
        if kind == "float":
            return Float(name, spec["low"], spec["high"], log, **common)
        return Int(name, spec["low"], spec["high"], log, spec.get("step", 1), **common)
    if kind == "bool":
        return Bool(name, **common)
    if "choices" not in spec:
        raise SpaceError(f"Parameter {name!r} (categorical) needs 'choices: [...]'.")
    return Categorical(name, spec["choices"], **common)


def _with_checked_condition(p: Parameter, params: Mapping[str, Parameter]) -> Parameter:
    """Normalise ``when`` to ``((parent, (values...)), ...)`` and check parents and values exist."""
    when = p.when
    if isinstance(when, Mapping):
        items = list(when.items())
    elif isinstance(when, (tuple, list)):
        items = [tuple(x) for x in when]
    else:
        raise SpaceError(f"Parameter {p.name!r}: 'when' must map a parent parameter to its value(s), got {when!r}.")
    normal = []
    for parent, allowed in items:
        if parent not in params:
            raise SpaceError(
                unknown_name(
                    f"Condition of {p.name!r} names parameter",
                    parent,
                    params,
                    where="a parameter of the space",
                    fix="declare the parent parameter or fix its name.",
                )
            )
        if parent == p.name:
            raise SpaceError(f"Parameter {p.name!r} cannot depend on itself.")
        q = params[parent]
        if not isinstance(q, Categorical):
            raise SpaceError(
                f"Condition of {p.name!r} tests {parent!r}, a {q.kind} parameter; conditions can "
                "only test categorical or bool parameters.\n"
                "  Fix: make the parent categorical (e.g. choices: [1, 2, 3])."
            )
        allowed = tuple(allowed) if isinstance(allowed, (list, tuple)) else (allowed,)
        if not allowed:
            raise SpaceError(f"Condition of {p.name!r} on {parent!r} lists no values.")
        for v in allowed:
            if _canonical(v) not in {_canonical(c) for c in q.choices}:
                raise SpaceError(
                    unknown_name(f"Condition of {p.name!r}: value", v, q.choices, where=f"a choice of {parent!r}")
                )
        normal.append((parent, tuple(q.check(v) for v in allowed)))
    object.__setattr__(p, "when", tuple(normal))
    return p


def _topological(params: Mapping[str, Parameter]) -> list[str]:
    """Parents before children; a cycle is an error naming it."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(path[path.index(name) :] + [name])
            raise SpaceError(f"Conditions form a cycle: {cycle}.\n  Fix: a parameter cannot depend on itself.")
        state[name] = 1
        for parent, _ in params[name].when:
            visit(parent, path + [name])
        state[name] = 2
        order.append(name)

    for name in params:
        visit(name, [])
    return order


def _sha(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
