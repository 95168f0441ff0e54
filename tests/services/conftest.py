"""Session fixtures that start the real team services once (see ``tests/_services.py``)."""

import pytest

from tests import _services


@pytest.fixture(scope="session")
def postgres():
    server = _services.start_postgres()
    yield server
    server.stop()
