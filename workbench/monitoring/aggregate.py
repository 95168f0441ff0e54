"""Aggregate request logs per (version, window) into the objective space, with the evidence.

This module is the public entry point; the plan (columns, windows, objectives, the output
table and its intervals) lives in :mod:`workbench.monitoring.plan`, the interval maths in
:mod:`workbench.monitoring.intervals`, and the engines import those, never this module:

``duckdb`` (default)
    One SQL statement over the Parquet/CSV files (or a registered DataFrame). Each window's
    latencies are collected as a list and its quantiles and their order-statistic intervals are
    read from one ``np.partition`` (exact). Under ``memory_limit`` the scan, joins and hash
    tables stay within the limit and spill to disk; the per-group value lists stay in memory, so
    for fixed windows over Parquet files whose lists would not fit in about half the limit, the
    statement runs once per consecutive time slice (cut at window edges, so every group is whole
    in one slice and the numbers are the same). A slice or group that still does not fit raises.
``dask``
    ``dask.dataframe`` over the files on a ``distributed`` scheduler (an address or a ``Client``);
    rows are shuffled by (version, window) and each group is aggregated exactly in pandas.
``pandas``
    The in-process reference implementation (the Dask engine applies it per group).

Every engine returns the same ``n`` and interval bounds (tested to 1e-9): they hand the same
sufficient statistics to one implementation of the intervals.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbench.errors import UnknownNameError, unknown_name
from workbench.monitoring.intervals import DEFAULT_LEVEL, check_level
from workbench.monitoring.plan import BASE_COLUMNS, ENGINES, parse_window, reference_period
from workbench.monitoring.schema import MonitoringError

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = ["BASE_COLUMNS", "ENGINES", "aggregate", "parse_window"]


def aggregate(
    logs: str | os.PathLike[str] | Sequence[str] | pd.DataFrame,
    model: QualityModel | Sequence[Any] | None = None,
    *,
    window: str | pd.Timedelta | None = "1h",
    rolling: str | pd.Timedelta | None = None,
    engine: str = "duckdb",
    scheduler: Any = None,
    reference: tuple[Any, Any] | str | None = None,
    since: Any = None,
    until: Any = None,
    memory_limit: str | None = None,
    level: float = DEFAULT_LEVEL,
) -> pd.DataFrame:
    """Aggregate request logs per (version, window), each figure with ``n`` and an interval.

    Parameters
    ----------
    logs : path, folder, glob, list of paths, or DataFrame
        Parquet or CSV files in the canonical schema (``workbench.monitoring.schema``).
    model : QualityModel or sequence of Objective, optional
        Each objective that declares ``source`` and ``aggregation`` adds a column of that name,
        or replaces the built-in column of that name (``rate`` = mean of a boolean column,
        ``sum_per_1k`` = sum / n * 1000, ``last`` = value of the latest request...).
    window : str or None
        Fixed window length (``"15min"``, ``"1h"``, ``"1d"``), aligned to the UTC epoch;
        ``None`` = one window per version over the whole (filtered) period.
    rolling : str, optional
        Trailing duration (a multiple of ``window``) evaluated at each fixed window end:
        ``window_start = window_end - rolling``.
    engine : {"duckdb", "dask", "pandas"}
    scheduler : str or distributed.Client, optional
        Dask scheduler address or client; ``None`` runs Dask's local threaded scheduler.
    reference : (start, end) or "first", optional
        Reference period for drift; ``"first"`` = each version's first window. Adds ``latency_psi``.
    since, until : timestamp, optional
        Keep requests with ``since <= timestamp < until`` (naive values are UTC).
    memory_limit : str, optional
        DuckDB memory limit (``"2GB"``); see the module docstring. Ignored by the other engines.
    level : float
        Two-sided confidence level of the intervals, in (0, 1) (default 0.95).

    Returns
    -------
    DataFrame
        One row per (version, window_start), sorted, with ``window_end``, ``n_requests``,
        ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``, ``error_rate`` and, when the
        log has the columns, ``cost_per_1k``, ``energy_per_1k``, ``accuracy``, ``f1``,
        ``n_labelled``, ``parity_difference``; ``latency_psi`` with ``reference``; one column per
        objective with a source. Then, for every figure ``X``: ``X_lo``, ``X_hi`` (the interval
        at ``level``; NaN where the method has none or ``n`` is too small, see
        :mod:`workbench.monitoring.intervals`) and ``X_n`` (its sample size); and
        ``interval_level``.

    Examples
    --------
    >>> import pandas as pd
    >>> logs = pd.DataFrame({"timestamp": pd.to_datetime(["2026-01-01 00:10", "2026-01-01 00:20",
    ...     "2026-01-01 01:05"], utc=True), "version": "v1", "latency_ms": [10.0, 30.0, 20.0],
    ...     "error": [False, True, False]})
    >>> aggregate(logs, window="1h")[["window_start", "n_requests", "latency_p50_ms", "error_rate"]]
                   window_start  n_requests  latency_p50_ms  error_rate
    0 2026-01-01 00:00:00+00:00           2            20.0         0.5
    1 2026-01-01 01:00:00+00:00           1            20.0         0.0
    >>> aggregate(logs, window=None)[["error_rate", "error_rate_lo", "error_rate_hi", "error_rate_n"]].round(3)
       error_rate  error_rate_lo  error_rate_hi  error_rate_n
    0       0.333          0.061          0.792             3
    """
    if engine not in ENGINES:
        raise UnknownNameError(unknown_name("Engine", engine, ENGINES, where="a monitoring engine"))
    if scheduler is not None and engine != "dask":
        raise MonitoringError(f"scheduler is only used by engine='dask', not engine={engine!r}.")
    level = check_level(level)
    ref = reference_period(reference)
    if engine == "duckdb":
        from workbench.monitoring._duckdb import run_duckdb

        return run_duckdb(logs, model, window, rolling, since, until, memory_limit, ref, level)
    if engine == "pandas":
        from workbench.monitoring._pandas import run_pandas

        return run_pandas(logs, model, window, rolling, since, until, ref, level)
    from workbench.monitoring._dask import run_dask

    return run_dask(logs, model, window, rolling, since, until, scheduler, ref, level)
