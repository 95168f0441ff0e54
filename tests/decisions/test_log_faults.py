"""The decision log on a read-only or full file system: OutputError naming the file, the OS reason and
the fix (it used to say only "The decision log ... failed: attempt to write a readonly database")."""

from __future__ import annotations

import os

import pytest

from workbench.decisions import DecisionLog, DecisionRecord
from workbench.errors import OutputError


@pytest.mark.parametrize(
    "flag,bavail,reason", [(os.ST_RDONLY, 9, "Read-only file system"), (0, 0, "No space left on device")]
)
def test_an_append_the_file_system_refuses(tmp_path, monkeypatch, flag, bavail, reason):
    db = tmp_path / "d.db"
    with DecisionLog(db) as log:
        first = log.append(DecisionRecord(chosen="a", candidates=("a", "b")))
    log = DecisionLog(db)

    @__import__("sqlalchemy").event.listens_for(log._engine, "connect")
    def _read_only(dbapi_conn, _record):  # SQLite then answers SQLITE_READONLY, as on a read-only mount
        dbapi_conn.execute("PRAGMA query_only = ON")

    log._engine.dispose()
    real = os.statvfs
    monkeypatch.setattr(
        os,
        "statvfs",
        lambda p: type("S", (), {"f_flag": flag, "f_bavail": bavail})() if str(p) == str(tmp_path) else real(p),
    )
    with pytest.raises(
        OutputError,
        match=rf"(?s)Cannot write the decision log '{db}': {reason}.*"
        r"Committed records are intact.*Fix:",
    ):
        log.append(DecisionRecord(chosen="b", candidates=("a", "b")))
    log.close()
    monkeypatch.undo()
    with DecisionLog(db) as log:
        assert [r.id for r in log.list()] == [first.id]
