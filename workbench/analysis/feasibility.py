"""Hard constraints: which candidates are feasible, and by how much the others miss.

Violation of one constraint is measured relative to its limit so that constraints in different
units add up: for ``value <= L`` it is ``max(0, (value - L) / s)`` and for ``value >= L`` it is
``max(0, (L - value) / s)``, with ``s = |L|`` (or 1 when ``L`` is 0; at least ``1 / MAX_MAGNITUDE``,
i.e. 1e-150, so that a subnormal limit does not overflow the quotient). The total violation is the
sum over constraints (Deb 2000). Strict operators (``<``, ``>``) are infeasible at equality with
a violation of 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis.problem import Problem, problem
from workbench.errors import UnknownNameError, unknown_name
from workbench.quality.objective import exact_number, limit_text

__all__ = ["feasibility", "constraint_limits"]


def constraint_limits(prob: Problem) -> list[tuple[Any, float]]:
    """Resolve every constraint to ``(constraint, numeric limit)``; relative ones use the baseline."""
    out = []
    for c in prob.model.constraints:
        if c.baseline is None:
            out.append((c, c.resolve()))
            continue
        base = c.baseline
        if base == "champion" and "champion" not in prob.ids:
            if prob.champion is None:
                raise UnknownNameError(
                    f"Constraint {str(c)!r} is relative to 'champion', but no champion was given.\n"
                    "  Fix: pass champion=<candidate id> (CLI: --champion ID) or set 'champion:' in the quality model."
                )
            base = prob.champion
        if base not in prob.ids:
            raise UnknownNameError(
                unknown_name(
                    f"Baseline of constraint {str(c)!r}:",
                    base,
                    prob.ids,
                    where="a candidate id",
                    fix="name an existing candidate, or 'champion' with a champion given.",
                )
            )
        j = prob.names.index(c.objective)
        out.append((c, c.resolve(prob.X[prob.ids.get_loc(base), j])))
    return out


def signed_violation(x: np.ndarray | float, constraint: Any, limit: float) -> np.ndarray | float:
    """How far ``x`` is past ``limit``, relative to it: > 0 violated, <= 0 met (pymoo's ``G``)."""
    return constraint.relative_excess(x, limit)


def _violations(prob: Problem) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(n, m) relative violations, (n,) feasible, constraint labels."""
    limits = constraint_limits(prob)
    n = prob.n
    V = np.zeros((n, len(limits)))
    ok = np.ones(n, dtype=bool)
    labels = []
    for j, (c, limit) in enumerate(limits):
        x = prob.X[:, prob.names.index(c.objective)]
        V[:, j] = c.violation(x, limit)
        ok &= c.satisfied(x, limit)
        labels.append(f"{c.objective} {c.op} {limit_text(limit)}")
    if len(set(labels)) < len(labels):  # limits equal to 12 digits: write them exactly, never merge columns
        labels = [f"{c.objective} {c.op} {exact_number(limit)}" for c, limit in limits]
    return V, ok, labels


def feasibility(candidates: Any, model: Any, *, champion: str | None = None) -> pd.DataFrame:
    """Feasibility of each candidate under the model's hard constraints.

    Returns
    -------
    DataFrame
        Index = candidate id; ``feasible`` (bool), ``violation`` (total relative violation, 0 when
        feasible) and one column per constraint with its own violation, named after the resolved
        constraint (e.g. ``"latency_ms <= 150"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_ms", "direction": "min", "constraint": "<= 100"}]})
    >>> df = pd.DataFrame({"id": ["a", "b"], "latency_ms": [80.0, 150.0]})
    >>> feasibility(df, qm)[["feasible", "violation"]]
               feasible  violation
    candidate
    a              True        0.0
    b             False        0.5
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)
    V, ok, labels = _violations(prob)
    out = pd.DataFrame({"feasible": ok, "violation": V.sum(axis=1)}, index=prob.ids)
    for j, label in enumerate(labels):
        out[label] = V[:, j]
    return out
