"""The fast path of a weight move: re-rank an :class:`~workbench.Analysis` under new weights.

Only scores, ranks and weight stability depend on the weights (and on the scoring method, which
a re-rank may change too when the analysis has no SMAA). Feasibility, fronts, normalisation
bounds, knees, hypervolume, trade-off rates, pseudo-weights, conflicts and SMAA (its weights are
sampled, not taken from the model) do not, so a :class:`Reranker` computes once everything that
does not depend on the weights:

- the normalised objective matrix (scores are then one matrix-vector product, by the engine's own
  ``scores_for_weights``);
- the order of the infeasible candidates, which is by violation first: only candidates sharing a
  violation are re-sorted by score on a move, so a move sorts just the feasible scores;
- the shortlist the weight stability looks at (the feasible front), as a small problem of its own
  whose normalisation bounds are fixed to the full analysis's, so the stability check does not
  re-normalise every candidate.

The numbers are exactly those of ``workbench.analyze(candidates, model.with_weights(weights))``
(``order`` gives the same ranks; the tests compare both).

The widgets call it on every weight-slider move.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from workbench.analysis import _kernels as K
from workbench.analysis._batch import _default_subset
from workbench.analysis.analyze import Analysis
from workbench.analysis.problem import Problem, problem
from workbench.analysis.scoring import check_method, reference_point, scores_for_weights
from workbench.errors import QualityModelError, WorkbenchError

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
        # the base analysis's normalisation bounds (its bounds table, back in the minimised space:
        # a sign flip is exact), not a second search of the feasible front (~30 ms at 1e5)
        prob = self._problem
        ideal = analysis.bounds["ideal"].reindex(prob.names).to_numpy(dtype=float) * prob.sign
        nadir = analysis.bounds["nadir"].reindex(prob.names).to_numpy(dtype=float) * prob.sign
        self._N = K.normalize(prob.F, ideal, nadir)
        self._reference = reference_point(self._problem, ideal, nadir)
        shortlist = self._feasible & (table["front"].to_numpy() == 0)
        self._shortlist = shortlist if shortlist.any() else table["pareto"].to_numpy(dtype=bool)
        self._order = _CachedOrder(self._feasible, self._violation)
        self._stability_problem = small = _shortlist_problem(self._problem, self._shortlist, ideal, nadir)
        # its competitors (its own front; every member is feasible) do not depend on the weights
        self._stability_subset = None if small is None else _default_subset(small, np.ones(small.n, dtype=bool))

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
        method = self.base.method if method is None else check_method(method)
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
        table = self.base.table.copy(deep=False)  # copy-on-write: the base table stays as it is
        table["score"] = score
        table["rank"] = self._order.ranks(score)
        stability = None
        if self.base.stability is not None:
            from workbench.analysis.weights import weight_stability

            small = self._stability_problem
            if small is not None and method != "topsis":  # TOPSIS norms come from every candidate
                stability = weight_stability(
                    small, None, method=method, weights=dict(model.weights), subset=self._stability_subset
                )
            else:
                stability = weight_stability(
                    prob, None, method=method, weights=dict(model.weights), subset=self._shortlist
                )
        return dataclasses.replace(
            self.base,
            model=model,
            method=method,
            weights=dict(zip(prob.names, map(float, w), strict=True)),
            table=table,
            stability=stability,
        )


class _CachedOrder:
    """``scoring.order`` with the weight-independent part done once.

    Ranks are 1..n: feasible candidates by descending score (rounded to 12 decimals), then the
    infeasible ones by ascending violation, then descending score; equal keys share the smaller
    rank. The infeasible order by violation is fixed; only runs of equal violation are re-sorted
    by score on each call.
    """

    def __init__(self, feasible: np.ndarray, violation: np.ndarray) -> None:
        self.n = len(feasible)
        self.feasible = np.flatnonzero(feasible)
        infeasible = np.flatnonzero(~feasible)
        by_violation = infeasible[K.stable_argsort(violation[infeasible])]
        v = violation[by_violation]
        start = np.ones(len(v), dtype=bool)
        start[1:] = v[1:] != v[:-1]
        run = np.cumsum(start) - 1  # run of equal violation of each sorted position
        size = np.bincount(run) if len(run) else np.zeros(0, dtype=np.int64)
        shared = size[run] > 1
        self.infeasible = by_violation
        first = len(self.feasible) + 1
        # A candidate alone at its violation has a fixed rank; the others are ranked per call.
        self.fixed_ranks = first + np.arange(len(v))
        self.shared = np.flatnonzero(shared)  # slots (sorted positions) in runs of equal violation
        self.shared_run = run[self.shared]
        self.first = first

    def ranks(self, score: np.ndarray) -> np.ndarray:
        ranks = np.empty(self.n, dtype=np.int64)
        feas = self.feasible
        if len(feas):  # scores equal to 12 decimals are ties; a radix sort, linear in n
            ranks[feas] = K.score_ranks(score[feas], 12)
        if len(self.infeasible):
            ranks[self.infeasible] = self.fixed_ranks
        if len(self.shared):
            # Runs occupy the same slots before and after sorting them by (run, score), so the
            # t-th sorted row sits at slot shared[t]; a tie group takes its first slot's rank.
            rows = self.infeasible[self.shared]
            neg = -np.round(score[rows], 12)
            o = np.lexsort((neg, self.shared_run))
            rows, run, key = rows[o], self.shared_run[o], neg[o]
            new = np.ones(len(rows), dtype=bool)
            new[1:] = (run[1:] != run[:-1]) | (key[1:] != key[:-1])
            ranks[rows] = self.first + np.maximum.accumulate(np.where(new, self.shared, 0))
        return ranks


def _shortlist_problem(prob: Problem, shortlist: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> Problem | None:
    """The shortlist as a problem of its own whose bounds are declared to be the full analysis's
    (so normalising it gives the same numbers), without constraints (every member is feasible).
    None when that cannot give the same numbers: a degenerate range, or no shortlist."""
    if not shortlist.any():
        return None
    span = nadir - ideal
    scale = np.maximum(np.maximum(np.abs(ideal), np.abs(nadir)), np.abs(prob.F).max(axis=0))
    if not (np.isfinite(span).all() and (span > scale * np.finfo(float).eps).all()):
        return None
    objectives = tuple(
        dataclasses.replace(o, bounds=(float(ideal[j] * o.sign), float(nadir[j] * o.sign)))
        for j, o in enumerate(prob.model.objectives)
    )
    try:
        model = prob.model.replace(objectives=objectives, constraints=())
    except WorkbenchError:
        return None
    rows = np.flatnonzero(shortlist)
    return Problem(
        prob.candidates, model, prob.ids[rows], prob.names, prob.X[rows], prob.sign, prob.F[rows], prob.tolerance, None
    )
