"""What every view shares: name checks, the per-candidate chart table, large-input splitting,
binning, JSON-safe records and the finishing touches of a top-level chart.

Charts carry their data inline as *named* datasets (``{"data": {"name": "candidates"}}`` in a
view, the rows under the top-level ``datasets``), so a spec is self-contained, deterministic and
never goes through altair's data transformers (no 5,000-row ``MaxRowsError``, no vegafusion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.errors import UnknownObjectiveError, WorkbenchError, unknown_name
from workbench.views import theme

__all__ = [
    "ChartError",
    "MissingResultError",
    "RESERVED",
    "MAX_POINTS",
    "objective",
    "objectives",
    "chart_table",
    "Split",
    "split",
    "density_2d",
    "records",
    "column",
    "fieldname",
    "Built",
    "finish",
]

#: Default most candidates drawn one by one; the rest become a binned density.
MAX_POINTS = 5_000
#: Column names the chart data uses besides the objectives' own.
RESERVED = (
    "candidate",
    "rank",
    "score",
    "feasible",
    "violation",
    "front",
    "front_line",
    "status",
    "knee",
    "role",
    "label",
    "acceptability",
    "confidence",
    "axis_objective",
    "axis_value",
    "axis_index",
    "axis_lo",
    "axis_span",
    "axis_position",
)


class ChartError(WorkbenchError, ValueError):
    """A chart cannot be built from these arguments (too few objectives, a bad count...)."""


class MissingResultError(ChartError):
    """The analysis lacks a result the chart needs (SMAA, weight stability, replicates)."""


# --- names -----------------------------------------------------------------------------------------


def objective(analysis: Any, name: Any, role: str = "Objective") -> Any:
    """The model's :class:`~workbench.quality.Objective` called ``name``, or a clear error.

    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max"},
    ...                                             {"name": "latency_ms", "direction": "min"}]})
    >>> a = analyze(pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8], "latency_ms": [20, 10]}), qm)
    >>> objective(a, "latncy_ms")
    Traceback (most recent call last):
    ...
    workbench.errors.UnknownObjectiveError: Objective 'latncy_ms' is not an objective of the quality model.
      Valid: acc, latency_ms.
      Did you mean 'latency_ms'?
    """
    names = analysis.model.names
    if isinstance(name, str) and name in names:
        return analysis.model[name]
    fix = ""
    if isinstance(name, str) and name in analysis.candidates.metrics:
        fix = (
            f"{name!r} is a metric of the candidates but not an objective; add it to the quality "
            "model's objectives to plot it."
        )
    raise UnknownObjectiveError(unknown_name(role, name, names, where="an objective of the quality model", fix=fix))


def objectives(analysis: Any, names: Sequence[str] | None, *, at_least: int = 2, chart: str = "chart") -> list:
    """Objectives to plot, checked: all of the model's by default, at least ``at_least`` of them."""
    if names is None:
        chosen = list(analysis.model.objectives)
    else:
        if isinstance(names, str):
            names = [names]
        chosen = [objective(analysis, n) for n in names]
        seen = [o.name for o in chosen]
        dup = sorted({n for n in seen if seen.count(n) > 1})
        if dup:
            raise ChartError(f"{chart}: objective(s) {', '.join(map(repr, dup))} given more than once.")
    if len(chosen) < at_least:
        raise ChartError(
            f"{chart} needs at least {at_least} objectives, got {len(chosen)} "
            f"({', '.join(o.name for o in chosen) or 'none'}).\n"
            f"  The model's objectives: {', '.join(analysis.model.names)}."
        )
    return chosen


def _check_reserved(analysis: Any) -> None:
    clash = [n for n in analysis.model.names if n in RESERVED]
    if clash:
        raise ChartError(
            f"Objective name(s) {', '.join(map(repr, clash))} clash with column names the charts use "
            f"({', '.join(RESERVED)}).\n"
            "  Fix: rename the metric (e.g. 'model_score') in the data and the model."
        )


#: Vega-Lite re-escapes the ``.``, ``[``, ``]`` and quotes of a field path but not a backslash, so
#: Vega cannot address a column whose name holds one (``a\\.b`` reads as ``a\\`` -> ``b``); in the
#: chart data such a column is named with U+29F5 (⧵) instead (titles and tooltips show the real name).
BACKSLASH_STAND_IN = "\u29f5"


def column(name: str) -> str:
    """The key of a column in the chart data (``records``): the name, a backslash replaced by ⧵."""
    return str(name).replace("\\", BACKSLASH_STAND_IN)


def fieldname(name: str) -> str:
    r"""A column name as a Vega-Lite field reference to the chart data: ``.``, ``[``, ``]`` and
    quotes escaped (not nested access; Vega reads a quote before the first ``.`` or ``[`` as the
    start of a quoted path segment, so ``it's`` alone fails with "Access path missing closing
    quote"), a backslash replaced as in :func:`column`.

    >>> print(fieldname("val.acc"))
    val\.acc
    >>> print(fieldname("it's [0]"))
    it\'s \[0\]
    """
    return re.sub(r"""([.\[\]'"])""", r"\\\1", column(name))


# --- the per-candidate table ------------------------------------------------------------------------


def chart_table(analysis: Any) -> pd.DataFrame:
    """One row per candidate with the stable columns every view uses.

    Columns: ``candidate`` (id), one column per objective (raw values, the objective's name),
    ``rank``, ``score``, ``feasible``, ``violation``, ``front``, ``status`` (``front`` for the
    feasible front 0, ``infeasible``, else ``dominated``), ``knee``, ``role`` (``"recommended"``,
    ``"champion"``, ``"knee"``, comma-joined, or None), ``label`` (``"id (role)"`` or None) and,
    with SMAA, ``acceptability`` and ``confidence``. Rows in drawing order: dominated, infeasible,
    then front, each by rank (so the front is drawn on top).
    """
    _check_reserved(analysis)
    t = analysis.table
    names = analysis.model.names
    feasible = t["feasible"].to_numpy(dtype=bool)
    code = status_codes(feasible, t["front"].to_numpy())
    status = statuses(code)
    ids = np.asarray(t.index.astype(str), dtype=object)
    cols: dict[str, np.ndarray] = {"candidate": ids}  # arrays first, one frame at the end
    for n in names:
        cols[n] = t[n].to_numpy(dtype="float64")
    cols["rank"] = t["rank"].to_numpy()
    cols["score"] = t["score"].to_numpy(dtype="float64")
    cols["feasible"] = feasible
    cols["violation"] = t["violation"].to_numpy(dtype="float64")
    cols["front"] = t["front"].to_numpy()
    cols["status"] = status
    cols["knee"] = t["knee"].to_numpy(dtype=bool)
    cols["role"], cols["label"] = roles(ids, cols["knee"], analysis.recommended, analysis.champion)
    if "acceptability" in t.columns:
        cols["acceptability"] = t["acceptability"].to_numpy(dtype="float64")
        cols["confidence"] = t["confidence"].to_numpy(dtype="float64")
    order = drawing_order(code, cols["rank"])
    # text columns stay object columns: pandas would infer a string dtype (NaN for None in role and
    # label), converting 1e5 ids and statuses to Arrow on every redraw
    # (the gathered arrays are fresh: no copy; that halves the time at 1e5 candidates)
    return pd.DataFrame(
        {k: pd.Series(v[order], dtype=object, copy=False) if v.dtype == object else v[order] for k, v in cols.items()},
        copy=False,
    )


_STATUS_NAMES = np.array(theme.STATUSES, dtype=object)


def status_codes(feasible: np.ndarray, front: np.ndarray) -> np.ndarray:
    """Each candidate's status as its position in :data:`theme.STATUSES`: ``front`` for the
    feasible front 0, ``infeasible``, else ``dominated``."""
    where = theme.STATUSES.index
    return np.where(~feasible, where("infeasible"), np.where(front == 0, where("front"), where("dominated")))


def statuses(codes: np.ndarray) -> np.ndarray:
    """The status names of :func:`status_codes` (an object array)."""
    return _STATUS_NAMES[codes]


def drawing_order(codes: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Row order for drawing: by status code (:data:`theme.STATUSES`: the front last, on top),
    then by rank, worst first; ties keep their order."""
    return np.lexsort((-rank, codes))


def roles(ids: np.ndarray, knee: np.ndarray, recommended: Any, champion: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's ``role`` (``"recommended"``, ``"champion"``, ``"knee"``, comma-joined) and
    ``label`` (``"id (role)"``, the champion read as "incumbent"), None where it holds none.

    >>> roles(np.array(["a", "b", "c"], dtype=object), np.array([False, True, True]), "b", None)
    (array([None, 'recommended, knee', 'knee'], dtype=object), array([None, 'b (recommended, knee)', 'c (knee)'], dtype=object))
    """
    marks: dict[int, list[str]] = {}
    for role, cid in (("recommended", recommended), ("champion", champion)):
        if cid is not None:
            for i in np.flatnonzero(ids == str(cid)):
                marks.setdefault(int(i), []).append(role)
    for i in np.flatnonzero(knee):
        marks.setdefault(int(i), []).append("knee")
    role = np.full(len(ids), None, dtype=object)
    label = np.full(len(ids), None, dtype=object)
    for i, r in marks.items():
        role[i] = ", ".join(r)
        # the deployed model reads "incumbent" in every text (the data keeps the role's key)
        label[i] = f"{ids[i]} ({', '.join('incumbent' if x == 'champion' else x for x in r)})"
    return role, label


# --- large inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """Which rows of a :func:`chart_table` are drawn one by one (``drawn``) and which as density."""

    drawn: np.ndarray  # (n,) bool
    n_front_binned: int = 0

    @property
    def n_binned(self) -> int:
        return int((~self.drawn).sum())

    def notes(self, table: pd.DataFrame, bins: str) -> list[str]:
        """Caption lines saying how many candidates are shown as density (none when none are)."""
        if not self.n_binned:
            return []
        rest = table.loc[~self.drawn, "status"].value_counts()
        parts = [f"{rest.get(s, 0):,} {s}" for s in ("dominated", "infeasible", "front") if rest.get(s, 0)]
        first = f"{self.n_binned:,} of {len(table):,} candidates ({', '.join(parts)}) shown as density ({bins})."
        second = "Drawn one by one: the front, knees, champion, recommended and the non-dominated infeasible candidates"
        if self.n_front_binned:
            second += (
                f" — the first {int(self.drawn.sum()):,} of them by that priority, then rank "
                f"({self.n_front_binned:,} front members are in the density)."
            )
        else:
            second += "."
        return [first, second]


def split(analysis: Any, table: pd.DataFrame, max_points: int) -> Split:
    """Choose the rows drawn one by one when there are more than ``max_points`` candidates.

    Drawn, in this priority (then by rank), up to ``max_points``: the recommended candidate and the
    champion, knees, the feasible front (front 0), and the infeasible candidates no other
    infeasible candidate dominates (the boundary of the infeasible set). Everything else, and any
    of these past ``max_points``, goes to the density -- and the caption says so.
    """
    if not isinstance(max_points, (int, np.integer)) or isinstance(max_points, bool) or max_points < 1:
        raise ChartError(f"max_points must be a positive integer, got {max_points!r}.")
    n = len(table)
    if n <= max_points:
        return Split(np.ones(n, dtype=bool))
    from workbench.analysis import nondominated_mask

    priority = np.full(n, 9, dtype=np.int64)
    status = table["status"].to_numpy()
    priority[status == "front"] = 2
    infeasible = np.flatnonzero(status == "infeasible")
    if len(infeasible):
        model = analysis.model
        sign = np.array([o.sign for o in model.objectives])
        F = table[model.names].to_numpy(dtype="float64")[infeasible] * sign
        priority[infeasible[nondominated_mask(F)]] = 3
    priority[table["knee"].to_numpy(dtype=bool)] = 1
    # the recommended candidate and the champion hold a role (looked up among the few that hold one)
    held = np.flatnonzero(table["role"].notna().to_numpy())
    decision = {str(c) for c in (analysis.recommended, analysis.champion) if c is not None}
    ids = table["candidate"].to_numpy()
    priority[[i for i in held.tolist() if ids[i] in decision]] = 0
    candidates = np.flatnonzero(priority < 9)
    order = candidates[np.lexsort((table["rank"].to_numpy()[candidates], priority[candidates]))]
    drawn = np.zeros(n, dtype=bool)
    drawn[order[:max_points]] = True
    n_front_binned = int(((status == "front") & ~drawn).sum())
    return Split(drawn, n_front_binned)


def _edges(values: np.ndarray, bins: int) -> np.ndarray:
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        pad = abs(lo) * 0.01 or 0.5
        lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)


def density_2d(x: np.ndarray, y: np.ndarray, x_all: np.ndarray, y_all: np.ndarray, bins: int) -> pd.DataFrame:
    """Counts of the points ``(x, y)`` on a ``bins`` x ``bins`` grid spanning ``x_all``/``y_all``.

    Only non-empty cells are returned: ``x_start``, ``x_end``, ``y_start``, ``y_end``, ``count``.

    >>> d = density_2d(np.array([0.0, 0.1, 1.0]), np.array([0.0, 0.1, 1.0]),
    ...                np.array([0.0, 1.0]), np.array([0.0, 1.0]), bins=2)
    >>> d["count"].tolist()
    [2, 1]
    """
    xe, ye = _edges(x_all, bins), _edges(y_all, bins)
    counts, _, _ = np.histogram2d(x, y, bins=[xe, ye])
    i, j = np.nonzero(counts)
    return pd.DataFrame(
        {
            "x_start": xe[i],
            "x_end": xe[i + 1],
            "y_start": ye[j],
            "y_end": ye[j + 1],
            "count": counts[i, j].astype(np.int64),
        }
    )


# --- records and the finished chart -----------------------------------------------------------------


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: native Python values, NaN/inf as None; columns named by :func:`column`."""
    names = [column(c) if isinstance(c, str) and "\\" in c else c for c in df.columns]
    values = []  # column by column: a few numpy passes instead of pandas converting every cell
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if pd.api.types.is_float_dtype(col):
            arr = col.to_numpy(dtype="float64", na_value=np.nan)
            missing = ~np.isfinite(arr)
            vals = arr.tolist()
        else:
            missing = col.isna().to_numpy(dtype=bool)
            vals = col.tolist()
        for i in np.flatnonzero(missing).tolist():
            vals[i] = None
        values.append(vals)
    return (
        [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
        if names
        else [{} for _ in range(len(df))]
    )


def tip(field: str, title: str | None = None, fmt: str | None = None, kind: str = "quantitative") -> alt.Tooltip:
    """A tooltip entry (``field`` already escaped with :func:`fieldname` where needed)."""
    extra: dict[str, Any] = {} if fmt is None else {"format": fmt}
    return alt.Tooltip(field=field, type=kind, title=field if title is None else title, **extra)


def js(value: Any) -> str:
    """A Python value as a JavaScript literal for Vega expressions (strings quoted safely)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Built:
    """An unthemed chart with the datasets, brushed views and subtitle lines it needs at top level.

    ``brush_views`` names the views that carry the ``brush``; they are the only named views.
    """

    chart: Any
    datasets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    brush_views: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def brush_param(views: Iterable[str], *, resolve: str | None = None) -> alt.TopLevelSelectionParameter:
    """The interval selection ``brush`` (on the x and y encodings) of the named views."""
    select: dict[str, Any] = {"type": "interval", "encodings": ["x", "y"]}
    if resolve:
        select["resolve"] = resolve
    return alt.TopLevelSelectionParameter(name="brush", select=alt.IntervalSelectionConfig(**select), views=list(views))


def named_views(spec: Any) -> list[str]:
    """Names of the unit views in a chart tree, in drawing order (only brushed views are named).

    Altair renames a named layer when its layered chart is concatenated (``points`` becomes
    ``points_0``, by position, idempotently), so the brush's ``views`` are read off the built chart
    rather than assumed.
    """
    if isinstance(spec, alt.Chart):
        return [spec.name] if isinstance(spec.name, str) else []
    out: list[str] = []
    for key in ("layer", "hconcat", "vconcat", "concat"):
        children = getattr(spec, key, alt.Undefined)
        if children is not alt.Undefined:
            for child in children:
                out += named_views(child)
    return out


def finish(built: Built, title: str, subtitle: Iterable[str | None] = ()) -> Any:
    """Top-level chart: datasets, the brush (when a view has it), title, subtitle and the theme."""
    chart = built.chart
    chart.config = theme.config()
    chart.datasets = built.datasets
    if built.brush_views:
        views = named_views(chart)
        chart.params = [brush_param(views, resolve="global" if len(views) > 1 else None)]
    lines = list(dict.fromkeys(s for s in (*subtitle, *built.notes) if s))
    chart.title = alt.TitleParams(text=title, subtitle=lines) if lines else alt.TitleParams(text=title)
    return chart
