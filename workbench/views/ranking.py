"""Ranking views: score bars in rank order and SMAA rank acceptability."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.format import format_number
from workbench.views._data import Built, ChartError, MissingResultError, chart_table, finish, records, tip
from workbench.views.pareto import status_scale, tooltips

__all__ = ["ranking_bars", "acceptability_bars"]


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ChartError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def ranking_bars(analysis: Any, top: int = 20, *, width: int = 360) -> alt.LayerChart:
    """Scores of the best-ranked candidates as horizontal bars, in rank order.

    Feasible candidates come first by score; infeasible ones rank after all of them (by total
    violation) and are drawn in vermillion with "✗ infeasible" next to the bar.

    Parameters
    ----------
    analysis : Analysis
    top : int
        How many candidates, best rank first; the subtitle says how many there are in all.
    width : int
        Width of the bars' area in pixels (the height follows the number of bars).

    Returns
    -------
    altair.LayerChart
        Dataset ``ranking``: the columns of the ``candidates`` dataset plus ``text``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"},
    ...     {"name": "ms", "direction": "min", "constraint": "<= 30"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.90, 0.80, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    >>> [r["candidate"] for r in ranking_bars(analyze(df, qm), top=3).to_dict()["datasets"]["ranking"]]
    ['a', 'b', 'c']
    """
    top = _positive(top, "top")
    table = chart_table(analysis)
    shown = table.sort_values(["rank", "candidate"], kind="stable").head(top).copy()
    shown["text"] = [
        format_number(s) + ("" if ok else "  ✗ infeasible")
        for s, ok in zip(shown["score"], shown["feasible"], strict=True)
    ]
    order = shown["candidate"].tolist()
    base = alt.Chart(alt.NamedData(name="ranking"))
    y = alt.Y(field="candidate", type="nominal", sort=order, title=None)
    bars = base.mark_bar(height={"band": 0.8}).encode(
        y=y,
        x=alt.X(field="score", type="quantitative", title=f"score ({analysis.method}; ↑ better)"),
        # the legend sits above the bars, where the score texts at the bars' ends cannot reach it
        color=alt.Color(
            field="status",
            type="nominal",
            scale=status_scale(),
            legend=alt.Legend(title="status", orient="top", direction="horizontal"),
        ),
        tooltip=tooltips(analysis, shown),
    )
    text = base.mark_text(align="left", dx=4, fontSize=10, color="#333333").encode(
        y=y, x=alt.X(field="score", type="quantitative"), text=alt.Text(field="text", type="nominal")
    )
    chart = alt.layer(bars, text).properties(width=width, height=alt.Step(18))
    n = len(table)
    subtitle = [
        f"Top {len(shown)} of {n:,} candidates by rank" if len(shown) < n else f"All {n:,} candidates by rank",
        "Infeasible candidates rank after every feasible one, whatever their score.",
    ]
    return finish(Built(chart, {"ranking": records(shown)}), "Ranking", subtitle)


def acceptability_bars(analysis: Any, top: int = 20, ranks: int = 5, *, width: int = 360) -> alt.LayerChart:
    """SMAA rank acceptability: for each candidate, the share of sampled weights giving each rank.

    Parameters
    ----------
    analysis : Analysis
        Run with SMAA: ``analyze(..., smaa=10_000)``.
    top : int
        How many competing candidates, by first-rank acceptability (then rank).
    ranks : int
        Ranks shown one by one; the acceptability of worse ranks is grouped as ``"<ranks+1>+"``.

    Returns
    -------
    altair.LayerChart
        Dataset ``acceptability`` with one row per (candidate, rank group): ``candidate``,
        ``rank_group``, ``rank_order``, ``acceptability``, ``first_rank``, ``confidence``.

    Raises
    ------
    MissingResultError
        The analysis was run without SMAA.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}]})
    >>> df = pd.DataFrame({"id": list("abc"), "acc": [0.9, 0.8, 0.7], "ms": [20, 10, 30]})
    >>> acceptability_bars(analyze(df, qm))
    Traceback (most recent call last):
    ...
    workbench.views._data.MissingResultError: acceptability_bars needs SMAA results...
    """
    top, ranks = _positive(top, "top"), _positive(ranks, "ranks")
    smaa = analysis.smaa
    if smaa is None:
        raise MissingResultError(
            "acceptability_bars needs SMAA results, but this analysis was run without SMAA (smaa=0).\n"
            "  Fix: analyze(..., smaa=10_000)"
        )
    acc = smaa.acceptability
    competing = smaa.competing.reindex(acc.index).fillna(False).astype(bool)
    acc = acc.loc[competing.to_numpy()]
    table = analysis.table
    first = acc.iloc[:, 0] if acc.shape[1] else pd.Series(0.0, index=acc.index)
    order = pd.DataFrame(
        {"first": first.to_numpy(), "rank": table["rank"].reindex(acc.index).to_numpy(), "id": acc.index.astype(str)}
    )
    order = order.sort_values(["first", "rank", "id"], ascending=[False, True, True], kind="stable")
    shown = acc.iloc[order.index[:top]]
    cols = list(shown.columns)
    groups = [(str(r), i + 1, [r]) for i, r in enumerate(cols[:ranks])]
    if len(cols) > ranks:
        groups.append((f"{ranks + 1}+", ranks + 1, cols[ranks:]))
    rows = []
    for cid in shown.index:
        for label, pos, members in groups:
            value = float(shown.loc[cid, members].sum())
            if value > 0:
                rows.append(
                    {
                        "candidate": str(cid),
                        "rank_group": label,
                        "rank_order": pos,
                        "acceptability": value,
                        "first_rank": float(shown.loc[cid, cols[0]]),
                        "confidence": smaa.confidence.get(cid, np.nan),
                    }
                )
    data = pd.DataFrame(
        rows, columns=["candidate", "rank_group", "rank_order", "acceptability", "first_rank", "confidence"]
    )
    domain = [g[0] for g in groups]
    y = alt.Y(field="candidate", type="nominal", sort=[str(c) for c in shown.index], title=None)
    bars = (
        alt.Chart(alt.NamedData(name="acceptability"))
        .mark_bar(height={"band": 0.8})
        .encode(
            y=y,
            x=alt.X(
                field="acceptability",
                type="quantitative",
                stack="zero",
                title="share of sampled weights",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                field="rank_group", type="ordinal", title="rank", scale=alt.Scale(domain=domain, scheme="viridis")
            ),
            order=alt.Order(field="rank_order", type="quantitative", sort="ascending"),
            tooltip=[
                tip("candidate", kind="nominal"),
                tip("rank_group", "rank", kind="ordinal"),
                tip("acceptability", "acceptability", ".1%"),
                tip("first_rank", "first-rank acceptability", ".1%"),
                tip("confidence", "confidence factor", ".1%"),
            ],
        )
    )
    chart = alt.layer(bars).properties(width=width, height=alt.Step(18))
    n = int(competing.sum())
    subtitle = [
        f"{smaa.samples:,} weight samples ({smaa.weights}), method {smaa.method}, seed {smaa.seed}.",
        (
            f"Top {len(shown)} of {n:,} competing candidates by first-rank acceptability"
            if len(shown) < n
            else f"All {n:,} competing candidates (the feasible front)"
        )
        + (f"; ranks past {ranks} grouped." if len(cols) > ranks else "."),
    ]
    return finish(Built(chart, {"acceptability": records(data)}), "Rank acceptability (SMAA)", subtitle)
