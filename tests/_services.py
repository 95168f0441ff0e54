"""Real team services for the tests: PostgreSQL, an MLflow tracking server, Prometheus.

Each ``start_*`` function starts the service from the installed packages on 127.0.0.1 and a
free port, waits until it answers, and returns a handle whose ``stop()`` ends it (the fixtures
in ``tests/services/conftest.py`` call them once per session). When the service cannot be
started here, ``pytest.skip`` says why and what installs it (``.ci/run`` does).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, proc: subprocess.Popen | None, log: Path | None, limit: float = 120.0) -> None:
    """Poll ``check()`` until it is true; fail with the service's log when it exits or never answers."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.2)
    text = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} did not start (exit {proc.poll() if proc else '?'}):\n{text}")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


# --- PostgreSQL -----------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin",):
        found = sorted(glob.glob(pattern), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0)
        for folder in reversed(found):
            if Path(folder, "initdb").exists():
                return Path(folder)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    host: str
    port: int
    user: str
    password: str
    data: Path
    _run: list[str] = field(default_factory=list)
    _bin: Path | None = None

    def url(self, database: str, *, with_password: bool = False) -> str:
        auth = f"{self.user}:{self.password}" if with_password else self.user
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        subprocess.run(
            [*self._run, str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.data.parent, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb + pg_ctl start on 127.0.0.1 with password (SCRAM) authentication over TCP.

    initdb and pg_ctl refuse to run as root: as root they run as the ``postgres`` user.
    """
    pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[dev]'")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb) are not installed: apt-get install postgresql (.ci/run does it)"
        )
    run: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="wb-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        try:
            import pwd

            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run initdb as")
        if runuser is None:
            pytest.skip("running as root without runuser: initdb cannot run as root")
        run = [runuser, "-u", "postgres", "--"]
        os.chown(base, pw.pw_uid, pw.pw_gid)
    base.chmod(0o755)
    data = base / "data"
    password = "pw-" + secrets.token_hex(8)
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    if run:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    init = subprocess.run(
        [
            *run,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--pwfile",
            str(pwfile),
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    pwfile.unlink()
    if init.returncode:
        raise RuntimeError(f"initdb failed: {init.stderr[-2000:]}")
    port = free_port()
    log = base / "server.log"
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    start = subprocess.run(
        [*run, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode:
        raise RuntimeError(f"pg_ctl start failed: {start.stderr[-2000:]}\n{log.read_text(errors='replace')[-2000:]}")
    return Postgres("127.0.0.1", port, "postgres", password, data, run, bindir)


# --- MLflow tracking server -----------------------------------------------------------------------


@dataclass
class MlflowServer:
    url: str
    proc: subprocess.Popen
    folder: Path

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


def mlflow_server_command() -> list[str] | None:
    """The ``mlflow server`` command of the full mlflow package (mlflow-skinny has no server):
    this interpreter's when it has one, else ``$WORKBENCH_MLFLOW_SERVER_PYTHON``'s."""
    candidates = [
        os.environ.get("WORKBENCH_MLFLOW_SERVER_PYTHON", ""),
        sys.executable,
        str(ROOT / ".venv-mlflow-server" / "bin" / "python"),
    ]
    for python in candidates:
        if python and Path(python).exists():
            probe = subprocess.run(
                [python, "-c", "import mlflow.server, flask, mlflow; print(mlflow.__version__)"],
                capture_output=True,
                text=True,
                check=False,
            )
            if probe.returncode == 0:
                return [python, "-m", "mlflow", "server"]
    return None


def start_mlflow_server(backend: str | None = None, folder: Path | None = None) -> MlflowServer:
    cmd = mlflow_server_command()
    if cmd is None:
        pytest.skip(
            "the full mlflow package (with its server) is not installed: pip install mlflow "
            "(.ci/run installs it into .venv-mlflow-server when it conflicts with the pinned pyarrow)"
        )
    folder = folder or Path(tempfile.mkdtemp(prefix="wb-mlflow-"))
    port = free_port()
    backend = backend or f"sqlite:///{folder / 'server.db'}"
    log = folder / "server.log"
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                *cmd,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
                "--backend-store-uri",
                backend,
                "--default-artifact-root",
                (folder / "art").as_uri(),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _http_ok(url + "/health"), "mlflow server", proc, log, limit=180)
    except RuntimeError:
        stop_process(proc)
        raise
    return MlflowServer(url, proc, folder)


def stop_process(proc: subprocess.Popen) -> None:
    """End a process this module started, and its children (its own session)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)


# --- Prometheus -----------------------------------------------------------------------------------


@dataclass
class Prometheus:
    url: str
    proc: subprocess.Popen
    folder: Path
    config: Path

    def reload(self) -> None:
        req = urllib.request.Request(self.url + "/-/reload", method="POST")
        urllib.request.urlopen(req, timeout=10).close()

    def stop(self) -> None:
        stop_process(self.proc)
        shutil.rmtree(self.folder, ignore_errors=True)


def prometheus_binary() -> str | None:
    return shutil.which("prometheus") or (("/usr/bin/prometheus") if Path("/usr/bin/prometheus").exists() else None)


def start_prometheus(config_text: str, rules: dict[str, str] | None = None) -> Prometheus:
    """Debian's ``prometheus`` with a generated config on 127.0.0.1 (lifecycle API on for reloads)."""
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("the Prometheus server is not installed: apt-get install prometheus (.ci/run does it)")
    folder = Path(tempfile.mkdtemp(prefix="wb-prom-"))
    for name, text in (rules or {}).items():
        (folder / name).write_text(text)
    config = folder / "prometheus.yml"
    config.write_text(config_text.replace("{folder}", str(folder)))
    port = free_port()
    log = folder / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--web.enable-lifecycle",
                "--storage.tsdb.retention.time=1d",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _http_ok(url + "/-/ready"), "prometheus", proc, log, limit=60)
    except RuntimeError:
        stop_process(proc)
        raise
    return Prometheus(url, proc, folder, config)
