"""Run a review template with papermill and render its outputs.

``run_review(template, params, output_dir)`` checks the parameters against the template's
``parameters`` cell first (papermill itself only warns about unknown names), executes the notebook
on a kernel of *this* interpreter into a staging folder, renders the memo and the MADR record from
the summary the notebook wrote, and commits the four outputs (``review.ipynb``, ``summary.json``,
``memo.html``, ``decision.md``) as one set through :class:`workbench.reports.outputs.OutputSet`
(staging, commit, roll-forward recovery, set ids: see that module). A failing review raises
:class:`ReviewFailed`, leaves ``review.failed.ipynb`` for diagnosis and does not touch the outputs
of an earlier successful run.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench._io import atomic_write_bytes, exists, is_file, output_error
from workbench.errors import WorkbenchError, did_you_mean, require
from workbench.reports.outputs import OutputSet, ReviewError, ReviewOutputsError, Staging

__all__ = [
    "ReviewError",
    "ParameterError",
    "ReviewFailed",
    "ReviewOutputsError",
    "ReviewResult",
    "available_templates",
    "template_path",
    "template_parameters",
    "validate_parameters",
    "run_review",
    "parameters_from_text",
]

#: Parameters a review needs a value for.
REQUIRED = {"trade_off_review": ("candidates", "quality_model"), "monitoring_review": ("logs", "quality_model")}
#: Parameters the runner sets itself.
RUNNER_SET = ("output_dir",)
#: Parameters that may also be given as a list of names (joined with ", ").
LISTS = ("decision_makers", "stakeholders")
#: Ranges of integer parameters, checked before the notebook runs (None: unbounded); see
#: ``workbench.analysis.smaa.MAX_SAMPLES``.
RANGES = {"smaa_samples": (0, 10_000_000), "seed": (0, None)}


class ParameterError(ReviewError, ValueError):
    """Unknown, ill-typed or missing parameters; the message lists the accepted ones with their help."""


class ReviewFailed(ReviewError, RuntimeError):
    """The review notebook raised; ``notebook`` is the partially executed copy kept for diagnosis."""

    def __init__(self, message: str, notebook: Path | None = None):
        super().__init__(message)
        self.notebook = notebook


def _templates_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("workbench.reports") / "templates"))


def available_templates() -> list[str]:
    """Names of the shipped templates."""
    return sorted(p.stem for p in _templates_dir().glob("*.ipynb"))


def template_path(template: str | os.PathLike[str]) -> Path:
    """A shipped template's name (``"trade_off_review"``) or a notebook path -> its path."""
    p = Path(template)
    if p.suffix == ".ipynb" or exists(p):
        if not is_file(p):
            raise ReviewError(f"Template notebook {str(p)!r} does not exist.")
        return p
    shipped = available_templates()
    if str(template) not in shipped:
        raise ReviewError(
            f"Template {str(template)!r} is neither a shipped template nor a notebook file.\n"
            f"  Shipped templates: {', '.join(shipped)}.{did_you_mean(str(template), shipped)}"
        )
    return _templates_dir() / f"{template}.ipynb"


def template_info(path: Path) -> dict[str, Any]:
    """``{"template": name, "template_version": ...}`` from the notebook's metadata."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    meta = nb.get("metadata", {}).get("workbench", {})
    return {"template": meta.get("template", path.stem), "template_version": meta.get("template_version", "")}


def template_parameters(template: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The template's parameters as :func:`papermill.inspect_notebook` reads them (name -> type, default, help)."""
    pm = require("papermill", "reports", "Running a review")
    return dict(pm.inspect_notebook(str(template_path(template))))


def _accepted(spec: Mapping[str, Mapping[str, Any]]) -> str:
    width = max((len(n) for n in spec), default=0)
    return "\n".join(
        f"    {n:<{width}}  {p['inferred_type_name']:<5} = {p['default']:<7}  {p['help']}"
        for n, p in spec.items()
        if n not in RUNNER_SET
    )


def _coerce(name: str, value: Any, kind: str) -> Any:
    """Check one value against the parameter's annotated type; returns the value to inject."""
    ok: bool
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "str":
        if name in LISTS and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return ", ".join(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # "-p champion 2024" arrives as a YAML number
        ok = isinstance(value, str) or value is None
        value = "" if value is None else value
    else:
        ok = True
    if not ok:
        expected = kind + (" (or a list of strings)" if name in LISTS else "")
        raise ParameterError(f"Parameter {name!r} must be {expected}, got {value!r:.200} ({type(value).__name__}).")
    if kind == "int" and name in RANGES:
        low, high = RANGES[name]
        if value < low or (high is not None and value > high):
            raise ParameterError(
                f"Parameter {name!r} must be from {low:,} to {high:,}, got {value!r}."
                if high is not None
                else f"Parameter {name!r} must be >= {low}, got {value!r}."
            )
    return value


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def parameters_from_text(template: str | os.PathLike[str], texts: Mapping[str, str]) -> dict[str, Any]:
    """Command-line values (``-p KEY VALUE``) converted by the template's declared types.

    A ``str`` parameter keeps the text as given (``-p title "Q1: which?"`` stays a title, not a YAML
    mapping); ``int``/``float``/``bool`` are parsed, with a :class:`ParameterError` naming the
    parameter, the text and the expected form; a list parameter (``decision_makers``) also accepts
    a YAML list (``[Ana, Bob]``). A name the template does not declare is parsed as YAML, as
    papermill does, and left for :func:`validate_parameters` to refuse with the accepted names.
    """
    import yaml

    spec = template_parameters(template_path(template))
    out: dict[str, Any] = {}
    for name, text in texts.items():
        kind = spec[name]["inferred_type_name"] if name in spec else None
        raw = str(text)
        try:
            if kind == "str":
                value: Any = raw
                if name in LISTS and raw.lstrip().startswith("["):
                    value = yaml.safe_load(raw)
            elif kind == "int":
                value = int(raw.strip().replace("_", "").replace(",", ""))
            elif kind == "float":
                value = float(raw.strip().replace("_", ""))
            elif kind == "bool":
                low = raw.strip().lower()
                if low not in _TRUE + _FALSE:
                    raise ValueError(raw)
                value = low in _TRUE
            else:
                try:
                    value = yaml.safe_load(raw) if raw != "" else ""
                except yaml.YAMLError:
                    value = raw
        except (ValueError, yaml.YAMLError):
            form = {
                "int": "a whole number, e.g. 10000",
                "float": "a number, e.g. 0.95",
                "bool": "true or false",
                "str": "a text or a YAML list [a, b]",
            }[kind]
            raise ParameterError(f"Parameter {name!r} must be {kind}: cannot read {raw!r:.200} as {form}.") from None
        out[name] = value
    return out


def validate_parameters(template: str | os.PathLike[str], params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the template: every name known, every value of the annotated type,
    the required ones given. Returns the parameters to inject; raises :class:`ParameterError`."""
    path = template_path(template)
    spec = template_parameters(path)
    name = template_info(path)["template"]
    accepted = [n for n in spec if n not in RUNNER_SET]
    for key in params:
        if key not in accepted:
            why = "is set by the runner" if key in RUNNER_SET else "is not a parameter of this template"
            hint = did_you_mean(key, accepted)
            raise ParameterError(
                f"Parameter {key!r} {why} ({name}).\n{hint + chr(10) if hint else ''}"
                f"  Accepted parameters:\n{_accepted(spec)}"
            )
    out = {k: _coerce(k, v, spec[k]["inferred_type_name"]) for k, v in params.items()}
    missing = [k for k in REQUIRED.get(name, ()) if not out.get(k)]
    if missing:
        raise ParameterError(
            f"Missing required parameter(s) {', '.join(map(repr, missing))} ({name}).\n"
            f"  Accepted parameters:\n{_accepted(spec)}"
        )
    return out


@dataclass(frozen=True)
class ReviewResult:
    """Where a review's outputs are, and its summary."""

    output_dir: Path
    notebook: Path
    memo: Path
    summary_path: Path
    decision: Path
    summary: dict[str, Any] = field(repr=False)
    #: ``sha256:<digest of summary.json>``, carried by all four outputs.
    set_id: str = ""
    #: What this run found and repaired from an interrupted earlier run (see :func:`recover_outputs`).
    recovered: tuple[str, ...] = ()

    @property
    def chosen(self) -> str | None:
        return self.summary["decision"]["chosen"]


def _kernel_manager_class():
    """A KernelManager that always starts ipykernel with *this* interpreter (``sys.executable``),
    whatever kernel spec ``python3`` resolves to in the Jupyter paths."""
    from ipykernel.kernelspec import get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    class ThisInterpreterKernelManager(KernelManager):
        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                spec = get_kernel_dict()
                # ipykernel's "running over TCP without encryption" warning is noise for a local run.
                spec["argv"] = [*spec["argv"], "--IPKernelApp.log_level=ERROR"]
                self._kernel_spec = KernelSpec(resource_dir="", **spec)
            return self._kernel_spec

    return ThisInterpreterKernelManager


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _error_message(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{ename}{where}: {evalue}"


def _decision_markdown(summary: dict[str, Any]) -> str:
    """MADR 4.0 of the decision, by the one MADR renderer (``workbench.decisions.madr``)."""
    from workbench.decisions import render_madr

    return render_madr(summary)


def run_review(
    template: str | os.PathLike[str],
    params: Mapping[str, Any],
    output_dir: str | os.PathLike[str],
    *,
    progress: bool = True,
    timeout: int | None = 1800,
) -> ReviewResult:
    """Validate ``params``, execute ``template`` with papermill and write the review's outputs.

    Parameters
    ----------
    template : str or path
        A shipped template's name (``"trade_off_review"``) or a notebook path.
    params : mapping
        Template parameters (see :func:`template_parameters`); values are checked first.
    output_dir : path
        Folder of ``review.ipynb``, ``memo.html``, ``summary.json`` and ``decision.md``.
    progress : bool
        Show papermill's progress bar.
    timeout : int, optional
        Seconds a cell may run.

    Raises
    ------
    ParameterError
        Before anything runs, for an unknown, ill-typed or missing parameter.
    ReviewFailed
        When the notebook raises; ``review.failed.ipynb`` is left in ``output_dir``.
    ReviewOutputsError
        When another review is writing into ``output_dir`` at the same time.
    OutputError
        When the OS refuses a write (full disk, read-only folder...); the earlier outputs are intact,
        unless the message says the new set is kept in a staging folder for the next run to finish.
    """
    pm = require("papermill", "reports", "Running a review")
    path = template_path(template)
    values = validate_parameters(path, params)
    info = template_info(path)
    started = _now()
    with OutputSet(output_dir).staging(started) as stage:
        summary, executed = _execute(pm, path, values, info, stage, started, progress, timeout)
        set_id = stage.commit(_render(summary, executed, stage))
    out = stage.out
    return ReviewResult(
        out,
        out / "review.ipynb",
        out / "memo.html",
        out / "summary.json",
        out / "decision.md",
        summary,
        set_id,
        stage.recovered,
    )


def _execute(
    pm,
    path: Path,
    values: dict[str, Any],
    info: dict[str, Any],
    stage: Staging,
    started: str,
    progress: bool,
    timeout: int | None,
) -> tuple[dict[str, Any], Path]:
    """Run the template with papermill into the staging folder: the summary it wrote (with the
    run's provenance) and the executed notebook."""
    out = stage.out
    executed = stage.path / "review.ipynb"
    try:
        pm.execute_notebook(
            str(path),
            str(executed),
            parameters={**values, "output_dir": str(stage.path)},
            kernel_name="python3",
            kernel_manager_class=_kernel_manager_class(),
            progress_bar=progress,
            request_save_on_cell_execute=False,
            cwd=os.getcwd(),
            execution_timeout=timeout,
        )
    except Exception as exc:  # papermill's PapermillExecutionError, or a kernel that died
        if isinstance(exc, OSError):  # the notebook could not be written: full disk, read-only...
            raise output_error(executed, exc, "the review notebook", kept="The earlier outputs are intact.") from None
        kept = None
        if executed.exists():
            kept = out / "review.failed.ipynb"
            try:  # pointing at the output folder, like a successful review's notebook
                atomic_write_bytes(kept, _relocated(executed.read_bytes(), stage))
                executed.unlink()
            except (OSError, ValueError, WorkbenchError):  # unreadable or unwritable: keep it as it is
                kept = Path(shutil.move(str(executed), kept))
        where = f"\n  The partially executed notebook: {kept}" if kept else ""
        raise ReviewFailed(f"The review {info['template']!r} failed: {_error_message(exc)}{where}", kept) from None
    staged = stage.path / "summary.json"
    if not staged.exists():
        raise ReviewFailed(
            f"The review {info['template']!r} ran but wrote no summary.json (is output_dir used by the template?).",
            None,
        )
    summary = json.loads(staged.read_text(encoding="utf-8"))
    summary.setdefault("provenance", {}).update({**info, "started": started, "finished": _now()})
    return summary, executed


def _relocated(notebook: bytes, stage: Staging) -> bytes:
    """The executed notebook with the staging folder it ran in replaced by the output folder, in
    every string (the injected parameters cell, papermill's metadata, printed outputs): the kept
    notebook records where its outputs are, not a folder that no longer exists."""
    pairs = {str(stage.path.resolve()): str(stage.out.resolve()), str(stage.path): str(stage.out)}
    pairs = {old: new for old, new in pairs.items() if old != new}

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in pairs.items():
                value = value.replace(old, new)
            return value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value

    return (json.dumps(fix(json.loads(notebook)), indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _render(summary: dict[str, Any], executed: Path, stage: Staging) -> dict[str, bytes]:
    """The four outputs' bytes (unstamped): the notebook (pointing at the output folder, not the
    staging folder), the summary, the MADR record, the memo."""
    from workbench.reports.memo import render_memo

    summary_bytes = (json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    return {
        "review.ipynb": _relocated(executed.read_bytes(), stage),
        "summary.json": summary_bytes,
        "decision.md": _decision_markdown(summary).encode("utf-8"),
        "memo.html": render_memo(summary).encode("utf-8"),
    }
