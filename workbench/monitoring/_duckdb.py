"""The DuckDB engine: one SQL statement per aggregation, out of core under ``memory_limit``.

Imports the shared plan (``workbench.monitoring.plan``), never ``workbench.monitoring.aggregate``.
Quantiles: each window's values come back as one list per column and the points and their
order-statistic intervals are read from it by the same function the pandas engine uses.

User values reach the SQL only as bound parameters (file lists, timestamps, window lengths) or,
for identifiers (column names already checked against the logs) and the memory limit (checked
against a strict pattern), as safely quoted literals.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import require
from workbench.monitoring.intervals import quantiles_with_intervals
from workbench.monitoring.plan import (
    EPOCH,
    INTERVAL_METHODS,
    PSI_BINS,
    PSI_FLOOR,
    QUANTILES,
    Plan,
    finish,
    make_plan,
    resolve_files,
    us,
)
from workbench.monitoring.schema import MonitoringError

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def ident(name: str) -> str:
    """Quote an SQL identifier.

    >>> ident('we"ird')
    '"we""ird"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def _stat_sql(st: Any) -> list[str]:
    """Aggregates of one non-quantile output column (see ``plan.raw_columns``)."""
    col, agg, name = st.column, st.aggregation, st.name
    x, n = ident(name), ident(name + "__n")
    if agg == "sum_per_1k":
        return [
            f"sum({col}) / count(*) * 1000 AS {x}",
            f"count(*) AS {n}",
            f"CASE WHEN count({col}) > 0 THEN var_samp(coalesce({col}, 0)) END AS {ident(name + '__var')}",
        ]
    point = {
        "mean": f"avg({col})",
        "rate": f"avg({col})",
        "mean_per_1k": f"avg({col}) * 1000",
        "sum": f"sum({col})",
        "min": f"min({col})",
        "max": f"max({col})",
        "count": f"count({col})",
        "last": f"arg_max({col}, ts_us) FILTER (WHERE {col} IS NOT NULL)",
    }[agg]
    out = [f"{point} AS {x}", f"count({col}) AS {n}"]
    method = INTERVAL_METHODS.get(agg)
    if method == "wilson":
        out.append(f"sum({col}) AS {ident(name + '__k')}")
    elif method == "t":
        out.append(f"var_samp({col}) AS {ident(name + '__var')}")
        if agg == "mean":
            out.append(f"count({col}) FILTER (WHERE {col} <> 0 AND {col} <> 1) AS {ident(name + '__nb')}")
    return out


def build_sql(plan: Plan, source: str, reference: Any, period: bool = True) -> tuple[str, dict[str, Any]]:
    """The aggregation statement and its parameters, for a relation ``source``.

    ``period=False`` leaves out the first/last timestamp per group (then the timestamp column is
    not read at all for ``window=None`` without ``since``/``until``).
    """
    params: dict[str, Any] = {}
    pos = "CASE WHEN {c} IS NULL THEN NULL ELSE (CAST({c} AS DOUBLE) >= 0.5)::DOUBLE END"
    sel = [
        'CAST("version" AS VARCHAR) AS version',
        'epoch_us(CAST("timestamp" AS TIMESTAMPTZ)) AS ts_us',
        "CAST(latency_ms AS DOUBLE) AS latency_ms",
        'CAST("error" AS DOUBLE) AS err',
    ]
    if plan.has_cost:
        sel.append("CAST(cost_usd AS DOUBLE) AS cost_usd")
    if plan.has_energy:
        sel.append("CAST(energy_wh AS DOUBLE) AS energy_wh")
    if plan.has_labels or plan.has_parity:
        sel.append(pos.format(c="prediction") + " AS pp")
    if plan.has_labels:
        sel.append(pos.format(c='"label"') + " AS lp")
    if plan.has_parity:
        sel.append('CAST("group" AS VARCHAR) AS grp')
    for i, stat in enumerate(plan.stats):
        col = ident(stat.source)
        expr = (
            f"CASE WHEN {col} IS NULL THEN NULL ELSE 1.0 END"
            if stat.aggregation == "count"
            else f"CAST({col} AS DOUBLE)"
        )
        sel.append(f"{expr} AS s{i}")
    where = []
    if plan.since is not None:
        params["since_us"] = us(plan.since)
        where.append("ts_us >= $since_us")
    if plan.until is not None:
        params["until_us"] = us(plan.until)
        where.append("ts_us < $until_us")
    ctes = [
        f"raw AS (SELECT {', '.join(sel)} FROM {source})",
        f"base AS (SELECT * FROM raw{' WHERE ' + ' AND '.join(where) if where else ''})",
    ]
    if plan.window is None:
        ctes.append("keyed AS (SELECT *, 0::BIGINT AS start_us, 0::BIGINT AS end_us FROM base)")
    elif plan.rolling is None:
        params["w"] = plan.w_us
        ctes.append("keyed AS (SELECT *, (ts_us // $w) * $w AS start_us, (ts_us // $w) * $w + $w AS end_us FROM base)")
    else:
        params["w"], params["k"] = plan.w_us, plan.k
        ctes.append(
            "ends AS (SELECT b.*, (b.ts_us // $w) * $w + r.i * $w AS end_us FROM base b, range(1, $k + 1) r(i)), "
            "keyed AS (SELECT *, end_us - $k * $w AS start_us FROM ends "
            "WHERE end_us <= (SELECT max((ts_us // $w) * $w) + $w FROM base))"
        )
    span = "min(ts_us) AS min_ts, max(ts_us) AS max_ts" if period else "NULL::BIGINT AS min_ts, NULL::BIGINT AS max_ts"
    # whole period: group by version only (the window key is a constant)
    end = "0::BIGINT AS end_us" if plan.window is None else "any_value(end_us) AS end_us"
    aggs = ["count(*) AS n_requests", end, span]
    listed = []
    for st in plan.outputs:
        if st.aggregation in QUANTILES:
            if st.column not in listed:
                listed.append(st.column)
                # every value, NULL and NaN too: ``_frame`` drops them in numpy (a FILTER here
                # costs ~15 % of the statement at 1e7 rows)
                aggs.append(f"list({st.column}) AS {ident('L_' + st.column)}")
        else:
            aggs += _stat_sql(st)
    if plan.has_labels:
        known = "pp IS NOT NULL AND lp IS NOT NULL"
        aggs += [
            f"count(*) FILTER (WHERE {known}) AS n_labelled",
            f"count(*) FILTER (WHERE {known} AND pp = lp) AS n_correct",
            "count(*) FILTER (WHERE pp = 1 AND lp = 1) AS tp",
            "count(*) FILTER (WHERE pp = 1 AND lp = 0) AS fp",
            "count(*) FILTER (WHERE pp = 0 AND lp = 1) AS fn",
        ]
    if plan.window is None:
        ctes.append(f"agg AS (SELECT version, 0::BIGINT AS start_us, {', '.join(aggs)} FROM keyed GROUP BY version)")
    else:
        ctes.append(f"agg AS (SELECT version, start_us, {', '.join(aggs)} FROM keyed GROUP BY version, start_us)")
    joins, extra = [], []
    if plan.has_parity:
        ctes.append(
            "grp_rates AS (SELECT version, start_us, grp, avg(pp) AS r, count(*) AS c FROM keyed "
            "WHERE pp IS NOT NULL AND grp IS NOT NULL GROUP BY version, start_us, grp), "
            "parity AS (SELECT version, start_us, max(r) - min(r) AS parity_difference, sum(c) AS parity_n FROM grp_rates "
            "GROUP BY version, start_us)"
        )
        joins.append("LEFT JOIN parity USING (version, start_us)")
        extra.append("parity.parity_difference")
    if reference is not None:
        ctes += _psi_ctes(plan, reference, params)
        joins.append("LEFT JOIN psi USING (version, start_us)")
        extra.append("psi.latency_psi")
    out = {
        "version": "agg.version",
        "start_us": "agg.start_us",
        "n_requests": "n_requests",
        "end_us": "end_us",
        "min_ts": "min_ts",
        "max_ts": "max_ts",
    }
    for column in listed:
        out["L_" + column] = ident("L_" + column)
    for st in plan.outputs:
        if st.aggregation not in QUANTILES:
            for suffix in ("", "__n", "__k", "__var", "__nb"):
                if f"AS {ident(st.name + suffix)}" in " ".join(aggs):
                    out[st.name + suffix] = ident(st.name + suffix)
    if plan.has_labels:
        out.update({c: c for c in ("n_labelled", "n_correct", "tp", "fp", "fn")})
    if plan.has_parity:
        out["parity_difference__n"] = "parity.parity_n"
    out.update({e.split(".")[1]: e for e in extra})
    select = ", ".join(f"{expr} AS {ident(name)}" for name, expr in out.items())
    # no ORDER BY: sorting rows that carry every value of a group copies them all (~80 ms at 1e7
    # rows); ``plan.finish`` orders the (small) result by version and window instead
    sql = f"WITH {', '.join(ctes)} SELECT {select} FROM agg {' '.join(joins)}"
    return sql, params


def _psi_ctes(plan: Plan, reference: Any, params: dict[str, Any]) -> list[str]:
    if reference == "first":
        if plan.window is None:
            refrows = "SELECT version, latency_ms FROM base WHERE latency_ms IS NOT NULL"
        else:
            params["w"] = plan.w_us
            refrows = (
                "SELECT version, latency_ms FROM (SELECT version, latency_ms, ts_us // $w AS b, "
                "min(ts_us // $w) OVER (PARTITION BY version) AS b0 FROM base) WHERE b = b0 AND latency_ms IS NOT NULL"
            )
    else:
        params["ref_lo"], params["ref_hi"] = us(reference[0]), us(reference[1])
        refrows = (
            "SELECT version, latency_ms FROM base WHERE ts_us >= $ref_lo AND ts_us < $ref_hi AND latency_ms IS NOT NULL"
        )
    levels = ", ".join(repr(round(0.1 * i, 10)) for i in range(1, PSI_BINS))
    binx = " + ".join(f"(x.latency_ms > e.e[{i}])::INTEGER" for i in range(1, PSI_BINS))
    floor = repr(PSI_FLOOR)
    return [
        f"refrows AS ({refrows})",
        f"edges AS (SELECT version, quantile_cont(latency_ms, [{levels}]) AS e FROM refrows GROUP BY version)",
        f"refhist AS (SELECT x.version, {binx} AS bin, count(*) AS c FROM refrows x JOIN edges e USING (version) "
        "GROUP BY ALL)",
        "reftot AS (SELECT version, sum(c) AS tot FROM refhist GROUP BY version)",
        f"winhist AS (SELECT x.version, x.start_us, {binx} AS bin, count(*) AS c FROM keyed x "
        "JOIN edges e USING (version) WHERE x.latency_ms IS NOT NULL GROUP BY ALL)",
        "wintot AS (SELECT version, start_us, sum(c) AS tot FROM winhist GROUP BY ALL)",
        f"grid AS (SELECT w.version, w.start_us, w.tot, b.bin FROM wintot w, range({PSI_BINS}) b(bin))",
        f"psi_terms AS (SELECT g.version, g.start_us, greatest(coalesce(wh.c, 0) / g.tot, {floor}) AS p, "
        f"greatest(coalesce(rh.c, 0) / rt.tot, {floor}) AS q FROM grid g JOIN reftot rt ON rt.version = g.version "
        "LEFT JOIN winhist wh ON wh.version = g.version AND wh.start_us = g.start_us AND wh.bin = g.bin "
        "LEFT JOIN refhist rh ON rh.version = g.version AND rh.bin = g.bin)",
        "psi AS (SELECT version, start_us, sum((p - q) * ln(p / q)) AS latency_psi FROM psi_terms GROUP BY ALL)",
    ]


#: Modules the first aggregation needs after the statement (the intervals' special functions,
#: pyarrow's pandas conversion): about 0.15 s of imports in a fresh process.
_AFTER_THE_STATEMENT = ("scipy.special", "pyarrow.pandas_compat")


def _prefetch(modules: tuple[str, ...]) -> threading.Thread | None:
    """Import ``modules`` on a background thread while DuckDB runs the statement (it releases the
    GIL), so a one-shot job does not pay for them after the query. Python's per-module import
    locks make a later ``import`` of the same module wait for this one; an import error here is
    ignored (the later import raises it where it is needed)."""
    missing = [m for m in modules if m not in sys.modules]
    if not missing:
        return None

    def load() -> None:
        for m in missing:
            try:
                importlib.import_module(m)
            except Exception:  # noqa: BLE001, S112 - reported by the import that needs it
                continue

    thread = threading.Thread(target=load, name="workbench-prefetch", daemon=True)
    thread.start()
    return thread


def run_duckdb(
    logs: Any,
    model: Any,
    window: Any,
    rolling: Any,
    since: Any,
    until: Any,
    memory_limit: str | None,
    reference: Any,
    level: float = 0.95,
) -> pd.DataFrame:
    duckdb = require("duckdb", "monitoring", "Aggregating request logs with DuckDB")
    _prefetch(_AFTER_THE_STATEMENT)
    con = duckdb.connect(":memory:")
    spill = None
    try:
        con.execute("SET TimeZone = 'UTC'")
        if memory_limit is not None:
            if not isinstance(memory_limit, str) or not _MEMORY.match(memory_limit):
                raise MonitoringError(
                    f"memory_limit {memory_limit!r} is not a size.\n  Valid: e.g. '512MB', '2GB', '1.5GiB'."
                )
            con.execute(f"SET memory_limit = '{memory_limit.strip()}'")
            con.execute("SET preserve_insertion_order = false")
            spill = tempfile.mkdtemp(prefix="workbench-duckdb-")
            con.execute("SET temp_directory = '" + spill.replace("'", "''") + "'")
        params: dict[str, Any] = {}
        if isinstance(logs, pd.DataFrame):
            con.register("wb_logs", logs)
            source = "wb_logs"
        else:
            files, kind = resolve_files(logs)
            params["files"] = files
            if kind == "parquet":
                union = "" if _same_parquet_schema(con, files) else ", union_by_name = true"
                source = f"read_parquet($files{union})"
            else:
                source = "read_csv($files, union_by_name = true)"
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}", params or None).fetchall()]
        plan = make_plan(columns, model, window, rolling, since, until, level)
        span = None
        if (
            plan.window is None
            and plan.since is None
            and plan.until is None
            and "files" in params
            and source.startswith("read_parquet")
        ):
            span = _parquet_span(con, params["files"])
        slices = [plan]
        parts: list[pd.DataFrame] = []
        last: tuple[Any, Plan] | None = None
        if memory_limit is not None and reference is None and "files" in params:
            slices = _time_slices(con, plan, source, params, _bytes(memory_limit))
        try:
            for i, part in enumerate(slices):
                sql, more = build_sql(part, source, reference, period=span is None)
                table = con.sql(sql, params={**params, **more} or None).to_arrow_table()
                if i < len(slices) - 1:  # a slice's values are let go before the next is aggregated
                    parts.append(_frame(table, part))
                else:
                    last = (table, part)
        except duckdb.OutOfMemoryException as exc:
            raise MonitoringError(
                f"DuckDB ran out of memory under memory_limit={memory_limit!r}: {str(exc).splitlines()[0]}\n"
                "  Percentiles keep each group's values in memory (they do not spill); with a fixed "
                "window the logs are aggregated a time slice at a time, but one slice or one group "
                "can still be too large. Fix: raise memory_limit, use a shorter window, aggregate "
                "fewer files or a shorter period (since/until) at a time, or use engine='dask' on a cluster."
            ) from None
        except duckdb.ConversionException as exc:
            raise MonitoringError(
                f"The request logs have a value of the wrong type (prediction and label must be numbers "
                f"or booleans, latency_ms and cost columns numbers): {exc}"
            ) from None
    finally:
        # Closing frees the statement's memory (~30 ms at 1e7 rows, with the GIL released): on a
        # thread, while the percentiles are selected from the fetched (Arrow-owned) values.
        closing = threading.Thread(target=_close, args=(con, spill), name="workbench-duckdb-close")
        closing.start()
    try:
        if last is not None:
            parts.append(_frame(*last))
    finally:
        closing.join()
    raw = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if span is not None:
        raw["min_ts"], raw["max_ts"] = span
    return finish(raw, plan)


def _close(con: Any, spill: str | None) -> None:
    con.close()
    if spill is not None:
        shutil.rmtree(spill, ignore_errors=True)


#: Values (over all groups) from which the order statistics are selected on several threads.
_PARALLEL_VALUES = 200_000


def _frame(table: Any, plan: Plan) -> pd.DataFrame:
    """The raw frame of one statement: list columns turned into quantiles with their intervals."""
    lists = [c for c in table.column_names if c.startswith("L_")]
    raw = table.drop_columns(lists).to_pandas()
    by_column: dict[str, list] = {}
    found: dict[str, np.ndarray] = {}
    for st in plan.outputs:
        if st.aggregation in QUANTILES:
            by_column.setdefault(st.column, []).append(st)
    for column, stats in by_column.items():
        qs = [QUANTILES[s.aggregation] for s in stats]
        groups = []
        for chunk in table.column("L_" + column).chunks:
            offsets = chunk.offsets.to_numpy()
            values = chunk.values.to_numpy(zero_copy_only=False)  # NULL -> NaN
            groups += [values[offsets[i] : offsets[i + 1]] for i in range(len(chunk))]

        def one(x: np.ndarray, qs: list[float] = qs) -> tuple[int, list]:
            if np.isnan(x.sum()):  # a NaN or NULL inside (a sum allocates nothing, unlike isnan(x))
                x = x[~np.isnan(x)]
            return len(x), quantiles_with_intervals(x, qs, plan.level, clean=True)

        workers = min(os.cpu_count() or 1, len(groups))
        if workers > 1 and sum(len(x) for x in groups) >= _PARALLEL_VALUES:
            # np.partition releases the GIL: the groups' selections run on every core, as DuckDB's would
            with ThreadPoolExecutor(max_workers=workers) as pool:
                got = list(pool.map(one, groups))
        else:
            got = [one(x) for x in groups]
        for j, st in enumerate(stats):
            found[st.name] = np.array([g[1][j][0] for g in got], dtype="float64")
            found[st.name + "__lo"] = np.array([g[1][j][1] for g in got], dtype="float64")
            found[st.name + "__hi"] = np.array([g[1][j][2] for g in got], dtype="float64")
            found[st.name + "__n"] = np.array([g[0] for g in got], dtype="float64")
    if not found:
        return raw
    return pd.concat([raw, pd.DataFrame(found, index=raw.index)], axis=1)  # one concat, not a column at a time


#: Bytes DuckDB holds per request and per exact percentile column while aggregating (the value,
#: the growth of each group's value buffer, a partial state per thread): an estimate on the safe
#: side, used only to choose how many time slices a memory limit needs.
_PERCENTILE_BYTES_PER_ROW = 64
_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def _bytes(size: str) -> int:
    """``'1.5GiB'`` -> bytes (the text already matched ``_MEMORY``).

    >>> _bytes("1GiB"), _bytes(" 512 MB ")
    (1073741824, 512000000)
    """
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", size.lower())
    assert m is not None  # checked by _MEMORY before
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def _time_slices(con: Any, plan: Plan, source: str, params: dict[str, Any], limit: int) -> list[Plan]:
    """Split a fixed-window aggregation into consecutive periods whose percentile states fit in
    about half of ``limit``; every (version, window) lies in exactly one period, so the parts
    concatenate to the same table (exact, not approximate). One period when it all fits, for
    ``window=None`` and for rolling windows (a version's or a trailing window's rows cannot be
    split by time without changing its percentiles).

    The periods are equal in time: with a very uneven request rate one may exceed its share.
    """
    if plan.window is None or plan.rolling is not None:
        return [plan]
    rows = _parquet_rows(con, params["files"])
    holistic = len({st.column for st in plan.outputs if st.aggregation in QUANTILES})
    if rows is None or rows * holistic * _PERCENTILE_BYTES_PER_ROW <= limit // 2:
        return [plan]
    row = (
        _parquet_span(con, params["files"])
        or con.execute(  # footer statistics, else a scan
            f'SELECT min(epoch_us(CAST("timestamp" AS TIMESTAMPTZ))), max(epoch_us(CAST("timestamp" AS TIMESTAMPTZ))) '
            f"FROM {source}",
            params,
        ).fetchall()[0]
    )
    if row is None or row[0] is None:
        return [plan]
    lo, hi = int(row[0]), int(row[1])
    if plan.since is not None:
        lo = max(lo, us(plan.since))
    if plan.until is not None:
        hi = min(hi, us(plan.until) - 1)
    w = plan.w_us
    first, last = lo // w, hi // w  # window numbers (aligned to the epoch)
    if last < first:
        return [plan]
    count = -(-rows * holistic * _PERCENTILE_BYTES_PER_ROW // (limit // 2))
    per = max(1, -(-(last - first + 1) // count))  # windows per slice
    slices = []
    for start in range(first, last + 1, per):
        since = EPOCH + pd.Timedelta(start * w, "us")
        until = EPOCH + pd.Timedelta(min(start + per, last + 1) * w, "us")
        if plan.since is not None:
            since = max(since, plan.since)
        if plan.until is not None:
            until = min(until, plan.until)
        slices.append(dataclasses.replace(plan, since=since, until=until))
    return slices


def _parquet_rows(con: Any, files: list[str]) -> int | None:
    """Total rows of Parquet files from their footers (None for other formats or on any oddity)."""
    if not all(str(f).lower().endswith((".parquet", ".pq")) for f in files):
        return None
    try:
        rows = con.execute("SELECT sum(num_rows) FROM parquet_file_metadata($files)", {"files": files}).fetchall()
        row = rows[0] if rows else None
    except Exception:  # noqa: BLE001 - unknown layout: aggregate in one statement
        return None
    return None if row is None or row[0] is None else int(row[0])


def _same_parquet_schema(con: Any, files: list[str]) -> bool:
    """True when every file has the same columns in the same order (no need to union by name)."""
    if len(files) == 1:
        return True
    try:
        rows = con.execute(
            "SELECT file_name, name, duckdb_type FROM parquet_schema($files) ORDER BY file_name, column_id",
            {"files": files},
        ).fetchall()
    except Exception:  # noqa: BLE001 - unknown layout: let DuckDB match the columns by name
        return False
    schemas: dict[str, list[tuple[str, str]]] = {}
    for file, name, type_ in rows:
        schemas.setdefault(file, []).append((name, type_))
    return len({tuple(v) for v in schemas.values()}) == 1


def _parquet_span(con: Any, files: list[str]) -> tuple[int, int] | None:
    """First and last timestamp (epoch us) from the Parquet row-group statistics, when exact.

    Saves reading the timestamp column for a whole-period aggregation; ``None`` when any
    row group lacks exact statistics (the caller then takes them from the data).
    """
    try:
        row = con.execute(
            "SELECT min(epoch_us(CAST(stats_min_value AS TIMESTAMPTZ))), "
            "max(epoch_us(CAST(stats_max_value AS TIMESTAMPTZ))), "
            "bool_and(coalesce(min_is_exact, false) AND coalesce(max_is_exact, false) "
            "AND stats_min_value IS NOT NULL AND stats_max_value IS NOT NULL), "
            "count(DISTINCT file_name) "
            "FROM parquet_metadata($files) WHERE path_in_schema = 'timestamp'",
            {"files": files},
        ).fetchall()[0]
    except Exception:  # noqa: BLE001 - any oddity in the statistics: read the data instead
        return None
    if row is None or row[0] is None or not row[2] or row[3] != len(set(files)):
        return None
    return int(row[0]), int(row[1])
