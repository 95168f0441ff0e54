"""A real JupyterLab on 127.0.0.1 and a real Chromium driven by Playwright, for the browser tests.

- ``chromium``: Debian's ``/usr/bin/chromium``, installed with apt-get when it is missing and the
  tests run as root (CI); the tests are skipped, with the reason, only when it cannot be had.
- ``lab``: JupyterLab on a free port of 127.0.0.1 with a token, ``--allow-root``, no browser, no
  news or update checks, isolated config/runtime dirs, serving a temporary root folder that holds
  the embedded example store and a copy of ``notebooks/02_interactive_exploration.ipynb``. It is
  shut down (REST shutdown, then SIGTERM/SIGKILL of the process group it started) at the end.
  Starting and stopping live in ``_lab.py``, which ``benchmarks/bench_browser.py`` shares.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser._lab import CHROMIUM, CHROMIUM_ARGS, Lab, start_lab

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "02_interactive_exploration.ipynb"
ARTIFACTS = Path(__file__).parent / "artifacts"
APT_TIMEOUT = 900


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
    for cmd in (
        [apt, "install", "-y", "--no-install-recommends", "chromium"],
        [apt, "update"],
        [apt, "install", "-y", "--no-install-recommends", "chromium"],
    ):
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


def _prepare_root(root: Path) -> None:
    """The example store and a copy of notebook 02 whose parameters point at it."""
    import nbformat

    from workbench.example import build_example

    build_example(root / "example-store", quick=True)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += '\nexample_dir = "example-store"'
    nbformat.write(nb, root / NOTEBOOK.name)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 (free port, token) serving a temporary root; shut down afterwards."""
    pytest.importorskip("jupyterlab")
    pytest.importorskip("nbformat")
    for module in ("sklearn", "mlflow", "vl_convert", "ipywidgets"):
        pytest.importorskip(module)
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    _prepare_root(root)
    try:
        with start_lab(root, base) as server:
            yield server
    except RuntimeError as exc:  # the server did not come up: the message carries its log tail
        pytest.fail(str(exc))


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


@pytest.fixture
def offline_page(chromium) -> Iterator:
    """A Chromium page at 1280x720 that can reach 127.0.0.1 only: every request to another host is
    aborted (and listed in ``page.blocked``); ``page.requests`` records every request URL."""
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    def route(r) -> None:
        url = r.request.url
        if urlsplit(url).scheme in ("data", "blob", "about") or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            page.blocked.append(url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.route("**/*", route)
            page = context.new_page()
            page.requests, page.blocked = [], []
            page.on("request", lambda request: page.requests.append(request.url))
            yield page
        finally:
            browser.close()
