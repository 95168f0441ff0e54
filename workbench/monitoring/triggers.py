"""Review triggers: when monitoring data says a recorded trade-off decision no longer holds.

:func:`detect` reads an aggregated frame (one row per (version, window_start), see
:func:`workbench.monitoring.aggregate`: each figure ``X`` with its interval ``X_lo``/``X_hi`` at
``interval_level`` and its sample size ``X_n``) and returns :class:`Trigger` objects. The *latest
window* is the largest ``window_start``; the *live versions* are the versions with a row in it;
the *first window* is the smallest ``window_start``. Versions whose objective values are missing
in a window are left out of that window's comparisons and reported by an ``incomplete_window``
trigger (severity ``info``), never dropped silently.

Evidence before verdicts
------------------------
A point estimate crossing a limit is not evidence: on healthy traffic, k independent checks per
window at level α give about k·α/2 false crossings per window (three versions × four objectives
× four windows a day at α = 0.05 is more than one a day). So every rule below asks for

1. **the interval beyond the limit** -- for ``latency_p95_ms <= 120`` the *lower* bound of the
   p95's order-statistic interval must exceed 120 (for ``>=`` the upper bound must fall short):
   the chance that a compliant version shows this in one window is at most (1 - level) / 2;
2. **persistence** -- the condition must hold in each of the last ``for_windows`` consecutive
   windows (Prometheus ``for:``); at level 0.95 and ``for_windows=2`` a version sitting exactly
   at its limit alarms in at most 0.025² ≈ 0.06 % of window pairs, one that is clearly within
   it far less. One window is enough when its evidence is overwhelming: the interval lies beyond
   the limit by more than its own half-width (the estimate 2z standard errors beyond it, about a
   99.99 % interval at level 0.95, a one-sided chance near 4e-5 -- below the 6e-4 of two windows),
   so a large breach is reported in its first window instead of the second;
3. **enough data** -- a window with fewer observations than the objective needs gives an
   ``insufficient_data`` info trigger naming ``n`` and the minimum, never a warning -- unless the
   interval lies beyond the limit by more than its half-width (24 % errors in 176 requests against
   an SLO of 1 %). Merely beyond is not enough there: at a handful of requests the Wilson bounds
   of a rate undercover (one error in 9 requests puts the lower bound at 2 %), and across every
   version, objective and window of a day such windows are tested often enough that it happens on
   healthy traffic (the campaign in ``benchmarks/bench_triggers.py`` measured it).

Why not the SRE workbook's multi-window, multi-burn-rate rule: it is written for one error
budget over 30 days and needs a short window (5 min) beside each long one; the windows here are
the analyst's reporting windows (hours), and latency, accuracy and cost objectives have no error
budget. The interval rule covers every objective the same way and persistence plays the role of
the long window; the burn rate of each rate objective is still reported in the evidence.

Minimum ``n`` (``Thresholds.min_n`` overrides it per objective): for a quantile, the ``n`` at
which both order-statistic bounds exist (p95 at 95 %: 72; p99: 368); for a rate or a proportion
with a limit, the ``n`` at which a window could show compliance at all
(:func:`workbench.monitoring.intervals.minimum_n_rate`: 381 for ``error_rate <= 0.01``); for
means and per-1k amounts 30 (the t interval leans on the central limit theorem).

Kinds
-----
``constraint_violated`` (``warning``; ``critical`` for the champion)
    A live version breaches a hard constraint by rules 1–2. A relative constraint is resolved
    against the baseline's point value in the same window. Unresolvable ones give one
    ``constraint_unresolved`` ``info`` trigger.
``insufficient_data`` (``info``)
    Rule 3, per live version and constrained objective in the latest window.
``champion_dominated`` (``warning``)
    A feasible challenger (another live version, or a newer offline candidate the decision did
    not consider) dominates the champion beyond tolerance with probability at least the level,
    in each of the last ``for_windows`` windows. The probability treats each figure as normal
    with the standard deviation implied by its interval (width / 2z), objectives independent:
    ``P = Π_j P(d_j > -tol_j) - Π_j P(-tol_j < d_j <= tol_j)`` (no worse anywhere, better
    somewhere), ``d_j`` the challenger's advantage. Offline candidates count as exact.
``acceptability_drop`` (``warning``)
    The champion's SMAA-2 first-rank acceptability among the live versions fell by more than
    ``Thresholds.acceptability`` (default 0.25) below the reference: the acceptability the
    decision's recorded option values give among the same versions when the record holds them,
    else the first window's. "Now" is computed with the benefit of the doubt -- the champion at
    the favourable end of its intervals, the others at the unfavourable end -- so a drop that
    fires is beyond the intervals; it must persist ``for_windows`` windows. A decision whose
    acceptability was already low is not re-alarmed: the rule is relative.
``hypervolume_shift`` (``warning``)
    The live front's hypervolume changed by more than ``Thresholds.hypervolume`` (relative)
    *and* the change exceeds resampling noise: a parametric bootstrap (``bootstrap`` draws of
    every figure from its interval, seed 0) gives an interval of ``HV_now - HV_ref`` at the level
    that excludes 0. Both fronts use the same bounds: the decision's recorded ``bounds`` with its
    recorded ``hypervolume``, else the objectives' declared bounds, else the data rule of
    ``workbench.analysis.scoring`` on the two windows pooled. Persistence as above.
``conflict_flip`` (``warning`` only with evidence, else ``info``)
    The sign of an objective pair's rank correlation on the live versions flipped versus the
    decision's recorded conflicts (``provenance["conflicts"]``) or the first window, both
    ``|rho| >= Thresholds.conflict``. With fewer than 5 live versions, or a Spearman test
    p-value above 1 - level (exact up to 8 versions: :func:`spearman_p`), it is ``info``: three
    versions flip a correlation by chance.
``champion_not_live`` (``info``)
    The decision's chosen candidate is not a version of the monitoring data; the decision checks
    that need the champion are skipped (pass ``champion=`` to map it).
``data_drift`` (``warning`` at most), ``data_quality`` (``info``)
    From Evidently reports, by :func:`workbench.monitoring.drift.drift_triggers` (``watch(drift=)``,
    ``workbench watch --evidently``); :func:`workbench.monitoring.drift.with_drift` adds them to
    :func:`detect`'s list in this order.

A frame without interval columns (built by hand) is judged on its point values; the rule each
trigger used is stated in its evidence (``rule``). A review is due when any trigger is
``warning`` or ``critical`` (:func:`review_due`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.format import format_count, format_estimate, format_interval, format_number, format_percent
from workbench.monitoring.intervals import (
    DEFAULT_LEVEL,
    check_level,
    minimum_n_quantile,
    minimum_n_rate,
)
from workbench.monitoring.plan import QUANTILES
from workbench.monitoring.schema import MonitoringError
from workbench.monitoring.slo import _compliance, aggregated_frame, is_rate

__all__ = ["KINDS", "SEVERITIES", "Thresholds", "Trigger", "detect", "minimum_n", "review_due"]

SEVERITIES = ("info", "warning", "critical")
KINDS = (
    "constraint_violated",
    "champion_dominated",
    "acceptability_drop",
    "hypervolume_shift",
    "conflict_flip",
    "insufficient_data",
    "constraint_unresolved",
    "champion_not_live",
    "incomplete_window",
    "data_drift",
    "data_quality",
)

#: Minimum versions for a rank correlation to be decisive without a significance test.
MIN_VERSIONS_CONFLICT = 5
#: Minimum n for means and per-1k amounts (t interval; central limit theorem).
MIN_N_MEAN = 30


@dataclass(frozen=True)
class Thresholds:
    """Parameters of :func:`detect` (see the module docstring for the rules).

    Parameters
    ----------
    acceptability : float
        ``acceptability_drop`` fires when the champion's first-rank acceptability is more than
        this below the reference (absolute drop, default 0.25).
    hypervolume : float
        ``hypervolume_shift`` needs a relative change above this (default 0.1 = 10 %).
    conflict : float
        Minimum ``|rho|`` of both correlations for a ``conflict_flip`` (default 0.3).
    smaa_samples : int
        SMAA-2 weight samples for the acceptability (seed 0).
    for_windows : int
        Persistence: a breach, domination, drop or shift must hold in this many consecutive
        windows (default 1; ``workbench watch`` uses 2).
    level : float, optional
        Confidence level; default the frame's ``interval_level`` (else 0.95).
    min_n : int or mapping objective -> int, optional
        Minimum observations per window (default: derived per objective, module docstring).
    bootstrap : int
        Parametric bootstrap draws for ``hypervolume_shift`` (seed 0).
    """

    acceptability: float = 0.25
    hypervolume: float = 0.1
    conflict: float = 0.3
    smaa_samples: int = 2000
    for_windows: int = 1
    level: float | None = None
    min_n: int | Mapping[str, int] | None = None
    bootstrap: int = 200

    def __post_init__(self) -> None:
        if (
            isinstance(self.for_windows, bool)
            or not isinstance(self.for_windows, (int, np.integer))
            or self.for_windows < 1
        ):
            raise MonitoringError(
                f"for_windows {self.for_windows!r} must be a whole number >= 1.\n"
                "  Valid: 1 (the latest window alone), 2, 3, ... consecutive windows."
            )
        if self.level is not None:
            check_level(self.level)
        if not 0 <= self.acceptability <= 1 or self.hypervolume < 0 or self.smaa_samples < 1 or self.bootstrap < 10:
            raise MonitoringError(
                f"acceptability must be in [0, 1] (got {self.acceptability!r}), hypervolume >= 0 (got "
                f"{self.hypervolume!r}), smaa_samples >= 1 (got {self.smaa_samples!r}) and bootstrap >= 10 "
                f"(got {self.bootstrap!r})."
            )


@dataclass(frozen=True)
class Trigger:
    """One reason to reopen a decision, with the evidence behind it.

    Attributes
    ----------
    kind : str
        One of ``KINDS``.
    severity : {"info", "warning", "critical"}
    version : str or None
        The live version concerned (the champion for decision checks).
    window_start, window_end : pandas.Timestamp or None
        The latest window the evidence comes from.
    objective : str or None
    value, threshold : float or None
        The observed value and the threshold it crossed, in the objective's unit.
    message : str
        A readable sentence in domain units stating the evidence (value, interval, level, n,
        windows, rule).
    evidence : dict
        The numbers behind it: ``rule``, ``level``, ``windows`` and per kind the values,
        intervals, ``n``, probabilities, references.
    """

    kind: str
    severity: str
    version: str | None
    window_start: pd.Timestamp | None
    window_end: pd.Timestamp | None
    objective: str | None
    value: float | None
    threshold: float | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe mapping (timestamps as ISO 8601, NaN as None)."""
        from workbench.analysis.analyze import to_jsonable

        return to_jsonable(asdict(self))


def review_due(triggers: Sequence[Trigger]) -> bool:
    """True when any trigger is ``warning`` or ``critical``."""
    return any(t.severity in ("warning", "critical") for t in triggers)


# --- evidence helpers ------------------------------------------------------------------------------


def _unit(model: Any, name: str) -> str | None:
    try:
        return model[name].unit or None
    except (KeyError, AttributeError):
        return None


def _ts(v: Any) -> pd.Timestamp | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v)


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2))


def _aggregation(model: Any, name: str) -> str | None:
    agg = getattr(model[name], "aggregation", None) if name in model.names else None
    if agg:
        return agg
    if name.startswith("latency_p") and name.endswith("_ms"):
        return "p" + name[len("latency_p") : -3]
    return {
        "error_rate": "rate",
        "accuracy": "rate",
        "cost_per_1k": "sum_per_1k",
        "energy_per_1k": "sum_per_1k",
        "f1": "rate",
    }.get(name)


def minimum_n(
    model: Any, constraint: Any, level: float = DEFAULT_LEVEL, override: int | Mapping[str, int] | None = None
) -> int:
    """Minimum observations per window for a constrained objective (module docstring).

    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "latency_p95_ms", "direction": "min",
    ...     "constraint": "<= 120"}, {"name": "error_rate", "direction": "min", "constraint": "<= 0.01"}]})
    >>> [minimum_n(qm, c) for c in qm.constraints]
    [72, 381]
    """
    name = constraint.objective
    if isinstance(override, Mapping) and name in override:
        return int(override[name])
    if isinstance(override, (int, np.integer)) and not isinstance(override, bool):
        return int(override)
    agg = _aggregation(model, name)
    if agg in QUANTILES:
        return minimum_n_quantile(QUANTILES[agg], level)
    if agg == "rate" or (name in model.names and is_rate(model[name])):
        if constraint.baseline is None:
            return minimum_n_rate(float(constraint.resolve()), constraint.is_upper, level)
        return MIN_N_MEAN
    if agg in ("mean", "mean_per_1k", "sum_per_1k"):
        return MIN_N_MEAN
    return 1


class _Frame:
    """The aggregated frame with per-column access to point, interval and n."""

    def __init__(self, df: pd.DataFrame, level: float) -> None:
        self.df = df
        self.level = level
        self.windows = sorted(df["window_start"].unique())
        self.z = _z(level)
        self._rows = {(str(r["version"]), pd.Timestamp(r["window_start"])): r for _, r in df.iterrows()}

    def has_interval(self, name: str) -> bool:
        return f"{name}_lo" in self.df and f"{name}_hi" in self.df

    def row(self, version: str, start: Any) -> pd.Series | None:
        return self._rows.get((str(version), pd.Timestamp(start)))

    def evidence(self, row: pd.Series, name: str) -> tuple[float, float, float, int]:
        """``(value, lo, hi, n)``; without interval columns ``lo = hi = value``."""
        value = float(row[name]) if pd.notna(row[name]) else math.nan
        if self.has_interval(name):
            lo = float(row[f"{name}_lo"]) if pd.notna(row[f"{name}_lo"]) else math.nan
            hi = float(row[f"{name}_hi"]) if pd.notna(row[f"{name}_hi"]) else math.nan
        else:
            lo = hi = value
        n_col = f"{name}_n" if f"{name}_n" in row.index else "n_requests"
        n = int(row[n_col]) if n_col in row.index and pd.notna(row[n_col]) else -1
        return value, lo, hi, n

    def sd(self, row: pd.Series, name: str) -> float:
        """Standard deviation implied by the interval (0 without intervals, inf when missing)."""
        if not self.has_interval(name):
            return 0.0
        lo, hi = row[f"{name}_lo"], row[f"{name}_hi"]
        if pd.isna(lo) or pd.isna(hi):
            return math.inf
        return max(float(hi) - float(lo), 0.0) / (2 * self.z)

    def last(self, k: int) -> list[Any]:
        return self.windows[-k:] if len(self.windows) >= k else []


def _window_text(f: _Frame, k: int, when: str) -> str:
    if k == 1:
        return f"in {when}"
    length = _length(f)
    return f"in {k} consecutive{(' ' + length) if length else ''} windows, {when.replace('the window from', 'the last from')}"


def _length(f: _Frame) -> str:
    df = f.df
    if "window_end" not in df or df["window_end"].isna().all():
        return ""
    d = pd.Timedelta(df["window_end"].iloc[0] - df["window_start"].iloc[0])
    hours = d / pd.Timedelta("1h")
    if hours >= 24 and hours % 24 == 0:
        return f"{int(hours // 24)} d"
    if hours >= 1 and float(hours).is_integer():
        return f"{int(hours)} h"
    return f"{int(d / pd.Timedelta('1min'))} min"


def _shown(value: float, lo: float, hi: float, n: int, unit: str | None, level: float, interval: bool) -> str:
    text = format_number(value, unit)
    if interval:
        text = f"{format_estimate(value, lo, hi, unit)} ({format_percent(level)}, n = {format_count(n)})"
    elif n >= 0:
        text += f" (n = {format_count(n)}, point estimate)"
    return text


# --- the entry point ---------------------------------------------------------------------------


def detect(
    aggregated: pd.DataFrame,
    model: Any,
    *,
    decision: Any = None,
    offline: Any = None,
    champion: str | None = None,
    thresholds: Thresholds = Thresholds(),
) -> list[Trigger]:
    """Find the review triggers in aggregated monitoring data (see the module docstring).

    Parameters
    ----------
    aggregated : DataFrame
        One row per (version, window_start) with one column per objective of ``model`` (and,
        from :func:`workbench.monitoring.aggregate`, their ``_lo``/``_hi``/``_n`` columns).
    model : QualityModel
    decision : DecisionRecord, optional
        The latest decision (``DecisionLog(url).latest()``): its ``chosen`` is the champion, its
        ``candidates`` tell offline candidates apart from newer ones, its options and provenance
        give the references (recorded values, ``hypervolume`` and ``bounds``, ``conflicts``).
    offline : Candidates or DataFrame, optional
        Offline candidates (e.g. new training runs) that may dominate the champion.
    champion : str, optional
        The champion's version id (overrides the decision's ``chosen``; also the baseline of
        relative constraints).
    thresholds : Thresholds

    Returns
    -------
    list of Trigger
        Most severe first, then by kind and version.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_p95_ms", "direction": "min", "unit": "ms", "constraint": "<= 120"}]})
    >>> agg = pd.DataFrame({"version": ["v1", "v2"], "window_start": pd.Timestamp("2026-01-01", tz="UTC"),
    ...     "n_requests": 2000, "latency_p95_ms": [100.0, 150.0], "latency_p95_ms_lo": [96.0, 141.0],
    ...     "latency_p95_ms_hi": [104.0, 158.0], "latency_p95_ms_n": 2000, "interval_level": 0.95})
    >>> [t.message for t in detect(agg, qm)]
    ['v2 latency_p95_ms 150 [141, 158] ms (95 %, n = 2,000) is above the SLO latency_p95_ms <= 120 (limit 120 ms) in the window from 2026-01-01 00:00 UTC (rule: the whole interval beyond the limit; a window with n below 72 counts only when the interval lies beyond the limit by more than its half-width).']
    """
    df = aggregated_frame(aggregated)
    names = model.names
    from workbench.monitoring.slo import _check_columns

    _check_columns(df, names)
    if df.empty:
        return []
    level = thresholds.level
    if level is None:
        level = (
            float(df["interval_level"].dropna().iloc[0])
            if "interval_level" in df and df["interval_level"].notna().any()
            else DEFAULT_LEVEL
        )
    f = _Frame(df, check_level(level))
    k = thresholds.for_windows
    latest, first = df["window_start"].max(), df["window_start"].min()
    live_rows = df[df["window_start"] == latest]
    live_versions = [str(v) for v in live_rows["version"]]
    end = _ts(live_rows["window_end"].iloc[0])
    start = _ts(latest)
    when = f"the window from {start:%Y-%m-%d %H:%M} UTC" if start is not None else "the latest window"
    triggers: list[Trigger] = []
    base = {"level": f.level, "for_windows": k}

    def add(kind, severity, message, *, version=None, objective=None, value=None, threshold=None, evidence=None):
        triggers.append(
            Trigger(
                kind,
                severity,
                version,
                start,
                end,
                objective,
                None if value is None or not np.isfinite(value) else float(value),
                None if threshold is None else float(threshold),
                message,
                {"window_start": start, "window_end": end, **base, **(evidence or {})},
            )
        )

    # --- the champion -----------------------------------------------------------------------
    if champion is not None and str(champion) not in set(df["version"]):
        from workbench.errors import UnknownNameError, unknown_name

        raise UnknownNameError(
            unknown_name(
                "Champion", str(champion), sorted(set(df["version"])), where="a version of the monitoring data"
            )
        )
    champ = None if champion is None else str(champion)
    chosen = getattr(decision, "chosen", None) if decision is not None else None
    if champ is None and chosen is not None:
        if str(chosen) in set(df["version"]):
            champ = str(chosen)
        else:
            add(
                "champion_not_live",
                "info",
                f"The decision's chosen candidate {chosen!r} is not a version of the monitoring data; "
                "the champion checks are skipped (pass champion=<version>, CLI --champion).",
                evidence={"chosen": str(chosen), "versions": sorted(set(df["version"]))},
            )
    if champ is None and decision is None:
        champ = model.champion if model.champion in set(df["version"]) else None
    champ_live = champ is not None and champ in live_versions

    _constraints(add, model, f, champ, k, thresholds, when)

    live, missing = _window_table(df, latest, names)
    if missing:
        add(
            "incomplete_window",
            "info",
            f"{', '.join(missing)} left out of the trade-off checks in {when}: missing objective values.",
            evidence={"versions": missing},
        )

    if champ_live and champ in live.index:
        _dominance(add, model, f, champ, decision, offline, k, when)
        if len(live) >= 2:
            _acceptability(add, model, f, champ, decision, thresholds, when)
    _hypervolume(add, model, f, first, decision, thresholds, when)
    _conflicts(add, model, f, live, first, latest, decision, thresholds, when)

    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(triggers, key=lambda t: (order[t.severity], KINDS.index(t.kind), t.version or ""))


def _window_table(df: pd.DataFrame, start: Any, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Candidates table of one window (id = version) and the versions with missing values."""
    rows = df[df["window_start"] == start].set_index("version")[names].astype("float64")
    bad = rows.index[~np.isfinite(rows.to_numpy()).all(axis=1)]
    return rows.drop(index=bad), [str(v) for v in bad]


def _frame_for(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.rename_axis("id").reset_index()


# --- constraints -------------------------------------------------------------------------------


def _constraints(add, model, f: _Frame, champ, k: int, thresholds: Thresholds, when: str) -> None:
    df = f.df
    windows = f.last(k)
    latest = f.windows[-1]
    comp_latest = _compliance(df[df["window_start"] == latest], model, champ, strict=False)
    unresolved = sorted(set(comp_latest.loc[comp_latest["limit"].isna() & comp_latest["value"].notna(), "constraint"]))
    for text in unresolved:
        add(
            "constraint_unresolved",
            "info",
            f"Constraint {text} could not be checked in {when}: its baseline has no value there "
            "(pass the champion's version).",
            evidence={"constraint": text},
        )
    comps = {
        w: _compliance(df[df["window_start"] == w], model, champ, strict=False).set_index(["version", "constraint"])
        for w in windows
    }
    for r in comp_latest.itertuples(index=False):
        c = next(c for c in model.constraints if str(c) == r.constraint)
        o, v = c.objective, r.version
        if pd.isna(r.limit):
            continue
        row = f.row(v, latest)
        value, lo, hi, n = f.evidence(row, o)
        need = minimum_n(model, c, f.level, thresholds.min_n)
        interval = f.has_interval(o)
        rule = (
            "the whole interval beyond the limit"
            if interval
            else "the point estimate beyond the limit (the data carry no interval)"
        ) + (f", for {k} consecutive windows" if k > 1 else "")
        if k > 1 and interval:
            rule += (
                ", or in the latest window alone when the interval lies beyond the limit by more than "
                f"its own half-width (about a {format_percent(_strong_level(f.level))} interval beyond it)"
            )
        if interval:
            rule += (
                f"; a window with n below {format_count(need)} counts only when the interval lies beyond the "
                "limit by more than its half-width"
            )
        else:
            rule += f"; only windows with n ≥ {format_count(need)}"
        states = []
        for w in windows:
            key = (v, r.constraint)
            rw = f.row(v, w)
            if rw is None or key not in comps[w].index:
                states.append(False)
                continue
            _, wlo, whi, wn = f.evidence(rw, o)
            beyond, far = _beyond(c, wlo, whi, float(comps[w].loc[key, "limit"]))
            # at a handful of requests the Wilson bounds undercover (1 error in 9 requests puts the lower
            # bound at 2 %): such a window counts only when it is far beyond the limit
            states.append(beyond and (wn >= need or (interval and far)))
        breached = len(windows) == k and all(states)
        # one window suffices when its evidence is overwhelming: the near bound beyond the limit by at
        # least the interval's half-width, i.e. the estimate is 2z standard errors beyond the limit
        # (one-sided chance about 4e-5 at 95 %, below the 0.025² = 6e-4 of two windows at the level)
        strong = k > 1 and interval and _beyond(c, lo, hi, float(r.limit))[1]
        fast = strong and not breached
        breached = breached or strong
        u = _unit(model, o)
        shown = _shown(value, lo, hi, n, u, f.level, interval)
        limit_text = f"limit {format_number(r.limit, u)}" + (f" from {c.rhs_text()}" if c.is_relative else "")
        ev = {
            "constraint": r.constraint,
            "op": r.op,
            "value": value,
            "interval": [lo, hi],
            "n": n,
            "limit": r.limit,
            "margin": r.margin,
            "n_requests": r.n_requests,
            "minimum_n": need,
            "rule": rule,
            "windows": [pd.Timestamp(w) for w in windows],
            "breach_by_window": states,
            "one_window": fast,
        }
        if k > 1 and interval:
            ev["one_window_level"] = _strong_level(f.level)
        if breached:
            is_champ = v == champ
            who = f"champion {v}" if is_champ else v
            side = "above" if c.is_upper else "below"
            seen = f"in {when}, beyond it by more than the interval's half-width" if fast else _window_text(f, k, when)
            msg = f"{who} {o} {shown} is {side} the SLO {r.constraint} ({limit_text}) {seen} (rule: {rule})."
            if pd.notna(r.burn_rate):
                ev["burn_rate"] = r.burn_rate
                msg = msg[:-1] + f"; error budget burning {format_number(r.burn_rate)}× as fast as allowed."
            add(
                "constraint_violated",
                "critical" if is_champ else "warning",
                msg,
                version=v,
                objective=o,
                value=value,
                threshold=r.limit,
                evidence=ev,
            )
        elif n < need:
            add(
                "insufficient_data",
                "info",
                f"{v} {o}: n = {format_count(max(n, 0))} in {when}, below the minimum {format_count(need)} "
                f"needed to judge {r.constraint} at {format_percent(f.level)}; no verdict from this window "
                f"(measured {shown}).",
                version=v,
                objective=o,
                value=value,
                threshold=need,
                evidence={**ev, "rule": "n below the minimum for the objective"},
            )


def _beyond(c: Any, lo: float, hi: float, limit: float) -> tuple[bool, bool]:
    """Whether the interval lies beyond the limit, and whether by more than its half-width."""
    near = lo if c.is_upper else hi
    if not (np.isfinite(near) and np.isfinite(limit)):
        return False, False
    gap = c.excess(near, limit)
    beyond = bool(np.isfinite(gap) and gap > 0)
    return beyond, bool(beyond and np.isfinite(lo) and np.isfinite(hi) and gap >= (hi - lo) / 2)


def _strong_level(level: float) -> float:
    """Two-sided level of an interval twice as wide as the one at ``level`` (normal approximation)."""
    from scipy.special import ndtr

    return float(2 * ndtr(2 * _z(level)) - 1)


# --- dominance ---------------------------------------------------------------------------------


def _p_dominates(adv: np.ndarray, sd: np.ndarray, tol: np.ndarray) -> float:
    """P(no worse than -tol everywhere and better than tol somewhere), normal and independent."""
    from scipy.stats import norm

    a, b = [], []
    for d, s, t in zip(adv, sd, tol, strict=True):
        if not np.isfinite(d):
            return 0.0
        if s == 0:
            above_neg, above_pos = float(d > -t), float(d > t)
        elif not np.isfinite(s):
            return 0.0
        else:
            above_neg, above_pos = float(norm.cdf((d + t) / s)), float(norm.cdf((d - t) / s))
        a.append(above_neg)
        b.append(above_neg - above_pos)
    return float(np.prod(a) - np.prod(b))


def _dominance(add, model, f: _Frame, champ: str, decision, offline, k: int, when: str) -> None:
    names = model.names
    sign = np.array([1.0 if o.direction == "min" else -1.0 for o in model.objectives])
    tol = np.array([float(o.tolerance or 0.0) for o in model.objectives])
    windows = f.last(k)
    if not windows:
        return
    newer: dict[str, np.ndarray] = {}
    if offline is not None:
        from workbench.sources.candidates import Candidates, from_frame

        cands = offline if isinstance(offline, Candidates) else from_frame(offline)
        table = cands.for_model(model).table[names].astype("float64")
        seen = set(getattr(decision, "candidates", ()) or ())
        feasible = np.ones(len(table), bool)
        for c in model.constraints:
            if c.baseline is None:
                feasible &= np.asarray(c.satisfied(table[c.objective].to_numpy(), float(c.resolve())), bool)
        for (i, vals), ok in zip(table.iterrows(), feasible, strict=True):
            if str(i) not in seen and ok:
                newer[f"offline:{i}"] = vals.to_numpy()
    probs: dict[str, list[float]] = {}
    values: dict[str, Any] = {}
    for w in windows:
        crow = f.row(champ, w)
        if crow is None:
            return
        cval = np.array([f.evidence(crow, n)[0] for n in names])
        csd = np.array([f.sd(crow, n) for n in names])
        comp = _compliance(f.df[f.df["window_start"] == w], model, champ, strict=False)
        infeasible = set(comp.loc[~comp["met"].fillna(True).astype(bool), "version"])
        others = {str(v): f.row(str(v), w) for v in f.df.loc[f.df["window_start"] == w, "version"] if str(v) != champ}
        for v, orow in others.items():
            if v in infeasible:
                continue
            oval = np.array([f.evidence(orow, n)[0] for n in names])
            osd = np.array([f.sd(orow, n) for n in names])
            p = _p_dominates(sign * (cval - oval), np.hypot(csd, osd), tol)
            probs.setdefault(v, []).append(p)
            values.setdefault(v, {})[str(pd.Timestamp(w))] = dict(zip(names, oval.tolist(), strict=True))
        for v, oval in newer.items():
            probs.setdefault(v, []).append(_p_dominates(sign * (cval - oval), csd, tol))
        values.setdefault(champ, {})[str(pd.Timestamp(w))] = dict(zip(names, cval.tolist(), strict=True))
    winners = {v: p for v, p in probs.items() if len(p) == len(windows) and min(p) >= f.level}
    if not winners:
        return
    best = max(winners, key=lambda v: min(winners[v]))
    p = min(winners[best])
    where = "offline candidate" if best.startswith("offline:") else "live version"
    latest_vals = values.get(best, {}).get(
        str(pd.Timestamp(windows[-1])), dict(zip(names, newer.get(best, []), strict=False))
    )
    diffs = "; ".join(
        f"{n} {format_number(latest_vals.get(n), _unit(model, n))} vs {format_number(values[champ][str(pd.Timestamp(windows[-1]))][n], _unit(model, n))}"
        for n in names
    )
    rule = f"P(dominates beyond tolerance) >= {format_percent(f.level)}" + (
        f" in each of {k} consecutive windows" if k > 1 else ""
    )
    add(
        "champion_dominated",
        "warning",
        f"champion {champ} is dominated beyond tolerance by {where} {best} with probability "
        f"{format_percent(p)} (at least {format_percent(f.level)}) {_window_text(f, k, when)}: {diffs} "
        f"(rule: {rule}).",
        version=champ,
        value=p,
        threshold=f.level,
        evidence={
            "dominated_by": sorted(winners),
            "probability": {v: min(ps) for v, ps in winners.items()},
            "probability_by_window": winners,
            "values": values,
            "rule": rule,
            "tolerance": {o.name: o.tolerance for o in model.objectives},
            "offline": [v for v in winners if v.startswith("offline:")],
            "windows": [pd.Timestamp(w) for w in windows],
        },
    )


# --- acceptability -----------------------------------------------------------------------------


def _acceptability_of(model, table: pd.DataFrame, champ: str, samples: int) -> pd.Series:
    """First-rank SMAA-2 acceptability (seed 0) of each version, constraints ignored."""
    from workbench import analysis

    result = analysis.smaa(
        _frame_for(table), model.with_constraints([]), samples=samples, seed=0, champion=champ, confidence_samples=1
    )
    return result.first_rank.astype("float64")


def _benefit_of_doubt(
    model, f: _Frame, w: Any, table: pd.DataFrame, champ: str, favour: bool = True
) -> pd.DataFrame | None:
    """The champion at the favourable end of its intervals and the others at the unfavourable end
    (``favour=False``: the reverse); ``None`` when a bound is missing (too few observations)."""
    out = table.copy()
    for o in model.objectives:
        if not f.has_interval(o.name):
            continue
        for v in out.index:
            row = f.row(str(v), w)
            _, lo, hi, _ = f.evidence(row, o.name)
            good, bad = (lo, hi) if o.direction == "min" else (hi, lo)
            pick = good if (str(v) == champ) == favour else bad
            if not np.isfinite(pick):
                return None
            out.loc[v, o.name] = pick
    return out


def _acceptability(add, model, f: _Frame, champ, decision, thresholds: Thresholds, when: str) -> None:
    k = thresholds.for_windows
    windows = f.last(k)
    if not windows:
        return
    names = model.names
    live, _ = _window_table(f.df, windows[-1], names)
    reference, ref_text = None, ""
    options = {str(o.get("id")): o.get("values") or {} for o in (getattr(decision, "options", None) or [])}
    if options and all(str(v) in options and all(n in options[str(v)] for n in names) for v in live.index):
        rec = pd.DataFrame({str(v): {n: float(options[str(v)][n]) for n in names} for v in live.index}).T
        reference = float(_acceptability_of(model, rec, champ, thresholds.smaa_samples).get(champ, 0.0))
        ref_text = "the decision's recorded values of the same versions"
    else:
        first = f.windows[0]
        if first in windows:
            return  # the reference would be a window under test
        ref_rows, _ = _window_table(f.df, first, names)
        ref_rows = ref_rows[[v in live.index for v in ref_rows.index]]
        if champ not in ref_rows.index or len(ref_rows) < 2:
            return
        pessimistic = _benefit_of_doubt(model, f, first, ref_rows, champ, favour=False)
        if pessimistic is None:
            return  # the reference window has too few observations to serve as one
        reference = float(_acceptability_of(model, pessimistic, champ, thresholds.smaa_samples).get(champ, 0.0))
        ref_text = (
            f"the first window ({pd.Timestamp(first):%Y-%m-%d %H:%M} UTC, the champion at the unfavourable "
            "ends of its intervals)"
        )
    nows, raw_now, leader = [], None, None
    for w in windows:
        table, _ = _window_table(f.df, w, names)
        if champ not in table.index or len(table) < 2:
            return
        doubt = _benefit_of_doubt(model, f, w, table, champ)
        if doubt is None:
            return  # too few observations in a window under test: no verdict
        robust = _acceptability_of(model, doubt, champ, thresholds.smaa_samples)
        nows.append(float(robust.get(champ, 0.0)))
        if w == windows[-1]:
            point = _acceptability_of(model, table, champ, thresholds.smaa_samples)
            raw_now, leader = float(point.get(champ, 0.0)), (str(point.idxmax()), float(point.max()))
    drop = reference - max(nows)
    if drop <= thresholds.acceptability:
        return
    rule = (
        f"drop > {format_number(thresholds.acceptability)} below the reference with the champion given the "
        f"benefit of the doubt of its intervals" + (f", for {k} consecutive windows" if k > 1 else "")
    )
    add(
        "acceptability_drop",
        "warning",
        f"champion {champ} ranks first in {format_percent(raw_now)} of {format_count(thresholds.smaa_samples)} "
        f"SMAA-2 weight samples among the live versions {_window_text(f, k, when)} (at most "
        f"{format_percent(max(nows))} even at the favourable ends of its {format_percent(f.level)} intervals), "
        f"down from {format_percent(reference)} in {ref_text}; {leader[0]} leads with {format_percent(leader[1])} "
        f"(rule: {rule}).",
        version=champ,
        value=raw_now,
        threshold=reference - thresholds.acceptability,
        evidence={
            "acceptability": raw_now,
            "acceptability_benefit_of_doubt": nows,
            "reference": reference,
            "reference_from": ref_text,
            "drop": drop,
            "samples": thresholds.smaa_samples,
            "seed": 0,
            "rule": rule,
            "windows": [pd.Timestamp(w) for w in windows],
        },
    )


# --- hypervolume -------------------------------------------------------------------------------


def _hv_bounds(model, frames: list[pd.DataFrame], recorded: Mapping[str, Any] | None):
    """(ideal, nadir, sign) arrays in minimisation space shared by every front compared."""
    from workbench.analysis.problem import problem
    from workbench.analysis.scoring import normalization_bounds

    bare = model.with_constraints([])
    pooled = pd.concat([fr.set_axis([f"{i}:{j}" for j in fr.index]) for i, fr in enumerate(frames)])
    prob = problem(_frame_for(pooled), bare)
    ideal, nadir, declared = normalization_bounds(prob, None)
    source = ["declared" if d else "data" for d in declared]
    if recorded:
        for j, n in enumerate(prob.names):
            b = recorded.get(n) if isinstance(recorded, Mapping) else None
            if b and b.get("ideal") is not None and b.get("nadir") is not None:
                ideal[j], nadir[j] = float(b["ideal"]) * prob.sign[j], float(b["nadir"]) * prob.sign[j]
                source[j] = "recorded"
    return ideal, nadir, prob.sign, prob.names, source


@dataclass(frozen=True)
class _HvSpace:
    """Where every compared front is measured: shared bounds (minimisation space) and tolerances,
    and the seeded noise that resamples a window's table within its figures' intervals."""

    order: list[str]
    ideal: np.ndarray
    nadir: np.ndarray
    sign: np.ndarray
    source: list[str]
    tol: np.ndarray | None
    bootstrap: int
    rng: np.random.Generator

    def hv(self, values: np.ndarray) -> float:
        from workbench.analysis.indicators import hypervolume
        from workbench.analysis.pareto import front_mask
        from workbench.analysis.scoring import normalize

        F = values * self.sign
        N = normalize(F, self.ideal, self.nadir)
        return float(hypervolume(N[front_mask(F, self.tol)]))

    def of(self, table: pd.DataFrame) -> float:
        return self.hv(table[self.order].to_numpy(dtype="float64"))

    def draws(self, f: _Frame, table: pd.DataFrame, w: Any) -> np.ndarray:
        """Hypervolumes of ``bootstrap`` tables redrawn within each figure's standard error."""
        vals = table[self.order].to_numpy(dtype="float64")
        sd = np.array([[f.sd(f.row(str(v), w), n) for n in self.order] for v in table.index])
        if not np.isfinite(sd).all():
            raise _NoVerdict  # a figure without an interval (too few observations)
        noise = self.rng.standard_normal((self.bootstrap, *vals.shape))
        return np.array([self.hv(vals + noise[b] * sd) for b in range(self.bootstrap)])

    def bounds(self) -> dict[str, dict[str, Any]]:
        return {
            n: {
                "ideal": float(self.ideal[j] * self.sign[j]),
                "nadir": float(self.nadir[j] * self.sign[j]),
                "source": self.source[j],
            }
            for j, n in enumerate(self.order)
        }


def _hypervolume(add, model, f: _Frame, first, decision, thresholds: Thresholds, when: str) -> None:
    prov = (getattr(decision, "provenance", None) or {}) if decision is not None else {}
    recorded = prov.get("hypervolume")
    if recorded is not None and not set(model.names) <= set(prov.get("bounds") or {}):
        recorded = None  # a hypervolume is comparable only under the bounds it was computed with
    k = thresholds.for_windows
    windows = f.last(k)
    names = model.names
    if not windows:
        return
    if recorded is None and first in windows:
        return
    tables = [_window_table(f.df, w, names)[0] for w in windows]
    if any(t.empty for t in tables):
        return
    ref_table = None if recorded is not None else _window_table(f.df, first, names)[0]
    if ref_table is not None and ref_table.empty:
        return
    rb = prov.get("bounds") if recorded is not None else None
    ideal, nadir, sign, order, source = _hv_bounds(model, tables + ([ref_table] if ref_table is not None else []), rb)
    tol = np.array([float(model[n].tolerance or 0.0) for n in order])
    space = _HvSpace(
        order, ideal, nadir, sign, source, tol if tol.any() else None, thresholds.bootstrap, np.random.default_rng(0)
    )
    try:
        if recorded is not None:
            hv_ref = float(recorded)
            ref_draws = np.full(thresholds.bootstrap, hv_ref)
            reference = "the decision's recorded hypervolume"
        else:
            hv_ref = space.of(ref_table)
            ref_draws = space.draws(f, ref_table, first)
            reference = f"the first window ({pd.Timestamp(first):%Y-%m-%d %H:%M} UTC)"
        if hv_ref <= 0:
            return
        a = (1 - f.level) / 2
        per_window = []
        for table, w in zip(tables, windows, strict=True):
            hv_now = space.of(table)
            lo, hi = np.quantile(space.draws(f, table, w) - ref_draws, [a, 1 - a])
            change = (hv_now - hv_ref) / hv_ref
            per_window.append(
                {
                    "window": pd.Timestamp(w),
                    "hypervolume": hv_now,
                    "relative_change": change,
                    "difference_interval": [float(lo), float(hi)],
                    "fires": abs(change) > thresholds.hypervolume and (lo > 0 or hi < 0),
                }
            )
    except _NoVerdict:
        return
    if not all(p["fires"] for p in per_window):
        return
    last = per_window[-1]
    change, hv_now = last["relative_change"], last["hypervolume"]
    direction = "shrank" if change < 0 else "grew"
    lo, hi = last["difference_interval"]
    rule = (
        f"relative change > {format_percent(thresholds.hypervolume)} and the {format_percent(f.level)} "
        f"bootstrap interval of HV_now - HV_ref ({thresholds.bootstrap} draws) excludes 0"
        + (f", for {k} consecutive windows" if k > 1 else "")
    )
    add(
        "hypervolume_shift",
        "warning",
        f"The live front's hypervolume {direction} by {format_percent(abs(change))} {_window_text(f, k, when)} "
        f"versus {reference} ({format_number(hv_now)} vs {format_number(hv_ref)}, normalised with shared "
        f"bounds; difference {format_interval(lo, hi)} at {format_percent(f.level)}) (rule: {rule}).",
        value=hv_now,
        threshold=thresholds.hypervolume,
        evidence={
            "hypervolume": hv_now,
            "reference_hypervolume": hv_ref,
            "relative_change": change,
            "reference": reference,
            "reference_window": None if recorded is not None else _ts(first),
            "bounds": space.bounds(),
            "per_window": per_window,
            "rule": rule,
            "versions": sorted(map(str, tables[-1].index)),
        },
    )


class _NoVerdict(Exception):
    """A check that cannot be judged on the data (a figure without an interval)."""


# --- conflicts ---------------------------------------------------------------------------------


#: Up to this many versions the Spearman test is exact: every pairing of the ranks (8! = 40,320).
EXACT_SPEARMAN_N = 8


def spearman_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p-value of Spearman's rank correlation of ``x`` and ``y`` (1 when undefined).

    With a few versions, the t approximation of ``scipy.stats.spearmanr`` is far off: three
    versions in the same order give p = 0, where only 2 of the 6 orders of three are as extreme
    (p = 1/3). Up to :data:`EXACT_SPEARMAN_N` values the p-value is exact (Pearson's correlation
    of the ranks against every permutation of them); above, the t approximation.

    >>> round(spearman_p(np.array([1.0, 2, 3]), np.array([10.0, 20, 30])), 4)
    0.3333
    >>> round(spearman_p(np.arange(5.0), np.arange(5.0) ** 2), 4)  # 2 of the 120 orders
    0.0167
    """
    from scipy.stats import PermutationMethod, pearsonr, rankdata, spearmanr

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return 1.0
    if len(x) <= EXACT_SPEARMAN_N:
        res = pearsonr(rankdata(x), rankdata(y), method=PermutationMethod(n_resamples=np.inf))
    else:
        res = spearmanr(x, y)
    p = float(res.pvalue)
    return min(p, 1.0) if np.isfinite(p) else 1.0


def _spearman_p(table: pd.DataFrame, a: str, b: str) -> float:
    return spearman_p(table[a].to_numpy(), table[b].to_numpy())


def _conflicts(add, model, f: _Frame, live, first, latest, decision, thresholds: Thresholds, when: str) -> None:
    from workbench.analysis.conflicts import conflicts

    if len(live) < 3 or len(model.names) < 2:
        return
    df = f.df
    prov = (getattr(decision, "provenance", None) or {}) if decision is not None else {}
    recorded = prov.get("conflicts")
    first_rows = None
    if recorded:
        ref = {(c["a"], c["b"]): c.get("rho") for c in recorded}
        reference = "the decision's recorded conflicts"
    else:
        if first == latest:
            return
        first_rows, _ = _window_table(df, first, model.names)
        if len(first_rows) < 3:
            return
        bare = model.with_constraints([])
        ref = {(r.a, r.b): r.rho for r in conflicts(_frame_for(first_rows), bare).itertuples()}
        reference = f"the first window ({pd.Timestamp(first):%Y-%m-%d %H:%M} UTC)"
    now = conflicts(_frame_for(live), model.with_constraints([]))
    t = thresholds.conflict
    alpha = 1 - f.level
    for r in now.itertuples():
        before = ref.get((r.a, r.b), ref.get((r.b, r.a)))
        if before is None or not np.isfinite(r.rho) or not math.isfinite(float(before)):
            continue
        before = float(before)
        if abs(before) < t or abs(r.rho) < t or np.sign(before) == np.sign(r.rho):
            continue
        p_now = _spearman_p(live, r.a, r.b)
        p_ref = _spearman_p(first_rows, r.a, r.b) if first_rows is not None else 0.0
        decisive = len(live) >= MIN_VERSIONS_CONFLICT and p_now < alpha and p_ref < alpha

        def word(rho: float) -> str:
            return "conflict" if rho < 0 else "synergy"

        rule = (
            f"sign flip with |rho| >= {format_number(t)}, >= {MIN_VERSIONS_CONFLICT} live versions and "
            f"Spearman p < {format_number(alpha)} in both"
        )
        note = (
            ""
            if decisive
            else (
                f" Not decisive: {len(live)} live versions"
                + (f" (fewer than {MIN_VERSIONS_CONFLICT})" if len(live) < MIN_VERSIONS_CONFLICT else "")
                + f", Spearman p = {format_number(p_now)} now; with few versions a correlation flips by chance."
            )
        )
        add(
            "conflict_flip",
            "warning" if decisive else "info",
            f"{r.a} and {r.b} turned from {word(before)} (rho {before:+.2f}) to {word(r.rho)} "
            f"(rho {r.rho:+.2f}) on the live versions in {when}, versus {reference} (rule: {rule}).{note}",
            objective=f"{r.a}/{r.b}",
            value=r.rho,
            threshold=t,
            evidence={
                "a": r.a,
                "b": r.b,
                "rho": float(r.rho),
                "reference_rho": before,
                "p_value": p_now,
                "reference_p_value": p_ref if first_rows is not None else None,
                "rule": rule,
                "decisive": decisive,
                "reference": reference,
                "versions": sorted(map(str, live.index)),
            },
        )
