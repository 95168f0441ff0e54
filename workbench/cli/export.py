"""``workbench export``: push-down artefacts from a decision (Prometheus rules, MADR, Optuna, MLflow)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import _check_output, _err, _fail, _out, _write_output, app
from workbench.cli._log import _DEFAULT_LOG, DecisionsOption, _open_log, _resolve_record
from workbench.errors import WorkbenchError

export_app = typer.Typer(
    help="Push-down artefacts from a decision: prometheus, madr, optuna, mlflow; "
    "an executed notebook as offline HTML: notebook.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

DecisionIdOption = Annotated[
    str | None, typer.Option("--decision", help="Decision id or prefix (default: the latest accepted decision).")
]
ExportOutput = Annotated[Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")]


def _emit(text: str, output: Path | None, log=None, record=None, kind: str = "") -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    _write_output(output, text)
    if log is not None and record is not None:
        log.add_pushdown(record.id, {"kind": kind, "path": str(Path(output).resolve())})
    _err().print(f"Wrote {output}", markup=False)


def _export(decisions: str, decision: str | None, model: Path | None, output: Path | None, kind: str, render) -> None:
    import workbench as wb

    _check_output(output)
    try:
        if model is not None and decision is None:
            _emit(render(wb.QualityModel.from_yaml(model)), output)
            return
        with _open_log(decisions) as log:
            record = _resolve_record(log, decision)
            _emit(render(record), output, log, record, kind)
    except WorkbenchError as exc:
        raise _fail(exc) from None


@export_app.command("prometheus")
def export_prometheus(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Use a quality model instead of a decision (absolute constraints only)."),
    ] = None,
    metric_map: Annotated[
        Path | None, typer.Option(help="YAML: objective -> metric name or {metric, scale, selector, expr}.")
    ] = None,
    for_: Annotated[str, typer.Option("--for", help="Alert 'for' duration.")] = "10m",
    window: Annotated[str, typer.Option(help="Range of the rate/increase selectors (Prometheus duration).")] = "5m",
    label: Annotated[list[str] | None, typer.Option(help="Extra label KEY=VALUE (repeatable).")] = None,
    output: ExportOutput = None,
) -> None:
    """Prometheus alerting rules (YAML) from the constraints on monitored metrics."""
    import yaml

    from workbench.decisions.pushdown import prometheus_rules

    labels = {}
    for item in label or []:
        if "=" not in item:
            raise _fail(ValueError(f"--label {item!r} must be KEY=VALUE."))
        k, v = item.split("=", 1)
        labels[k.strip()] = v
    mapping = None
    if metric_map is not None:
        try:
            mapping = yaml.safe_load(Path(metric_map).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _fail(ValueError(f"cannot read --metric-map {str(metric_map)!r}: {exc}")) from None
        if not isinstance(mapping, dict):
            raise _fail(
                ValueError(
                    f"--metric-map {str(metric_map)!r} must hold a mapping of objective names to "
                    f"metrics, got {mapping!r:.60}.\n  Fix: one line per objective, e.g. "
                    "'latency_ms: http_request_duration_ms'."
                )
            )
    _export(
        decisions,
        decision,
        model,
        output,
        "prometheus_rules",
        lambda src: prometheus_rules(src, metric_map=mapping, for_=for_, labels=labels, window=window),
    )


@export_app.command("madr")
def export_madr(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    output: ExportOutput = None,
) -> None:
    """The decision as MADR 4.0 Markdown."""
    _export(decisions, decision, None, output, "madr", lambda rec: rec.to_madr())


@export_app.command("optuna")
def export_optuna(
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Use a quality model instead of a decision.")
    ] = None,
    output: ExportOutput = None,
) -> None:
    """Optuna directions, metric names and constraints (JSON) for the next search."""
    import json

    from workbench.decisions.pushdown import optuna_directions

    _export(
        decisions,
        decision,
        model,
        output,
        "optuna_directions",
        lambda src: json.dumps(optuna_directions(src), indent=2, ensure_ascii=False) + "\n",
    )


@export_app.command("mlflow")
def export_mlflow(
    tracking_uri: Annotated[str, typer.Option(help="MLflow tracking (and registry) URI.")],
    model_name: Annotated[str, typer.Option(help="Registered model name.")],
    decisions: DecisionsOption = _DEFAULT_LOG,
    decision: DecisionIdOption = None,
    alias: Annotated[str, typer.Option(help="Alias to set on the chosen version.")] = "champion",
    version: Annotated[
        str | None,
        typer.Option(help="Model version (default: the version registered from the chosen candidate's runs)."),
    ] = None,
) -> None:
    """Set a registered-model alias on the chosen model version and tag it with the decision."""
    from workbench.decisions.pushdown import mlflow_alias

    try:
        with _open_log(decisions) as log:
            record = _resolve_record(log, decision)
            artefact = mlflow_alias(record, tracking_uri, model_name, alias=alias, version=version)
            log.add_pushdown(record.id, artefact)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    _out().print(f"{artefact['target']} → version {artefact['version']} (decision {record.id[:12]})", markup=False)


@export_app.command("notebook")
def export_notebook_html(
    notebook: Annotated[Path, typer.Argument(help="Executed notebook (.ipynb), e.g. OUTDIR/review.ipynb.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="HTML file to write (default: the notebook's path with .html)."),
    ] = None,
) -> None:
    """An executed notebook as one HTML file whose charts draw offline (Vega inline, no CDN)."""
    from workbench.format import format_count
    from workbench.reports.notebook import export_notebook

    _check_output(output)
    try:
        result = export_notebook(notebook, output)
    except WorkbenchError as exc:
        raise _fail(exc) from None
    _err().print(f"Wrote {result.path} ({format_count(result.charts)} charts drawn offline)", markup=False)
