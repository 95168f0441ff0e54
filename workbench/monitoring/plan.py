"""The aggregation plan shared by the monitoring engines (DuckDB, Dask, the pandas reference).

``workbench.monitoring.aggregate`` (the public entry point) builds a :class:`Plan` from the logs'
columns and the quality model and hands it to an engine; every engine imports this module (and
never ``aggregate``), returns one *raw* row per (version, window) with the same sufficient
statistics, and :func:`finish` turns them into the output table, intervals included (the
interval maths lives in :mod:`workbench.monitoring.intervals`).

Output columns are described by :class:`Stat` (``name``, prepared ``column``, ``aggregation``):
the built-in ones (``latency_p50_ms`` = p50 of ``latency_ms``, ``error_rate`` = rate of
``error``, ``cost_per_1k`` / ``energy_per_1k`` = sum_per_1k) and one per objective that declares
``source`` and ``aggregation`` (it replaces a built-in column of the same name).

Raw statistics per output column ``X`` (``__`` separates the helper suffix): ``X`` the point,
``X__n`` the sample size; quantiles also ``X__lo`` / ``X__hi`` (order statistics, computed by the
engine with :func:`workbench.monitoring.intervals.quantiles_with_intervals`); rates ``X__k`` (the
sum of the 0/1 values); means and per-1k amounts ``X__var`` (the sample variance, ``ddof=1``);
means also ``X__nb``, the number of values other than 0 and 1 (none: the mean is a proportion).
Labels add ``n_labelled``, ``n_correct``, ``tp``, ``fp``, ``fn``.

Quantile method: linear interpolation between order statistics, position ``(n - 1) * q``
(numpy's default ``"linear"``, DuckDB's ``quantile_cont``); exact, no sketch.

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
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import UnknownNameError, did_you_mean, unknown_name
from workbench.monitoring.schema import REQUIRED, MonitoringError

__all__ = [
    "BASE_COLUMNS",
    "ENGINES",
    "INTERVAL_METHODS",
    "QUANTILES",
    "Plan",
    "Stat",
    "finish",
    "make_plan",
    "parse_window",
    "resolve_files",
]

ENGINES = ("duckdb", "dask", "pandas")

#: Output columns always present (others depend on the optional log columns and the model).
BASE_COLUMNS = (
    "version",
    "window_start",
    "window_end",
    "n_requests",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "error_rate",
)

QUANTILES = {"median": 0.5, "p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
PSI_BINS = 10
PSI_FLOOR = 1e-4
_US = 1_000_000
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
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


def timestamp(value: Any, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise MonitoringError(f"{what} {value!r} is not a timestamp (e.g. '2026-01-31T12:00Z').") from None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def us(ts: pd.Timestamp) -> int:
    return int((ts - EPOCH) // pd.Timedelta(1, "us"))


def resolve_files(logs: str | os.PathLike[str] | Sequence[str]) -> tuple[list[str], str]:
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
class Stat:
    """One output column: ``aggregation`` of log column ``source``, read from the engine's
    prepared column ``column`` (``latency_ms``, ``err``, ``cost_usd``, ``energy_wh`` or ``s<i>``
    for the i-th objective with a source)."""

    name: str
    source: str
    aggregation: str
    column: str = ""


#: Interval method per aggregation (see :mod:`workbench.monitoring.intervals`); others have none.
INTERVAL_METHODS = {
    **{q: "order_statistic" for q in QUANTILES},
    "rate": "wilson",
    "mean": "t",
    "mean_per_1k": "t",
    "sum_per_1k": "t",
}


@dataclass
class Plan:
    columns: list[str]
    window: pd.Timedelta | None
    rolling: pd.Timedelta | None
    since: pd.Timestamp | None
    until: pd.Timestamp | None
    stats: list[Stat]
    has_cost: bool
    has_energy: bool
    has_labels: bool
    has_parity: bool
    level: float = 0.95

    @property
    def w_us(self) -> int:
        return int(self.window // pd.Timedelta(1, "us")) if self.window is not None else 0

    @property
    def k(self) -> int:
        return int(self.rolling // self.window) if self.rolling is not None else 1

    @property
    def outputs(self) -> list[Stat]:
        """Every per-column output statistic in column order (labels and parity aside); an
        objective's column replaces the built-in column of the same name, in place."""
        out = [
            Stat("latency_p50_ms", "latency_ms", "p50", "latency_ms"),
            Stat("latency_p95_ms", "latency_ms", "p95", "latency_ms"),
            Stat("latency_p99_ms", "latency_ms", "p99", "latency_ms"),
            Stat("error_rate", "error", "rate", "err"),
        ]
        if self.has_cost:
            out.append(Stat("cost_per_1k", "cost_usd", "sum_per_1k", "cost_usd"))
        if self.has_energy:
            out.append(Stat("energy_per_1k", "energy_wh", "sum_per_1k", "energy_wh"))
        index = {s.name: i for i, s in enumerate(out)}
        for i, st in enumerate(self.stats):
            mine = Stat(st.name, st.source, st.aggregation, f"s{i}")
            if st.name in index:
                out[index[st.name]] = mine
            elif st.name in _LABEL_COLUMNS and self.has_labels or st.name == "parity_difference" and self.has_parity:
                out.append(mine)  # replaces a label/parity column: see finish()
            else:
                index[st.name] = len(out)
                out.append(mine)
        return out


_LABEL_COLUMNS = ("n_labelled", "accuracy", "f1")


def make_plan(
    columns: Sequence[str], model: Any, window: Any, rolling: Any, since: Any, until: Any, level: float = 0.95
) -> Plan:
    """Check the columns, the windows and the objectives' sources; raise with the valid values."""
    from workbench.monitoring.intervals import check_level

    level = check_level(level)
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
            raise MonitoringError(f"rolling {rolling!r} must be a whole multiple of window {window!r}.")
    stats: list[Stat] = []
    for obj in getattr(model, "objectives", model or ()):
        source, agg = getattr(obj, "source", None), getattr(obj, "aggregation", None)
        if source is None or agg is None:
            continue
        if obj.name in ("version", "window_start", "window_end", "start_us", "end_us", "min_ts", "max_ts"):
            raise MonitoringError(f"Objective {obj.name!r}: the name is taken by a key column of the aggregation.")
        if source not in columns:
            raise UnknownNameError(
                unknown_name(
                    f"Objective {obj.name!r}: source column",
                    source,
                    columns,
                    where="a column of the request logs",
                    fix="set the objective's source to one of the columns.",
                )
            )
        stats.append(Stat(obj.name, source, agg))
    s = timestamp(since, "since") if since is not None else None
    u = timestamp(until, "until") if until is not None else None
    return Plan(
        columns=columns,
        window=win,
        rolling=roll,
        since=s,
        until=u,
        stats=stats,
        has_cost="cost_usd" in columns,
        has_energy="energy_wh" in columns,
        has_labels="prediction" in columns and "label" in columns,
        has_parity="prediction" in columns and "group" in columns,
        level=level,
    )


def reference_period(reference: Any) -> tuple[pd.Timestamp, pd.Timestamp] | str | None:
    if reference is None or reference == "first":
        return reference
    try:
        start, end = reference
    except (TypeError, ValueError):
        raise MonitoringError(f"reference {reference!r} must be (start, end) or 'first'.") from None
    return timestamp(start, "reference start"), timestamp(end, "reference end")


# --- the output table (every engine) -------------------------------------------------------

KEYS = ("version", "start_us", "end_us", "min_ts", "max_ts")


def point_columns(plan: Plan) -> list[str]:
    """Output point columns in order (after the window keys and ``n_requests``)."""
    cols = [s.name for s in plan.outputs[:4]]
    if plan.has_cost:
        cols.append("cost_per_1k")
    if plan.has_energy:
        cols.append("energy_per_1k")
    if plan.has_labels:
        cols += list(_LABEL_COLUMNS)
    if plan.has_parity:
        cols.append("parity_difference")
    cols += [s.name for s in plan.stats if s.name not in cols]
    return cols


def raw_columns(plan: Plan) -> list[str]:
    """The columns every engine returns per (version, window) (see the module docstring)."""
    cols = ["version", "start_us", "n_requests", "end_us", "min_ts", "max_ts"]
    for st in plan.outputs:
        cols += [st.name, f"{st.name}__n"]
        method = INTERVAL_METHODS.get(st.aggregation)
        if method == "order_statistic":
            cols += [f"{st.name}__lo", f"{st.name}__hi"]
        elif method == "wilson":
            cols.append(f"{st.name}__k")
        elif method == "t":
            cols.append(f"{st.name}__var")
            if st.aggregation == "mean":
                cols.append(f"{st.name}__nb")  # values other than 0 and 1: none means a proportion
    if plan.has_labels:
        cols += ["n_labelled", "n_correct", "tp", "fp", "fn"]
    if plan.has_parity:
        cols += ["parity_difference", "parity_difference__n"]
    return cols


def interval_columns(columns: Sequence[str]) -> list[str]:
    """``X_lo, X_hi, X_n`` for each point column ``X`` that carries evidence."""
    out = []
    for c in columns:
        if c in ("n_labelled", "latency_psi"):
            continue
        out += [f"{c}_lo", f"{c}_hi", f"{c}_n"]
    return out


def _floats(column: pd.Series) -> np.ndarray:
    """A raw column as float64 (missing as NaN)."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()


def finish(raw: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Common output for every engine: points, ``n`` and intervals, timestamps, dtypes, order.

    ``raw`` holds :func:`raw_columns` (plus ``latency_psi`` with a reference period).
    """
    from workbench.monitoring import intervals as ci

    raw = raw.copy()
    for c in raw_columns(plan):
        if c not in raw:
            raw[c] = pd.Series(dtype="float64")
    if plan.window is None:
        lo = us(plan.since) if plan.since is not None else (raw["min_ts"].min() if len(raw) else 0)
        hi = us(plan.until) if plan.until is not None else (raw["max_ts"].max() + 1 if len(raw) else 0)
        raw["start_us"], raw["end_us"] = lo, hi
    level = plan.level
    num = {c: _floats(raw[c]) for c in raw.columns if c != "version"}
    values: dict[str, np.ndarray] = {}
    bounds: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    nan = np.full(len(raw), np.nan)
    if plan.has_labels:
        n_lab = num["n_labelled"]
        with np.errstate(invalid="ignore", divide="ignore"):
            values["accuracy"] = np.where(n_lab > 0, num["n_correct"] / n_lab, np.nan)
            m = num["tp"] * 2 + num["fp"] + num["fn"]
            values["f1"] = np.where(m > 0, 2 * num["tp"] / m, np.nan)
        values["n_labelled"] = np.nan_to_num(n_lab, nan=0.0).astype("int64")
        bounds["accuracy"] = (*ci.wilson(num["n_correct"], n_lab, level), n_lab)
        bounds["f1"] = (*ci.f1_interval(num["tp"], num["fp"], num["fn"], level), num["tp"] + num["fp"] + num["fn"])
    if plan.has_parity:
        values["parity_difference"] = num["parity_difference"]
        bounds["parity_difference"] = (nan, nan, num["parity_difference__n"])
    for st in plan.outputs:
        x, n = num[st.name], num[f"{st.name}__n"]
        method = INTERVAL_METHODS.get(st.aggregation)
        if method == "order_statistic":
            lo, hi = num[f"{st.name}__lo"], num[f"{st.name}__hi"]
        elif method == "wilson":
            lo, hi = ci.wilson(num[f"{st.name}__k"], n, level)
        elif method == "t":
            scale = 1.0 if st.aggregation == "mean" else 1000.0
            lo, hi = ci.t_interval(x, num[f"{st.name}__var"] * scale**2, n, level)
            lo, hi = np.where(np.isnan(x), np.nan, lo), np.where(np.isnan(x), np.nan, hi)
            if st.aggregation == "mean":
                # a mean of 0/1 values is a proportion: Wilson's interval, inside [0, 1] (Student's
                # t passes 1 on a few dozen labels, e.g. a recall hit declared as a mean)
                binary = (num[f"{st.name}__nb"] == 0) & (n > 0) & ~np.isnan(x)
                if binary.any():
                    with np.errstate(invalid="ignore"):
                        w_lo, w_hi = ci.wilson(np.round(np.where(binary, x * n, 0.0)), np.where(binary, n, 1.0), level)
                    lo, hi = np.where(binary, w_lo, lo), np.where(binary, w_hi, hi)
        else:
            lo, hi = nan, nan
        values[st.name] = x
        bounds[st.name] = (lo, hi, n)
    points = point_columns(plan)
    # every column built first, then one frame (inserting ~30 columns one at a time costs ~10 ms)
    columns: dict[str, Any] = {
        "version": raw["version"].astype(str).to_numpy(dtype=object),
        "window_start": pd.DatetimeIndex(
            pd.to_datetime(raw["start_us"].astype("int64").to_numpy(), unit="us"), tz="UTC"
        ),
        "window_end": pd.DatetimeIndex(pd.to_datetime(raw["end_us"].astype("int64").to_numpy(), unit="us"), tz="UTC"),
        "n_requests": raw["n_requests"].astype("int64").to_numpy(),
    }
    for c in points:
        columns[c] = values[c]
    if "latency_psi" in raw:
        columns["latency_psi"] = num["latency_psi"]
    for c in points:
        if c == "n_labelled":
            continue
        lo, hi, n = bounds[c]
        columns[f"{c}_lo"], columns[f"{c}_hi"] = lo, hi
        columns[f"{c}_n"] = np.nan_to_num(n, nan=0.0).astype("int64")
    columns["interval_level"] = np.full(len(raw), float(level))
    out = pd.DataFrame(columns)
    out = out.sort_values(["version", "window_start"], kind="stable").reset_index(drop=True)
    return out


# --- drift (shared by the pandas and Dask engines; DuckDB computes it in SQL) --------------------


def psi(counts: np.ndarray, expected: np.ndarray) -> float:
    if counts.sum() == 0 or expected.sum() == 0:
        return np.nan
    p = np.maximum(counts / counts.sum(), PSI_FLOOR)
    q = np.maximum(expected / expected.sum(), PSI_FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


def bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index = number of edges strictly below the value (values on an edge go to the lower bin)."""
    return np.searchsorted(edges, values, side="left")


def reference_latencies(flat: pd.DataFrame, plan: Plan, ref: Any) -> dict[str, np.ndarray]:
    """Reference latencies per version, from the un-exploded rows (each request once)."""
    if ref == "first":
        bucket = (flat["ts_us"] // plan.w_us) * plan.w_us if plan.window is not None else 0 * flat["ts_us"]
        mask = bucket == bucket.groupby(flat["version"]).transform("min")
    else:
        mask = (flat["ts_us"] >= us(ref[0])) & (flat["ts_us"] < us(ref[1]))
    rows = flat.loc[mask & flat["latency_ms"].notna(), ["version", "latency_ms"]]
    return {v: g.to_numpy() for v, g in rows.groupby("version")["latency_ms"]}


def reference_edges(reference: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    levels = np.linspace(0.1, 0.9, PSI_BINS - 1)
    out = {}
    for version, r in reference.items():
        edges = np.quantile(r, levels)
        out[version] = (edges, np.bincount(bins(r, edges), minlength=PSI_BINS))
    return out


def psi_column(out: pd.DataFrame, psi: dict[tuple[str, int], float], plan: Plan) -> pd.DataFrame:
    if plan.window is None:
        keys = [(v, 0) for v in out["version"]]
    else:
        keys = list(zip(out["version"], (out["window_start"] - EPOCH) // pd.Timedelta(1, "us"), strict=True))
    out = out.copy()
    at = next((i for i, c in enumerate(out.columns) if str(c).endswith("_lo")), len(out.columns))
    out.insert(at, "latency_psi", np.array([psi.get(k, np.nan) for k in keys], dtype="float64"))
    return out


def window_psi(keyed: pd.DataFrame, edges: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    out = {}
    for (version, start), h in keyed.groupby(["version", "start_us"]):
        if version not in edges:
            continue
        e, expected = edges[version]
        lat = h["latency_ms"].dropna().to_numpy()
        out[(version, int(start))] = psi(np.bincount(bins(lat, e), minlength=PSI_BINS), expected)
    return out
