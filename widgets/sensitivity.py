"""``SensitivityPanel``: how robust is the recommendation? SMAA-2 and weight stability on demand."""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import pandas as pd
import traitlets

import workbench as wb
from widgets._common import ErrorArea, chart_widget, escape, format_share, format_value
from workbench import Analysis
from workbench.analysis.smaa import WEIGHT_DISTRIBUTIONS

__all__ = ["SensitivityPanel"]

#: Distributions offered in the panel: those that need no further arguments.
DISTRIBUTIONS = tuple(d for d in WEIGHT_DISTRIBUTIONS if d in ("simplex", "stakeholders"))
#: Steps of a run, as shown by the progress bar.
STEPS = ("SMAA-2 and weight stability", "acceptability chart", "stability chart", "table")


class SensitivityPanel(W.VBox):
    """Run SMAA-2 and weight stability on demand and show their charts and a table.

    Parameters
    ----------
    source : Analysis or TradeoffExplorer
        With an explorer, the panel analyses the explorer's current candidates, weights,
        constraints and method, and hands its result back (:meth:`TradeoffExplorer.adopt`), so the
        explorer's "why" panel shows each candidate's first-rank acceptability.
    samples : int
        SMAA-2 weight samples.
    seed : int
        Seed: same inputs and seed, same numbers.
    distribution : {"simplex", "stakeholders"}
        Weight distribution of SMAA-2 (``stakeholders``: anywhere between the model's stakeholders).

    Attributes
    ----------
    analysis : Analysis
        The analysis with SMAA and stability after :meth:`run` (traitlet; None before).
    progress : ipywidgets.IntProgress
        One step per stage of a run.
    """

    analysis = traitlets.Instance(Analysis, allow_none=True, read_only=True)

    def __init__(
        self, source: Any, *, samples: int = 10_000, seed: int = 0, distribution: str = "simplex", **kwargs: Any
    ) -> None:
        self.errors = ErrorArea()
        self.error_area = self.errors.widget
        self._explorer = None if isinstance(source, Analysis) else source
        self._source_analysis = source if isinstance(source, Analysis) else None
        style = {"description_width": "110px"}
        self.samples = W.BoundedIntText(
            value=samples,
            min=1,
            max=10_000_000,
            step=1000,
            description="samples",
            style=style,
            layout=W.Layout(width="230px"),
        )
        self.seed = W.IntText(value=seed, description="seed", style=style, layout=W.Layout(width="230px"))
        self.distribution = W.Dropdown(
            options=list(DISTRIBUTIONS),
            value=distribution,
            description="weights",
            style=style,
            layout=W.Layout(width="260px"),
        )
        self.run_button = W.Button(description="Run", button_style="primary", icon="play")
        self.progress = W.IntProgress(
            value=0, min=0, max=len(STEPS), description="", bar_style="info", layout=W.Layout(width="240px")
        )
        self.step = W.HTML()
        self.acceptability_chart = chart_widget()
        self.stability_chart = chart_widget()
        # A table wider than the output area scrolls inside its own box (at 1280x720 with the file
        # browser open it is ~1,030 px in ~850 px); it is never cut off or spilt past the window.
        self.table = W.HTML(layout=W.Layout(max_width="100%", overflow="auto"))
        self.table.add_class("wb-sensitivity-table")
        super().__init__(
            children=[
                W.HTML("<b>Sensitivity: SMAA-2 rank acceptability and weight stability</b>"),
                W.HBox([self.samples, self.seed, self.distribution, self.run_button]),
                W.HBox([self.progress, self.step]),
                self.error_area,
                W.HBox(
                    [self.acceptability_chart, self.stability_chart],
                    layout=W.Layout(flex_flow="row wrap", max_width="100%"),
                ),
                self.table,
            ],
            **kwargs,
        )
        self.layout.max_width = self.layout.max_width or "100%"
        self.add_class("wb-sensitivity-panel")
        self.run_button.on_click(lambda _b: self.run())
        if self._explorer is not None and not hasattr(self._explorer, "adopt"):
            self.errors.show(
                TypeError(f"SensitivityPanel needs an Analysis or a TradeoffExplorer, got {type(source).__name__}."),
                "Preparing the panel",
            )

    @property
    def error_text(self) -> str:
        """Plain text of the error shown in the widget ('' when none)."""
        return self.errors.text

    def _base(self) -> Analysis:
        base = self._explorer.analysis if self._explorer is not None else self._source_analysis
        if base is None:
            raise wb.WorkbenchError(
                "There is no analysis to test: the explorer could not load its data (see its error message)."
            )
        return base

    def run(self) -> Analysis | None:
        """Run SMAA-2 and weight stability with the chosen settings; show charts and table."""
        from workbench import views

        self.progress.value = 0
        self.progress.bar_style = "info"
        with self.errors.guard("Running the sensitivity analysis"):
            base = self._base()
            self.step.value = escape(f"{STEPS[0]} ({self.samples.value:,} samples)…")
            analysis = wb.analyze(
                base.candidates,
                base.model,
                method=base.method,
                champion=base.champion,
                smaa=int(self.samples.value),
                seed=int(self.seed.value),
                smaa_weights=self.distribution.value,
                stability=True,
            )
            self.set_trait("analysis", analysis)
            self._advance(1)
            self.acceptability_chart.chart = views.acceptability_bars(analysis)
            self._advance(2)
            self.stability_chart.chart = views.stability_tornado(analysis) if analysis.stability is not None else None
            self._advance(3)
            self.table.value = self._table_html(analysis)
            self._advance(4)
            self.progress.bar_style = "success"
            if self._explorer is not None:
                self._explorer.adopt(analysis)
            return analysis
        self.progress.bar_style = "danger"
        self.step.value = "failed (see the message)"
        return None

    def _advance(self, done: int) -> None:
        self.progress.value = done
        self.step.value = escape("done" if done >= len(STEPS) else f"{STEPS[done]}…")

    @staticmethod
    def _table_html(analysis: Analysis) -> str:
        smaa = analysis.smaa
        frame = smaa.to_frame()
        frame = frame[smaa.competing].sort_values("first_rank", ascending=False, kind="stable").head(20)
        heads = ["candidate", "first-rank acceptability", "confidence"] + [f"central {n}" for n in analysis.model.names]
        rows = []
        for cid, r in frame.iterrows():
            cells = [escape(cid), escape(f"{r['first_rank']:.1%}"), escape(format_value(r["confidence"]))]
            cells += [
                escape(format_share(r[f"cw_{n}"]) if pd.notna(r[f"cw_{n}"]) else "–") for n in analysis.model.names
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        caption = (
            f"SMAA-2 over {smaa.samples:,} weight samples ({smaa.weights}, seed {smaa.seed}, "
            f"{smaa.method}); {int(smaa.competing.sum()):,} candidates compete (the feasible front)."
        )
        stab = ""
        if analysis.stability is not None:
            top = analysis.stability.attrs.get("top")
            stab = f"<div>Weight stability of the top candidate {escape(top)}: see the chart.</div>"
        return (
            f"<div style='font-size:12px'>{escape(caption)}{stab}<table class='wb-table'><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in heads)
            + "</tr>"
            + "".join(rows)
            + "</table></div>"
        )
