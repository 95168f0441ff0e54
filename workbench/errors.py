"""The workbench's exceptions.

Every error a user can cause derives from :class:`WorkbenchError`, and also from the builtin a
user would naturally catch (``KeyError``, ``ValueError``, ``FileNotFoundError``, ``ImportError``).
Messages say what was wrong (the value, quoted), what is valid, the closest match, and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "WorkbenchError",
    "QualityModelError",
    "ConstraintSyntaxError",
    "UnknownObjectiveError",
    "UnknownNameError",
    "CandidatesError",
    "SourceNotFoundError",
    "SourceUnreachableError",
    "OutputError",
    "MissingDependencyError",
    "MonitoringError",
    "DecisionError",
    "DecisionLogError",
    "UnknownDecisionError",
    "SearchError",
    "SpaceError",
    "EvaluationFailedError",
    "did_you_mean",
]


class WorkbenchError(Exception):
    """Root of every error the workbench raises on purpose."""

    def __str__(self) -> str:  # KeyError would otherwise repr() its message
        return str(self.args[0]) if self.args else ""


class QualityModelError(WorkbenchError, ValueError):
    """The quality model is invalid (bad direction, weight, attribute, duplicate name...)."""


class ConstraintSyntaxError(QualityModelError):
    """A constraint string cannot be parsed."""


class UnknownNameError(WorkbenchError, KeyError):
    """A name (objective, candidate, stakeholder, method, column) is not one of the valid ones."""


class UnknownObjectiveError(UnknownNameError):
    """An objective is not a column of the candidates table, or not part of the model."""


class CandidatesError(WorkbenchError, ValueError):
    """The candidates table cannot be used (empty, duplicate ids, non-numeric values...)."""


class SourceNotFoundError(WorkbenchError, FileNotFoundError):
    """A file, store, experiment or study does not exist."""


class SourceUnreachableError(WorkbenchError, ConnectionError):
    """A tracking server, database or scheduler could not be reached or read in time."""


class OutputError(WorkbenchError, OSError):
    """An output (file, folder, database) cannot be written: full disk, read-only folder, no permission.

    ``errno`` is the operating system's error number; the message names the path, the reason and the fix.
    """


class MonitoringError(WorkbenchError, ValueError):
    """Monitoring data (logs, Prometheus, Evidently) or an aggregation request cannot be used."""


class MissingDependencyError(WorkbenchError, ImportError):
    """An optional back end is not installed; the message names the extra to install."""


class DecisionError(WorkbenchError, ValueError):
    """A decision record cannot be built or read (no chosen candidate, bad summary, bad JSON)."""


class DecisionLogError(WorkbenchError, RuntimeError):
    """The decision log cannot be opened or written (bad URL, database locked for too long)."""


class UnknownDecisionError(UnknownNameError):
    """A decision id (or id prefix) matches no record of the log, or several."""


class SearchError(WorkbenchError, ValueError):
    """A configuration search cannot run (bad settings, evaluation function, store)."""


class SpaceError(SearchError):
    """A configuration space is invalid (empty range, unknown type, bad condition...)."""


class EvaluationFailedError(SearchError):
    """A search's evaluation function fails every time the same way (the first few evaluations all
    raised the same exception): the message shows it and the configuration that caused it."""


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    """Return ``"  Did you mean 'x'?"`` for the closest valid name, or ``""``.

    >>> did_you_mean("latncy_ms", ["accuracy", "latency_ms"])
    "  Did you mean 'latency_ms'?"
    >>> did_you_mean("zzz", ["accuracy"])
    ''
    """
    match = difflib.get_close_matches(str(value), [str(v) for v in valid], n=1, cutoff=0.6)
    return f"  Did you mean {match[0]!r}?" if match else ""


def unknown_name(kind: str, value: str, valid: Iterable[str], where: str = "", fix: str = "") -> str:
    """Format the standard message for a name that is not among the valid ones."""
    valid = [str(v) for v in valid]
    shown = valid if len(valid) <= 20 else valid[:20] + [f"... ({len(valid) - 20} more)"]
    listing = ", ".join(shown) if valid else "(none)"
    msg = f"{kind} {value!r} is not {where or 'known'}.\n  Valid: {listing}."
    hint = did_you_mean(value, valid)
    if hint:
        msg += "\n" + hint
    if fix:
        msg += f"\n  Fix: {fix}"
    return msg


def require(module: str, extra: str, purpose: str):
    """Import an optional back end, or raise :class:`MissingDependencyError` with an install hint."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised with a fake module in tests
        raise MissingDependencyError(
            f"{purpose} needs the optional package {module!r}, which is not installed.\n"
            f'  Fix: pip install "mltradeops-workbench[{extra}]"'
        ) from exc
