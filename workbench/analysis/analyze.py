"""``analyze``: every analysis step in one call, as one labelled result."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench._version import __version__
from workbench.analysis import knees as _knees
from workbench.analysis.conflicts import conflicts as _conflicts
from workbench.analysis.feasibility import constraint_limits
from workbench.analysis.feasibility import feasibility as _feasibility
from workbench.analysis.indicators import REFERENCE, hv_contributions, hypervolume
from workbench.analysis.pareto import constrained_fronts, unconstrained_front
from workbench.analysis.problem import Problem, problem
from workbench.analysis.rates import tradeoff_rates
from workbench.analysis.scoring import bounds as _bounds
from workbench.analysis.scoring import check_method, normalized, order, reference_point, scores_for_weights
from workbench.analysis.smaa import check_samples, check_seed
from workbench.quality import QualityModel
from workbench.sources.candidates import Candidates

__all__ = ["analyze", "Analysis", "to_jsonable"]

#: Above this many front members, exclusive hypervolume contributions are skipped (their cost grows
#: steeply with the number of objectives: ~6 s for 1,000 points in 5-D); ``notes`` says so.
HV_CONTRIBUTION_LIMIT = {4: 2_000, 5: 250}
HV_CONTRIBUTION_LIMIT_MANY = 60
#: Feasible fronts ranked exactly by default (0..DEFAULT_DEPTH); the rest share DEFAULT_DEPTH + 1.
DEFAULT_DEPTH = 2


def to_jsonable(value: Any) -> Any:
    """Recursively convert numpy/pandas values to JSON-safe Python; NaN and inf become None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


@dataclass(frozen=True, repr=False, eq=False)
class Analysis:
    """The complete trade-off analysis of one candidate set under one quality model.

    ``to_frame()`` gives one row per candidate; the other attributes are set-level results.
    Build it with :func:`analyze`.
    """

    model: QualityModel
    candidates: Candidates
    method: str
    weights: dict[str, float]
    champion: str | None
    table: pd.DataFrame
    bounds: pd.DataFrame
    hypervolume: float
    rates: pd.DataFrame
    conflicts: pd.DataFrame
    pseudo_weights: pd.DataFrame
    limits: pd.DataFrame = field(default_factory=pd.DataFrame)
    smaa: Any = None
    stability: pd.DataFrame | None = None
    dominance: pd.DataFrame | None = None
    uncertainty: Any = None
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate: objective values, ``feasible``, ``violation``, ``pareto``,
        ``front``, ``score``, ``rank``, ``knee``, ``tradeoff``, ``hv_contribution`` and, with SMAA,
        ``acceptability`` and ``confidence``. A copy, sorted by rank.

        ``front`` is the constraint-domination front: feasible fronts ``0..depth`` exactly
        (``parameters["depth"]``, see :func:`analyze`), ``depth + 1`` for every feasible
        candidate behind them ("beyond"), then the infeasible candidates by violation."""
        return self.table.sort_values(["rank", "front"], kind="stable").copy()

    @property
    def recommended(self) -> str | None:
        """The feasible candidate ranked first, or None when nothing is feasible."""
        t = self.table  # numpy, not a boolean frame filter: the explorer asks on every move
        best = np.flatnonzero((t["rank"].to_numpy() == 1) & t["feasible"].to_numpy(dtype=bool))
        return None if not len(best) else str(t.index[best[0]])

    @property
    def front(self) -> list[str]:
        """Ids of the feasible non-dominated candidates (front 0), best rank first."""
        t = self.table
        rows = np.flatnonzero((t["front"].to_numpy() == 0) & t["feasible"].to_numpy(dtype=bool))
        rows = rows[np.argsort(t["rank"].to_numpy()[rows], kind="quicksort")]  # as sort_values("rank")
        return [str(c) for c in t.index[rows]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary: set-level results and one object per candidate."""
        t = self.to_frame()
        names = self.model.names
        cand = []
        for cid, row in t.iterrows():
            item = {
                "id": str(cid),
                "feasible": row["feasible"],
                "violation": row["violation"],
                "pareto": row["pareto"],
                "front": row["front"],
                "score": row["score"],
                "rank": row["rank"],
                "knee": row["knee"],
                "tradeoff": row["tradeoff"],
                "hv_contribution": row["hv_contribution"],
                "values": {n: row[n] for n in names},
            }
            if "acceptability" in t.columns:
                item["acceptability"] = row["acceptability"]
                item["confidence"] = row["confidence"]
            if self.candidates.spread is not None and cid in self.candidates.spread.index:
                item["spread"] = {n: self.candidates.spread.loc[cid, n] for n in names}
            cand.append(item)
        objectives = []
        for o in self.model.objectives:
            b = self.bounds.loc[o.name]
            objectives.append(
                {
                    **o.to_dict(),
                    "normalized_weight": self.weights[o.name],
                    "ideal": b["ideal"],
                    "nadir": b["nadir"],
                    "bounds_source": b["source"],
                }
            )
        out = {
            "workbench_version": __version__,
            "model_hash": self.model.hash,
            "quality_model": self.model.to_dict(),
            "data_hash": self.candidates.data_hash,
            "source": self.candidates.source,
            "source_ref": dict(self.candidates.source_ref),
            "method": self.method,
            "weights": self.weights,
            "champion": self.champion,
            "parameters": self.parameters,
            "objectives": objectives,
            "constraints": self.limits.to_dict(orient="records"),
            "recommended": self.recommended,
            "front": self.front,
            "hypervolume": self.hypervolume,
            "hypervolume_reference": REFERENCE,
            "n_candidates": len(t),
            "n_feasible": int(t["feasible"].sum()),
            "candidates": cand,
            "exclusions": self.candidates.exclusions.to_dict(orient="records"),
            "conflicts": self.conflicts.to_dict(orient="records"),
            "rates": self.rates.to_dict(orient="records"),
            "notes": list(self.notes),
        }
        if self.stability is not None:
            out["stability"] = self.stability.reset_index().to_dict(orient="records")
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.to_dict()
        return to_jsonable(out)

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def __repr__(self) -> str:
        t = self.table
        rec = self.recommended
        return (
            f"Analysis({len(t)} candidates, {int(t['feasible'].sum())} feasible, "
            f"{len(self.front)} on the front; method={self.method}; "
            f"recommended={rec!r}; hypervolume={self.hypervolume:.4g})"
        )


def analyze(
    candidates: Any,
    model: QualityModel,
    *,
    method: str | None = None,
    weights: Any = None,
    champion: str | None = None,
    smaa: int = 0,
    seed: int = 0,
    smaa_weights: str = "simplex",
    knee_radius: float = _knees.DEFAULT_RADIUS,
    knee_threshold: float = _knees.DEFAULT_THRESHOLD,
    tolerance: bool = True,
    stability: bool = True,
    depth: int | None = DEFAULT_DEPTH,
    confidence: float = 0.95,
    resamples: int = 4000,
) -> Analysis:
    """Run the whole trade-off analysis: feasibility, fronts, scores, ranks, knees, hypervolume,
    pseudo-weights, trade-off rates, conflicts and (optionally) SMAA and weight stability.

    Parameters
    ----------
    candidates : Candidates, DataFrame or source spec
        What :func:`workbench.load` returns, a DataFrame with an id column, or a spec string.
    model : QualityModel
    method : str, optional
        Scoring method; default: the model's.
    weights : str or mapping, optional
        A stakeholder name or ``{objective: weight}``; default: the model's weights.
    champion : str, optional
        Candidate id that relative constraints (``<= 1.1 * champion``) refer to.
    smaa : int
        Number of SMAA-2 weight samples (0 = skip).
    seed : int
        Seed of every random step: same inputs and seed, same numbers.
    smaa_weights : str
        Weight distribution for SMAA: ``simplex``, ``stakeholders`` (see ``workbench.analysis.smaa``).
    knee_radius, knee_threshold : float
        Knee neighbourhood and threshold (see :func:`workbench.analysis.knees`).
    tolerance : bool
        Apply the objectives' tolerances to dominance.
    stability : bool
        Compute weight stability intervals of the top choice.
    depth : int or None
        The last feasible front ranked exactly (default ``DEFAULT_DEPTH``, 2): feasible candidates
        behind front ``depth`` get front ``depth + 1``, read "beyond", and the infeasible ones
        follow from ``depth + 2`` (when any feasible candidate is beyond). Everything the analysis
        derives reads front 0 only (the recommendation, knees, hypervolume, rates, SMAA,
        stability), so ``depth`` changes the ``front`` column and nothing else. ``None`` ranks
        every front; on a million candidates with dozens of fronts that costs seconds.
    confidence : float
        Level of the replicate intervals and of the "detectable difference" verdicts.
    resamples : int
        Draws of the bootstrap over replicates (:func:`workbench.analysis.uncertainty.uncertainty`):
        with per-seed replicates, the recommended candidate is compared with the runner-up and its
        front neighbours (``Analysis.uncertainty``).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "weight": 2},
    ...     {"name": "ms", "direction": "min", "unit": "ms", "constraint": "<= 30"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.90, 0.80, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    >>> a = analyze(df, qm)
    >>> a.to_frame()[["feasible", "front", "rank"]]
               feasible  front  rank
    candidate
    a              True      0     1
    b              True      0     2
    c              True      1     3
    d             False      2     4
    >>> a.recommended
    'a'
    """
    smaa = check_samples(smaa, "smaa", minimum=0)
    seed = check_seed(seed)
    prob = candidates if isinstance(candidates, Problem) else problem(candidates, model, champion)
    model = prob.model
    method = check_method(method or model.method)
    w = prob.weights(weights)
    notes: list[str] = []

    feas = _feasibility(prob, None)
    limits = pd.DataFrame(
        [
            {"constraint": str(c), "objective": c.objective, "op": c.op, "limit": lim}
            for c, lim in constraint_limits(prob)
        ],
        columns=["constraint", "objective", "op", "limit"],
    )
    feasible = feas["feasible"].to_numpy()
    violation = feas["violation"].to_numpy()
    tol = prob.tolerance if tolerance and prob.tolerance.any() else None
    pareto = unconstrained_front(prob, tol)
    fronts = constrained_fronts(prob, feasible, violation, tolerance=tolerance, depth=depth)
    shortlist = feasible & (fronts == 0)
    if not shortlist.any():
        notes.append(
            "No candidate is feasible: knees, hypervolume, rates and robustness describe "
            "the unconstrained Pareto front instead."
        )
        shortlist = pareto

    N, ideal, nadir = normalized(prob, feasible)
    reference = reference_point(prob, ideal, nadir)
    score = scores_for_weights(prob, N, w, method, reference)
    ranks = order(score, feasible, violation)

    knee_df = _knees.knees(prob, radius=knee_radius, threshold=knee_threshold, front=shortlist)
    Ns = N[shortlist]
    hv = hypervolume(Ns)
    contrib = np.full(prob.n, np.nan)
    limit = HV_CONTRIBUTION_LIMIT.get(prob.k, HV_CONTRIBUTION_LIMIT_MANY) if prob.k >= 4 else None
    if limit is not None and shortlist.sum() > limit:
        notes.append(
            f"Exclusive hypervolume contributions skipped: {int(shortlist.sum())} front members "
            f"in {prob.k} objectives exceed {limit}."
        )
    else:
        contrib[shortlist] = hv_contributions(Ns)

    table = prob.candidates.table[prob.names].copy()
    table["feasible"] = feasible
    table["violation"] = violation
    table["pareto"] = pareto
    table["front"] = fronts
    table["score"] = score
    table["rank"] = ranks
    table["knee"] = False
    table.loc[knee_df.index, "knee"] = knee_df["knee"].to_numpy()
    table["tradeoff"] = np.nan
    table.loc[knee_df.index, "tradeoff"] = knee_df["tradeoff"].to_numpy()
    table["hv_contribution"] = contrib

    from workbench.analysis.scoring import pseudo_weights as _pw

    pw = _pw(prob, front=shortlist)
    rates = tradeoff_rates(prob, front=shortlist)
    conf = _conflicts(prob, front=shortlist)

    smaa_result = None
    if smaa:
        from workbench.analysis.smaa import smaa as _smaa

        smaa_result = _smaa(
            prob, None, samples=int(smaa), seed=seed, weights=smaa_weights, method=method, subset=shortlist
        )
        table["acceptability"] = smaa_result.first_rank.reindex(table.index).fillna(0.0).to_numpy()
        table["confidence"] = smaa_result.confidence.reindex(table.index).to_numpy()
    stab = None
    if stability and shortlist.sum() >= 1 and feasible.any():
        from workbench.analysis.weights import weight_stability

        stab = weight_stability(prob, None, method=method, weights=weights, subset=shortlist)
    dominance = None
    if prob.candidates.replicates is not None and prob.n <= 500:
        from workbench.analysis.uncertainty import dominance_probability

        dominance = dominance_probability(prob, None, tolerance=tolerance)
    uncertainty = None
    if prob.candidates.replicates is not None and prob.n <= 500:
        from workbench.analysis.uncertainty import check_level
        from workbench.analysis.uncertainty import uncertainty as _uncertainty

        confidence = check_level(confidence, "confidence")
        resamples = check_samples(resamples, "resamples")
        t_ = table
        rec = t_[(t_["rank"] == 1) & t_["feasible"]]
        rec_id = None if rec.empty else str(rec.index[0])
        versus: dict[str, str] = {}
        if rec_id is not None:
            others = t_[t_["feasible"] & (t_.index.astype(str) != rec_id)].sort_values("rank", kind="stable")
            if len(others):
                versus[str(others.index[0])] = "runner-up"
            for nb in rates.loc[rates["candidate"].astype(str) == rec_id, "neighbour"].astype(str):
                versus[nb] = versus[nb] + ", front neighbour" if nb in versus else "front neighbour"
        acc = None
        if smaa_result is not None and rec_id is not None:
            acc = float(table.loc[rec_id, "acceptability"])
        uncertainty = _uncertainty(
            prob,
            None,
            candidate=rec_id,
            versus=versus,
            method=method,
            weights=weights,
            samples=resamples,
            seed=seed,
            level=confidence,
            tolerance=tolerance,
            acceptability=acc,
            smaa_samples=int(smaa),
        )
        notes.extend(uncertainty.notes)

    return Analysis(
        model=model if weights is None else model.with_weights(weights),
        candidates=prob.candidates,
        method=method,
        weights=dict(zip(prob.names, map(float, w), strict=True)),
        champion=prob.champion,
        table=table,
        bounds=_bounds(prob, feasible=feasible),
        hypervolume=hv,
        rates=rates,
        conflicts=conf,
        pseudo_weights=pw,
        limits=limits,
        smaa=smaa_result,
        stability=stab,
        dominance=dominance,
        uncertainty=uncertainty,
        parameters={
            "smaa": int(smaa),
            "seed": int(seed),
            "smaa_weights": smaa_weights,
            "knee_radius": knee_radius,
            "knee_threshold": knee_threshold,
            "tolerance": tolerance,
            "depth": depth,
            **({"confidence": float(confidence), "resamples": int(resamples)} if uncertainty is not None else {}),
        },
        notes=tuple(notes),
    )
