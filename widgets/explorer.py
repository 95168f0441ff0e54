"""``TradeoffExplorer``: move weights and constraints, watch the front, the ranking and the why."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import ipywidgets as W
import pandas as pd
import traitlets

import workbench as wb
from widgets._common import (
    ErrorArea,
    as_model,
    brushed,
    candidates_table_html,
    escape,
    format_share,
    top_candidate,
)
from widgets._explain import explain
from widgets._vega import LiveChart
from workbench import Analysis, Candidates, Constraint, QualityModel, views
from workbench.analysis.methods import SCORERS
from workbench.analysis.reweight import Reranker

__all__ = ["TradeoffExplorer"]

#: Size of the Pareto plot in the explorer (the legend sits to its right): the chart, the
#: controls beside it, fit a 1280 x 720 JupyterLab with the file browser open.
PLOT_WIDTH, PLOT_HEIGHT = 330, 250
#: Step of the weight sliders and their typed boxes.
WEIGHT_STEP = 0.01

#: The chart's SVG is its own compositor layer with its layout, paint and style contained: with
#: thousands of marks, Chromium otherwise re-layerized the whole page, marks included, on every frame
#: in which anything changed (the table, a share label): in a trace of weight moves at 1e5
#: candidates, rendering fell from 265-288 to 129-218 ms per move, and the frames that only update
#: the text from ~20-45 to ~1 ms of layerization.
_CSS = """<style>
.wb-tradeoff-explorer {max-width:100%;box-sizing:border-box}
.wb-tradeoff-explorer .wb-row {flex-flow:row wrap;gap:4px 12px;align-items:flex-start;
  max-width:calc(100% - 2 * var(--jp-widgets-margin, 2px))}
.wb-tradeoff-explorer .wb-ranked-table {max-width:100%;overflow-x:auto}
.wb-tradeoff-explorer .wb-table-box {max-width:100%;overflow:auto;min-width:0}
.wb-tradeoff-explorer .wb-notes {font-size:11px;color:#555;line-height:1.3;max-width:100%}
.wb-tradeoff-explorer .wb-why {max-width:100%;overflow-wrap:anywhere}
.wb-tradeoff-explorer .wb-pareto {max-width:100%;overflow-x:auto}
.wb-tradeoff-explorer .wb-pareto svg {will-change:transform;contain:layout paint style}
.wb-tradeoff-explorer .wb-controls .widget-hslider .widget-label {overflow:hidden;text-overflow:ellipsis}
</style>"""


def _as_candidates(candidates: Any, model: QualityModel) -> Candidates:
    if isinstance(candidates, Candidates):
        return candidates.for_model(model)
    return wb.load(candidates, model)


def _slider_max(model: QualityModel) -> float:
    """Upper end of the weight sliders: room above every declared and stakeholder weight."""
    raw = [o.weight for o in model.objectives]
    raw += [w for weights in model.stakeholders.values() for w in weights.values()]
    return float(max(10.0, *raw))


class TradeoffExplorer(W.VBox):
    """Explore the trade-offs of a candidate set interactively, over the ``workbench`` engine.

    Weight sliders (each with a typed box and the objective's normalised share), stakeholder
    presets, constraint what-if sliders and a method picker re-rank the candidates; the Pareto view
    (drawn by :func:`workbench.views.pareto_live`, the same chart as ``views.pareto_scatter``) is
    brushed to filter the ranked table; a panel explains the top (or picked) candidate in plain
    language. Every callback calls the engine and the views; an error is shown in the widget, in
    the engine's words, and the widget stays usable.

    A weight move takes the fast path (:class:`workbench.analysis.reweight.Reranker`: normalisation
    computed once, one matrix-vector product and a sort per move) and the chart's rows are updated
    in place in the page (:func:`workbench.views.pareto_reweighted`, Vega's view API): nothing is
    re-embedded. A constraint move re-runs :func:`workbench.analyze` and, when the new view draws the
    same marks, also only replaces rows; an axes change draws the chart anew.

    Parameters
    ----------
    candidates : DataFrame, Candidates or source spec
        What :func:`workbench.load` accepts (a path, ``"mlflow:...#experiment"``, ...).
    model : QualityModel or path
        The quality model, or the path of its YAML file.
    x, y : str, optional
        Objectives on the Pareto view's axes; default: the first two objectives.
    smaa : int
        SMAA-2 samples for the initial analysis (0 = none; the :class:`SensitivityPanel` runs it on
        demand and hands the result back with :meth:`adopt`).
    seed : int
        Seed of every random step.
    rows : int
        Rows of the ranked table.
    max_points : int
        Most points the Pareto view draws individually (see ``workbench.views.pareto_scatter``).

    Attributes
    ----------
    analysis : Analysis
        The current analysis (None when loading failed).
    quality_model : QualityModel
        The model with the weights, constraint limits and method currently set.
    selected : DataFrame
        The brushed candidates (rows of ``analysis.to_frame()``), best rank first.
    weights, method, x, y, limits, brush, focus : traitlets
        The state, in plain values; set them from code (``explorer.weights = {...}``) or through
        the controls.

    Notes
    -----
    The controls, the chart, the table and the text boxes are private: code reads and sets the
    state above. The widgets package's own tests drive the private controls as a browser would.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> qm = wb.QualityModel.from_dict({"objectives": [
    ...     {"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min", "unit": "ms"}]})
    >>> df = pd.DataFrame({"id": ["a", "b", "c"], "acc": [0.9, 0.8, 0.6], "ms": [30, 10, 5]})
    >>> ex = TradeoffExplorer(df, qm)  # doctest: +SKIP
    >>> ex.weights = {"acc": 1, "ms": 4}  # doctest: +SKIP
    >>> ex.analysis.recommended  # doctest: +SKIP
    'c'
    """

    weights = traitlets.Dict(help="Raw weight (importance) of each objective, as on the sliders.")
    method = traitlets.Unicode("weighted_sum", help="Scoring method.")
    x = traitlets.Unicode(help="Objective on the Pareto view's x axis.")
    y = traitlets.Unicode(help="Objective on the Pareto view's y axis.")
    limits = traitlets.Dict(help="Limit of each absolute constraint, keyed by its declared text.")
    brush = traitlets.Dict(help="The Pareto view's brushed intervals {field: [a, b]}; {} = none.")
    focus = traitlets.Unicode(None, allow_none=True, help="Candidate explained; None = the top one.")
    analysis = traitlets.Instance(Analysis, allow_none=True, read_only=True, help="The current analysis.")

    def __init__(
        self,
        candidates: Any,
        model: QualityModel | str,
        *,
        x: str | None = None,
        y: str | None = None,
        smaa: int = 0,
        seed: int = 0,
        rows: int = 15,
        max_points: int = 5000,
        **kwargs: Any,
    ) -> None:
        self._errors = ErrorArea()
        self._weight_sliders: dict[str, W.FloatSlider] = {}
        self._share_labels: dict[str, W.HTML] = {}
        self._preset_buttons: dict[str, W.Button] = {}
        self._constraint_sliders: dict[str, W.FloatSlider] = {}
        self._chart: LiveChart | None = None
        self._live: views.LiveView | None = None  # the Pareto view on show
        self._table = W.HTML()
        self._why = W.HTML()
        self._status = W.HTML()
        self._notes = W.HTML()
        self._rows, self._max_points = int(rows), int(max_points)
        self._robustness = {"smaa": int(smaa), "seed": int(seed)}  # SMAA settings of every full analysis
        self._quiet = False  # True while the widget sets its own controls
        self._base: Analysis | None = None  # the last full analysis; weight moves re-rank it
        self._reranker: Reranker | None = None  # its re-ranker, built once it has been drawn
        self._base_model: QualityModel | None = None
        self._candidates: Candidates | None = None
        super().__init__(children=[self._errors.widget], **kwargs)
        self.add_class("wb-tradeoff-explorer")
        with self._errors.guard("Loading the candidates and the quality model"):
            model = as_model(model)
            self._candidates = _as_candidates(candidates, model)
            self._base_model = model
            names = model.names
            x, y = x or names[0], y or names[min(1, len(names) - 1)]
            for axis in (x, y):
                model[axis]  # noqa: B018 - an unknown axis raises the engine's error, listing the objectives
            analysis = wb.analyze(self._candidates, model, **self._robustness)
            self._build_controls(model, x, y)
            self._show(analysis, rebase=True)

    # --- public values -----------------------------------------------------------------------

    @property
    def quality_model(self) -> QualityModel | None:
        """The quality model with the weights, constraint limits and method currently applied."""
        return None if self.analysis is None else self.analysis.model

    @property
    def selected(self) -> pd.DataFrame:
        """Brushed candidates as a DataFrame (columns of ``Analysis.to_frame()``), best rank first."""
        if self.analysis is None:
            return pd.DataFrame()
        frame = self.analysis.to_frame()
        return frame[brushed(frame, self.brush)]

    @property
    def error_text(self) -> str:
        """Plain text of the error shown in the widget ('' when none)."""
        return self._errors.text

    def adopt(self, analysis: Analysis) -> None:
        """Show an analysis computed elsewhere (e.g. with SMAA by a SensitivityPanel).

        It must be of the same candidates; its weights, constraints and method become the
        explorer's.
        """
        with self._errors.guard("Showing the new analysis"):
            if self._candidates is None or analysis.candidates.data_hash != self._candidates.data_hash:
                raise wb.WorkbenchError(
                    "The analysis is of other candidates than this explorer's; build a new TradeoffExplorer for them."
                )
            if len(analysis.model.constraints) != len(self._base_model.constraints):
                raise wb.WorkbenchError(
                    "The analysis has other constraints than this explorer's "
                    f"({len(analysis.model.constraints)} instead of "
                    f"{len(self._base_model.constraints)}); build a new TradeoffExplorer."
                )
            p = analysis.parameters
            self._robustness = {
                "smaa": int(p.get("smaa", 0)),
                "seed": int(p.get("seed", 0)),
                "smaa_weights": p.get("smaa_weights", "simplex"),
            }
            with self._quietly():
                self._set_state_from(analysis.model, analysis.method)
            self._show(analysis, rebase=True)

    def apply_preset(self, name: str) -> None:
        """Set the weights of a stakeholder of the model (``"model"``: the model's own weights)."""
        with self._errors.guard(f"Applying the weights of {name!r}"):
            base = self._base_model
            weights = base.stakeholders.get(name)
            if weights is None and name != "model":
                base.with_weights(name)  # raises the engine's error, naming the stakeholders
            self.weights = dict(weights) if weights is not None else {o.name: o.weight for o in base.objectives}

    def clear_brush(self) -> None:
        """Remove the brush from the Pareto view and show the top of the whole ranking."""
        with self._errors.guard("Clearing the brush"):
            with self._quietly():
                self.brush = {}
            self._draw(self._view(self.analysis), anew=True)
            self._refresh_table()
            self._refresh_why()

    # --- building ------------------------------------------------------------------------------

    def _build_controls(self, model: QualityModel, x: str, y: str) -> None:
        names = model.names
        narrow = W.Layout(width="250px")
        self._x_picker = W.Dropdown(options=names, value=x, description="x", layout=narrow)
        self._y_picker = W.Dropdown(options=names, value=y, description="y", layout=narrow)
        self._method_picker = W.Dropdown(options=list(SCORERS), value=model.method, description="method", layout=narrow)
        top = _slider_max(model)
        rows = []
        for o in model.objectives:
            s = W.FloatSlider(
                value=o.weight,
                min=0.0,
                max=top,
                step=WEIGHT_STEP,
                description=o.name,
                continuous_update=False,
                readout=False,
                description_allow_html=False,
                style={"description_width": "100px"},
                layout=W.Layout(width="230px"),
            )
            box = W.BoundedFloatText(value=o.weight, min=0.0, max=top, step=WEIGHT_STEP, layout=W.Layout(width="72px"))
            box.add_class("wb-weight-box")
            W.link((s, "value"), (box, "value"))
            s.observe(self._on_weight_slider, names="value")
            label = W.HTML(layout=W.Layout(width="48px"))
            label.add_class(f"wb-share-{o.name}")
            self._weight_sliders[o.name], self._share_labels[o.name] = s, label
            row = W.HBox([s, box, label], layout=W.Layout(max_width="100%"))
            row.add_class("wb-weight")
            row.add_class(f"wb-weight-{o.name}")
            rows.append(row)
        for name in ["model", *model.stakeholders]:
            b = W.Button(description=name, tooltip=f"weights of {name}", layout=W.Layout(width="auto"))
            b.on_click(lambda _button, name=name: self.apply_preset(name))
            self._preset_buttons[name] = b
        what_if = []
        for c in model.constraints:
            if c.is_relative:
                continue
            lo, hi = self._limit_range(c)
            step = (hi - lo) / 200 or 0.01
            s = W.FloatSlider(
                value=c.limit,
                min=lo,
                max=hi,
                step=step,
                description=f"{c.objective} {c.op}",
                continuous_update=False,
                readout=False,
                style={"description_width": "100px"},
                layout=W.Layout(width="230px"),
            )
            box = W.BoundedFloatText(value=c.limit, min=lo, max=hi, step=step, layout=W.Layout(width="90px"))
            W.link((s, "value"), (box, "value"))
            s.observe(self._on_constraint_slider, names="value")
            self._constraint_sliders[str(c)] = s
            row = W.HBox([s, box], layout=W.Layout(max_width="100%"))
            row.add_class("wb-constraint")
            what_if.append(row)
        self._focus_picker = W.Dropdown(description="explain", layout=W.Layout(width="300px", max_width="100%"))
        self._brush_clear = W.Button(description="clear brush", layout=W.Layout(width="auto"))
        self._brush_clear.on_click(lambda _b: self.clear_brush())
        self._chart = LiveChart()
        self._chart.add_class("wb-pareto")
        self._chart.observe(self._on_page_brush, names="brush")
        self._table.add_class("wb-ranked-table")
        self._why.add_class("wb-why")
        self._status.add_class("wb-status")
        self._notes.add_class("wb-notes")

        with self._quietly():
            self.set_trait("x", x)
            self.set_trait("y", y)
            self._set_state_from(model, model.method)
        W.link((self._x_picker, "value"), (self, "x"))
        W.link((self._y_picker, "value"), (self, "y"))
        W.link((self._method_picker, "value"), (self, "method"))
        self._focus_picker.observe(self._on_focus_picker, names="value")

        def section(title: str) -> W.HTML:
            return W.HTML(f"<b>{escape(title)}</b>")

        def row(children: list[Any], **layout: Any) -> W.HBox:
            box = W.HBox(children, layout=W.Layout(**layout))
            box.add_class("wb-row")
            return box

        side = [
            section("Weights (share of the total)"),
            *rows,
            section("Stakeholder presets"),
            row(list(self._preset_buttons.values())),
        ]
        if what_if:
            side += [section("Constraints: what if the limit were…"), *what_if]
        side += [section("Ranking method and axes"), self._method_picker, self._x_picker, self._y_picker]
        controls = W.VBox(side, layout=W.Layout(flex="1 1 360px", min_width="0", max_width="100%"))
        controls.add_class("wb-controls")
        view = W.VBox(
            [self._chart, row([self._status, self._brush_clear]), self._notes],
            layout=W.Layout(flex="0 1 520px", width="520px", min_width="0", max_width="100%"),
        )  # plot + axes + legend ≈ 495 px
        table_box = W.VBox([self._table], layout=W.Layout(flex="3 1 420px", min_width="0", max_width="100%"))
        table_box.add_class("wb-table-box")
        why_box = W.VBox(
            [section("Why this candidate"), self._focus_picker, self._why],
            layout=W.Layout(flex="2 1 300px", min_width="0", max_width="100%"),
        )
        self.children = [W.HTML(_CSS), self._errors.widget, row([view, controls]), row([table_box, why_box])]

    def _limit_range(self, c: Constraint) -> tuple[float, float]:
        """Slider range of a constraint's limit: the objective's observed range, plus the limit."""
        values = self._candidates.table[c.objective]
        lo, hi = float(min(values.min(), c.limit)), float(max(values.max(), c.limit))
        return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)

    def _set_state_from(self, model: QualityModel, method: str) -> None:
        """Set the traits and controls to a model's weights, limits and method (no recompute)."""
        self.weights = {o.name: o.weight for o in model.objectives}
        self.limits = {
            key: c.limit for key, c in zip(self._constraint_keys(), model.constraints, strict=True) if not c.is_relative
        }
        self.method = method
        self._sync_controls()

    def _constraint_keys(self) -> list[str]:
        return [str(c) for c in self._base_model.constraints]

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        old, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = old

    def _sync_controls(self) -> None:
        with self._quietly():
            for name, s in self._weight_sliders.items():
                s.value = self.weights.get(name, 0.0)
            for key, s in self._constraint_sliders.items():
                if key in self.limits:
                    s.value = self.limits[key]
            if hasattr(self, "_method_picker"):
                self._method_picker.value = self.method

    # --- the model the controls describe -------------------------------------------------------

    def _current_model(self) -> QualityModel:
        base = self._base_model
        constraints = []
        for key, c in zip(self._constraint_keys(), base.constraints, strict=True):
            if key in self.limits and not c.is_relative:
                c = dataclasses.replace(c, limit=float(self.limits[key]), text="")
            constraints.append(c)
        return base.with_weights(self.weights).with_constraints(constraints).replace(method=self.method)

    # --- callbacks: controls -> traits ---------------------------------------------------------

    def _on_weight_slider(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            name = next(n for n, s in self._weight_sliders.items() if s is change["owner"])
            self.weights = {**self.weights, name: float(change["new"])}

    def _on_constraint_slider(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            key = next(k for k, s in self._constraint_sliders.items() if s is change["owner"])
            self.limits = {**self.limits, key: float(change["new"])}

    def _on_focus_picker(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.focus = change["new"] or None  # "" is the "top-ranked" entry

    def _on_page_brush(self, change: Mapping[str, Any]) -> None:
        """The brush the page reports (``{field: [a, b]}``, fields as Vega-Lite references)."""
        if self._quiet or self.analysis is None:
            return
        self.brush = views.brush_objectives(self.analysis, change["new"] or {})

    # --- callbacks: traits -> engine -> views --------------------------------------------------

    @traitlets.observe("weights")
    def _on_weights(self, change: Mapping[str, Any]) -> None:
        if self._quiet or self._base is None:
            return
        self._sync_controls()
        with self._errors.guard("Applying the weights"):
            analysis = self._ranker().reweigh(self.weights)
            self._show(analysis, view=views.pareto_reweighted(analysis, self._live))

    @traitlets.observe("method", "limits")
    def _on_model_change(self, change: Mapping[str, Any]) -> None:
        if self._quiet or self._base is None:
            return
        what = "Changing the method" if change["name"] == "method" else "Moving the constraint"
        with self._errors.guard(what):
            if change["name"] == "method" and self.analysis is not None and self.analysis.smaa is None:
                # only scores, ranks and stability depend on the method: re-rank, then redraw
                analysis = self._ranker().reweigh(self.weights, method=self.method)
            else:
                analysis = wb.analyze(self._candidates, self._current_model(), **self._robustness)
            self._show(analysis, rebase=True)

    @traitlets.observe("x", "y")
    def _on_axes(self, change: Mapping[str, Any]) -> None:
        if self._quiet or self.analysis is None:
            return
        with self._errors.guard("Changing the axes"):
            with self._quietly():
                self.brush = {}  # the old brush spans other fields
            self._draw(self._view(self.analysis))
            self._refresh_table()
            self._refresh_why()

    @traitlets.observe("brush")
    def _on_brush(self, change: Mapping[str, Any]) -> None:
        if self._quiet or self.analysis is None:
            return
        with self._errors.guard("Filtering by the brush"):
            self._refresh_table()
            self._refresh_why()

    @traitlets.observe("focus")
    def _on_focus(self, change: Mapping[str, Any]) -> None:
        if self.analysis is None:
            return
        with self._errors.guard("Explaining the candidate"):
            self._refresh_table()
            self._refresh_why()

    # --- redrawing -----------------------------------------------------------------------------

    def _view(self, analysis: Analysis) -> views.LiveView:
        return views.pareto_live(
            analysis,
            self.x,
            self.y,
            max_points=self._max_points,
            brush=self.brush,
            width=PLOT_WIDTH,
            height=PLOT_HEIGHT,
        )

    def _show(self, analysis: Analysis, *, rebase: bool = False, view: views.LiveView | None = None) -> None:
        """Make ``analysis`` current and redraw everything that depends on it.

        The new view is built before anything changes, so a failure leaves the widget showing the
        previous, consistent state (and the error). After a full analysis (``rebase``), the
        re-ranker for the next weight moves is built once everything is sent, while the page draws.
        """
        view = view if view is not None else self._view(analysis)
        if rebase:
            self._base, self._reranker = analysis, None
        self.set_trait("analysis", analysis)
        # The page handles the kernel's messages in order. The new ranking, shares and
        # recommendation go first. A weight move's patch costs the page ~30 ms at 1e5 candidates
        # (the marks carry their rows as tooltips: views.hover_tooltips), so it goes next, before
        # the explanation is built; new rows (a constraint move, a method change) hold the page's
        # main thread for ~0.25 s, so they go last.
        for name, share in analysis.model.weights.items():
            self._share_labels[name].value = escape(format_share(share))
        t = analysis.table
        self._status.value = escape(
            f"Recommended: {analysis.recommended or 'none (nothing is feasible)'} · {len(t):,} candidates, "
            f"{int(t['feasible'].sum()):,} feasible, {len(analysis.front):,} on the front"
        )
        self._refresh_table()
        if view.patch is not None:
            self._draw(view)
        self._refresh_why()
        if view.patch is None:
            self._draw(view)
        if rebase:
            self._ranker()

    def _ranker(self) -> Reranker:
        """The re-ranker of the last full analysis (built on first use after it changed)."""
        if self._reranker is None:
            self._reranker = Reranker(self._base)
        return self._reranker

    def _draw(self, view: views.LiveView, *, anew: bool = False) -> None:
        """Show ``view``: its rows replaced in place when it draws the same marks as the chart on
        show, else drawn anew."""
        old = self._live
        with self._quietly():
            if old is not None and not anew and old.same_drawing(view):
                if view.patch is not None and old.drawn and set(view.drawn) == set(old.drawn):
                    self._chart.apply_patch(view.patch)  # a weight move: only the weighted fields
                else:
                    changed = old.changed_datasets(view)
                    if changed:
                        self._chart.replace_data(changed)
            else:
                self._chart.draw(view.spec)
        self._live = view
        self._notes.value = "<br>".join(escape(line) for line in view.notes[1:])

    def _shown_rows(self) -> tuple[pd.DataFrame, str]:
        t = self.analysis.table
        if self.brush:
            inside = t[brushed(t, self.brush)]
            spans = ", ".join(f"{f} {min(v):.4g}–{max(v):.4g}" for f, v in self.brush.items() if f in t.columns)
            caption = f"{len(inside):,} brushed candidates ({spans}); the best {min(self._rows, len(inside))} by rank"
            return inside.nsmallest(self._rows, "rank", keep="first"), caption
        caption = (
            f"Top {min(self._rows, len(t))} of {len(t):,} candidates by rank "
            f"({self.analysis.method}); brush the Pareto view to filter"
        )
        return t.nsmallest(self._rows, "rank", keep="first"), caption

    def _explained(self) -> str | None:
        a = self.analysis
        if self.focus is not None and self.focus in a.table.index:
            return self.focus
        return top_candidate(a)

    def _refresh_table(self) -> None:
        rows, caption = self._shown_rows()
        extra = ["acceptability"] if "acceptability" in rows.columns else []
        unc = self.analysis.uncertainty
        self._table.value = candidates_table_html(
            rows,
            self.analysis.model,
            caption=caption,
            focus=self._explained(),
            extra=extra,
            spread=None if unc is None else unc.half_widths(),
        )
        shown = [str(cid) for cid in rows.index]
        focus = self.focus if self.focus in self.analysis.table.index else None
        if focus is not None and focus not in shown:
            shown.append(focus)
        ranks = self.analysis.table["rank"]
        options = [("top-ranked", "")] + [(f"{int(ranks.loc[cid])}. {cid}", cid) for cid in shown]
        with self._quietly():
            self._focus_picker.options = options
            self._focus_picker.value = focus or ""

    def _refresh_why(self) -> None:
        cid = self._explained()
        if cid is None:
            self._why.value = ""
            return
        sentences = explain(self.analysis, cid)
        items = "".join(f"<li>{escape(s)}</li>" for s in sentences[1:])
        self._why.value = (
            f'<div style="font-size:13px"><p><b>{escape(sentences[0])}</b></p>'
            f'<ul style="padding-left:18px;margin:0">{items}</ul></div>'
        )
