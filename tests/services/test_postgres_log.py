"""The decision log on a real PostgreSQL server (Debian's ``postgresql``, started by the session
fixture): the same behaviour as on SQLite, race-free schema creation, one supersede chain under
concurrent `workbench decide` processes, back-end errors, and a password never printed."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pandas as pd
import pytest

from workbench.decisions import DecisionLog, DecisionRecord
from workbench.errors import DecisionLogError, UnknownDecisionError

pytestmark = [pytest.mark.service, pytest.mark.slow]  # starts a real server

MODEL = """
name: api
objectives:
  - {name: acc, direction: max, weight: 2, quality_attribute: system_accuracy}
  - {name: latency_ms, direction: min, unit: ms, quality_attribute: resource_efficiency}
"""


def rec(chosen="a", **kw):
    return DecisionRecord(chosen=chosen, candidates=("a", "b", "c"), **kw)


@pytest.fixture
def db(postgres):
    return postgres.create_database("t_" + uuid.uuid4().hex[:10])


@pytest.fixture
def pg_env(postgres, monkeypatch):
    """The password where libpq looks for it (PGPASSWORD), not in the URL."""
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    return postgres


def test_log_works_as_on_sqlite(pg_env, db, tmp_path):
    """The same calls give the same answers on PostgreSQL and on SQLite."""
    results = []
    for url in (pg_env.url(db), f"sqlite:///{tmp_path / 'd.db'}"):
        with DecisionLog(url) as log:
            first = log.append(rec("a", rationale="accuracy"))
            second = log.supersede(first.id[:6], rec("b", rationale="latency"))
            third = log.append(rec("c", status="proposed"))
            log.add_pushdown(second.id, {"kind": "gate", "target": "ci"})
            assert log.get(second.id[:5]).supersedes == first.id
            with pytest.raises(UnknownDecisionError, match="Recent ids"):
                log.get("ffffffff")
            with pytest.raises(DecisionLogError, match="already in the log"):
                log.append(third)
            results.append(
                {
                    "list": [(r.chosen, r.status, r.supersedes == first.id) for r in log.list()],
                    "latest": log.latest().chosen,
                    "len": len(log),
                    "superseded": [r.chosen for r in log.list("superseded")],
                    "pushdown": [p["kind"] for p in log.get(second.id).pushdown],
                    "diff": log.diff(first.id, second.id)["changed"],
                }
            )
    assert results[0] == results[1]
    assert results[0]["list"] == [("c", "proposed", False), ("b", "accepted", True), ("a", "superseded", False)]


def test_schema_is_versioned(pg_env, db):
    import psycopg

    DecisionLog(pg_env.url(db)).close()
    DecisionLog(pg_env.url(db)).close()  # a second open applies nothing
    with psycopg.connect(
        host=pg_env.host, port=pg_env.port, user=pg_env.user, password=pg_env.password, dbname=db
    ) as conn:
        rows = conn.execute("SELECT version, description FROM decision_log_schema").fetchall()
    assert [r[0] for r in rows] == [1] and "decisions" in rows[0][1]


def test_supersede_fork_is_refused(pg_env, db):
    with DecisionLog(pg_env.url(db)) as log:
        first = log.append(rec("a"))
        second = log.supersede(first.id, rec("b"))
        with pytest.raises(
            DecisionLogError, match=rf"already superseded by '{second.id}'[\s\S]*supersede '{second.id}'"
        ):
            log.supersede(first.id, rec("c"))
        third = log.append(rec("c", supersedes="latest"))
        assert third.supersedes == second.id


def _decide_many(pg, url: str, summary, cwd, n: int) -> list[subprocess.CompletedProcess]:
    env = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "PGPASSWORD": pg.password,
        "WORKBENCH_DECISIONS": url,
    }

    def one(i: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "workbench",
                "decide",
                str(summary),
                "--supersedes",
                "latest",
                "--rationale",
                f"writer {i}",
            ],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    """An analysis JSON written by `workbench analyze`, as `decide` reads it."""
    folder = tmp_path_factory.mktemp("summary")
    (folder / "q.yaml").write_text(MODEL)
    pd.DataFrame({"id": ["a", "b", "c"], "acc": [0.9, 0.8, 0.85], "latency_ms": [20, 10, 25]}).to_csv(
        folder / "runs.csv", index=False
    )
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbench",
            "analyze",
            str(folder / "runs.csv"),
            "-m",
            str(folder / "q.yaml"),
            "--smaa",
            "100",
            "-f",
            "json",
            "-o",
            str(folder / "analysis.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return folder / "analysis.json"


@pytest.mark.slow
@pytest.mark.parametrize("n", [8, 32])
@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "initialised"])
def test_concurrent_decide_builds_one_chain(postgres, summary, tmp_path, n, fresh):
    """n `workbench decide --supersedes latest` processes at once: every decision exactly once,
    in one supersede chain, on a fresh database (first use races to create the schema) and on an
    initialised one."""
    db = postgres.create_database("c_" + uuid.uuid4().hex[:10])
    url = postgres.url(db)
    os.environ["PGPASSWORD"] = postgres.password
    try:
        if not fresh:
            with DecisionLog(url) as log:
                log.append(rec("a", rationale="seed"))
        runs = _decide_many(postgres, url, summary, tmp_path, n)
        assert [r.returncode for r in runs] == [0] * n, [r.stderr for r in runs if r.returncode]
        ids = [r.stdout.split()[1] for r in runs]
        with DecisionLog(url) as log:
            records = log.list()
            chain = log.chain()
    finally:
        os.environ.pop("PGPASSWORD", None)
    expected = n + (0 if fresh else 1)
    stored = [r.id for r in records]
    assert len(stored) == expected and len(set(stored)) == expected
    assert set(ids) <= set(stored)
    # one line: each record supersedes the previous one, nothing is superseded twice
    assert [r.id for r in chain] == list(reversed(stored))
    assert chain[0].supersedes is None
    assert all(b.supersedes == a.id for a, b in pairwise(chain))
    assert [r.status for r in chain] == ["superseded"] * (expected - 1) + ["accepted"]


def test_errors_name_the_backend_and_its_fix(postgres, db, tmp_path):
    secret = postgres.password
    wrong = f"postgresql+psycopg://postgres:not-{secret}@127.0.0.1:{postgres.port}/{db}"
    with pytest.raises(DecisionLogError) as err:
        DecisionLog(wrong)
    text = str(err.value)
    assert "(PostgreSQL)" in text and "PGPASSWORD" in text and "~/.pgpass" in text
    assert secret not in text and "***" in text
    from tests._services import free_port

    down = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/{db}"
    with pytest.raises(DecisionLogError, match=r"\(PostgreSQL\)[\s\S]*pg_isready -h 127.0.0.1"):
        DecisionLog(down)
    with pytest.raises(DecisionLogError, match=r"\(PostgreSQL\)[\s\S]*createdb"):
        DecisionLog(postgres.url("no_such_db", with_password=True))
    # the SQLite fix stays SQLite's
    with pytest.raises(DecisionLogError, match="folder of the decision log"):
        DecisionLog(tmp_path / "missing" / "d.db")


def test_password_is_never_printed(postgres, summary, tmp_path):
    """A password given in the URL (the discouraged way) appears in no output of the CLI."""
    secret = postgres.password
    url = postgres.url(postgres.create_database("p_" + uuid.uuid4().hex[:10]), with_password=True)
    env = {
        "PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "workbench", *args],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    outs = [cli("decisions", "show", "latest", "-d", url)]  # empty log: an error naming the log
    assert outs[0].returncode == 2 and "***" in outs[0].stderr
    outs.append(cli("decide", str(summary), "-d", url, "--rationale", "r"))
    assert outs[-1].returncode == 0, outs[-1].stderr
    outs += [
        cli("decisions", "list", "-d", url),
        cli("decisions", "show", "latest", "-d", url, "-f", "json"),
        cli("decisions", "show", "zzzz", "-d", url),
        cli("export", "madr", "-d", url),
        cli("decide", str(summary), "-d", url.replace(f"{postgres.port}/", f"{postgres.port + 1}/")),
    ]
    assert outs[-1].returncode == 2
    for r in outs:
        assert secret not in r.stdout and secret not in r.stderr
    with DecisionLog(url) as log:
        assert secret not in repr(log) and secret not in log.shown
