"""The counters behind the hardening figures classify outcomes correctly."""

import pytest

from tests.hardening import _tally
from workbench.errors import CandidatesError


def test_attempt_classifies_accepted_rejected_and_unhandled():
    before = _tally.TALLY.copy()
    assert _tally.attempt("selftest", lambda: 3) == 3
    err = _tally.attempt("selftest", _raise, CandidatesError("Column 'x' has text values; use numbers."),
                         names=["'x'"])
    assert isinstance(err, CandidatesError)
    with pytest.raises(ZeroDivisionError):
        _tally.attempt("selftest", lambda: 1 / 0)
    with pytest.raises(_tally.UnclearMessage, match="names none of"):
        _tally.attempt("selftest", _raise, CandidatesError("Something is wrong here."), names=["'x'"])
    delta = _tally.TALLY - before
    assert delta["selftest", "accepted"] == 1
    assert delta["selftest", "rejected"] == 2
    assert delta["selftest", "unhandled"] == 1
    assert delta["selftest", "unclear_message"] == 1
    for key in [k for k in _tally.TALLY if k[0] == "selftest"]:  # keep the report to real areas
        del _tally.TALLY[key]


def _raise(exc):
    raise exc
