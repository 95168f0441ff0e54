"""Hardening tests: the figures file.

The hypothesis profiles (``ci`` by default, ``thorough`` for ``benchmarks/bench_hardening.py``) are
set for the whole suite in ``tests/conftest.py``. With ``WORKBENCH_HARDENING_REPORT=path.json`` the
session's counters (see ``_tally.py``) are written there at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from workbench._io import atomic_write_text


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("WORKBENCH_HARDENING_REPORT")
    if not target:
        return
    from tests.hardening._tally import snapshot  # noqa: PLC0415 - the module the tests counted into

    atomic_write_text(
        Path(target), json.dumps({"exitstatus": int(exitstatus), "areas": snapshot()}, indent=2, sort_keys=True) + "\n"
    )
