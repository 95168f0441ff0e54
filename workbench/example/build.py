"""Build the embedded example: a local MLflow store of *really trained* breast-cancer classifiers.

What is built
-------------
:func:`build_example` trains a grid of scikit-learn classifiers of eight families and several
sizes (logistic regression, linear SVM, decision trees, random forests, gradient boosting,
histogram gradient boosting, k-NN, MLP; 23 configurations, or 6 with ``quick=True``) on the
Wisconsin breast-cancer data set that ships with scikit-learn (``load_breast_cancer``: 569
tumours, 30 features; nothing is downloaded). Each configuration is trained once per replicate
seed (default 3); the seed is both the ``random_state`` of the stratified 70/30 train/test split
and of the model, so every configuration sees the same splits (a paired design) and each
candidate has genuine per-seed replicates. The positive class is **malignant** (scikit-learn codes
it 0; it is recoded to 1 here), so ``recall`` is the share of malignant tumours that are caught.

Every (configuration, seed) is one MLflow run in ``<outdir>/mlflow.db`` (tracking URI
``sqlite:///<outdir>/mlflow.db``, experiment ``breast-cancer-classifiers``):

* params: ``family``, ``model`` (estimator class), ``scaler``, the hyperparameters, ``seed``,
  ``test_size``, ``n_train``, ``n_test``;
* tags: ``candidate`` (a readable configuration id shared by the seeds, e.g. ``rf-200-d12``),
  ``seed``, ``family``, ``latency_calls``, ``latency_retries``, ``energy_status`` and, when
  energy was measured, ``codecarbon_run_id``;
* metrics, measured on the held-out split: ``accuracy``, ``balanced_accuracy``, ``recall``,
  ``precision``, ``f1``, ``roc_auc`` (deterministic given the seed); ``latency_p50_ms`` and
  ``latency_p95_ms`` (percentiles of 200 single-row ``predict`` calls timed with
  ``time.perf_counter``, garbage collector paused, after 10 warm-up calls; 100 calls in quick
  mode; a call during which another process took the core is timed again, see the ``latency_``
  tags); ``throughput_rps`` (rows per second of a whole-test-set ``predict``, best of 3);
  ``model_size_kb`` (``len(pickle.dumps(model)) / 1024`` of the fitted pipeline);
  ``train_time_s`` (wall time of the one ``fit``); ``energy_wh`` (CodeCarbon, below).

All fitting and predicting runs with BLAS and OpenMP limited to one thread (``threadpoolctl``):
without it, on a 2-core machine, single-row latencies of k-NN and histogram boosting were seen
to jump from 0.4 ms to 70 ms at random (OpenBLAS and OpenMP worker threads competing for the
cores); one thread also keeps the results independent of the core count. Timings and energy are
measured, so they vary between machines and builds; everything else (the six quality metrics,
``model_size_kb``) is a deterministic function of ``seed`` for a given scikit-learn version. No
models or other artifacts are logged. A full build takes ~30 s on 2 cores, a quick one (6
configurations x 2 seeds) ~5 s including imports.

Energy and ``emissions.csv``
----------------------------
Energy is measured with CodeCarbon's ``OfflineEmissionsTracker`` (``country_iso_code="SWE"``,
``tracking_mode="process"``, CSV output only, no network). Measured with CodeCarbon 3.3: the first
tracker of a process takes ~1.5 s (hardware detection), later ones ~10 ms, so there is **one
tracker per MLflow run**. A plain ``start()``/``stop()`` pair does not work for fits shorter than
50 ms: ``stop()`` only samples power when the last sample is older than that, so a 3 ms fit is
reported as almost no energy. The fit is therefore wrapped in a CodeCarbon *task*
(``start_task``/``stop_task``, which always samples), inside ``start()``/``stop()``; the tracker's
row then covers exactly one fit and ``energy_wh`` is that row's ``energy_consumed`` (kWh) x 1000.

Each tracker appends its row to one CodeCarbon ``emissions.csv``, which is kept next to the store
as CodeCarbon wrote it (its per-task side files are dropped). The rows join to MLflow runs on
**``run_id``**: CodeCarbon always draws a random ``run_id`` and has no parameter for it, so the
tracker's ``run_id`` attribute is set to the MLflow run id before ``start()`` (checked on the
written row). As a fallback that only uses a documented parameter, ``experiment_id`` is set to the
MLflow run id too, and ``project_name`` to the experiment name. So ``emissions.csv`` columns
``run_id`` == ``experiment_id`` == MLflow ``run_id``, and the run carries the tag
``codecarbon_run_id``.

Without RAPL counters (containers, most CI machines) CodeCarbon estimates power from a CPU-load
model and the process's RAM, so ``energy_wh`` then tracks ``train_time_s`` closely (correlation
0.999, ~15-17 W on the 2-core VM this was developed on); it is still what CodeCarbon reports.
If CodeCarbon is missing or fails, the build goes on without ``energy_wh`` and the run's
``energy_status`` tag says why.

Storage
-------
The store is built in a hidden temporary folder next to ``outdir`` and renamed into place only
when complete, with a manifest ``example.json`` holding the settings. A later call with the same
settings reuses the store (``rebuild=True`` forces a new one); an interrupted build never leaves a
store that would be reused. ``quality.yaml`` (the example's quality model) is copied next to it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import importlib
import json
import logging
import math
import os
import pickle
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import WorkbenchError, require

__all__ = [
    "EXPERIMENT",
    "METRICS",
    "ExampleArgumentError",
    "ExampleStore",
    "ExampleStoreError",
    "build_example",
    "candidates",
]

#: Name of the MLflow experiment.
EXPERIMENT = "breast-cancer-classifiers"
#: Metrics logged for every run (``energy_wh`` only when CodeCarbon works).
METRICS = (
    "accuracy",
    "balanced_accuracy",
    "recall",
    "precision",
    "f1",
    "roc_auc",
    "latency_p50_ms",
    "latency_p95_ms",
    "throughput_rps",
    "model_size_kb",
    "train_time_s",
    "energy_wh",
)
#: Bump when the grid or the measurement protocol changes: stores of older versions are rebuilt.
BUILDER_VERSION = 1

_MANIFEST = "example.json"
_DB = "mlflow.db"
_EMISSIONS = "emissions.csv"
_QUALITY = "quality.yaml"
_COUNTRY = "SWE"
_TEST_SIZE = 0.3
_LATENCY_WARMUP = 10
_LATENCY_CALLS = {False: 200, True: 100}
_LATENCY_MIN_CALLS = 50
_LATENCY_BUDGET_S = 3.0  # stop timing a very slow model after this long (and >= 50 calls)
_PREEMPTED_S = 0.0005  # wall - thread CPU time above this: the call was descheduled; time it again
_MAX_RETRIES = 5
_DEFAULT_SEEDS = {False: 3, True: 2}

# (candidate id, family, hyperparameters). Ids are stable: they name a configuration for all seeds.
_FULL_GRID: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("logreg-c0.01", "logreg", {"C": 0.01}),
    ("logreg-c0.1", "logreg", {"C": 0.1}),
    ("logreg-c1", "logreg", {"C": 1.0}),
    ("logreg-c10", "logreg", {"C": 10.0}),
    ("svm-c0.01", "linear_svm", {"C": 0.01}),
    ("svm-c1", "linear_svm", {"C": 1.0}),
    ("tree-d2", "tree", {"max_depth": 2}),
    ("tree-d4", "tree", {"max_depth": 4}),
    ("tree-d8", "tree", {"max_depth": 8}),
    ("rf-30-d4", "random_forest", {"n_estimators": 30, "max_depth": 4}),
    ("rf-30-d12", "random_forest", {"n_estimators": 30, "max_depth": 12}),
    ("rf-200-d4", "random_forest", {"n_estimators": 200, "max_depth": 4}),
    ("rf-200-d12", "random_forest", {"n_estimators": 200, "max_depth": 12}),
    ("gb-50-d3", "gradient_boosting", {"n_estimators": 50, "max_depth": 3}),
    ("gb-200-d3", "gradient_boosting", {"n_estimators": 200, "max_depth": 3}),
    ("hgb-50-l15", "hist_gradient_boosting", {"max_iter": 50, "max_leaf_nodes": 15}),
    ("hgb-200-l31", "hist_gradient_boosting", {"max_iter": 200, "max_leaf_nodes": 31}),
    ("knn-1", "knn", {"n_neighbors": 1}),
    ("knn-5", "knn", {"n_neighbors": 5}),
    ("knn-15", "knn", {"n_neighbors": 15}),
    ("mlp-16", "mlp", {"hidden_layer_sizes": (16,)}),
    ("mlp-64x32", "mlp", {"hidden_layer_sizes": (64, 32)}),
    ("mlp-256x128", "mlp", {"hidden_layer_sizes": (256, 128)}),
)
_QUICK_IDS = ("logreg-c1", "tree-d4", "rf-30-d4", "hgb-50-l15", "knn-5", "mlp-16")
_SCALED = {"logreg", "linear_svm", "knn", "mlp"}


def candidates(quick: bool = False) -> list[str]:
    """Candidate ids of the full grid, or of the quick one.

    >>> len(candidates()), candidates(quick=True)
    (23, ['logreg-c1', 'tree-d4', 'rf-30-d4', 'hgb-50-l15', 'knn-5', 'mlp-16'])
    """
    return [c for c, _, _ in _grid(quick)]


def _grid(quick: bool) -> list[tuple[str, str, dict[str, Any]]]:
    if not quick:
        return list(_FULL_GRID)
    by_id = {c[0]: c for c in _FULL_GRID}
    return [by_id[c] for c in _QUICK_IDS]


class ExampleStoreError(WorkbenchError, FileExistsError):
    """The output folder exists and is not an example store, so it is not overwritten."""


class ExampleArgumentError(WorkbenchError, ValueError):
    """An argument of :func:`build_example` is out of range."""


@dataclass(frozen=True)
class ExampleStore:
    """Where a built example lives and how to read it.

    ``source`` is the workbench source string ``"mlflow:<tracking_uri>#<experiment>"``.
    """

    path: Path
    tracking_uri: str
    experiment: str
    quality_model_path: Path
    emissions_csv: Path | None
    n_runs: int
    source: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", f"mlflow:{self.tracking_uri}#{self.experiment}")

    def quality_model(self):
        """The example's quality model (a :class:`~workbench.quality.QualityModel`)."""
        from workbench.quality import QualityModel

        return QualityModel.from_yaml(self.quality_model_path)


# --- the public entry point ----------------------------------------------------------------------


def build_example(
    outdir: str | os.PathLike[str],
    *,
    seeds: int | None = None,
    quick: bool = False,
    seed: int = 0,
    progress: bool = False,
    rebuild: bool = False,
) -> ExampleStore:
    """Train the example's models and log them to a local MLflow store in ``outdir``.

    Parameters
    ----------
    outdir : path
        Folder of the store; created if missing. An existing example store built with the same
        settings is reused; one with other settings is replaced. A non-empty folder that is not
        an example store raises :class:`ExampleStoreError`.
    seeds : int, optional
        Replicates per configuration (default 3, or 2 with ``quick=True``). Replicate ``i`` uses
        seed ``seed + i`` for the train/test split and the model.
    quick : bool
        Six configurations and a shorter latency protocol: a few seconds, for tests.
    seed : int
        First replicate seed.
    progress : bool
        Print one line per run to stderr.
    rebuild : bool
        Build again even if a store with the same settings exists.

    Examples
    --------
    >>> store = build_example("example-store", quick=True)  # doctest: +SKIP
    >>> store.source  # doctest: +SKIP
    'mlflow:sqlite:////.../example-store/mlflow.db#breast-cancer-classifiers'
    """
    quick = bool(quick)
    n_seeds = _DEFAULT_SEEDS[quick] if seeds is None else seeds
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int | np.integer) or n_seeds < 1:
        raise ExampleArgumentError(f"seeds must be a whole number >= 1, got {seeds!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**31 - 1000:
        raise ExampleArgumentError(f"seed must be a whole number in [0, 2**31 - 1000), got {seed!r}.")
    n_seeds, seed = int(n_seeds), int(seed)

    outdir = Path(outdir).expanduser().resolve()
    settings = _settings(n_seeds, quick, seed)
    manifest = _read_manifest(outdir)
    if manifest is not None and not rebuild and manifest.get("settings") == settings and (outdir / _DB).is_file():
        return _store_from_manifest(outdir, manifest)
    if outdir.exists() and manifest is None and (not outdir.is_dir() or any(outdir.iterdir())):
        raise ExampleStoreError(
            f"{str(outdir)!r} exists and is not an example store (no readable {_MANIFEST}); "
            "it is left untouched.\n  Fix: choose an empty or new folder."
        )

    with _offline_and_quiet():
        require("sklearn", "example", "The embedded example")
        require("mlflow", "example", "The embedded example")
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.building-", dir=outdir.parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private; a store is a plain folder
        started = time.perf_counter()
        with _offline_and_quiet():
            info = _build_into(tmp, final=outdir, n_seeds=n_seeds, quick=quick, seed=seed, progress=progress)
        shutil.copyfile(_shipped_quality_yaml(), tmp / _QUALITY)
        manifest = {
            "format": 1,
            "settings": settings,
            "experiment": EXPERIMENT,
            "tracking_db": _DB,
            "n_runs": info["n_runs"],
            "emissions_csv": _EMISSIONS if info["emissions_csv"] else None,
            "energy": info["energy"],
            "candidates": candidates(quick),
            "seeds": [seed + i for i in range(n_seeds)],
            "build_seconds": round(time.perf_counter() - started, 2),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": _versions(),
        }
        # Written last: a folder with a manifest is complete (the folder is renamed as a whole).
        (tmp / _MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap_into_place(tmp, outdir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _forget_cached_engine(_tracking_uri(outdir))
    return _store_from_manifest(outdir, manifest)


# --- settings, manifest, atomic replacement ------------------------------------------------


def _settings(n_seeds: int, quick: bool, seed: int) -> dict[str, Any]:
    grid = [[c, f, {k: list(v) if isinstance(v, tuple) else v for k, v in p.items()}] for c, f, p in _grid(quick)]
    protocol = {
        "test_size": _TEST_SIZE,
        "latency_calls": _LATENCY_CALLS[quick],
        "latency_warmup": _LATENCY_WARMUP,
        "latency_retry": [_PREEMPTED_S, _MAX_RETRIES],
        "country_iso_code": _COUNTRY,
    }
    digest = hashlib.sha256(json.dumps([grid, protocol], sort_keys=True).encode()).hexdigest()[:16]
    return {"builder_version": BUILDER_VERSION, "seeds": n_seeds, "quick": quick, "seed": seed, "grid": digest}


def _read_manifest(outdir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((outdir / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("settings"), dict) else None


def _tracking_uri(outdir: Path) -> str:
    return f"sqlite:///{(outdir / _DB).as_posix()}"


def _store_from_manifest(outdir: Path, manifest: Mapping[str, Any]) -> ExampleStore:
    quality = outdir / _QUALITY
    if not quality.is_file():  # deleted by the user: restore it; an edited copy is left alone
        shutil.copyfile(_shipped_quality_yaml(), quality)
    emissions = manifest.get("emissions_csv")
    return ExampleStore(
        path=outdir,
        tracking_uri=_tracking_uri(outdir),
        experiment=str(manifest.get("experiment", EXPERIMENT)),
        quality_model_path=quality,
        emissions_csv=outdir / emissions if emissions and (outdir / emissions).is_file() else None,
        n_runs=int(manifest.get("n_runs", 0)),
    )


def _shipped_quality_yaml() -> Path:
    return Path(str(resources.files("workbench.example").joinpath(_QUALITY)))


def _swap_into_place(tmp: Path, outdir: Path) -> None:
    """Rename the finished build to ``outdir``; an old store is moved aside first, then deleted."""
    old = None
    if outdir.exists():
        if outdir.is_dir() and not any(outdir.iterdir()):
            outdir.rmdir()
        else:
            old = outdir.with_name(f".{outdir.name}.old-{uuid.uuid4().hex[:8]}")
            os.replace(outdir, old)
    os.replace(tmp, outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": sys.version.split()[0]}
    for dist in ("scikit-learn", "numpy", "mlflow-skinny", "mlflow", "codecarbon"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


@contextlib.contextmanager
def _offline_and_quiet() -> Iterator[None]:
    """Disable MLflow telemetry and silence MLflow/alembic/CodeCarbon INFO logs; restore after."""
    env = {"MLFLOW_DISABLE_TELEMETRY": "true"}
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # before mlflow is first imported: its telemetry client starts on import
    # Both configure their loggers when first imported: import them before saving the levels.
    for module in ("mlflow", "codecarbon"):
        with contextlib.suppress(Exception):
            importlib.import_module(module)
    levels = {"mlflow": logging.WARNING, "alembic": logging.WARNING, "codecarbon": logging.ERROR}
    saved_levels = {name: logging.getLogger(name).level for name in levels}
    saved_handlers = {name: list(logging.getLogger(name).handlers) for name in levels}
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).handlers = saved_handlers[name]  # CodeCarbon adds its own


def _forget_cached_engine(tracking_uri: str) -> None:
    """Close MLflow's cached SQLAlchemy engine for ``tracking_uri``, if any.

    MLflow keeps one engine (with pooled sqlite connections) per database URI for the process. A
    pooled connection still points at the file that a rebuild has replaced, so without this a
    reader in the same process would keep seeing the old runs.
    """
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except Exception:  # pragma: no cover - mlflow missing or reorganised
        return
    engines = getattr(SqlAlchemyStore, "_engine_map", None)
    if not isinstance(engines, dict):  # pragma: no cover
        return
    engine = engines.get(tracking_uri)
    if engine is not None:
        with contextlib.suppress(Exception):
            engine.dispose()


def _drop_cached_engine(tracking_uri: str) -> None:
    """Dispose of and forget the engine of the temporary build database."""
    _forget_cached_engine(tracking_uri)
    with contextlib.suppress(Exception):
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        SqlAlchemyStore._engine_map.pop(tracking_uri, None)


# --- the build ---------------------------------------------------------------------------------


def _load_data():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    # sklearn codes malignant as 0; make malignant the positive class (1).
    return data.data.astype(np.float64), (data.target == 0).astype(np.int64)


def _split(X: np.ndarray, y: np.ndarray, seed: int):
    """Stratified 70/30 split with ``random_state=seed``: ``X_tr, X_te, y_tr, y_te``."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=_TEST_SIZE, stratify=y, random_state=seed)


def _one_thread():
    """Limit BLAS and OpenMP to one thread (see the module docstring); a ``threadpoolctl`` limit
    object, usable as a context manager or undone with ``restore_original_limits()``."""
    import threadpoolctl

    return threadpoolctl.threadpool_limits(limits=1)


def _size_kb(model) -> float:
    """``len(pickle.dumps(model)) / 1024`` (highest protocol)."""
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) / 1024


def _make_estimator(family: str, params: Mapping[str, Any], seed: int):
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC
    from sklearn.tree import DecisionTreeClassifier

    p = dict(params)
    if family == "logreg":
        model = LogisticRegression(C=p["C"], max_iter=5000, random_state=seed)
    elif family == "linear_svm":
        model = LinearSVC(C=p["C"], max_iter=20000, random_state=seed)
    elif family == "tree":
        model = DecisionTreeClassifier(max_depth=p["max_depth"], random_state=seed)
    elif family == "random_forest":
        model = RandomForestClassifier(
            n_estimators=p["n_estimators"], max_depth=p["max_depth"], n_jobs=1, random_state=seed
        )
    elif family == "gradient_boosting":
        model = GradientBoostingClassifier(n_estimators=p["n_estimators"], max_depth=p["max_depth"], random_state=seed)
    elif family == "hist_gradient_boosting":
        model = HistGradientBoostingClassifier(
            max_iter=p["max_iter"], max_leaf_nodes=p["max_leaf_nodes"], early_stopping=False, random_state=seed
        )
    elif family == "knn":
        model = KNeighborsClassifier(n_neighbors=p["n_neighbors"])
    elif family == "mlp":
        model = MLPClassifier(hidden_layer_sizes=p["hidden_layer_sizes"], max_iter=1000, random_state=seed)
    else:  # pragma: no cover - the grid is fixed
        raise ValueError(family)
    return make_pipeline(StandardScaler(), model) if family in _SCALED else model


def _param_text(value: Any) -> str:
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def _build_into(tmp: Path, *, final: Path, n_seeds: int, quick: bool, seed: int, progress: bool) -> dict[str, Any]:
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    uri = _tracking_uri(tmp)
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment(
        EXPERIMENT,
        artifact_location=(final / "artifacts").as_uri(),
        tags={
            "mlflow.note.content": (
                "Breast-cancer classifiers trained by workbench.example (scikit-learn "
                "load_breast_cancer; positive class = malignant). One run per configuration "
                "and seed; tag 'candidate' groups the seeds of a configuration."
            ),
            "dataset": "sklearn.datasets.load_breast_cancer",
            "positive_class": "malignant",
            "workbench.example.builder_version": str(BUILDER_VERSION),
        },
    )
    X, y = _load_data()
    grid = _grid(quick)
    energy = _Energy(tmp / ".codecarbon")
    n_calls = _LATENCY_CALLS[quick]
    # One thread for BLAS and OpenMP (see the module docstring): without it, single-row latencies
    # of k-NN and HistGradientBoosting jumped from 0.4 ms to 70 ms at random on 2 cores.
    limits = _one_thread()
    total = n_seeds * len(grid)
    done = 0
    try:
        _warm_up(grid, X, y)
        for replicate in range(n_seeds):
            s = seed + replicate
            X_tr, X_te, y_tr, y_te = _split(X, y, s)
            for candidate, family, params in grid:
                t_run = time.perf_counter()
                run = client.create_run(experiment_id, run_name=f"{candidate}-s{s}")
                run_id = run.info.run_id
                try:
                    result = _train_and_measure(family, params, s, X_tr, y_tr, X_te, y_te, energy, run_id, n_calls)
                    model_name = type(result.pop("_model")).__name__
                    tags = {
                        "candidate": candidate,
                        "seed": str(s),
                        "family": family,
                        "dataset": "breast_cancer",
                        "positive_class": "malignant",
                        "latency_calls": str(result.pop("_latency_calls")),
                        "latency_retries": str(result.pop("_latency_retries")),
                        "energy_status": result.pop("_energy_status"),
                        "workbench.example.builder_version": str(BUILDER_VERSION),
                    }
                    fit_warnings = result.pop("_fit_warnings")
                    if fit_warnings:
                        tags["fit_warnings"] = fit_warnings
                    if "energy_wh" in result:
                        tags["codecarbon_run_id"] = run_id
                    run_params = {
                        "family": family,
                        "model": model_name,
                        "scaler": "standard" if family in _SCALED else "none",
                        **{k: _param_text(v) for k, v in params.items()},
                        "seed": str(s),
                        "test_size": str(_TEST_SIZE),
                        "n_train": str(len(y_tr)),
                        "n_test": str(len(y_te)),
                    }
                    now = int(time.time() * 1000)
                    client.log_batch(
                        run_id,
                        metrics=[Metric(k, float(v), now, 0) for k, v in result.items()],
                        params=[Param(k, v) for k, v in run_params.items()],
                        tags=[RunTag(k, v) for k, v in tags.items()],
                    )
                    client.set_terminated(run_id, "FINISHED")
                except BaseException:
                    with contextlib.suppress(Exception):
                        client.set_terminated(run_id, "FAILED")
                    raise
                done += 1
                if progress:
                    print(
                        f"[{done:>3}/{total}] {candidate:<12} seed={s} "
                        f"recall={result['recall']:.3f} p95={result['latency_p95_ms']:.2f}ms "
                        f"({time.perf_counter() - t_run:.2f}s)",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        limits.restore_original_limits()
        _drop_cached_engine(uri)
    emissions = energy.finish(tmp / _EMISSIONS)
    return {"n_runs": done, "emissions_csv": emissions, "energy": energy.summary()}


def _warm_up(grid, X, y) -> None:
    """Fit and predict once per family, untimed, so lazy imports and first-call costs are not
    charged to the first configuration of a family."""
    seen = set()
    for _, family, params in grid:
        if family in seen:
            continue
        seen.add(family)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _make_estimator(family, params, 0).fit(X[:200], y[:200])
            model.predict(X[200:201])


def _train_and_measure(
    family, params, seed, X_tr, y_tr, X_te, y_te, energy: _Energy, run_id: str, n_calls: int
) -> dict[str, Any]:
    from sklearn import metrics as skm

    model = _make_estimator(family, params, seed)
    with energy.track(run_id) as measured:
        with warnings.catch_warnings(record=True) as caught:  # e.g. ConvergenceWarning -> a tag
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            model.fit(X_tr, y_tr)
            train_time = time.perf_counter() - t0
    fit_warnings = sorted({w.category.__name__ for w in caught})

    y_pred = model.predict(X_te)
    if hasattr(model, "predict_proba"):
        scores = model.predict_proba(X_te)[:, 1]
    else:
        scores = model.decision_function(X_te)
    out: dict[str, Any] = {
        "accuracy": skm.accuracy_score(y_te, y_pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y_te, y_pred),
        "recall": skm.recall_score(y_te, y_pred, zero_division=0),
        "precision": skm.precision_score(y_te, y_pred, zero_division=0),
        "f1": skm.f1_score(y_te, y_pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y_te, scores),
    }
    p50, p95, calls, retries = _latency_ms(model, X_te, n_calls)
    out["latency_p50_ms"] = p50
    out["latency_p95_ms"] = p95
    out["throughput_rps"] = _throughput(model, X_te)
    out["model_size_kb"] = _size_kb(model)
    out["train_time_s"] = train_time
    if measured.energy_wh is not None:
        out["energy_wh"] = measured.energy_wh
    out["_energy_status"] = measured.status
    out["_latency_calls"] = calls
    out["_latency_retries"] = retries
    out["_fit_warnings"] = ",".join(fit_warnings)
    out["_model"] = model[-1] if hasattr(model, "steps") else model
    return out


def _latency_ms(model, X: np.ndarray, n_calls: int, *, predict=None) -> tuple[float, float, int, int]:
    """p50 and p95 of single-row ``predict`` wall times in ms, the calls kept and the retries.

    ``predict`` is the function timed on one-row arrays (default ``model.predict``).

    A call during which the thread was descheduled (its wall time exceeds its own CPU time by
    more than ``_PREEMPTED_S``: another process had the core) is timed again, up to
    ``_MAX_RETRIES`` times. On a busy 2-core machine such preemptions (a few ms each) otherwise
    set the p95 of even a 0.2 ms model to ~4 ms, i.e. they measure the machine, not the model.
    """
    rows = [X[i : i + 1] for i in range(len(X))]
    if predict is None:
        predict = model.predict
    for i in range(_LATENCY_WARMUP):
        predict(rows[i % len(rows)])
    times: list[float] = []
    retries = 0
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = time.perf_counter, time.thread_time
        start = wall()
        for i in range(n_calls):
            row = rows[i % len(rows)]
            for attempt in range(_MAX_RETRIES + 1):
                c0 = cpu()
                t0 = wall()
                predict(row)
                t1 = wall()
                c1 = cpu()
                if (t1 - t0) - (c1 - c0) <= _PREEMPTED_S or attempt == _MAX_RETRIES:
                    break
                retries += 1
            times.append(t1 - t0)
            if t1 - start > _LATENCY_BUDGET_S and len(times) >= _LATENCY_MIN_CALLS:
                break
    finally:
        if gc_enabled:
            gc.enable()
    ms = np.asarray(times) * 1000.0
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95)), len(times), retries


def _throughput(model, X: np.ndarray) -> float:
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict(X)
        best = min(best, time.perf_counter() - t0)
    return len(X) / best if best > 0 else float("nan")


# --- CodeCarbon ------------------------------------------------------------------------------


@dataclass
class _Measured:
    energy_wh: float | None = None
    status: str = "not measured"


class _Energy:
    """One CodeCarbon tracker per run; rows go to one ``emissions.csv`` in a scratch folder."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.version = None
        self.measured = 0
        self.failures: list[str] = []
        self.problem: str | None = None
        try:
            import codecarbon
            from codecarbon import OfflineEmissionsTracker
            from codecarbon.output_methods.base_output import OutputMethod
        except Exception as exc:  # ImportError, or a broken install
            self._tracker_cls = None
            self.problem = f"unavailable: codecarbon cannot be imported ({type(exc).__name__}: {exc})"
            return
        self._tracker_cls = OfflineEmissionsTracker
        self._csv = OutputMethod.CSV
        self.version = getattr(codecarbon, "__version__", "?")
        scratch.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def track(self, run_id: str) -> Iterator[_Measured]:
        result = _Measured(status=self.problem or "not measured")
        tracker = None
        if self._tracker_cls is not None:
            try:
                tracker = self._tracker_cls(
                    country_iso_code=_COUNTRY,
                    project_name=EXPERIMENT,
                    experiment_id=run_id,
                    experiment_name="task",
                    output_dir=str(self.scratch),
                    output_file=_EMISSIONS,
                    output_methods=[self._csv],
                    emissions_endpoint=False,  # never POST, even if a user config names an endpoint
                    measure_power_secs=1,
                    tracking_mode="process",
                    log_level="error",
                    allow_multiple_runs=True,
                )
                tracker.run_id = run_id  # CodeCarbon has no parameter for it; see module docstring
                tracker.start()
                tracker.start_task(run_id)
            except Exception as exc:
                result.status = f"unavailable: tracker start failed ({type(exc).__name__}: {exc})"
                self._stop_quietly(tracker)
                tracker = None
        try:
            yield result
        finally:
            if tracker is not None:
                self._finish(tracker, run_id, result)

    def _finish(self, tracker, run_id: str, result: _Measured) -> None:
        try:
            tracker.stop_task()
            tracker.stop()
            data = getattr(tracker, "final_emissions_data", None)
            kwh = float(getattr(data, "energy_consumed", float("nan")))
            if data is None or not math.isfinite(kwh) or kwh < 0:
                result.status = "unavailable: CodeCarbon returned no energy"
            else:
                result.energy_wh = kwh * 1000.0
                row_id = str(getattr(data, "run_id", ""))
                result.status = (
                    "measured"
                    if row_id == run_id
                    else f"measured; emissions.csv run_id is {row_id!r}, join on experiment_id"
                )
                self.measured += 1
        except Exception as exc:
            result.status = f"unavailable: tracker stop failed ({type(exc).__name__}: {exc})"
            self._stop_quietly(tracker)
        if result.energy_wh is None:
            self.failures.append(result.status)

    @staticmethod
    def _stop_quietly(tracker) -> None:
        if tracker is not None:
            with contextlib.suppress(Exception):
                tracker.stop()

    def finish(self, target: Path) -> bool:
        """Move CodeCarbon's ``emissions.csv`` to ``target``; drop the scratch folder."""
        produced = self.scratch / _EMISSIONS
        ok = self.measured > 0 and produced.is_file()
        if ok:
            os.replace(produced, target)
        shutil.rmtree(self.scratch, ignore_errors=True)
        return ok

    def summary(self) -> dict[str, Any]:
        return {
            "tool": None if self.version is None else f"codecarbon {self.version}",
            "tracker": "OfflineEmissionsTracker",
            "country_iso_code": _COUNTRY,
            "tracking_mode": "process",
            "window": "one fit, as a CodeCarbon task",
            "runs_measured": self.measured,
            "problem": self.problem or (self.failures[0] if self.failures else None),
            "join": "emissions.csv run_id == experiment_id == MLflow run_id",
        }
