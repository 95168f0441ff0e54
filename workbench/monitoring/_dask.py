"""The Dask engine: the pandas reference aggregation, applied per (version, window) after a shuffle.

Imports the shared plan and the pandas reference, never ``workbench.monitoring.aggregate``.

Rows are partitioned by (version, window) key and every group is aggregated with the same pandas
code as ``engine="pandas"``, so quantiles are exact (numpy ``"linear"`` = DuckDB ``quantile_cont``),
not approximated from per-partition sketches. Drift histograms are counted per partition and summed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import require
from workbench.monitoring._pandas import group_stats, key, prepare
from workbench.monitoring.plan import (
    PSI_BINS,
    Plan,
    bins,
    finish,
    make_plan,
    psi,
    psi_column,
    raw_columns,
    reference_edges,
    reference_latencies,
    resolve_files,
    us,
)

#: Seconds to wait for a scheduler given by address before raising SourceUnreachableError.
CONNECT_TIMEOUT = 5


def connect(scheduler: Any) -> tuple[Any, bool]:
    """``(client, owned)`` for an address or a ``distributed.Client``; ``(None, False)`` for local threads."""
    if scheduler is None:
        return None, False
    distributed = require("distributed", "dask", "Aggregating on a Dask cluster")
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address string or a distributed.Client, got {scheduler!r}.")
    from workbench._dask import dask_client, dask_timeout

    client = dask_client(
        scheduler, timeout_s=dask_timeout(CONNECT_TIMEOUT), fix="or use engine='duckdb'", set_as_default=False
    )
    return client, True


def _stats_series(g: pd.DataFrame, plan: Plan) -> pd.Series:
    row = group_stats(g, plan)
    return pd.Series(
        {c: row.get(c, np.nan) for c in raw_columns(plan) if c not in ("version", "start_us")}, dtype="float64"
    )


def _hist_partition(part: pd.DataFrame, edges: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    frames = []
    for version, g in part[part["latency_ms"].notna()].groupby("version", sort=False):
        if version not in edges:
            continue
        frames.append(
            pd.DataFrame(
                {
                    "version": version,
                    "start_us": g["start_us"].to_numpy(),
                    "bin": bins(g["latency_ms"].to_numpy(), edges[version][0]),
                    "c": 1,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "version": pd.Series([], dtype=object),
                "start_us": pd.Series([], dtype="int64"),
                "bin": pd.Series([], dtype="int64"),
                "c": pd.Series([], dtype="int64"),
            }
        )
    return pd.concat(frames).groupby(["version", "start_us", "bin"], as_index=False)["c"].sum()


def run_dask(
    logs: Any,
    model: Any,
    window: Any,
    rolling: Any,
    since: Any,
    until: Any,
    scheduler: Any,
    reference: Any,
    level: float = 0.95,
) -> pd.DataFrame:
    require("dask", "dask", "Aggregating request logs with Dask")
    dd = require("dask.dataframe", "dask", "Aggregating request logs with Dask")
    client, owned = connect(scheduler)
    try:
        if isinstance(logs, pd.DataFrame):
            ddf = dd.from_pandas(logs, npartitions=max(1, min(16, len(logs) // 50_000 or 1)))
        else:
            files, kind = resolve_files(logs)
            ddf = dd.read_parquet(files) if kind == "parquet" else dd.read_csv(files)
        plan = make_plan(list(ddf.columns), model, window, rolling, since, until, level)

        def compute(obj: Any) -> Any:
            return client.compute(obj).result() if client is not None else obj.compute(scheduler="threads")

        flat_meta = prepare(ddf._meta_nonempty, plan).iloc[:0]
        flat = ddf.map_partitions(prepare, plan, meta=flat_meta)
        max_bucket = None
        if plan.rolling is not None:
            top = compute(flat["ts_us"].max())
            max_bucket = int((top // plan.w_us) * plan.w_us) if not pd.isna(top) else 0
        keyed_meta = key(flat_meta.copy(), plan, max_bucket=0)
        keyed = flat.map_partitions(key, plan, max_bucket, meta=keyed_meta)
        cols = [c for c in raw_columns(plan) if c not in ("version", "start_us")]
        meta = pd.DataFrame({c: pd.Series([], dtype="float64") for c in cols})
        grouped = keyed.groupby(["version", "start_us"]).apply(_stats_series, plan, meta=meta, shuffle_method="tasks")
        result = compute(grouped)
        raw = result.reset_index() if len(result) else pd.DataFrame(columns=raw_columns(plan))
        out = finish(raw, plan)
        if reference is not None:
            if reference == "first" and plan.window is not None:
                firsts = compute((flat["ts_us"] // plan.w_us).groupby(flat["version"]).min())
                lows = {v: int(b) * plan.w_us for v, b in firsts.items()}
                cand = flat.map_partitions(
                    lambda p: p[p["ts_us"] < p["version"].map(lows).astype("float64") + plan.w_us], meta=flat_meta
                )
            elif reference == "first":
                cand = flat
            else:
                lo, hi = us(reference[0]), us(reference[1])
                cand = flat[(flat["ts_us"] >= lo) & (flat["ts_us"] < hi)]
            refrows = compute(cand[["version", "ts_us", "latency_ms"]])
            edges = reference_edges(reference_latencies(refrows, plan, reference))
            hist_meta = _hist_partition(keyed_meta, {})
            hist = compute(keyed.map_partitions(_hist_partition, edges, meta=hist_meta))
            hist = hist.groupby(["version", "start_us", "bin"])["c"].sum()
            by_window = {}
            for (version, start), h in hist.groupby(level=[0, 1]):
                counts = np.zeros(PSI_BINS)
                counts[h.index.get_level_values(2).to_numpy()] = h.to_numpy()
                by_window[(version, int(start))] = psi(counts, edges[version][1])
            out = psi_column(out, by_window, plan)
        return out
    finally:
        if owned:
            client.close()
