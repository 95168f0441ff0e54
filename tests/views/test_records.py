"""``views._data.records``: JSON-safe rows, checked against pandas' own conversion of every cell."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.views._data import records


def _reference(df: pd.DataFrame) -> list[dict]:
    """The conversion cell by cell: non-finite floats and missing values as None."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].where(np.isfinite(out[col].astype("float64")))
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(floats, st.integers(-(2**40), 2**40), st.booleans(), st.one_of(st.none(), st.text(max_size=5))),
        max_size=30,
    )
)
def test_rows_equal_the_cell_by_cell_conversion(rows):
    df = pd.DataFrame(rows, columns=["x", "n", "ok", "name"]).astype({"x": "float64", "n": "int64", "ok": "bool"})
    got = records(df)
    want = _reference(df)
    assert got == want
    assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()] for r in want]
    json.dumps(got, allow_nan=False)  # JSON-safe: no NaN or inf left


def test_other_dtypes_and_escaped_names():
    df = pd.DataFrame(
        {
            "a\\b": np.array([0.5, np.nan, np.inf], dtype="float32"),
            "k": pd.array([1, None, 3], dtype="Int64"),
            "f": pd.array([0.25, None, 1.0], dtype="Float64"),
            "s": pd.array(["a", None, "c"], dtype="string"),
            "c": pd.Categorical(["u", "v", None]),
        }
    )
    got = records(df)
    assert [list(r) for r in got] == [["a⧵b", "k", "f", "s", "c"]] * 3  # named as views.column names them
    assert got[0] == {"a⧵b": 0.5, "k": 1, "f": 0.25, "s": "a", "c": "u"}
    assert got[1] == {"a⧵b": None, "k": None, "f": None, "s": None, "c": "v"}
    assert got[2]["a⧵b"] is None and got[2]["c"] is None
    assert isinstance(got[0]["k"], int) and isinstance(got[0]["a⧵b"], float)


@pytest.mark.parametrize("n", [0, 3])
def test_a_frame_without_columns_gives_one_empty_row_per_row(n):
    rows = records(pd.DataFrame(index=range(n)))
    assert rows == [{}] * n
    if n:
        rows[0]["x"] = 1
        assert rows[1] == {}  # distinct dicts
