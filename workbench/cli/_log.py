"""The decision-log options and look-ups shared by the verbs that read or write the log."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from workbench.cli._app import _err, _plain

DecisionsOption = Annotated[
    str,
    typer.Option(
        "--decisions",
        "-d",
        envvar="WORKBENCH_DECISIONS",
        help="Decision log: a SQLite file path or a SQLAlchemy URL, e.g. postgresql+psycopg://user@host:5432/db (password from PGPASSWORD or ~/.pgpass, never printed).",
    ),
]
_DEFAULT_LOG = "sqlite:///decisions.db"


class RecordFormat(str, Enum):
    text = "text"
    json = "json"
    madr = "madr"


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite log file that does not exist, or None (exists, or not a SQLite file)."""
    from workbench._io import exists
    from workbench.decisions.log import normalize_url

    text = normalize_url(url)
    if not text.startswith("sqlite:///"):
        return None
    path = text[len("sqlite:///") :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return None if exists(Path(path)) else path


def _open_log(url: str, *, create: bool = False):
    """The decision log at ``url``; says on stderr when it could only be opened read-only (an
    archived copy), so the output a script parses stays the same. Only ``create=True`` (``decide``)
    may create a SQLite log: a reading verb given a path that does not exist (a typo) says so."""
    from workbench.decisions import DecisionLog
    from workbench.errors import DecisionLogError

    missing = None if create else _missing_sqlite_file(url)
    if missing is not None:
        raise DecisionLogError(
            f"The decision log {missing!r} does not exist (from {url!r}).\n"
            "  Fix: check the path given with -d/--decisions (or WORKBENCH_DECISIONS); "
            "`workbench decide` creates a new log."
        )
    log = DecisionLog(url)
    if log.read_only_reason:
        _err().print(_plain(f"note: the decision log is open read-only ({log.read_only_reason})."))
    return log


def _read_json_file(path: Path, what: str) -> dict:
    import json

    from workbench._io import is_file
    from workbench.errors import DecisionError, SourceNotFoundError

    if not is_file(path):
        raise SourceNotFoundError(
            f"{what} {str(path)!r} does not exist.\n"
            "  Fix: pass the summary.json of `workbench review` or the JSON of "
            "`workbench analyze --format json -o analysis.json`."
        )
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DecisionError(f"{what} {str(path)!r} is not valid JSON: {exc}") from None


def _resolve_record(log, id: str | None):
    from workbench.errors import UnknownDecisionError

    if id in (None, "", "latest"):
        record = log.latest()
        if record is None:
            raise UnknownDecisionError(
                f"The decision log {log.shown!r} has no accepted decision.\n"
                "  Fix: record one with `workbench decide SUMMARY_JSON`."
            )
        return record
    return log.get(id)
