"""The pandas reference engine: every group aggregated exactly with numpy (the Dask engine applies
the same per-group function after a shuffle). Imports only the shared plan, never ``aggregate``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.monitoring.intervals import quantiles_with_intervals
from workbench.monitoring.plan import (
    INTERVAL_METHODS,
    QUANTILES,
    Plan,
    finish,
    make_plan,
    psi_column,
    raw_columns,
    reference_edges,
    reference_latencies,
    resolve_files,
    us,
    window_psi,
)
from workbench.monitoring.schema import MonitoringError

__all__ = ["group_stats", "key", "prepare", "run_pandas"]


def read_pandas(logs: Any) -> pd.DataFrame:
    files, kind = resolve_files(logs)
    if kind == "parquet":
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)


def run_pandas(
    logs: Any, model: Any, window: Any, rolling: Any, since: Any, until: Any, ref: Any, level: float
) -> pd.DataFrame:
    df = logs if isinstance(logs, pd.DataFrame) else read_pandas(logs)
    plan = make_plan(df.columns, model, window, rolling, since, until, level)
    flat = prepare(df, plan)
    keyed = key(flat.copy(), plan, max_bucket=None)
    rows = [
        {"version": v, "start_us": s, **group_stats(g, plan)}
        for (v, s), g in keyed.groupby(["version", "start_us"], sort=True)
    ]
    out = finish(pd.DataFrame(rows) if rows else pd.DataFrame(columns=raw_columns(plan)), plan)
    if ref is not None:
        edges = reference_edges(reference_latencies(flat, plan, ref))
        out = psi_column(out, window_psi(keyed, edges), plan)
    return out


def positive(values: pd.Series) -> pd.Series:
    """1.0 / 0.0 / NaN: positive when the numeric value is >= 0.5."""
    try:
        num = pd.to_numeric(values.astype("object").where(values.notna(), None), errors="raise").astype("float64")
    except (ValueError, TypeError) as exc:
        raise MonitoringError(
            f"Column {values.name!r} must hold numbers or booleans (1/True = positive class): {exc}."
        ) from None
    return pd.Series(np.where(num.isna(), np.nan, (num >= 0.5).astype("float64")), index=values.index)


def prepare(df: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Canonical working frame: ts_us, version and the measures, filtered by since/until."""
    ts = pd.to_datetime(df["timestamp"], utc=True)
    ts_us = (ts.dt.tz_convert(None).astype("datetime64[us]").astype("int64")).to_numpy()
    out = pd.DataFrame(
        {
            "version": df["version"].astype("string").to_numpy(dtype=object),
            "ts_us": ts_us,
            "latency_ms": df["latency_ms"].astype("float64").to_numpy(),
            "err": df["error"].astype("float64").to_numpy(),
        },
        index=df.index,
    )
    if plan.has_cost:
        out["cost_usd"] = df["cost_usd"].astype("float64")
    if plan.has_energy:
        out["energy_wh"] = df["energy_wh"].astype("float64")
    if plan.has_labels or plan.has_parity:
        out["pp"] = positive(df["prediction"])
    if plan.has_labels:
        out["lp"] = positive(df["label"])
    if plan.has_parity:
        out["grp"] = df["group"].astype("string").to_numpy(dtype=object)
    for i, stat in enumerate(plan.stats):
        col = df[stat.source]
        out[f"s{i}"] = (
            col.astype("float64") if stat.aggregation != "count" else col.notna().astype("float64").where(col.notna())
        )
    mask = np.ones(len(out), dtype=bool)
    if plan.since is not None:
        mask &= out["ts_us"].to_numpy() >= us(plan.since)
    if plan.until is not None:
        mask &= out["ts_us"].to_numpy() < us(plan.until)
    return out[mask].reset_index(drop=True)


def key(out: pd.DataFrame, plan: Plan, max_bucket: int | None) -> pd.DataFrame:
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


def group_stats(g: pd.DataFrame, plan: Plan) -> dict[str, float]:
    """The raw statistics of one (version, window) group (``plan.raw_columns`` minus the keys)."""
    n = len(g)
    row: dict[str, float] = {
        "n_requests": float(n),
        "end_us": float(g["end_us"].iloc[0]),
        "min_ts": float(g["ts_us"].min()),
        "max_ts": float(g["ts_us"].max()),
    }
    by_column: dict[str, list] = {}
    for st in plan.outputs:
        if st.aggregation in QUANTILES:
            by_column.setdefault(st.column, []).append(st)
        else:
            row.update(_stat(st, g[st.column], g["ts_us"], n))
    for column, stats in by_column.items():
        vals = g[column].to_numpy(dtype="float64")
        got = quantiles_with_intervals(vals, [QUANTILES[s.aggregation] for s in stats], plan.level)
        n_ok = float((~np.isnan(vals)).sum())
        for st, (point, lo, hi) in zip(stats, got, strict=True):
            row.update({st.name: point, f"{st.name}__lo": lo, f"{st.name}__hi": hi, f"{st.name}__n": n_ok})
    if plan.has_labels:
        pp, lp = g["pp"].to_numpy(), g["lp"].to_numpy()
        known = ~np.isnan(pp) & ~np.isnan(lp)
        pp, lp = pp[known], lp[known]
        row["n_labelled"] = float(known.sum())
        row["n_correct"] = float(np.sum(pp == lp))
        row["tp"] = float(np.sum((pp == 1) & (lp == 1)))
        row["fp"] = float(np.sum((pp == 1) & (lp == 0)))
        row["fn"] = float(np.sum((pp == 0) & (lp == 1)))
    if plan.has_parity:
        sub = g[g["pp"].notna() & g["grp"].notna()]
        rates = sub.groupby("grp", sort=False)["pp"].mean()
        row["parity_difference"] = float(rates.max() - rates.min()) if len(rates) else np.nan
        row["parity_difference__n"] = float(len(sub))
    return row


def _stat(st: Any, x: pd.Series, ts: pd.Series, n: int) -> dict[str, float]:
    vals = x.to_numpy(dtype="float64")
    ok = ~np.isnan(vals)
    v = vals[ok]
    agg, name = st.aggregation, st.name
    out = {f"{name}__n": float(ok.sum())}
    method = INTERVAL_METHODS.get(agg)
    if agg == "count":
        out[name] = float(ok.sum())
    elif agg == "sum_per_1k":
        out[name] = float(v.sum()) / n * 1000 if len(v) else np.nan
        filled = np.where(ok, vals, 0.0)
        out[f"{name}__n"] = float(n)
        out[f"{name}__var"] = float(np.var(filled, ddof=1)) if n >= 2 and len(v) else np.nan
    elif not len(v):
        out[name] = np.nan
    elif agg in ("mean", "rate"):
        out[name] = float(v.mean())
    elif agg == "mean_per_1k":
        out[name] = float(v.mean()) * 1000
    elif agg == "sum":
        out[name] = float(v.sum())
    elif agg == "min":
        out[name] = float(v.min())
    elif agg == "max":
        out[name] = float(v.max())
    elif agg == "last":  # the value at the latest timestamp (ties: the largest value, as DuckDB's arg_max may pick any)
        t = ts.to_numpy()[ok]
        out[name] = float(v[t == t.max()].max())
    else:  # pragma: no cover - the quality model validates aggregations
        raise MonitoringError(f"Aggregation {agg!r} is not supported.")
    if method == "wilson":
        out[f"{name}__k"] = float(v.sum()) if len(v) else np.nan
    elif method == "t" and agg != "sum_per_1k":
        out[f"{name}__var"] = float(np.var(v, ddof=1)) if len(v) >= 2 else np.nan
        if agg == "mean":
            out[f"{name}__nb"] = float(np.count_nonzero((v != 0) & (v != 1)))
    return out
