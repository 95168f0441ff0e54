"""Aggregate request logs per (version, window) into the objective space.

Three engines give the same numbers (tested within floating tolerance):

``duckdb`` (default)
    One SQL statement over the Parquet/CSV files (or a registered DataFrame). Percentiles use
    ``quantile_cont``. Under ``memory_limit`` the scan, joins and hash tables stay within the limit
    and spill to disk; percentile states (each group's latencies, 8 bytes per request) stay in
    memory, so for fixed windows over Parquet files whose percentile states would not fit in about
    half the limit, the statement runs once per consecutive time slice (cut at window edges, so
    every group is whole in one slice and the numbers are the same). A slice or a single group
    that still does not fit raises a clear error.
``dask``
    ``dask.dataframe`` over the files on a ``distributed`` scheduler (an address or a ``Client``);
    rows are shuffled by (version, window) and each group is aggregated exactly in pandas.
``pandas``
    The in-process reference implementation (the Dask engine applies it per group).

Quantile method: linear interpolation between order statistics, position ``(n - 1) * q`` --
DuckDB's ``quantile_cont`` and numpy's/pandas' default ``"linear"`` method. Both engines compute
exact quantiles; no sketch or approximation is used.

Classification conventions: a prediction or label counts as positive when its numeric value is
``>= 0.5`` (so ``1``/``True`` are positive and scores are thresholded at 0.5). ``accuracy``,
``f1`` and ``n_labelled`` use the rows whose label and prediction are both known.
``parity_difference`` is the demographic parity difference: the largest minus the smallest rate
of positive predictions across ``group`` values within the (version, window).

Timestamps are handled at microsecond resolution (DuckDB rounds nanoseconds, pandas truncates
them: a request within 1 us of a window edge may fall on either side).

Drift: ``latency_psi`` is the population stability index of ``latency_ms`` in each window versus
the version's reference rows, on 10 bins cut at the reference deciles (linear quantiles; a value
equal to a cut point falls in the lower bin), proportions floored at 1e-4:
``PSI = sum((p - q) * ln(p / q))``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.errors import UnknownNameError, did_you_mean, unknown_name
from workbench.monitoring.schema import REQUIRED, MonitoringError

if TYPE_CHECKING:
    from workbench.quality import QualityModel

__all__ = ["aggregate", "parse_window", "ENGINES", "BASE_COLUMNS"]

ENGINES = ("duckdb", "dask", "pandas")

#: Output columns always present (others depend on the optional log columns and the model).
BASE_COLUMNS = (
    "version", "window_start", "window_end", "n_requests", "latency_p50_ms", "latency_p95_ms",
    "latency_p99_ms", "error_rate",
)

_QUANTILES = {"median": 0.5, "p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
_PSI_BINS = 10
_PSI_FLOOR = 1e-4
_US = 1_000_000
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_LOG_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


# --- arguments ---------------------------------------------------------------------------------

def parse_window(window: str | pd.Timedelta | None, what: str = "window") -> pd.Timedelta | None:
    """Parse a fixed window length (``"1h"``, ``"1d"``, ``"15min"``) with pandas offsets.

    Examples
    --------
    >>> parse_window("15min")
    Timedelta('0 days 00:15:00')
    >>> parse_window("1 month")
    Traceback (most recent call last):
    ...
    workbench.errors.MonitoringError: window '1 month' is not a fixed duration...
    """
    if window is None:
        return None
    if isinstance(window, pd.Timedelta):
        delta = window
    else:
        text = str(window).strip()
        with warnings.catch_warnings():  # pandas 3 deprecates some aliases ('d', 'H', 'T'...)
            warnings.simplefilter("ignore")
            try:
                delta = pd.Timedelta(text)
            except (ValueError, TypeError):
                try:
                    delta = pd.Timedelta(pd.tseries.frequencies.to_offset(text))
                except (ValueError, TypeError):
                    delta = None
        if delta is None or pd.isna(delta):
            raise MonitoringError(
                f"{what} {window!r} is not a fixed duration.\n"
                "  Valid: a pandas offset of fixed length such as '15min', '1h', '6h', '1d', '7d'."
            )
    if delta <= pd.Timedelta(0) or delta % pd.Timedelta(1, "us") != pd.Timedelta(0):
        raise MonitoringError(f"{what} {window!r} must be a positive whole number of microseconds.")
    return delta


def _timestamp(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise MonitoringError(f"{what} {value!r} is not a timestamp (e.g. '2026-01-31T12:00Z').") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _us(ts: pd.Timestamp) -> int:
    return int((ts - _EPOCH) // pd.Timedelta(1, "us"))


def _resolve_files(logs: str | os.PathLike[str] | Sequence[str]) -> tuple[list[str], str]:
    """Files of a path, folder or glob (or a list of them), and their format (one for all)."""
    from workbench.sources.logs import list_log_files

    files = [str(f) for f in list_log_files(list(logs) if isinstance(logs, (list, tuple)) else logs)]
    kinds = {_LOG_SUFFIXES.get(Path(f).suffix.lower()) for f in files}
    if None in kinds:
        odd = [f for f in files if Path(f).suffix.lower() not in _LOG_SUFFIXES][:3]
        raise MonitoringError(f"Request logs must be .parquet or .csv files, got {odd}.")
    if len(kinds) > 1:
        raise MonitoringError("Request logs mix Parquet and CSV files; aggregate them separately or convert.")
    return files, kinds.pop()


@dataclass(frozen=True)
class _Stat:
    """One output column: ``aggregation`` of raw column ``source``."""

    name: str
    source: str
    aggregation: str


@dataclass
class _Plan:
    columns: list[str]
    window: pd.Timedelta | None
    rolling: pd.Timedelta | None
    since: pd.Timestamp | None
    until: pd.Timestamp | None
    stats: list[_Stat]
    has_cost: bool
    has_energy: bool
    has_labels: bool
    has_parity: bool

    @property
    def w_us(self) -> int:
        return int(self.window // pd.Timedelta(1, "us")) if self.window is not None else 0

    @property
    def k(self) -> int:
        return int(self.rolling // self.window) if self.rolling is not None else 1


def _plan(columns: Sequence[str], model: Any, window: Any, rolling: Any, since: Any, until: Any) -> _Plan:
    columns = list(columns)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        hints = "".join(did_you_mean(m, columns) for m in missing)
        raise MonitoringError(
            f"The request logs lack required column(s) {', '.join(map(repr, missing))}.\n"
            f"  Available: {', '.join(map(str, columns))}.{chr(10) + hints if hints else ''}\n"
            f"  Fix: rename the columns to the canonical schema ({', '.join(REQUIRED)}, ...), "
            "e.g. with workbench.sources.logs."
        )
    win = parse_window(window)
    roll = parse_window(rolling, "rolling")
    if roll is not None:
        if win is None:
            raise MonitoringError("rolling needs a fixed window (the step at which it is evaluated), e.g. window='1h'.")
        if roll % win != pd.Timedelta(0):
            raise MonitoringError(
                f"rolling {rolling!r} must be a whole multiple of window {window!r}."
            )
    stats: list[_Stat] = []
    for obj in getattr(model, "objectives", model or ()):
        source, agg = getattr(obj, "source", None), getattr(obj, "aggregation", None)
        if source is None or agg is None:
            continue
        if obj.name in ("version", "window_start", "window_end", "start_us", "end_us", "min_ts", "max_ts"):
            raise MonitoringError(f"Objective {obj.name!r}: the name is taken by a key column of the aggregation.")
        if source not in columns:
            raise UnknownNameError(
                unknown_name(f"Objective {obj.name!r}: source column", source, columns,
                             where="a column of the request logs",
                             fix="set the objective's source to one of the columns.")
            )
        stats.append(_Stat(obj.name, source, agg))
    s = _timestamp(since, "since") if since is not None else None
    u = _timestamp(until, "until") if until is not None else None
    return _Plan(
        columns=columns, window=win, rolling=roll, since=s, until=u, stats=stats,
        has_cost="cost_usd" in columns, has_energy="energy_wh" in columns,
        has_labels="prediction" in columns and "label" in columns,
        has_parity="prediction" in columns and "group" in columns,
    )


def _reference(reference: Any) -> tuple[pd.Timestamp, pd.Timestamp] | str | None:
    if reference is None or reference == "first":
        return reference
    try:
        start, end = reference
    except (TypeError, ValueError):
        raise MonitoringError(f"reference {reference!r} must be (start, end) or 'first'.") from None
    return _timestamp(start, "reference start"), _timestamp(end, "reference end")


# --- the entry point ---------------------------------------------------------------------------

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
) -> pd.DataFrame:
    """Aggregate request logs per (version, window).

    Parameters
    ----------
    logs : path, folder, glob, list of paths, or DataFrame
        Parquet or CSV files in the canonical schema (``workbench.monitoring.schema``).
    model : QualityModel or sequence of Objective, optional
        Each objective that declares ``source`` and ``aggregation`` adds a column of that name,
        or replaces the built-in column of that name (``rate`` = mean of a boolean column, ``sum_per_1k`` = sum / n * 1000, ``last`` = value of
        the latest request...).
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
        DuckDB memory limit (``"2GB"``); larger inputs spill to a temporary folder (removed
        afterwards) and fixed windows over Parquet files are aggregated a time slice at a time
        (see the module docstring). Ignored by the other engines.

    Returns
    -------
    DataFrame
        One row per (version, window_start), sorted, with ``window_end``, ``n_requests``,
        ``latency_p50_ms``, ``latency_p95_ms``, ``latency_p99_ms``, ``error_rate`` and, when the
        log has the columns, ``cost_per_1k``, ``energy_per_1k``, ``accuracy``, ``f1``,
        ``n_labelled``, ``parity_difference``; ``latency_psi`` with ``reference``; one column per
        objective with a source.

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
    """
    if engine not in ENGINES:
        raise UnknownNameError(unknown_name("Engine", engine, ENGINES, where="a monitoring engine"))
    if scheduler is not None and engine != "dask":
        raise MonitoringError(f"scheduler is only used by engine='dask', not engine={engine!r}.")
    ref = _reference(reference)
    if engine == "duckdb":
        from workbench.monitoring._duckdb import run_duckdb

        return run_duckdb(logs, model, window, rolling, since, until, memory_limit, ref)
    frame_or_files = logs
    if engine == "pandas":
        df = logs if isinstance(logs, pd.DataFrame) else _read_pandas(logs)
        plan = _plan(df.columns, model, window, rolling, since, until)
        flat = _prepare(df, plan)
        keyed = _key(flat.copy(), plan, max_bucket=None)
        out = _finish(_aggregate_prepared(keyed, plan), plan)
        if ref is not None:
            edges = _reference_edges(_reference_latencies(flat, plan, ref))
            out = _psi_column(out, _window_psi(keyed, edges), plan)
        return out
    from workbench.monitoring._dask import run_dask

    return run_dask(frame_or_files, model, window, rolling, since, until, scheduler, ref)


def _read_pandas(logs: Any) -> pd.DataFrame:
    files, kind = _resolve_files(logs)
    if kind == "parquet":
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


# --- the pandas reference (also applied per group by the Dask engine) ---------------------------

def _positive(values: pd.Series) -> pd.Series:
    """1.0 / 0.0 / NaN: positive when the numeric value is >= 0.5."""
    try:
        num = pd.to_numeric(values.astype("object").where(values.notna(), None), errors="raise").astype("float64")
    except (ValueError, TypeError) as exc:
        raise MonitoringError(
            f"Column {values.name!r} must hold numbers or booleans (1/True = positive class): {exc}."
        ) from None
    return pd.Series(np.where(num.isna(), np.nan, (num >= 0.5).astype("float64")), index=values.index)


def _prepare(df: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    """Canonical working frame: ts_us, version and the measures, filtered by since/until."""
    ts = pd.to_datetime(df["timestamp"], utc=True)
    ts_us = (ts.dt.tz_convert(None).astype("datetime64[us]").astype("int64")).to_numpy()
    out = pd.DataFrame({
        "version": df["version"].astype("string").to_numpy(dtype=object),
        "ts_us": ts_us,
        "latency_ms": df["latency_ms"].astype("float64").to_numpy(),
        "err": df["error"].astype("float64").to_numpy(),
    }, index=df.index)
    if plan.has_cost:
        out["cost_usd"] = df["cost_usd"].astype("float64")
    if plan.has_energy:
        out["energy_wh"] = df["energy_wh"].astype("float64")
    if plan.has_labels or plan.has_parity:
        out["pp"] = _positive(df["prediction"])
    if plan.has_labels:
        out["lp"] = _positive(df["label"])
    if plan.has_parity:
        out["grp"] = df["group"].astype("string").to_numpy(dtype=object)
    for i, stat in enumerate(plan.stats):
        col = df[stat.source]
        out[f"s{i}"] = col.astype("float64") if stat.aggregation != "count" else col.notna().astype("float64").where(col.notna())
    mask = np.ones(len(out), dtype=bool)
    if plan.since is not None:
        mask &= out["ts_us"].to_numpy() >= _us(plan.since)
    if plan.until is not None:
        mask &= out["ts_us"].to_numpy() < _us(plan.until)
    return out[mask].reset_index(drop=True)


def _key(out: pd.DataFrame, plan: _Plan, max_bucket: int | None) -> pd.DataFrame:
    """Add ``start_us`` (and ``end_us``); rolling windows replicate each row into k windows."""
    if plan.window is None:
        out["start_us"] = np.int64(0)
        out["end_us"] = np.int64(0)
        return out
    w = plan.w_us
    bucket = (out["ts_us"].to_numpy() // w) * w
    if plan.rolling is None:
        out["start_us"] = bucket
        out["end_us"] = bucket + w
        return out
    k = plan.k
    last = int(bucket.max()) if max_bucket is None and len(bucket) else max_bucket
    reps = np.repeat(np.arange(len(out)), k)
    offs = np.tile(np.arange(1, k + 1, dtype=np.int64), len(out))
    exploded = out.iloc[reps].reset_index(drop=True)
    end = bucket[reps] + offs * w
    exploded["end_us"] = end
    exploded["start_us"] = end - k * w
    keep = end <= (last + w) if last is not None else np.ones(len(end), bool)
    return exploded[keep].reset_index(drop=True)


def _group_stats(g: pd.DataFrame, plan: _Plan) -> dict[str, float]:
    lat = g["latency_ms"].to_numpy(dtype="float64")
    lat = lat[~np.isnan(lat)]
    n = len(g)
    row: dict[str, float] = {"n_requests": float(n), "end_us": float(g["end_us"].iloc[0]),
                             "min_ts": float(g["ts_us"].min()), "max_ts": float(g["ts_us"].max())}
    q = np.quantile(lat, [0.5, 0.95, 0.99]) if len(lat) else [np.nan] * 3
    row.update(latency_p50_ms=q[0], latency_p95_ms=q[1], latency_p99_ms=q[2])
    row["error_rate"] = float(np.nanmean(g["err"].to_numpy())) if g["err"].notna().any() else np.nan
    if plan.has_cost:
        row["cost_per_1k"] = g["cost_usd"].sum() / n * 1000 if g["cost_usd"].notna().any() else np.nan
    if plan.has_energy:
        row["energy_per_1k"] = g["energy_wh"].sum() / n * 1000 if g["energy_wh"].notna().any() else np.nan
    if plan.has_labels:
        pp, lp = g["pp"].to_numpy(), g["lp"].to_numpy()
        known = ~np.isnan(pp) & ~np.isnan(lp)
        pp, lp = pp[known], lp[known]
        row["n_labelled"] = float(known.sum())
        row["accuracy"] = float(np.mean(pp == lp)) if known.any() else np.nan
        tp = float(np.sum((pp == 1) & (lp == 1)))
        fp = float(np.sum((pp == 1) & (lp == 0)))
        fn = float(np.sum((pp == 0) & (lp == 1)))
        row["f1"] = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) > 0 else np.nan
    if plan.has_parity:
        sub = g[g["pp"].notna() & g["grp"].notna()]
        rates = sub.groupby("grp", sort=False)["pp"].mean()
        row["parity_difference"] = float(rates.max() - rates.min()) if len(rates) else np.nan
    for i, stat in enumerate(plan.stats):
        row[stat.name] = _stat_value(g[f"s{i}"], g["ts_us"], stat.aggregation, n)
    return row


def _stat_value(x: pd.Series, ts: pd.Series, agg: str, n: int) -> float:
    vals = x.to_numpy(dtype="float64")
    ok = ~np.isnan(vals)
    v = vals[ok]
    if agg == "count":
        return float(ok.sum())
    if agg == "sum_per_1k":
        return float(v.sum()) / n * 1000 if len(v) else np.nan
    if not len(v):
        return np.nan
    if agg in _QUANTILES:
        return float(np.quantile(v, _QUANTILES[agg]))
    if agg in ("mean", "rate"):
        return float(v.mean())
    if agg == "mean_per_1k":
        return float(v.mean()) * 1000
    if agg == "sum":
        return float(v.sum())
    if agg == "min":
        return float(v.min())
    if agg == "max":
        return float(v.max())
    if agg == "last":  # the value at the latest timestamp (ties: the largest value, as DuckDB's arg_max may pick any)
        t = ts.to_numpy()[ok]
        return float(v[t == t.max()].max())
    raise MonitoringError(f"Aggregation {agg!r} is not supported.")  # pragma: no cover


def _aggregate_prepared(prepared: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    rows = []
    for (version, start), g in prepared.groupby(["version", "start_us"], sort=True):
        rows.append({"version": version, "start_us": start, **_group_stats(g, plan)})
    return pd.DataFrame(rows, columns=_raw_columns(plan)) if not rows else pd.DataFrame(rows)


def _raw_columns(plan: _Plan) -> list[str]:
    cols = ["version", "start_us", "n_requests", "end_us", "min_ts", "max_ts", "latency_p50_ms",
            "latency_p95_ms", "latency_p99_ms", "error_rate"]
    if plan.has_cost:
        cols.append("cost_per_1k")
    if plan.has_energy:
        cols.append("energy_per_1k")
    if plan.has_labels:
        cols += ["n_labelled", "accuracy", "f1"]
    if plan.has_parity:
        cols.append("parity_difference")
    cols += [s.name for s in plan.stats if s.name not in cols]
    return cols


def _finish(raw: pd.DataFrame, plan: _Plan) -> pd.DataFrame:
    """Common output shape for every engine: timestamps, dtypes, column order, sorting."""
    raw = raw.copy()
    if plan.window is None:
        lo = _us(plan.since) if plan.since is not None else (raw["min_ts"].min() if len(raw) else 0)
        hi = _us(plan.until) if plan.until is not None else (raw["max_ts"].max() + 1 if len(raw) else 0)
        raw["start_us"], raw["end_us"] = lo, hi
    raw["window_start"] = pd.to_datetime(raw["start_us"].astype("int64"), unit="us", utc=True)
    raw["window_end"] = pd.to_datetime(raw["end_us"].astype("int64"), unit="us", utc=True)
    raw["version"] = raw["version"].astype(str)
    raw["n_requests"] = raw["n_requests"].astype("int64")
    if "n_labelled" in raw:
        raw["n_labelled"] = raw["n_labelled"].astype("int64")
    cols = _raw_columns(plan) + (["latency_psi"] if "latency_psi" in raw else [])
    ordered = ["version", "window_start", "window_end"] + [c for c in cols if c not in
                                                            ("version", "start_us", "end_us", "min_ts", "max_ts")]
    out = raw[ordered].sort_values(["version", "window_start"], kind="stable").reset_index(drop=True)
    for c in out.columns[3:]:
        if c not in ("n_requests", "n_labelled"):
            out[c] = out[c].astype("float64")
    return out


# --- drift (shared by the pandas and Dask engines; DuckDB computes it in SQL) --------------------

def _psi(counts: np.ndarray, expected: np.ndarray) -> float:
    if counts.sum() == 0 or expected.sum() == 0:
        return np.nan
    p = np.maximum(counts / counts.sum(), _PSI_FLOOR)
    q = np.maximum(expected / expected.sum(), _PSI_FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


def _bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index = number of edges strictly below the value (values on an edge go to the lower bin)."""
    return np.searchsorted(edges, values, side="left")


def _reference_latencies(flat: pd.DataFrame, plan: _Plan, ref: Any) -> dict[str, np.ndarray]:
    """Reference latencies per version, from the un-exploded rows (each request once)."""
    if ref == "first":
        bucket = (flat["ts_us"] // plan.w_us) * plan.w_us if plan.window is not None else 0 * flat["ts_us"]
        mask = bucket == bucket.groupby(flat["version"]).transform("min")
    else:
        mask = (flat["ts_us"] >= _us(ref[0])) & (flat["ts_us"] < _us(ref[1]))
    rows = flat.loc[mask & flat["latency_ms"].notna(), ["version", "latency_ms"]]
    return {v: g.to_numpy() for v, g in rows.groupby("version")["latency_ms"]}


def _reference_edges(reference: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    levels = np.linspace(0.1, 0.9, _PSI_BINS - 1)
    out = {}
    for version, r in reference.items():
        edges = np.quantile(r, levels)
        out[version] = (edges, np.bincount(_bins(r, edges), minlength=_PSI_BINS))
    return out


def _psi_column(out: pd.DataFrame, psi: dict[tuple[str, int], float], plan: _Plan) -> pd.DataFrame:
    if plan.window is None:
        keys = [(v, 0) for v in out["version"]]
    else:
        keys = list(zip(out["version"], (out["window_start"] - _EPOCH) // pd.Timedelta(1, "us")))
    out = out.copy()
    out["latency_psi"] = [psi.get(k, np.nan) for k in keys]
    return out


def _window_psi(keyed: pd.DataFrame, edges: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    psi = {}
    for (version, start), h in keyed.groupby(["version", "start_us"]):
        if version not in edges:
            continue
        e, expected = edges[version]
        lat = h["latency_ms"].dropna().to_numpy()
        psi[(version, int(start))] = _psi(np.bincount(_bins(lat, e), minlength=_PSI_BINS), expected)
    return psi
