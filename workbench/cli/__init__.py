"""The ``workbench`` command: a thin layer over the engine, with exit codes a scheduler can act on.

One module per verb group, each registering its commands on the shared Typer ``app``:
``analyze``, ``review``, ``demo``, ``decide`` (and ``gate``), ``decisions`` (list/show/diff),
``search``, ``export``, ``watch``. The modules only parse options and print; the work is done by
library functions a notebook or a scheduler can call.

Exit codes: 0 success; 1 a check failed (gate, watch, search, review); 2 bad input, with the reason
on stderr.
"""

from __future__ import annotations

# The verb modules register their commands on ``app`` when imported; this order is the help's order.
# isort: off
from workbench.cli import analyze, review, demo, decide, decisions, search, export, watch, decision_app  # noqa: F401

# isort: on
from workbench.cli._app import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, app

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHECK_FAILED", "EXIT_OK", "app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
