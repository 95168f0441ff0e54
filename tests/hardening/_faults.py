"""Shared pieces of the fault-injection tests: output sets, the CLI as a scheduler runs it, hostile
network peers, and a private mount namespace for a real full disk or read-only folder."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

OUTPUTS = ("review.ipynb", "summary.json", "decision.md", "memo.html")
ROOT = Path(__file__).resolve().parents[2]


def make_set(tag: str) -> tuple[dict[str, bytes], str]:
    """A small, well-formed, stamped set of review outputs (what a review run would commit)."""
    from workbench.reports.outputs import stamp_output

    summary = (json.dumps({"title": f"review {tag}", "decision": {"chosen": tag}}, indent=2) + "\n").encode()
    set_id = "sha256:" + hashlib.sha256(summary).hexdigest()
    memo = f"<!doctype html><html><head><meta charset='utf-8'></head><body>{tag}</body></html>".encode()
    nb = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
    files = {
        "review.ipynb": stamp_output("review.ipynb", nb, set_id),
        "summary.json": summary,
        "decision.md": stamp_output("decision.md", f"# Decision {tag}\n".encode(), set_id),
        "memo.html": stamp_output("memo.html", memo, set_id),
    }
    return files, set_id


def write_set(out: Path, files: dict[str, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)


def outputs(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in OUTPUTS if (out / n).is_file()}


def others(out: Path) -> list[str]:
    """Entries of ``out`` that are not one of the four outputs (staging folders, temp files...)."""
    return sorted(p.name for p in out.iterdir() if p.name not in OUTPUTS)


def env(home: Path, **extra: str) -> dict[str, str]:
    """A scheduler's environment (minimal PATH, HOME, LANG); PYTHONPATH kept so the code under test runs."""
    out = {"PATH": os.path.dirname(sys.executable) + os.pathsep + "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    for key in ("PYTHONPATH", "TMPDIR"):
        if key in os.environ:
            out[key] = os.environ[key]
    out.update(extra)
    return out


def cli(args, cwd: Path, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, args)],
        cwd=cwd,
        env=env(cwd, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(args, cwd: Path, **extra: str) -> subprocess.Popen:
    """The CLI in its own process group (so a kill reaches the notebook kernel too)."""
    return subprocess.Popen(
        [sys.executable, "-m", "workbench", *map(str, args)],
        cwd=cwd,
        env=env(cwd, **extra),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)


def clear_error(text: str) -> bool:
    """One ``error:`` line naming the error, and no traceback."""
    return "error:" in text and "Traceback (most recent call last)" not in text


# --- network peers ---------------------------------------------------------------------------------


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A server that accepts connections and never answers; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def timed(fn, *args, **kwargs) -> tuple[float, BaseException | None]:
    t0 = time.monotonic()
    try:
        fn(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the caller classifies it
        return time.monotonic() - t0, exc
    return time.monotonic() - t0, None


# --- a real full disk / read-only folder ------------------------------------------------------------


@functools.cache
def unshare_unavailable() -> str:
    """'' when `unshare` gives this process a private mount namespace where tmpfs and bind mounts
    work; otherwise the reason why not."""
    if not shutil.which("unshare"):
        return "no `unshare` here"
    flags = ["-m"] if os.geteuid() == 0 else ["-r", "-m"]
    probe = subprocess.run(
        [
            "unshare",
            *flags,
            "--propagation",
            "private",
            "sh",
            "-c",
            "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d && rmdir $d",
        ],
        capture_output=True,
        text=True,
    )
    return "" if probe.returncode == 0 else f"cannot mount in a private namespace: {probe.stderr.strip()}"
