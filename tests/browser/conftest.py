"""A real JupyterLab on 127.0.0.1 and a real Chromium driven by Playwright, for the browser tests.

- ``chromium``: Debian's ``/usr/bin/chromium``, installed with apt-get when it is missing and the
  tests run as root (CI); the tests are skipped, with the reason, only when it cannot be had.
- ``lab``: JupyterLab on a free port of 127.0.0.1 with a token, ``--allow-root``, no browser, no
  news or update checks, isolated config/runtime dirs, serving a temporary root folder that holds
  the embedded example store and a copy of ``notebooks/02_interactive_exploration.ipynb``. It is
  shut down (REST shutdown, then SIGTERM/SIGKILL of the process group it started) at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
#: Chromium flags that work in containers and keep the browser from phoning home (DOMAIN.md §5).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "02_interactive_exploration.ipynb"
ARTIFACTS = Path(__file__).parent / "artifacts"
APT_TIMEOUT = 900
LAB_START_TIMEOUT = 90


def pytest_configure(config):
    # Also declared in pyproject.toml's markers; repeated here so this folder runs on its own.
    config.addinivalue_line("markers", "browser: drives a real JupyterLab with Chromium (Playwright)")


def _install_chromium() -> str:
    """apt-get install chromium; returns '' on success or why it could not be done."""
    if os.name != "posix" or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    apt = shutil.which("apt-get")
    if apt is None:
        return "apt-get is not available on this system"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = []
    for cmd in ([apt, "install", "-y", "--no-install-recommends", "chromium"],
                [apt, "update"],
                [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        try:
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"{' '.join(cmd)} took more than {APT_TIMEOUT} s"
        log.append(run.stderr.strip()[-400:])
        if cmd[1] == "install" and run.returncode == 0 and CHROMIUM.exists():
            return ""
    return "apt-get install chromium failed: " + " | ".join(s for s in log if s)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed when missing (root + apt-get); skip only when that is impossible."""
    pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    if not CHROMIUM.exists():
        why = _install_chromium()
        if why:
            pytest.skip(f"Chromium is not installed at {CHROMIUM} and cannot be installed: {why}")
    return CHROMIUM


def _free_port() -> int:
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
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body else {}

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _prepare_root(root: Path) -> None:
    """The example store and a copy of notebook 02 whose parameters point at it."""
    import nbformat

    from workbench.example import build_example

    build_example(root / "example-store", quick=True)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += '\nexample_dir = "example-store"'
    nbformat.write(nb, root / NOTEBOOK.name)


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


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 (free port, token) serving a temporary root; shut down afterwards."""
    pytest.importorskip("jupyterlab")
    pytest.importorskip("nbformat")
    for module in ("sklearn", "mlflow", "vl_convert", "ipywidgets"):
        pytest.importorskip(module)
    base = tmp_path_factory.mktemp("lab")
    root, config, runtime = base / "root", base / "config", base / "runtime"
    for d in (root, config, runtime):
        d.mkdir()
    _prepare_root(root)
    _user_settings(config)
    port, token = _free_port(), os.urandom(16).hex()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(runtime),
           "IPYTHONDIR": str(base / "ipython"), "JUPYTER_PLATFORM_DIRS": "1", "MPLBACKEND": "agg",
           "PYTHONUNBUFFERED": "1"}
    env.pop("JUPYTER_TOKEN", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.open_browser=False", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--ServerApp.shutdown_no_activity_timeout=1800", "--MappingKernelManager.cull_idle_timeout=0"]
    log = base / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = Lab(f"http://127.0.0.1:{port}", token, root, proc, log)
    try:
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {LAB_START_TIMEOUT} s:\n{server.log_tail()}")
                time.sleep(0.25)
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
            os.killpg(proc.pid, sig)  # the group this fixture started (start_new_session=True)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def browser_page(chromium, tmp_path) -> Iterator:
    """A Chromium page (1600x1400) that records every request URL in ``page.requests``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1600, "height": 1400})
            page = context.new_page()
            page.requests = []
            page.on("request", lambda request: page.requests.append(request.url))
            yield page
        finally:
            browser.close()
