"""SLO compliance of live versions, per (version, window), with error-budget burn for rates.

Input is an *aggregated* frame as :func:`workbench.monitoring.aggregate` returns it: one row per
(version, window_start), columns ``version``, ``window_start``, ``window_end``, ``n_requests`` and
one column per objective of the quality model (``version``/``window_start`` may also be the index).

Definitions
-----------
limit
    The constraint's numeric limit. A relative constraint (``<= 1.1 * champion``,
    ``<= v3 + 10``) is resolved against the baseline version's value **in the same window**
    (``champion`` = the ``champion`` argument, else the model's ``champion``). When the baseline
    has no value in that window the limit, ``met`` and ``margin`` are missing (NA), never guessed.
margin
    Signed distance to the limit in the objective's unit, positive when met:
    ``limit - value`` for ``<=``/``<``, ``value - limit`` for ``>=``/``>``.
compliance
    Per (version, constraint): the share of windows (with a known status) whose constraint is met.
error budget (rate objectives only)
    An objective is a rate when it declares ``aggregation: rate`` or is the aggregated
    ``error_rate`` column. For ``rate <= L`` the budget is ``L`` (the tolerated share of bad
    requests); for ``rate >= L`` (a success rate) it is ``1 - L`` and the bad share is ``1 - rate``.
    ``burn_rate`` per window = bad share / budget (1 = spending exactly the budget; 2 = twice as
    fast). Over the whole period, ``budget_consumed = Σ bad requests / (budget × Σ requests)``,
    computed as ``Σ_w bad_w n_w / Σ_w budget_w n_w`` (the windows' own budgets when a relative
    limit varies); > 1 means the period's budget is exhausted.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import UnknownNameError, UnknownObjectiveError, unknown_name
from workbench.monitoring.schema import MonitoringError

__all__ = ["COMPLIANCE_COLUMNS", "SUMMARY_COLUMNS", "is_rate", "slo_compliance", "slo_summary"]

#: Columns of :func:`slo_compliance`.
COMPLIANCE_COLUMNS = [
    "version",
    "window_start",
    "window_end",
    "constraint",
    "objective",
    "op",
    "value",
    "limit",
    "met",
    "margin",
    "n_requests",
    "burn_rate",
]
#: Columns of :func:`slo_summary`.
SUMMARY_COLUMNS = [
    "version",
    "constraint",
    "objective",
    "n_windows",
    "n_met",
    "compliance",
    "worst_margin",
    "budget_consumed",
]


def is_rate(objective: Any) -> bool:
    """True when the objective is a rate (``aggregation: rate``, or the ``error_rate`` column)."""
    return getattr(objective, "aggregation", None) == "rate" or getattr(objective, "name", "") == "error_rate"


def aggregated_frame(aggregated: pd.DataFrame) -> pd.DataFrame:
    """The aggregated frame with ``version`` and ``window_start`` as columns (a copy), validated:
    what the monitoring views, reviews and widgets read from :func:`workbench.monitoring.aggregate`'s
    output."""
    if not isinstance(aggregated, pd.DataFrame):
        raise MonitoringError(
            f"aggregated must be a DataFrame (from workbench.monitoring.aggregate), got {type(aggregated).__name__}."
        )
    df = aggregated.copy()
    if "version" not in df.columns or "window_start" not in df.columns:
        df = df.reset_index()
    missing = [c for c in ("version", "window_start") if c not in df.columns]
    if missing:
        raise MonitoringError(
            f"The aggregated frame lacks {', '.join(map(repr, missing))} (as columns or index levels).\n"
            f"  Columns: {', '.join(map(str, df.columns))}.\n"
            "  Fix: pass the output of workbench.monitoring.aggregate(logs, model)."
        )
    df["version"] = df["version"].astype(str)
    if "window_end" not in df.columns:
        df["window_end"] = pd.NaT
    if "n_requests" not in df.columns:
        df["n_requests"] = np.nan
    if df.duplicated(["version", "window_start"]).any():
        dup = df.loc[df.duplicated(["version", "window_start"]), ["version", "window_start"]].iloc[0]
        raise MonitoringError(
            f"The aggregated frame has several rows for version {dup['version']!r} and "
            f"window {dup['window_start']}; expected one per (version, window_start)."
        )
    return df.sort_values(["window_start", "version"], kind="stable").reset_index(drop=True)


def _check_columns(df: pd.DataFrame, names: list[str]) -> None:
    numeric = [str(c) for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    for name in names:
        if name not in df.columns:
            raise UnknownObjectiveError(
                unknown_name(
                    "Objective",
                    name,
                    numeric,
                    where="a column of the aggregated monitoring data",
                    fix="declare 'source' and 'aggregation' on the objective so that aggregate() "
                    "computes it, or rename it to an aggregated column.",
                )
            )


def _baseline(c: Any, champion: str | None, strict: bool) -> str | None:
    base = c.baseline
    if base == "champion":
        if champion is None:
            if strict:
                raise UnknownNameError(
                    f"Constraint {str(c)!r} is relative to 'champion', but no champion was given.\n"
                    "  Fix: pass champion=<version> (CLI: --champion VERSION), record a decision, or set "
                    "'champion:' in the quality model."
                )
            return None
        return champion
    return base


def _compliance(df: pd.DataFrame, model: Any, champion: str | None, strict: bool) -> pd.DataFrame:
    constrained = [c.objective for c in model.constraints]
    _check_columns(df, sorted(set(constrained), key=constrained.index))
    champion = champion if champion is not None else getattr(model, "champion", None)
    versions = set(df["version"])
    frames = []
    for c in model.constraints:
        obj = model[c.objective]
        value = df[c.objective].astype("float64")
        if c.baseline is None:
            limit = pd.Series(float(c.resolve()), index=df.index)
        else:
            base = _baseline(c, champion, strict)
            if base is not None and base not in versions and strict:
                raise UnknownNameError(
                    unknown_name(
                        f"Baseline of constraint {str(c)!r}:",
                        base,
                        sorted(versions),
                        where="a version of the monitoring data",
                        fix="name a live version (CLI: --champion VERSION).",
                    )
                )
            if base is None:
                limit = pd.Series(np.nan, index=df.index)
            else:
                ref = df.loc[df["version"] == base].set_index("window_start")[c.objective].astype("float64")
                limit = c.factor * df["window_start"].map(ref).astype("float64") + c.offset
        known = value.notna() & limit.notna()
        ok = c.satisfied(value.to_numpy(), limit.to_numpy())
        met = pd.array(np.where(known, ok, False), dtype="boolean")
        met[~known.to_numpy()] = pd.NA
        margin = (limit - value) if c.is_upper else (value - limit)
        burn = pd.Series(np.nan, index=df.index)
        if is_rate(obj):
            bad, budget = (value, limit) if c.is_upper else (1.0 - value, 1.0 - limit)
            burn = (bad / budget.where(budget > 0)).astype("float64")
        frames.append(
            pd.DataFrame(
                {
                    "version": df["version"],
                    "window_start": df["window_start"],
                    "window_end": df["window_end"],
                    "constraint": str(c),
                    "objective": c.objective,
                    "op": c.op,
                    "value": value,
                    "limit": limit,
                    "met": met,
                    "margin": margin,
                    "n_requests": df["n_requests"],
                    "burn_rate": burn,
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COMPLIANCE_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["version", "window_start", "constraint"], kind="stable").reset_index(drop=True)


def slo_compliance(aggregated: pd.DataFrame, model: Any, *, champion: str | None = None) -> pd.DataFrame:
    """Check every hard constraint of the model for every (version, window).

    Parameters
    ----------
    aggregated : DataFrame
        One row per (version, window_start), as :func:`workbench.monitoring.aggregate` returns it.
    model : QualityModel
        Its constraints are the SLOs; their objectives must be columns of ``aggregated``.
    champion : str, optional
        The version that ``champion`` in relative constraints refers to (default: the model's).

    Returns
    -------
    DataFrame
        One row per (version, window, constraint), sorted, with the columns ``COMPLIANCE_COLUMNS``:
        ``value``, ``limit`` (resolved per window), ``met`` (nullable boolean), ``margin`` (positive
        when met), ``n_requests`` and ``burn_rate`` (rate objectives only, else NaN). See the module
        docstring for the definitions, and :func:`slo_summary` for the ratios over windows.

    Raises
    ------
    UnknownObjectiveError
        A constrained objective is not a column of ``aggregated``.
    UnknownNameError
        A relative constraint's baseline (or the champion) is not known.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate",
    ...      "constraint": "<= 0.01"}]})
    >>> agg = pd.DataFrame({"version": "v1", "window_start": pd.to_datetime(["2026-01-01 00:00",
    ...     "2026-01-01 01:00"], utc=True), "n_requests": [1000, 1000], "error_rate": [0.005, 0.03]})
    >>> slo_compliance(agg, qm)[["value", "limit", "met", "margin", "burn_rate"]]
       value  limit    met  margin  burn_rate
    0  0.005   0.01   True   0.005        0.5
    1  0.030   0.01  False  -0.020        3.0
    >>> slo_summary(slo_compliance(agg, qm))[["compliance", "budget_consumed"]]
       compliance  budget_consumed
    0         0.5             1.75
    """
    return _compliance(aggregated_frame(aggregated), model, champion, strict=True)


def slo_summary(compliance: pd.DataFrame) -> pd.DataFrame:
    """Per (version, constraint) over the windows of :func:`slo_compliance`.

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``: ``n_windows`` (with a known status), ``n_met``,
        ``compliance`` (= n_met / n_windows), ``worst_margin`` and, for rate objectives,
        ``budget_consumed`` (= Σ bad requests / Σ budgeted requests, see the module docstring).
    """
    if compliance.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUMMARY_COLUMNS})
    rows = []
    for (version, constraint), g in compliance.groupby(["version", "constraint"], sort=True):
        met = g["met"].dropna().astype(bool)
        budget_consumed = np.nan
        burn = g["burn_rate"].astype("float64")
        n = g["n_requests"].astype("float64")
        ok = burn.notna() & n.notna() & g["limit"].notna()
        if ok.any():
            # bad_w = burn_w * budget_w, so Σ bad_w n_w / Σ budget_w n_w
            budget = (g["limit"] if g["op"].iloc[0] in ("<=", "<") else 1.0 - g["limit"]).astype("float64")
            denom = float((budget[ok] * n[ok]).sum())
            budget_consumed = float((burn[ok] * budget[ok] * n[ok]).sum()) / denom if denom > 0 else np.nan
        rows.append(
            {
                "version": version,
                "constraint": constraint,
                "objective": g["objective"].iloc[0],
                "n_windows": len(met),
                "n_met": int(met.sum()),
                "compliance": float(met.mean()) if len(met) else np.nan,
                "worst_margin": float(g["margin"].min()) if g["margin"].notna().any() else np.nan,
                "budget_consumed": budget_consumed,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
