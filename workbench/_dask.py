"""Connecting to a Dask scheduler by address, with one bounded wait.

``distributed.Client(address, timeout=...)`` bounds the TCP connect, but not the handshake that
follows: a socket that accepts and never answers (a black-holed port, a wrong service, a stuck
scheduler) hangs it forever. :func:`dask_client` first opens one comm *with the handshake* under
the same timeout, in a thread of its own (so it works from inside a running event loop, e.g. a
notebook), and only then builds the client.

A refused connection (nothing listens on the port) is not waited out: ``distributed`` retries it
for the whole timeout in case the scheduler is still starting, so :func:`dask_client` retries it
itself for :data:`REFUSED_GRACE_S` at most (a scheduler started just before) and then fails.
"""

from __future__ import annotations

import os
from typing import Any

from workbench.errors import SourceUnreachableError, require

__all__ = ["dask_client", "dask_timeout", "TIMEOUT_ENV"]

#: Seconds to wait for a scheduler given by address; overrides every default of the workbench.
TIMEOUT_ENV = "WORKBENCH_DASK_TIMEOUT"
#: How long a refused TCP connection is retried before the address is reported unreachable.
REFUSED_GRACE_S = 2.0


def dask_timeout(default: float) -> float:
    """``WORKBENCH_DASK_TIMEOUT`` (seconds) when set to a positive number, else ``default``."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SourceUnreachableError(
            f"{TIMEOUT_ENV}={raw!r} is not a positive number of seconds.\n"
            f"  Fix: e.g. {TIMEOUT_ENV}=30, or unset it (default {default:g} s)."
        )
    return value


def _refused(address: str, grace_s: float) -> bool:
    """True when nothing accepts TCP connections at ``address`` for ``grace_s`` seconds.

    Only plain ``tcp://host:port`` addresses are checked (TLS, UCX, in-process and unparsable
    addresses are left to ``distributed``); any other outcome than a refusal returns False."""
    import socket
    import time
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return False
    if parts.scheme != "tcp" or not host or port is None:
        return False
    deadline = time.monotonic() + grace_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=max(0.05, min(1.0, grace_s))):
                return False
        except ConnectionRefusedError:
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.1)
        except OSError:  # timeouts, unknown hosts, unreachable networks: distributed reports them
            return False


def _probe(address: str, timeout_s: float) -> None:
    """Open one comm to ``address`` (connect + handshake) within ``timeout_s``, then close it."""
    import asyncio

    from distributed.comm import connect

    async def once() -> None:
        # connect() gives up on its own after timeout_s; the extra second catches a hung handshake
        comm = await asyncio.wait_for(connect(address, timeout=timeout_s), timeout_s + 1)
        await comm.close()

    asyncio.run(once())


def dask_client(address: str, *, timeout_s: float, fix: str, **kwargs: Any) -> Any:
    """A ``distributed.Client`` for ``address``, or :class:`SourceUnreachableError` within about
    ``timeout_s`` seconds (connection refused, no answer, not a scheduler). ``fix`` is the
    caller's alternative (e.g. "or use engine='duckdb'")."""
    import concurrent.futures

    distributed = require("distributed", "dask", "Connecting to a Dask scheduler")

    def unreachable(reason: str) -> SourceUnreachableError:
        return SourceUnreachableError(
            f"Dask scheduler {address!r} could not be reached within {timeout_s:g} s: {reason}.\n"
            f"  Fix: check the address (e.g. 'tcp://127.0.0.1:8786') and that the scheduler is running, {fix}; "
            f"to wait longer, set {TIMEOUT_ENV}=<seconds>."
        )

    if _refused(address, min(REFUSED_GRACE_S, timeout_s)):
        raise unreachable("connection refused (nothing listens on that port)")
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-dask-probe") as pool:
        try:
            pool.submit(_probe, address, timeout_s).result()
        except TimeoutError:  # asyncio.TimeoutError is TimeoutError since 3.11
            raise unreachable(
                "it accepted the connection but did not answer the Dask handshake (is it a Dask scheduler?)"
            ) from None
        except OSError as exc:
            raise unreachable(str(exc).rstrip(".") or type(exc).__name__) from None
        except ValueError as exc:  # an address distributed cannot parse
            raise unreachable(f"not a Dask address ({exc})") from None
    try:
        return distributed.Client(address, timeout=f"{timeout_s}s", **kwargs)
    except (OSError, TimeoutError) as exc:
        raise unreachable(str(exc).rstrip(".") or type(exc).__name__) from None
