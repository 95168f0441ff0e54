"""Plain-language "why this candidate" sentences, read off an :class:`~workbench.Analysis`.

Pure text over the engine's results (trade-off rates, pseudo-weights, SMAA, weight stability):
no Jupyter import, no new numbers. A memo or a review could use the same sentences.
"""

from __future__ import annotations

import numpy as np

from widgets._format import format_share
from workbench import Analysis

__all__ = ["explain"]


def _shares(weights: dict[str, float], *, skip_below: float = 0.005) -> str:
    items = sorted(weights.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {format_share(w)}" for name, w in items if w >= skip_below)


def explain(analysis: Analysis, candidate: str) -> list[str]:
    r"""Sentences that explain where ``candidate`` stands and what choosing it trades.

    The first sentence is its standing (rank, score, feasibility, front); then its trade-offs
    against its neighbours on the front (in the objectives' units), its pseudo-weights ("it
    effectively weighs ..."), its first-rank acceptability when SMAA ran, and — for the top
    candidate — how far each weight may move before another candidate takes over.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> qm = wb.QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_ms", "direction": "min", "unit": "ms"}, {"name": "recall", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["fast", "mid", "slow"], "latency_ms": [10, 45, 120],
    ...                    "recall": [0.90, 0.95, 0.96]})
    >>> standing, rates, pseudo, *rest = explain(wb.analyze(df, qm), "mid")
    >>> standing
    'mid ranks 1 of 3 (score 0.758 by weighted_sum); it meets every constraint and is on the Pareto front.'
    >>> print(rates.replace(". ", ".\n"))
    Against its neighbours on the front: mid → fast: latency_ms 35 ms lower (better); recall 0.05 lower (worse).
    mid → slow: recall 0.01 higher (better); latency_ms 75 ms higher (worse).
    >>> pseudo
    'It effectively weighs recall 55 %, latency_ms 45 % (its pseudo-weights: where it sits on the front).'
    """
    t = analysis.table
    cid = str(candidate)
    row = t.loc[cid]
    n = len(t)
    rank, score = int(row["rank"]), float(row["score"])
    standing = f"{cid} ranks {rank} of {n:,} (score {score:.3g} by {analysis.method}); "
    if not bool(row["feasible"]):
        standing += f"it breaks a hard constraint (total relative violation {float(row['violation']):.3g})"
        broken = _broken_constraints(analysis, cid)
        standing += f": {broken}." if broken else "."
    elif int(row["front"]) == 0:
        standing += "it meets every constraint and is on the Pareto front."
    else:
        standing += (
            f"it meets every constraint but is not on the Pareto front (front {int(row['front'])}): "
            "another feasible candidate is at least as good on every objective."
        )
    if bool(row["knee"]):
        standing += " It is a knee of the front (a large sacrifice elsewhere for any gain)."
    out = [standing]

    rates = analysis.rates
    mine = rates[rates["candidate"].astype(str) == cid] if len(rates) else rates
    if len(mine):
        out.append("Against its neighbours on the front: " + " ".join(f"{s}." for s in mine["text"]))
    elif cid in analysis.pseudo_weights.index:
        out.append("It is the only candidate on the front: nothing to trade against.")

    if cid in analysis.pseudo_weights.index:
        pw = analysis.pseudo_weights.loc[cid].to_dict()
        out.append(f"It effectively weighs {_shares(pw)} (its pseudo-weights: where it sits on the front).")
    out.append(f"Your weights: {_shares(analysis.weights)}.")

    smaa = analysis.smaa
    if smaa is not None and cid in smaa.first_rank.index:
        first = float(smaa.first_rank.loc[cid])
        where = f"{smaa.samples:,} sampled weightings (SMAA-2, {smaa.weights} weights)"
        if first > 0:
            conf = smaa.confidence.loc[cid]
            text = f"It ranks first under {format_share(first)} of {where}"
            if np.isfinite(conf):
                text += f"; confidence factor {float(conf):.2f}"
            out.append(text + ".")
        else:
            out.append(f"It never ranks first under {where}.")

    unc = analysis.uncertainty
    if unc is not None and unc.candidate == cid and unc.text:
        out.append(unc.text)  # the seed-noise verdict: robust, fragile or indistinguishable
    if unc is not None:
        n = unc.counts.get(cid)
        if n is not None and int(n) >= 1:
            out.append(
                f"Its values are means over {int(n)} complete seed replicate{'s' if int(n) != 1 else ''}"
                f" (± is the half-width of the {format_share(unc.level)} interval in the table)."
            )
        out += [note for note in unc.notes if note.startswith(f"{cid}:")]

    stab = analysis.stability
    if stab is not None and stab.attrs.get("top") == cid:
        moves = []
        for name, s in stab.iterrows():
            ends = []
            if s["lower_winner"] is not None:
                ends.append(f"down to {format_share(s['lower'])} (then {s['lower_winner']})")
            if s["upper_winner"] is not None:
                ends.append(f"up to {format_share(s['upper'])} (then {s['upper_winner']})")
            if ends:
                moves.append(f"{name} {format_share(s['weight'])} → " + " or ".join(ends))
        if moves:
            out.append("It stays first while each weight moves alone: " + "; ".join(moves) + ".")
        else:
            out.append("It stays first whichever single weight moves, from 0 % to 100 %.")
    return out


def _broken_constraints(analysis: Analysis, cid: str) -> str:
    """The resolved constraints ``cid`` breaks, by name (those with a positive violation)."""
    from workbench.analysis import feasibility

    feas = feasibility(analysis.candidates, analysis.model, champion=analysis.champion)
    row = feas.loc[cid].drop(["feasible", "violation"])
    return ", ".join(str(name) for name, v in row.items() if float(v) > 0)
