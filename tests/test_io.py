"""workbench._io: a write the OS refuses raises OutputError (path, reason, fix) and leaves the earlier
file and no temporary file behind (it used to raise a bare OSError, shown as a traceback)."""

from __future__ import annotations

import errno
import os
import sqlite3

import pytest

from workbench._io import atomic_write_text, database_error
from workbench.errors import OutputError, WorkbenchError


@pytest.mark.parametrize(
    "where,code,words",
    [
        ("os.fsync", errno.ENOSPC, "Fix: free space"),
        ("os.replace", errno.EROFS, "read-only file system"),
        ("tempfile.mkstemp", errno.EACCES, "make it writable"),
    ],
)
def test_a_refused_write_raises_output_error_and_keeps_the_earlier_file(tmp_path, monkeypatch, where, code, words):
    target = tmp_path / "out.json"
    target.write_text("earlier")

    def refuse(*a, **kw):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(where, refuse)
    with pytest.raises(
        OutputError,
        match=rf"(?s)Cannot write the output '{target}': {os.strerror(code)} "
        rf"\({errno.errorcode[code]}\).*{words}",
    ) as info:
        atomic_write_text(target, "new")
    assert isinstance(info.value, (WorkbenchError, OSError)) and info.value.errno == code
    assert target.read_text() == "earlier"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_sqlite_words_become_the_os_reason(tmp_path, monkeypatch):
    db = tmp_path / "log.db"
    monkeypatch.setattr(os, "statvfs", lambda p: type("S", (), {"f_flag": 0, "f_bavail": 0})())
    err = database_error(db, sqlite3.OperationalError("disk I/O error"), "the decision log")
    assert isinstance(err, OutputError) and "No space left on device" in str(err) and str(db) in str(err)
    monkeypatch.setattr(os, "statvfs", lambda p: type("S", (), {"f_flag": os.ST_RDONLY, "f_bavail": 9})())
    err = database_error(db, sqlite3.OperationalError("attempt to write a readonly database"), "the decision log")
    assert "Read-only file system" in str(err) and "remount it read-write" in str(err)
    assert database_error(db, sqlite3.OperationalError("no such table: x")) is None
