"""Production request logs for the embedded example, produced by *actually serving* its models.

:func:`simulate_serving` re-fits a few of the example's configurations exactly as
:mod:`workbench.example.build` does (same estimator factory ``_make_estimator`` -- a private
function of ``build.py``, imported on purpose so the configurations cannot diverge -- same
stratified 70/30 split with ``random_state=seed``, same ``seed`` for the model), then serves the
**held-out** tumours one request at a time under a simulated traffic pattern and writes one
Parquet file per simulated day in the canonical log schema of :mod:`workbench.sources.logs`.

What is real and what is simulated
----------------------------------
Real (measured / computed by the models):

* ``prediction``: the fitted pipeline's ``predict`` on the single request row;
* ``latency_ms`` (part): the wall time of that ``predict`` call (``time.perf_counter``, garbage
  collector paused, BLAS/OpenMP limited to one thread as in ``build.py``);
* ``label``: the tumour's true class (1 = malignant), ``group``: ``"large"`` when the tumour's
  mean radius (feature 0, the undrifted value) is at least the training split's median, else
  ``"small"``.

Simulated (seeded with ``seed``; nothing sleeps, no wall clock is used for timestamps):

* **timestamps**: from ``start`` (default 2026-01-05 00:00 UTC), Poisson arrivals per hour with a
  diurnal rate ``requests_per_hour * (1 + 0.5 * sin(2 pi (hour - 8) / 24))`` (peak 14:00 UTC),
  uniform within the hour;
* **routing**: the champion (the first version) takes 70 % of the requests, the others share 30 %;
* **delayed labels**: each label arrives after an exponential delay (mean 2 h) and 3 % never do;
  a label that has not arrived by the end of the simulated period is null;
* **cost**: ``cost_usd = 2e-6 + 1e-5 * latency_ms`` (a fixed per-request overhead plus compute
  billed at 1e-5 USD per ms); **energy**: ``energy_wh = 15 W * latency`` (15 W per busy core, the
  CodeCarbon CPU estimate seen in ``build.py``);
* **errors**: an injected failure rate of 0.1 % for every version, plus a timeout when the
  latency exceeds ``TIMEOUT_MS`` (10 ms); ``error_kind`` says which (``""``, ``"injected"``,
  ``"timeout"``);
* **degradation** of the ``degrade`` version from one third of the period onwards, with severity
  ``s`` rising linearly from 0 to 1 at the end: its *inputs drift* (every feature is scaled by
  ``1 - 0.35 s`` -- a miscalibrated scanner that under-measures tumours -- plus Gaussian noise of
  ``0.1 s`` training standard deviations), so its real predictions miss more malignant tumours
  and recall falls; a *synthetic load delay* of ``6 s`` ms is added to its measured latency
  (documented as simulated, no sleep), and its injected failure rate rises by ``6 s`` %.

With the live quality model ``quality_live.yaml`` (:data:`LIVE_QUALITY_YAML`), ``workbench watch``
on the logs fires ``constraint_violated`` for the degrading version in the last windows.

Extra log columns (kept by :func:`workbench.sources.logs.read_logs`): ``request_id``, ``row``
(index of the held-out row), ``error_kind``, ``drift_severity``, ``synthetic_delay_ms``,
``predict_ms`` (the measured part of the latency), ``recall_hit`` (1 = a labelled malignant
request flagged, 0 = missed, null otherwise: its rate is the recall).

Everything except the measured times (``predict_ms``, hence ``latency_ms``, ``cost_usd``,
``energy_wh`` and timeout errors) is a deterministic function of the arguments.
"""

from __future__ import annotations

import gc
import json
import math
import os
import time
import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from workbench.example.build import (
    _FULL_GRID,
    _TEST_SIZE,
    ExampleArgumentError,
    ExampleStore,
    _load_data,
    _make_estimator,
)

__all__ = ["simulate_serving", "DEFAULT_VERSIONS", "LIVE_QUALITY_YAML", "TIMEOUT_MS", "live_quality_yaml"]

#: Versions served by default: the champion first.
DEFAULT_VERSIONS = ("logreg-c1", "svm-c0.01", "rf-30-d4")
#: Requests slower than this fail as timeouts.
TIMEOUT_MS = 10.0
CHAMPION_SHARE = 0.7
BASE_FAILURE = 0.001
DEGRADE_FROM = 1 / 3  # share of the period after which the degradation starts
DRIFT_SCALE = 0.35  # features scaled by 1 - DRIFT_SCALE * s
DRIFT_NOISE = 0.1  # noise in training standard deviations, times s
LOAD_DELAY_MS = 6.0  # synthetic delay at s = 1
EXTRA_FAILURE = 0.06  # added failure rate at s = 1
LABEL_DELAY_MEAN_H = 2.0
LABEL_NEVER = 0.03
COST_FIXED_USD = 2e-6
COST_PER_MS_USD = 1e-5
WATTS = 15.0
DEFAULT_START = "2026-01-05T00:00:00Z"
_MANIFEST = "serving.json"


def live_quality_yaml() -> Path:
    """Path of the shipped ``quality_live.yaml`` (the live versions' quality model)."""
    return Path(str(resources.files("workbench.example").joinpath("quality_live.yaml")))


#: The shipped live quality model (objectives with ``source``/``aggregation``).
LIVE_QUALITY_YAML = live_quality_yaml()


def _resolve_outdir(store_or_outdir: Any, outdir: Any) -> Path:
    if outdir is not None:
        return Path(outdir).expanduser().resolve()
    if isinstance(store_or_outdir, ExampleStore):
        return store_or_outdir.path / "serving-logs"
    if store_or_outdir is None:
        raise ExampleArgumentError("Give an example store (or its folder) or outdir= for the logs.")
    p = Path(store_or_outdir).expanduser().resolve()
    return p / "serving-logs" if (p / "example.json").is_file() else p


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ExampleArgumentError(f"{name} must be a whole number >= {low}, got {value!r}.")
    return int(value)


def simulate_serving(
    store_or_outdir: ExampleStore | str | os.PathLike[str] | None = None,
    *,
    versions: Sequence[str] = DEFAULT_VERSIONS,
    days: int = 3,
    requests_per_hour: int = 200,
    degrade: str | None = "rf-30-d4",
    seed: int = 0,
    outdir: str | os.PathLike[str] | None = None,
    start: str = DEFAULT_START,
) -> Path:
    """Serve the example's models on held-out rows under simulated traffic; write daily Parquet logs.

    Parameters
    ----------
    store_or_outdir : ExampleStore or path, optional
        An example store (logs go to ``<store>/serving-logs``), a store's folder (same), or the
        output folder itself. ``outdir`` overrides it.
    versions : sequence of str
        Candidate ids of the example grid (:func:`workbench.example.candidates`); the first is
        the champion (70 % of the traffic).
    days, requests_per_hour : int
        Length of the simulated period and the mean arrival rate.
    degrade : str or None
        The version that degrades over time (one of ``versions``), or None for healthy traffic.
    seed : int
        Split/model seed (as ``build_example``) and seed of every simulated draw.
    outdir : path, optional
        Output folder; its previous ``serving-*.parquet`` files are replaced.
    start : str
        Simulated start time (UTC).

    Returns
    -------
    Path
        The folder of ``serving-YYYY-MM-DD.parquet`` files (plus ``serving.json``, the settings).
    """
    import pandas as pd

    versions = [str(v) for v in versions]
    grid = {c: (f, p) for c, f, p in _FULL_GRID}
    unknown = [v for v in versions if v not in grid]
    if not versions or unknown or len(set(versions)) != len(versions):
        raise ExampleArgumentError(
            f"versions must be distinct candidate ids of the example grid, got {versions!r}"
            + (f" (unknown: {unknown})" if unknown else "")
            + f".\n  Valid: {', '.join(grid)}."
        )
    if degrade is not None and degrade not in versions:
        raise ExampleArgumentError(f"degrade={degrade!r} is not one of versions {versions}.")
    days = _check_int("days", days, 1)
    rph = _check_int("requests_per_hour", requests_per_hour, 1)
    seed = _check_int("seed", seed, 0)
    t0 = pd.Timestamp(start)
    t0 = t0.tz_localize("UTC") if t0.tzinfo is None else t0.tz_convert("UTC")
    out = _resolve_outdir(store_or_outdir, outdir)

    # --- the models: fitted as build.py fits them ------------------------------------------
    import threadpoolctl
    from sklearn.model_selection import train_test_split

    X, y = _load_data()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=_TEST_SIZE, stratify=y, random_state=seed)
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for v in versions:
            family, params = grid[v]
            models[v] = _make_estimator(family, params, seed).fit(X_tr, y_tr)
    median_radius = float(np.median(X_tr[:, 0]))
    sd = X_tr.std(axis=0)

    # --- the simulated traffic (all draws before any timing) --------------------------------
    rng = np.random.default_rng([seed, 20260105])
    hours = np.arange(days * 24)
    rate = rph * (1 + 0.5 * np.sin(2 * np.pi * ((hours % 24) - 8) / 24))
    counts = rng.poisson(rate)
    n = int(counts.sum())
    offs_s = (np.repeat(hours, counts) + rng.random(n)) * 3600.0
    offs_s.sort()
    period_s = days * 24 * 3600.0
    shares = np.full(len(versions), (1 - CHAMPION_SHARE) / max(len(versions) - 1, 1))
    shares[0] = CHAMPION_SHARE if len(versions) > 1 else 1.0
    which = rng.choice(len(versions), size=n, p=shares / shares.sum())
    rows = rng.integers(0, len(y_te), size=n)
    failure_u = rng.random(n)
    noise = rng.standard_normal((n, X.shape[1]))
    label_delay_s = rng.exponential(LABEL_DELAY_MEAN_H * 3600.0, size=n)
    never = rng.random(n) < LABEL_NEVER
    progress = offs_s / period_s
    severity = np.clip((progress - DEGRADE_FROM) / (1 - DEGRADE_FROM), 0.0, 1.0)
    is_deg = np.array([versions[w] == degrade for w in which]) if degrade else np.zeros(n, bool)
    severity = np.where(is_deg, severity, 0.0)
    inputs = (
        X_te[rows] * (1 - DRIFT_SCALE * severity)[:, None] + noise * (DRIFT_NOISE * severity)[:, None] * sd[None, :]
    )
    delay_ms = LOAD_DELAY_MS * severity
    failure_p = BASE_FAILURE + EXTRA_FAILURE * severity
    injected = failure_u < failure_p

    # --- serving: real single-row predict, timed ---------------------------------------------
    predict = {v: models[v].predict for v in versions}
    pred = np.empty(n, dtype=np.int64)
    predict_ms = np.empty(n, dtype=np.float64)
    limits = threadpoolctl.threadpool_limits(limits=1)
    gc_enabled = gc.isenabled()
    try:
        for v in versions:  # warm-up, untimed
            for i in range(5):
                predict[v](X_te[i : i + 1])
        gc.disable()
        wall = time.perf_counter
        for i in range(n):
            fn = predict[versions[which[i]]]
            row = inputs[i : i + 1]
            a = wall()
            p = fn(row)
            b = wall()
            pred[i] = p[0]
            predict_ms[i] = (b - a) * 1000.0
    finally:
        if gc_enabled:
            gc.enable()
        limits.restore_original_limits()

    latency = predict_ms + delay_ms
    timeout = latency > TIMEOUT_MS
    error = injected | timeout
    kind = np.where(injected, "injected", np.where(timeout, "timeout", ""))
    label = y_te[rows]
    arrived = ~never & (offs_s + label_delay_s <= period_s)
    hit = np.where(arrived & (label == 1), (pred == 1).astype(float), np.nan)
    ts = t0 + pd.to_timedelta(np.round(offs_s * 1e6).astype(np.int64), unit="us")
    frame = pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex(ts).as_unit("us"),
            "version": pd.array([versions[w] for w in which], dtype="string"),
            "latency_ms": latency,
            "error": error,
            "cost_usd": COST_FIXED_USD + COST_PER_MS_USD * latency,
            "energy_wh": WATTS * latency / 1000.0 / 3600.0,
            "prediction": pred,
            "label": pd.Series(label, dtype="Int64").mask(~arrived),
            "group": pd.array(np.where(X_te[rows, 0] >= median_radius, "large", "small"), dtype="string"),
            "request_id": np.arange(n, dtype=np.int64),
            "row": rows.astype(np.int64),
            "error_kind": pd.array(kind, dtype="string"),
            "drift_severity": severity,
            "synthetic_delay_ms": delay_ms,
            "predict_ms": predict_ms,
            "recall_hit": hit,
        }
    )

    # --- daily Parquet files ---------------------------------------------------------------
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("serving-*.parquet"):
        old.unlink()
    day = frame["timestamp"].dt.floor("D")
    for d, part in frame.groupby(day, sort=True):
        target = out / f"serving-{d:%Y-%m-%d}.parquet"
        tmp = target.with_suffix(".parquet.tmp")
        part.reset_index(drop=True).to_parquet(tmp, index=False)
        os.replace(tmp, target)
    manifest = {
        "format": 1,
        "versions": versions,
        "champion": versions[0],
        "degrade": degrade,
        "days": days,
        "requests_per_hour": rph,
        "seed": seed,
        "start": t0.isoformat(),
        "n_requests": n,
        "quality_model": "quality_live.yaml (workbench.example.serving.LIVE_QUALITY_YAML)",
        "timeout_ms": TIMEOUT_MS,
        "mean_predict_ms": {
            v: float(np.mean(predict_ms[which == i])) if (which == i).any() else math.nan
            for i, v in enumerate(versions)
        },
    }
    (out / _MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=True) + "\n", encoding="utf-8")
    return out
