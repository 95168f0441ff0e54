"""``SourceLoader``: pick the evidence and the quality model, preview them, hand them to an explorer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W
import traitlets

import workbench as wb
from widgets._common import ErrorArea, escape
from workbench import Candidates, QualityModel

__all__ = ["SourceLoader"]

#: The kinds of source the loader offers, with the fields each one needs.
KINDS = ("file", "mlflow", "optuna")
#: Most exclusions listed in the preview.
MAX_EXCLUSIONS = 50


class SourceLoader(W.VBox):
    """Load candidates from a CSV/Parquet file, an MLflow experiment or an Optuna study.

    Fill in the source and the quality-model YAML path and press *Load*: the widget previews what
    was read (how many candidates, which objectives were found, which rows were excluded and
    why). *Explore* builds a :class:`~widgets.TradeoffExplorer` on them, shown below the loader,
    kept as ``.explorer`` and passed to the callbacks registered with :meth:`on_explore`. Load
    errors appear in the widget, in the engine's words.

    Parameters
    ----------
    source : str, optional
        A source spec to start from: a file path, ``"mlflow:<tracking-uri>#<experiment>"`` or
        ``"optuna:<storage>#<study>"`` (it fills the matching fields).
    model : str or path, optional
        Path of the quality-model YAML file.
    explorer_options : dict, optional
        Keyword arguments for the explorer (``x``, ``y``, ``rows``...).

    Attributes
    ----------
    candidates : Candidates or None
        What the last *Load* read.
    quality_model : QualityModel or None
        The model the last *Load* read.
    explorer : TradeoffExplorer or None
        The explorer built by the last *Explore*.
    spec : str
        The source spec the fields describe (traitlet, read-only).

    Examples
    --------
    >>> loader = SourceLoader("runs.csv", model="quality.yaml")  # doctest: +SKIP
    >>> loader.load(); loader.explore()  # doctest: +SKIP
    >>> loader.explorer.quality_model  # doctest: +SKIP
    """

    kind = traitlets.Enum(KINDS, default_value="file", help="Which kind of source the fields describe.")
    spec = traitlets.Unicode("", read_only=True, help="The workbench source spec of the fields.")

    def __init__(
        self,
        source: str | None = None,
        model: Any = None,
        *,
        explorer_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.errors = ErrorArea()
        self.error_area = self.errors.widget
        self.candidates: Candidates | None = None
        self.quality_model: QualityModel | None = None
        self.explorer = None
        self._callbacks: list[Callable[[Any], None]] = []
        self._explorer_options = dict(explorer_options or {})
        wide = W.Layout(width="560px")
        style = {"description_width": "150px"}
        self.kind_picker = W.ToggleButtons(
            options=[("CSV / Parquet file", "file"), ("MLflow", "mlflow"), ("Optuna", "optuna")], value="file"
        )
        self.file_path = W.Text(description="file path", placeholder="runs.parquet", layout=wide, style=style)
        self.mlflow_uri = W.Text(
            description="tracking URI", placeholder="sqlite:///mlflow.db", layout=wide, style=style
        )
        self.mlflow_experiment = W.Text(
            description="experiment(s)", placeholder="my-experiment[,other]", layout=wide, style=style
        )
        self.optuna_storage = W.Text(description="storage", placeholder="sqlite:///optuna.db", layout=wide, style=style)
        self.optuna_study = W.Text(description="study", placeholder="my-study", layout=wide, style=style)
        self.id_column = W.Text(
            description="id column (optional)", placeholder="e.g. tags.candidate", layout=wide, style=style
        )
        self.replicate_column = W.Text(
            description="replicates (optional)",
            placeholder="e.g. seed (auto: seed / replicate)",
            layout=wide,
            style=style,
        )
        self.model_path = W.Text(description="quality model YAML", placeholder="quality.yaml", layout=wide, style=style)
        self.load_button = W.Button(description="Load", button_style="primary", icon="folder-open")
        self.explore_button = W.Button(description="Explore", icon="line-chart", disabled=True)
        self.preview = W.HTML()
        self.preview.add_class("wb-preview")
        self.output = W.VBox()
        self._fields = {
            "file": W.VBox([self.file_path]),
            "mlflow": W.VBox([self.mlflow_uri, self.mlflow_experiment]),
            "optuna": W.VBox([self.optuna_storage, self.optuna_study]),
        }
        self._field_box = W.VBox([self._fields["file"]])
        super().__init__(
            children=[
                W.HTML("<b>Candidates</b>"),
                self.kind_picker,
                self._field_box,
                self.id_column,
                self.replicate_column,
                W.HTML("<b>Quality model</b>"),
                self.model_path,
                W.HBox([self.load_button, self.explore_button]),
                self.error_area,
                self.preview,
                self.output,
            ],
            **kwargs,
        )
        self.add_class("wb-source-loader")
        W.link((self.kind_picker, "value"), (self, "kind"))
        for text in (self.file_path, self.mlflow_uri, self.mlflow_experiment, self.optuna_storage, self.optuna_study):
            text.observe(self._on_field, names="value")
        self.load_button.on_click(lambda _b: self.load())
        self.explore_button.on_click(lambda _b: self.explore())
        if source is not None:
            self._fill(str(source))
        if model is not None:
            self.model_path.value = str(model)
        self._update_spec()

    @property
    def error_text(self) -> str:
        """Plain text of the error shown in the widget ('' when none)."""
        return self.errors.text

    # --- actions -------------------------------------------------------------------------------

    def load(self) -> Candidates | None:
        """Read the quality model and the candidates the fields name, and preview them."""
        self.candidates, self.quality_model = None, None
        self.explore_button.disabled = True
        self.preview.value = ""
        with self.errors.guard("Loading"):
            if not self.spec:
                raise wb.WorkbenchError(self._missing_fields())
            model = QualityModel.from_yaml(self.model_path.value.strip()) if self.model_path.value.strip() else None
            options: dict[str, Any] = {"id": self.id_column.value.strip()} if self.id_column.value.strip() else {}
            if self.replicate_column.value.strip():
                options["replicate_column"] = self.replicate_column.value.strip()
            self.candidates = wb.load(self.spec, model, **options)
            self.quality_model = model
            self.preview.value = self._preview_html()
            self.explore_button.disabled = model is None
        return self.candidates

    def explore(self) -> Any:
        """Build a TradeoffExplorer on the loaded candidates and model, and show it below."""
        from widgets.explorer import TradeoffExplorer

        with self.errors.guard("Opening the explorer"):
            if self.candidates is None or self.quality_model is None:
                raise wb.WorkbenchError(
                    "Load candidates and a quality model first (fill in the quality model YAML path and press Load)."
                )
            self.explorer = TradeoffExplorer(self.candidates, self.quality_model, **self._explorer_options)
            self.output.children = [self.explorer]
            for callback in self._callbacks:
                callback(self.explorer)
        return self.explorer

    def on_explore(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(explorer)`` each time *Explore* builds an explorer."""
        self._callbacks.append(callback)

    # --- fields --------------------------------------------------------------------------------

    def _fill(self, source: str) -> None:
        from workbench.sources import parse_spec

        scheme, location, name = parse_spec(source)
        self.kind = scheme
        if scheme == "mlflow":
            self.mlflow_uri.value, self.mlflow_experiment.value = location, name
        elif scheme == "optuna":
            self.optuna_storage.value, self.optuna_study.value = location, name
        else:
            self.file_path.value = location

    @traitlets.observe("kind")
    def _on_kind(self, change: dict[str, Any]) -> None:
        self._field_box.children = [self._fields[change["new"]]]
        self._update_spec()

    def _on_field(self, _change: dict[str, Any]) -> None:
        self._update_spec()

    def _update_spec(self) -> None:
        if self.kind == "file":
            spec = self.file_path.value.strip()
        elif self.kind == "mlflow":
            uri, exp = self.mlflow_uri.value.strip(), self.mlflow_experiment.value.strip()
            spec = f"mlflow:{uri}#{exp}" if uri and exp else ""
        else:
            storage, study = self.optuna_storage.value.strip(), self.optuna_study.value.strip()
            spec = f"optuna:{storage}#{study}" if storage and study else ""
        self.set_trait("spec", spec)

    def _missing_fields(self) -> str:
        need = {
            "file": "the file path",
            "mlflow": "the tracking URI and the experiment",
            "optuna": "the storage URL and the study name",
        }[self.kind]
        return f"Nothing to load: fill in {need}."

    # --- preview -------------------------------------------------------------------------------

    def _preview_html(self) -> str:
        c = self.candidates
        model = self.quality_model
        lines = [f"<b>{len(c):,} candidates</b> from {escape(c.source)}"]
        if c.replicates is not None:
            lines[0] += f" ({len(c.replicates):,} replicate runs, each candidate summarised over its seeds)"
            lines += [escape(text) for text in replicate_notes(c, model)]
        if model is not None:
            found = ", ".join(f"{escape(o.name)} {o.arrow}" for o in model.objectives)
            lines.append(f"Objectives found: {found}")
            others = [m for m in c.metrics if m not in model.names]
            if others:
                lines.append("Other metrics (not objectives): " + escape(", ".join(others)))
        else:
            lines.append("Metrics: " + escape(", ".join(c.metrics)))
            lines.append("Give a quality model YAML path to explore them.")
        ex = c.exclusions
        if len(ex):
            rows = "".join(
                f"<tr><td>{escape(r.candidate)}</td><td>{escape(r.reason)}</td></tr>"
                for r in ex.head(MAX_EXCLUSIONS).itertuples()
            )
            more = (
                f" (the first {MAX_EXCLUSIONS} listed; all in loader.candidates.exclusions)"
                if len(ex) > MAX_EXCLUSIONS
                else ""
            )
            lines.append(
                f"{len(ex):,} excluded{escape(more)}:<table class='wb-exclusions'><tr><th>candidate</th>"
                f"<th>reason</th></tr>{rows}</table>"
            )
        else:
            lines.append("Nothing excluded.")
        return "<div style='font-size:13px'>" + "<br>".join(lines) + "</div>"


def replicate_notes(candidates: Candidates, model: QualityModel | None) -> list[str]:
    """How many seeds each candidate has and which metrics some seeds lack, in plain words
    (never averaged silently: a candidate with fewer seeds is kept and named)."""
    from workbench.analysis.uncertainty import uncertainty

    if model is None:
        counts = candidates.replicates.groupby(level="candidate").size()
        notes: tuple[str, ...] = ()
    else:
        unc = uncertainty(candidates, model, candidate=None, versus={})
        counts, notes = unc.counts, unc.notes
    values = sorted({int(v) for v in counts})
    if len(values) == 1:
        head = f"Every candidate has {values[0]} seed replicate{'s' if values[0] != 1 else ''}."
    else:
        head = f"Seeds per candidate range from {values[0]} to {values[-1]}."
    return [head, *notes]
