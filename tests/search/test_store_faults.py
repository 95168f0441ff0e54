"""The search's SQLite record on a read-only file system: OutputError naming the file, the reason and
the fix (it used to be a SearchError carrying only SQLite's words)."""

from __future__ import annotations

import os
import sqlite3

import pytest

from workbench.errors import OutputError
from workbench.search.store import LocalStore


def test_a_record_on_a_read_only_file_system(tmp_path, monkeypatch):
    def refuse(*a, **kw):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    monkeypatch.setattr(os, "statvfs", lambda p: type("S", (), {"f_flag": os.ST_RDONLY, "f_bavail": 1})())
    path = tmp_path / "evaluations.sqlite"
    with pytest.raises(
        OutputError,
        match=rf"(?s)Cannot write the evaluation record '{path}': "
        r"Read-only file system.*Fix:",
    ):
        LocalStore(path)
