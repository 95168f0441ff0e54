"""Commands that write a file exit 2 with one clear message when the OS refuses (full disk,
read-only folder, no permission). They used to end in a raw traceback and exit 1, which `watch`'s
scheduler reads as "review due"; `decide -o` now says the record was logged before the MADR failed."""

from __future__ import annotations

import errno
import os
import tempfile

import pandas as pd
import pytest
from typer.testing import CliRunner

from workbench.cli import app

MODEL = "objectives:\n  - {name: acc, direction: max}\n  - {name: ms, direction: min}\n"
WATCH = (
    "objectives:\n  - {name: latency_p95_ms, direction: min, source: latency_ms, aggregation: p95, "
    "constraint: '<= 500'}\n"
)


@pytest.fixture
def work(tmp_path, monkeypatch):
    pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8], "ms": [20, 10]}).to_csv(tmp_path / "c.csv", index=False)
    (tmp_path / "q.yaml").write_text(MODEL)
    (tmp_path / "w.yaml").write_text(WATCH)
    t0 = pd.Timestamp("2026-03-01", tz="UTC")
    pd.DataFrame(
        {
            "timestamp": [t0 + pd.Timedelta(minutes=i) for i in range(60)],
            "version": "v1",
            "latency_ms": [20.0 + i % 7 for i in range(60)],
            "error": False,
        }
    ).to_parquet(tmp_path / "logs.parquet")
    out = tmp_path / "out"
    out.mkdir()
    real = tempfile.mkstemp

    def mkstemp(*a, dir=None, **kw):  # the output folder is read-only; everything else is not
        if dir is not None and os.path.abspath(dir) == str(out):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real(*a, dir=dir, **kw)

    monkeypatch.chdir(tmp_path)
    return tmp_path, out, mkstemp


@pytest.mark.parametrize(
    "args,name",
    [
        (["analyze", "c.csv", "-m", "q.yaml", "-o", "out/a.json"], "a.json"),
        (["watch", "logs.parquet", "-m", "w.yaml", "-o", "out/t.json"], "t.json"),
        (["export", "optuna", "-m", "q.yaml", "-o", "out/o.json"], "o.json"),
    ],
)
def test_a_read_only_output_exits_2_with_the_path_and_the_fix(work, monkeypatch, args, name):
    tmp, out, mkstemp = work
    (out / name).write_text("earlier")
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    assert f"error: OutputError: Cannot write the output 'out/{name}': Read-only file system (EROFS)" in text
    assert "Fix:" in text and "Traceback" not in r.output
    assert (out / name).read_text() == "earlier" and sorted(p.name for p in out.iterdir()) == [name]


def test_decide_says_the_record_is_logged_when_its_madr_cannot_be_written(work, monkeypatch):
    tmp, out, mkstemp = work
    assert CliRunner().invoke(app, ["analyze", "c.csv", "-m", "q.yaml", "-f", "json", "-o", "a.json"]).exit_code == 0
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    r = CliRunner().invoke(app, ["decide", "a.json", "-o", "out/d.md"])
    assert r.exit_code == 2
    assert "recorded: chosen 'a'" in r.output and "is recorded, but its MADR file was not written" in r.output
    assert "Read-only file system" in r.output
