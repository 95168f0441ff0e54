"""The conflict heatmap: which objectives pull against each other on the front."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from workbench.views._data import Built, ChartError, finish, records

__all__ = ["conflict_heatmap"]


def conflict_heatmap(analysis: Any, *, cell: int = 64) -> alt.LayerChart:
    """Rank correlation of every pair of objectives' goodness on the front, and the literature prior.

    Negative (orange) means conflict: improving one worsens the other along the front; positive
    (blue) means synergy. Cells whose observed relation disagrees with the prior for the
    objectives' quality attributes are outlined in black and marked "≠ prior".

    Parameters
    ----------
    analysis : Analysis
        With at least two objectives.
    cell : int
        Side of one cell in pixels.

    Returns
    -------
    altair.LayerChart
        Dataset ``conflicts``: one row per ordered pair, ``row``, ``column``, ``rho``,
        ``observed``, ``prior``, ``agrees`` (True/False/None), ``disagrees``, ``text``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import QualityModel, analyze
    >>> qm = QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max", "quality_attribute": "system_accuracy"},
    ...     {"name": "ms", "direction": "min", "quality_attribute": "resource_efficiency"}]})
    >>> df = pd.DataFrame({"id": list("abcd"), "acc": [0.7, 0.8, 0.9, 0.95], "ms": [5, 9, 20, 40]})
    >>> [(r["row"], r["column"], r["rho"], r["agrees"]) for r in
    ...  conflict_heatmap(analyze(df, qm)).to_dict()["datasets"]["conflicts"]]
    [('acc', 'ms', -1.0, True), ('ms', 'acc', -1.0, True)]
    """
    names = analysis.model.names
    if len(names) < 2:
        raise ChartError(f"conflict_heatmap needs at least two objectives; the model has one ({names[0]}).")
    rows = []
    for r in analysis.conflicts.to_dict(orient="records"):
        rho = r["rho"] if r["rho"] is not None and np.isfinite(r["rho"]) else None
        agrees = None if r["agrees"] is None or pd.isna(r["agrees"]) else bool(r["agrees"])
        text = "n/a" if rho is None else f"{rho:+.2f}"
        if agrees is False:
            text += "\n≠ prior"
        for a, b in ((r["a"], r["b"]), (r["b"], r["a"])):
            rows.append(
                {
                    "row": a,
                    "column": b,
                    "rho": rho,
                    "observed": r["observed"],
                    "prior": r["prior"],
                    "attribute_row": r["attribute_a"] if a == r["a"] else r["attribute_b"],
                    "attribute_column": r["attribute_b"] if a == r["a"] else r["attribute_a"],
                    "agrees": agrees,
                    "disagrees": agrees is False,
                    "text": text,
                    "strong": rho is not None and abs(rho) >= 0.6,
                }
            )
    data = pd.DataFrame(
        rows,
        columns=[
            "row",
            "column",
            "rho",
            "observed",
            "prior",
            "attribute_row",
            "attribute_column",
            "agrees",
            "disagrees",
            "text",
            "strong",
        ],
    )
    labels = [f"{o.name} {o.arrow}" for o in analysis.model.objectives]
    x = alt.X(field="column", type="nominal", sort=names, title=None, axis=alt.Axis(labelAngle=-30, orient="top"))
    y = alt.Y(field="row", type="nominal", sort=names, title=None)
    tips = [
        alt.Tooltip(field="row", type="nominal", title="objective"),
        alt.Tooltip(field="column", type="nominal", title="vs"),
        alt.Tooltip(field="rho", type="quantitative", title="Spearman rho (goodness)", format="+.2f"),
        alt.Tooltip(field="observed", type="nominal", title="observed"),
        alt.Tooltip(field="prior", type="nominal", title="literature prior"),
        alt.Tooltip(field="agrees", type="nominal", title="agrees with prior"),
        alt.Tooltip(field="attribute_row", type="nominal", title="quality attribute"),
        alt.Tooltip(field="attribute_column", type="nominal", title="vs attribute"),
    ]
    base = alt.Chart(alt.NamedData(name="conflicts"))
    colour = alt.Color(
        field="rho",
        type="quantitative",
        title="rho (− conflict, + synergy)",
        scale=alt.Scale(domain=[-1, 1], domainMid=0, scheme="blueorange", reverse=True),
    )
    cells = base.mark_rect(stroke="black").encode(
        x=x,
        y=y,
        color=alt.condition("isValid(datum.rho)", colour, alt.value("#EEEEEE")),
        strokeWidth=alt.condition("datum.disagrees", alt.value(2.5), alt.value(0)),
        tooltip=tips,
    )
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(
        x=x,
        y=y,
        text=alt.Text(field="text", type="nominal"),
        color=alt.condition("datum.strong", alt.value("white"), alt.value("black")),
        tooltip=tips,
    )
    chart = alt.layer(cells, text).properties(width=alt.Step(cell), height=alt.Step(cell))
    feasible = bool(analysis.table["feasible"].any())
    observed_on = "the feasible front" if feasible else "the unconstrained front"
    subtitle = [
        f"Spearman correlation of the objectives' goodness on {observed_on} "
        f"({', '.join(labels)}); orange: conflict, blue: synergy.",
        'Outlined, "≠ prior": the observed relation disagrees with the literature prior for the quality attributes.',
    ]
    return finish(Built(chart, {"conflicts": records(data)}), "Conflicts between objectives", subtitle)
