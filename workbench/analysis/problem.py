"""Turn (candidates, quality model) into the arrays the kernels use — in one place.

Directions are turned into minimisation here and nowhere else: ``F = X * sign`` with
``sign = +1`` for ``min`` and ``-1`` for ``max``.

Public: other packages that need the numeric view of a review (search resolving relative
constraints, the gate, monitoring triggers) call :func:`problem` and read :class:`Problem`'s
arrays; every analysis function also accepts a ``Problem`` in place of (candidates, model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import CandidatesError, UnknownNameError, unknown_name
from workbench.sources.candidates import Candidates, from_frame

if TYPE_CHECKING:
    from workbench.quality import QualityModel


@dataclass(frozen=True, eq=False)
class Problem:
    """The numeric view of one review. Built by :func:`problem`; shared by every analysis step."""

    candidates: Candidates
    model: QualityModel
    ids: pd.Index  # (n,) candidate ids
    names: list[str]  # (k,) objective names
    X: np.ndarray  # (n, k) raw values in the objectives' units
    sign: np.ndarray  # (k,) +1 min, -1 max
    F: np.ndarray  # (n, k) minimised
    tolerance: np.ndarray  # (k,) >= 0
    champion: str | None

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def k(self) -> int:
        return len(self.names)

    def weights(self, weights: Any = None) -> np.ndarray:
        """Weights as a (k,) array summing to 1: the model's, a stakeholder's, or a mapping."""
        model = self.model if weights is None else self.model.with_weights(weights)
        w = model.weights
        return np.array([w[n] for n in self.names], dtype=float)

    def position(self, candidate: Any, what: str = "Candidate") -> int:
        """Row of a candidate id, with a clear error listing ids when it is unknown."""
        key = str(candidate)
        try:
            loc = self.ids.get_loc(key)
        except KeyError:
            raise UnknownNameError(unknown_name(what, key, self.ids, where="a candidate id of the table")) from None
        if not isinstance(loc, int):
            raise CandidatesError(f"Candidate id {key!r} is not unique.")
        return loc


def problem(candidates: Any, model: QualityModel, champion: str | None = None) -> Problem:
    """Validate and convert. ``candidates`` is a :class:`Candidates`, a DataFrame or a source spec."""
    from workbench.quality import QualityModel
    from workbench.sources import load

    if not isinstance(model, QualityModel):
        raise TypeError(
            f"model must be a QualityModel, got {type(model).__name__}; "
            "build one with QualityModel.from_yaml(path) or QualityModel.from_dict(...)."
        )
    if isinstance(candidates, pd.DataFrame):
        cands = from_frame(candidates)
    elif isinstance(candidates, Candidates):
        cands = candidates
    else:
        cands = load(candidates)
    cands = cands.for_model(model)
    names = model.names
    X = cands.table[names].to_numpy(dtype=float)
    sign = np.array([o.sign for o in model.objectives])
    tol = np.array([o.tolerance for o in model.objectives])
    champion = champion if champion is not None else model.champion
    prob = Problem(
        cands, model, cands.table.index, names, X, sign, X * sign, tol, None if champion is None else str(champion)
    )
    if prob.champion is not None:
        prob.position(prob.champion, what="Champion")
    return prob
