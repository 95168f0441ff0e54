"""Run a review template with papermill and render its outputs.

``run_review(template, params, output_dir)`` checks the parameters against the template's
``parameters`` cell first (papermill itself only warns about unknown names), executes the notebook
on a kernel of *this* interpreter, then writes into ``output_dir``:

=================  ===========================================================================
``review.ipynb``   the executed notebook (papermill's run record in ``metadata.papermill``)
``summary.json``   the JSON-safe summary, with provenance and the run's start/end times
``memo.html``      the self-contained decision memo, rendered from the summary
``decision.md``    the decision record, MADR 4.0
=================  ===========================================================================

The four outputs are one *set*: each carries the set id ``sha256:<digest of summary.json>`` (the
memo in ``<meta name="workbench-review-set">``, the notebook in ``metadata.workbench.review_set``,
``decision.md`` in a closing HTML comment), so :func:`check_outputs` recognises a set and detects a
mixed one.

Writing is crash-safe. A run holds a lock on ``output_dir`` (one review writes into a folder at a
time), executes and renders everything into a staging folder ``output_dir/.review-XXXX/`` (with a
``README.txt`` saying what it is), fsyncs it, writes ``COMMIT`` there, and only then moves the
outputs into place. A run killed before ``COMMIT`` leaves the previous set untouched; one killed
while moving leaves the complete new set in the staging folder, which the next run (or
:func:`recover_outputs`) finishes moving into place (roll forward) before anything else. Staging
folders without ``COMMIT`` are removed by the next run. A failing review raises
:class:`ReviewFailed`, leaves ``review.failed.ipynb`` for diagnosis and does not touch the outputs
of an earlier successful run. A full disk or read-only folder raises
:class:`~workbench.errors.OutputError` naming the path and the fix.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench._io import exists, is_file, output_error
from workbench.errors import WorkbenchError, did_you_mean, require

__all__ = [
    "ReviewError", "ParameterError", "ReviewFailed", "ReviewOutputsError", "ReviewResult", "available_templates",
    "template_path", "template_parameters", "validate_parameters", "run_review", "check_outputs",
    "recover_outputs", "stamp_output",
]

#: The outputs of a review, in the order they are moved into place.
OUTPUTS = ("review.ipynb", "summary.json", "decision.md", "memo.html")
#: Staging folders of runs in progress (inside the output folder), and their commit mark.
STAGE_PREFIX, COMMIT = ".review-", "COMMIT"

#: Parameters a review needs a value for.
REQUIRED = {"trade_off_review": ("candidates", "quality_model"), "monitoring_review": ("logs", "quality_model")}
#: Parameters the runner sets itself.
RUNNER_SET = ("output_dir",)
#: Parameters that may also be given as a list of names (joined with ", ").
LISTS = ("decision_makers", "stakeholders")
#: Ranges of integer parameters, checked before the notebook runs (None: unbounded); see
#: ``workbench.analysis.smaa.MAX_SAMPLES``.
RANGES = {"smaa_samples": (0, 10_000_000), "seed": (0, None)}


class ReviewError(WorkbenchError):
    """A review could not be run."""


class ParameterError(ReviewError, ValueError):
    """Unknown, ill-typed or missing parameters; the message lists the accepted ones with their help."""


class ReviewOutputsError(ReviewError, RuntimeError):
    """The output folder holds a mixed or incomplete set, or another review is writing into it."""


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
        raise ReviewError(f"Template {str(template)!r} is neither a shipped template nor a notebook file.\n"
                          f"  Shipped templates: {', '.join(shipped)}.{did_you_mean(str(template), shipped)}")
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
    return "\n".join(f"    {n:<{width}}  {p['inferred_type_name']:<5} = {p['default']:<7}  {p['help']}"
                     for n, p in spec.items() if n not in RUNNER_SET)


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
        raise ParameterError(f"Parameter {name!r} must be {expected}, got {value!r:.200} "
                             f"({type(value).__name__}).")
    if kind == "int" and name in RANGES:
        low, high = RANGES[name]
        if value < low or (high is not None and value > high):
            raise ParameterError(f"Parameter {name!r} must be from {low:,} to {high:,}, got {value!r}." if high
                                 is not None else f"Parameter {name!r} must be >= {low}, got {value!r}.")
    return value


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
            raise ParameterError(f"Parameter {key!r} {why} ({name}).\n{hint + chr(10) if hint else ''}"
                                 f"  Accepted parameters:\n{_accepted(spec)}")
    out = {k: _coerce(k, v, spec[k]["inferred_type_name"]) for k, v in params.items()}
    missing = [k for k in REQUIRED.get(name, ()) if not out.get(k)]
    if missing:
        raise ParameterError(f"Missing required parameter(s) {', '.join(map(repr, missing))} ({name}).\n"
                             f"  Accepted parameters:\n{_accepted(spec)}")
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
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _error_message(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    cell = getattr(exc, "exec_count", None)
    where = f" in cell [{cell}]" if cell is not None else ""
    return f"{ename}{where}: {evalue}"


def _decision_markdown(summary: dict[str, Any]) -> str:
    """MADR 4.0 of the decision: ``DecisionRecord`` (workbench.decisions) when it can record it; the
    minimal renderer otherwise (e.g. no feasible candidate, so nothing chosen)."""
    from workbench.reports.madr import render_madr

    try:
        from workbench.decisions import DecisionRecord

        return DecisionRecord.from_summary(summary).to_madr()
    except (ImportError, WorkbenchError):
        return render_madr(summary)


def run_review(template: str | os.PathLike[str], params: Mapping[str, Any], output_dir: str | os.PathLike[str],
               *, progress: bool = True, timeout: int | None = 1800) -> ReviewResult:
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
    out = Path(output_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(out, exc, "the review's output folder") from None
    with _locked(out):
        recovered = tuple(_recover(out))
        started = _now()
        stage = _new_stage(out, started)
        try:
            return _run(pm, path, values, info, out, stage, started, progress, timeout, recovered)
        finally:
            if stage.exists() and not (stage / COMMIT).exists():
                shutil.rmtree(stage, ignore_errors=True)


def _run(pm, path: Path, values: dict[str, Any], info: dict[str, Any], out: Path, stage: Path, started: str,
         progress: bool, timeout: int | None, recovered: tuple[str, ...]) -> ReviewResult:
    executed = stage / "review.ipynb"
    try:
        pm.execute_notebook(
            str(path), str(executed), parameters={**values, "output_dir": str(stage)},
            kernel_name="python3", kernel_manager_class=_kernel_manager_class(),
            progress_bar=progress, request_save_on_cell_execute=False, cwd=os.getcwd(),
            execution_timeout=timeout,
        )
    except Exception as exc:  # papermill's PapermillExecutionError, or a kernel that died
        if isinstance(exc, OSError):  # the notebook could not be written: full disk, read-only...
            raise output_error(executed, exc, "the review notebook",
                               kept="The earlier outputs are intact.") from None
        kept = None
        if executed.exists():
            kept = Path(shutil.move(str(executed), out / "review.failed.ipynb"))
        where = f"\n  The partially executed notebook: {kept}" if kept else ""
        raise ReviewFailed(f"The review {info['template']!r} failed: {_error_message(exc)}{where}",
                           kept) from None
    staged = stage / "summary.json"
    if not staged.exists():
        raise ReviewFailed(f"The review {info['template']!r} ran but wrote no summary.json "
                           f"(is output_dir used by the template?).", None)
    summary = json.loads(staged.read_text(encoding="utf-8"))
    summary.setdefault("provenance", {}).update({**info, "started": started, "finished": _now()})

    from workbench.reports.memo import render_memo

    memo = render_memo(summary)
    decision = _decision_markdown(summary)
    summary_bytes = (json.dumps(summary, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    set_id = "sha256:" + hashlib.sha256(summary_bytes).hexdigest()
    files = {
        "review.ipynb": stamp_output("review.ipynb", executed.read_bytes(), set_id),
        "summary.json": summary_bytes,
        "decision.md": stamp_output("decision.md", decision.encode("utf-8"), set_id),
        "memo.html": stamp_output("memo.html", memo.encode("utf-8"), set_id),
    }
    _commit(stage, out, files, set_id)
    return ReviewResult(out, out / "review.ipynb", out / "memo.html", out / "summary.json", out / "decision.md",
                        summary, set_id, recovered)


# --- the output set: stamping, checking, moving into place, recovering ---------------------------

_SET_META = re.compile(rb'\n?<meta name="workbench-review-set" content="([^"]*)">')
_SET_COMMENT = re.compile(rb"<!-- workbench-review-set: (\S+) -->\s*$")


def stamp_output(name: str, data: bytes, set_id: str) -> bytes:
    """``data`` of output ``name`` carrying the set id (the memo, the notebook, decision.md)."""
    if name == "memo.html":
        meta = f'<meta name="workbench-review-set" content="{set_id}">'.encode()
        data = _SET_META.sub(b"", data)
        head = data.find(b"<head>")
        return data[:head + 6] + b"\n" + meta + data[head + 6:] if head >= 0 else meta + b"\n" + data
    if name == "decision.md":
        text = _SET_COMMENT.sub(b"", data).rstrip(b"\n")
        return text + f"\n\n<!-- workbench-review-set: {set_id} -->\n".encode()
    if name == "review.ipynb":
        nb = json.loads(data)
        nb.setdefault("metadata", {}).setdefault("workbench", {})["review_set"] = set_id
        return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    return data


def _set_of(path: Path) -> str | None:
    """The set id an output carries (summary.json: its own digest); None when it carries none."""
    data = path.read_bytes()
    if path.name == "summary.json":
        return "sha256:" + hashlib.sha256(data).hexdigest()
    if path.name == "review.ipynb":
        try:
            return json.loads(data).get("metadata", {}).get("workbench", {}).get("review_set")
        except ValueError:
            return None
    match = (_SET_META.search(data) if path.name == "memo.html" else _SET_COMMENT.search(data))
    return match.group(1).decode() if match else None


def check_outputs(output_dir: str | os.PathLike[str]) -> str | None:
    """The set id when ``output_dir`` holds one review's complete set of outputs, ``None`` when it
    holds none of them.

    Raises
    ------
    ReviewOutputsError
        A mixed set (outputs of different runs), a missing or unstamped output, or a run that was
        interrupted while moving its outputs into place; the message names the files and the fix.
    """
    out = Path(output_dir)
    pending = [p for p in _stages(out) if (p / COMMIT).exists()]
    if pending:
        raise ReviewOutputsError(
            f"The outputs in {str(out)!r} are incomplete: a review was interrupted while moving them into "
            f"place; its complete set is in {str(pending[0])!r}.\n"
            "  Fix: run the review again into this folder, or call workbench.reports.recover_outputs(folder), "
            "which finishes moving that set into place.")
    present = [n for n in OUTPUTS if (out / n).is_file()]
    if not present:
        return None
    sets = {n: _set_of(out / n) for n in present}
    expected = sets.get("summary.json")
    odd = [n for n in OUTPUTS if n not in present or sets[n] != expected]
    if expected is None or odd:
        detail = ", ".join(f"{n}: {'missing' if n not in present else sets[n] or 'no set id'}" for n in odd)
        raise ReviewOutputsError(
            f"The outputs in {str(out)!r} are not one review's set (summary.json is {expected}; {detail}).\n"
            "  They were written by different runs, edited, or by an older version.\n"
            "  Fix: run the review again into this folder.")
    return expected


def recover_outputs(output_dir: str | os.PathLike[str]) -> list[str]:
    """Finish or remove what an interrupted review left in ``output_dir``; returns what was done.

    A staging folder with ``COMMIT`` holds a complete set that was being moved into place: the move
    is finished. One without ``COMMIT`` is from a run killed before it finished: it is removed, the
    previous outputs being untouched. Temporary files of interrupted writes are removed.
    """
    out = Path(output_dir)
    if not out.is_dir():
        return []
    with _locked(out):
        return _recover(out)


def _stages(out: Path) -> list[Path]:
    return sorted(p for p in out.glob(STAGE_PREFIX + "*") if p.is_dir())


def _recover(out: Path) -> list[str]:
    notes = []
    for stage in _stages(out):
        if (stage / COMMIT).exists():
            set_id = json.loads((stage / COMMIT).read_text(encoding="utf-8")).get("set", "")
            _move_into_place(stage, out)
            notes.append(f"Finished moving the outputs of an interrupted review ({set_id[:19]}) into place "
                         f"from {stage.name}.")
        else:
            shutil.rmtree(stage, ignore_errors=True)
            notes.append(f"Removed {stage.name}: the staging folder of a review interrupted before it "
                         "finished (the previous outputs were not touched).")
    for name in (*OUTPUTS, "review.failed.ipynb"):
        for tmp in out.glob(f".{name}.*.tmp"):
            tmp.unlink(missing_ok=True)
            notes.append(f"Removed {tmp.name}: a temporary file of an interrupted write.")
    return notes


def _commit(stage: Path, out: Path, files: Mapping[str, bytes], set_id: str) -> None:
    """Stage the set durably, mark it committed (``COMMIT``), then move it into place."""
    try:
        for name, data in files.items():
            _write_synced(stage / name, data)
        _write_synced(stage / (COMMIT + ".tmp"), json.dumps({"set": set_id, "outputs": list(files)}).encode())
        os.replace(stage / (COMMIT + ".tmp"), stage / COMMIT)
        _fsync_dir(stage)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise output_error(Path(exc.filename) if exc.filename else stage, exc, "the review's staged output",
                           kept="The earlier outputs are intact.") from None
    _move_into_place(stage, out)


def _move_into_place(stage: Path, out: Path) -> None:
    """Move a committed staging folder's outputs into ``out`` (idempotent: a rerun finishes it)."""
    names = json.loads((stage / COMMIT).read_text(encoding="utf-8"))["outputs"]
    moved = 0
    try:
        for name in names:
            if (stage / name).exists():
                os.replace(stage / name, out / name)
                moved += 1
        _fsync_dir(out)
        (out / "review.failed.ipynb").unlink(missing_ok=True)
    except OSError as exc:
        if moved == 0 and all((stage / n).exists() for n in names):
            shutil.rmtree(stage, ignore_errors=True)  # nothing moved: the earlier set stays whole
            raise output_error(out, exc, "the review's outputs into",
                               kept="The earlier outputs are intact.") from None
        raise output_error(out, exc, "the review's outputs into",
                           kept=f"Some outputs were replaced; the complete new set is kept in {str(stage)!r}, "
                                "and the next review into this folder (or workbench.reports.recover_outputs) "
                                "finishes moving it into place.") from None
    shutil.rmtree(stage, ignore_errors=True)


def _new_stage(out: Path, started: str) -> Path:
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
        (stage / "README.txt").write_text(
            f"Outputs of a review in progress (process {os.getpid()}, started {started}).\n"
            "If no review is running, that review was interrupted. The next review into the folder above\n"
            "finishes moving its outputs into place when this folder holds COMMIT, and removes it\n"
            "otherwise; workbench.reports.recover_outputs(folder) does the same.\n", encoding="utf-8")
    except OSError as exc:
        if "stage" in locals():
            shutil.rmtree(stage, ignore_errors=True)
        raise output_error(out, exc, "the review's outputs into",
                           kept="The earlier outputs are intact.") from None
    return stage


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows: folders cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One review writes into a folder at a time: an exclusive lock on the folder itself (released by
    the OS when the process dies, so a killed run never leaves a stale lock)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(out, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReviewOutputsError(
                f"Another review is writing into {str(out)!r} right now.\n"
                "  Fix: wait for it to finish, or write this review into another folder (-o).") from None
        yield
    finally:
        os.close(fd)
