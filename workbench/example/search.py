"""Evaluation function of the example's configuration search (``search_space.yaml``).

What is searched
----------------
A scikit-learn classifier for the breast-cancer data of :mod:`workbench.example.build`
(``load_breast_cancer``, positive class **malignant**): the model family (``logreg``, ``tree``,
``forest``, ``hgb``, ``knn``), its hyperparameters (see :data:`PARAMETERS`) and the decision
threshold on ``P(malignant)``: a row is flagged malignant when ``predict_proba[:, 1] >=
threshold``. Every family has ``predict_proba``; ``logreg`` and ``knn`` are preceded by a
``StandardScaler``.

How it is measured
------------------
As in :mod:`workbench.example.build`, with its helpers: each configuration is trained once per
replicate seed (:data:`SEEDS`); the seed is the ``random_state`` of the stratified 70/30 split and
of the model, so all configurations see the same splits. On the held-out split: ``recall``,
``precision``, ``f1`` (of the thresholded predictions), ``roc_auc`` (of ``P(malignant)``, so
independent of the threshold), ``model_size_kb`` (``len(pickle.dumps(model)) / 1024``) and
``latency_p95_ms``: 95th percentile of :data:`LATENCY_CALLS` single-row thresholded predictions
(``predict_proba`` and the comparison), after build's untimed warm-up calls, garbage collector
paused, preempted calls timed again. Fitting and timing run with BLAS and OpenMP limited to one
thread. All metrics but the latency are deterministic for a given scikit-learn version. An
evaluation takes ~0.03-0.4 s on 2 cores (a 200-tree forest ~2-2.5 s); the data is loaded once
per process.

The space is :data:`SEARCH_SPACE_YAML`, its quality model :data:`SEARCH_QUALITY_YAML` (as
``quality.yaml``, without energy: evaluations are not tracked with CodeCarbon).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from workbench.example.build import _latency_ms, _load_data, _one_thread, _size_kb, _split

__all__ = [
    "FAMILIES",
    "LATENCY_CALLS",
    "METRICS",
    "PARAMETERS",
    "SEARCH_QUALITY_YAML",
    "SEARCH_SPACE_YAML",
    "SEEDS",
    "evaluate",
]

#: Model families, the values of the ``family`` parameter.
FAMILIES = ("logreg", "tree", "forest", "hgb", "knn")
#: Hyperparameters each family reads from the configuration (besides ``family`` and ``threshold``).
PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "logreg": ("C",),
    "tree": ("max_depth", "min_samples_leaf"),
    "forest": ("n_estimators", "max_depth", "min_samples_leaf"),
    "hgb": ("learning_rate", "max_iter", "max_depth"),
    "knn": ("n_neighbors",),
}
#: Metrics returned by :func:`evaluate`, each a list with one value per seed.
METRICS = ("recall", "precision", "f1", "roc_auc", "latency_p95_ms", "model_size_kb")
#: Replicate seeds (split and model ``random_state``).
SEEDS = (0, 1)
#: Timed single-row calls per seed (build times 200; fewer keep an evaluation short).
LATENCY_CALLS = 60

#: The search space (``search_space.yaml``, shipped with the package).
SEARCH_SPACE_YAML = Path(str(resources.files("workbench.example") / "search_space.yaml"))
#: The search's quality model (``quality_search.yaml``).
SEARCH_QUALITY_YAML = Path(str(resources.files("workbench.example") / "quality_search.yaml"))

_INT_PARAMS = {"max_depth", "min_samples_leaf", "n_estimators", "max_iter", "n_neighbors"}


def evaluate(config: Mapping[str, Any]) -> dict[str, list[float]]:
    """Train and measure one configuration of ``search_space.yaml`` on every seed.

    Parameters
    ----------
    config : mapping
        ``family``, ``threshold`` and the family's hyperparameters (:data:`PARAMETERS`); other
        keys are ignored. Integer hyperparameters may be given as integral floats.

    Returns
    -------
    dict of str -> list of float
        :data:`METRICS`, one value per seed of :data:`SEEDS`.

    Raises
    ------
    ValueError
        Unknown family, missing or malformed hyperparameter, threshold outside [0, 1].

    Examples
    --------
    >>> r = evaluate({"family": "tree", "max_depth": 4, "min_samples_leaf": 2, "threshold": 0.3})
    >>> sorted(r) == sorted(METRICS), len(r["recall"])
    (True, 2)
    """
    from sklearn import metrics as skm

    family, params, threshold = _parse(config)
    X, y = _data()
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    with _one_thread():
        for seed in SEEDS:
            X_tr, X_te, y_tr, y_te = _splits(seed)
            model = _make_estimator(family, params, seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # e.g. ConvergenceWarning of a tiny C
                model.fit(X_tr, y_tr)
            scores = model.predict_proba(X_te)[:, 1]
            y_pred = (scores >= threshold).astype(np.int64)
            _, p95, _, _ = _latency_ms(
                model, X_te, LATENCY_CALLS, predict=lambda row, proba=model.predict_proba: proba(row)[:, 1] >= threshold
            )
            out["recall"].append(float(skm.recall_score(y_te, y_pred, zero_division=0)))
            out["precision"].append(float(skm.precision_score(y_te, y_pred, zero_division=0)))
            out["f1"].append(float(skm.f1_score(y_te, y_pred, zero_division=0)))
            out["roc_auc"].append(float(skm.roc_auc_score(y_te, scores)))
            out["latency_p95_ms"].append(p95)
            out["model_size_kb"].append(_size_kb(model))
    return out


def _parse(config: Mapping[str, Any]) -> tuple[str, dict[str, Any], float]:
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of parameter names to values, got {config!r}.")
    family = config.get("family")
    if family not in PARAMETERS:
        raise ValueError(f"Unknown family {family!r}; valid families: {', '.join(FAMILIES)}.")
    params: dict[str, Any] = {}
    for name in PARAMETERS[family]:
        if name not in config:
            raise ValueError(f"Family {family!r} needs parameter {name!r}; got {sorted(config)}.")
        params[name] = _number(name, config[name], integer=name in _INT_PARAMS)
    if "threshold" not in config:
        raise ValueError(f"config needs 'threshold' (in [0, 1]); got {sorted(config)}.")
    threshold = _number("threshold", config["threshold"], integer=False)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], got {config['threshold']!r}.")
    return family, params, threshold


def _number(name: str, value: Any, *, integer: bool) -> Any:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if isinstance(value, bool) or not math.isfinite(x) or (integer and not x.is_integer()):
        kind = "a whole number" if integer else "a finite number"
        raise ValueError(f"Parameter {name!r} must be {kind}, got {value!r}.")
    return int(x) if integer else x


def _make_estimator(family: str, p: Mapping[str, Any], seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if family == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(C=p["C"], max_iter=2000, random_state=seed))
    if family == "tree":
        return DecisionTreeClassifier(
            max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"], random_state=seed
        )
    if family == "forest":
        return RandomForestClassifier(
            n_estimators=p["n_estimators"],
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            n_jobs=1,
            random_state=seed,
        )
    if family == "hgb":
        return HistGradientBoostingClassifier(
            learning_rate=p["learning_rate"],
            max_iter=p["max_iter"],
            max_depth=p["max_depth"],
            early_stopping=False,
            random_state=seed,
        )
    return make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=p["n_neighbors"]))


@functools.lru_cache(maxsize=1)
def _data() -> tuple[np.ndarray, np.ndarray]:
    X, y = _load_data()
    X.flags.writeable = False  # shared by every evaluation of the process
    y.flags.writeable = False
    return X, y


@functools.lru_cache(maxsize=len(SEEDS))
def _splits(seed: int):
    X, y = _data()
    return _split(X, y, seed)
