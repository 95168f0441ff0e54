"""The decision-log options and look-ups shared by the verbs that read or write the log."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import _err, _plain

DecisionsOption = Annotated[str, typer.Option("--decisions", "-d", envvar="WORKBENCH_DECISIONS",
                                              help="Decision log: a SQLAlchemy URL or a SQLite file path.")]
_DEFAULT_LOG = "sqlite:///decisions.db"


class RecordFormat(str, Enum):
    text = "text"
    json = "json"
    madr = "madr"


def _open_log(url: str):
    """The decision log at ``url``; says on stderr when it could only be opened read-only (an
    archived copy), so the output a script parses stays the same."""
    from workbench.decisions import DecisionLog

    log = DecisionLog(url)
    if log.read_only_reason:
        _err().print(_plain(f"note: the decision log is open read-only ({log.read_only_reason})."))
    return log


def _read_json_file(path: Path, what: str) -> dict:
    import json

    from workbench._io import is_file
    from workbench.errors import DecisionError, SourceNotFoundError

    if not is_file(path):
        raise SourceNotFoundError(f"{what} {str(path)!r} does not exist.\n"
                                  "  Fix: pass the summary.json of `workbench review` or the JSON of "
                                  "`workbench analyze --format json -o analysis.json`.")
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DecisionError(f"{what} {str(path)!r} is not valid JSON: {exc}") from None


def _resolve_record(log, id: str | None):
    from workbench.errors import UnknownDecisionError

    if id in (None, "", "latest"):
        record = log.latest()
        if record is None:
            raise UnknownDecisionError(f"The decision log {log.url!r} has no accepted decision.\n"
                                       "  Fix: record one with `workbench decide SUMMARY_JSON`.")
        return record
    return log.get(id)
