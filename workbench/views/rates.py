"""Trade-off rates along the two-objective front, in the objectives' own units."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.analysis.rates import format_delta
from workbench.views import theme
from workbench.views._data import (
    Built,
    ChartError,
    chart_table,
    fieldname,
    finish,
    objective,
    records,
    tip,
)
from workbench.views.pareto import unit_title

__all__ = ["rates_chart"]

#: Above this many segments the rates are in the tooltips only (labels would overlap).
MAX_RATE_LABELS = 30


def _unit(o: Any) -> str:
    return o.unit or o.name


def rates_chart(analysis: Any, x: str, y: str, *, width: int = 420, height: int = 320) -> alt.LayerChart:
    """The front of ``x`` and ``y``, each step between neighbours labelled with its rate Δy/Δx.

    The front here is the set of feasible candidates no other feasible candidate beats in both
    ``x`` and ``y`` (other objectives ignored; with two objectives it is the analysis' front),
    sorted by ``x``. Each segment's label is Δy / Δx in the objectives' units -- what one unit of
    ``x`` buys or costs in ``y`` along that step; where the rate drops sharply lies the knee.

    Parameters
    ----------
    analysis : Analysis
    x, y : str
        Objectives.

    Returns
    -------
    altair.LayerChart
        Datasets ``front`` (``candidate``, the two objectives, ``rank``, ``knee``, ``role``,
        ``status``) and ``segments`` (``from``, ``to``, ``x_start``, ``y_start``, ``x_end``,
        ``y_end``, ``x_mid``, ``y_mid``, ``delta_x``, ``delta_y``, ``rate``, ``rate_text``, ``text``).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "latency_ms", "direction": "min", "unit": "ms"},
    ...     {"name": "recall", "direction": "max"}]})
    >>> df = pd.DataFrame({"id": ["fast", "mid", "slow"], "latency_ms": [10, 45, 120],
    ...                    "recall": [0.90, 0.95, 0.96]})
    >>> segs = rates_chart(analyze(df, qm), "latency_ms", "recall").to_dict()["datasets"]["segments"]
    >>> [(s["from"], s["to"], s["rate_text"]) for s in segs]
    [('fast', 'mid', '0.00143'), ('mid', 'slow', '0.000133')]
    """
    ox, oy = objective(analysis, x), objective(analysis, y)
    if ox.name == oy.name:
        raise ChartError(f"rates_chart needs two different objectives; got {x!r} for both x and y.")
    from workbench.analysis import nondominated_mask

    table = chart_table(analysis)
    feasible = table["feasible"].to_numpy()
    pool = np.flatnonzero(feasible) if feasible.any() else np.arange(len(table))
    F = table[[ox.name, oy.name]].to_numpy(dtype="float64")[pool] * np.array([ox.sign, oy.sign])
    tol = np.array([ox.tolerance, oy.tolerance])
    members = pool[nondominated_mask(F, tol if tol.any() else None)]
    front = table.iloc[members].copy()
    front = front.sort_values([ox.name, oy.name, "candidate"], kind="stable")
    front = front[["candidate", ox.name, oy.name, "rank", "score", "knee", "role", "status"]]
    xs, ys, ids = front[ox.name].to_numpy(), front[oy.name].to_numpy(), front["candidate"].to_numpy()
    segs = []
    for i in range(len(front) - 1):
        dx, dy = float(xs[i + 1] - xs[i]), float(ys[i + 1] - ys[i])
        rate = dy / dx if dx != 0 else np.nan
        segs.append(
            {
                "from": ids[i],
                "to": ids[i + 1],
                "x_start": float(xs[i]),
                "y_start": float(ys[i]),
                "x_end": float(xs[i + 1]),
                "y_end": float(ys[i + 1]),
                "x_mid": float(xs[i] + xs[i + 1]) / 2,
                "y_mid": float(ys[i] + ys[i + 1]) / 2,
                "delta_x": dx,
                "delta_y": dy,
                "rate": rate,
                "rate_text": f"{rate:.3g}" if np.isfinite(rate) else "n/a",
                "text": (
                    f"{ids[i]} → {ids[i + 1]}: {format_delta(dx, ox)}, {format_delta(dy, oy)}"
                    + (f"; {rate:.3g} {_unit(oy)} per {_unit(ox)}" if np.isfinite(rate) else "")
                ),
            }
        )
    segments = pd.DataFrame(
        segs,
        columns=[
            "from",
            "to",
            "x_start",
            "y_start",
            "x_end",
            "y_end",
            "x_mid",
            "y_mid",
            "delta_x",
            "delta_y",
            "rate",
            "rate_text",
            "text",
        ],
    )
    fx, fy = fieldname(ox.name), fieldname(oy.name)
    X = dict(type="quantitative", title=ox.label, scale=alt.Scale(zero=False))
    Y = dict(type="quantitative", title=oy.label, scale=alt.Scale(zero=False))
    seg_tips = [
        tip("text", "step", kind="nominal"),
        tip("delta_x", f"Δ {unit_title(ox)}", "+.4~g"),
        tip("delta_y", f"Δ {unit_title(oy)}", "+.4~g"),
        tip("rate", f"Δ{oy.name} / Δ{ox.name}", ".4~g"),
    ]
    seg = alt.Chart(alt.NamedData(name="segments"))
    blue = theme.STATUS_COLORS["front"]
    layers = [
        seg.mark_rule(color=blue, strokeWidth=2).encode(
            x=alt.X(field="x_start", **X),
            y=alt.Y(field="y_start", **Y),
            x2=alt.X2(field="x_end"),
            y2=alt.Y2(field="y_end"),
            tooltip=seg_tips,
        )
    ]
    notes = []
    if 0 < len(segments) <= MAX_RATE_LABELS:
        layers.append(
            seg.mark_text(fontSize=10, dy=-8, color="#333333").encode(
                x=alt.X(field="x_mid", **X),
                y=alt.Y(field="y_mid", **Y),
                text=alt.Text(field="rate_text", type="nominal"),
                tooltip=seg_tips,
            )
        )
    elif len(segments) > MAX_RATE_LABELS:
        notes.append(f"{len(segments):,} steps: rates in the tooltips only.")
    pts = alt.Chart(alt.NamedData(name="front"))
    layers.append(
        pts.mark_point(filled=True, size=55, color=blue, opacity=1).encode(
            x=alt.X(field=fx, **X),
            y=alt.Y(field=fy, **Y),
            tooltip=[
                alt.Tooltip(field="candidate", type="nominal", title="candidate"),
                alt.Tooltip(field=fx, type="quantitative", title=unit_title(ox), format=".4~g"),
                alt.Tooltip(field=fy, type="quantitative", title=unit_title(oy), format=".4~g"),
                alt.Tooltip(field="rank", type="quantitative", title="rank"),
                alt.Tooltip(field="knee", type="nominal", title="knee"),
                alt.Tooltip(field="role", type="nominal", title="role"),
            ],
        )
    )
    layers.append(
        pts.transform_filter("datum.knee")
        .mark_point(filled=False, size=170, strokeWidth=2, color=theme.ROLE_COLORS["knee"])
        .encode(x=alt.X(field=fx, **X), y=alt.Y(field=fy, **Y))
    )
    layers.append(
        pts.transform_filter("isValid(datum.role)")
        .mark_text(align="left", baseline="top", dx=7, dy=4, fontSize=10, color="#222222")
        .encode(x=alt.X(field=fx, **X), y=alt.Y(field=fy, **Y), text=alt.Text(field="candidate", type="nominal"))
    )
    chart = alt.layer(*layers).properties(width=width, height=height)
    scope = "the feasible candidates" if feasible.any() else "all candidates (none is feasible)"
    others = [o.name for o in analysis.model.objectives if o.name not in (ox.name, oy.name)]
    subtitle = [
        f"Labels: Δ{oy.name} / Δ{ox.name} between neighbours ({_unit(oy)} per {_unit(ox)}).",
        f"{len(front):,} candidates non-dominated in {ox.name} and {oy.name} among {scope}"
        + (f"; {', '.join(others)} ignored." if others else "."),
        "Fewer than two front members: no trade-off to show." if len(front) < 2 else None,
        *notes,
    ]
    datasets = {"front": records(front), "segments": records(segments)}
    return finish(Built(chart, datasets), f"Trade-off rates: {oy.name} per {ox.name}", subtitle)
