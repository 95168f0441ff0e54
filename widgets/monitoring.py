"""MonitoringBoard: live versions over time against the SLOs, the triggers, and the champion vs the front."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as W
import pandas as pd
import traitlets

import workbench as wb
from widgets._common import ErrorArea, as_model, chart_widget, escape, format_value
from workbench import QualityModel

__all__ = ["MonitoringBoard"]

_TABLE_CSS = (
    "<style>.wb-mon-table{border-collapse:collapse;font-size:12px}"
    ".wb-mon-table th,.wb-mon-table td{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}"
    ".wb-mon-table tr.critical td{background:#fde4d9}.wb-mon-table tr.warning td{background:#fff4dc}"
    "</style>"
)


def _decision(decisions: Any) -> Any:
    """The latest accepted decision from a DecisionRecord, a DecisionLog or a log URL (None stays None)."""
    if decisions is None or hasattr(decisions, "chosen"):
        return decisions
    if hasattr(decisions, "latest"):
        return decisions.latest()
    from workbench.decisions import DecisionLog

    with DecisionLog(str(decisions)) as log:
        return log.latest()


def triggers_table_html(triggers: Sequence[Any]) -> str:
    """The triggers as an escaped HTML table (most severe first, as :func:`detect` orders them)."""
    if not triggers:
        return '<div class="wb-caption">No trigger: every live version meets the SLOs and the decision holds.</div>'
    heads = ["severity", "kind", "version", "window", "objective", "value", "threshold", "message"]
    out = [
        _TABLE_CSS,
        f'<div class="wb-caption">{len(triggers)} trigger(s)</div>',
        '<table class="wb-mon-table"><thead><tr>',
        *(f"<th>{escape(h)}</th>" for h in heads),
        "</tr></thead><tbody>",
    ]
    for t in triggers:
        start = t.window_start
        cells = [
            t.severity,
            t.kind,
            t.version or "",
            "" if start is None else f"{pd.Timestamp(start):%Y-%m-%d %H:%M}",
            t.objective or "",
            "" if t.value is None else format_value(t.value),
            "" if t.threshold is None else format_value(t.threshold),
            t.message,
        ]
        out.append(
            f'<tr class="{escape(t.severity)}">' + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def drift_table_html(triggers: Sequence[Any]) -> str:
    """The Evidently evidence behind the ``data_drift`` triggers: column, method, score, threshold, rule
    ('' when there is none)."""
    rows = [t for t in triggers if t.kind == "data_drift"]
    if not rows:
        return ""
    heads = ["version", "column", "method", "score", "threshold", "drift when score", "drift", "report"]
    out = [
        _TABLE_CSS,
        '<div class="wb-caption">Data drift (Evidently)</div>',
        '<table class="wb-mon-table wb-drift-table"><thead><tr>',
        *(f"<th>{escape(h)}</th>" for h in heads),
        "</tr></thead><tbody>",
    ]
    for t in rows:
        e = t.evidence
        detected = e.get("drift_detected")
        cells = [
            t.version or "",
            e.get("column") or "",
            e.get("method") or "",
            format_value(e["score"]),
            "" if e.get("threshold") is None else format_value(e["threshold"]),
            "" if e.get("comparison") is None else f"{e['comparison']} threshold",
            "unknown" if detected is None else ("yes" if detected else "no"),
            e.get("report") or "",
        ]
        out.append(
            f'<tr class="{escape(t.severity)}">' + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


class MonitoringBoard(W.VBox):
    """Monitoring of the live versions in the quality model's objective space.

    An objective picker drives a time series (a line per version, the SLO dashed, triggers marked,
    the champion emphasised; an offline ``altair.JupyterChart``); below it the triggers of
    :func:`workbench.monitoring.detect` as an escaped table, and the champion's position among the
    versions live in the latest window (a small Pareto scatter of that window). Errors are shown in
    the widget's error area, in the engine's words.

    Parameters
    ----------
    logs_or_aggregated : path, glob, list of paths, or DataFrame
        Request logs (canonical schema) or an already aggregated frame (one row per
        (version, window_start)).
    model : QualityModel, YAML path or mapping
    decisions : DecisionRecord, DecisionLog or log URL, optional
        The latest accepted decision is checked too (its ``chosen`` is the champion).
    champion : str, optional
        The champion's version (overrides the decision's).
    window : str
        Window length for aggregating raw logs.
    drift : Evidently report(s), optional
        Evidently JSON exports (paths, dicts, ``"VERSION=path"`` or a mapping version -> report),
        (:func:`workbench.monitoring.with_drift`): their ``data_drift``/``data_quality``
        triggers join the table and the drift evidence is shown below it (``drift_table``).
    """

    objective = traitlets.Unicode(None, allow_none=True, help="Objective shown in the time series.")

    def __init__(
        self,
        logs_or_aggregated: Any,
        model: QualityModel | str,
        *,
        decisions: Any = None,
        champion: str | None = None,
        window: str = "1h",
        drift: Any = None,
        **kwargs: Any,
    ) -> None:
        self.errors = ErrorArea()
        self.error_area = self.errors.widget
        self.picker = W.Dropdown(description="objective", options=[])
        self.chart = None
        self.front_chart = None
        self.table = W.HTML()
        self.drift_table = W.HTML()
        self.status = W.HTML()
        self.model: QualityModel | None = None
        self.aggregated: pd.DataFrame | None = None
        self.decision = None
        self.champion = champion
        self.triggers: list[Any] = []
        self.live_analysis = None
        super().__init__(children=[self.error_area], **kwargs)
        self.add_class("wb-monitoring-board")
        with self.errors.guard("Loading the monitoring data and the quality model"):
            self._load(logs_or_aggregated, model, decisions, champion, window, drift)

    @property
    def error_text(self) -> str:
        """Plain text of the error shown in the widget ('' when none)."""
        return self.errors.text

    def _load(
        self, logs: Any, model: Any, decisions: Any, champion: str | None, window: str, drift: Any = None
    ) -> None:
        from workbench.monitoring import aggregate, detect, with_drift

        self.model = model = as_model(model)
        if isinstance(logs, pd.DataFrame) and {"window_start"} <= set(logs.columns) | set(logs.index.names or []):
            agg = logs
        else:
            agg = aggregate(logs, model, window=window)
        self.decision = _decision(decisions)
        if champion is None and self.decision is not None:
            champion = str(self.decision.chosen)
        if champion is None:
            champion = getattr(model, "champion", None)
        self.champion = champion
        from workbench.monitoring.slo import aggregated_frame

        self.aggregated = aggregated_frame(agg)
        self.triggers = with_drift(detect(self.aggregated, model, decision=self.decision, champion=champion), drift)
        names = [n for n in model.names if n in self.aggregated.columns]
        self.table.value = triggers_table_html(self.triggers)
        self.drift_table.value = drift_table_html(self.triggers)
        self._build_front()
        self.chart = chart_widget()
        self.picker.options = names
        self.picker.observe(self._on_pick, names="value")
        self.observe(self._on_objective, names="objective")
        parts = [self.error_area, W.HBox([self.picker, self.status]), self.chart, self.table]
        if self.drift_table.value:
            parts.append(self.drift_table)
        if self.front_chart is not None:
            parts.append(self.front_chart)
        self.children = parts
        first = next((t.objective for t in self.triggers if t.objective in names), names[0] if names else None)
        self.objective = first

    def _build_front(self) -> None:
        df, model = self.aggregated, self.model
        latest = df["window_start"].max()
        rows = df[df["window_start"] == latest]
        names = [n for n in model.names if n in rows.columns]
        n_versions = len(rows)
        when = f"{pd.Timestamp(latest):%Y-%m-%d %H:%M} UTC"
        self.status.value = (
            f"<span>{len(df['version'].unique())} version(s), "
            f"{df['window_start'].nunique()} window(s); latest {escape(when)}"
            f"{'; champion ' + escape(str(self.champion)) if self.champion else ''}</span>"
        )
        if len(names) < 2 or n_versions < 1:
            return
        live = pd.DataFrame(
            {"id": rows["version"].astype(str).to_numpy(), **{n: rows[n].astype("float64").to_numpy() for n in names}}
        )
        live = live.dropna()
        live_model = model
        if self.champion is not None and self.champion in set(live["id"]):
            live_model = model.replace(champion=self.champion)
        self.live_analysis = wb.analyze(live, live_model)
        from workbench.views import pareto_scatter

        chart = pareto_scatter(self.live_analysis, names[0], names[1], width=300, height=220)
        chart.title = f"Live front in the window from {when}"
        self.front_chart = chart_widget(chart)

    def _on_pick(self, change: dict[str, Any]) -> None:
        if change["new"] is not None and change["new"] != self.objective:
            self.objective = change["new"]

    def _on_objective(self, change: dict[str, Any]) -> None:
        with self.errors.guard(f"Showing {change['new']!r}"):
            from workbench.views import monitoring_timeseries

            name = change["new"]
            chart = monitoring_timeseries(
                self.aggregated, self.model, name, triggers=self.triggers, champion=self.champion
            )
            self.chart.chart = chart
            if self.picker.value != name and name in self.picker.options:
                self.picker.value = name
