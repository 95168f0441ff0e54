"""Shared MLflow client helpers: URIs, SQLite stores, HTTP timeout and retries, error messages.

Used by the MLflow and Optuna readers (``workbench.sources``), the registry push-down
(``workbench.decisions.pushdown``) and the MLflow search recorder (``workbench.search.store``).
Nothing here imports MLflow at module level.

HTTP to a tracking server: each request waits at most ``timeout`` seconds (argument, else
``WORKBENCH_MLFLOW_TIMEOUT``, else ``DEFAULT_TIMEOUT``) and a refused connection, a read timeout
or a 5xx answer is retried ``retries`` times (``WORKBENCH_MLFLOW_RETRIES``, default
``DEFAULT_RETRIES``) with exponential backoff (urllib3's: 0 s, then 2 s, 4 s ...), so a failing server costs
at most ``(retries + 1) * timeout`` plus the backoff. MLflow's own variables
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``) still win when set.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.errors import (
    CandidatesError,
    SourceNotFoundError,
    SourceUnreachableError,
    WorkbenchError,
    did_you_mean,
)

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "client_error",
    "env_defaults",
    "first_line",
    "ScopedClient",
    "http_env",
    "is_remote",
    "missing_file_error",
    "quiet",
    "redact_uri",
    "sqlite_path",
    "sqlite_tables",
]

#: Seconds one HTTP request to a tracking server may take.
DEFAULT_TIMEOUT = 5.0
#: Retries after a refused connection, a timeout or a 5xx answer.
DEFAULT_RETRIES = 2
#: Backoff factor (MLflow takes a whole number): retry n >= 2 waits ``BACKOFF * 2 ** (n - 1)`` s.
BACKOFF = 1
#: The exception modules whose errors are the store's, not a bug here.
CLIENT_ERROR_MODULES = {"sqlalchemy", "requests", "urllib3", "sqlite3", "alembic"}


def redact_uri(uri: str) -> str:
    """Hide a password in a URI before it goes into provenance or messages.

    >>> redact_uri("postgresql://ana:s3cret@db:5432/optuna")
    'postgresql://ana:***@db:5432/optuna'
    >>> redact_uri("sqlite:///mlflow.db")
    'sqlite:///mlflow.db'
    """
    try:
        parts = urllib.parse.urlsplit(uri)
    except ValueError:
        return uri
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def is_remote(uri: str) -> bool:
    """True for a tracking server reached over HTTP(S) or Databricks."""
    return str(uri).strip().lower().startswith(("http://", "https://", "databricks"))


def sqlite_path(uri: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (relative to the working directory), else None.

    >>> sqlite_path("sqlite:///runs/mlflow.db").as_posix(), sqlite_path("sqlite:////tmp/x.db").as_posix()
    ('runs/mlflow.db', '/tmp/x.db')
    >>> sqlite_path("http://localhost:5000") is None
    True
    """
    if not uri.lower().startswith("sqlite:"):
        return None
    rest = uri[len("sqlite:") :]
    if not rest.startswith("///"):
        raise CandidatesError(
            f"SQLite URL {uri!r} names no database file.\n"
            "  Fix: write 'sqlite:///relative/path.db' or 'sqlite:////absolute/path.db'."
        )
    path = urllib.parse.unquote(rest[3:].split("?", 1)[0])
    if not path or path == ":memory:":
        raise CandidatesError(f"SQLite URL {uri!r} is an in-memory database; it holds no stored runs.")
    return Path(path)


def missing_file_error(path: Path, what: str, fix: str) -> SourceNotFoundError:
    """A SourceNotFoundError for a database file that does not exist, with similar files nearby."""
    parent = path.parent if str(path.parent) else Path(".")
    near: list[str] = []
    if parent.is_dir():
        near = sorted(p.name for p in parent.iterdir() if p.suffix.lower() in {".db", ".sqlite", ".sqlite3"})
    msg = f"{what} {str(path)!r} does not exist (resolved: {str(path.resolve())!r}); nothing was created."
    if near:
        msg += f"\n  Database files in {str(parent)!r}: {', '.join(near[:8])}."
        hint = did_you_mean(path.name, near)
        msg += f"\n{hint}" if hint else ""
    return SourceNotFoundError(msg + f"\n  Fix: {fix}")


def sqlite_tables(path: Path) -> set[str]:
    """Table names of a SQLite file, opened read-only; CandidatesError if it is not SQLite.

    The ``alembic_version`` revisions are listed too, as ``alembic_version=<revision>``.
    """
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            tables = {r[0] for r in rows}
            if "alembic_version" in tables:
                tables |= {f"alembic_version={r[0]}" for r in con.execute("SELECT version_num FROM alembic_version")}
            return tables
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise CandidatesError(f"{str(path)!r} is not a readable SQLite database ({exc}).") from None


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence third-party warnings (deprecations, experimental APIs): noise for the user."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def env_defaults(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables the user has not set, for the duration of the block only."""
    added = [k for k in values if k not in os.environ]
    for key in added:
        os.environ[key] = values[key]
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _number(name: str, value: float | int | None, default: float, *, integer: bool = False) -> float:
    text = os.environ.get(name) if value is None else value
    if text is None or text == "":
        return default
    try:
        number = int(text) if integer else float(text)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or (not integer and number == 0):
        shown = repr(text) if value is None else repr(value)
        where = f"{name}={shown}" if value is None else shown
        raise WorkbenchError(
            f"MLflow {'retries' if integer else 'timeout'} {where} is not a "
            f"{'whole number >= 0' if integer else 'number of seconds > 0'}.\n"
            f"  Fix: e.g. {name}={int(default) if integer else default:g}."
        )
    return number


def http_settings(timeout: float | None = None, retries: int | None = None) -> tuple[float, int]:
    """(timeout in seconds, retries) from the arguments, else the environment, else the defaults."""
    return (
        _number("WORKBENCH_MLFLOW_TIMEOUT", timeout, DEFAULT_TIMEOUT),
        int(_number("WORKBENCH_MLFLOW_RETRIES", retries, DEFAULT_RETRIES, integer=True)),
    )


class ScopedClient:
    """An MLflow client whose every call runs with ``env`` set (unless the user set it), then restored.

    MLflow reads its HTTP timeout and retries from the environment at each request; a long-lived
    client (the search recorder) must not leave them set in the caller's process.
    """

    def __init__(self, client: Any, env: dict[str, str]) -> None:
        self._wrapped = client
        self._env = dict(env)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._wrapped, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            with env_defaults(self._env):
                return attr(*args, **kwargs)

        return call


def http_env(timeout: float | None = None, retries: int | None = None) -> dict[str, str]:
    """MLflow's HTTP variables for a bounded timeout and retry with backoff.

    >>> http_env(3, 1)["MLFLOW_HTTP_REQUEST_TIMEOUT"], http_env(3, 1)["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]
    ('3', '1')
    """
    seconds, tries = http_settings(timeout, retries)
    return {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": f"{seconds:g}",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(tries),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": f"{BACKOFF:g}",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.1",
    }


def _failure(text: str) -> tuple[str, str]:
    """(what failed, what to try) from the text of a client error."""
    low = text.lower()
    if "connection refused" in low or "failed to establish a new connection" in low:
        return (
            "the connection was refused (nothing listens at that address)",
            "start the server ('mlflow server --host 127.0.0.1 --port PORT ...') or correct the URL",
        )
    if "name or service not known" in low or "nodename nor servname" in low or "getaddrinfo" in low:
        return "the host name does not resolve", "correct the host name in the URL"
    if "timed out" in low or "timeout" in low:
        return (
            "the server accepted the connection but did not answer in time",
            "wait for the server, or allow more time: --timeout SECONDS or WORKBENCH_MLFLOW_TIMEOUT",
        )
    if "too many 5" in low or "5xx" in low or any(f" {c}" in low for c in ("500", "502", "503", "504")):
        return (
            "the server answered with a server error (5xx)",
            "check the server's log (its database or artifact store may be down)",
        )
    if "schema" in low and ("revision" in low or "out-of-date" in low or "migrat" in low):
        return (
            "the server's database schema does not match its MLflow version",
            "run 'mlflow db upgrade <backend-store-uri>' with the server's MLflow, then restart the server",
        )
    return "the request failed", "check the URL and the server's log"


def client_error(
    shown: str, remote: bool, exc: BaseException, *, timeout: float | None = None, retries: int | None = None
) -> WorkbenchError:
    """The error for a failed MLflow client call: which server, what failed, what to try."""
    first = first_line(exc)
    if remote:
        seconds, tries = http_settings(timeout, retries)
        seconds = float(os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT") or seconds)
        what, fix = _failure(str(exc))
        return SourceUnreachableError(
            f"Cannot reach the MLflow tracking server {shown!r}: {what}.\n"
            f"  Tried {tries + 1} time(s), {seconds:g} s each, with backoff. MLflow said: {first[:300]}\n"
            f"  Fix: {fix}.\n"
            "  The wait per request is --timeout SECONDS or WORKBENCH_MLFLOW_TIMEOUT; the retries "
            "WORKBENCH_MLFLOW_RETRIES."
        )
    return CandidatesError(f"Cannot read the MLflow database {shown!r}: {first}")
