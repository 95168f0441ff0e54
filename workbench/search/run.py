"""Search a configuration space for candidates that serve the quality model, with pymoo.

:func:`search` turns (space, quality model, evaluation function) into a pymoo problem and runs an
evolutionary multi-objective algorithm on it:

* objectives are the model's, turned into minimisation by ``workbench.analysis``'s one rule
  (``F = value * sign``); hard constraints become pymoo inequality constraints ``G <= 0``,
  measured relative to their limit exactly as :func:`workbench.analysis.feasibility` does (a
  relative constraint such as ``<= 1.1 * champion`` is resolved on a ``baseline`` candidate set);
  a failed evaluation is infeasible through one more constraint;
* NSGA-II for up to three objectives, NSGA-III with Das-Dennis reference directions beyond;
  ``guide=`` focuses the search: a reference point in objective units, or ``"weights"`` (the
  model's weights, e.g. the ones an analyst set in the ``TradeoffExplorer``) from the ideal point
  -> R-NSGA-II (<= 3 objectives) or R-NSGA-III;
* seeded: the same seed and the same measurements give the same configurations (measured
  latencies vary between runs and steer selection, so a fresh run of a noisy evaluation differs;
  rerunning against the record replays it exactly); ``budget`` caps the number of
  evaluations; the search stops early when the hypervolume of everything feasible found so far
  has not grown by more than ``stall_tol`` (relative) over ``stall_generations`` generations;
* every evaluation is recorded as it finishes (:mod:`workbench.search.store`); a rerun against
  the same record replays the seeded search, serving recorded configurations from the record,
  so an interrupted search resumes where it stopped and nothing is evaluated twice;
* the result is reported by :func:`workbench.analyze` over the successful evaluations, so the
  front respects the objectives' tolerances and searched candidates flow into the usual views,
  reviews and decisions.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import EvaluationFailedError, SearchError, UnknownNameError, require, unknown_name
from workbench.quality.objective import limit_text
from workbench.search.evaluate import Outcome, adapt, make_runner, resolve, summarise
from workbench.search.space import Bool, Categorical, Float, Int, Space
from workbench.search.store import Evaluation, Store, open_store

__all__ = ["search", "SearchConfig", "SearchResult", "STOP_REASONS"]

#: Why a search stopped.
STOP_REASONS = ("budget", "stall", "exhausted")

_FAILED_F = 1e12  # objective values given to failed evaluations (infeasible anyway)
_FAILED_G = 1e6  # violation of the "evaluation succeeded" constraint


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(eq=False)
class SearchResult:
    """What a search found.

    Attributes
    ----------
    evaluations : DataFrame
        Every recorded evaluation (this run's and, when resumed, earlier ones): ``candidate``,
        ``status`` (ok / failed / lost), ``error``, ``generation``, one column per parameter
        (empty where inactive), one per returned metric, ``duration_s``, ``started_at``,
        ``worker``, ``key``.
    candidates : Candidates or None
        The successful evaluations, ready for :func:`workbench.analyze`, views and reviews
        (parameters as provenance, per-seed replicates when returned). None if none succeeded.
    analysis : Analysis or None
        ``analyze(candidates, model)``: feasibility, tolerance-aware fronts, ranks, knees...
    history : DataFrame
        One row per generation: evaluations so far, new calls, failures, feasible front size,
        hypervolume (normalised, reference 1.1).
    stopped : str
        One of :data:`STOP_REASONS`.
    settings : dict
        Algorithm, population, budget, seed, guide, hashes, versions: the provenance.
    calls, reused : int
        Evaluations run by this call, and served from the record (resume, revisits).
    configurations : dict
        Candidate id -> its configuration (active parameters only), as the function received it.
    """

    evaluations: pd.DataFrame
    candidates: Any
    analysis: Any
    history: pd.DataFrame
    stopped: str
    settings: dict[str, Any]
    calls: int = 0
    reused: int = 0
    configurations: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    @property
    def front(self) -> pd.DataFrame:
        """Evaluations on the feasible, tolerance-aware Pareto front (empty if nothing is feasible)."""
        if self.analysis is None:
            return self.evaluations.iloc[0:0]
        ids = self.analysis.front
        return self.evaluations.set_index("candidate").loc[ids].reset_index()

    def save(self, outdir: str | Path) -> dict[str, Path]:
        """Write ``evaluations.parquet``, ``front.parquet``, ``front.csv`` and ``search.json``
        (settings, history, stop reason), each atomically."""
        from workbench._io import atomic_write_bytes, atomic_write_text, output_error

        out = Path(outdir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(out, exc, "the search's output folder") from None
        paths = {}
        for name, frame in (("evaluations.parquet", self.evaluations), ("front.parquet", self.front)):
            paths[name] = atomic_write_bytes(out / name, _parquet_bytes(frame))
        paths["front.csv"] = atomic_write_text(out / "front.csv", _csv_safe(self.front).to_csv(index=False))
        summary = {
            "stopped": self.stopped,
            "evaluations": int(len(self.evaluations)),
            "calls": self.calls,
            "reused": self.reused,
            "ok": int((self.evaluations["status"] == "ok").sum()) if len(self.evaluations) else 0,
            "failed": int((self.evaluations["status"] != "ok").sum()) if len(self.evaluations) else 0,
            "front": [] if self.analysis is None else list(self.analysis.front),
            "recommended": None if self.analysis is None else self.analysis.recommended,
            "settings": self.settings,
            "history": json.loads(self.history.to_json(orient="records")),
        }
        paths["search.json"] = atomic_write_text(out / "search.json", json.dumps(summary, indent=2, default=str))
        return paths

    def __repr__(self) -> str:
        ok = int((self.evaluations["status"] == "ok").sum()) if len(self.evaluations) else 0
        front = 0 if self.analysis is None else len(self.analysis.front)
        return f"SearchResult({len(self.evaluations)} evaluations, {ok} ok, front of {front}, stopped: {self.stopped})"


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# The search
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """How to search: the algorithm's budget, seed, population, focus and stopping rules.

    Where evaluations are recorded (``outdir``/``mlflow``/``store``), where they run
    (``workers``/``client``/``scheduler``) and what relative constraints refer to
    (``baseline``/``champion``) are :func:`search`'s own keywords.

    Attributes
    ----------
    budget : int
        Maximum number of evaluations (configurations served from the record count too, so a
        resumed search with the same budget replays to the same end).
    seed : int
    pop_size : int, optional
        Population size; default: the one recorded by the first run on this record (a resumed
        search replays it), else ``min(100, max(10, budget // 8))``. NSGA-III rounds it up to
        its number of reference directions.
    guide : ``"weights"`` or mapping objective -> value, optional
        Focus the search: on the region the model's weights prefer, or around a reference point.
    initial : sequence of configurations
        Put known configurations (say, the champion's) into the first generation.
    stall_generations, stall_tol
        Early stop when the hypervolume of the feasible evaluations grew by at most ``stall_tol``
        (relative) over that many generations. ``stall_generations=0`` disables it.
    retry_failed : bool
        Re-evaluate configurations recorded as failed (lost ones are always retried).
    fail_fast : int
        Stop with :class:`~workbench.errors.EvaluationFailedError` when the first ``fail_fast``
        evaluations of this run all raise the same exception (type and place): the evaluation
        function is broken, and the rest of the budget would fail the same way. 0 disables it.
    """

    budget: int = 200
    seed: int = 0
    pop_size: int | None = None
    guide: str | Mapping[str, float] | None = None
    initial: Sequence[Mapping[str, Any]] = ()
    stall_generations: int = 10
    stall_tol: float = 1e-3
    retry_failed: bool = False
    fail_fast: int = 5

    def __post_init__(self) -> None:
        def whole(name: str, minimum: int) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
                raise SearchError(f"{name} must be an integer >= {minimum}, got {v!r}.")

        if isinstance(self.budget, bool) or not isinstance(self.budget, (int, np.integer)) or self.budget < 1:
            raise SearchError(f"budget must be a positive number of evaluations, got {self.budget!r}.")
        whole("seed", 0)
        whole("stall_generations", 0)
        whole("fail_fast", 0)
        if self.pop_size is not None:
            whole("pop_size", 1)
        object.__setattr__(self, "initial", tuple(self.initial))


def search(
    space: Space | str | Path | Mapping[str, Any],
    model: Any,
    evaluate: Callable[..., Any] | str,
    config: SearchConfig | None = None,
    *,
    outdir: str | Path | None = None,
    mlflow: str | None = None,
    store: Store | None = None,
    workers: int = 1,
    client: Any = None,
    scheduler: str | None = None,
    baseline: Any = None,
    champion: str | None = None,
    progress: bool = False,
    **settings: Any,
) -> SearchResult:
    """Search ``space`` for configurations that do well on ``model``'s objectives.

    Parameters
    ----------
    space : Space, path to a space file, or its mapping
    model : QualityModel or path to its YAML
    evaluate : callable or ``"module:function"`` / ``"file.py:function"``
        ``evaluate(config) -> {metric: value or [value per seed]}`` taking the configuration as
        a dict, or ``evaluate(x1, x2, ...)`` taking the parameters as keyword arguments; see
        :mod:`workbench.search.evaluate`.
    config : SearchConfig, optional
        Budget, seed, population, guide, initial configurations, stopping rules.
    **settings
        Any :class:`SearchConfig` field as a keyword, overriding ``config``'s
        (``search(space, qm, fn, budget=400, seed=1, outdir=...)``).
    outdir, mlflow, store
        Where every evaluation is recorded as it finishes (a rerun against the same record
        resumes): ``outdir/evaluations.sqlite``, MLflow runs (``"TRACKING_URI#EXPERIMENT"``), or
        a :class:`~workbench.search.store.Store`. The outputs are not written here — call
        :meth:`SearchResult.save`.
    workers, client, scheduler
        Parallel evaluation: ``workers`` local Dask processes, an existing Dask ``client`` (or a
        pymoo ``DaskParallelization``), or a ``scheduler`` address.
    baseline, champion
        Candidates (and champion id) that relative constraints refer to.
    progress : bool
        Show a progress bar on stderr.

    Raises
    ------
    EvaluationFailedError
        The first ``fail_fast`` evaluations all raised the same exception (shown, with the
        configuration that caused it).

    Examples
    --------
    >>> import workbench as wb
    >>> from workbench.search import Space, Float, search
    >>> qm = wb.QualityModel.from_dict({"objectives": [
    ...     {"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]})
    >>> def zdt1(x1, x2):
    ...     g = 1 + 9 * x2
    ...     return {"f1": x1, "f2": g * (1 - (x1 / g) ** 0.5)}
    >>> space = Space([Float("x1", 0, 1), Float("x2", 0, 1)])
    >>> import tempfile
    >>> r = search(space, qm, zdt1, budget=400, seed=1, stall_generations=0, outdir=tempfile.mkdtemp())
    >>> r.stopped, len(r.evaluations), r.calls
    ('budget', 400, 400)
    >>> bool(r.front["x2"].max() < 0.05)
    True
    """
    require("pymoo", "search", "Configuration search")
    if progress:
        require("tqdm", "search", "A search's progress bar")
    from workbench.quality import QualityModel

    cfg = _config(config, settings)
    if not isinstance(space, Space):
        space = Space.from_dict(space) if isinstance(space, Mapping) else Space.from_yaml(space)
    if isinstance(model, (str, Path)):
        model = QualityModel.from_yaml(model)
    if not isinstance(model, QualityModel):
        raise SearchError(f"model must be a QualityModel or a path to its YAML, got {type(model).__name__}.")
    fn, fn_spec = resolve(evaluate)
    fn = adapt(fn, space.names)
    clash = [n for n in space.names if n in model.names or n in _RESERVED]
    if clash:
        raise SearchError(
            f"Parameter {clash[0]!r} has the name of an objective or of an evaluations column; rename the parameter."
        )
    limits = _limits(model, baseline, champion)
    initial = [space.check(c) for c in cfg.initial]
    initial_x = [space.encode(c) for c in initial]

    own_store = store is None
    if store is None:
        if outdir is None and not mlflow:
            raise SearchError(
                "A search needs somewhere to record its evaluations: pass outdir=... "
                "(CLI: -o OUTDIR) or mlflow='URI#EXPERIMENT'."
            )
        store = open_store(outdir or ".", mlflow)
    runner = None
    try:
        store.check_settings({"space": space.hash, "evaluate": fn_spec})
        runner = make_runner(workers=workers, client=client, scheduler=scheduler)
        ledger = _Ledger(store, model.names, cfg.budget, cfg.retry_failed)
        decoded = _Decoded(space)
        for c, x in zip(initial, initial_x, strict=True):  # evaluated exactly as given, not at a neighbouring float
            decoded.remember(x, c)
        gens = _Generations(
            space,
            _Objectives(model, limits),
            ledger,
            decoded,
            runner,
            fn,
            _Progress(model, cfg.budget, progress),
            _FailFast(cfg.fail_fast, store.location),
        )
        # a resumed search keeps the first run's population (the replay needs it), unless told otherwise
        recorded = store.settings().get("pop_size")
        n_pop = int(cfg.pop_size or recorded or min(100, max(10, cfg.budget // 8)))
        if not recorded:
            store.check_settings({"pop_size": str(n_pop)})
        algorithm, algo_name = _algorithm(
            space, decoded, model, len(model.names), n_pop, cfg.guide, initial_x, int(cfg.seed)
        )
        termination = _Termination(gens, int(cfg.stall_generations), float(cfg.stall_tol))
        started = time.time()
        from pymoo.optimize import minimize

        try:
            minimize(
                _SearchProblem(gens),
                algorithm,
                termination,
                seed=int(cfg.seed),
                verbose=False,
                copy_algorithm=False,
                copy_termination=False,
            )
        finally:
            gens.progress.close()
        settings_out = {
            "algorithm": algo_name,
            "pop_size": int(algorithm.pop_size),
            "budget": int(cfg.budget),
            "seed": int(cfg.seed),
            "guide": cfg.guide if not isinstance(cfg.guide, Mapping) else dict(cfg.guide),
            "stall_generations": int(cfg.stall_generations),
            "stall_tol": float(cfg.stall_tol),
            "space": space.to_dict(),
            "space_hash": space.hash,
            "model_hash": model.hash,
            "evaluate": fn_spec,
            "store": store.location,
            "workers": runner.workers,
            "started_at": started,
            "finished_at": time.time(),
            "constraints": [f"{c.objective} {c.op} {limit_text(lim)}" for c, lim in limits],
            "versions": _versions(),
        }
        return _result(gens, settings_out)
    finally:
        if runner is not None:
            runner.close()
        if own_store:
            store.close()


def _config(config: SearchConfig | None, settings: Mapping[str, Any]) -> SearchConfig:
    """``config`` with keyword overrides; an unknown keyword is named with the valid ones."""
    if config is not None and not isinstance(config, SearchConfig):
        raise SearchError(f"config must be a SearchConfig, got {type(config).__name__}.")
    fields = [f.name for f in dataclasses.fields(SearchConfig)]
    for name in settings:
        if name not in fields:
            valid = fields + [
                "outdir",
                "mlflow",
                "store",
                "workers",
                "client",
                "scheduler",
                "baseline",
                "champion",
                "progress",
            ]
            raise UnknownNameError(unknown_name("search() setting", name, valid, where="a setting of search()"))
    return dataclasses.replace(config or SearchConfig(), **settings)


_RESERVED = ("candidate", "status", "error", "generation", "duration_s", "started_at", "worker", "key")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("mltradeops-workbench", "pymoo", "numpy"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            out[pkg] = "unknown"
    return out


def _limits(model: Any, baseline: Any, champion: str | None) -> list[tuple[Any, float]]:
    """Resolve the model's constraints to numbers; relative ones need a baseline candidate set."""
    relative = [c for c in model.constraints if c.baseline is not None]
    if relative and baseline is None:
        raise SearchError(
            f"Constraint {str(relative[0])!r} is relative to {relative[0].baseline!r}, which a search cannot "
            "know by itself.\n  Fix: pass baseline=<the existing candidates> and champion=<id> "
            "(CLI: --baseline FILE --champion ID), or write the limit as a number."
        )
    if baseline is None:
        return [(c, c.resolve()) for c in model.constraints]
    from workbench.analysis.feasibility import constraint_limits
    from workbench.analysis.problem import problem

    return constraint_limits(problem(baseline, model, champion))


# --------------------------------------------------------------------------------------------
# One search's parts: the record, the objectives, progress, the fail-fast guard, a generation
# --------------------------------------------------------------------------------------------


class _Ledger:
    """The record of evaluations and the counts against the budget."""

    def __init__(self, store: Store, names: Sequence[str], budget: int, retry_failed: bool) -> None:
        self.store, self.budget = store, budget
        self.records: dict[str, Evaluation] = {}
        recorded = store.load()
        missing = sorted({n for ev in recorded if ev.status == "ok" for n in names if n not in ev.metrics})
        if missing:  # a record written for another quality model: its evaluations cannot be reused
            metrics = sorted({m for ev in recorded if ev.status == "ok" for m in ev.metrics})
            raise SearchError(
                f"The evaluations recorded in {store.location} have no value for objective(s) "
                f"{', '.join(map(repr, missing))} of the quality model (recorded metrics: "
                f"{', '.join(metrics) or 'none'}).\n"
                "  Fix: use a new output folder (or --fresh to discard the record), or the quality model "
                "the record was made with."
            )
        for ev in recorded:
            if ev.status == "lost" or (retry_failed and ev.status == "failed"):
                continue
            self.records[ev.key] = ev
        self.next_id = 1 + max((_id_number(e.candidate) for e in recorded), default=0)
        self.n_eval = 0  # evaluations counted against the budget (pymoo's count)
        self.calls = 0  # calls of the function in this run
        self.reused = 0  # configurations served from the record

    def ids(self, n: int) -> list[str]:
        """``n`` fresh candidate ids."""
        out = [f"e{self.next_id + j:05d}" for j in range(n)]
        self.next_id += n
        return out

    def add(self, ev: Evaluation) -> None:
        self.store.record(ev)
        self.records[ev.key] = ev
        self.calls += 1

    @property
    def failed(self) -> int:
        return sum(1 for e in self.records.values() if e.status != "ok")


class _Objectives:
    """The model's objectives and resolved constraints: outcomes -> evaluations -> (F, G)."""

    def __init__(self, model: Any, limits: list[tuple[Any, float]]) -> None:
        self.model, self.limits = model, limits
        self.names = list(model.names)
        self.sign = np.array([o.sign for o in model.objectives], dtype=float)
        self.aggregation = {o.name: o.aggregation for o in model.objectives}

    def evaluation(
        self, candidate: str, key: str, config: dict[str, Any], generation: int, outcome: Outcome
    ) -> Evaluation:
        common = dict(
            candidate=candidate,
            key=key,
            config=config,
            generation=generation,
            started_at=float(outcome.get("started_at", time.time())),
            duration_s=float(outcome.get("duration_s", 0.0)),
            worker=str(outcome.get("worker", "")),
        )
        if "error" in outcome:
            return Evaluation(status="lost" if outcome.get("lost") else "failed", error=str(outcome["error"]), **common)
        metrics, reps, error = summarise(outcome["returned"], self.names, self.aggregation)
        if error:
            return Evaluation(status="failed", error=f"The evaluation {error}.", **common)
        return Evaluation(status="ok", metrics=metrics, replicates=reps, **common)

    def arrays(self, evaluations: Sequence[Evaluation | None]) -> tuple[np.ndarray, np.ndarray]:
        """Minimised objectives F and constraint values G (<= 0 feasible; the last one: the
        evaluation succeeded) of a generation; failed or missing evaluations are infeasible."""
        n = len(evaluations)
        F = np.full((n, len(self.names)), _FAILED_F)
        G = np.zeros((n, len(self.limits) + 1))
        G[:, -1] = _FAILED_G
        for i, ev in enumerate(evaluations):
            if ev is None or ev.status != "ok":
                continue
            x = np.array([ev.metrics[m] for m in self.names], dtype=float)
            F[i] = x * self.sign
            G[i, :-1] = self._violations(x)
            G[i, -1] = 0.0
        return F, G

    def _violations(self, x: np.ndarray) -> np.ndarray:
        from workbench.analysis.feasibility import signed_violation

        return np.array([signed_violation(x[self.names.index(c.objective)], c, limit) for c, limit in self.limits])


class _Progress:
    """The feasible non-dominated archive, its hypervolume per generation, the progress bar."""

    def __init__(self, model: Any, budget: int, enabled: bool) -> None:
        self.archive = np.empty((0, len(model.names)))
        self.bounds = _declared_bounds(model)
        self.history: list[dict[str, Any]] = []
        self._bar = _bar(budget, enabled)

    def update(self, F: np.ndarray, G: np.ndarray, generation: int, ledger: _Ledger) -> None:
        from workbench.analysis.indicators import hypervolume
        from workbench.analysis.pareto import front_mask

        feasible = (G <= 0).all(axis=1)
        if feasible.any():
            pool = np.vstack([self.archive, F[feasible]])
            self.archive = pool[front_mask(pool, None)]
        hv = 0.0
        if len(self.archive):
            lo, hi = self._normalisation()
            hv = hypervolume((self.archive - lo) / hi)
        self.history.append(
            {
                "generation": generation,
                "evaluations": ledger.n_eval,
                "calls": ledger.calls,
                "reused": ledger.reused,
                "failed": ledger.failed,
                "front": int(len(self.archive)),
                "hypervolume": float(hv),
            }
        )
        if self._bar is not None:
            self._bar.set_postfix(front=len(self.archive), hv=f"{hv:.4f}", refresh=False)

    def _normalisation(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed per search: declared bounds, else the range of the first feasible evaluations."""
        lo, span = self.bounds
        missing = np.isnan(lo)
        if missing.any():
            a_lo, a_hi = self.archive.min(axis=0), self.archive.max(axis=0)
            lo = np.where(missing, a_lo, lo)
            span = np.where(missing, np.where(a_hi > a_lo, a_hi - a_lo, 1.0), span)
            self.bounds = (lo, span)
        return lo, span

    def tick(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _FailFast:
    """Stops a search whose first ``n`` fresh evaluations all raised the same exception."""

    def __init__(self, n: int, location: str) -> None:
        self.n, self.location = n, location
        self.failures: list[tuple[Evaluation, str]] = []
        self.armed = n > 0

    def check(self, ev: Evaluation, outcome: Outcome) -> None:
        if not self.armed:
            return
        signature = outcome.get("signature")
        if ev.status != "failed" or not signature or (self.failures and signature != self.failures[0][1]):
            self.armed = False  # a success or a different failure: the function works, at least sometimes
            return
        self.failures.append((ev, signature))
        if len(self.failures) >= self.n:
            first = self.failures[0][0]
            raise EvaluationFailedError(
                f"The first {self.n} evaluations all failed with the same error, so the search stopped:\n"
                f"  {first.error}\n"
                f"  Configuration: {_config_text(first.config)}\n"
                f"  Fix: correct the evaluation function (call it on that configuration to reproduce), then "
                f"rerun with retry_failed=True (CLI: --retry-failed) or a fresh record: the {self.n} failures "
                f"are recorded in {self.location}. If the function rightly fails in part of the space, "
                "set fail_fast=0 (CLI: --fail-fast 0)."
            )


def _config_text(config: Mapping[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in config.items())
    return text if len(text) <= 300 else text[:297] + "..."


class _Generations:
    """pymoo's evaluation step: a generation's points -> recorded evaluations -> (F, G)."""

    def __init__(
        self,
        space: Space,
        objectives: _Objectives,
        ledger: _Ledger,
        decoded: _Decoded,
        runner: Any,
        fn: Callable[..., Any],
        progress: _Progress,
        fail_fast: _FailFast,
    ) -> None:
        self.space, self.objectives, self.ledger, self.decoded = space, objectives, ledger, decoded
        self.runner, self.fn, self.progress, self.fail_fast = runner, fn, progress, fail_fast
        self.generation = 0
        self.stopped: str | None = None

    def evaluate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ledger = self.ledger
        n = len(X)
        allowed = min(n, max(0, ledger.budget - ledger.n_eval))
        decoded = [self.decoded(x) for x in X]
        configs = [c for c, _ in decoded]
        keys = [k for _, k in decoded]
        todo: dict[str, int] = {}
        for i in range(allowed):
            if keys[i] in ledger.records:
                ledger.reused += 1
                self.progress.tick()
            elif keys[i] not in todo:
                todo[keys[i]] = i
        order = list(todo.values())
        ids = dict(zip(order, ledger.ids(len(order)), strict=True))

        def done(j: int, outcome: Outcome) -> None:
            i = order[j]
            ev = self.objectives.evaluation(ids[i], keys[i], configs[i], self.generation, outcome)
            ledger.add(ev)
            self.progress.tick()
            self.fail_fast.check(ev, outcome)

        if order:
            self.runner.run(self.fn, [configs[i] for i in order], done)
        out = [ledger.records.get(keys[i]) if i < allowed else None for i in range(n)]
        ledger.n_eval += allowed
        self.generation += 1
        F, G = self.objectives.arrays(out)
        self.progress.update(F, G, self.generation, ledger)
        return F, G


class _Decoded:
    """Configuration and key of each point, computed once: the duplicate check and the evaluation
    both need them for the same offspring."""

    def __init__(self, space: Space, limit: int = 100_000) -> None:
        self.space, self.limit = space, limit
        self._cache: dict[bytes, tuple[dict[str, Any], str]] = {}

    def remember(self, x: np.ndarray, config: dict[str, Any]) -> None:
        self._cache[np.ascontiguousarray(x, dtype=float).tobytes()] = (config, self.space.key(config))

    def __call__(self, x: np.ndarray) -> tuple[dict[str, Any], str]:
        raw = np.ascontiguousarray(x, dtype=float).tobytes()
        found = self._cache.get(raw)
        if found is None:
            if len(self._cache) >= self.limit:
                self._cache.clear()
            config = self.space.decode(x)
            found = self._cache[raw] = (config, self.space.key(config))
        return found


def _id_number(candidate: str) -> int:
    try:
        return int(str(candidate).lstrip("e"))
    except ValueError:
        return 0


def _declared_bounds(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """(lo, span) of the minimised objectives from declared bounds; NaN where none is declared."""
    lo, span = [], []
    for o in model.objectives:
        if o.bounds is None or o.bounds[0] == o.bounds[1]:
            lo.append(np.nan)
            span.append(np.nan)
            continue
        a, b = o.bounds[0] * o.sign, o.bounds[1] * o.sign
        lo.append(min(a, b))
        span.append(abs(b - a))
    return np.array(lo), np.array(span)


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm  # the plain console bar: the engine never imports Jupyter

    return tqdm(total=total, unit="eval", desc="search", file=sys.stderr, dynamic_ncols=True)


# --------------------------------------------------------------------------------------------
# pymoo glue
# --------------------------------------------------------------------------------------------


def _problem_class() -> type:
    from pymoo.core.problem import Problem

    class SearchProblem(Problem):
        """The space's unit box; F and G from recorded or fresh evaluations."""

        def __init__(self, gens: _Generations) -> None:
            super().__init__(
                n_var=len(gens.space),
                n_obj=len(gens.objectives.names),
                n_ieq_constr=len(gens.objectives.limits) + 1,
                xl=0.0,
                xu=1.0,
            )
            self.gens = gens

        def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
            out["F"], out["G"] = self.gens.evaluate(X)

    return SearchProblem


def _SearchProblem(gens: _Generations) -> Any:
    return _problem_class()(gens)


def _termination_class() -> type:
    from pymoo.core.termination import Termination

    class SearchTermination(Termination):
        """Budget, hypervolume stall, or nothing left to propose."""

        def __init__(self, gens: _Generations, stall_generations: int, stall_tol: float) -> None:
            super().__init__()
            self.gens, self.stall_generations, self.stall_tol = gens, stall_generations, stall_tol

        def _update(self, algorithm: Any) -> float:
            gens, ledger = self.gens, self.gens.ledger
            if ledger.n_eval >= ledger.budget:
                gens.stopped = "budget"
                return 1.0
            h = gens.progress.history
            g = self.stall_generations
            if g > 0 and len(h) > g:
                new, old = h[-1]["hypervolume"], h[-1 - g]["hypervolume"]
                if new > 0 and new - old <= self.stall_tol * new:
                    gens.stopped = "stall"
                    return 1.0
            return ledger.n_eval / ledger.budget

    return SearchTermination


def _Termination(gens: _Generations, stall_generations: int, stall_tol: float) -> Any:
    return _termination_class()(gens, stall_generations, stall_tol)


def _duplicates(decoded: _Decoded) -> Any:
    from pymoo.core.duplicate import DuplicateElimination

    class SameConfiguration(DuplicateElimination):
        """Two individuals are duplicates when they decode to the same configuration."""

        def key(self, x: np.ndarray) -> str:
            return decoded(x)[1]

        def _do(self, pop: Any, other: Any, is_duplicate: np.ndarray) -> np.ndarray:
            keys = [self.key(x) for x in pop.get("X")]
            if other is None:
                seen: set[str] = set()
                for i, key in enumerate(keys):
                    if key in seen:
                        is_duplicate[i] = True
                    seen.add(key)
            else:
                taken = {self.key(x) for x in other.get("X")}
                for i, key in enumerate(keys):
                    if key in taken:
                        is_duplicate[i] = True
            return is_duplicate

    return SameConfiguration()


def _algorithm(
    space: Space,
    decoded: _Decoded,
    model: Any,
    k: int,
    pop_size: int,
    guide: Any,
    initial_x: list[np.ndarray],
    seed: int,
) -> tuple[Any, str]:
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.algorithms.moo.rnsga2 import RNSGA2
    from pymoo.algorithms.moo.rnsga3 import RNSGA3
    from pymoo.util.ref_dirs import get_reference_directions

    ref_dirs = None
    if k > 3:
        ref_dirs = _das_dennis(k, pop_size, get_reference_directions)
        pop_size = max(pop_size, len(ref_dirs))
    rng = np.random.default_rng(seed)
    X0 = rng.random((pop_size, len(space)))
    for i, x in enumerate(initial_x[:pop_size]):
        X0[i] = x
    common = dict(sampling=X0, eliminate_duplicates=_duplicates(decoded))
    if guide is None:
        if k <= 3:
            return NSGA2(pop_size=pop_size, **common), "NSGA-II"
        return NSGA3(ref_dirs=ref_dirs, pop_size=pop_size, **common), f"NSGA-III ({len(ref_dirs)} reference directions)"
    point = _guide_point(model, guide)
    weights = np.array([model.weights[n] for n in model.names], dtype=float)
    if k <= 3:
        algo = RNSGA2(
            ref_points=point[None, :], epsilon=0.01, weights=weights, normalization="front", pop_size=pop_size, **common
        )
        return algo, "R-NSGA-II"
    per = max(4, pop_size)
    algo = RNSGA3(ref_points=point[None, :], pop_per_ref_point=per, mu=0.1, **common)
    return algo, "R-NSGA-III"


def _das_dennis(k: int, pop_size: int, factory: Callable[..., np.ndarray]) -> np.ndarray:
    """The most Das-Dennis directions that fit in ``pop_size`` (at least one partition)."""
    p = 1
    while math.comb(p + 1 + k - 1, k - 1) <= pop_size:
        p += 1
    return factory("das-dennis", k, n_partitions=p)


def _guide_point(model: Any, guide: Any) -> np.ndarray:
    """The reference point of a guided search, minimised: given, the model's, or the ideal."""
    names = model.names
    sign = np.array([o.sign for o in model.objectives], dtype=float)
    if isinstance(guide, Mapping):
        for name in guide:
            if name not in names:
                raise UnknownNameError(unknown_name("Guide objective", name, names, where="an objective of the model"))
        missing = [n for n in names if n not in guide]
        if missing:
            raise SearchError(
                f"The guide point gives no value for {', '.join(map(repr, missing))}; "
                f"give every objective ({', '.join(names)})."
            )
        values = []
        for n in names:
            v = guide[n]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
                raise SearchError(f"Guide value for {n!r} must be a finite number, got {v!r}.")
            values.append(float(v))
        return np.array(values) * sign
    if guide != "weights":
        raise SearchError(f"guide must be 'weights' or a mapping objective -> value, got {guide!r}.")
    if model.reference_point is not None and set(model.reference_point) == set(names):
        return np.array([model.reference_point[n] for n in names], dtype=float) * sign
    missing = [o.name for o in model.objectives if o.bounds is None]
    if missing:
        raise SearchError(
            f"A search guided by the weights starts from the ideal point, but {', '.join(map(repr, missing))} "
            "declare no bounds.\n  Fix: declare 'bounds: {ideal: ..., nadir: ...}' for every objective, set the "
            "model's reference_point, or pass a guide point."
        )
    return np.array([o.bounds[0] for o in model.objectives], dtype=float) * sign


# --------------------------------------------------------------------------------------------
# Assembling the result
# --------------------------------------------------------------------------------------------


def _result(gens: _Generations, settings: dict[str, Any]) -> SearchResult:
    records = gens.ledger.store.load()
    evaluations = _evaluations_frame(gens.space, records)
    cands = _candidates(gens, [e for e in records if e.status == "ok"])
    analysis = None
    if cands is not None:
        from workbench.analysis.analyze import analyze

        model = gens.objectives.model
        if any(c.baseline is not None for c in model.constraints):
            # relative limits were resolved on the baseline: analyse with them as numbers
            from workbench.quality import Constraint

            model = model.with_constraints([Constraint(c.objective, c.op, lim) for c, lim in gens.objectives.limits])
        analysis = analyze(cands, model, stability=False)
    return SearchResult(
        evaluations,
        cands,
        analysis,
        pd.DataFrame(gens.progress.history),
        gens.stopped or "exhausted",
        settings,
        calls=gens.ledger.calls,
        reused=gens.ledger.reused,
        configurations={e.candidate: dict(e.config) for e in records},
    )


def _evaluations_frame(space: Space, records: list[Evaluation]) -> pd.DataFrame:
    metric_names: list[str] = []
    for e in records:
        for m in e.metrics:
            if m not in metric_names:
                metric_names.append(m)
    rows = []
    for e in records:
        row: dict[str, Any] = {
            "candidate": e.candidate,
            "status": e.status,
            "error": e.error,
            "generation": e.generation,
        }
        row.update({p: e.config.get(p) for p in space.names})
        row.update({m: e.metrics.get(m, np.nan) for m in metric_names})
        row.update({"duration_s": e.duration_s, "started_at": e.started_at, "worker": e.worker, "key": e.key})
        rows.append(row)
    columns = [
        "candidate",
        "status",
        "error",
        "generation",
        *space.names,
        *metric_names,
        "duration_s",
        "started_at",
        "worker",
        "key",
    ]
    df = pd.DataFrame(rows, columns=columns)
    for p in space.parameters:
        col = df[p.name]
        if isinstance(p, Int):
            df[p.name] = pd.array(col.tolist(), dtype="Int64")
        elif isinstance(p, Float):
            df[p.name] = pd.to_numeric(col, errors="coerce").astype("float64")
        elif isinstance(p, Bool):
            df[p.name] = pd.array(col.tolist(), dtype="boolean")
        elif isinstance(p, Categorical):
            kinds = {type(c) for c in p.choices}
            if len(kinds) > 1 or kinds == {str}:
                df[p.name] = pd.array([None if v is None else str(v) for v in col], dtype="string")
    for m in metric_names:
        df[m] = df[m].astype("float64")
    df["generation"] = df["generation"].astype("int64")
    return df


def _candidates(gens: _Generations, ok: list[Evaluation]) -> Any:
    if not ok:
        return None
    from workbench.sources.candidates import from_frame

    metric_names = list(dict.fromkeys(m for e in ok for m in e.metrics))
    params = {p: [e.config.get(p) for e in ok] for p in gens.space.names}
    ref = {"search": gens.ledger.store.location, "space_hash": gens.space.hash}
    if not any(e.replicates for e in ok):
        frame = pd.DataFrame(
            {
                "candidate": [e.candidate for e in ok],
                **{m: [e.metrics.get(m, np.nan) for e in ok] for m in metric_names},
                **{p: [_text(v) for v in vals] for p, vals in params.items()},
            }
        )
        return from_frame(frame, id_column="candidate", metrics=metric_names, source="search", source_ref=ref)
    long = []
    for e in ok:
        reps = e.replicates or {m: [v] for m, v in e.metrics.items()}
        n = max(len(v) for v in reps.values())
        for s in range(n):
            row = {"candidate": e.candidate, "seed": s}
            row.update({m: (reps[m][s] if m in reps and s < len(reps[m]) else np.nan) for m in metric_names})
            row.update({p: _text(e.config.get(p)) for p in gens.space.names})
            long.append(row)
    cands = from_frame(
        pd.DataFrame(long),
        id_column="candidate",
        replicate_column="seed",
        metrics=metric_names,
        source="search",
        source_ref=ref,
    )
    table = pd.DataFrame(
        {m: [e.metrics.get(m, np.nan) for e in ok] for m in metric_names},
        index=pd.Index([e.candidate for e in ok], name="candidate"),
    )
    return dataclasses.replace(cands, table=table.loc[cands.table.index])


_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot run as spreadsheet formulas: a cell starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return (and not a plain number) gets a leading ``'``
    (OWASP's CSV-injection advice). For ``front.csv`` only; the Parquet files keep the values."""

    def safe(v: Any) -> Any:
        return "'" + v if isinstance(v, str) and _FORMULA.match(v) and not _NUMBER.match(v) else v

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = [safe(v) for v in out[col]]
    out.columns = [safe(str(c)) for c in out.columns]  # parameter and metric names head the columns
    return out


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
