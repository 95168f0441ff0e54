"""Knees: front members where every move to a neighbour costs much more than it brings.

For each member of the front (normalised by its own ideal and nadir), the *trade-off* is the least
sacrifice per unit gain over its neighbours within ``radius`` (Euclidean distance in the
normalised space; Rachmawati & Srinivasan 2009, the idea behind pymoo's ``HighTradeoffPoints``,
whose ``epsilon`` is ignored in pymoo 0.6.2 — here the radius is honoured). A member is a knee
when its trade-off exceeds the mean over the front by ``threshold`` standard deviations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.analysis import _kernels as K
from workbench.analysis._pareto import nondominated_mask
from workbench.analysis.problem import Problem, problem
from workbench.errors import WorkbenchError

__all__ = ["knees", "DEFAULT_RADIUS", "DEFAULT_THRESHOLD"]

DEFAULT_RADIUS = 0.5
DEFAULT_THRESHOLD = 1.0


class KneeParameterError(WorkbenchError, ValueError):
    """A knee parameter is out of range."""


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def knees(
    candidates: Any,
    model: Any = None,
    *,
    radius: float = DEFAULT_RADIUS,
    threshold: float = DEFAULT_THRESHOLD,
    front: np.ndarray | None = None,
) -> pd.DataFrame:
    """Trade-off value and knee flag of each front member.

    Parameters
    ----------
    radius : float
        Neighbourhood radius in the front's normalised space (each objective spans 0..1), > 0.
    threshold : float
        A member is a knee when ``tradeoff > mean + threshold * std`` over the finite trade-offs.
    front : bool array, optional
        Members to consider; default: the Pareto front (constraints ignored).

    Returns
    -------
    DataFrame indexed by front member: ``tradeoff`` (NaN when it has no neighbour within the
    radius) and ``knee`` (bool).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]})
    >>> x = [0.0, 0.02, 0.05, 0.1, 0.2, 0.6, 1.0]
    >>> y = [1.0, 0.6, 0.2, 0.1, 0.05, 0.02, 0.0]      # a sharp bend at (0.1, 0.1)
    >>> df = pd.DataFrame({"id": list("abcdefg"), "f1": x, "f2": y})
    >>> knees(df, qm, radius=0.6)["knee"].loc[lambda s: s].index.tolist()
    ['d']
    """
    if not _is_number(radius) or not np.isfinite(radius) or radius <= 0:
        raise KneeParameterError(f"Knee radius must be > 0 (in normalised units, 0..1 per objective), got {radius!r}.")
    if not _is_number(threshold) or not np.isfinite(threshold):
        raise KneeParameterError(f"Knee threshold must be finite, got {threshold!r}.")
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model)
    mask = nondominated_mask(prob.F) if front is None else np.asarray(front, dtype=bool)
    Ff = prob.F[mask]
    ids = prob.ids[mask]
    if len(Ff) == 0:
        return pd.DataFrame({"tradeoff": pd.Series(dtype=float), "knee": pd.Series(dtype=bool)})
    N = K.normalize(Ff, Ff.min(axis=0), Ff.max(axis=0))
    t = K.tradeoff_knees(N, radius)
    finite = np.isfinite(t)
    knee = np.zeros(len(t), dtype=bool)
    if finite.sum() >= 2:
        mu, sd = t[finite].mean(), t[finite].std()
        knee |= finite & (t > mu + threshold * sd) & (sd > 0)
    return pd.DataFrame({"tradeoff": t, "knee": knee}, index=ids)
