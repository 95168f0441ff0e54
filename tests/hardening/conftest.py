"""Hardening tests: hypothesis profiles and the figures file.

``HYPOTHESIS_PROFILE=thorough`` (used by ``benchmarks/bench_hardening.py``) tries many more inputs
than the default ``ci`` profile. With ``WORKBENCH_HARDENING_REPORT=path.json`` the session's
counters (see ``_tally.py``) are written there at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, settings

from workbench._io import atomic_write_text

# Deadlines are off: these machines are shared and noisy, and speed is measured in benchmarks.
_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               derandomize=True, database=None)
settings.register_profile("ci", max_examples=60, **_COMMON)
settings.register_profile("thorough", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_sessionfinish(session, exitstatus):
    target = os.environ.get("WORKBENCH_HARDENING_REPORT")
    if not target:
        return
    from tests.hardening._tally import snapshot  # noqa: PLC0415 - the module the tests counted into

    atomic_write_text(Path(target), json.dumps({"exitstatus": int(exitstatus), "areas": snapshot()},
                                               indent=2, sort_keys=True) + "\n")
