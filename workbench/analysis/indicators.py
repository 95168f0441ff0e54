"""Hypervolume of a front and each member's exclusive contribution.

The hypervolume is the measure of the objective space dominated by the set and bounded by a
reference point (Zitzler & Thiele 1998). Here it is computed in the normalised, minimised space
(0 = ideal, 1 = nadir per objective, see ``workbench.analysis.scoring``), with the reference
point at **1.1 in every objective** (the nadir plus 10 % of the range, the usual rule so that the
extreme members still contribute). With declared, SLO-anchored bounds it is comparable between
reviews; with data bounds it describes one review. Members beyond the reference point contribute 0.

Two objectives use an exact sweep; three or more use ``moocore`` (WFG-class exact algorithms).
The exclusive contribution of a member is ``HV(S) - HV(S without it)`` over the non-dominated
members of S (dominated points are ignored and contribute 0 — moocore's default; in ``analyze`` S is
the front, so the distinction never arises).
"""

from __future__ import annotations

import numpy as np

from workbench.analysis import _kernels as K

__all__ = ["hypervolume", "hv_contributions", "REFERENCE"]

REFERENCE = 1.1


def hypervolume(N: np.ndarray, ref: np.ndarray | float = REFERENCE) -> float:
    """Hypervolume of the points ``N`` (n, k), minimised, with reference point ``ref``.

    >>> hypervolume(np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]), 1.1)
    0.46
    """
    N = np.asarray(N, dtype=float)
    k = N.shape[1] if N.ndim == 2 else 0
    r = np.broadcast_to(np.asarray(ref, dtype=float), (k,)).copy()
    if len(N) == 0:
        return 0.0
    if k == 1:
        return float(max(0.0, r[0] - N[:, 0].min()))
    if k == 2:
        return round(K.hypervolume_2d(N, r), 15)
    import moocore

    inside = N[(r > N).all(axis=1)]
    if len(inside) == 0:
        return 0.0
    return float(moocore.hypervolume(inside, ref=r))


def hv_contributions(N: np.ndarray, ref: np.ndarray | float = REFERENCE) -> np.ndarray:
    """Exclusive hypervolume contribution of each point: ``HV(S) - HV(S without the point)``.

    (n, k) -> (n,). Duplicated points contribute 0 each (the other copy still covers the space).

    >>> hv_contributions(np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]), 1.1).round(3).tolist()
    [0.05, 0.05, 0.25]
    """
    N = np.asarray(N, dtype=float)
    n = len(N)
    if n == 0:
        return np.zeros(0)
    k = N.shape[1]
    r = np.broadcast_to(np.asarray(ref, dtype=float), (k,)).copy()
    if k >= 3:
        import moocore

        inside = (r > N).all(axis=1)
        out = np.zeros(n)
        if inside.any():
            out[inside] = moocore.hv_contributions(N[inside], ref=r)
        return out
    if k == 1:
        out = np.zeros(n)
        inside = N[:, 0] < r[0]
        if inside.any():
            order = np.sort(N[inside, 0])
            best = np.flatnonzero(N[:, 0] == order[0])
            if len(best) == 1:
                second = order[1] if len(order) > 1 else r[0]
                out[best[0]] = second - order[0]
        return out
    return np.clip(K.hv_contributions_2d(N, r), 0.0, None)
