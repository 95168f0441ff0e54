"""``DecisionRecorder``: a form that collects a decision as a plain value (persisted later)."""

from __future__ import annotations

from typing import Any

import ipywidgets as W
import traitlets

from widgets._common import ErrorArea, escape, top_candidate
from workbench import Analysis

__all__ = ["DecisionRecorder"]

#: Most candidates offered in the form's dropdown (the front and the best ranked come first).
MAX_OPTIONS = 200


class DecisionRecorder(W.VBox):
    """Collect the chosen candidate, the rationale and the decision makers.

    The form's content is always available as :attr:`value` (a traitlet) and :meth:`to_dict`:
    a plain dict with ``candidate``, ``rationale``, ``decision_makers`` (a list), ``model_hash``,
    ``data_hash``, ``method`` and ``weights`` of the analysis the decision is based on. Given a
    :class:`~widgets.TradeoffExplorer`, the recorder follows its current analysis, so the
    weights recorded are the ones the analyst settled on. :meth:`save` appends it to the decision
    log (:class:`workbench.decisions.DecisionLog`); :meth:`to_record` gives the record itself.

    Parameters
    ----------
    source : Analysis or TradeoffExplorer

    Attributes
    ----------
    candidate, rationale, decision_makers : ipywidgets
        The form's fields (Dropdown, Textarea, Text with comma-separated names).
    missing : list of str
        What the form still lacks (empty when complete).

    Examples
    --------
    >>> rec = DecisionRecorder(analysis)  # doctest: +SKIP
    >>> rec.rationale.value = "Best recall within the latency SLO."  # doctest: +SKIP
    >>> rec.to_dict()["candidate"]  # doctest: +SKIP
    'logreg-c1'
    """

    value = traitlets.Dict(help="The decision as a plain dict (see to_dict).")

    def __init__(self, source: Any, **kwargs: Any) -> None:
        self.errors = ErrorArea()
        self.error_area = self.errors.widget
        self._explorer = None if isinstance(source, Analysis) else source
        self._analysis: Analysis | None = source if isinstance(source, Analysis) else None
        wide = W.Layout(width="560px")
        style = {"description_width": "140px"}
        self.candidate = W.Dropdown(description="chosen candidate", layout=wide, style=style)
        self.rationale = W.Textarea(
            description="rationale",
            placeholder="Why this candidate, and which trade-offs we accept",
            layout=W.Layout(width="560px", height="90px"),
            style=style,
        )
        self.decision_makers = W.Text(
            description="decision makers", placeholder="Ada Lovelace, Alan Turing", layout=wide, style=style
        )
        self.summary = W.HTML()
        super().__init__(
            children=[
                W.HTML("<b>Record the decision</b>"),
                self.candidate,
                self.rationale,
                self.decision_makers,
                self.summary,
                self.error_area,
            ],
            **kwargs,
        )
        self.add_class("wb-decision-recorder")
        for field in (self.candidate, self.rationale, self.decision_makers):
            field.observe(self._on_field, names="value")
        with self.errors.guard("Preparing the form"):
            if self._explorer is not None:
                if not hasattr(self._explorer, "analysis"):
                    raise TypeError(
                        f"DecisionRecorder needs an Analysis or a TradeoffExplorer, got {type(source).__name__}."
                    )
                self._explorer.observe(self._on_analysis, names="analysis")
                self._analysis = self._explorer.analysis
            self._refresh_options()
            self._update()

    @property
    def error_text(self) -> str:
        """Plain text of the error shown in the widget ('' when none)."""
        return self.errors.text

    @property
    def analysis(self) -> Analysis | None:
        """The analysis the decision is based on."""
        return self._analysis

    @property
    def missing(self) -> list[str]:
        """What the form still lacks."""
        out = []
        if not self.value.get("candidate"):
            out.append("a chosen candidate")
        if not self.value.get("rationale"):
            out.append("a rationale")
        if not self.value.get("decision_makers"):
            out.append("at least one decision maker")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The decision as a plain dict: candidate, rationale, decision_makers, model_hash,
        data_hash, method, weights."""
        return {
            k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
            for k, v in self.value.items()
        }

    def to_record(self, **kwargs: Any) -> Any:
        """The form as a :class:`workbench.decisions.DecisionRecord` of the current analysis.

        ``kwargs`` go to ``DecisionRecord.from_analysis`` (``title``, ``consulted``, ``informed``,
        ``supersedes``, ``provenance``, ``status``).
        """
        from workbench.decisions import DecisionRecord
        from workbench.errors import DecisionError

        if self._analysis is None:
            raise DecisionError("The recorder has no analysis to base the decision on.")
        v = self.value
        return DecisionRecord.from_analysis(
            self._analysis,
            chosen=v["candidate"],
            rationale=v["rationale"],
            decision_makers=v["decision_makers"],
            **kwargs,
        )

    def save(self, log: Any = "sqlite:///decisions.db", **kwargs: Any) -> Any:
        """Append the decision to the decision log (a ``DecisionLog``, a SQLAlchemy URL or a file
        path) and return the stored record; an incomplete form is refused with what it lacks."""
        from workbench.decisions import DecisionLog
        from workbench.errors import DecisionError

        if self.missing:
            raise DecisionError("The decision is incomplete; still needed: " + ", ".join(self.missing) + ".")
        record = self.to_record(**kwargs)
        if isinstance(log, DecisionLog):
            return log.append(record)
        with DecisionLog(log) as opened:
            return opened.append(record)

    # --- callbacks -----------------------------------------------------------------------------

    def _on_analysis(self, change: dict[str, Any]) -> None:
        with self.errors.guard("Following the explorer"):
            self._analysis = change["new"]
            self._refresh_options()
            self._update()

    def _on_field(self, _change: dict[str, Any]) -> None:
        with self.errors.guard("Updating the decision"):
            self._update()

    def _refresh_options(self) -> None:
        a = self._analysis
        if a is None:
            self.candidate.options = []
            return
        t = a.table
        front = set(a.front)
        best = t.nsmallest(MAX_OPTIONS, "rank", keep="first")
        ids = [str(c) for c in best.index]
        ids += [c for c in a.front if c not in set(ids)][: max(0, MAX_OPTIONS - len(ids))]
        ranks = t["rank"]
        labels = [(f"{cid}  (rank {int(ranks.loc[cid])}{', front' if cid in front else ''})", cid) for cid in ids]
        current = self.candidate.value
        self.candidate.options = labels
        self.candidate.value = current if current in ids else top_candidate(a)

    def _update(self) -> None:
        a = self._analysis
        makers = [m.strip() for m in self.decision_makers.value.split(",") if m.strip()]
        self.value = {
            "candidate": self.candidate.value,
            "rationale": self.rationale.value.strip(),
            "decision_makers": makers,
            "model_hash": None if a is None else a.model.hash,
            "data_hash": None if a is None else a.candidates.data_hash,
            "method": None if a is None else a.method,
            "weights": {} if a is None else dict(a.weights),
        }
        missing = self.missing
        text = "Complete: ready to be recorded." if not missing else "Still needed: " + ", ".join(missing) + "."
        self.summary.value = f"<span style='font-size:12px;color:#444'>{escape(text)}</span>"
