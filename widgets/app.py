"""``DecisionApp``: the trade-off decision as a page for people who do not open notebooks.

Served by ``workbench app`` (Voilà, no code shown): choose the evidence, read the recommendation
and how robust it is, move weights and what-if limits, pick a candidate, write the rationale and
press **Save decision** -- the decision is appended to the decision log and its memo is offered
as a download. Nothing on the page shows a file path, YAML or a Python structure: sources are
shown by name, the state by sentences.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as W

from widgets._common import ErrorArea, escape
from widgets._explain import explain
from widgets.explorer import TradeoffExplorer
from widgets.recorder import DecisionRecorder

__all__ = ["DecisionApp"]

#: Environment variable naming the app's configuration file (written by ``workbench app``).
CONFIG_ENV = "WORKBENCH_APP_CONFIG"

_CSS = """<style>
.wb-app {max-width:1180px;margin:0 auto;font-family:var(--jp-ui-font-family,sans-serif)}
.wb-app h2 {margin:4px 0 8px 0}
.wb-app .wb-headline {font-size:15px;background:#f3f7fb;border:1px solid #cbd9e6;border-radius:4px;
  padding:8px 12px;margin:6px 0}
.wb-app .wb-saved {font-size:14px;background:#effaf1;border:1px solid #b7dfbf;border-radius:4px;padding:8px 12px}
</style>"""


class DecisionApp(W.VBox):
    """A decision page over a :class:`TradeoffExplorer` and a :class:`DecisionRecorder`.

    Parameters
    ----------
    sources : sequence of mapping
        The evidence to choose from, first one shown first: each ``{"label": ..., "source": ...,
        "model": ...}`` (``source`` as :func:`workbench.load` takes it, ``model`` a quality-model
        path; ``label`` is what the page shows).
    decisions : str
        The decision log: a SQLAlchemy URL (``sqlite:///decisions.db``, ``postgresql+psycopg://...``)
        or a SQLite file path.
    smaa : int
        SMAA-2 samples behind the robustness sentence (0: none).
    seed : int
        Seed of SMAA-2.

    Attributes
    ----------
    explorer : TradeoffExplorer
        The explorer of the chosen source.
    recorder : DecisionRecorder
        The decision form (follows the explorer).
    saved : DecisionRecord or None
        The last decision saved from this page.
    """

    def __init__(
        self,
        sources: Sequence[Mapping[str, Any]],
        *,
        decisions: str = "sqlite:///decisions.db",
        smaa: int = 2000,
        seed: int = 0,
        **kwargs: Any,
    ) -> None:
        if not sources:
            raise ValueError("DecisionApp needs at least one source.")
        self._sources = [dict(s) for s in sources]
        self._decisions = str(decisions)
        self._smaa, self._seed = int(smaa), int(seed)
        self._errors = ErrorArea()
        self.explorer: TradeoffExplorer | None = None
        self.recorder: DecisionRecorder | None = None
        self.saved: Any = None
        self._picker = W.Dropdown(
            options=[(s["label"], i) for i, s in enumerate(self._sources)],
            value=0,
            description="Evidence",
            layout=W.Layout(width="520px", max_width="100%"),
        )
        self._picker.add_class("wb-app-source")
        self._headline = W.HTML()
        self._headline.add_class("wb-headline")
        self._slot = W.VBox()
        self._save = W.Button(description="Save decision", button_style="primary", layout=W.Layout(width="auto"))
        self._save.add_class("wb-save-decision")
        self._save.on_click(lambda _b: self.save())
        self._result = W.HTML()
        self._result.add_class("wb-save-result")
        self._form = W.VBox()
        super().__init__(
            children=[
                W.HTML(_CSS + "<h2>Trade-off decision</h2>"),
                self._picker,
                self._errors.widget,
                self._headline,
                self._slot,
                self._form,
                self._save,
                self._result,  # the form carries its own heading
            ],
            **kwargs,
        )
        self.add_class("wb-app")
        self._picker.observe(lambda change: self._open(change["new"]), names="value")
        self._open(0)

    @classmethod
    def from_environment(cls) -> DecisionApp:
        """The app described by the JSON file named in ``WORKBENCH_APP_CONFIG`` (``workbench app``)."""
        path = os.environ.get(CONFIG_ENV)
        if not path:
            raise RuntimeError(f"{CONFIG_ENV} is not set: start the app with `workbench app`.")
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
        return cls(
            config["sources"], decisions=config["decisions"], smaa=config.get("smaa", 2000), seed=config.get("seed", 0)
        )

    @property
    def error_text(self) -> str:
        """Plain text of the error shown on the page ('' when none)."""
        return self._errors.text

    # --- the chosen evidence -------------------------------------------------------------------

    def _open(self, index: int) -> None:
        source = self._sources[index]
        with self._errors.guard(f"Opening {source['label']}"):
            explorer = TradeoffExplorer(source["source"], source["model"], smaa=self._smaa, seed=self._seed)
            if explorer.error_text:
                raise RuntimeError(explorer.error_text)
            recorder = DecisionRecorder(explorer)
            self.explorer, self.recorder = explorer, recorder
            explorer.observe(lambda _change: self._refresh_headline(), names="analysis")
            self._slot.children = [explorer]
            self._form.children = [recorder]
            self._result.value = ""
            self._refresh_headline()

    def _refresh_headline(self) -> None:
        a = self.explorer.analysis if self.explorer is not None else None
        if a is None:
            self._headline.value = ""
            return
        if a.recommended is None:
            self._headline.value = escape(
                "No candidate meets every constraint: loosen a limit below to see a recommendation."
            )
            return
        lines = [f"<b>Recommended: {escape(a.recommended)}</b>"]
        robust = [
            s
            for s in explain(a, a.recommended)
            if s.startswith(("It ranks first under", "It never ranks", "It stays first"))
        ]
        if robust:
            lines.append("Robustness: " + " ".join(escape(s) for s in robust))
        self._headline.value = "<br>".join(lines)

    # --- saving --------------------------------------------------------------------------------

    def save(self) -> Any:
        """Append the form's decision to the decision log and offer its memo; the stored record."""
        with self._errors.guard("Saving the decision"):
            if self.recorder is None:
                raise RuntimeError("There is no evidence open to decide on.")
            label = self._sources[self._picker.value]["label"]
            record = self.recorder.save(self._decisions, title=f"Trade-off decision: {label}")
            self.saved = record
            memo = self._memo(record)
            link = ""
            if memo:
                data = base64.b64encode(memo.encode("utf-8")).decode("ascii")
                link = (
                    f' <a download="decision-memo-{escape(record.id[:8])}.html" '
                    f'href="data:text/html;base64,{data}">Download the decision memo</a>'
                )
            self._result.value = (
                f'<div class="wb-saved">Decision saved: <b>{escape(record.chosen)}</b> '
                f"(decision {escape(record.id[:8])}).{link}</div>"
            )
            return record
        self._result.value = ""
        return None

    def _memo(self, record: Any) -> str:
        """The decision memo (offline HTML) of the saved decision."""
        from workbench.reports.memo import Memo
        from workbench.reports.review import decide

        a = self.recorder.analysis
        decision = decide(a, chosen=record.chosen, decision_makers=list(record.decision_makers))
        decision["rationale"] = record.rationale
        return Memo.from_analysis(a, title=record.title, decision=decision).to_html()
