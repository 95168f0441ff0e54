"""Robustness views: weight stability (tornado) and the per-seed spread of replicated candidates."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.views import theme
from workbench.views._data import (
    MAX_POINTS,
    Built,
    ChartError,
    MissingResultError,
    chart_table,
    fieldname,
    finish,
    objective,
    records,
    tip,
)
from workbench.views.pareto import status_color, unit_title

__all__ = ["stability_tornado", "replicate_spread"]


def stability_tornado(analysis: Any, *, width: int = 420) -> alt.LayerChart:
    """For each objective, the range of its weight over which the top choice stays first.

    A weight moves while the others keep their proportions (see
    :func:`workbench.analysis.weights.weight_stability`). Objectives are sorted by margin,
    the most sensitive on top; a black tick marks the current weight and the candidates that take
    over past each end are named beside the bar and in the tooltip.

    Parameters
    ----------
    analysis : Analysis
        Run with ``stability=True`` (the default) and at least one feasible candidate.

    Returns
    -------
    altair.LayerChart
        Dataset ``stability``: ``objective``, ``label``, ``weight``, ``lower``, ``upper``,
        ``lower_winner``, ``upper_winner``, ``margin``, ``left_text``, ``right_text``.

    Raises
    ------
    MissingResultError
        The analysis has no stability intervals.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": list("abc"), "acc": [0.9, 0.8, 0.7], "ms": [20, 10, 30]})
    >>> rows = stability_tornado(analyze(df, qm)).to_dict()["datasets"]["stability"]
    >>> [(r["objective"], r["lower_winner"], r["upper_winner"]) for r in rows]
    [('acc', 'b', None), ('ms', None, 'b')]
    """
    stab = analysis.stability
    if stab is None:
        why = (
            "no candidate is feasible"
            if not bool(analysis.table["feasible"].any())
            else "it was run with stability=False"
        )
        raise MissingResultError(
            f"stability_tornado needs weight stability intervals, but this analysis has none ({why}).\n"
            "  Fix: analyze(..., stability=True) on candidates of which at least one is feasible."
        )
    top = stab.attrs.get("top")
    data = stab.reset_index()
    data.insert(1, "label", [analysis.model[o].label for o in data["objective"]])
    data["left_text"] = [f"← {w}" if isinstance(w, str) else "" for w in data["lower_winner"]]
    data["right_text"] = [f"{w} →" if isinstance(w, str) else "" for w in data["upper_winner"]]
    data["full_lo"], data["full_hi"] = 0.0, 1.0
    data = data.assign(_m=data["margin"].fillna(np.inf)).sort_values(["_m", "objective"], kind="stable")
    data = data.drop(columns="_m")
    order = data["label"].tolist()
    base = alt.Chart(alt.NamedData(name="stability"))
    y = alt.Y(field="label", type="nominal", sort=order, title=None)
    x = dict(type="quantitative", scale=alt.Scale(domain=[0, 1], nice=False))
    tips = [
        alt.Tooltip(field="objective", type="nominal", title="objective"),
        alt.Tooltip(field="weight", type="quantitative", title="current weight", format=".3f"),
        alt.Tooltip(field="lower", type="quantitative", title=f"{top} first from", format=".3f"),
        alt.Tooltip(field="upper", type="quantitative", title=f"{top} first up to", format=".3f"),
        alt.Tooltip(field="lower_winner", type="nominal", title="first below the range"),
        alt.Tooltip(field="upper_winner", type="nominal", title="first above the range"),
        alt.Tooltip(field="margin", type="quantitative", title="margin", format=".3f"),
    ]
    layers = [
        base.mark_bar(color="#EEEEEE", height={"band": 0.7}).encode(
            y=y, x=alt.X(field="full_lo", title="normalised weight", **x), x2=alt.X2(field="full_hi")
        ),
        base.mark_bar(color=theme.STATUS_COLORS["front"], opacity=0.8, height={"band": 0.7}).encode(
            y=y, x=alt.X(field="lower", **x), x2=alt.X2(field="upper"), tooltip=tips
        ),
        base.mark_tick(color="black", thickness=3, size=22).encode(y=y, x=alt.X(field="weight", **x), tooltip=tips),
    ]
    # winners' names just outside each end of the bar, or just inside it when there is no room
    for end, text, outside in (("lower", "left_text", "right"), ("upper", "right_text", "left")):
        inside = "left" if outside == "right" else "right"
        room = f"datum.{end} {'>=' if end == 'lower' else '<='} {0.15 if end == 'lower' else 0.85}"
        for test, align, dx, colour in (
            (room, outside, -4 if outside == "right" else 4, "#333333"),
            (f"!({room})", inside, 4 if inside == "left" else -4, "white"),
        ):
            mark = base.transform_filter(test).mark_text(align=align, dx=dx, fontSize=10, color=colour)
            layers.append(mark.encode(y=y, x=alt.X(field=end, **x), text=alt.Text(field=text, type="nominal")))
    chart = alt.layer(*layers).properties(width=width, height=alt.Step(34))
    method = stab.attrs.get("method", analysis.method)
    subtitle = [
        f"Bar: the weight range over which {top} stays first ({method}); "
        "tick: the current weight; names: who takes over past each end.",
        "Most sensitive objective on top (smallest margin); the other weights keep their proportions.",
    ]
    return finish(Built(chart, {"stability": records(data)}), f"Weight stability of the top choice, {top}", subtitle)


def replicate_spread(
    analysis: Any, x: str, y: str, *, max_points: int = MAX_POINTS, width: int = 420, height: int = 320
) -> alt.LayerChart:
    """Per-seed spread of replicated candidates: mean ± one standard deviation in ``x`` and ``y``.

    Each candidate with replicates is drawn at its mean, with error bars of one sample standard
    deviation (``analysis.candidates.spread``) in both objectives, and its individual replicates
    as small dots. Overlapping bars mean the difference between two candidates may be seed noise.

    Parameters
    ----------
    analysis : Analysis
        Of candidates loaded with a replicate column: ``workbench.load(df, replicate_column="seed")``.
    x, y : str
        Objectives.
    max_points : int
        At most this many candidates (best rank first) and, separately, this many replicate dots;
        the subtitle says when either is cut.

    Returns
    -------
    altair.LayerChart
        Datasets ``spread`` (``candidate``, the objectives' means under their names, ``x_std``,
        ``x_lo``, ``x_hi``, ``y_std``, ``y_lo``, ``y_hi``, ``replicates``, ``rank``, ``status``) and
        ``replicates`` (``candidate``, ``replicate``, the objectives' values).

    Raises
    ------
    MissingResultError
        The candidates have no replicates.

    Examples
    --------
    >>> import pandas as pd
    >>> import workbench
    >>> qm = workbench.QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": list("aabb"), "seed": [0, 1, 0, 1], "acc": [0.8, 0.9, 0.7, 0.7],
    ...                    "ms": [10, 12, 8, 9]})
    >>> a = workbench.analyze(workbench.load(df, replicate_column="seed"), qm)
    >>> [(r["candidate"], r["x_std"], r["replicates"]) for r in
    ...  replicate_spread(a, "ms", "acc").to_dict()["datasets"]["spread"]]
    [('a', 1.414..., 2), ('b', 0.707..., 2)]
    """
    ox, oy = objective(analysis, x), objective(analysis, y)
    if ox.name == oy.name:
        raise ChartError(f"replicate_spread needs two different objectives; got {x!r} for both x and y.")
    cands = analysis.candidates
    if cands.replicates is None or cands.spread is None:
        raise MissingResultError(
            "replicate_spread needs per-seed replicates, but these candidates have one row each.\n"
            '  Fix: load them with a replicate column, e.g. workbench.load(df, replicate_column="seed").'
        )
    if not isinstance(max_points, (int, np.integer)) or isinstance(max_points, bool) or max_points < 1:
        raise ChartError(f"max_points must be a positive integer, got {max_points!r}.")
    reps = cands.replicates
    counts = reps.groupby(level="candidate", sort=False).size()
    table = chart_table(analysis)
    table = table[table["candidate"].isin(counts.index.astype(str))]
    table = table.sort_values(["rank", "candidate"], kind="stable")
    notes = []
    if len(table) > max_points:
        notes.append(f"The {max_points:,} best-ranked of {len(table):,} replicated candidates are shown.")
        table = table.head(max_points)
    ids = table["candidate"].to_numpy()
    spread = cands.spread.reindex(ids)
    means = reps.groupby(level="candidate", sort=False)[[ox.name, oy.name]].mean().reindex(ids)
    data = pd.DataFrame(
        {
            "candidate": ids,
            ox.name: means[ox.name].to_numpy(dtype="float64"),
            oy.name: means[oy.name].to_numpy(dtype="float64"),
        }
    )
    for axis, o in (("x", ox), ("y", oy)):
        std = spread[o.name].to_numpy(dtype="float64")
        mean = data[o.name].to_numpy()
        data[f"{axis}_std"], data[f"{axis}_lo"], data[f"{axis}_hi"] = std, mean - std, mean + std
    data["replicates"] = counts.reindex(ids).to_numpy()
    data["rank"] = table["rank"].to_numpy()
    data["status"] = table["status"].to_numpy()
    dots = reps.loc[reps.index.get_level_values("candidate").isin(ids), [ox.name, oy.name]].reset_index()
    dots["replicate"] = dots["replicate"].astype(str)
    datasets: dict[str, Any] = {"spread": records(data)}
    fx, fy = fieldname(ox.name), fieldname(oy.name)
    X = dict(type="quantitative", title=ox.label, scale=alt.Scale(zero=False))
    Y = dict(type="quantitative", title=oy.label, scale=alt.Scale(zero=False))
    tips = [
        alt.Tooltip(field="candidate", type="nominal", title="candidate"),
        alt.Tooltip(field=fx, type="quantitative", title=f"{unit_title(ox)} (mean)", format=".4~g"),
        alt.Tooltip(field="x_std", type="quantitative", title=f"{unit_title(ox)} (std)", format=".3~g"),
        alt.Tooltip(field=fy, type="quantitative", title=f"{unit_title(oy)} (mean)", format=".4~g"),
        alt.Tooltip(field="y_std", type="quantitative", title=f"{unit_title(oy)} (std)", format=".3~g"),
        alt.Tooltip(field="replicates", type="quantitative", title="replicates"),
        alt.Tooltip(field="rank", type="quantitative", title="rank"),
        alt.Tooltip(field="status", type="nominal", title="status"),
    ]
    layers = []
    if len(dots) <= max_points:
        datasets["replicates"] = records(dots)
        dot = alt.Chart(alt.NamedData(name="replicates")).mark_point(
            size=12, filled=True, opacity=0.35, color="#555555"
        )
        layers.append(
            dot.encode(
                x=alt.X(field=fx, **X),
                y=alt.Y(field=fy, **Y),
                tooltip=[
                    tip("candidate", kind="nominal"),
                    tip("replicate", kind="nominal"),
                    tip(fx, unit_title(ox), ".4~g"),
                    tip(fy, unit_title(oy), ".4~g"),
                ],
            )
        )
    else:
        notes.append(f"Individual replicates not drawn ({len(dots):,} rows > {max_points:,}); bars show mean ± std.")
    base = alt.Chart(alt.NamedData(name="spread"))
    colour = status_color(brushed=False)
    layers += [
        base.mark_rule(strokeWidth=1.5).encode(
            x=alt.X(field="x_lo", **X), x2=alt.X2(field="x_hi"), y=alt.Y(field=fy, **Y), color=colour, tooltip=tips
        ),
        base.mark_rule(strokeWidth=1.5).encode(
            y=alt.Y(field="y_lo", **Y), y2=alt.Y2(field="y_hi"), x=alt.X(field=fx, **X), color=colour, tooltip=tips
        ),
        base.mark_point(filled=True, size=50).encode(
            x=alt.X(field=fx, **X), y=alt.Y(field=fy, **Y), color=colour, tooltip=tips
        ),
    ]
    chart = alt.layer(*layers).properties(width=width, height=height)
    single = int((data["replicates"] < 2).sum())
    subtitle = [
        f"{len(data):,} candidates at their mean, bars ± one standard deviation over seeds; "
        "dots: individual replicates.",
        f"Candidates with a single replicate (no bar): {single:,}." if single else None,
        *notes,
    ]
    return finish(Built(chart, datasets), f"Seed spread: {oy.name} vs {ox.name}", subtitle)
