"""A review's decision verifies against its data; changed data is caught (`decisions verify`)."""

from __future__ import annotations

import pytest

from workbench.decisions import DecisionRecord
from workbench.decisions.verify import verify_decision

pytestmark = pytest.mark.slow  # the example store and a full review


def test_the_reviews_decision_verifies(review):
    record = DecisionRecord.from_summary(review.summary)
    v = verify_decision(record)
    assert v.verified, str(v)
    assert v.rederived_choice == review.summary["decision"]["chosen"]
