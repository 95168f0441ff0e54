"""The counters behind the hardening figures classify outcomes correctly."""

import pytest

from tests.hardening import _tally
from workbench.errors import CandidatesError


def test_attempt_classifies_accepted_rejected_and_unhandled():
    before = _tally.TALLY.copy()
    assert _tally.attempt("selftest", lambda: 3) == 3
    err = _tally.attempt("selftest", _raise, CandidatesError("Column 'x' has text values; use numbers."), names=["'x'"])
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


def test_assert_helpers_count_and_fail_on_a_bad_outcome():
    before = _tally.TALLY.copy()
    _tally.assert_blocked("selftest", "<b>", succeeded=False)
    with pytest.raises(AssertionError, match=r"attack '<b>' got through the memo"):
        _tally.assert_blocked("selftest", "<b>", succeeded=True, sink="the memo")
    _tally.assert_invariant("selftest", True, "fine")
    with pytest.raises(AssertionError, match="invariant violated: ranks"):
        _tally.assert_invariant("selftest", False, "ranks")
    _tally.assert_nothing_lost("selftest", lost=0)  # the helper itself: no loss passes, a loss fails
    _tally.count_fault("selftest")
    with pytest.raises(AssertionError, match="lost 2 records"):
        _tally.assert_nothing_lost("selftest", lost=2, what="records")
    delta = _tally.TALLY - before
    assert (delta["selftest", "attack_tried"], delta["selftest", "attack_succeeded"]) == (2, 1)
    assert (delta["selftest", "invariant_checked"], delta["selftest", "invariant_violated"]) == (2, 1)
    assert (delta["selftest", "fault_injected"], delta["selftest", "data_lost"]) == (3, 2)
    for key in [k for k in _tally.TALLY if k[0] == "selftest"]:
        del _tally.TALLY[key]


def _raise(exc):
    raise exc
