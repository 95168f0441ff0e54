"""The Pareto view for a page that keeps it drawn: a spec once, then only the rows that change.

A widget (the explorer) draws :func:`pareto_live`'s spec and, as the analyst moves weights or
limits, asks the views for the next state instead of editing the spec itself:

- :func:`pareto_reweighted` -- a weight move: positions, fronts, feasibility, knees and the density
  do not move; the drawn candidates' rank, score, role and label do (and the recommended one is
  drawn when it was not). Milliseconds at 10^5 candidates (only the drawn rows are rebuilt).
- :func:`pareto_live` again -- anything else (constraints, method, axes): the whole view.

Either way the result is a :class:`LiveView` whose spec is exactly what :func:`pareto_scatter`
draws (same marks, scales and rows) except that the subtitle lines come apart as ``notes`` for
the page to show beside the chart (they change with most moves, and a title cannot be changed in a
drawn Vega view, while data can), and that the candidates' tooltips are formatted by the page on
hover rather than drawn into every mark (:func:`hover_tooltips`). :meth:`LiveView.same_drawing` tells the page
whether the new view differs from the drawn one only in its rows -- then it replaces the rows in
place (Vega's ``view.change``), else it draws the new spec.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np

from workbench.views._data import (
    MAX_POINTS,
    chart_table,
    column,
    drawing_order,
    finish,
    js,
    records,
    roles,
    status_codes,
)
from workbench.views.pareto import _pareto_parts, _scatter_built, brush_value

__all__ = [
    "LiveView",
    "WEIGHTED_FIELDS",
    "brush_objectives",
    "brush_value",
    "HOVER_TOOLTIPS",
    "hover_tooltips",
    "pareto_live",
    "pareto_reweighted",
    "to_spec",
]


@dataclass(frozen=True)
class LiveView:
    """A Pareto view ready to be drawn, and what a page needs to keep it up to date.

    Attributes
    ----------
    spec : dict
        The Vega-Lite spec (JSON-safe; rows under ``datasets``) without the subtitle.
    notes : tuple of str
        The subtitle lines :func:`pareto_scatter` would draw (counts, the recommended candidate,
        what is drawn as density), for the page to show as text.
    drawn : tuple of str
        Ids of the candidates drawn one by one (the rows of the ``candidates`` dataset).
    x, y : str
        The objectives on the axes.
    patch : dict or None
        After a weight move (:func:`pareto_reweighted`): ``{dataset: {"key": "candidate", "keys":
        [ids in drawing order], "fields": {field: [values]}}}``, the changed fields of the drawn rows.
    """

    spec: dict[str, Any]
    notes: tuple[str, ...]
    drawn: tuple[str, ...]
    x: str
    y: str
    patch: dict[str, Any] | None = None

    @property
    def datasets(self) -> dict[str, list[dict[str, Any]]]:
        """The rows of every named dataset."""
        return self.spec.get("datasets", {})

    def same_drawing(self, other: LiveView) -> bool:
        """True when ``other`` draws the same marks as this view and differs only in its rows
        (and the brush's initial value, which a drawn view keeps by itself)."""
        return _skeleton(self.spec) == _skeleton(other.spec)

    def changed_datasets(self, other: LiveView) -> dict[str, list[dict[str, Any]]]:
        """The datasets of ``other`` whose rows differ from this view's."""
        mine = self.datasets
        return {
            name: rows for name, rows in other.datasets.items() if mine.get(name) is not rows and mine.get(name) != rows
        }


def _skeleton(spec: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k != "datasets"}
    if "params" in out:
        out["params"] = [{k: v for k, v in p.items() if k != "value"} for p in out["params"]]
    out["dataset_names"] = sorted(spec.get("datasets", {}))
    return out


def to_spec(chart: Any, validate: bool = True) -> dict[str, Any]:
    """``chart.to_dict()`` without altair walking and validating every row of its datasets.

    The chart is converted (and validated) with its top-level ``datasets`` emptied, then the rows
    (already JSON-safe, as :func:`workbench.views._data.records` makes them) are put back: the same
    dict, in milliseconds where validating thousands of rows takes seconds.

    ``validate=False`` skips altair's schema validation of the rest too (about 90 ms for the Pareto
    scatter): for a chart re-drawn on every slider move by the same builder whose output is
    validated where it is first drawn (memo, notebook) and compiled by the tests.
    """
    datasets = getattr(chart, "datasets", None)
    if not isinstance(datasets, dict) or not datasets:
        return chart.to_dict(validate=validate)
    chart.datasets = {name: [] for name in datasets}
    try:
        spec = chart.to_dict(validate=validate)
    finally:
        chart.datasets = datasets
    spec["datasets"] = {**spec.get("datasets", {}), **{name: list(rows) for name, rows in datasets.items()}}
    return spec


def brush_objectives(analysis: Any, page_brush: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    r"""A brush as the page reports it (``{field: [a, b]}``, fields as Vega-Lite references to the
    chart data) keyed by objective name; a field that is no objective keeps its unescaped name.

    >>> import pandas as pd, workbench as wb
    >>> a = wb.analyze(pd.DataFrame({"id": ["a", "b"], "val.acc": [0.8, 0.9], "ms": [3, 5]}),
    ...                wb.QualityModel.from_dict({"objectives": [{"name": "val.acc", "direction": "max"},
    ...                                                          {"name": "ms", "direction": "min"}]}), smaa=0)
    >>> brush_objectives(a, {"val\\.acc": [0.8, 0.85], "ms": [3, 4]})
    {'val.acc': [0.8, 0.85], 'ms': [3, 4]}
    """
    columns = {column(n): n for n in analysis.model.names}  # chart-data keys -> objectives
    out = {}
    for field, span in page_brush.items():
        name = _unescape(field)
        out[columns.get(name, name)] = span
    return out


def _unescape(field: str) -> str:
    """A Vega-Lite field reference back to the column name (``val\\.acc`` -> ``val.acc``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 1 < len(field):
            i += 1
        out.append(field[i])
        i += 1
    return "".join(out)


def pareto_live(
    analysis: Any,
    x: str,
    y: str,
    *,
    max_points: int = MAX_POINTS,
    brush: Mapping[str, Sequence[float]] | None = None,
    width: int = 420,
    height: int = 320,
) -> LiveView:
    """:func:`~workbench.views.pareto_scatter` as a :class:`LiveView` (its subtitle as ``notes``).

    Parameters
    ----------
    analysis, x, y, max_points, width, height
        As in :func:`~workbench.views.pareto_scatter`.
    brush : mapping, optional
        ``{objective: [a, b]}`` on both axes: the brush's initial interval.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.90, 0.80, 0.85, 0.95], "ms": [20, 10, 25, 40]})
    >>> live = pareto_live(analyze(df, qm), "ms", "acc")
    >>> live.drawn, live.notes[0]
    (('c', 'b', 'd', 'a'), '3 on the front · 0 infeasible · 4 candidates · recommended: a')
    >>> "subtitle" in live.spec["title"]
    False
    """
    parts = _pareto_parts(analysis, x, y, max_points=max_points, width=width, height=height)
    spec = _skeleton_spec(parts.layout, parts.title)
    spec["datasets"] = parts.datasets
    value = brush_value(brush or {}, x, y)
    if value is not None:
        spec["params"] = [{**p, "value": value} if p.get("name") == "brush" else p for p in spec.get("params", [])]
    return LiveView(spec, tuple(parts.lines), tuple(parts.drawn), x, y)


def _active_altair_theme() -> str:
    """The name of Altair's enabled theme (it fills in what a spec's own config leaves out):
    ``alt.theme.active`` from Altair 5.5, ``alt.themes.active`` before."""
    registry = getattr(alt, "theme", None)
    active = getattr(registry, "active", None)
    return active if isinstance(active, str) else str(alt.themes.active)


def _skeleton_spec(layout: Any, title: str) -> dict[str, Any]:
    """The live view's spec without its rows, for a layout (see ``views.pareto._Layout``): a
    fresh deep copy of the one built last time for the same layout, title and Altair theme.

    Building it is Altair's work -- constructing, copying and checking the layered chart, ~50 ms
    at every constraint move or method change -- while the marks depend on the layout alone
    (the rows come as datasets), and the layout rarely changes between moves.
    """
    return copy.deepcopy(_kept_skeleton(layout, title, _active_altair_theme()))


@functools.lru_cache(maxsize=16)
def _kept_skeleton(layout: Any, title: str, theme: str) -> dict[str, Any]:
    """The spec without rows built for a layout and title under Altair's theme ``theme`` (kept:
    never handed out, only copies of it)."""
    spec = hover_tooltips(to_spec(finish(_scatter_built(layout, {}), title), validate=False))
    spec.pop("datasets", None)
    return spec


#: The ``usermeta`` key of a spec whose tooltips a page formats on hover (:func:`hover_tooltips`).
HOVER_TOOLTIPS = "wbHoverTooltips"


def hover_tooltips(spec: Mapping[str, Any], dataset: str = "candidates") -> dict[str, Any]:
    r"""``spec`` with the tooltips of ``dataset``'s layers formatted when the pointer is on a mark.

    Vega-Lite draws a tooltip into every mark (an object of formatted values) and derives each
    mark's ARIA label from it. Vega builds both again for every row whose data changes, and a new
    tooltip object marks the item changed, so the SVG renderer rewrites it. A weight move changes
    the rank and score of every drawn candidate: at 4,500 marks that was about 100 of the 150 ms
    the page took to redraw in Chromium. Here the marks of ``dataset``'s layers carry their row
    itself as the tooltip (``datum``: the same object after a move, so a mark is redrawn only
    when it looks different); the tooltip's fields, titles and formats go to
    ``spec["usermeta"][HOVER_TOOLTIPS][dataset]`` for the page's tooltip formatter to apply on
    hover, as Vega-Lite would have (``LiveChart`` does); and each mark gets a short ARIA label of
    what a weight move leaves alone: the candidate, the values on the two axes and its status.
    Other layers keep their tooltips.

    >>> spec = {"layer": [{"data": {"name": "candidates"}, "mark": "point", "encoding": {
    ...     "x": {"field": "ms", "type": "quantitative", "title": "ms"},
    ...     "tooltip": [{"field": "candidate", "type": "nominal", "title": "candidate"},
    ...                 {"field": "val\\.acc", "type": "quantitative", "format": ".3f", "title": "val.acc"}]}}]}
    >>> out = hover_tooltips(spec)
    >>> out["layer"][0]["mark"]["tooltip"], "tooltip" in out["layer"][0]["encoding"]
    ({'expr': 'datum'}, False)
    >>> out["usermeta"]["wbHoverTooltips"]["candidates"][1]
    {'key': 'val.acc', 'title': 'val.acc', 'format': '.3f', 'quantitative': True}
    """
    out = dict(spec)
    entries: list[dict[str, Any]] | None = None

    def visit(layers: list[Any]) -> list[Any]:
        nonlocal entries
        done = []
        for layer in layers:
            layer = dict(layer)
            if "layer" in layer:
                layer["layer"] = visit(layer["layer"])
            encoding = layer.get("encoding", {})
            tips = encoding.get("tooltip")
            if layer.get("data") == {"name": dataset} and isinstance(tips, list):
                mine = [_hover_entry(t) for t in tips]
                if entries is not None and mine != entries:
                    raise ValueError(f"The layers of {dataset!r} show different tooltips; they cannot share one.")
                entries = mine
                mark = layer["mark"] if isinstance(layer["mark"], dict) else {"type": layer["mark"]}
                layer["mark"] = {
                    **mark,
                    "tooltip": {"expr": "datum"},
                    "description": {"expr": _aria_label(encoding)},
                }
                layer["encoding"] = {k: v for k, v in encoding.items() if k != "tooltip"}
            done.append(layer)
        return done

    out["layer"] = visit(list(spec.get("layer", [])))
    if entries is not None:
        meta = dict(out.get("usermeta", {}))
        meta[HOVER_TOOLTIPS] = {**meta.get(HOVER_TOOLTIPS, {}), dataset: entries}
        out["usermeta"] = meta
    return out


def _hover_entry(tip: Mapping[str, Any]) -> dict[str, Any]:
    """A Vega-Lite tooltip field as the page formats it: the datum's key, title, format, kind."""
    field = str(tip["field"])
    return {
        "key": _unescape(field),
        "title": str(tip.get("title", field)),
        "format": tip.get("format"),
        "quantitative": tip.get("type") == "quantitative",
    }


def _aria_label(encoding: Mapping[str, Any]) -> str:
    """A Vega expression for a candidate mark's ARIA label: id, the two axes' values, status."""
    parts = ['"candidate " + datum["candidate"]']
    for channel in ("x", "y"):
        enc = encoding.get(channel, {})
        if "field" in enc:
            title = str(enc.get("title", _unescape(enc["field"])))
            parts.append(f'{js("; " + title + ": ")} + format(datum[{js(_unescape(enc["field"]))}], ".4~g")')
    parts.append('"; status: " + datum["status"]')
    return " + ".join(parts)


def pareto_reweighted(analysis: Any, previous: LiveView) -> LiveView:
    """The view after a weight move: ``previous`` with its candidates' rows redone for ``analysis``.

    ``analysis`` must be ``previous``'s analysis re-weighted (same candidates, constraints and
    method: :meth:`workbench.analysis.reweight.Reranker.reweigh`). The drawn candidates stay drawn
    (the recommended one is added when it was not), their :data:`WEIGHTED_FIELDS` are rebuilt by the
    views' own rules (so a knee's label follows its new rank), the rows come in drawing order, and
    the summary note names the new recommended candidate. With every candidate drawn, the result
    equals ``pareto_live(analysis)``.

    When the drawn candidates are the same, ``patch`` holds the new values of the weighted fields,
    column by column, for a page that updates its drawn rows in place (a few hundred KB where the
    whole rows are megabytes at 10^5 candidates).
    """
    from workbench.views.pareto import _summary, limit_knee_labels

    t = analysis.table
    ids = list(previous.drawn)
    top = analysis.recommended
    added = top is not None and top not in set(ids)
    if added:
        ids.append(str(top))
    # Only the drawn rows' weighted fields, by chart_table's own rules (status, roles, order).
    at = t.index.get_indexer(ids)
    drawn = np.asarray(t.index[at].astype(str), dtype=object)
    rank = t["rank"].to_numpy()[at]
    code = status_codes(t["feasible"].to_numpy(dtype=bool)[at], t["front"].to_numpy()[at])
    role, label = roles(drawn, t["knee"].to_numpy(dtype=bool)[at], top, analysis.champion)
    perm = drawing_order(code, rank)
    drawn, rank, role, label = drawn[perm], rank[perm], role[perm], label[perm]
    limited = limit_knee_labels(role, label, rank)
    fresh = {
        "rank": rank.tolist(),
        "score": _floats(t["score"].to_numpy(dtype="float64")[at][perm]),
        "role": role.tolist(),
        "label": (label if limited is None else limited).tolist(),
    }
    order = drawn.tolist()
    old_rows = {r["candidate"]: r for r in previous.datasets.get("candidates", [])}
    rows = []
    for cid, rank_, score, role_, label_ in zip(
        order, fresh["rank"], fresh["score"], fresh["role"], fresh["label"], strict=True
    ):
        row = old_rows.get(cid)
        if row is None:  # the new top, not drawn before: its whole row (on the 2-D front line or not)
            reduced = dataclasses.replace(analysis, table=t.iloc[[t.index.get_loc(cid)]])
            row = records(chart_table(reduced))[0]
            row = {**{k: row.get(k, False) for k in _row_keys(previous)}, **row}
        # the drawn row with its weighted fields replaced (a new dict: the previous view keeps its own)
        rows.append({**row, "rank": rank_, "score": score, "role": role_, "label": label_})
    spec = {**previous.spec, "datasets": {**previous.datasets, "candidates": rows}}
    notes = (_summary(analysis), *previous.notes[1:])
    patch = None if added else {"candidates": {"key": "candidate", "keys": order, "fields": fresh}}
    return LiveView(spec, notes, tuple(order), previous.x, previous.y, patch)


#: Fields of a drawn candidate's row that depend on the weights (see ``_data.chart_table``).
WEIGHTED_FIELDS = ("rank", "score", "role", "label")


def _floats(values: Any) -> list[Any]:
    """Floats as JSON-safe values (NaN and infinities as None), as :func:`records` writes them."""
    out = values.tolist()
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        out[i] = None
    return out


def _row_keys(view: LiveView) -> list[str]:
    rows = view.datasets.get("candidates") or []
    return list(rows[0]) if rows else []
