"""Pieces every widget shares: the error area, HTML tables, offline charts, input coercion."""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import ipywidgets as W
import pandas as pd

from widgets._format import escape, format_share, format_value
from workbench import Analysis, QualityModel, WorkbenchError
from workbench.format import format_plus_minus

__all__ = [
    "ErrorArea",
    "as_model",
    "brushed",
    "candidates_table_html",
    "chart_widget",
    "enable_offline_charts",
    "escape",
    "format_share",
    "format_value",
    "top_candidate",
]

_ERROR_STYLE = (
    "color:#8b0000;background:#fff0f0;border:1px solid #e0b4b4;border-radius:4px;"
    "padding:6px 10px;margin:4px 0;white-space:pre-wrap;font-family:var(--jp-code-font-family,monospace);"
    "font-size:12px"
)


# --- errors ------------------------------------------------------------------------------------


class ErrorArea:
    """An HTML box that shows the last callback error, in the engine's words.

    ``guard(action)`` wraps a callback: an exception is shown here (never swallowed, never
    raised into the front end's console) and the widget that owns the area stays usable; a
    successful guarded call clears the box. ``text`` is the plain text of what is shown.

    Examples
    --------
    >>> area = ErrorArea()
    >>> with area.guard("Applying the weights"):
    ...     raise ValueError("all weights are zero")
    >>> area.text
    'Applying the weights failed.\\nValueError: all weights are zero'
    >>> with area.guard("Applying the weights"):
    ...     pass
    >>> area.text
    ''
    """

    def __init__(self) -> None:
        # auto, not 100 %: in a box the widget margins would make 100 % overflow by 4 px
        self.widget = W.HTML(value="", layout=W.Layout(width="auto", max_width="100%"))
        self.widget.add_class("wb-errors")
        self.text = ""
        self.exception: BaseException | None = None

    def show(self, exc: BaseException, action: str = "") -> None:
        """Display ``exc``; unexpected (non-workbench) errors also get their traceback, folded."""
        head = f"{action} failed.\n" if action else ""
        self.exception = exc
        self.text = f"{head}{type(exc).__name__}: {exc}"
        body = escape(self.text)
        if not isinstance(exc, (WorkbenchError, ValueError, KeyError, FileNotFoundError, ImportError)):
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            body += f"<details><summary>Traceback</summary>{escape(tb)}</details>"
        self.widget.value = f'<div role="alert" style="{_ERROR_STYLE}">{body}</div>'

    def clear(self) -> None:
        """Remove the message (after a successful update)."""
        if self.text or self.widget.value:
            self.text = ""
            self.exception = None
            self.widget.value = ""

    @contextlib.contextmanager
    def guard(self, action: str) -> Iterator[None]:
        """Run a callback body; show its exception here instead of raising it."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - shown to the analyst, with its type and text
            self.show(exc, action)
        else:
            self.clear()


# --- inputs ------------------------------------------------------------------------------------


def as_model(model: QualityModel | str | os.PathLike[str] | Mapping[str, Any]) -> QualityModel:
    """A QualityModel from a model, a YAML path (or YAML text), or a mapping."""
    if isinstance(model, QualityModel):
        return model
    if isinstance(model, (str, os.PathLike)):
        return QualityModel.from_yaml(model)
    if isinstance(model, Mapping):
        return QualityModel.from_dict(model)
    raise TypeError(
        f"model must be a QualityModel, a YAML path or a mapping, got {type(model).__name__}; "
        "build one with QualityModel.from_yaml(path)."
    )


# --- charts ------------------------------------------------------------------------------------


def enable_offline_charts() -> None:
    """Make every JupyterChart load Vega from the kernel (vl-convert's bundle), never a CDN.

    Called when the first widget with a chart is built, not at import: it changes altair's
    JupyterChart class for the whole kernel (idempotent, ~1 s the first time).
    """
    import altair as alt

    alt.JupyterChart.enable_offline()


def chart_widget(chart: Any = None) -> Any:
    """An offline ``alt.JupyterChart`` for ``chart`` (or empty)."""
    import altair as alt

    enable_offline_charts()
    return alt.JupyterChart(chart)


# --- candidates and tables ---------------------------------------------------------------------


def top_candidate(analysis: Analysis) -> str | None:
    """The recommended candidate, or the best-ranked one when nothing is feasible."""
    if analysis.recommended is not None:
        return analysis.recommended
    t = analysis.table
    return None if t.empty else str(t["rank"].idxmin())


def brushed(table: pd.DataFrame, brush: Mapping[str, Sequence[Any]]) -> pd.Series:
    """Boolean mask of the rows inside every brushed interval ``{field: [a, b]}``.

    Fields that are not columns of ``table`` are ignored; the ends may come in either order
    (Vega reports an interval in the direction it was dragged). An empty brush selects nothing.

    >>> t = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 6.0, 7.0]}, index=["a", "b", "c"])
    >>> brushed(t, {"x": [2.5, 1.5], "y": [0, 10]}).tolist()
    [False, True, False]
    """
    fields = [f for f, span in brush.items() if f in table.columns and len(span) == 2]
    if not fields:
        return pd.Series(False, index=table.index)
    inside = pd.Series(True, index=table.index)
    for f in fields:
        lo, hi = sorted(float(v) for v in brush[f])
        inside &= table[f].between(lo, hi)
    return inside


_TABLE_CSS = """<style>
.wb-table {border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
.wb-table th {text-align:right;border-bottom:1px solid #999;padding:2px 6px;white-space:nowrap}
.wb-table td {text-align:right;padding:2px 6px;border-bottom:1px solid #eee;white-space:nowrap}
.wb-table td.id, .wb-table th.id {text-align:left}
.wb-table tr.focus td {background:#fff6d5;font-weight:600}
.wb-table tr.infeasible td {color:#999}
.wb-caption {font-size:12px;color:#444;margin:2px 0 4px 0}
</style>"""


def candidates_table_html(
    rows: pd.DataFrame,
    model: QualityModel,
    *,
    caption: str,
    focus: str | None = None,
    extra: Sequence[str] = (),
    spread: Mapping[tuple[str, str], tuple[float, int]] | None = None,
) -> str:
    """Render ranked candidates as an escaped HTML table.

    Parameters
    ----------
    rows : DataFrame
        Rows of ``Analysis.table`` (index = candidate id), already filtered and ordered.
    model : QualityModel
        For the objective columns, their units and directions.
    caption : str
        A sentence above the table (escaped here).
    focus : str, optional
        Candidate id whose row is highlighted.
    extra : sequence of str
        Further columns to show when present (e.g. ``acceptability``).
    spread : mapping, optional
        ``{(candidate, objective): (half-width, n)}`` of per-seed replicates
        (:meth:`workbench.analysis.uncertainty.Uncertainty.half_widths`): those cells read
        ``mean ± half (n=N)``, so a gain smaller than the seed noise is visible as such.
    """
    heads = ["rank", "candidate", "score"]
    for o in model.objectives:
        unit = f" [{o.unit}]" if o.unit else ""
        heads.append(f"{o.name}{unit} {o.arrow}")
    heads += ["feasible", "front", "knee"] + [c for c in extra if c in rows.columns]
    out = [_TABLE_CSS, f'<div class="wb-caption">{escape(caption)}</div>', '<table class="wb-table"><thead><tr>']
    out += [f'<th class="{"id" if h == "candidate" else ""}">{escape(h)}</th>' for h in heads]
    out.append("</tr></thead><tbody>")
    names = model.names
    extra_cols = [c for c in extra if c in rows.columns]
    for cid, row in rows.iterrows():
        classes = []
        if focus is not None and str(cid) == focus:
            classes.append("focus")
        if not bool(row["feasible"]):
            classes.append("infeasible")
        cells = [format_value(int(row["rank"])), None, format_value(row["score"])]
        cells += [_cell(cid, n, row[n], model[n].unit or None, spread) for n in names]
        cells += [
            format_value(bool(row["feasible"])),
            format_value(int(row["front"])),
            "★" if bool(row["knee"]) else "",
        ]
        cells += [format_value(row[c]) for c in extra_cols]
        tds = []
        for i, text in enumerate(cells):
            if i == 1:
                tds.append(f'<td class="id">{escape(cid)}</td>')
            else:
                tds.append(f"<td>{escape(text)}</td>")
        out.append(f'<tr class="{" ".join(classes)}" data-candidate="{escape(cid)}">{"".join(tds)}</tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _cell(
    cid: Any, objective: str, value: Any, unit: str | None, spread: Mapping[tuple[str, str], tuple[float, int]] | None
) -> str:
    h = None if spread is None else spread.get((str(cid), objective))
    return format_value(value, unit) if h is None else format_plus_minus(value, h[0], h[1], unit)
