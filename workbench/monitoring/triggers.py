"""Review triggers: when monitoring data says a recorded trade-off decision no longer holds.

:func:`detect` reads an aggregated frame (one row per (version, window_start), see
:func:`workbench.monitoring.aggregate`) and returns :class:`Trigger` objects. The *latest window*
is the largest ``window_start``; the *live versions* are the versions with a row in it; the
*first window* is the smallest ``window_start``. Versions whose objective values are missing in
a window are left out of that window's comparisons and reported by an ``incomplete_window``
trigger (severity ``info``), never dropped silently.

Kinds
-----
``constraint_violated``
    A live version violates a hard constraint in the latest window (``warning``; ``critical`` for
    the champion). Checked for every version, with or without a decision. A relative constraint
    that cannot be resolved (no champion) gives one ``constraint_unresolved`` ``info`` trigger.
``champion_dominated`` (``warning``)
    Another live version, or a newer offline candidate (one the decision did not consider), that
    meets the constraints dominates the champion beyond tolerance in the latest window — the
    rule and wording of :func:`workbench.decisions.pushdown.gate`.
``acceptability_drop`` (``warning``)
    The champion's SMAA-2 first-rank acceptability among the live versions in the latest window
    (``workbench.analyze(..., smaa=N, seed=0)``) is below ``Thresholds.acceptability``.
``hypervolume_shift`` (``warning``)
    The relative change ``|HV_now - HV_ref| / HV_ref`` of the live front's hypervolume exceeds
    ``Thresholds.hypervolume``. Reference: the hypervolume recorded in the decision's provenance
    (``provenance["hypervolume"]``) when present — then ``HV_now`` is ``analyze(...).hypervolume``
    of the latest window, the rule the decision used — otherwise the first window. Against the
    first window both fronts are normalised with *the same* bounds: the objective's declared
    ``bounds`` where given, else the data rule of ``workbench.analysis.scoring`` (ideal = best
    value, nadir = worst value on the Pareto front) applied to the two windows pooled, so that a
    uniform degradation of every version shows as a shrinking hypervolume. The front here is the
    non-dominated live versions, constraints ignored (violations have their own trigger).
``conflict_flip`` (``warning``)
    The sign of an objective pair's rank correlation (``workbench.analysis.conflicts``) on the
    live versions flipped versus the decision's recorded conflicts (``provenance["conflicts"]``,
    a list of ``{a, b, rho}``) or, without them, versus the first window. Only decisive
    relations count: both correlations must be at least ``Thresholds.conflict`` in magnitude
    (default 0.3, the conflict/synergy threshold), and both windows need 3 or more live versions.
``champion_not_live`` (``info``)
    The decision's chosen candidate is not a version of the monitoring data; the decision checks
    that need the champion are skipped (pass ``champion=`` to map it).

A review is due when any trigger is ``warning`` or ``critical`` (:func:`review_due`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitoring.slo import _compliance, _frame

__all__ = ["Trigger", "Thresholds", "detect", "review_due", "KINDS", "SEVERITIES"]

SEVERITIES = ("info", "warning", "critical")
KINDS = ("constraint_violated", "champion_dominated", "acceptability_drop", "hypervolume_shift",
         "conflict_flip", "constraint_unresolved", "champion_not_live", "incomplete_window")


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of :func:`detect`.

    Parameters
    ----------
    acceptability : float
        ``acceptability_drop`` fires below this first-rank acceptability (default 0.5, the
        decision record's ``ACCEPTABILITY_TRIGGER``).
    hypervolume : float
        ``hypervolume_shift`` fires above this relative change (default 0.1 = 10 %).
    conflict : float
        Minimum ``|rho|`` of both correlations for a ``conflict_flip`` (default 0.3).
    smaa_samples : int
        SMAA-2 weight samples for the acceptability (seed 0).
    """

    acceptability: float = 0.5
    hypervolume: float = 0.1
    conflict: float = 0.3
    smaa_samples: int = 2000


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
        The window the evidence comes from (the latest one).
    objective : str or None
    value, threshold : float or None
        The observed value and the threshold it crossed, in the objective's unit.
    message : str
        A readable sentence in domain units.
    evidence : dict
        The numbers behind it (windows, values, reference values).
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


def _fmt(v: Any) -> str:
    from workbench.format import format_number

    return format_number(v)


def _unit(model: Any, name: str) -> str:
    unit = model[name].unit
    return f" {unit}" if unit else ""


def _ts(v: Any) -> pd.Timestamp | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v)


def _window_table(df: pd.DataFrame, start: Any, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Candidates table of one window (id = version) and the versions with missing values."""
    rows = df[df["window_start"] == start].set_index("version")[names].astype("float64")
    bad = rows.index[~np.isfinite(rows.to_numpy()).all(axis=1)]
    return rows.drop(index=bad), [str(v) for v in bad]


def _frame_for(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.rename_axis("id").reset_index()


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
        One row per (version, window_start) with one column per objective of ``model``.
    model : QualityModel
    decision : DecisionRecord, optional
        The latest decision (``DecisionLog(url).latest()``): its ``chosen`` is the champion, its
        ``candidates`` tell offline candidates apart from newer ones, its provenance may hold a
        reference ``hypervolume`` and ``conflicts``.
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
    ...                     "latency_p95_ms": [100.0, 150.0]})
    >>> [t.message for t in detect(agg, qm)]
    ['v2 violates latency_p95_ms <= 120 in the window from 2026-01-01 00:00 UTC: measured 150 ms (limit 120 ms).']
    """
    df = _frame(aggregated)
    names = model.names
    from workbench.monitoring.slo import _check_columns

    _check_columns(df, names)
    if df.empty:
        return []
    latest, first = df["window_start"].max(), df["window_start"].min()
    live_rows = df[df["window_start"] == latest]
    live_versions = [str(v) for v in live_rows["version"]]
    end = _ts(live_rows["window_end"].iloc[0])
    start = _ts(latest)
    when = f"the window from {start:%Y-%m-%d %H:%M} UTC" if start is not None else "the latest window"
    triggers: list[Trigger] = []

    def add(kind, severity, message, *, version=None, objective=None, value=None, threshold=None,
            evidence=None):
        triggers.append(Trigger(kind, severity, version, start, end, objective,
                                None if value is None else float(value),
                                None if threshold is None else float(threshold), message,
                                {"window_start": start, "window_end": end, **(evidence or {})}))

    # --- the champion -----------------------------------------------------------------------
    if champion is not None and str(champion) not in set(df["version"]):
        from workbench.errors import UnknownNameError, unknown_name

        raise UnknownNameError(unknown_name("Champion", str(champion), sorted(set(df["version"])),
                                            where="a version of the monitoring data"))
    champ = None if champion is None else str(champion)
    chosen = getattr(decision, "chosen", None) if decision is not None else None
    if champ is None and chosen is not None:
        if str(chosen) in set(df["version"]):
            champ = str(chosen)
        else:
            add("champion_not_live", "info",
                f"The decision's chosen candidate {chosen!r} is not a version of the monitoring data; "
                "the champion checks are skipped (pass champion=<version>, CLI --champion).",
                evidence={"chosen": str(chosen), "versions": sorted(set(df["version"]))})
    if champ is None and decision is None:
        champ = model.champion if model.champion in set(df["version"]) else None
    champ_live = champ is not None and champ in live_versions

    # --- constraints (every version) --------------------------------------------------------
    comp = _compliance(df[df["window_start"] == latest], model, champ, strict=False)
    unresolved = sorted(set(comp.loc[comp["limit"].isna() & comp["value"].notna(), "constraint"]))
    for text in unresolved:
        add("constraint_unresolved", "info",
            f"Constraint {text} could not be checked in {when}: its baseline has no value there "
            "(pass the champion's version).", evidence={"constraint": text})
    for _, r in comp[comp["met"].fillna(True) == False].iterrows():  # noqa: E712 - nullable boolean
        v, o = r["version"], r["objective"]
        u = _unit(model, o)
        is_champ = v == champ
        who = f"champion {v}" if is_champ else v
        c = next(c for c in model.constraints if str(c) == r["constraint"])
        limit_text = f"limit {_fmt(r['limit'])}{u}" + (f" from {c.rhs_text()}" if c.is_relative else "")
        msg = f"{who} violates {r['constraint']} in {when}: measured {_fmt(r['value'])}{u} ({limit_text})."
        ev = {"constraint": r["constraint"], "op": r["op"], "value": r["value"], "limit": r["limit"],
              "margin": r["margin"], "n_requests": r["n_requests"]}
        if pd.notna(r["burn_rate"]):
            ev["burn_rate"] = r["burn_rate"]
            msg = msg[:-1] + f", burning the error budget {_fmt(r['burn_rate'])}× as fast as allowed."
        add("constraint_violated", "critical" if is_champ else "warning", msg, version=v, objective=o,
            value=r["value"], threshold=r["limit"], evidence=ev)

    live, missing = _window_table(df, latest, names)
    if missing:
        add("incomplete_window", "info",
            f"{', '.join(missing)} left out of the trade-off checks in {when}: missing objective values.",
            evidence={"versions": missing})

    # --- dominance --------------------------------------------------------------------------
    if champ_live and champ in live.index:
        _dominance(add, model, live, champ, decision, offline, when)
        if len(live) >= 2:
            _acceptability(add, model, live, champ, decision, thresholds, when)
    _hypervolume(add, model, df, live, first, latest, decision, thresholds, when)
    _conflicts(add, model, df, live, first, latest, decision, thresholds, when)

    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(triggers, key=lambda t: (order[t.severity], KINDS.index(t.kind), t.version or ""))


def _dominance(add, model, live: pd.DataFrame, champ: str, decision, offline, when: str) -> None:
    from workbench.decisions.pushdown import gate

    pool = live.copy()
    newer: list[str] = []
    if offline is not None:
        from workbench.sources.candidates import Candidates, from_frame

        cands = offline if isinstance(offline, Candidates) else from_frame(offline)
        table = cands.for_model(model).table[model.names].astype("float64")
        seen = set(getattr(decision, "candidates", ()) or ())
        table = table[[str(i) not in seen for i in table.index]]
        table.index = [f"offline:{i}" for i in table.index]
        newer = list(table.index)
        pool = pd.concat([pool, table])
    if len(pool) < 2:
        return
    result = gate(_frame_for(pool), model, champ, champion=champ)
    if not result.dominated_by:
        return
    reasons = [r for r in result.reasons if "dominated" in r]
    others = result.dominated_by
    values = {k: pool.loc[k].to_dict() for k in [champ, *others]}
    where = "offline candidate" if others[0] in newer else "live version"
    add("champion_dominated", "warning",
        f"champion {champ} is dominated beyond tolerance in {when} by {len(others)} "
        f"{where if len(others) == 1 else 'candidates'} ({', '.join(others[:5])}): " + "; ".join(reasons[:1])
        + ".", version=champ,
        evidence={"dominated_by": others, "reasons": reasons, "values": values,
                  "tolerance": {o.name: o.tolerance for o in model.objectives},
                  "offline": [o for o in others if o in newer]})


def _acceptability(add, model, live, champ, decision, thresholds: Thresholds, when: str) -> None:
    from workbench.analysis.analyze import analyze

    a = analyze(_frame_for(live), model, champion=champ, smaa=thresholds.smaa_samples, seed=0,
                stability=False)
    accept = a.table["acceptability"].astype("float64")
    value = float(accept.get(champ, 0.0))
    if value >= thresholds.acceptability:
        return
    recorded = (getattr(decision, "robustness", None) or {}).get("chosen_acceptability") if decision else None
    best = str(accept.idxmax())
    msg = (f"champion {champ} ranks first in only {value:.1%} of {thresholds.smaa_samples} SMAA-2 weight "
           f"samples among the live versions in {when} (threshold {thresholds.acceptability:.0%}); "
           f"{best} leads with {accept[best]:.1%}")
    msg += f" (recorded at the decision: {recorded:.1%})." if recorded is not None else "."
    add("acceptability_drop", "warning", msg, version=champ, value=value, threshold=thresholds.acceptability,
        evidence={"acceptability": accept.to_dict(), "recorded": recorded,
                  "samples": thresholds.smaa_samples, "seed": 0})


def _hv_pooled(model, ref: pd.DataFrame, now: pd.DataFrame) -> tuple[float, float, dict[str, Any]]:
    """Hypervolumes of two windows' non-dominated versions under common bounds (module docstring)."""
    from workbench.analysis import _kernels as K
    from workbench.analysis._problem import problem
    from workbench.analysis.indicators import hypervolume
    from workbench.analysis.pareto import front_mask
    from workbench.analysis.scoring import _bounds_arrays

    bare = model.with_constraints([])
    pooled = pd.concat([ref.set_axis([f"ref:{i}" for i in ref.index]),
                        now.set_axis([f"now:{i}" for i in now.index])])
    prob = problem(_frame_for(pooled), bare)
    ideal, nadir, declared = _bounds_arrays(prob, None)
    tol = prob.tolerance if prob.tolerance.any() else None
    out = []
    for part in ("ref:", "now:"):
        rows = np.array([str(i).startswith(part) for i in prob.ids])
        F = prob.F[rows]
        N = K.normalize(F, ideal, nadir)
        out.append(hypervolume(N[front_mask(F, tol)]))
    bounds = {n: {"ideal": float(ideal[j] * prob.sign[j]), "nadir": float(nadir[j] * prob.sign[j]),
                  "source": "declared" if declared[j] else "data"} for j, n in enumerate(prob.names)}
    return out[0], out[1], bounds


def _hypervolume(add, model, df, live, first, latest, decision, thresholds: Thresholds, when: str) -> None:
    prov = (getattr(decision, "provenance", None) or {}) if decision is not None else {}
    recorded = prov.get("hypervolume")
    if live.empty:
        return
    if recorded is not None:
        from workbench.analysis.analyze import analyze

        hv_ref = float(recorded)
        hv_now = float(analyze(_frame_for(live), model.with_constraints([]), stability=False).hypervolume)
        reference, bounds = "the decision's recorded hypervolume", None
    else:
        if first == latest:
            return
        ref, _ = _window_table(df, first, model.names)
        if ref.empty:
            return
        hv_ref, hv_now, bounds = _hv_pooled(model, ref, live)
        reference = f"the first window ({pd.Timestamp(first):%Y-%m-%d %H:%M} UTC)"
    if hv_ref <= 0:
        return
    change = (hv_now - hv_ref) / hv_ref
    if abs(change) <= thresholds.hypervolume:
        return
    direction = "shrank" if change < 0 else "grew"
    add("hypervolume_shift", "warning",
        f"The live front's hypervolume {direction} by {abs(change):.1%} in {when} versus {reference} "
        f"({hv_now:.4g} vs {hv_ref:.4g}, normalised; threshold {thresholds.hypervolume:.0%}).",
        value=hv_now, threshold=thresholds.hypervolume,
        evidence={"hypervolume": hv_now, "reference_hypervolume": hv_ref, "relative_change": change,
                  "reference": reference, "reference_window": None if recorded is not None else _ts(first),
                  "bounds": bounds, "versions": sorted(map(str, live.index))})


def _conflicts(add, model, df, live, first, latest, decision, thresholds: Thresholds, when: str) -> None:
    from workbench.analysis.conflicts import conflicts

    if len(live) < 3 or len(model.names) < 2:
        return
    prov = (getattr(decision, "provenance", None) or {}) if decision is not None else {}
    recorded = prov.get("conflicts")
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
    for r in now.itertuples():
        before = ref.get((r.a, r.b), ref.get((r.b, r.a)))
        if before is None or not np.isfinite(r.rho) or not math.isfinite(float(before)):
            continue
        before = float(before)
        if abs(before) < t or abs(r.rho) < t or np.sign(before) == np.sign(r.rho):
            continue
        word = lambda rho: "conflict" if rho < 0 else "synergy"  # noqa: E731
        add("conflict_flip", "warning",
            f"{r.a} and {r.b} turned from {word(before)} (rho {before:+.2f}) to {word(r.rho)} "
            f"(rho {r.rho:+.2f}) on the live versions in {when}, versus {reference}.",
            objective=f"{r.a}/{r.b}", value=r.rho, threshold=t,
            evidence={"a": r.a, "b": r.b, "rho": float(r.rho), "reference_rho": before,
                      "reference": reference, "versions": sorted(map(str, live.index))})
