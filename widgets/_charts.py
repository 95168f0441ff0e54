"""The Pareto view of the explorer: built by ``workbench.views``, kept live in a JupyterChart.

Two update paths:

- **structural** (first draw, axes, method, constraints): ``views.pareto_scatter`` builds the
  chart and :func:`send_chart` sends it: altair converts and validates the chart with its
  datasets emptied, and the rows (already JSON-safe, built by the views) are put back into the
  spec -- walking and validating thousands of rows cost ~1.3 s at 4,500 drawn points, now a few ms;
- **weights only**: positions, fronts, feasibility, knees and the density do not move; only each
  drawn candidate's rank, score and role (recommended) change. The chart rows of the candidates
  already drawn (plus the new top one) are rebuilt with the views' own ``chart_table`` rules and
  swapped into the last spec, which is assigned to ``jchart.spec`` (the synced traitlet the
  front end renders). That costs milliseconds, and the brush survives as the spec's initial
  brush value.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench import Analysis

__all__ = ["BRUSH", "EMBED_OPTIONS", "brush_value", "drawn_rows", "pareto_chart", "reweighted_spec", "send_chart",
           "unescape"]

#: Name of the Pareto view's interval selection (``workbench.views.pareto_scatter``).
BRUSH = "brush"
#: vega-embed options: SVG (marks carry their data as aria-labels), no link to the online editor.
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": True, "compiled": False, "editor": False}}


def unescape(field: str) -> str:
    """A Vega-Lite field reference back to the column name (``val\\.acc`` -> ``val.acc``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 1 < len(field):
            i += 1
        out.append(field[i])
        i += 1
    return "".join(out)


def brush_value(brush: Mapping[str, Sequence[float]], x: str, y: str) -> dict[str, list[float]] | None:
    """The brush ``{field: [a, b]}`` as a Vega-Lite initial interval ``{"x": [...], "y": [...]}``."""
    if x in brush and y in brush:
        return {"x": [float(v) for v in brush[x]], "y": [float(v) for v in brush[y]]}
    return None


def _set_brush(params: list[Any], value: dict[str, list[float]] | None, *, as_dict: bool) -> None:
    for p in params:
        name = p.get("name") if as_dict else getattr(p, "name", None)
        if name != BRUSH:
            continue
        if as_dict:
            if value is None:
                p.pop("value", None)
            else:
                p["value"] = value
        else:
            import altair as alt

            p.value = alt.Undefined if value is None else value


def pareto_chart(analysis: Analysis, x: str, y: str, *, max_points: int,
                 brush: Mapping[str, Sequence[float]]) -> Any:
    """``views.pareto_scatter`` with the current brush as the brush's initial value."""
    from workbench import views

    chart = views.pareto_scatter(analysis, x, y, max_points=max_points)
    params = getattr(chart, "params", None)
    if isinstance(params, list):
        _set_brush(params, brush_value(brush, x, y), as_dict=False)
    return chart


def send_chart(jchart: Any, chart: Any) -> None:
    """``jchart.chart = chart`` without altair walking and validating every data row.

    The chart is assigned with its top-level ``datasets`` emptied (the rest of the spec is
    converted and validated as usual), then the rows are put back into the chart and into the
    spec, in one message. ``jchart.chart`` is ``chart``, whole; ``jchart.spec`` equals
    ``chart.to_dict()`` (the rows are JSON-safe lists of dicts, as ``views._data.records`` makes them).
    """
    datasets = getattr(chart, "datasets", None)
    if not isinstance(datasets, dict) or not datasets:
        jchart.chart = chart
        return
    with jchart.hold_sync():
        chart.datasets = {name: [] for name in datasets}
        try:
            jchart.chart = chart
        finally:
            chart.datasets = datasets
        rows = {name: list(values) for name, values in datasets.items()}
        jchart.spec = {**jchart.spec, "datasets": {**jchart.spec.get("datasets", {}), **rows}}


def drawn_rows(spec: Mapping[str, Any], analysis: Analysis) -> np.ndarray:
    """Rows of ``analysis.table`` that a Pareto spec draws one by one."""
    ids = [str(r["candidate"]) for r in spec["datasets"]["candidates"]]
    return analysis.table.index.get_indexer(ids)


#: Fields of a chart row that depend on the weights (see ``workbench.views._data.chart_table``).
WEIGHTED_FIELDS = ("rank", "score", "role", "label")


def reweighted_spec(spec: Mapping[str, Any], analysis: Analysis, drawn: np.ndarray, *, previous: str | None,
                    brush: Mapping[str, Sequence[float]], x: str, y: str) -> dict[str, Any]:
    """The last Pareto spec with its candidates' rank, score and role redone for new weights.

    Only :data:`WEIGHTED_FIELDS` of each drawn row change (computed by the views' own
    ``chart_table`` on the drawn candidates); every other field the view added stays. A new top
    candidate that was not drawn one by one is added. The subtitle's "recommended: ..." is
    updated and the brush is set as the brush's initial value.

    Parameters
    ----------
    spec : dict
        The spec on show (from the last structural draw or update).
    analysis : Analysis
        The re-weighted analysis (same candidates, constraints and method as the spec's).
    drawn : ndarray of int
        Rows of ``analysis.table`` drawn one by one by the last structural draw.
    previous : str or None
        The recommended candidate the spec's subtitle names.
    brush : mapping
        The current brush ``{field: [a, b]}`` ({} for none).
    x, y : str
        The objectives on the axes.
    """
    from workbench.views._data import chart_table, records

    table = analysis.table
    top = analysis.recommended
    rows = drawn
    if top is not None and top not in set(table.index[drawn]):
        rows = np.append(drawn, np.flatnonzero(table.index == top)[:1])
    reduced = dataclasses.replace(analysis, table=table.iloc[rows])
    fresh = chart_table(reduced).set_index("candidate", drop=False)
    updates = dict(zip(fresh.index, records(fresh[list(WEIGHTED_FIELDS)]), strict=True))
    new_rows = []
    for row in spec["datasets"]["candidates"]:
        u = updates[str(row["candidate"])]
        if row.get("label") is None and u["role"] == "knee":  # the view labels only some knees
            u = {**u, "label": None}
        new_rows.append({**row, **u})
    seen = {str(r["candidate"]) for r in new_rows}
    missing = [cid for cid in fresh.index if cid not in seen]
    if missing:
        new_rows += records(fresh.loc[missing])
    new = dict(spec)
    new["datasets"] = {**spec["datasets"], "candidates": new_rows}
    title = spec.get("title")
    if isinstance(title, Mapping) and previous != top and "subtitle" in title:
        old_text, new_text = f"recommended: {previous}", f"recommended: {top}"
        subtitle = title["subtitle"]
        lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
        new["title"] = {**title, "subtitle": [s.replace(old_text, new_text) for s in lines]}
    if "params" in spec:
        new["params"] = copy.deepcopy(spec["params"])
        _set_brush(new["params"], brush_value(brush, x, y), as_dict=True)
    return new
