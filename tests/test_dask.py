"""workbench._dask: a scheduler address that accepts and never answers fails within the timeout
(distributed's Client used to hang forever in the handshake), and the timeout can be raised."""

from __future__ import annotations

import socket
import threading

import pytest

from workbench.errors import SourceUnreachableError

pytest.importorskip("distributed")


@pytest.mark.slow
def test_a_black_hole_scheduler_fails_within_the_timeout():
    from workbench._dask import dask_client

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(
            SourceUnreachableError,
            match=rf"(?s){address}.* within 1 s: it accepted the "
            r"connection but did not answer.*WORKBENCH_DASK_TIMEOUT",
        ):
            dask_client(address, timeout_s=1, fix="or not")
    finally:
        server.close()
        for conn, _ in held:
            conn.close()


def test_the_timeout_comes_from_the_environment(monkeypatch):
    from workbench._dask import dask_timeout

    assert dask_timeout(5) == 5
    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "30")
    assert dask_timeout(5) == 30
    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "-1")
    with pytest.raises(SourceUnreachableError, match="is not a positive number of seconds"):
        dask_timeout(5)


@pytest.mark.slow
def test_a_refused_connection_fails_after_a_short_grace_not_the_whole_timeout(monkeypatch):
    from workbench import _dask
    from workbench._dask import REFUSED_GRACE_S, dask_client

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    probes, attempts = [], []
    real_refused = _dask._refused
    # distributed alone retries a refused connection for the whole timeout: the handshake probe
    # (which would) must not run, and the refusal is retried for the grace period only
    monkeypatch.setattr(_dask, "_probe", lambda *a: probes.append(a))
    monkeypatch.setattr(_dask, "_refused", lambda addr, grace: attempts.append(grace) or real_refused(addr, grace))
    with pytest.raises(SourceUnreachableError, match=rf"(?s){address}.*connection refused.*Fix: check the address"):
        dask_client(address, timeout_s=30, fix="or not")
    assert probes == [] and attempts == [REFUSED_GRACE_S]


def test_a_scheduler_that_starts_within_the_grace_is_used():
    """A refusal is retried: a scheduler started just before (a CI script) is still reached."""
    from distributed import Scheduler

    from workbench._dask import dask_client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = threading.Event()

    def late_scheduler() -> None:
        import asyncio

        async def run() -> None:
            await asyncio.sleep(0.7)  # the first connection attempts are refused
            async with Scheduler(host="127.0.0.1", port=port, dashboard_address=None):
                while not done.is_set():
                    await asyncio.sleep(0.05)

        asyncio.run(run())

    thread = threading.Thread(target=late_scheduler, daemon=True)
    thread.start()
    try:
        client = dask_client(f"tcp://127.0.0.1:{port}", timeout_s=10, fix="or not")
        try:
            assert client.scheduler_info()["address"] == f"tcp://127.0.0.1:{port}"
        finally:
            client.close()
    finally:
        done.set()
        thread.join(10)
