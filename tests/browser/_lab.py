"""A real JupyterLab on 127.0.0.1 for the browser tests and the browser benchmark (no pytest here).

:func:`start_lab` starts JupyterLab on a free port of 127.0.0.1 with a token, ``--allow-root``, no
browser, no news or update checks and isolated config/runtime dirs, serving a folder the caller
prepared; it raises a plain ``RuntimeError`` carrying the end of JupyterLab's log when the server
does not come up, and always shuts it down (REST shutdown, then SIGTERM/SIGKILL of the process group
it started), also on Ctrl-C. ``CHROMIUM`` and ``CHROMIUM_ARGS`` are the browser the pages run in;
``NOTEBOOK_READY`` and ``CELL_ERRORS`` are JavaScript probes of a Lab page.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium flags that work in containers and keep the browser from phoning home (DOMAIN.md §5).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LAB_START_TIMEOUT = 90

# --- JavaScript probes of a Lab page (window.jupyterapp is exposed by --LabApp.expose_app_in_browser) --

#: True once the current notebook is open and its kernel is idle.
NOTEBOOK_READY = """() => {
  const app = window.jupyterapp;
  const w = app && app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext) return false;
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return w.context.isReady && !!kernel && kernel.status === 'idle';
}"""

#: The errors (``ename: evalue``) in the current notebook's outputs.
CELL_ERRORS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const out = [];
  for (const c of w.content.widgets) {
    if (c.model.type !== 'code') continue;
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === 'error') out.push(o.ename + ': ' + o.evalue);
    }
  }
  return out;
}"""


def _free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: its URL, token, root folder, process and log file."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def api(self, path: str, method: str = "GET") -> dict:
        """Call the server's REST API with the token; the decoded JSON body ({} when empty)."""
        req = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body else {}

    def notebook_url(self, name: str) -> str:
        """The URL that opens notebook ``name`` (relative to the root) in a fresh workspace."""
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of JupyterLab's log (server and kernels), for error messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _user_settings(config: Path) -> None:
    """Lab settings for a quiet, deterministic page: no news, no update checks, no autosave."""
    settings = config / "lab" / "user-settings" / "@jupyterlab"
    for rel, data in {
        "apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
        "docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    }.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


def _command(root: Path, port: int, token: str) -> list[str]:
    """The JupyterLab command line: 127.0.0.1 only, the token, the root, nothing that calls out."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.shutdown_no_activity_timeout=1800",
        "--MappingKernelManager.cull_idle_timeout=0",
    ]


def _wait_until_up(server: Lab, timeout: float) -> None:
    """Poll ``/api/status`` until it answers; RuntimeError (with the log tail) if the server exits
    or does not answer within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{server.log_tail()}") from None
            time.sleep(0.25)


@contextlib.contextmanager
def start_lab(
    root: Path, base: Path, env_extra: Mapping[str, str] | None = None, timeout: float = LAB_START_TIMEOUT
) -> Iterator[Lab]:
    """JupyterLab serving ``root``, its config, runtime dir and log under ``base``; stopped on exit.

    ``env_extra`` is added to the server's environment, which its kernels inherit (e.g. a
    ``PYTHONPATH`` so they import the code under test).
    """
    config, runtime = base / "config", base / "runtime"
    for d in (config, runtime):
        d.mkdir(parents=True, exist_ok=True)
    _user_settings(config)
    port, token = _free_port(), os.urandom(16).hex()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "IPYTHONDIR": str(base / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "agg",
        "PYTHONUNBUFFERED": "1",
        **(env_extra or {}),
    }
    env.pop("JUPYTER_TOKEN", None)
    log = base / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            _command(root, port, token), cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root, proc, log)
    try:
        _wait_until_up(server, timeout)
        yield server
    finally:
        _stop(server)


def _stop(server: Lab) -> None:
    """Shut JupyterLab down: its REST shutdown (which stops the kernels), then the process group."""
    proc = server.process
    if proc.poll() is None:
        try:
            server.api("/api/shutdown", method="POST")
        except Exception:  # noqa: BLE001 - fall through to signals
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)  # the group start_lab started (start_new_session=True)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
