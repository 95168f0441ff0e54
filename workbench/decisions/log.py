"""``DecisionLog``: an append-only log of decision records over SQLAlchemy.

A SQLite file by default (``sqlite:///decisions.db``; a plain path means a SQLite file), any
SQLAlchemy URL for a team database. Rows are only ever inserted: superseding a decision appends a
new record whose ``supersedes`` names the old one, and the old one is *reported* as
``superseded`` when read (computed, never written). Push-down artefacts produced later are
appended to their own table and merged into the record when read.

Each record is stored as its JSON text plus indexed columns (id, created, chosen, status,
supersedes, model_hash, data_hash). All statements are SQLAlchemy Core expressions with bound
parameters. For SQLite the log turns on WAL mode and a busy timeout, and retries a write that
still meets "database is locked", so concurrent writers (processes) lose nothing.

The schema is versioned: ``decision_log_schema`` lists the migrations applied (``MIGRATIONS``).
Opening a log applies the missing ones in one transaction under the log's write lock — on
PostgreSQL a transaction-scoped advisory lock (``pg_advisory_xact_lock``), on SQLite the database's
write lock — so any number of first-use writers on a fresh database create it once. Appending
takes the same lock, so a record that supersedes ``"latest"`` (or a given id) reads and extends
the chain atomically: concurrent writers build one chain, never a fork.

A team database is a URL such as ``postgresql+psycopg://ana@db.example:5432/decisions``. Leave
the password out of it: the driver (libpq) reads it from ``PGPASSWORD`` or ``~/.pgpass``
(``PGPASSFILE``). Wherever the log shows its URL a password is replaced by ``***``.

A SQLite log the file system will not let us write (an archived copy on a read-only mount, a
file without write permission) is still readable: it is opened read-only (``immutable``, so
SQLite does not try to create its WAL index) and any write names the reason. A log whose WAL
file still holds commits is refused instead, since a read-only open would not see them.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from workbench._io import database_error
from workbench.decisions.record import STATUSES, DecisionRecord
from workbench.errors import DecisionError, DecisionLogError, OutputError, UnknownDecisionError, did_you_mean, require


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["DecisionLog", "DEFAULT_URL", "LATEST", "MIGRATIONS"]

DEFAULT_URL = "sqlite:///decisions.db"
#: ``supersedes=LATEST`` supersedes the newest accepted decision, read under the write lock.
LATEST = "latest"
#: The schema migrations: (version, what it does). Applied in order, each once, recorded in
#: ``decision_log_schema``.
MIGRATIONS = ((1, "tables decisions and decision_artefacts with their indexes"),)
SCHEMA_VERSION = MIGRATIONS[-1][0]
#: The advisory-lock key of the decision log on PostgreSQL (any fixed 64-bit number).
_PG_LOCK_KEY = 0x57424C4F47  # "WBLOG"
#: PostgreSQL SQLSTATEs worth a retry: serialization failure, deadlock, too many connections,
#: server starting up.
_PG_TRANSIENT = {"40001", "40P01", "53300", "57P03"}
T = TypeVar("T")


def normalize_url(url: str | Path) -> str:
    """A SQLAlchemy URL; a plain path (no ``://``) becomes a SQLite file URL.

    >>> normalize_url("sqlite:///x.db")
    'sqlite:///x.db'
    >>> normalize_url("/tmp/log.db")
    'sqlite:////tmp/log.db'
    """
    text = str(url)
    if "://" in text:
        return text
    return "sqlite:///" + Path(text).expanduser().as_posix()


def _again(refused: OutputError, note: str) -> OutputError:
    """``refused`` (same errno, path, reason and fix) with ``note`` put first."""
    err = OutputError(f"{note}\n{refused}")
    err.errno = refused.errno
    return err


def _transient(exc: BaseException) -> bool:
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _PG_TRANSIENT:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def _backend_name(name: str) -> str:
    return {
        "postgresql": "PostgreSQL",
        "sqlite": "SQLite",
        "mysql": "MySQL",
        "mariadb": "MariaDB",
        "mssql": "SQL Server",
        "oracle": "Oracle",
    }.get(name, name)


def _backend_fix(parsed: Any, exc: BaseException) -> str:
    """The fix for a failure of the back end behind the URL ``parsed`` (a SQLAlchemy URL)."""
    name = parsed.get_backend_name()
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    text = str(getattr(exc, "orig", exc))
    if state is None and ("password authentication failed" in text or "no password supplied" in text):
        state = "28P01"  # a failed connection carries no SQLSTATE: read libpq's message
    elif state is None and "database" in text and "does not exist" in text:
        state = "3D000"
    if name == "postgresql":
        host, port = parsed.host or "localhost", parsed.port or 5432
        if state in ("28P01", "28000"):
            return (
                "give the password in PGPASSWORD or a ~/.pgpass line "
                f"'{host}:{port}:{parsed.database or '*'}:{parsed.username or '*'}:PASSWORD' (mode 0600), "
                "not in the URL; check the user name and pg_hba.conf."
            )
        if state == "3D000":
            return f"create the database first (createdb -h {host} -p {port} {parsed.database or 'DBNAME'})."
        if state == "42501":
            return "grant the user CREATE and USAGE on the schema, or let an owner create the log once."
        return (
            f"check that the server runs and accepts connections (pg_isready -h {host} -p {port}), "
            "that the database exists, and that the password is in PGPASSWORD or ~/.pgpass."
        )
    if name == "sqlite":
        return "check the path and that its folder is writable, or pass another path/URL with --decisions."
    return "check the URL, that the server runs, and the user's rights to create and write tables."


class DecisionLog:
    """Append-only decision log.

    Parameters
    ----------
    url : str or path
        SQLAlchemy URL (``sqlite:///decisions.db``, ``postgresql+psycopg://...``) or a file path.
    timeout : float
        Seconds a write waits for a locked SQLite database (busy timeout plus retries).
    read_only : bool or None
        ``True`` opens an existing SQLite log for reading only (nothing is ever written, not even
        the schema); ``None`` (default) does so only when the file system refuses to write it, and
        :attr:`read_only_reason` says why. A read-only log is read as an immutable file (nothing,
        not even SQLite's WAL index, is created beside it): meant for archived logs, it does not
        see commits another process makes while it is open.

    Examples
    --------
    >>> import tempfile, os
    >>> log = DecisionLog(os.path.join(tempfile.mkdtemp(), "d.db"))
    >>> first = log.append(DecisionRecord(chosen="a", candidates=("a", "b")))
    >>> second = log.supersede(first.id, DecisionRecord(chosen="b", candidates=("a", "b")))
    >>> [(r.chosen, r.status) for r in log.list()]
    [('b', 'accepted'), ('a', 'superseded')]
    >>> log.latest().chosen
    'b'
    >>> log.close()
    """

    def __init__(self, url: str | Path = DEFAULT_URL, *, timeout: float = 60.0, read_only: bool | None = None) -> None:
        sa = require("sqlalchemy", "decisions", "The decision log")
        self._sa = sa
        self.url = normalize_url(url)
        self.timeout = float(timeout)
        #: Why the log is open read-only (``None`` when it is writable).
        self.read_only_reason: str | None = None
        self._refused: OutputError | None = None
        try:
            parsed = sa.engine.make_url(self.url)
        except Exception as exc:  # sqlalchemy.exc.ArgumentError
            raise DecisionLogError(
                f"Decision log URL {self.url!r} is not a valid SQLAlchemy URL ({exc}).\n"
                "  Fix: use a file path, 'sqlite:///decisions.db' or e.g. 'postgresql+psycopg://user@host/db'."
            ) from None
        self._parsed = parsed
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self._postgres = parsed.get_backend_name() == "postgresql"
        #: The database behind the log, by name: ``"SQLite"``, ``"PostgreSQL"``...
        self.backend = _backend_name(parsed.get_backend_name())
        self._file = (
            Path(parsed.database).expanduser()
            if self._sqlite
            and parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
            else None
        )
        kwargs: dict[str, Any] = {}
        if self._sqlite:
            db = parsed.database or ""
            if db and db != ":memory:" and not db.startswith("file:"):
                folder = Path(db).expanduser().parent
                if not folder.is_dir():
                    raise DecisionLogError(
                        f"The folder of the decision log {db!r} does not exist.\n"
                        f"  Fix: create {str(folder)!r}, or pass another path/URL with --decisions."
                    )
            kwargs["connect_args"] = {"timeout": self.timeout}
        try:
            self._engine = sa.create_engine(self.url, **kwargs)
        except Exception as exc:
            hint = (
                'pip install "mltradeops-workbench[postgres]" (psycopg)'
                if self._postgres
                else "install its database driver"
            )
            raise DecisionLogError(
                f"Cannot open the decision log {self._shown!r} ({self.backend}): {_first_line(exc)}\n"
                f"  Fix: check the URL's dialect, and {hint}."
            ) from None
        self._define(sa)
        if read_only:
            self._engine.dispose()
            self._open_read_only("opened with read_only=True", refused=None)
            return
        if self._sqlite and parsed.database not in (None, "", ":memory:"):
            busy_ms = int(self.timeout * 1000)

            @sa.event.listens_for(self._engine, "connect")
            def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")
                for _ in range(50):
                    try:
                        cur.execute("PRAGMA journal_mode = WAL")
                        break
                    except Exception as exc:  # sqlite3.OperationalError: locked while switching
                        if not _transient(exc):
                            raise
                        time.sleep(0.05 + random.random() * 0.05)
                cur.close()

        try:
            self._retry(self._migrate)
        except OutputError as exc:  # the file system refuses writes: an existing log can still be read
            if read_only is False or self._file is None or not self._file.is_file():
                raise
            self._engine.dispose()
            why = os.strerror(exc.errno) if exc.errno else "refused"
            self._open_read_only(f"the file system refuses writes: {why}", refused=exc)
        except sa.exc.DBAPIError as exc:  # e.g. a CSV passed as the log: "file is not a database"
            if not self._sqlite:
                raise self._backend_error(exc) from None
            raise DecisionLogError(
                f"Cannot open the decision log {self._shown!r}: {exc.orig}.\n"
                "  Fix: pass a decision log (a SQLite file written by `workbench decide`, or a new path)."
            ) from None

    def _open_read_only(self, reason: str, *, refused: OutputError | None) -> None:
        """Open the SQLite file for reading only, without creating anything next to it."""
        import sqlite3

        if self._file is None:
            raise DecisionLogError(
                f"Only a SQLite file can be opened read-only; {self._shown!r} is not one.\n"
                "  Fix: open a server database with read-only credentials instead."
            )
        if not self._file.is_file():
            raise DecisionLogError(
                f"The decision log {str(self._file)!r} does not exist.\n"
                "  Fix: check the path (a read-only log must already exist)."
            )
        wal = self._file.with_name(self._file.name + "-wal")
        try:
            pending = wal.stat().st_size > 0
        except OSError:
            pending = False
        if pending:
            msg = (
                f"The decision log {str(self._file)!r} cannot be read without writing: its write-ahead file "
                f"{str(wal)!r} holds commits not yet copied into the log, which a read-only open would miss.\n"
                f"  Fix: copy {str(self._file)!r} with {wal.name!r} to a writable folder and open the copy."
            )
            raise (_again(refused, msg) if refused is not None else DecisionLogError(msg)) from None
        uri = self._file.resolve().as_uri() + "?mode=ro&immutable=1"
        timeout = self.timeout
        self._engine = self._sa.create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)
        )
        try:
            with self._engine.connect() as conn:
                names = set(self._sa.inspect(conn).get_table_names())
        except self._sa.exc.DatabaseError as exc:
            raise DecisionLogError(
                f"Cannot open the decision log {str(self._file)!r}: {exc.orig}.\n"
                "  Fix: pass a decision log (a SQLite file written by `workbench decide`)."
            ) from None
        missing = {self._decisions.name, self._artefacts.name} - names
        if missing:
            raise DecisionLogError(
                f"{str(self._file)!r} is not a decision log (no table {', '.join(sorted(missing))}), and it is "
                f"read-only ({reason}), so none can be created.\n"
                "  Fix: pass a decision log written by `workbench decide`."
            )
        self.read_only_reason = reason
        self._refused = refused

    def _writable(self, what: str) -> None:
        if self._refused is not None:  # the same error the write met when the log was opened
            raise _again(self._refused, f"Cannot {what}.")
        if self.read_only_reason is not None:
            raise DecisionLogError(
                f"Cannot {what}: the decision log {str(self._file)!r} is open read-only ({self.read_only_reason}).\n"
                "  Fix: record decisions in a writable log (-d/--decisions), or make its folder writable."
            )

    # --- schema ------------------------------------------------------------------------------

    def _define(self, sa: Any) -> None:
        md = sa.MetaData()
        self._decisions = sa.Table(
            "decisions",
            md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("id", sa.String(64), nullable=False, unique=True),
            sa.Column("created", sa.String(40), nullable=False, index=True),
            sa.Column("chosen", sa.String(512), nullable=False, index=True),
            sa.Column("status", sa.String(20), nullable=False, index=True),
            sa.Column("supersedes", sa.String(64), nullable=True, index=True),
            sa.Column("model_hash", sa.String(64), nullable=False, index=True),
            sa.Column("data_hash", sa.String(64), nullable=False, index=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("record", sa.Text, nullable=False),
        )
        self._artefacts = sa.Table(
            "decision_artefacts",
            md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("decision_id", sa.String(64), nullable=False, index=True),
            sa.Column("created", sa.String(40), nullable=False),
            sa.Column("artefact", sa.Text, nullable=False),
        )
        self._schema = sa.Table(
            "decision_log_schema",
            md,
            sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("applied", sa.String(40), nullable=False),
            sa.Column("description", sa.Text, nullable=False),
        )
        self._sa = sa

    def _lock(self, conn: Any) -> None:
        """Take the log's write lock for the rest of the transaction ``conn`` is in.

        PostgreSQL: a transaction-scoped advisory lock (released at commit or rollback). SQLite: a
        write statement that changes nothing but takes the database's write lock at once (waiting
        up to the busy timeout), so what the transaction then reads cannot change before it
        commits. Other back ends rely on their own isolation.
        """
        if self._postgres:
            conn.execute(self._sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        elif self._sqlite:
            conn.execute(self._schema.update().where(self._sa.false()).values(version=self._schema.c.version))

    def _schema_version(self) -> int | None:
        """The newest applied migration, or None when the log has no schema table yet."""
        with self._engine.connect() as conn:
            if not self._sa.inspect(conn).has_table(self._schema.name):
                return None
            return conn.execute(self._sa.select(self._sa.func.max(self._schema.c.version))).scalar()

    def _migrate(self) -> None:
        """Create or upgrade the schema: the missing migrations, once, under the write lock."""
        from sqlalchemy.schema import CreateIndex, CreateTable

        found = self._schema_version()
        if found == SCHEMA_VERSION:
            return
        with self._engine.begin() as conn:
            if self._postgres:
                self._lock(conn)
            conn.execute(CreateTable(self._schema, if_not_exists=True))
            self._lock(conn)
            done = {r[0] for r in conn.execute(self._sa.select(self._schema.c.version))}
            if done and max(done) > SCHEMA_VERSION:
                raise DecisionLogError(
                    f"The decision log {self._shown!r} ({self.backend}) has schema version {max(done)}, newer "
                    f"than this workbench understands ({SCHEMA_VERSION}).\n"
                    "  Fix: upgrade mltradeops-workbench to the version the team uses."
                )
            now = datetime.now(UTC).isoformat(timespec="seconds")
            for version, description in MIGRATIONS:
                if version in done:
                    continue
                if version == 1:
                    for table in (self._decisions, self._artefacts):
                        conn.execute(CreateTable(table, if_not_exists=True))
                        for index in table.indexes:
                            conn.execute(CreateIndex(index, if_not_exists=True))
                conn.execute(self._schema.insert().values(version=version, applied=now, description=description))

    def _backend_error(self, exc: BaseException) -> DecisionLogError:
        return DecisionLogError(
            f"The decision log {self._shown!r} ({self.backend}) failed: {_first_line(getattr(exc, 'orig', exc))}\n"
            f"  Fix: {_backend_fix(self._parsed, exc)}"
        )

    def _retry(self, fn: Callable[[], T]) -> T:
        exc_types = (self._sa.exc.OperationalError,) if self._sqlite else (self._sa.exc.DBAPIError,)
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        while True:
            try:
                return fn()
            except exc_types as exc:
                if isinstance(exc, self._sa.exc.IntegrityError):
                    raise
                if not _transient(exc):
                    refused = database_error(self._file, exc, "the decision log") if self._file else None
                    if refused is not None:
                        raise refused from None
                    if not self._sqlite:
                        raise self._backend_error(exc) from None
                    raise DecisionLogError(f"The decision log {self._shown!r} failed: {exc.orig}") from None
                if time.monotonic() > deadline:
                    if not self._sqlite:
                        raise DecisionLogError(
                            f"The decision log {self._shown!r} ({self.backend}) stayed busy for {self.timeout:g} s "
                            f"({_first_line(exc.orig)}).\n"
                            "  Fix: retry later; check pg_stat_activity for a session holding a lock, and "
                            "max_connections."
                        ) from None
                    raise DecisionLogError(
                        f"The decision log {self._shown!r} stayed locked for {self.timeout:g} s.\n"
                        "  Fix: retry later, or check for a process holding a write transaction."
                    ) from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    @property
    def shown(self) -> str:
        """The log's URL with any password replaced by ``***``: the one to print."""
        return self._shown

    @property
    def _shown(self) -> str:
        try:
            return self._sa.engine.make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return self.url

    # --- writing -----------------------------------------------------------------------------

    def append(self, record: DecisionRecord) -> DecisionRecord:
        """Insert a record (never update one) and return it.

        When ``record.supersedes`` is set it must name a record of the log that nothing supersedes
        yet (a unique id prefix is expanded to the full id, and the returned record carries the
        full id); ``LATEST`` (``"latest"``) names the newest accepted decision, or nothing on an
        empty log. The look-up and the insert happen in one transaction under the log's write
        lock, so concurrent writers extend one supersede chain.
        """
        if not isinstance(record, DecisionRecord):
            raise DecisionError(f"Only DecisionRecord objects can be appended, got {type(record).__name__}.")
        self._writable(f"record decision {record.id!r}")
        t = self._decisions
        sa = self._sa
        wanted = record.supersedes

        def insert() -> DecisionRecord | None:
            rec = record
            with self._engine.begin() as conn:
                self._lock(conn)
                if wanted is not None:
                    key = str(wanted).strip()
                    if key == LATEST:
                        old = conn.execute(self._latest_query(sa.select(t.c.id)).limit(1)).scalar()
                    else:
                        found = conn.execute(sa.select(t.c.id).where(t.c.id == key)).scalars().all()
                        if not found and len(key) >= 4:
                            found = (
                                conn.execute(sa.select(t.c.id).where(t.c.id.startswith(key, autoescape=True)).limit(2))
                                .scalars()
                                .all()
                            )
                        if len(found) != 1:
                            return None  # unknown or ambiguous: get() says which, outside the lock
                        old = found[0]
                    if old is not None:
                        if old == rec.id:
                            raise DecisionError(f"Decision {rec.id!r} cannot supersede itself.")
                        later = conn.execute(sa.select(t.c.id).where(t.c.supersedes == old).limit(1)).scalar()
                        if later is not None:
                            raise DecisionLogError(
                                f"Decision {old!r} is already superseded by {later!r}; a decision is superseded "
                                "once, so the chain stays one line.\n"
                                f"  Fix: supersede {later!r}, or pass supersedes='latest' (CLI: --supersedes latest)."
                            )
                    rec = replace(rec, supersedes=old)
                conn.execute(
                    t.insert().values(
                        id=rec.id,
                        created=rec.created,
                        chosen=rec.chosen,
                        status=rec.status,
                        supersedes=rec.supersedes,
                        model_hash=rec.model_hash,
                        data_hash=rec.data_hash,
                        title=rec.title,
                        record=rec.to_json(indent=None),
                    )
                )
            return rec

        try:
            done = self._retry(insert)
        except self._sa.exc.IntegrityError:
            raise DecisionLogError(
                f"Decision {record.id!r} is already in the log; records are never updated.\n"
                "  Fix: to change a decision, append a new record with supersedes=<old id> "
                "(DecisionLog.supersede)."
            ) from None
        if done is None:
            self.get(str(wanted))  # raises UnknownDecisionError naming the recent ids
            raise UnknownDecisionError(f"Decision {wanted!r} is not in the decision log {self._shown!r}.")
        return done

    def _latest_query(self, query: Any) -> Any:
        """``query`` restricted to accepted records nothing supersedes, newest first."""
        t = self._decisions
        later = self._sa.select(t.c.supersedes).where(t.c.supersedes.is_not(None))
        return query.where(t.c.status == "accepted", t.c.id.not_in(later)).order_by(t.c.seq.desc())

    def supersede(self, old_id: str, new_record: DecisionRecord) -> DecisionRecord:
        """Append ``new_record`` as the replacement of ``old_id`` (a full id or a unique prefix)."""
        return self.append(replace(new_record, supersedes=old_id))

    def add_pushdown(self, decision_id: str, artefact: dict[str, Any]) -> dict[str, Any]:
        """Append a push-down artefact (``{"kind": ..., "target": ...}``) to a decision; returns it."""
        self._writable("add a push-down artefact")
        rec = self.get(decision_id)
        artefact = {"created": datetime.now(UTC).isoformat(timespec="seconds"), **dict(artefact)}
        text = json.dumps(artefact, ensure_ascii=False, default=str)

        def insert() -> None:
            with self._engine.begin() as conn:
                conn.execute(
                    self._artefacts.insert().values(decision_id=rec.id, created=artefact["created"], artefact=text)
                )

        self._retry(insert)
        return artefact

    # --- reading -----------------------------------------------------------------------------

    def chain(self) -> list[DecisionRecord]:
        """The records in supersede order along each chain, oldest first (a record follows the
        one it supersedes; a record that supersedes nothing starts a chain)."""
        records = list(reversed(self.list()))
        nxt = {r.supersedes: r for r in records if r.supersedes}
        out: list[DecisionRecord] = []
        for start in (r for r in records if not r.supersedes):
            node: DecisionRecord | None = start
            while node is not None:
                out.append(node)
                node = nxt.get(node.id)
        return out

    def _rows(self, where: Any = None, limit: int | None = None) -> list[Any]:
        t = self._decisions
        query = self._sa.select(t.c.id, t.c.record).order_by(t.c.seq.desc())
        if where is not None:
            query = query.where(where)
        if limit is not None:
            query = query.limit(limit)

        def run() -> list[Any]:
            with self._engine.connect() as conn:
                return list(conn.execute(query))

        return self._retry(run)

    def _superseded_ids(self, ids: list[str] | None = None) -> set[str]:
        t = self._decisions
        query = self._sa.select(t.c.supersedes).where(t.c.supersedes.is_not(None))
        if ids is not None:
            query = query.where(t.c.supersedes.in_(ids))

        def run() -> set[str]:
            with self._engine.connect() as conn:
                return {r[0] for r in conn.execute(query)}

        return self._retry(run)

    def _artefacts_of(self, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        a = self._artefacts
        query = self._sa.select(a.c.decision_id, a.c.artefact).where(a.c.decision_id.in_(ids)).order_by(a.c.seq)

        def run() -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = {}
            with self._engine.connect() as conn:
                for did, text in conn.execute(query):
                    out.setdefault(did, []).append(json.loads(text))
            return out

        return self._retry(run) if ids else {}

    def _records(self, rows: list[Any], superseded: set[str] | None = None) -> list[DecisionRecord]:
        ids = [r[0] for r in rows]
        superseded = self._superseded_ids(ids) if superseded is None else superseded
        extra = self._artefacts_of(ids)
        out = []
        for rid, text in rows:
            rec = DecisionRecord.from_json(text)
            if rid in superseded and rec.status != "superseded":
                rec = rec.with_status("superseded")
            if extra.get(rid):
                rec = rec.with_pushdown(*extra[rid])
            out.append(rec)
        return out

    def recent_ids(self, n: int = 10) -> list[str]:
        """The ids of the ``n`` newest records."""
        return [r[0] for r in self._rows(limit=n)]

    def get(self, id: str) -> DecisionRecord:
        """The record with this id, or with this unique id prefix (at least 4 characters).

        Raises
        ------
        UnknownDecisionError
            No record matches (the message lists the recent ids), or the prefix is ambiguous.
        """
        t = self._decisions
        key = str(id).strip()
        rows = self._rows(t.c.id == key)
        if not rows and len(key) >= 4:
            rows = self._rows(t.c.id.startswith(key, autoescape=True), limit=11)
            if len(rows) > 1:
                listing = ", ".join(r[0] for r in rows[:10])
                raise UnknownDecisionError(
                    f"Decision id prefix {key!r} is ambiguous: it matches {listing}"
                    f"{' and more' if len(rows) > 10 else ''}.\n  Fix: give more characters of the id."
                )
        if not rows:
            recent = self.recent_ids(10)
            msg = f"Decision {key!r} is not in the decision log {self._shown!r}."
            if recent:
                msg += "\n  Recent ids (newest first): " + ", ".join(recent) + "." + did_you_mean(key, recent)
            else:
                msg += "\n  The log is empty: record a decision first (`workbench decide`)."
            if 0 < len(key) < 4:
                msg += "\n  Fix: an id prefix needs at least 4 characters."
            raise UnknownDecisionError(msg)
        return self._records(rows)[0]

    def list(self, status: str | None = None, *, limit: int | None = None) -> list[DecisionRecord]:
        """Records, newest first; ``status`` filters on the reported status (superseded computed)."""
        if status is not None and status not in STATUSES:
            raise DecisionError(
                f"Status {status!r} is not one of {', '.join(STATUSES)}." + did_you_mean(status, STATUSES)
            )
        rows = self._rows()
        records = self._records(rows, self._superseded_ids())
        if status is not None:
            records = [r for r in records if r.status == status]
        return records[:limit] if limit is not None else records

    def latest(self, accepted_only: bool = True) -> DecisionRecord | None:
        """The newest record (by default the newest accepted, not superseded one), or None."""
        records = self.list("accepted" if accepted_only else None, limit=1)
        return records[0] if records else None

    def __iter__(self) -> Iterator[DecisionRecord]:
        return iter(self.list())

    def __len__(self) -> int:
        t = self._decisions

        def run() -> int:
            with self._engine.connect() as conn:
                return int(conn.execute(self._sa.select(self._sa.func.count()).select_from(t)).scalar_one())

        return self._retry(run)

    def diff(self, a_id: str, b_id: str) -> dict[str, Any]:
        """What changed from decision ``a`` to decision ``b``.

        Returns
        -------
        dict with ``a``, ``b`` (full ids), ``chosen``, ``model_hash``, ``data_hash``, ``method``
        (each ``{"a", "b", "changed"}``), ``weights`` (objective -> ``{"a", "b", "delta"}`` for
        changed weights), ``constraints`` (``added``, ``removed`` texts; ``changed_limits``:
        constraint -> ``{"a", "b"}``), ``objectives`` (``added``, ``removed``), ``options``
        (``added``, ``removed`` ids; ``rank_changes``: id -> ``{"a", "b"}``) and ``changed``
        (the names of the parts that differ).
        """
        a, b = self.get(a_id), self.get(b_id)
        return diff_records(a, b)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> DecisionLog:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DecisionLog({self._shown!r}{', read-only' if self.read_only_reason else ''})"


def diff_records(a: DecisionRecord, b: DecisionRecord) -> dict[str, Any]:
    """The difference between two records (see :meth:`DecisionLog.diff`)."""

    def pair(x: Any, y: Any) -> dict[str, Any]:
        return {"a": x, "b": y, "changed": x != y}

    weights = {}
    for name in dict.fromkeys([*a.weights, *b.weights]):
        wa, wb = a.weights.get(name), b.weights.get(name)
        if wa is None or wb is None or abs(wa - wb) > 1e-12:
            weights[name] = {"a": wa, "b": wb, "delta": None if wa is None or wb is None else wb - wa}
    ca = {c.get("constraint"): c.get("limit") for c in a.constraints}
    cb = {c.get("constraint"): c.get("limit") for c in b.constraints}
    constraints = {
        "added": [c for c in cb if c not in ca],
        "removed": [c for c in ca if c not in cb],
        "changed_limits": {c: {"a": ca[c], "b": cb[c]} for c in ca if c in cb and ca[c] != cb[c]},
    }
    oa = [o["name"] for o in a.model.get("objectives", [])]
    ob = [o["name"] for o in b.model.get("objectives", [])]
    ra = {o["id"]: o.get("rank") for o in a.options}
    rb = {o["id"]: o.get("rank") for o in b.options}
    options = {
        "added": [i for i in rb if i not in ra],
        "removed": [i for i in ra if i not in rb],
        "rank_changes": {i: {"a": ra[i], "b": rb[i]} for i in ra if i in rb and ra[i] != rb[i]},
    }
    out = {
        "a": a.id,
        "b": b.id,
        "chosen": pair(a.chosen, b.chosen),
        "model_hash": pair(a.model_hash, b.model_hash),
        "data_hash": pair(a.data_hash, b.data_hash),
        "method": pair(a.method, b.method),
        "weights": weights,
        "constraints": constraints,
        "objectives": {"added": [n for n in ob if n not in oa], "removed": [n for n in oa if n not in ob]},
        "options": options,
    }
    changed = [k for k in ("chosen", "model_hash", "data_hash", "method") if out[k]["changed"]]
    changed += [k for k in ("weights",) if weights]
    changed += [k for k in ("constraints", "objectives", "options") if any(out[k].values())]
    out["changed"] = changed
    return out
