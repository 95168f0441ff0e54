"""``workbench app`` (the decision app, Voilà) on 127.0.0.1 for the browser test and benchmark.

:func:`start_app` runs the real command line -- ``workbench app --decisions LOG --folder DIR
--port P --no-open`` -- on a free port, in its own process group, with the decision log given both
by ``--decisions`` and ``WORKBENCH_DECISIONS`` (the flag wins; the variable keeps a stray default
away from the working directory), waits until the port answers and always stops the group it
started (SIGINT, as Ctrl-C, then SIGTERM/SIGKILL). No pytest here: the benchmark shares it.

``APP_READY`` is the page probe: the recommendation headline is drawn.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.browser._lab import _free_port

#: Preparing the demo (about 10 s) and starting Voilà; generous for a loaded CI machine.
APP_START_TIMEOUT = 240
#: True once the page shows the recommendation (its headline, filled in by the kernel).
APP_READY = """() => {
  const b = document.querySelector('.wb-app .wb-headline b');
  return !!b && b.textContent.startsWith('Recommended');
}"""


def workbench_command() -> list[str]:
    """The ``workbench`` console script of this interpreter (``python -m workbench`` as a fallback)."""
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "workbench"]


@dataclass
class App:
    """A running decision app: its URL, decision log, folder, process and log file."""

    url: str
    decisions: Path
    folder: Path
    process: subprocess.Popen
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def start_app(
    base: Path,
    *,
    source: str | None = None,
    model: Path | None = None,
    smaa: int = 2000,
    timeout: float = APP_START_TIMEOUT,
) -> Iterator[App]:
    """``workbench app`` with its folder, decision log (``base/decisions.db``) and log under ``base``.

    Raises ``RuntimeError`` with the end of the app's log when it exits or does not listen in time.
    """
    base.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    decisions = base / "decisions.db"
    cmd = [*workbench_command(), "app"] + ([source] if source else [])
    if model is not None:
        cmd += ["--model", str(model)]
    cmd += [
        "--decisions",
        str(decisions),
        "--folder",
        str(base / "app"),
        "--port",
        str(port),
        "--no-open",
        "--smaa",
        str(smaa),
    ]
    env = {
        **os.environ,
        "WORKBENCH_DECISIONS": str(decisions),
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "agg",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "IPYTHONDIR": str(base / "ipython"),
    }
    log = base / "app.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=base, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    app = App(f"http://127.0.0.1:{port}/", decisions, base / "app", proc, log)
    try:
        deadline = time.monotonic() + timeout
        while not _port_open(port):
            if proc.poll() is not None:
                raise RuntimeError(f"`workbench app` exited with {proc.returncode}:\n{app.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"`workbench app` did not listen within {timeout:.0f} s:\n{app.log_tail()}")
            time.sleep(0.25)
        yield app
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Ctrl-C to the group the app started in (Voilà shuts its kernels down), then SIGTERM/SIGKILL."""
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError):  # a kernel left behind in the group
        os.killpg(proc.pid, signal.SIGKILL)
