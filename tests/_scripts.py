"""The benchmark scripts, loaded as modules for the tests that keep them from rotting.

``benchmarks/`` is not a package: each script is loaded from its file and registered in
``sys.modules`` under its own name while the test uses it (``bench_load`` imports
``bench_widgets`` that way), then removed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@contextmanager
def script(stem: str, name: str | None = None) -> Iterator[ModuleType]:
    """``benchmarks/<stem>.py`` as a module named ``name`` (default: ``stem``)."""
    name = name or stem
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
