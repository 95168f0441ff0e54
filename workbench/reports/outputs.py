"""A review's outputs as one set: staged, committed, moved into place, checked, recovered.

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

Writing is crash-safe (:class:`OutputSet`). A run holds a lock on the output folder (one review
writes into a folder at a time), renders everything into a staging folder ``OUT/.review-XXXX/``
(with a ``README.txt`` saying what it is), fsyncs it, writes ``COMMIT`` there, and only then moves
the outputs into place. A run killed before ``COMMIT`` leaves the previous set untouched; one
killed while moving leaves the complete new set in the staging folder, which the next run (or
:func:`recover_outputs`) finishes moving into place (roll forward) before anything else. Staging
folders without ``COMMIT`` are removed by the next run. A full disk or read-only folder raises
:class:`~workbench.errors.OutputError` naming the path and the fix.

This module knows nothing of papermill or templates: :mod:`workbench.reports.runner` executes the
template into the staging folder and hands the rendered bytes to :meth:`Staging.commit`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench._io import output_error
from workbench.errors import WorkbenchError

__all__ = [
    "OUTPUTS",
    "OutputSet",
    "Staging",
    "ReviewError",
    "ReviewOutputsError",
    "stamp_output",
    "set_id_of",
    "check_outputs",
    "recover_outputs",
]

#: The outputs of a review, in the order they are moved into place.
OUTPUTS = ("review.ipynb", "summary.json", "decision.md", "memo.html")
#: Staging folders of runs in progress (inside the output folder), and their commit mark.
STAGE_PREFIX, COMMIT = ".review-", "COMMIT"


class ReviewError(WorkbenchError):
    """A review could not be run."""


class ReviewOutputsError(ReviewError, RuntimeError):
    """The output folder holds a mixed or incomplete set, or another review is writing into it."""


@dataclass(frozen=True)
class Staging:
    """A staging folder of one run, inside the locked output folder."""

    path: Path
    out: Path
    #: What opening the set found and repaired from an interrupted earlier run.
    recovered: tuple[str, ...] = ()

    def commit(self, files: Mapping[str, bytes]) -> str:
        """Stamp ``files`` (name -> bytes, ``summary.json`` among them) with the set id, stage them
        durably, mark the set committed and move it into place; returns the set id."""
        set_id = set_id_of(files["summary.json"])
        stamped = {name: stamp_output(name, data, set_id) for name, data in files.items()}
        _commit(self.path, self.out, stamped, set_id)
        return set_id


class OutputSet:
    """The review outputs of one folder: ``with OutputSet(out).staging(started) as stage: ...``."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    @contextlib.contextmanager
    def staging(self, started: str) -> Iterator[Staging]:
        """Create the folder, lock it, finish or remove what an interrupted run left, and yield a
        fresh staging folder; an uncommitted staging folder is removed on the way out."""
        out = self.folder
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(out, exc, "the review's output folder") from None
        with _locked(out):
            recovered = tuple(_recover(out))
            stage = _new_stage(out, started)
            try:
                yield Staging(stage, out, recovered)
            finally:
                if stage.exists() and not (stage / COMMIT).exists():
                    shutil.rmtree(stage, ignore_errors=True)

    def check(self) -> str | None:
        """See :func:`check_outputs`."""
        return check_outputs(self.folder)

    def recover(self) -> list[str]:
        """See :func:`recover_outputs`."""
        return recover_outputs(self.folder)


def set_id_of(summary_bytes: bytes) -> str:
    """The set id: ``sha256:<digest of summary.json's bytes>``."""
    return "sha256:" + hashlib.sha256(summary_bytes).hexdigest()


_SET_META = re.compile(rb'\n?<meta name="workbench-review-set" content="([^"]*)">')
_SET_COMMENT = re.compile(rb"<!-- workbench-review-set: (\S+) -->\s*$")


def stamp_output(name: str, data: bytes, set_id: str) -> bytes:
    """``data`` of output ``name`` carrying the set id (the memo, the notebook, decision.md)."""
    if name == "memo.html":
        meta = f'<meta name="workbench-review-set" content="{set_id}">'.encode()
        data = _SET_META.sub(b"", data)
        head = data.find(b"<head>")
        return data[: head + 6] + b"\n" + meta + data[head + 6 :] if head >= 0 else meta + b"\n" + data
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
        return set_id_of(data)
    if path.name == "review.ipynb":
        try:
            return json.loads(data).get("metadata", {}).get("workbench", {}).get("review_set")
        except ValueError:
            return None
    match = _SET_META.search(data) if path.name == "memo.html" else _SET_COMMENT.search(data)
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
            "which finishes moving that set into place."
        )
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
            "  Fix: run the review again into this folder."
        )
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
            notes.append(
                f"Finished moving the outputs of an interrupted review ({set_id[:19]}) into place from {stage.name}."
            )
        else:
            shutil.rmtree(stage, ignore_errors=True)
            notes.append(
                f"Removed {stage.name}: the staging folder of a review interrupted before it "
                "finished (the previous outputs were not touched)."
            )
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
        raise output_error(
            Path(exc.filename) if exc.filename else stage,
            exc,
            "the review's staged output",
            kept="The earlier outputs are intact.",
        ) from None
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
            raise output_error(out, exc, "the review's outputs into", kept="The earlier outputs are intact.") from None
        raise output_error(
            out,
            exc,
            "the review's outputs into",
            kept=f"Some outputs were replaced; the complete new set is kept in {str(stage)!r}, "
            "and the next review into this folder (or workbench.reports.recover_outputs) "
            "finishes moving it into place.",
        ) from None
    shutil.rmtree(stage, ignore_errors=True)


def _new_stage(out: Path, started: str) -> Path:
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
        (stage / "README.txt").write_text(
            f"Outputs of a review in progress (process {os.getpid()}, started {started}).\n"
            "If no review is running, that review was interrupted. The next review into the folder above\n"
            "finishes moving its outputs into place when this folder holds COMMIT, and removes it\n"
            "otherwise; workbench.reports.recover_outputs(folder) does the same.\n",
            encoding="utf-8",
        )
    except OSError as exc:
        if "stage" in locals():
            shutil.rmtree(stage, ignore_errors=True)
        raise output_error(out, exc, "the review's outputs into", kept="The earlier outputs are intact.") from None
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
                "  Fix: wait for it to finish, or write this review into another folder (-o)."
            ) from None
        yield
    finally:
        os.close(fd)
