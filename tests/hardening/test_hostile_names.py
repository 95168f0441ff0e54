"""Objective names are the one text field with a grammar of their own: a name holding '<', '>' or '='
could not be told apart from a constraint, so the quality model refuses it, whatever else the name
carries. Attack strings with those characters therefore never reach a memo, chart or widget as an
objective name; every other sink takes them as they are (see the other test_hostile_* files)."""

from __future__ import annotations

import pytest

from tests.hardening import _tally, attacks
from workbench import QualityModel
from workbench.errors import QualityModelError

AREA = "hostile_objective_names"
REFUSED = [p for p in attacks.ALL if any(ch in p for ch in "<>=")]


@pytest.mark.parametrize("payload", REFUSED, ids=range(len(REFUSED)))
def test_objective_names_with_constraint_operators_are_refused(payload):
    name = f"m {payload} acc"
    with pytest.raises(QualityModelError, match="may not contain '<', '>' or '='") as info:
        QualityModel.from_dict({"objectives": [{"name": name, "direction": "max"}]})
    assert repr(name) in str(info.value) or name in str(info.value)
    _tally.assert_blocked(AREA, payload, succeeded=False, sink="objective name")
