"""Eight `workbench decide` processes recording into one SQLite decision log at once, several
rounds (half of them superseding the previous round's decision), while one writer is SIGKILLed
holding an open write transaction and another is SIGKILLed at a random point of a loop of appends.

After every round: every record a writer reported committed is in the log, byte-identical; no id
twice; the killed transaction left nothing; the log opens, passes SQLite's integrity check and is
still in WAL mode. (tests/decisions/test_log.py::test_concurrent_writers_lose_nothing covers 8
in-process appenders; this adds the CLI, supersede, rounds and kills.)
"""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.hardening import _faults as F
from tests.hardening import _tally
from workbench.decisions import DecisionLog

AREA = "faults.decision_log"
MODEL = "objectives:\n  - {name: acc, direction: max, weight: 2}\n  - {name: ms, direction: min}\n"

HOLDER = textwrap.dedent("""
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO decisions (id, created, chosen, status, supersedes, model_hash, data_hash, title, "
                "record) VALUES ('killed-mid-transaction', '2026', 'x', 'accepted', NULL, '', '', 't', '{}')")
    print("holding", flush=True)
    time.sleep(600)
""")

LOOPER = textwrap.dedent("""
    import sys
    from workbench.decisions import DecisionLog, DecisionRecord
    log = DecisionLog(sys.argv[1])
    i = 0
    while True:
        r = log.append(DecisionRecord(chosen=f"loop-{i}", candidates=(f"loop-{i}", "b"), rationale="looper"))
        print(r.id, flush=True)  # printed only once committed
        i += 1
""")


def _python(script: str, *args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=F.env(cwd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _rows(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, record FROM decisions").fetchall()
    return dict(rows)


@pytest.mark.slow
def test_eight_deciders_at_once_with_killed_writers_lose_nothing(tmp_path):
    pd.DataFrame({"id": ["a", "b", "c"], "acc": [0.9, 0.8, 0.85], "ms": [20, 10, 15]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    (tmp_path / "q.yaml").write_text(MODEL)
    r = F.cli(["analyze", "c.csv", "-m", "q.yaml", "-f", "json", "-o", "analysis.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    db = tmp_path / "shared.db"
    url = f"sqlite:///{db}"
    DecisionLog(url).close()  # the schema, as a first `decide` would create it
    rng = random.Random(8)
    committed: dict[str, str] = {}
    previous = None
    rounds = 3
    for rnd in range(rounds):
        holder = _python(HOLDER, str(db), cwd=tmp_path)
        assert holder.stdout.readline().strip() == "holding"  # a write transaction is open now
        looper = _python(LOOPER, url, cwd=tmp_path)
        deciders = []
        for w in range(8):
            args = ["decide", "analysis.json", "-d", url, "--rationale", f"round {rnd} writer {w}"]
            if previous is not None and w == 0:  # a decision is superseded once: one writer names it
                args += ["--supersedes", previous[:8]]
            deciders.append(F.start(args, tmp_path))
        time.sleep(rng.uniform(1.0, 3.0))
        F.kill_group(holder)  # mid-transaction: its insert must vanish, the lock must go with it
        time.sleep(rng.uniform(0.5, 2.0))
        looper_out = []
        _kill_and_collect(looper, looper_out)
        ids = []
        for p in deciders:
            out, err = p.communicate(timeout=300)
            text_out = out.decode()
            _tally.assert_invariant(AREA, p.returncode == 0, f"a decide failed: {err.decode()[-800:]}")
            m = re.match(r"Decision ([0-9a-f]{32}) recorded", text_out)
            assert m, text_out
            ids.append(m.group(1))
        rows = _rows(db)
        reported = set(ids) | set(looper_out)
        lost = sum(1 for i in reported if i not in rows) + sum(1 for k, v in committed.items() if rows.get(k) != v)
        _tally.assert_nothing_lost(AREA, lost=lost, what=f"records (round {rnd}: holder and looper killed, 8 deciders)")
        _tally.count_fault(AREA)  # the looper's kill: what it reported is in the loss measured above
        _tally.assert_invariant(AREA, "killed-mid-transaction" not in rows, "a killed transaction's row was kept")
        with sqlite3.connect(db) as con:
            n, distinct = con.execute("SELECT count(*), count(DISTINCT id) FROM decisions").fetchone()
            _tally.assert_invariant(AREA, n == distinct, f"{n - distinct} duplicate ids")
            _tally.assert_invariant(AREA, con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")
            _tally.assert_invariant(AREA, con.execute("PRAGMA journal_mode").fetchone()[0] == "wal", "not WAL")
        with DecisionLog(url) as log:
            records = log.list()
            superseded = {r.id for r in records if r.status == "superseded"}
            named = [r.supersedes for r in records if r.supersedes]
        _tally.assert_invariant(AREA, len(named) == len(set(named)), "a decision superseded twice")
        if previous is not None:
            _tally.assert_invariant(AREA, previous in superseded, "the superseded decision is not reported superseded")
        committed = rows
        previous = ids[-1]
    print(f"decision log: {len(committed)} records after {rounds} rounds of 8 deciders + 2 killed writers")


def _kill_and_collect(proc: subprocess.Popen, into: list[str]) -> None:
    """SIGKILL the looper and keep the ids it reported committed."""
    import os
    import signal

    os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    into += [line.strip() for line in out.splitlines() if re.fullmatch(r"[0-9a-f]{32}", line.strip())]
