"""Trade-off rates between neighbours on the front, in the objectives' own units.

For two objectives the front is sorted by the first one and each member is compared with the
previous and the next member; for more objectives each member is compared with its ``neighbours``
nearest front members in the front's normalised space. A row says what moving from a candidate to
its neighbour changes in each objective (``delta_<objective>``, neighbour minus candidate, in the
objective's unit) and, for two objectives, the rate ``Δy / Δx``. Diminishing returns along the
front reveal the knee.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis import _kernels as K
from workbench.analysis._pareto import nondominated_mask
from workbench.analysis.problem import Problem, problem

__all__ = ["tradeoff_rates", "describe_move", "format_delta"]


def format_delta(delta: float, objective: Any) -> str:
    """``+35 ms latency_p95_ms`` style text for a change of one objective.

    >>> from workbench import Objective
    >>> format_delta(0.0123, Objective("recall", "max"))
    '+0.0123 recall'
    >>> format_delta(-35.0, Objective("latency_ms", "min", unit="ms"))
    '-35 ms latency_ms'
    """
    from workbench.format import format_delta as signed

    return f"{signed(delta, objective.unit or None)} {objective.name}"


def describe_move(prob: Problem, a: int, b: int) -> str:
    """One sentence: what moving from candidate row ``a`` to row ``b`` gains and gives up."""
    d = prob.X[b] - prob.X[a]
    return _sentences(prob.model.objectives, d[None, :], [prob.ids[a]], [prob.ids[b]])[0]


def _sentences(objectives: Any, D: np.ndarray, a_ids: Any, b_ids: Any) -> list[str]:
    """One sentence per row of ``D`` (neighbour minus candidate, shape (pairs, k)).

    Each change is an unsigned amount, its direction and whether it is better or worse ("recall
    0.05 lower (worse)"): a signed number after "gains"/"gives up" reads as a double negative
    ("gives up -0.05 recall"). Gains come first, then losses, each in the objectives' order.
    Every distinct amount of an objective is formatted once (a pair and its reverse share it).
    """
    from workbench.format import format_numbers

    changes = []  # per objective: the change's text per pair, "" where it does not change
    better = np.zeros(D.shape, dtype=bool)
    for j, o in enumerate(objectives):
        d = D[:, j]
        amounts, which = np.unique(np.abs(d), return_inverse=True)
        texts = format_numbers(amounts, o.unit or None)
        better[:, j] = (d < 0) if o.direction == "min" else (d > 0)
        # the four endings, each written once: "higher"/"lower" by the sign, the verdict by better
        ends = [f" {way} ({verdict})" for way in ("lower", "higher") for verdict in ("worse", "better")]
        end = 2 * (d > 0) + better[:, j]
        name = o.name + " "
        changes.append(
            [
                name + texts[w] + ends[e] if z else ""
                for e, w, z in zip(end.tolist(), which.ravel().tolist(), (d != 0).tolist(), strict=True)
            ]
        )
    order = np.argsort(~better, axis=1, kind="stable").tolist()  # gains first, objectives in order
    out = []
    for i, (a, b) in enumerate(zip(a_ids, b_ids, strict=True)):
        parts = [changes[j][i] for j in order[i] if changes[j][i]]
        out.append(f"{a} → {b}: " + ("; ".join(parts) if parts else "no objective changes"))
    return out


def tradeoff_rates(
    candidates: Any, model: Any = None, *, front: np.ndarray | None = None, neighbours: int = 2
) -> pd.DataFrame:
    """Trade-offs between each front member and its neighbours on the front.

    Returns
    -------
    DataFrame with one row per (candidate, neighbour): ``candidate``, ``neighbour``,
    ``delta_<objective>`` for each objective, ``rate`` (Δ second objective / Δ first objective, for
    two objectives; NaN otherwise) and ``text`` (a sentence in domain units).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_ms", "direction": "min", "unit": "ms"}, {"name": "recall", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["fast", "mid", "slow"], "latency_ms": [10, 45, 120],
    ...                    "recall": [0.90, 0.95, 0.96]})
    >>> r = tradeoff_rates(df, qm)
    >>> r.loc[0, "text"]
    'fast → mid: recall 0.05 higher (better); latency_ms 35 ms higher (worse)'
    >>> r["rate"].round(5).tolist()[:2]
    [0.00143, 0.00143]
    """
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    mask = nondominated_mask(prob.F) if front is None else np.asarray(front, dtype=bool)
    rows = np.flatnonzero(mask)
    a_at = b_at = np.zeros(0, dtype=np.intp)  # positions in rows of each pair's candidate, neighbour
    if len(rows) >= 2:
        if prob.k == 2:  # the previous and the next member along the first objective
            order = np.lexsort((prob.F[rows, 1], prob.F[rows, 0]))
            # each member's (previous, next), in order; the first has no previous, the last no next
            a_at = np.repeat(order, 2)[1:-1]
            b_at = np.column_stack([np.roll(order, 1), np.roll(order, -1)]).ravel()[1:-1]
        else:
            Ff = prob.F[rows]
            N = K.normalize(Ff, Ff.min(axis=0), Ff.max(axis=0))
            nearest = K.nearest_neighbours(N, min(neighbours, len(rows) - 1))
            a_at = np.repeat(np.arange(len(rows)), nearest.shape[1])
            b_at = nearest.ravel().astype(np.intp)
    a_rows, b_rows = rows[a_at], rows[b_at]
    ids = prob.ids[rows].to_numpy(dtype=object)  # the front's ids only (converting 1e5 ids costs ms)
    D = prob.X[b_rows] - prob.X[a_rows]  # (pairs, k): neighbour minus candidate, in the objectives' units
    data: dict[str, Any] = {"candidate": list(ids[a_at]), "neighbour": list(ids[b_at])}
    for j, o in enumerate(prob.model.objectives):
        data[f"delta_{o.name}"] = D[:, j].astype(float)
    rate = np.full(len(a_at), np.nan)
    if prob.k == 2:
        step = D[:, 0] != 0
        with np.errstate(over="ignore"):  # a subnormal step in the first objective: an infinite rate
            rate[step] = D[step, 1] / D[step, 0]
    data["rate"] = rate
    data["text"] = _sentences(prob.model.objectives, D, data["candidate"], data["neighbour"])
    return pd.DataFrame(data)
