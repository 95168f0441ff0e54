"""Scores of many weight vectors at once, exactly as ``scoring.rank`` scores one: the shared engine
of SMAA-2 (:mod:`workbench.analysis.smaa`) and weight stability (:mod:`workbench.analysis.weights`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.analysis import _kernels as K
from workbench.analysis._pareto import nondominated_mask
from workbench.analysis.methods import scorer
from workbench.analysis.problem import Problem, problem
from workbench.analysis.scoring import normalized, reference_point, scores_for_weights
from workbench.errors import (
    CandidatesError,
    UnknownNameError,
    unknown_name,
)

if TYPE_CHECKING:
    from workbench.quality import QualityModel

#: Scores equal to this many decimals are ties (as in ``scoring.order``).
_DECIMALS = 12


def _default_subset(prob: Problem, feasible: np.ndarray) -> np.ndarray:
    """The feasible Pareto front; when nothing is feasible, the unconstrained front (as ``analyze``)."""
    tol = prob.tolerance if prob.tolerance.any() else None
    if feasible.any():
        out = np.zeros(prob.n, dtype=bool)
        idx = np.flatnonzero(feasible)
        out[idx[nondominated_mask(prob.F[idx], tol)]] = True
        return out
    return np.asarray(nondominated_mask(prob.F, tol), dtype=bool)


def _subset_mask(prob: Problem, subset: Any, feasible: np.ndarray) -> np.ndarray:
    if subset is None:
        return _default_subset(prob, feasible)
    if isinstance(subset, pd.Series) and subset.dtype == bool:  # aligned by candidate id
        idx = subset.index.astype(str)
        unknown = idx.difference(prob.ids)
        if len(unknown):
            raise UnknownNameError(unknown_name("Candidate", unknown[0], prob.ids, where="a candidate id of the table"))
        mask = pd.Series(subset.to_numpy(dtype=bool), index=idx).reindex(prob.ids, fill_value=False).to_numpy()
    else:
        arr = np.asarray(subset)
        if arr.dtype == bool:
            mask = arr
        elif arr.ndim == 1 and arr.dtype.kind in "OUS":  # candidate ids
            mask = np.zeros(prob.n, dtype=bool)
            for cid in arr:
                mask[prob.position(cid)] = True
        else:
            raise CandidatesError(
                f"subset must be a boolean mask with one entry per candidate or a list of candidate ids, "
                f"got {type(subset).__name__} of dtype {arr.dtype}."
            )
    if mask.shape != (prob.n,):
        raise CandidatesError(
            f"subset has shape {mask.shape}, but there are {prob.n} candidates; pass one boolean per candidate."
        )
    if not mask.any():
        raise CandidatesError("subset selects no candidate; at least one candidate must compete.")
    return mask


@dataclass(frozen=True, eq=False)
class _Scorer:
    """Scores of the competing candidates for a batch of weights, exactly as ``scoring.rank`` does."""

    prob: Problem
    method: str
    N: np.ndarray  # (m, k) normalised values of the competitors
    reference: np.ndarray  # (k,) normalised ASF reference point
    ideal: np.ndarray  # (k,) normalisation bounds, minimised space
    nadir: np.ndarray
    topsis: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # (R_sub, best, worst)
    norm: np.ndarray  # (k,) TOPSIS column norms over all candidates

    @classmethod
    def build(cls, prob: Problem, method: str, subset: np.ndarray, feasible: np.ndarray) -> _Scorer:
        N, ideal, nadir = normalized(prob, feasible)
        reference = reference_point(prob, ideal, nadir)
        norm = np.sqrt((prob.X**2).sum(axis=0))
        norm = np.where(norm > 0, norm, 1.0)
        parts = None
        if method == "topsis":  # the ideal and anti-ideal over *all* candidates, the competitors' rows
            R, best, worst = K.topsis_parts(prob.X, prob.sign < 0)
            parts = (R[subset], best, worst)
        return cls(prob, method, N[subset], reference, ideal, nadir, parts, norm)

    def values(self, X: np.ndarray) -> dict[str, Any]:
        """Keyword arguments of ``__call__`` for other raw values X (m, k) of the competitors,
        normalised with the same (fixed) bounds."""
        if self.method == "topsis":
            _, best, worst = self.topsis  # type: ignore[misc]
            return {"topsis": (X / self.norm, best, worst)}
        return {"N": K.normalize(X * self.prob.sign, self.ideal, self.nadir)}

    def __call__(
        self,
        W: np.ndarray,
        N: np.ndarray | None = None,
        topsis: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """W (s, k) -> (s, m) utilities; ``N``/``topsis`` override the competitors' values."""
        if self.method == "topsis":
            return K.topsis_closeness(W, *(topsis or self.topsis))
        return scores_for_weights(self.prob, self.N if N is None else N, W, self.method, self.reference)

    @property
    def bytes_per_weight(self) -> int:
        m, k = self.N.shape
        return m * scorer(self.method).bytes_per_score(k)


def _as_problem(candidates: Any, model: QualityModel | None, champion: str | None) -> Problem:
    return candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)
