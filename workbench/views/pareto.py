"""Trade-off views: the Pareto scatter, the scatter matrix, parallel coordinates and both linked.

Every view reads one dataset, ``candidates`` (see :func:`workbench.views._data.chart_table` for its
columns), so one interval selection -- the ``brush`` param -- highlights the same candidates
wherever they are drawn. Above ``max_points`` candidates the front, knees, champion, recommended
and the infeasible boundary are drawn one by one and the rest as a binned density, and the chart
says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.errors import UnknownNameError, unknown_name
from workbench.format import format_number, format_percent
from workbench.views import theme
from workbench.views._data import (
    MAX_POINTS,
    Built,
    ChartError,
    chart_table,
    column,
    density_2d,
    fieldname,
    finish,
    js,
    objective,
    records,
    split,
    tip,
)
from workbench.views._data import objectives as _objectives

__all__ = ["pareto_scatter", "scatter_matrix", "parallel_coordinates", "linked_views"]

#: Grid of the density of the candidates not drawn one by one.
SCATTER_BINS = 40
MATRIX_BINS = 20
AXIS_BINS = 20
#: At most this many knees get a text label (all get a ring).
MAX_KNEE_LABELS = 10
#: Numeric chart columns a scatter can be coloured by, besides the objectives.
COLOR_FIELDS = ("score", "rank", "violation", "acceptability", "confidence")

BRUSH = {"param": "brush"}
CANDIDATES = alt.NamedData(name="candidates")


# --- shared encodings --------------------------------------------------------------------------------


def unit_title(o: Any) -> str:
    return f"{o.name} [{o.unit}]" if o.unit else o.name


def tooltip_fields(analysis: Any, table: pd.DataFrame) -> tuple[tuple[str, str, str, str | None], ...]:
    """A candidate's tooltip as ``(field, type, title, format)``: id, every objective with its
    unit, rank, score, feasibility, front, status, role (and acceptability with SMAA)."""
    tips: list[tuple[str, str, str, str | None]] = [("candidate", "nominal", "candidate", None)]
    tips += [(fieldname(o.name), "quantitative", unit_title(o), ".4~g") for o in analysis.model.objectives]
    tips += [
        ("rank", "quantitative", "rank", None),
        ("score", "quantitative", "score", ".3f"),
        ("feasible", "nominal", "feasible", None),
        ("front", "quantitative", "front", None),
        ("status", "nominal", "status", None),
        ("role", "nominal", "role", None),
    ]
    if "acceptability" in table.columns:
        tips.append(("acceptability", "quantitative", "first-rank acceptability", ".0%"))
    return tuple(tips)


def _tooltip(field: str, kind: str, title: str, fmt: str | None) -> alt.Tooltip:
    return alt.Tooltip(field=field, type=kind, title=title, **({} if fmt is None else {"format": fmt}))


def tooltips(analysis: Any, table: pd.DataFrame) -> list[alt.Tooltip]:
    """Tooltip of a candidate: id, every objective with its unit, rank, score, feasibility, front."""
    return [_tooltip(*t) for t in tooltip_fields(analysis, table)]


def status_scale() -> alt.Scale:
    """Colours of the three statuses (front, dominated, infeasible)."""
    domain = ["front", "dominated", "infeasible"]
    return alt.Scale(domain=domain, range=[theme.STATUS_COLORS[s] for s in domain])


def status_color(brushed: bool = True, legend: bool = True) -> Any:
    """Colour by status; outside the brush (when ``brushed``) a light grey."""
    enc = alt.Color(
        field="status", type="nominal", scale=status_scale(), legend=alt.Legend(title="status") if legend else None
    )
    return _brushed_color(enc) if brushed else enc


def _brushed_color(enc: Any) -> alt.ColorValue:
    """``enc`` inside the brush, a light grey outside.

    Built as the channel object: given ``alt.condition``'s plain dict, ``encode`` would work out
    its class by validating it against each of the schema's alternatives (~8 ms per chart).
    """
    return alt.ColorValue(**alt.condition(BRUSH, enc, alt.value(theme.UNSELECTED)))


def _status_channel(channel: type, values: dict[str, Any]) -> Any:
    domain = ["front", "dominated", "infeasible"]
    # sorted: Vega-Lite warns that size and opacity "should not be used with an unsorted discrete field"
    return channel(
        field="status",
        type="nominal",
        legend=None,
        sort=domain,
        scale=alt.Scale(domain=domain, range=[values[s] for s in domain]),
    )


def status_shape() -> alt.Shape:
    """Shape by status: circles, crosses for the infeasible."""
    domain = ["front", "dominated", "infeasible"]
    return alt.Shape(
        field="status",
        type="nominal",
        title="status",
        legend=alt.Legend(title="status"),
        scale=alt.Scale(domain=domain, range=[theme.STATUS_SHAPES[s] for s in domain]),
    )


def _axis(
    o: Any, field: str | None = None, channel: type = alt.X, ticks: int | None = None, domain: list[float] | None = None
) -> Any:
    """A quantitative position channel titled with the objective's label; ``domain`` fixes the range
    and clamps what lies beyond to the edge."""
    extra = {} if ticks is None else {"axis": alt.Axis(tickCount=ticks)}
    scale = alt.Scale(zero=False) if domain is None else alt.Scale(zero=False, domain=domain, clamp=True, nice=False)
    return channel(
        field=fieldname(o.name) if field is None else field, type="quantitative", title=o.label, scale=scale, **extra
    )


# --- the Pareto scatter --------------------------------------------------------------------------------


def _color_field(analysis: Any, table: pd.DataFrame, color: str | None) -> tuple[str, str, bool] | None:
    """The colour channel's ``(field, title, reversed scale)``; None to colour by status."""
    if color is None:
        return None
    valid = analysis.model.names + [c for c in COLOR_FIELDS if c in table.columns]
    if color not in valid:
        fix = "run analyze(..., smaa=10_000) first." if color in ("acceptability", "confidence") else ""
        raise UnknownNameError(
            unknown_name("Colour field", color, valid, where="a numeric column of the chart", fix=fix)
        )
    title = analysis.model[color].label if color in analysis.model.names else color
    return fieldname(color), title, color in ("rank", "violation")


def _colour_channel(field: str, title: str, reverse: bool) -> alt.Color:
    return alt.Color(field=field, type="quantitative", title=title, scale=alt.Scale(scheme="viridis", reverse=reverse))


def _limits(analysis: Any) -> list[tuple[Any, float]]:
    """Every constraint with its resolved numeric limit (relative ones against their baseline)."""
    return list(zip(analysis.model.constraints, analysis.limits["limit"].tolist(), strict=True))


def _constraint_rows(analysis: Any, ox: Any, oy: Any) -> tuple[list[dict[str, Any]], list[str]]:
    rows, elsewhere = [], []
    for c, limit in _limits(analysis):
        text = str(c) if not c.is_relative else f"{c} (= {limit:.4g})"
        axes = [a for a, o in (("x", ox), ("y", oy)) if o.name == c.objective]
        for a in axes:
            rows.append({"objective": c.objective, "axis": a, "limit": float(limit), "text": text})
        if not axes:
            elsewhere.append(text)
    return rows, elsewhere


@dataclass(frozen=True)
class _Axis:
    """What the scatter's encodings read of the objective on one axis (and its fixed range)."""

    name: str
    label: str
    unit_title: str
    domain: tuple[float, float] | None = None

    @classmethod
    def of(cls, o: Any, domain: Sequence[float] | None = None) -> _Axis:
        return cls(o.name, o.label, unit_title(o), None if domain is None else (float(domain[0]), float(domain[1])))


@dataclass(frozen=True)
class _Layout:
    """Everything the Pareto scatter's marks are built from, its rows and notes aside.

    :func:`_scatter_layers` reads nothing else, so two views with equal layouts draw the same
    marks (and a page that keeps a chart drawn swaps only its rows): a constraint move changes
    the rows and, rarely, a layer (a role held or given up, the density appearing).
    """

    x: _Axis
    y: _Axis
    tooltips: tuple[tuple[str, str, str, str | None], ...]  # field, type, title, format
    colour: tuple[str, str, bool] | None  # field, title, reversed scale; None: by status
    density: bool
    limits: tuple[bool, bool]  # constraint rules on x, on y
    intervals: str | None  # the level of the interval bars, None without bars
    roles: tuple[str, ...]  # roles someone holds: a ring layer each, in the theme's order
    beyond: str | None  # the Vega filter of the points beyond focused axes
    width: int
    height: int
    name: str


def _scatter_data(
    analysis: Any,
    ox: Any,
    oy: Any,
    table: pd.DataFrame,
    drawn: np.ndarray,
    *,
    color: str | None = None,
    width: int = 420,
    height: int = 320,
    name: str = "points",
    focus: bool = False,
) -> tuple[_Layout, dict[str, Any], list[str]]:
    """The Pareto scatter's layout, its datasets (the candidates' rows aside) and its notes;
    :func:`_scatter_layers` draws the layout.

    With ``focus``, each axis spans the feasible candidates and the constraint limits on it; the
    candidates beyond are drawn clamped to the edge as open triangles and counted in a note.
    """
    colour = _color_field(analysis, table, color)
    datasets: dict[str, Any] = {}
    notes: list[str] = []
    domains: dict[str, list[float]] = {}
    beyond_test = []
    if focus:
        shown = table.loc[drawn]
        for o in (ox, oy):
            lims = [float(lim) for c, lim in _limits(analysis) if c.objective == o.name]
            dom, _ = focus_domain(shown, o, lims)
            if dom is not None:
                domains[o.name] = dom
                col = f"datum[{js(column(o.name))}]"
                beyond_test.append(f"({col} < {dom[0]!r} || {col} > {dom[1]!r})")
        if beyond_test:
            v = np.zeros(len(shown), dtype=bool)
            for o in (ox, oy):
                if o.name in domains:
                    x = shown[o.name].to_numpy(dtype="float64")
                    v |= (x < domains[o.name][0]) | (x > domains[o.name][1])
            kinds = shown.loc[v, "status"].value_counts()
            what = " and ".join(f"{n} {k}" for k, n in kinds.items())
            notes.append(
                f"{what} beyond the axes (drawn as open triangles at the edge; "
                "the axes span the feasible candidates and the limits)."
            )

    if (~drawn).any():
        x, y = table[ox.name].to_numpy(), table[oy.name].to_numpy()
        dens = density_2d(x[~drawn], y[~drawn], x, y, SCATTER_BINS)  # columns, not a frame of the rest
        datasets["density"] = records(dens)
    rows, elsewhere = _constraint_rows(analysis, ox, oy)
    if rows:
        datasets["constraints"] = rows

        # Labels face the middle of the plot, so they are not cut at the edge and the x label
        # (along the top) and the y label (at the right end) do not meet in a corner.
        def _where(o: Any, limit: float) -> float:
            dom = domains.get(o.name)
            if dom is None:
                v = table.loc[drawn, o.name].to_numpy(dtype="float64")
                v = np.concatenate([v[np.isfinite(v)], [limit]])
                dom = [float(v.min()), float(v.max())]
            return 0.5 if dom[1] == dom[0] else (limit - dom[0]) / (dom[1] - dom[0])

        for r in rows:
            r["side"] = "left" if _where(ox if r["axis"] == "x" else oy, r["limit"]) < 0.5 else "right"
    if elsewhere:
        notes.append("Also constrained (not on these axes): " + "; ".join(elsewhere))
    extent = {}  # the bars are clamped to what the points and limits span: they never widen an axis
    for o in (ox, oy):
        if o.name in domains:
            extent[o.name] = domains[o.name]
        else:
            v = table.loc[drawn, o.name].to_numpy(dtype="float64")
            v = np.concatenate(
                [v[np.isfinite(v)], [float(lim) for c, lim in _limits(analysis) if c.objective == o.name]]
            )
            v = v[np.isfinite(v)]
            if len(v):
                extent[o.name] = [float(v.min()), float(v.max())]
    bars = _interval_rows(analysis, ox, oy, table.loc[drawn], extent)
    level = None
    if bars:  # the seed-to-seed interval of each mean, behind the points
        datasets["intervals"] = bars
        level = format_percent(analysis.uncertainty.level)
        few = min(r["n"] for r in bars)
        note = f"Bars: the {level} interval of each mean over its seeds"
        if any(r["clamped"] for r in bars):
            note += f" (from {few} seeds; wide bars are cut at the axes)"
        whole = [
            f"{o.name} of {count} candidate{'s' if count != 1 else ''}"
            for axis, o in (("x", ox), ("y", oy))
            if (count := sum(r[f"{axis}_whole"] for r in bars))
        ]
        if whole:
            note += f"; intervals wider than the whole axis are not drawn: {', '.join(whole)}"
        notes.append(note + ".")
    # A ring layer only for roles someone holds: an empty layer draws nothing and makes Vega-Lite
    # warn of an infinite extent. Roles do not appear on a weight move (the recommended candidate
    # changes, but exists whenever something is feasible), so a re-weighted spec keeps its layers.
    held = {role.strip() for r in table["role"].dropna() for role in str(r).split(",")}
    layout = _Layout(
        x=_Axis.of(ox, domains.get(ox.name)),
        y=_Axis.of(oy, domains.get(oy.name)),
        tooltips=tooltip_fields(analysis, table),
        colour=colour,
        density="density" in datasets,
        limits=(any(r["axis"] == "x" for r in rows), any(r["axis"] == "y" for r in rows)),
        intervals=level,
        roles=tuple(role for role in theme.ROLE_COLORS if role in held),
        beyond=" || ".join(beyond_test) or None,
        width=int(width),
        height=int(height),
        name=name,
    )
    return layout, datasets, notes


def _scatter_built(layout: _Layout, datasets: dict[str, Any], notes: Sequence[str] = ()) -> Built:
    """The scatter's layers with their rows and notes, the brush on its named view."""
    return Built(_scatter_layers(layout), datasets, [layout.name], list(notes))


def _scatter_layers(layout: _Layout) -> alt.LayerChart:
    """The Pareto scatter's marks, from its layout alone (the rows come as named datasets)."""
    ox, oy = layout.x, layout.y
    fx = fieldname(ox.name)
    layers = []

    def _ax(a: _Axis, field: str | None = None, channel: type = alt.X) -> Any:
        return _axis(a, field, channel, domain=None if a.domain is None else list(a.domain))

    def _tips() -> list[alt.Tooltip]:
        return [_tooltip(*t) for t in layout.tooltips]

    if layout.density:
        layers.append(
            alt.Chart(alt.NamedData(name="density"))
            .mark_rect(color=theme.DENSITY_COLOR)
            .encode(
                x=_ax(ox, "x_start"),
                x2=alt.X2(field="x_end"),
                y=_ax(oy, "y_start", alt.Y),
                y2=alt.Y2(field="y_end"),
                opacity=alt.Opacity(
                    field="count",
                    type="quantitative",
                    title="candidates per bin",
                    scale=alt.Scale(type="log", range=[0.12, 0.75]),
                ),
                tooltip=[
                    tip("count", "candidates in bin"),
                    tip("x_start", f"{ox.unit_title} from", ".4~g"),
                    tip("x_end", f"{ox.unit_title} to", ".4~g"),
                    tip("y_start", f"{oy.unit_title} from", ".4~g"),
                    tip("y_end", f"{oy.unit_title} to", ".4~g"),
                ],
            )
        )
    if any(layout.limits):
        slo = alt.Chart(alt.NamedData(name="constraints"))
        slo_tip = [tip("text", "constraint", kind="nominal")]
        rule = dict(color=theme.SLO_COLOR, strokeDash=[6, 4], strokeWidth=1.5)
        text = dict(color=theme.SLO_COLOR, fontSize=10, align="left")
        if layout.limits[0]:
            on_x = slo.transform_filter("datum.axis === 'x'")
            layers.append(on_x.mark_rule(**rule).encode(x=_ax(ox, "limit"), tooltip=slo_tip))
            # both sides always (an empty side draws nothing): a limit that moves across the middle
            # changes only rows, so a live chart updates in place
            for side, align, dx in (("left", "left", 4), ("right", "right", -4)):
                layers.append(
                    on_x.transform_filter(f"datum.side === '{side}'")
                    .mark_text(baseline="top", dx=dx, dy=4, **{**text, "align": align})
                    .encode(x=_ax(ox, "limit"), y=alt.YValue(0), text=alt.Text(field="text", type="nominal"))
                )
        if layout.limits[1]:
            on_y = slo.transform_filter("datum.axis === 'y'")
            layers.append(on_y.mark_rule(**rule).encode(y=_ax(oy, "limit", alt.Y), tooltip=slo_tip))
            for side, baseline, dy in (("left", "bottom", -3), ("right", "top", 3)):  # low line: above it
                layers.append(
                    on_y.transform_filter(f"datum.side === '{side}'")
                    .mark_text(baseline=baseline, dx=-4, dy=dy, **{**text, "align": "right"})
                    .encode(
                        y=_ax(oy, "limit", alt.Y),
                        x=alt.XValue(layout.width),
                        text=alt.Text(field="text", type="nominal"),
                    )
                )
    if layout.intervals is not None:
        band = alt.Chart(alt.NamedData(name="intervals"))
        level = layout.intervals
        bar_tip = [
            tip("candidate", "candidate", kind="nominal"),
            tip("n", "seeds"),
            tip("x_ci_lo", f"{ox.unit_title} {level} from", ".4~g"),
            tip("x_ci_hi", "to", ".4~g"),
            tip("y_ci_lo", f"{oy.unit_title} {level} from", ".4~g"),
            tip("y_ci_hi", "to", ".4~g"),
        ]
        style = dict(color=theme.INTERVAL_COLOR, strokeWidth=1.2, opacity=0.8, clip=True)
        layers.append(
            band.mark_rule(**style).encode(
                x=_ax(ox, "x_lo"), x2=alt.X2(field="x_hi"), y=_ax(oy, "y", alt.Y), tooltip=bar_tip
            )
        )
        layers.append(
            band.mark_rule(**style).encode(
                y=_ax(oy, "y_lo", alt.Y), y2=alt.Y2(field="y_hi"), x=_ax(ox, "x"), tooltip=bar_tip
            )
        )
    base = alt.Chart(CANDIDATES)
    layers.append(
        base.transform_filter("datum.front_line")
        .mark_line(color=theme.STATUS_COLORS["front"], strokeWidth=1.5, opacity=0.7)
        .encode(x=_ax(ox), y=_ax(oy, channel=alt.Y), order=alt.Order(field=fx, type="quantitative", title=ox.label))
    )
    colour = status_color() if layout.colour is None else _brushed_color(_colour_channel(*layout.colour))
    layers.append(
        base.mark_point(filled=True)
        .encode(
            x=_ax(ox),
            y=_ax(oy, channel=alt.Y),
            color=colour,
            shape=status_shape(),
            opacity=_status_channel(alt.Opacity, theme.STATUS_OPACITY),
            size=_status_channel(alt.Size, {"front": 60, "dominated": 30, "infeasible": 45}),
            tooltip=_tips(),
        )
        .properties(name=layout.name)
    )
    for role in layout.roles:
        ring = base.transform_filter(f"indexof(datum.role || '', {js(role)}) >= 0").mark_point(
            filled=False,
            size=240 if role == "recommended" else 170,
            strokeWidth=2,
            color=theme.ROLE_COLORS[role],
            opacity=1,
        )
        layers.append(ring.encode(x=_ax(ox), y=_ax(oy, channel=alt.Y), tooltip=_tips()))
    layers.append(
        base.transform_filter("isValid(datum.label)")
        .mark_text(align="left", baseline="bottom", dx=7, dy=-5, fontSize=11, color="#222222")
        .encode(x=_ax(ox), y=_ax(oy, channel=alt.Y), text=alt.Text(field="label", type="nominal"))
    )
    if layout.beyond is not None:
        layers.append(
            base.transform_filter(layout.beyond)
            .mark_point(
                shape="triangle-up",
                filled=False,
                size=90,
                strokeWidth=1.5,
                color=theme.STATUS_COLORS["infeasible"],
                opacity=1,
            )
            .encode(x=_ax(ox), y=_ax(oy, channel=alt.Y), tooltip=_tips())
        )
    return _layered(layers, layout.width, layout.height)


def _layered(layers: list[Any], width: int, height: int) -> alt.LayerChart:
    """The layers as one chart of this size, opacity and size scales independent.

    Given to the constructor: ``.properties()`` and ``.resolve_scale()`` each deep-copy the whole
    chart (~40 ms apiece with 1e5 candidates' tooltips and params), which a redraw pays every time.
    """
    independent = alt.ScaleResolveMap(opacity="independent", size="independent")
    return alt.LayerChart(layer=list(layers), width=width, height=height, resolve=alt.Resolve(scale=independent))


def _interval_rows(
    analysis: Any, ox: Any, oy: Any, shown: pd.DataFrame, extent: Mapping[str, list[float]] | None = None
) -> list[dict[str, Any]]:
    """Per drawn candidate with replicates, its interval on both axes (n ≥ 2 on either), crossing
    where its point is drawn (the summarised value). Ends beyond ``extent`` (per objective, what
    the axis spans without the bars) are drawn at its edge and flagged ``clamped``, and one wider
    than the whole axis is not drawn (``x_whole``/``y_whole``): two seeds give a Student-t interval
    twelve standard errors wide, which must not squash every point or cross the whole plot. The
    true bounds stay in ``x_ci_lo``... for the tooltip."""
    unc = getattr(analysis, "uncertainty", None)
    if unc is None:
        return []
    stats = unc.stats
    rows = []
    for cid, xv, yv in zip(shown["candidate"], shown[ox.name], shown[oy.name], strict=True):
        key = str(cid)
        try:
            sx, sy = stats.loc[(key, ox.name)], stats.loc[(key, oy.name)]
        except KeyError:
            continue
        if max(int(sx["n"]), int(sy["n"])) < 2:
            continue
        x, y = float(xv), float(yv)
        row = {
            "candidate": key,
            "n": int(min(sx["n"], sy["n"])),
            "x": x,
            "y": y,
            "x_lo": float(sx["ci_low"]),
            "x_hi": float(sx["ci_high"]),
            "y_lo": float(sy["ci_low"]),
            "y_hi": float(sy["ci_high"]),
        }
        row.update({f"{a}_ci_{e}": row[f"{a}_{e}"] for a in ("x", "y") for e in ("lo", "hi")})  # for tooltips
        for k in ("x_lo", "x_hi"):  # an undefined interval draws as a point on that axis
            row[k] = x if not np.isfinite(row[k]) else row[k]
        for k in ("y_lo", "y_hi"):
            row[k] = y if not np.isfinite(row[k]) else row[k]
        clamped = False
        for axis, o in (("x", ox), ("y", oy)):
            row[f"{axis}_whole"] = False
            lim = (extent or {}).get(o.name)
            if lim is None:
                continue
            lo, hi = min(lim[0], row[axis]), max(lim[1], row[axis])
            below, above = row[f"{axis}_lo"] < lo, row[f"{axis}_hi"] > hi
            if below and above and hi > lo:  # spans the whole axis: a line across the plot says nothing
                row[f"{axis}_lo"] = row[f"{axis}_hi"] = row[axis]
                row[f"{axis}_whole"] = True
                continue
            clamped |= below or above
            row[f"{axis}_lo"], row[f"{axis}_hi"] = max(row[f"{axis}_lo"], lo), min(row[f"{axis}_hi"], hi)
        row["clamped"] = bool(clamped)
        rows.append(row)
    return rows


def _limit_labels(table: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Label at most MAX_KNEE_LABELS knees (best rank first); champion/recommended always."""
    label = limit_knee_labels(
        table["role"].to_numpy(dtype=object), table["label"].to_numpy(dtype=object), table["rank"].to_numpy()
    )
    if label is None:
        return table, None
    table = table.copy(deep=False)  # a new column, not a copy of every other (the caller's stays)
    table["label"] = pd.Series(label, index=table.index, dtype=object)
    return table, f"{int(table['knee'].sum())} knees ringed, the {MAX_KNEE_LABELS} best-ranked labelled"


def limit_knee_labels(role: np.ndarray, label: np.ndarray, rank: np.ndarray) -> np.ndarray | None:
    """The labels with only the MAX_KNEE_LABELS best-ranked knees' kept (ties: the earlier row), or
    None when no more knees than that are labelled; a champion's or recommended label stays."""
    knee_only = np.flatnonzero((role == "knee") & np.not_equal(label, None))
    if len(knee_only) <= MAX_KNEE_LABELS:
        return None
    keep = knee_only[np.argsort(rank[knee_only], kind="stable")[:MAX_KNEE_LABELS]]
    out = label.copy()
    out[np.setdiff1d(knee_only, keep)] = None
    return out


def _summary(analysis: Any) -> str:
    """The summary line: front, infeasible and total counts, the recommended and the champion."""
    t = analysis.table
    feasible = t["feasible"].to_numpy(dtype=bool)
    on_front = int((feasible & (t["front"].to_numpy() == 0)).sum())
    parts = [f"{on_front:,} on the front", f"{int((~feasible).sum()):,} infeasible", f"{len(t):,} candidates"]
    if analysis.recommended is not None:
        parts.append(f"recommended: {analysis.recommended}")
    if analysis.champion is not None:
        parts.append(f"incumbent: {analysis.champion}")
    return " · ".join(parts)


def focus_domain(
    table: pd.DataFrame, o: Any, limits: list[float] = (), pad: float = 0.06
) -> tuple[list[float] | None, int]:
    """An axis range around the feasible candidates (and the constraint limits on this axis), and how
    many drawn candidates lie beyond it. ``(None, 0)`` when nothing lies beyond (keep the data range).

    One far infeasible outlier would otherwise squash every feasible candidate into a corner; the
    view clamps the outliers to the edge and says how many sit there.
    """
    v = table[o.name].to_numpy(dtype="float64")
    ok = table["feasible"].to_numpy(dtype=bool) & np.isfinite(v)
    if not ok.any():
        return None, 0
    keep = np.concatenate([v[ok], np.asarray([x for x in limits if np.isfinite(x)], dtype="float64")])
    lo, hi = float(keep.min()), float(keep.max())
    span = hi - lo or abs(hi) or 1.0
    lo, hi = lo - pad * span, hi + pad * span
    beyond = int(((v < lo) | (v > hi)).sum())
    return ([lo, hi], beyond) if beyond else (None, 0)


def _front_note(analysis: Any, shown: list[Any], line: bool = False) -> str | None:
    notes = []
    if not bool(analysis.table["feasible"].any()):
        notes.append("No candidate is feasible: there is no feasible front to draw.")
    if len(analysis.model.objectives) > len(shown):
        notes.append(
            f"Front = non-dominated in all {len(analysis.model.objectives)} objectives "
            f"({', '.join(analysis.model.names)})"
            + (
                f"; the line joins those also non-dominated in {shown[0].name} and {shown[1].name} alone."
                if line
                else "."
            )
        )
    return " ".join(notes) or None


def _with_front_line(table: pd.DataFrame, ox: Any, oy: Any) -> pd.DataFrame:
    """Add ``front_line``: front members not dominated in ``x`` and ``y`` alone (the 2-D curve).

    With two objectives this is the whole front; with more, front members that are only
    non-dominated thanks to a third objective sit off the line instead of making it zigzag.
    """
    from workbench.analysis import nondominated_mask

    front = np.flatnonzero((table["status"] == "front").to_numpy())
    line = np.zeros(len(table), dtype=bool)
    if len(front):
        F = table[[ox.name, oy.name]].to_numpy(dtype="float64")[front] * np.array([ox.sign, oy.sign])
        line[front[nondominated_mask(F)]] = True
    out = table.copy(deep=False)  # a new column, not a copy of every other (the caller's stays)
    out.insert(out.columns.get_loc("front") + 1, "front_line", line)
    return out


def _prepare(analysis: Any, max_points: int) -> tuple[pd.DataFrame, np.ndarray, Any, str | None]:
    table = chart_table(analysis)
    parts = split(analysis, table, max_points)
    table, knee_note = _limit_labels(table)
    return table, parts.drawn, parts, knee_note


def brush_value(brush: Mapping[str, Sequence[float]], x: str, y: str) -> dict[str, list[float]] | None:
    """A brush ``{objective: [a, b]}`` as the initial value of the view's interval selection
    (``{"x": [...], "y": [...]}``), or None unless it spans both axes.

    >>> brush_value({"ms": [5, 1], "acc": [0.8, 0.9]}, "ms", "acc")
    {'x': [5.0, 1.0], 'y': [0.8, 0.9]}
    """
    if x in brush and y in brush:
        return {"x": [float(v) for v in brush[x]], "y": [float(v) for v in brush[y]]}
    return None


def pareto_scatter(
    analysis: Any,
    x: str,
    y: str,
    *,
    color: str | None = None,
    max_points: int = MAX_POINTS,
    width: int = 420,
    height: int = 320,
    brush: Mapping[str, Sequence[float]] | None = None,
) -> alt.LayerChart:
    """Two objectives against each other: the front, the dominated, the infeasible and the SLOs.

    The feasible front (``front == 0``) is drawn in blue and connected in order of ``x``; dominated
    candidates are faded grey circles, infeasible ones vermillion crosses. The recommended
    candidate, the champion and the knees get a ring and a text label. Constraints on ``x`` or
    ``y`` are dashed rules at their resolved limits (relative ones too). Axis titles carry the
    unit and which way is better. Tooltips show the id, every objective with its unit, rank,
    score, feasibility and front.

    Parameters
    ----------
    analysis : Analysis
        What :func:`workbench.analyze` returns.
    x, y : str
        Objective names for the horizontal and vertical axes.
    color : str, optional
        Colour the points by an objective or by ``score``, ``rank``, ``violation``,
        ``acceptability`` or ``confidence`` instead of by status (the shape still shows status).
    max_points : int
        Most candidates drawn one by one. Above it, the front, knees, champion, recommended and
        the infeasible candidates no other infeasible one dominates are drawn, the rest as a
        40 x 40 binned density -- and the subtitle says how many.
    width, height : int
        Size of the plot in pixels.
    brush : mapping, optional
        ``{x_objective: [a, b], y_objective: [c, d]}``: the brush's initial interval (ignored
        unless it spans both axes), e.g. to redraw a chart an analyst had brushed.

    Returns
    -------
    altair.LayerChart
        With an interval selection param ``brush`` (x and y) on the view ``points``; its value is
        ``{x_objective: [lo, hi], y_objective: [lo, hi]}``. Data: named datasets ``candidates``
        (one row per drawn candidate), ``density`` and ``constraints`` when present.

    Raises
    ------
    UnknownObjectiveError
        ``x`` or ``y`` is not an objective of the model (the message lists them).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"},
    ...     {"name": "ms", "direction": "min", "unit": "ms", "constraint": "<= 30"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.90, 0.80, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    >>> spec = pareto_scatter(analyze(df, qm), "ms", "acc").to_dict()
    >>> spec["params"][0]["name"], len(spec["datasets"]["candidates"])
    ('brush', 4)
    >>> pareto_scatter(analyze(df, qm), "ms", "accuracy")
    Traceback (most recent call last):
    ...
    workbench.errors.UnknownObjectiveError: Objective 'accuracy' is not an objective of the quality model...
    """
    p = _pareto_parts(analysis, x, y, color=color, max_points=max_points, width=width, height=height)
    chart = finish(_scatter_built(p.layout, p.datasets), p.title, p.lines)
    value = None if brush is None else brush_value(brush, x, y)
    if value is not None:
        for param in chart.params:
            if getattr(param, "name", None) == "brush":
                param.value = value
    return chart


@dataclass(frozen=True)
class _ParetoParts:
    """The Pareto scatter before Altair: its layout, title, rows, subtitle lines and drawn ids."""

    layout: _Layout
    title: str
    datasets: dict[str, list[dict[str, Any]]]
    lines: list[str]
    drawn: list[str]


def _pareto_parts(
    analysis: Any,
    x: str,
    y: str,
    *,
    color: str | None = None,
    max_points: int = MAX_POINTS,
    width: int = 420,
    height: int = 320,
) -> _ParetoParts:
    ox, oy = objective(analysis, x), objective(analysis, y)
    if ox.name == oy.name:
        raise ChartError(f"pareto_scatter needs two different objectives; got {x!r} for both x and y.")
    table, drawn, parts, knee_note = _prepare(analysis, max_points)
    table = _with_front_line(table, ox, oy)
    layout, datasets, notes = _scatter_data(analysis, ox, oy, table, drawn, color=color, width=width, height=height)
    lines = [
        _summary(analysis),
        _front_note(analysis, [ox, oy], line=True),
        knee_note,
        *parts.notes(table, f"{SCATTER_BINS}×{SCATTER_BINS} bins"),
        *notes,
    ]
    return _ParetoParts(
        layout=layout,
        title=f"Trade-off: {oy.name} vs {ox.name}",
        datasets={"candidates": records(table.loc[drawn]), **datasets},
        lines=list(dict.fromkeys(s for s in lines if s)),
        drawn=table.loc[drawn, "candidate"].tolist(),
    )


# --- scatter matrix ----------------------------------------------------------------------------------


def scatter_matrix(
    analysis: Any, objectives: list[str] | None = None, *, max_points: int = MAX_POINTS, cell: int = 170
) -> alt.VConcatChart:
    """Every pair of objectives (lower triangle), brushing one cell highlights in all.

    Parameters
    ----------
    analysis : Analysis
    objectives : list of str, optional
        At least two; default: all of the model's, in its order.
    max_points : int
        As in :func:`pareto_scatter`; the density uses a 20 x 20 grid per cell.
    cell : int
        Width and height of one cell in pixels.

    Returns
    -------
    altair.VConcatChart
        Row ``i`` plots objective ``i + 1`` against objectives ``0..i``. The ``brush`` param
        (interval, x and y, resolved globally) lives on the views ``cell_<row>_<col>``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [{"name": n, "direction": "min"} for n in "abc"]})
    >>> df = pd.DataFrame({"id": list("pqr"), "a": [1, 2, 3], "b": [3, 1, 2], "c": [2, 3, 1]})
    >>> scatter_matrix(analyze(df, qm)).to_dict()["params"][0]["views"]
    ['cell_0_0', 'cell_1_0', 'cell_1_1']
    """
    objs = _objectives(analysis, objectives, chart="scatter_matrix")
    table, drawn, parts, knee_note = _prepare(analysis, max_points)
    datasets: dict[str, Any] = {"candidates": records(table.loc[drawn])}
    density = []
    base = alt.Chart(CANDIDATES)
    tips = tooltips(analysis, table)
    views, rows = [], []
    for i in range(1, len(objs)):
        row = []
        for j in range(i):
            ox, oy = objs[j], objs[i]
            name = f"cell_{i - 1}_{j}"
            views.append(name)
            layers = []
            if (~drawn).any():
                x, y = table[ox.name].to_numpy(), table[oy.name].to_numpy()
                d = density_2d(x[~drawn], y[~drawn], x, y, MATRIX_BINS)
                d.insert(0, "cell", name)
                density.append(d)
                layers.append(
                    alt.Chart(alt.NamedData(name="density"))
                    .transform_filter(f"datum.cell === {js(name)}")
                    .mark_rect(color=theme.DENSITY_COLOR)
                    .encode(
                        x=_axis(ox, "x_start", ticks=5),
                        x2=alt.X2(field="x_end"),
                        y=_axis(oy, "y_start", alt.Y, 5),
                        y2=alt.Y2(field="y_end"),
                        opacity=alt.Opacity(
                            field="count",
                            type="quantitative",
                            legend=None,
                            scale=alt.Scale(type="log", range=[0.12, 0.75]),
                        ),
                        tooltip=[alt.Tooltip(field="count", type="quantitative", title="candidates in bin")],
                    )
                )
            layers.append(
                base.mark_point(filled=True, size=25)
                .encode(
                    x=_axis(ox, ticks=5),
                    y=_axis(oy, channel=alt.Y, ticks=5),
                    color=status_color(),
                    shape=status_shape(),
                    opacity=_status_channel(alt.Opacity, theme.STATUS_OPACITY),
                    tooltip=tips,
                )
                .properties(name=name)
            )
            row.append(alt.layer(*layers).properties(width=cell, height=cell).resolve_scale(opacity="independent"))
        rows.append(alt.hconcat(*row))
    if density:
        datasets["density"] = records(pd.concat(density, ignore_index=True))
    chart = alt.vconcat(*rows)
    built = Built(chart, datasets, views)
    return finish(
        built,
        "Trade-offs between every pair of objectives",
        [
            _summary(analysis),
            "Brush any cell to highlight the same candidates in all.",
            knee_note,
            *parts.notes(table, f"{MATRIX_BINS}×{MATRIX_BINS} bins per cell"),
        ],
    )


# --- parallel coordinates ----------------------------------------------------------------------------


def _axes_rows(table: pd.DataFrame, objs: list[Any], focus: bool = False) -> list[dict[str, Any]]:
    rows = []
    for i, o in enumerate(objs):
        v = table[o.name].to_numpy(dtype="float64")
        lo, hi = float(np.min(v)), float(np.max(v))
        dom, beyond = focus_domain(table, o, pad=0.0) if focus else (None, 0)
        if dom is not None:
            lo, hi = dom
        worst, best = (hi, lo) if o.direction == "min" else (lo, hi)
        # the fold names each axis by its chart-data column (see _data.column)
        rows.append(
            {
                "axis_objective": column(o.name),
                "axis_index": i,
                "axis_lo": worst,
                "axis_span": best - worst,
                "label": o.label,
                "best": best,
                "worst": worst,
                "best_text": format_number(best, o.unit or None),
                "worst_text": format_number(worst, o.unit or None),
                "bottom": 0.0,
                "top": 1.0,
                "beyond": beyond,
            }
        )
    return rows


def _parallel(
    analysis: Any,
    objs: list[Any],
    table: pd.DataFrame,
    drawn: np.ndarray,
    *,
    brushed: bool,
    width: int | None = None,
    height: int = 320,
    focus: bool = False,
) -> Built:
    """Layers of the parallel coordinates (unthemed), with their datasets (not ``candidates``).

    With ``focus``, each axis spans the feasible candidates; lines beyond are clamped to the axis
    end and a note counts them. Axis labels are limited to the space between two axes.
    """
    k = len(objs)
    axes = _axes_rows(table.loc[drawn] if focus else table, objs, focus)
    datasets: dict[str, Any] = {"axes": axes}
    # two-line axis labels: the name, then unit and direction ("[ms] ↓ better")
    labels = [[o.name, (f"[{o.unit}] " if o.unit else "") + f"{o.arrow} better"] for o in objs]
    width = width or max(360, 120 * k)
    x_scale = alt.Scale(domain=[-0.25, k - 0.75], nice=False, zero=False)
    x_axis = alt.Axis(
        values=list(range(k)),
        labelExpr=f"{js(labels)}[datum.value] || ''",
        title=None,
        grid=False,
        labelAngle=0,
        labelFontSize=11,
        labelLimit=max(60, int(width / k) - 12),
        labelPadding=22,
        ticks=False,
        domain=False,
    )
    n_beyond = sum(a["beyond"] for a in axes)
    notes = (
        [
            f"Parallel coordinates: {n_beyond} values beyond their axis (the axes span the feasible "
            "candidates; those lines end at the axis end)."
        ]
        if n_beyond
        else []
    )
    y = alt.Scale(domain=[0, 1], nice=False)
    y_title = "position: 0 = worst, 1 = best (in the data)"
    layers = []
    ax = alt.Chart(alt.NamedData(name="axes"))
    layers.append(
        ax.mark_rule(color="#888888").encode(
            x=alt.X(field="axis_index", type="quantitative", scale=x_scale, axis=x_axis),
            y=alt.Y(field="bottom", type="quantitative", scale=y, title=y_title),
            y2=alt.Y2(field="top"),
        )
    )
    if (~drawn).any():
        dens = []
        for a, o in zip(axes, objs, strict=True):
            v = table[o.name].to_numpy(dtype="float64")[~drawn]
            pos = np.full(len(v), 0.5) if a["axis_span"] == 0 else (v - a["axis_lo"]) / a["axis_span"]
            counts, edges = np.histogram(pos, bins=AXIS_BINS, range=(0.0, 1.0))
            nz = np.flatnonzero(counts)
            dens.append(
                pd.DataFrame(
                    {
                        "axis_objective": column(o.name),
                        "x_start": a["axis_index"] - 0.05,
                        "x_end": a["axis_index"] + 0.05,
                        "y_start": edges[nz],
                        "y_end": edges[nz + 1],
                        "count": counts[nz].astype(np.int64),
                    }
                )
            )
        datasets["axis_density"] = records(pd.concat(dens, ignore_index=True))
        strip = alt.Chart(alt.NamedData(name="axis_density")).mark_rect(color=theme.DENSITY_COLOR)
        layers.append(
            strip.encode(
                x=alt.X(field="x_start", type="quantitative", scale=x_scale, axis=x_axis),
                x2=alt.X2(field="x_end"),
                y=alt.Y(field="y_start", type="quantitative", scale=y, title=y_title),
                y2=alt.Y2(field="y_end"),
                opacity=alt.Opacity(
                    field="count",
                    type="quantitative",
                    title="candidates per bin",
                    scale=alt.Scale(type="log", range=[0.1, 0.6]),
                ),
                tooltip=[
                    alt.Tooltip(field="axis_objective", type="nominal", title="objective"),
                    alt.Tooltip(field="count", type="quantitative", title="candidates in bin"),
                ],
            )
        )
    lines = (
        alt.Chart(CANDIDATES)
        .transform_fold([fieldname(o.name) for o in objs], as_=["axis_objective", "axis_value"])
        .transform_lookup(
            lookup="axis_objective",
            from_=alt.LookupData(alt.NamedData(name="axes"), "axis_objective", ["axis_index", "axis_lo", "axis_span"]),
        )
        .transform_calculate(
            axis_position="datum.axis_span === 0 ? 0.5 : clamp((datum.axis_value - datum.axis_lo) / datum.axis_span, 0, 1)"
        )
        .mark_line(strokeJoin="round")
        .encode(
            x=alt.X(field="axis_index", type="quantitative", scale=x_scale, axis=x_axis),
            y=alt.Y(field="axis_position", type="quantitative", scale=y, title=y_title),
            detail=alt.Detail(field="candidate", type="nominal"),
            color=status_color(brushed=brushed),
            opacity=_status_channel(alt.Opacity, {"front": 0.9, "dominated": 0.3, "infeasible": 0.45}),
            size=_status_channel(alt.Size, {"front": 2.0, "dominated": 1.0, "infeasible": 1.0}),
            tooltip=tooltips(analysis, table),
        )
    )
    layers.append(lines)
    for field, anchor, dy in (("best_text", "top", -6), ("worst_text", "bottom", 6)):
        layers.append(
            ax.mark_text(baseline="bottom" if dy < 0 else "top", dy=dy, fontSize=10, color="#444444").encode(
                x=alt.X(field="axis_index", type="quantitative", scale=x_scale, axis=x_axis),
                y=alt.Y(field=anchor, type="quantitative", scale=y, title=y_title),
                text=alt.Text(field=field, type="nominal"),
            )
        )
    chart = _layered(layers, width, height)
    return Built(chart, datasets, notes=notes)


def parallel_coordinates(
    analysis: Any,
    objectives: list[str] | None = None,
    *,
    max_points: int = MAX_POINTS,
    width: int | None = None,
    height: int = 320,
) -> alt.LayerChart:
    """One line per candidate across normalised objective axes, up = better, the front highlighted.

    Each axis maps the objective's worst value in the data to 0 and its best to 1, so every axis
    reads "up is better" whatever the direction; the axis label keeps the unit and the arrow,
    and the raw best and worst values are printed at the top and bottom of each axis.

    Parameters
    ----------
    analysis : Analysis
    objectives : list of str, optional
        At least two; default: all of the model's, in its order.
    max_points : int
        Above it, the lines drawn are those :func:`pareto_scatter` draws one by one; the other
        candidates become a density strip on each axis, and the subtitle says how many.

    Returns
    -------
    altair.LayerChart
        Datasets ``candidates`` (folded in Vega-Lite, so one row per candidate) and ``axes``
        (``axis_objective``, ``axis_index``, ``axis_lo``, ``axis_span``, ``label``...). Lines
        keep every candidate field, so a ``brush`` from another view tests them directly (see
        :func:`linked_views`).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"},
    ...                                             {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": list("abc"), "acc": [0.9, 0.8, 0.7], "ms": [20, 10, 30]})
    >>> spec = parallel_coordinates(analyze(df, qm)).to_dict()
    >>> [(a["axis_objective"], a["axis_lo"], a["axis_span"]) for a in spec["datasets"]["axes"]]
    [('acc', 0.7, 0.2...), ('ms', 30.0, -20.0)]
    """
    objs = _objectives(analysis, objectives, chart="parallel_coordinates")
    table, drawn, parts, _ = _prepare(analysis, max_points)
    built = _parallel(analysis, objs, table, drawn, brushed=False, width=width, height=height)
    built.datasets = {"candidates": records(table.loc[drawn]), **built.datasets}
    return finish(
        built,
        "Parallel coordinates (up is better on every axis)",
        [_summary(analysis), _front_note(analysis, objs), *parts.notes(table, f"{AXIS_BINS} bins per axis")],
    )


# --- linked views --------------------------------------------------------------------------------------


def linked_views(
    analysis: Any,
    x: str,
    y: str,
    *,
    objectives: list[str] | None = None,
    max_points: int = MAX_POINTS,
    width: int | None = None,
    focus: bool = False,
) -> Any:
    """The Pareto scatter of ``x`` and ``y`` beside the parallel coordinates, sharing one brush.

    Brushing the scatter greys out, in both views, every candidate outside the brushed box: the
    parallel coordinates read the same ``candidates`` dataset and their lines carry the
    objectives' fields, so the ``brush`` param's condition tests them directly (Vega-Lite keeps
    the original fields through the ``fold``).

    Parameters
    ----------
    analysis : Analysis
    x, y : str
        Objectives of the scatter.
    objectives : list of str, optional
        Axes of the parallel coordinates; default: all of the model's.
    max_points : int
        As in :func:`pareto_scatter`.
    width : int, optional
        The width the two views must fit in (pixels, plot areas plus axes). When the scatter and
        the parallel coordinates do not fit side by side, the parallel coordinates go below the
        scatter and take the whole width. Default: side by side at their natural sizes.
    focus : bool
        Axes span the feasible candidates (and the limits); candidates beyond are clamped to the
        edge and counted in the subtitle ("2 infeasible beyond the axes").

    Returns
    -------
    altair.HConcatChart or altair.VConcatChart
        One ``brush`` param (interval, x and y) on the scatter's points (the view altair names
        ``points_0`` inside the concatenation).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"},
    ...                                             {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": list("abc"), "acc": [0.9, 0.8, 0.7], "ms": [20, 10, 30]})
    >>> spec = linked_views(analyze(df, qm), "ms", "acc").to_dict()
    >>> spec["params"][0]["name"], spec["hconcat"][1]["layer"][1]["encoding"]["color"]["condition"]["param"]
    ('brush', 'brush')
    """
    ox, oy = objective(analysis, x), objective(analysis, y)
    if ox.name == oy.name:
        raise ChartError(f"linked_views needs two different objectives; got {x!r} for both x and y.")
    objs = _objectives(analysis, objectives, chart="linked_views")
    table, drawn, parts, knee_note = _prepare(analysis, max_points)
    table = _with_front_line(table, ox, oy)
    # ~70 px of axis and title on the left of each view, ~110 px of legend on the right
    par_width = max(360, 120 * len(objs))
    stacked = width is not None and 380 + par_width + 2 * 70 + 110 > width
    if stacked:  # both views take the whole width
        scatter_w = par_width = max(240, width - 70 - 110)
    else:
        scatter_w = 380
    layout, scatter_data, scatter_notes = _scatter_data(
        analysis, ox, oy, table, drawn, width=scatter_w, height=340 if stacked else 320, focus=focus
    )
    scatter = _scatter_built(layout, scatter_data, scatter_notes)
    par = _parallel(analysis, objs, table, drawn, brushed=True, height=300, width=par_width, focus=focus)
    datasets = {"candidates": records(table.loc[drawn]), **scatter.datasets, **par.datasets}
    if stacked:
        chart = alt.vconcat(scatter.chart, par.chart, spacing=28).resolve_scale(color="shared")
    else:
        chart = alt.hconcat(scatter.chart, par.chart).resolve_scale(color="shared")
    built = Built(chart, datasets, scatter.brush_views, scatter.notes + par.notes)
    return finish(
        built,
        f"Trade-off: {oy.name} vs {ox.name}, and every objective",
        [
            _summary(analysis),
            "Brush the scatter to highlight the same candidates "
            + ("below." if isinstance(chart, alt.VConcatChart) else "on the right."),
            _front_note(analysis, objs),
            _front_note(analysis, [ox, oy], line=True),
            knee_note,
            *parts.notes(table, f"{SCATTER_BINS}×{SCATTER_BINS} bins; {AXIS_BINS} per axis"),
        ],
    )
