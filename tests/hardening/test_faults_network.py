"""An unreachable MLflow server or Dask scheduler fails fast, with a clear message naming the
address, the timeout and how to raise it. Two peers each: a closed port (connection refused) and a
black hole (a socket, started here, that accepts and never answers).

Bounds (stated, asserted): MLflow < 15 s in-process (timeout 5 s, no retries) and < 30 s through the
CLI (interpreter start-up included); Dask < 15 s for monitoring (timeout 5 s) and < 25 s for the
search (timeout 10 s). The measured times are printed (``-s``) and kept in ``TIMES``.
"""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from tests.hardening import _faults as F
from tests.hardening import _tally
from workbench.errors import SourceUnreachableError

pytest.importorskip("mlflow")

#: (what, peer) -> seconds until the error, for the report.
TIMES: dict[tuple[str, str], float] = {}

MODEL = "objectives:\n  - {name: acc, direction: max}\n  - {name: ms, direction: min}\n"


def _peer(kind: str):
    if kind == "refused":
        return _Closed()
    return F.black_hole()


class _Closed:
    def __enter__(self) -> int:
        return F.closed_port()

    def __exit__(self, *exc) -> None:
        return None


def _assert_fails_fast(
    area: str,
    what: str,
    peer: str,
    seconds: float,
    bound: float,
    exc: BaseException | None,
    address: str,
    timeout_words: tuple[str, ...],
) -> None:
    TIMES[what, peer] = round(seconds, 1)
    print(f"fail-fast {what} / {peer}: {seconds:.1f} s")
    _tally.assert_invariant(
        area,
        isinstance(exc, SourceUnreachableError),
        f"{what}/{peer}: expected SourceUnreachableError, got {type(exc).__name__}: {exc}",
    )
    text = str(exc)
    _tally.assert_invariant(
        area,
        address in text and "Fix:" in text and all(w in text for w in timeout_words),
        f"{what}/{peer}: message lacks the address, the timeout or the fix: {text!r}",
    )
    _tally.assert_invariant(area, seconds < bound, f"{what}/{peer}: took {seconds:.1f} s (bound {bound} s)")
    _tally.count_fault(area)


@pytest.mark.parametrize("peer", ["refused", pytest.param("black_hole", marks=pytest.mark.slow)])  # waits out a timeout
def test_mlflow_reader_fails_fast(peer):
    import workbench as wb

    with _peer(peer) as port:
        seconds, exc = F.timed(wb.load, f"mlflow:http://127.0.0.1:{port}#exp")
    # bounded: (1 + 2 retries) x 5 s plus the backoff
    _assert_fails_fast(
        "faults.network.mlflow",
        "mlflow load",
        peer,
        seconds,
        25,
        exc,
        f"127.0.0.1:{port}",
        ("5 s", "WORKBENCH_MLFLOW_TIMEOUT"),
    )


@pytest.mark.parametrize("peer", ["refused", pytest.param("black_hole", marks=pytest.mark.slow)])  # waits out a timeout
def test_mlflow_export_alias_fails_fast(peer, tmp_path):
    """`export mlflow` used to retry for minutes (MLflow's defaults) and end in a raw traceback."""
    from workbench.decisions import DecisionLog, DecisionRecord
    from workbench.decisions.pushdown import mlflow_alias

    with DecisionLog(tmp_path / "d.db") as log:
        record = log.append(DecisionRecord(chosen="a", candidates=("a", "b")))
    with _peer(peer) as port:
        seconds, exc = F.timed(mlflow_alias, record, f"http://127.0.0.1:{port}", "m", version=1)
    _assert_fails_fast(
        "faults.network.mlflow",
        "mlflow export alias",
        peer,
        seconds,
        25,
        exc,
        f"127.0.0.1:{port}",
        ("5 s", "WORKBENCH_MLFLOW_TIMEOUT"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("peer", ["refused", "black_hole"])
def test_mlflow_cli_fails_fast(peer, tmp_path):
    (tmp_path / "q.yaml").write_text(MODEL)
    with _peer(peer) as port:
        t0 = time.monotonic()
        r = F.cli(["analyze", f"mlflow:http://127.0.0.1:{port}#exp", "-m", "q.yaml"], tmp_path, timeout=120)
        seconds = time.monotonic() - t0
    TIMES["mlflow CLI analyze", peer] = round(seconds, 1)
    print(f"fail-fast mlflow CLI analyze / {peer}: {seconds:.1f} s")
    area = "faults.network.mlflow_cli"
    _tally.assert_invariant(area, r.returncode == 2 and F.clear_error(r.stderr), f"exit {r.returncode}: {r.stderr}")
    _tally.assert_invariant(area, f"127.0.0.1:{port}" in r.stderr and "WORKBENCH_MLFLOW_TIMEOUT" in r.stderr, r.stderr)
    _tally.assert_invariant(area, seconds < 40, f"took {seconds:.1f} s")
    _tally.count_fault(area)


@pytest.mark.parametrize("peer", ["refused", pytest.param("black_hole", marks=pytest.mark.slow)])  # waits out a timeout
def test_dask_monitoring_fails_fast(peer):
    pytest.importorskip("distributed")
    from workbench.monitoring._dask import connect

    with _peer(peer) as port:
        seconds, exc = F.timed(connect, f"tcp://127.0.0.1:{port}")
    _assert_fails_fast(
        "faults.network.dask",
        "dask monitoring",
        peer,
        seconds,
        15,
        exc,
        f"tcp://127.0.0.1:{port}",
        ("5 s", "WORKBENCH_DASK_TIMEOUT"),
    )


@pytest.mark.slow
@pytest.mark.parametrize("peer", ["refused", "black_hole"])
def test_dask_search_fails_fast(peer):
    pytest.importorskip("distributed")
    from workbench.search.evaluate import make_runner

    with _peer(peer) as port:
        seconds, exc = F.timed(make_runner, scheduler=f"tcp://127.0.0.1:{port}")
    _assert_fails_fast(
        "faults.network.dask",
        "dask search",
        peer,
        seconds,
        25,
        exc,
        f"tcp://127.0.0.1:{port}",
        ("10 s", "WORKBENCH_DASK_TIMEOUT"),
    )


@pytest.mark.slow
def test_dask_timeout_can_be_raised_and_is_checked(monkeypatch):
    pytest.importorskip("distributed")
    from workbench.monitoring._dask import connect

    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "1.5")
    with F.black_hole() as port:
        seconds, exc = F.timed(connect, f"tcp://127.0.0.1:{port}")
    assert isinstance(exc, SourceUnreachableError) and "within 1.5 s" in str(exc) and seconds < 8
    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "soon")
    with pytest.raises(SourceUnreachableError, match=r"WORKBENCH_DASK_TIMEOUT='soon' is not a positive number"):
        connect("tcp://127.0.0.1:1")
    _tally.count_fault("faults.network.dask")


@pytest.mark.slow
def test_search_fails_fast_on_a_black_hole_scheduler_and_records_nothing(tmp_path, monkeypatch):
    """Through the whole search: the error comes before any evaluation, the record stays usable."""
    pytest.importorskip("distributed")
    from workbench import QualityModel
    from workbench.search import search

    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "2")
    (tmp_path / "space.yaml").write_text("name: s\nparameters:\n  x: {type: float, low: 0, high: 1}\n")
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "acc", "direction": "max"}, {"name": "ms", "direction": "min"}]}
    )
    with F.black_hole() as port:
        seconds, exc = F.timed(
            search,
            tmp_path / "space.yaml",
            qm,
            lambda c: {"acc": c["x"], "ms": 1 - c["x"]},
            budget=4,
            outdir=tmp_path / "out",
            scheduler=f"tcp://127.0.0.1:{port}",
        )
    _assert_fails_fast(
        "faults.network.dask",
        "dask search (whole run)",
        "black_hole",
        seconds,
        10,
        exc,
        f"tcp://127.0.0.1:{port}",
        ("2 s", "WORKBENCH_DASK_TIMEOUT"),
    )
    db = tmp_path / "out" / "evaluations.sqlite"
    if db.exists():
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT count(*) FROM evaluations").fetchone()[0] == 0


@pytest.mark.slow
def test_mlflow_env_is_restored_after_a_failed_read():
    import workbench as wb

    before = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES")}
    with pytest.raises(SourceUnreachableError):
        wb.load(f"mlflow:http://127.0.0.1:{F.closed_port()}#exp")
    assert {k: os.environ.get(k) for k in before} == before
