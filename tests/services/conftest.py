"""Session fixtures that start the real team services once (see ``tests/_services.py``)."""

import pytest

from tests import _services


@pytest.fixture(scope="session")
def postgres():
    server = _services.start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server():
    """An MLflow tracking server (SQLite back end) holding experiments ``study`` (100 candidates x 3
    seeds), ``gappy`` (a seed missing a metric) and ``mixed`` (one run without the candidate tag)."""
    import subprocess
    import tempfile
    from pathlib import Path

    cmd = _services.mlflow_server_command()
    if cmd is None:
        pytest.skip(
            "the full mlflow package (with its server) is not installed: pip install mlflow "
            "(.ci/run installs it into .venv-mlflow-server)"
        )
    folder = Path(tempfile.mkdtemp(prefix="wb-mlflow-"))
    backend = f"sqlite:///{folder / 'server.db'}"
    script = Path(__file__).with_name("mlflow_populate.py")
    for args in (["study", "100", "3"], ["gappy", "4", "3", "--gappy"], ["mixed", "5", "2", "--mixed"]):
        subprocess.run([cmd[0], str(script), backend, *args], check=True, capture_output=True, timeout=600)
    server = _services.start_mlflow_server(backend, folder)
    yield server
    server.stop()
