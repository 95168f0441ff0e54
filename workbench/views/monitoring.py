"""Monitoring time series: one objective of the aggregated monitoring data over the windows.

:func:`monitoring_timeseries` draws a line per deployed version over ``window_start`` for one
objective, with the SLO (the constraint's limit, resolved per window for relative constraints) as a
dashed vermillion rule, the triggers that concern this objective as marked points (their message in
the tooltip) and the champion's line emphasised. :func:`monitoring_panel` stacks one such chart per
objective present in the data.

Data are inline as named datasets (``series``, ``limits``, ``triggers``), as in every view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.errors import UnknownObjectiveError, unknown_name
from workbench.views import theme
from workbench.views._data import ChartError, records

__all__ = ["monitoring_timeseries", "monitoring_panel"]

_SEVERITY_COLORS = {
    "info": theme.OKABE_ITO["sky_blue"],
    "warning": theme.OKABE_ITO["orange"],
    "critical": theme.OKABE_ITO["vermillion"],
}


def _frame(aggregated: Any) -> pd.DataFrame:
    from workbench.monitoring.slo import aggregated_frame

    return aggregated_frame(aggregated)


def _present(df: pd.DataFrame, model: Any) -> list[str]:
    return [n for n in model.names if n in df.columns and pd.api.types.is_numeric_dtype(df[n])]


def _check(df: pd.DataFrame, model: Any, objective: Any) -> Any:
    present = _present(df, model)
    if isinstance(objective, str) and objective in present:
        return model[objective]
    fix = ""
    if isinstance(objective, str) and objective in model.names:
        fix = (
            f"{objective!r} is an objective of the quality model but not a column of the aggregated "
            "data; declare its 'source' and 'aggregation' so that aggregate() computes it."
        )
    raise UnknownObjectiveError(
        unknown_name("Objective", objective, present, where="an objective in the aggregated monitoring data", fix=fix)
    )


def _iso(v: Any) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return pd.Timestamp(v).isoformat()


def _trigger_rows(triggers: Sequence[Any], name: str, df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    latest = df["window_start"].max() if len(df) else None
    for t in triggers:
        get = t.get if isinstance(t, dict) else lambda k, _t=t: getattr(_t, k, None)
        obj = get("objective")
        if obj is not None and obj != name:
            continue
        start = get("window_start") or latest
        if start is None:
            continue
        value = get("value")
        version = get("version")
        if obj is None or value is None or (isinstance(value, float) and not np.isfinite(value)):
            # no value on this axis: place it on the version's line in that window when possible
            value = None
            if version is not None:
                hit = df.loc[(df["version"] == str(version)) & (df["window_start"] == pd.Timestamp(start)), name]
                if len(hit) and pd.notna(hit.iloc[0]):
                    value = float(hit.iloc[0])
        rows.append(
            {
                "window_start": _iso(start),
                "value": value,
                "version": None if version is None else str(version),
                "kind": get("kind"),
                "severity": get("severity") or "info",
                "message": str(get("message") or ""),
            }
        )
    return rows


def _limit_rows(df: pd.DataFrame, model: Any, name: str, champion: str | None) -> list[dict[str, Any]]:
    """The SLO limits of ``name`` per window (relative constraints against their baseline's value)."""
    out = []
    windows = df.drop_duplicates("window_start")[["window_start", "window_end"]]
    for c in model.constraints:
        if c.objective != name:
            continue
        if c.baseline is None:
            values = {w: float(c.resolve()) for w in windows["window_start"]}
        else:
            base = champion if c.baseline == "champion" else c.baseline
            if base is None:
                continue
            ref = df.loc[df["version"] == str(base)].set_index("window_start")[name].astype("float64")
            values = {
                w: c.factor * float(ref[w]) + c.offset
                for w in windows["window_start"]
                if w in ref.index and pd.notna(ref[w])
            }
        for start, end in windows.itertuples(index=False):
            if start in values:
                out.append(
                    {
                        "constraint": str(c),
                        "window_start": _iso(start),
                        "window_end": _iso(end) if pd.notna(end) else _iso(start),
                        "limit": values[start],
                    }
                )
    return out


def monitoring_timeseries(
    aggregated: Any,
    model: Any,
    objective: str,
    *,
    triggers: Sequence[Any] = (),
    champion: str | None = None,
    width: int = 420,
    height: int = 220,
) -> alt.LayerChart:
    chart, datasets, subtitle = _timeseries(
        aggregated, model, objective, triggers=triggers, champion=champion, width=width, height=height
    )
    return _finish(chart, datasets, f"{objective} per version over time", subtitle)


def _finish(chart: Any, datasets: dict, title: str, subtitle: list[str]) -> Any:
    chart.config = theme.config()
    chart.datasets = datasets
    chart.title = alt.TitleParams(text=title, subtitle=subtitle) if subtitle else alt.TitleParams(text=title)
    return chart


def _timeseries(
    aggregated: Any,
    model: Any,
    objective: str,
    *,
    triggers: Sequence[Any] = (),
    champion: str | None = None,
    width: int = 420,
    height: int = 220,
    prefix: str = "",
) -> tuple[Any, dict[str, list[dict[str, Any]]], list[str]]:
    """One objective over the monitoring windows, a line per version, with SLO and triggers.

    Parameters
    ----------
    aggregated : DataFrame
        One row per (version, window_start), as :func:`workbench.monitoring.aggregate` returns it.
    model : QualityModel
        Gives the objective's unit, direction and constraints.
    objective : str
        An objective of the model that is a column of ``aggregated``.
    triggers : sequence of Trigger (or their ``to_dict()``)
        Those about ``objective`` (or about no objective) are marked in their window.
    champion : str, optional
        The version drawn with a thicker line (default: the model's ``champion``); also the
        baseline of relative constraints.

    Returns
    -------
    altair.LayerChart
        Named datasets ``series`` and, when present, ``limits`` and ``triggers``.

    Raises
    ------
    UnknownObjectiveError
        ``objective`` is not an objective present in the data (the message lists those that are).
    """
    df = _frame(aggregated)
    o = _check(df, model, objective)
    champion = champion if champion is not None else getattr(model, "champion", None)
    name = o.name
    series = pd.DataFrame(
        {
            "version": df["version"].astype(str),
            "window_start": df["window_start"].map(_iso),
            "value": df[name].astype("float64"),
            "n_requests": df["n_requests"],
        }
    )
    has_interval = f"{name}_lo" in df.columns and f"{name}_hi" in df.columns
    if has_interval:
        series["lo"] = df[f"{name}_lo"].astype("float64")
        series["hi"] = df[f"{name}_hi"].astype("float64")
        series["n"] = df[f"{name}_n"] if f"{name}_n" in df.columns else df["n_requests"]
        level = (
            float(df["interval_level"].dropna().iloc[0])
            if "interval_level" in df.columns and df["interval_level"].notna().any()
            else 0.95
        )
    series["champion"] = series["version"] == (str(champion) if champion is not None else None)
    datasets: dict[str, list[dict[str, Any]]] = {"series": records(series)}
    unit = f" [{o.unit}]" if o.unit else ""
    x = alt.X(field="window_start", type="temporal", title="window start (UTC)")
    y = alt.Y(field="value", type="quantitative", title=o.label, scale=alt.Scale(zero=False))
    versions = sorted(series["version"].unique().tolist())
    color = alt.Color(
        field="version",
        type="nominal",
        title="version",
        scale=alt.Scale(domain=versions, range=[theme.PALETTE[i % len(theme.PALETTE)] for i in range(len(versions))]),
    )
    tips = [
        alt.Tooltip(field="version", type="nominal", title="version"),
        alt.Tooltip(field="window_start", type="temporal", title="window start", format="%Y-%m-%d %H:%M"),
        alt.Tooltip(field="value", type="quantitative", title=f"{name}{unit}", format=".4~g"),
        alt.Tooltip(field="n_requests", type="quantitative", title="requests"),
    ]
    base = alt.Chart(alt.NamedData(name=prefix + "series"))
    lines = base.mark_line(point=True).encode(
        x=x,
        y=y,
        color=color,
        detail=alt.Detail(field="version", type="nominal"),
        strokeWidth=alt.StrokeWidth(
            field="champion", type="nominal", legend=None, scale=alt.Scale(domain=[False, True], range=[1.5, 4])
        ),
        opacity=alt.condition(alt.datum.champion, alt.value(1.0), alt.value(0.75)) if champion else alt.value(0.9),
        tooltip=tips,
    )
    layers: list[Any] = [lines]
    subtitle = [f"champion: {champion}"] if champion is not None else []
    if has_interval and series[["lo", "hi"]].notna().any().any():
        from workbench.format import format_percent

        pct = format_percent(level)
        band_tips = tips[:2] + [
            alt.Tooltip(field="lo", type="quantitative", title=f"{pct} interval low", format=".4~g"),
            alt.Tooltip(field="hi", type="quantitative", title=f"{pct} interval high", format=".4~g"),
            alt.Tooltip(field="n", type="quantitative", title="n"),
        ]
        bands = base.mark_area(opacity=0.18).encode(
            x=x,
            y=alt.Y(field="lo", type="quantitative"),
            y2=alt.Y2(field="hi"),
            color=color,
            detail=alt.Detail(field="version", type="nominal"),
            tooltip=band_tips,
        )
        layers.insert(0, bands)
        subtitle.append(f"shaded: {pct} interval of each window (n in the tooltip)")

    limits = _limit_rows(df, model, name, champion)
    if limits:
        datasets["limits"] = limits
        lim = alt.Chart(alt.NamedData(name=prefix + "limits"))
        ltips = [
            alt.Tooltip(field="constraint", type="nominal", title="SLO"),
            alt.Tooltip(field="limit", type="quantitative", title=f"limit{unit}", format=".4~g"),
        ]
        band = lim.mark_rule(color=theme.SLO_COLOR, strokeDash=[6, 3], strokeWidth=2).encode(
            x=alt.X(field="window_start", type="temporal"),
            x2=alt.X2(field="window_end"),
            y=alt.Y(field="limit", type="quantitative"),
            tooltip=ltips,
        )
        layers.insert(0, band)
        subtitle += [f"SLO {c} (dashed)" for c in dict.fromkeys(r["constraint"] for r in limits)]

    trows = [r for r in _trigger_rows(triggers, name, df) if r["value"] is not None]
    if trows:
        datasets["triggers"] = trows
        sev = list(_SEVERITY_COLORS)
        marks = (
            alt.Chart(alt.NamedData(name=prefix + "triggers"))
            .mark_point(shape="triangle-up", size=220, filled=True, stroke="black", strokeWidth=1)
            .encode(
                x=alt.X(field="window_start", type="temporal"),
                y=alt.Y(field="value", type="quantitative"),
                fill=alt.Fill(
                    field="severity",
                    type="nominal",
                    title="trigger",
                    scale=alt.Scale(domain=sev, range=[_SEVERITY_COLORS[s] for s in sev]),
                ),
                tooltip=[
                    alt.Tooltip(field="kind", type="nominal", title="trigger"),
                    alt.Tooltip(field="severity", type="nominal", title="severity"),
                    alt.Tooltip(field="version", type="nominal", title="version"),
                    alt.Tooltip(field="message", type="nominal", title="message"),
                ],
            )
        )
        layers.append(marks)
        subtitle.append(f"{len(trows)} trigger(s) marked ▲")

    chart = alt.layer(*layers).properties(width=width, height=height)
    chart = chart.resolve_scale(color="independent")
    return chart, {prefix + k: v for k, v in datasets.items()}, subtitle


def monitoring_panel(
    aggregated: Any,
    model: Any,
    *,
    triggers: Sequence[Any] = (),
    champion: str | None = None,
    width: int = 420,
    height: int = 180,
) -> alt.VConcatChart:
    """:func:`monitoring_timeseries` for every objective of the model present in the data, stacked.

    Each row has its own datasets (prefixed ``o<i>_``) so that the panel stays self-contained.

    Raises
    ------
    ChartError
        No objective of the model is a column of ``aggregated``.
    """
    df = _frame(aggregated)
    names = _present(df, model)
    if not names:
        raise ChartError(
            "monitoring_panel: no objective of the quality model is a column of the aggregated data.\n"
            f"  The model's objectives: {', '.join(model.names)}; columns: {', '.join(map(str, df.columns))}."
        )
    rows, datasets = [], {}
    for i, n in enumerate(names):
        c, sets, sub = _timeseries(
            df, model, n, triggers=triggers, champion=champion, width=width, height=height, prefix=f"o{i}_"
        )
        datasets.update(sets)
        sub = [line for line in sub if not line.startswith("champion:")]  # said once, in the panel's subtitle
        rows.append(c.properties(title=alt.TitleParams(text=n, subtitle=sub) if sub else alt.TitleParams(text=n)))
    panel = alt.vconcat(*rows).resolve_scale(color="independent")
    sub = [f"{len(names)} objective(s): {', '.join(names)}"] + ([f"champion: {champion}"] if champion else [])
    return _finish(panel, datasets, "Monitoring", sub)
