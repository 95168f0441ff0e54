"""Counts behind the hardening figures: inputs tried, outcomes, attacks, faults.

Every hardening test goes through these helpers, so one run of ``tests/hardening`` gives the
numbers the hardening report (``benchmarks/bench_hardening.py``) publishes:

- :func:`attempt` calls an entry point with one (possibly malformed) input. It returns the result,
  or the :class:`~workbench.errors.WorkbenchError` it raised after checking that the message names
  the problem. Anything else is an *unhandled exception*: counted, then re-raised so the test fails.
- :func:`assert_invariant` checks one property of an accepted input's result (counted; a violation fails).
- :func:`assert_blocked` records one hostile string tried against one sink, and fails if it got through.
- :func:`assert_nothing_lost` records one injected fault, and fails if it lost records or files
  (a number the test measures); :func:`count_fault` records a fault that writes nothing.

The ``assert_*`` helpers are assertions (like ``numpy.testing.assert_*``): each raises
``AssertionError`` with the area and the failing input, after counting.

The counters live in this process; ``conftest.py`` writes them to the file named by
``WORKBENCH_HARDENING_REPORT`` at the end of the session.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from workbench.errors import WorkbenchError

T = TypeVar("T")

#: (area, outcome) -> count. Outcomes: accepted, rejected, unhandled, unclear_message,
#: invariant_checked, invariant_violated, attack_tried, attack_succeeded, fault_injected, data_lost.
TALLY: collections.Counter[tuple[str, str]] = collections.Counter()


class UnclearMessage(AssertionError):
    """A WorkbenchError whose message does not name the problem."""


def _check_message(area: str, exc: WorkbenchError, names: Iterable[str]) -> None:
    text = str(exc)
    problems = []
    if len(text.strip()) < 15:
        problems.append("is shorter than 15 characters")
    if "Traceback (most recent call last)" in text:
        problems.append("contains a traceback")
    wanted = [str(n) for n in names]
    if wanted and not any(n in text for n in wanted):
        problems.append(f"names none of {wanted!r}")
    if problems:
        TALLY[area, "unclear_message"] += 1
        raise UnclearMessage(f"[{area}] {type(exc).__name__} message {' and '.join(problems)}: {text!r}")


def attempt(
    area: str, fn: Callable[..., T], *args: Any, names: Iterable[str] = (), **kwargs: Any
) -> T | WorkbenchError:
    """Call ``fn(*args, **kwargs)`` with one fuzzed input and classify the outcome.

    ``names``: strings of which at least one must appear in a rejection's message (the bad value,
    the bad column...). Returns the result, or the WorkbenchError for the caller to inspect.
    """
    try:
        result = fn(*args, **kwargs)
    except WorkbenchError as exc:
        TALLY[area, "rejected"] += 1
        _check_message(area, exc, names)
        return exc
    except BaseException:
        TALLY[area, "unhandled"] += 1
        raise
    TALLY[area, "accepted"] += 1
    return result


def outcome(area: str, kind: str, n: int = 1) -> None:
    """Count an outcome decided by the caller (e.g. a CLI exit code read from a subprocess)."""
    TALLY[area, kind] += n


def assert_invariant(area: str, holds: bool, message: str) -> None:
    """Check one invariant of an accepted input's result."""
    TALLY[area, "invariant_checked"] += 1
    if not holds:
        TALLY[area, "invariant_violated"] += 1
        raise AssertionError(f"[{area}] invariant violated: {message}")


def assert_blocked(area: str, payload: str, succeeded: bool, sink: str = "") -> None:
    """Record one attack string tried against one sink; fail the test if it got through."""
    TALLY[area, "attack_tried"] += 1
    if succeeded:
        TALLY[area, "attack_succeeded"] += 1
        raise AssertionError(f"[{area}] attack {payload!r} got through {sink}".rstrip())


def assert_nothing_lost(area: str, lost: int, what: str = "") -> None:
    """Record one injected fault and how many records/files it lost (measured by the caller: compare
    what is there after the fault with what was there before); fail the test on any loss."""
    TALLY[area, "fault_injected"] += 1
    if lost:
        TALLY[area, "data_lost"] += lost
        raise AssertionError(f"[{area}] fault lost {lost} {what or 'items'}")


def count_fault(area: str) -> None:
    """Record one injected fault that cannot lose data (nothing is written: a refused connection, a
    peer that never answers); the test's own assertions say how it was handled."""
    TALLY[area, "fault_injected"] += 1


def snapshot() -> dict[str, dict[str, int]]:
    """The counters as ``{area: {outcome: count}}`` (JSON-safe, sorted)."""
    out: dict[str, dict[str, int]] = {}
    for (area, kind), count in sorted(TALLY.items()):
        out.setdefault(area, {})[kind] = count
    return out
