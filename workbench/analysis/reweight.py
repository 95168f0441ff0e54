"""The fast path of a weight move: re-rank an :class:`~workbench.Analysis` under new weights.

Only scores, ranks and weight stability depend on the weights (and on the scoring method, which
a re-rank may change too when the analysis has no SMAA). Feasibility, fronts, normalisation
bounds, knees, hypervolume, trade-off rates, pseudo-weights, conflicts and SMAA (its weights are
sampled, not taken from the model) do not, so a :class:`Reranker` computes the normalised
objective matrix once and a weight move is one matrix-vector product plus a sort, done by the
engine's own ``scores_for_weights`` and ``order`` — the numbers are exactly those of
``workbench.analyze(candidates, model.with_weights(weights))``.

The widgets call it on every weight-slider move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from workbench.analysis._problem import problem
from workbench.analysis.analyze import Analysis
from workbench.analysis.scoring import _check_method, _reference, normalized, order, scores_for_weights
from workbench.errors import QualityModelError

__all__ = ["Reranker"]


class Reranker:
    """Re-rank one analysis under new weights without re-running the whole analysis.

    Parameters
    ----------
    analysis : Analysis
        The base analysis (any weights); its candidates, constraints and method are kept.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> qm = wb.QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}]})
    >>> df = pd.DataFrame({"id": ["a", "b", "c"], "acc": [0.9, 0.8, 0.6], "ms": [30, 10, 5]})
    >>> fast = Reranker(wb.analyze(df, qm))
    >>> w = {"acc": 1, "ms": 4}
    >>> fast.reweigh(w).recommended == wb.analyze(df, qm.with_weights(w)).recommended
    True
    """

    def __init__(self, analysis: Analysis) -> None:
        self.base = analysis
        self._problem = problem(analysis.candidates, analysis.model, analysis.champion)
        table = analysis.table
        self._feasible = table["feasible"].to_numpy(dtype=bool)
        self._violation = table["violation"].to_numpy(dtype=float)
        self._N, ideal, nadir = normalized(self._problem, self._feasible)
        self._reference = _reference(self._problem, ideal, nadir)
        shortlist = self._feasible & (table["front"].to_numpy() == 0)
        self._shortlist = shortlist if shortlist.any() else table["pareto"].to_numpy(dtype=bool)

    def reweigh(self, weights: str | Mapping[str, float], *, method: str | None = None) -> Analysis:
        """The base analysis with scores, ranks, model weights and weight stability recomputed.

        Parameters
        ----------
        weights : str or mapping
            A stakeholder name or ``{objective: weight}`` (raw importances; they are normalised).
        method : str, optional
            Another scoring method (default: the base analysis's). Only scores, ranks and
            stability depend on it -- and SMAA, so a base analysis with SMAA needs ``analyze``.

        Raises
        ------
        QualityModelError
            Invalid weights (negative, not finite, all zero), in the quality model's words, or a
            method change of an analysis with SMAA.
        UnknownNameError
            An unknown method.
        """
        method = self.base.method if method is None else _check_method(method)
        if method != self.base.method and self.base.smaa is not None:
            raise QualityModelError(
                f"SMAA acceptabilities depend on the scoring method: changing {self.base.method!r} to "
                f"{method!r} needs workbench.analyze(..., method={method!r}, smaa=...), not a re-rank."
            )
        model = self.base.model.with_weights(weights)
        if method != model.method:
            model = model.replace(method=method)
        prob = self._problem
        w = np.array([model.weights[n] for n in prob.names], dtype=float)
        score = scores_for_weights(prob, self._N, w, method, self._reference)
        table = self.base.table.copy()
        table["score"] = score
        table["rank"] = order(score, self._feasible, self._violation)
        stability = None
        if self.base.stability is not None:
            from workbench.analysis.weights import weight_stability

            stability = weight_stability(prob, None, method=method, weights=dict(model.weights),
                                         subset=self._shortlist)
        return dataclasses.replace(
            self.base,
            model=model,
            method=method,
            weights=dict(zip(prob.names, map(float, w), strict=True)),
            table=table,
            stability=stability,
        )
