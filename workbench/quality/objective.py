"""Objectives and hard constraints: the vocabulary of a quality model."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from workbench.errors import ConstraintSyntaxError, QualityModelError, did_you_mean, unknown_name
from workbench.quality.attributes import ATTRIBUTES

__all__ = ["Objective", "Constraint", "AGGREGATIONS", "DIRECTIONS", "exact_number", "limit_text"]

Direction = Literal["min", "max"]

_DIRECTION_ALIASES = {
    "min": "min",
    "minimize": "min",
    "minimise": "min",
    "lower": "min",
    "max": "max",
    "maximize": "max",
    "maximise": "max",
    "higher": "max",
}
DIRECTIONS = ("min", "max")

#: Statistics an objective may declare for monitoring data (see ``workbench.monitoring``).
AGGREGATIONS = (
    "mean",
    "median",
    "p50",
    "p90",
    "p95",
    "p99",
    "min",
    "max",
    "rate",
    "last",
    "sum",
    "count",
    "sum_per_1k",
    "mean_per_1k",
)

#: Column names the analysis adds next to the objectives; an objective may not take one of them.
RESERVED_NAMES = (
    "candidate",
    "feasible",
    "violation",
    "pareto",
    "front",
    "score",
    "rank",
    "knee",
    "tradeoff",
    "hv_contribution",
    "acceptability",
    "confidence",
)

#: Largest magnitude of a number the analysis compares (objective values, bounds, limits, weights):
#: beyond it, squares and differences of values overflow float64.
MAX_MAGNITUDE = 1e150

_OBJECTIVE_KEYS = (
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


def _finite(value: Any, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise QualityModelError(f"{what} must be a number, got {value!r:.80}.") from None
    except OverflowError:  # an integer beyond float range, e.g. 10**400
        raise QualityModelError(f"{what} must be finite, got {value!r:.80}.") from None
    if not math.isfinite(number):
        raise QualityModelError(f"{what} must be finite, got {value!r}.")
    if abs(number) > MAX_MAGNITUDE:
        raise QualityModelError(
            f"{what} is {value!r:.80}, beyond ±{MAX_MAGNITUDE:g}, too large to compare.\n"
            "  Fix: express it in a larger unit (e.g. seconds instead of nanoseconds)."
        )
    return number


def exact_number(x: float) -> str:
    """Shortest text that reads back as exactly ``x``: ``150`` rather than ``150.0``, and every digit
    ``:g`` would round away (``0.1234567``, ``123456789012345678``). Used wherever a limit is written
    out to be read again (YAML, constraint labels, alert rules).

    >>> exact_number(150.0), exact_number(0.1234567), exact_number(1e-05)
    ('150', '0.1234567', '1e-05')
    """
    short = f"{x:g}"
    return short if float(short) == x else repr(float(x))


def limit_text(x: float) -> str:
    """A limit for people and rules: 12 significant digits, so arithmetic residue disappears
    (``1.1 * 100`` shows as ``110``, not ``110.00000000000001``) while every digit a user or a
    measurement put there stays (``:g`` keeps only 6: ``0.1234567`` became ``0.123457``).

    >>> limit_text(1.1 * 100), limit_text(0.1234567), limit_text(1.1 * 123.4567)
    ('110', '0.1234567', '135.80237')
    """
    return f"{float(x):.12g}"


def check_keys(given: Mapping[str, Any], valid: tuple[str, ...], what: str) -> None:
    """Reject unknown keys in a mapping, naming the valid ones and the closest match."""
    for key in given:
        if key not in valid:
            raise QualityModelError(
                unknown_name("Key", key, valid, where=f"a valid key of {what}", fix="remove or rename it.")
            )


@dataclass(frozen=True, repr=False)
class Objective:
    """One quality objective: a measured metric, the direction that is better, and its weight.

    Parameters
    ----------
    name : str
        Column name of the metric in the candidates table.
    direction : {"min", "max"}
        Whether lower or higher values are better ("minimize"/"maximize" are accepted).
    unit : str
        Unit shown in tables and charts (``"ms"``, ``"USD/1k"``; ``""`` for ratios).
    quality_attribute : str, optional
        One of the 11 common attributes (``workbench.quality.ATTRIBUTES``) or ``"custom:<name>"``.
    weight : float
        Importance, >= 0. A larger weight means the objective matters more, for every method.
    bounds : (ideal, nadir), optional
        Fixed normalisation bounds in the objective's unit; otherwise the data's ideal/nadir are used.
    tolerance : float
        Differences of at most this much are ties when comparing candidates.
    aggregation : str, optional
        Statistic over monitoring data (``p95``, ``mean``, ``rate``...).
    source : str, optional
        Raw column or metric the aggregation reads (monitoring).

    Examples
    --------
    >>> Objective("latency_p95_ms", "min", unit="ms", weight=2, quality_attribute="resource_efficiency")
    Objective(latency_p95_ms ▼ [ms] w=2, resource_efficiency)
    >>> Objective("latency", "fastest")
    Traceback (most recent call last):
    ...
    workbench.errors.QualityModelError: Objective 'latency': direction 'fastest' is not one of min, max...
    """

    name: str
    direction: Direction
    unit: str = ""
    quality_attribute: str | None = None
    weight: float = 1.0
    bounds: tuple[float, float] | None = None
    tolerance: float = 0.0
    aggregation: str | None = None
    source: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            raise QualityModelError(f"An objective needs a non-empty name, got {self.name!r}.")
        set_(self, "name", self.name.strip())
        what = f"Objective {self.name!r}"
        if any(ch in self.name for ch in "<>="):
            raise QualityModelError(
                f"{what}: the name may not contain '<', '>' or '=', which separate the sides of a "
                f"constraint.\n  Fix: rename the metric, e.g. {re.sub(r'[<>=]+', '_', self.name)!r}."
            )
        if self.name in RESERVED_NAMES:
            raise QualityModelError(
                f"{what}: the name is reserved for a result column of the analysis "
                f"({', '.join(RESERVED_NAMES)}).\n  Fix: rename the metric, e.g. '{self.name}_metric'."
            )
        direction = _DIRECTION_ALIASES.get(str(self.direction).strip().lower())
        if direction is None:
            raise QualityModelError(
                f"{what}: direction {self.direction!r} is not one of min, max "
                "(minimize/maximize are accepted too)." + did_you_mean(str(self.direction), _DIRECTION_ALIASES)
            )
        set_(self, "direction", direction)
        set_(self, "unit", "" if self.unit is None else str(self.unit))
        for key in ("source", "description"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise QualityModelError(f"{what}: {key} must be text, got {value!r:.80}.")
        if self.description is None:
            set_(self, "description", "")
        attribute = self.quality_attribute
        if attribute is not None:
            attribute = str(attribute).strip()
            if not (attribute in ATTRIBUTES or (attribute.startswith("custom:") and len(attribute) > 7)):
                raise QualityModelError(
                    f"{what}: quality attribute {attribute!r} is not one of the 11 common attributes "
                    f"({', '.join(ATTRIBUTES)})."
                    + did_you_mean(attribute, ATTRIBUTES)
                    + f"\n  Fix: use one of them, or declare your own as 'custom:{attribute}'."
                )
        set_(self, "quality_attribute", attribute)
        weight = _finite(self.weight, f"{what}: weight")
        if weight < 0:
            raise QualityModelError(
                f"{what}: weight {self.weight!r} is negative. Weights are importances >= 0; "
                "to prefer lower values, set direction: min instead."
            )
        set_(self, "weight", weight)
        tolerance = _finite(self.tolerance, f"{what}: tolerance")
        if tolerance < 0:
            raise QualityModelError(f"{what}: tolerance {self.tolerance!r} must be >= 0.")
        set_(self, "tolerance", tolerance)
        if self.bounds is not None:
            set_(self, "bounds", self._check_bounds(self.bounds))
        if self.aggregation is not None and self.aggregation not in AGGREGATIONS:
            raise QualityModelError(
                unknown_name(f"{what}: aggregation", self.aggregation, AGGREGATIONS, where="a known statistic")
            )

    def _check_bounds(self, bounds: Any) -> tuple[float, float]:
        what = f"Objective {self.name!r}"
        if isinstance(bounds, Mapping):
            check_keys(bounds, ("ideal", "nadir"), f"{what} bounds")
            if set(bounds) != {"ideal", "nadir"}:
                raise QualityModelError(f"{what}: bounds need both 'ideal' and 'nadir', got {dict(bounds)!r}.")
            bounds = (bounds["ideal"], bounds["nadir"])
        try:
            ideal, nadir = bounds
        except (TypeError, ValueError):
            raise QualityModelError(
                f"{what}: bounds {bounds!r} must be a pair (ideal, nadir) or {{ideal: .., nadir: ..}}."
            ) from None
        ideal = _finite(ideal, f"{what}: ideal bound")
        nadir = _finite(nadir, f"{what}: nadir bound")
        better = ideal < nadir if self.direction == "min" else ideal > nadir
        if not better:
            word = "below" if self.direction == "min" else "above"
            raise QualityModelError(
                f"{what}: ideal {ideal:g} must be {word} nadir {nadir:g} for direction "
                f"{self.direction!r}. Fix: swap them, or check the direction."
            )
        return (ideal, nadir)

    @property
    def sign(self) -> float:
        """+1 for a minimised objective, -1 for a maximised one (values times sign are minimised)."""
        return 1.0 if self.direction == "min" else -1.0

    @property
    def arrow(self) -> str:
        """``"↓"`` when lower is better, ``"↑"`` when higher is better."""
        return "↓" if self.direction == "min" else "↑"

    @property
    def label(self) -> str:
        """Axis label: name, unit and which way is better, e.g. ``"latency_ms [ms] (↓ better)"``."""
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{self.name}{unit} ({self.arrow} better)"

    def __repr__(self) -> str:
        arrow = "▼" if self.direction == "min" else "▲"
        unit = f" [{self.unit}]" if self.unit else ""
        attr = f", {self.quality_attribute}" if self.quality_attribute else ""
        return f"Objective({self.name} {arrow}{unit} w={self.weight:g}{attr})"

    def to_dict(self) -> dict[str, Any]:
        """Plain, YAML-safe mapping; defaults are left out."""
        out: dict[str, Any] = {"name": self.name, "direction": self.direction}
        if self.unit:
            out["unit"] = self.unit
        if self.quality_attribute:
            out["quality_attribute"] = self.quality_attribute
        out["weight"] = self.weight
        if self.bounds is not None:
            out["bounds"] = {"ideal": self.bounds[0], "nadir": self.bounds[1]}
        if self.tolerance:
            out["tolerance"] = self.tolerance
        for key in ("aggregation", "source"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Objective:
        """Build from a mapping with the keys of :meth:`to_dict`."""
        if not isinstance(data, Mapping):
            raise QualityModelError(f"An objective must be a mapping, got {data!r}.")
        check_keys(data, _OBJECTIVE_KEYS, f"objective {data.get('name', '?')!r}")
        if "name" not in data or "direction" not in data:
            missing = [k for k in ("name", "direction") if k not in data]
            raise QualityModelError(f"Objective {dict(data)!r} is missing {', '.join(missing)}.")
        return cls(**data)


# --- constraints -------------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"(?:[A-Za-z_][\w.\-:]*|\"[^\"]+\"|'[^']+')"
_RHS = [
    (re.compile(rf"^(?P<limit>{_NUM})$"), "limit"),
    (re.compile(rf"^(?P<factor>{_NUM})\s*\*\s*(?P<base>{_NAME})(?:\s*(?P<sign>[-+])\s*(?P<offset>{_NUM}))?$"), "rel"),
    (re.compile(rf"^(?P<base>{_NAME})\s*\*\s*(?P<factor>{_NUM})(?:\s*(?P<sign>[-+])\s*(?P<offset>{_NUM}))?$"), "rel"),
    (re.compile(rf"^(?P<base>{_NAME})(?:\s*(?P<sign>[-+])\s*(?P<offset>{_NUM}))?$"), "rel"),
]
_CONSTRAINT = re.compile(r"^\s*(?P<lhs>[^<>=]*?)\s*(?P<op><=|>=|<|>|=<|=>)\s*(?P<rhs>.+?)\s*$")
OPERATORS = ("<=", ">=", "<", ">")


@dataclass(frozen=True)
class Constraint:
    """A hard constraint (SLO) on one objective: absolute, or relative to a named baseline candidate.

    The right-hand side is ``limit`` or ``factor * <baseline> + offset`` where ``<baseline>`` is a
    candidate id, or ``champion`` for the champion given to the analysis.

    Examples
    --------
    >>> Constraint.parse("latency_p95_ms <= 150")
    Constraint('latency_p95_ms <= 150')
    >>> c = Constraint.parse(">= 0.98 * champion", objective="recall")
    >>> str(c), c.is_relative
    ('recall >= 0.98 * champion', True)
    >>> Constraint.parse("latency <= fast")
    Constraint('latency <= fast')
    >>> Constraint.parse("latency =! 3")
    Traceback (most recent call last):
    ...
    workbench.errors.ConstraintSyntaxError: Constraint 'latency =! 3' cannot be parsed...
    """

    objective: str
    op: str
    limit: float | None = None
    baseline: str | None = None
    factor: float = 1.0
    offset: float = 0.0
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise ConstraintSyntaxError(
                f"Constraint on {self.objective!r}: operator {self.op!r} is not one of {', '.join(OPERATORS)}."
            )
        if (self.limit is None) == (self.baseline is None):
            raise ConstraintSyntaxError(f"Constraint on {self.objective!r} needs exactly one of a limit or a baseline.")
        if self.limit is not None:
            object.__setattr__(self, "limit", _finite(self.limit, f"Constraint on {self.objective!r}: limit"))
        object.__setattr__(self, "factor", _finite(self.factor, f"Constraint on {self.objective!r}: factor"))
        object.__setattr__(self, "offset", _finite(self.offset, f"Constraint on {self.objective!r}: offset"))

    @classmethod
    def parse(cls, text: str, objective: str | None = None) -> Constraint:
        """Parse ``"<objective> <op> <rhs>"``, or ``"<op> <rhs>"`` when ``objective`` is given."""
        syntax = (
            f"Constraint {text!r} cannot be parsed.\n"
            "  Valid forms: '<= 150', '>= 0.8', '<= 1.1 * champion', '<= champion + 10' "
            "(prefixed by the objective name when written at model level, e.g. 'latency_ms <= 150')."
        )
        if not isinstance(text, str):
            raise ConstraintSyntaxError(syntax)
        m = _CONSTRAINT.match(text)
        if not m:
            raise ConstraintSyntaxError(syntax)
        lhs, op, rhs = m["lhs"].strip(), m["op"], m["rhs"].strip()
        op = {"=<": "<=", "=>": ">="}.get(op, op)
        if lhs and objective and lhs != objective:
            raise ConstraintSyntaxError(
                f"Constraint {text!r} is declared on objective {objective!r} but names {lhs!r}."
            )
        name = lhs or objective
        if not name:
            raise ConstraintSyntaxError(syntax + f"\n  It names no objective: write '<objective> {op} {rhs}'.")
        if any(ch in rhs for ch in "<>="):
            raise ConstraintSyntaxError(syntax)
        for pattern, kind in _RHS:
            r = pattern.match(rhs)
            if not r:
                continue
            if kind == "limit":
                return cls(name, op, limit=float(r["limit"]), text=text)
            g = r.groupdict()
            offset = float(g["offset"]) if g.get("offset") else 0.0
            if g.get("sign") == "-":
                offset = -offset
            factor = float(g["factor"]) if g.get("factor") else 1.0
            return cls(name, op, baseline=g["base"].strip("\"'"), factor=factor, offset=offset, text=text)
        raise ConstraintSyntaxError(syntax)

    @property
    def is_relative(self) -> bool:
        """True when the limit depends on a baseline candidate."""
        return self.baseline is not None

    @property
    def is_upper(self) -> bool:
        """True for ``<=``/``<`` (the value must stay below the limit)."""
        return self.op in ("<=", "<")

    def rhs_text(self) -> str:
        if self.baseline is None:
            return exact_number(self.limit)
        if re.fullmatch(r"[A-Za-z_][\w.\-:]*", self.baseline):
            base = self.baseline
        else:  # quoted; a name with a double quote in it is written in single quotes
            base = f"'{self.baseline}'" if '"' in self.baseline else f'"{self.baseline}"'
        out = base if self.factor == 1 else f"{exact_number(self.factor)} * {base}"
        if self.offset:
            out += f" {'+' if self.offset > 0 else '-'} {exact_number(abs(self.offset))}"
        return out

    def __str__(self) -> str:
        return f"{self.objective} {self.op} {self.rhs_text()}"

    def __repr__(self) -> str:
        return f"Constraint({str(self)!r})"

    def _limit(self, limit: Any) -> Any:
        if limit is not None:
            lim = np.asarray(limit, dtype="float64")
            return float(lim) if lim.ndim == 0 else lim
        if self.baseline is not None:
            raise ConstraintSyntaxError(
                f"Constraint {str(self)!r} is relative to {self.baseline!r}: pass its resolved limit "
                f"(constraint.resolve(<value of {self.baseline!r}>))."
            )
        return float(self.limit)  # type: ignore[arg-type]

    def satisfied(self, values: Any, limit: float | None = None) -> Any:
        """Whether ``values`` (a number or an array) meet the constraint; a missing value does not.

        ``limit`` is the resolved limit (a number, or an array aligned with ``values``); it defaults to the absolute limit and is required for a
        relative constraint. This is the one place the operator is read: feasibility, SLO
        compliance, the gate and the triggers all ask the constraint.

        >>> c = Constraint.parse("latency_ms < 150")
        >>> c.satisfied(120.0), c.satisfied(150.0), c.satisfied(float("nan"))
        (True, False, False)
        >>> Constraint.parse("recall >= 0.98 * champion").satisfied([0.9, 0.99], limit=0.95).tolist()
        [False, True]
        """
        x = np.asarray(values, dtype="float64")
        lim = self._limit(limit)
        out = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater}[self.op](x, lim)
        return bool(out) if out.ndim == 0 else out

    def excess(self, values: Any, limit: float | None = None) -> Any:
        """How far ``values`` lie beyond the limit, in the objective's unit: > 0 beyond, <= 0 within.

        ``value - limit`` for ``<=``/``<`` and ``limit - value`` for ``>=``/``>`` (Optuna's constraint
        convention; a strict operator at equality gives 0, read as met there).

        >>> Constraint.parse("latency_ms <= 150").excess(160.0), Constraint.parse("recall >= 0.9").excess(0.95)
        (10.0, -0.05...)
        """
        x = np.asarray(values, dtype="float64")
        lim = self._limit(limit)
        out = x - lim if self.is_upper else lim - x
        return float(out) if out.ndim == 0 else out

    def violation(self, values: Any, limit: float | None = None) -> Any:
        """Deb's (2000) violation relative to the limit, ``max(0, excess / s)`` with ``s = |limit|``.

        ``s`` is 1 when the limit is 0 and at least ``1 / MAX_MAGNITUDE`` (so a subnormal limit does
        not overflow the quotient); relative violations of constraints in different units add up.
        A strict operator at equality is infeasible with a violation of 0.

        >>> Constraint.parse("latency_ms <= 100").violation([80.0, 150.0]).tolist()
        [0.0, 0.5]
        """
        return np.maximum(0.0, self.relative_excess(values, limit))

    def relative_excess(self, values: Any, limit: float | None = None) -> Any:
        """`excess` divided by the limit's scale (see `violation`): pymoo's signed ``G`` (> 0 violated)."""
        lim = np.asarray(self._limit(limit), dtype="float64")
        scale = np.where(lim != 0, np.maximum(np.abs(lim), 1.0 / MAX_MAGNITUDE), 1.0)
        out = np.asarray(self.excess(values, lim), dtype="float64") / scale
        return float(out) if out.ndim == 0 else out

    def resolve(self, baseline_value: float | None = None) -> float:
        """The numeric limit, given the baseline candidate's value for relative constraints."""
        if self.baseline is None:
            return float(self.limit)  # type: ignore[arg-type]
        if baseline_value is None:
            raise ConstraintSyntaxError(f"Constraint {str(self)!r} needs the value of {self.baseline!r}.")
        return self.factor * float(baseline_value) + self.offset
