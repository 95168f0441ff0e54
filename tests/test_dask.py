"""workbench._dask: a scheduler address that accepts and never answers fails within the timeout
(distributed's Client used to hang forever in the handshake), and the timeout can be raised."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from workbench.errors import SourceUnreachableError

pytest.importorskip("distributed")


def test_a_black_hole_scheduler_fails_within_the_timeout():
    from workbench._dask import dask_client

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    t0 = time.monotonic()
    try:
        with pytest.raises(SourceUnreachableError, match=rf"(?s){address}.* within 1 s: it accepted the "
                                                         r"connection but did not answer.*WORKBENCH_DASK_TIMEOUT"):
            dask_client(address, timeout_s=1, fix="or not")
    finally:
        server.close()
        for conn, _ in held:
            conn.close()
    assert time.monotonic() - t0 < 6


def test_the_timeout_comes_from_the_environment(monkeypatch):
    from workbench._dask import dask_timeout

    assert dask_timeout(5) == 5
    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "30")
    assert dask_timeout(5) == 30
    monkeypatch.setenv("WORKBENCH_DASK_TIMEOUT", "-1")
    with pytest.raises(SourceUnreachableError, match="is not a positive number of seconds"):
        dask_timeout(5)
