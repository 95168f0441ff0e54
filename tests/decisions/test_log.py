"""DecisionLog: append-only storage, supersede, list/get/diff, errors, concurrent writers."""

import multiprocessing
import sqlite3
import textwrap

import pytest

from workbench.decisions import DecisionLog, DecisionRecord
from workbench.decisions.log import normalize_url
from workbench.errors import DecisionError, DecisionLogError, UnknownDecisionError


@pytest.fixture
def log(tmp_path):
    with DecisionLog(tmp_path / "decisions.db") as lg:
        yield lg


def rec(chosen="a", **kw):
    return DecisionRecord(chosen=chosen, candidates=("a", "b", "c"), **kw)


def test_append_get_list(log, analysis):
    first = log.append(DecisionRecord.from_analysis(analysis, rationale="acc"))
    second = log.append(rec("b"))
    assert log.get(first.id) == first
    assert log.get(first.id[:8]).id == first.id  # unique prefix
    assert [r.id for r in log.list()] == [second.id, first.id]  # newest first
    assert len(log) == 2 and log.latest().id == second.id
    assert log.list("rejected") == []


def test_supersede_is_computed_not_written(log, tmp_path):
    old = log.append(rec("a"))
    new = log.supersede(old.id[:6], rec("b", rationale="latency"))
    assert new.supersedes == old.id  # the prefix is expanded
    assert log.get(old.id).status == "superseded" and log.get(new.id).status == "accepted"
    assert [r.id for r in log.list("superseded")] == [old.id]
    assert log.latest().id == new.id
    # append-only: the stored row of the old record is untouched
    with sqlite3.connect(tmp_path / "decisions.db") as con:
        rows = con.execute("SELECT id, status, supersedes FROM decisions ORDER BY seq").fetchall()
    assert rows == [(old.id, "accepted", None), (new.id, "accepted", old.id)]
    with pytest.raises(DecisionLogError, match="already in the log; records are never updated"):
        log.append(old)
    with pytest.raises(UnknownDecisionError, match="Decision 'deadbeef' is not in the decision log"):
        log.supersede("deadbeef", rec("c"))


def test_latest_skips_superseded_and_proposed(log):
    assert log.latest() is None
    a = log.append(rec("a"))
    log.append(rec("b", status="proposed"))
    assert log.latest().id == a.id
    assert log.latest(accepted_only=False).chosen == "b"


def test_unknown_and_ambiguous_ids(log):
    ids = [log.append(rec(c)).id for c in "abc"]
    with pytest.raises(UnknownDecisionError) as info:
        log.get(ids[0][:-1] + ("0" if ids[0][-1] != "0" else "1"))
    msg = str(info.value)
    assert "Recent ids (newest first): " + ", ".join(reversed(ids)) in msg
    assert f"Did you mean {ids[0]!r}?" in msg
    with pytest.raises(UnknownDecisionError, match="at least 4 characters"):
        log.get("ab")
    # an ambiguous prefix lists the matches
    log.append(rec("a", id="feed0001"))
    log.append(rec("b", id="feed0002"))
    with pytest.raises(UnknownDecisionError, match="prefix 'feed' is ambiguous: it matches feed0002, feed0001"):
        log.get("feed")
    # LIKE wildcards in a prefix are literal
    with pytest.raises(UnknownDecisionError):
        log.get("fee%")
    with pytest.raises(DecisionError, match="Status 'acepted'.*Did you mean 'accepted'"):
        log.list("acepted")


def test_diff(log, analysis, qm, frame):
    from workbench import analyze

    a = log.append(DecisionRecord.from_analysis(analysis))
    other = analyze(
        frame.assign(acc=[0.9, 0.8, 0.85, 0.97]).iloc[:3], qm.with_weights({"acc": 1, "latency_ms": 1}), champion="b"
    )
    b = log.append(DecisionRecord.from_analysis(other, chosen="b"))
    d = log.diff(a.id, b.id[:10])
    assert d["a"] == a.id and d["b"] == b.id
    assert d["chosen"] == {"a": "a", "b": "b", "changed": True}
    assert d["model_hash"]["changed"] and d["data_hash"]["changed"] and not d["method"]["changed"]
    assert d["weights"]["acc"]["delta"] == pytest.approx(0.5 - 2 / 3)
    assert d["options"]["removed"] == ["d"] and d["options"]["added"] == []
    assert d["changed"] == ["chosen", "model_hash", "data_hash", "weights", "options"]
    same = log.diff(a.id, a.id)
    assert same["changed"] == []


def test_pushdown_artefacts_are_appended(log):
    r = log.append(rec("a"))
    log.add_pushdown(r.id, {"kind": "prometheus_rules", "path": "/x/rules.yml"})
    got = log.get(r.id)
    assert [p["kind"] for p in got.pushdown] == ["prometheus_rules"] and got.pushdown[0]["path"] == "/x/rules.yml"
    assert log.list()[0].pushdown == got.pushdown


def test_urls(tmp_path):
    assert normalize_url(tmp_path / "x.db") == f"sqlite:///{tmp_path.as_posix()}/x.db"
    with DecisionLog(f"sqlite:///{tmp_path / 'y.db'}") as lg:
        lg.append(rec())
    assert (tmp_path / "y.db").is_file()
    with pytest.raises(DecisionLogError, match="folder of the decision log .* does not exist"):
        DecisionLog(tmp_path / "missing" / "z.db")
    with pytest.raises(DecisionLogError, match="(?s)Cannot open the decision log .*Fix: check the URL's dialect"):
        DecisionLog("nosuchdialect+foo://x/y")
    with pytest.raises(DecisionLogError, match="is not a valid SQLAlchemy URL"):
        DecisionLog("::not a url://")
    with DecisionLog("sqlite://") as mem:  # in-memory works too
        mem.append(rec())
        assert len(mem) == 1


WORKER = textwrap.dedent("""
    from workbench.decisions import DecisionLog, DecisionRecord


    def append_many(url, worker, n):
        log = DecisionLog(url)
        ids = []
        for i in range(n):
            r = log.append(DecisionRecord(chosen=f"w{worker}-{i}", candidates=(f"w{worker}-{i}",)))
            ids.append(r.id)
        log.close()
        return ids
""")


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(tmp_path, monkeypatch):
    (tmp_path / "dlog_worker.py").write_text(WORKER)
    monkeypatch.syspath_prepend(str(tmp_path))
    import dlog_worker

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(8) as pool:
        results = pool.starmap(dlog_worker.append_many, [(url, w, 25) for w in range(8)])
    returned = [i for ids in results for i in ids]
    assert len(returned) == 200 and len(set(returned)) == 200
    with DecisionLog(url) as log:
        stored = log.list()
    assert len(stored) == 200
    assert {r.id for r in stored} == set(returned)
    assert {r.chosen for r in stored} == {f"w{w}-{i}" for w in range(8) for i in range(25)}
    with sqlite3.connect(tmp_path / "shared.db") as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    # used to escape as sqlalchemy.exc.DatabaseError ("file is not a database")
    not_a_log = tmp_path / "runs.csv"
    not_a_log.write_text("id,acc\n" + "a,1\n" * 200)
    with pytest.raises(DecisionLogError, match=r"(?s)Cannot open the decision log .*runs.csv.*not a database.*Fix"):
        DecisionLog(not_a_log)


# --- read-only logs (an auditor's archived copy) -------------------------------------------------------


def _tree(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_read_only_log_reads_everything_and_writes_nothing(tmp_path):
    path = tmp_path / "decisions.db"
    with DecisionLog(path) as lg:
        first = lg.append(rec("a"))
        second = lg.supersede(first.id, rec("b"))
        lg.add_pushdown(second.id, {"kind": "mlflow", "target": "m/3"})
    before = _tree(tmp_path)
    assert set(before) == {"decisions.db"}  # the last connection checkpointed and removed the WAL
    with DecisionLog(path, read_only=True) as ro:
        assert ro.read_only_reason == "opened with read_only=True" and "read-only" in repr(ro)
        assert [(r.chosen, r.status) for r in ro.list()] == [("b", "accepted"), ("a", "superseded")]
        assert len(ro) == 2 and ro.get(second.id[:6]).pushdown[0]["target"] == "m/3"
        assert ro.diff(first.id, second.id)["chosen"]["changed"]
        with pytest.raises(DecisionLogError, match=r"(?s)Cannot record decision .*open read-only.*Fix: record"):
            ro.append(rec("c"))
        with pytest.raises(DecisionLogError, match="Cannot add a push-down artefact"):
            ro.add_pushdown(second.id, {"kind": "x"})
    assert _tree(tmp_path) == before  # not a byte written, no -wal or -shm created


def test_a_read_only_open_refuses_what_it_cannot_read_faithfully(tmp_path):
    with pytest.raises(DecisionLogError, match=r"does not exist"):
        DecisionLog(tmp_path / "missing.db", read_only=True)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE runs (id TEXT)").connection.commit()
    with pytest.raises(
        DecisionLogError,
        match=r"(?s)other.db' is not a decision log \(no table decision_artefacts, "
        r"decisions\).*Fix",
    ):
        DecisionLog(tmp_path / "other.db", read_only=True)
    # a writer that died without a checkpoint leaves commits in the WAL: a read-only open would miss them
    path = tmp_path / "crashed.db"
    code = textwrap.dedent(f"""
        import os
        from workbench.decisions import DecisionLog, DecisionRecord
        log = DecisionLog({str(path)!r})
        log.append(DecisionRecord(chosen="a", candidates=("a", "b")))
        os._exit(0)
    """)
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert (tmp_path / "crashed.db-wal").stat().st_size > 0
    with pytest.raises(DecisionLogError, match=r"(?s)write-ahead file .*crashed.db-wal.*would miss.*Fix: copy"):
        DecisionLog(path, read_only=True)
    with DecisionLog(path) as lg:  # a writable open recovers the commit
        assert [r.chosen for r in lg.list()] == ["a"]
