"""The one number formatter: what it prints reads back as the value, at the precision it promises."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workbench.format import format_delta, format_interval, format_number, format_numbers, format_percent

_POWER = {"p": -12, "n": -9, "µ": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12}


def read_back(text: str, unit: str | None) -> float:
    """Parse what format_number printed, converting an SI prefix back to the given unit."""
    number, _, shown = text.partition(" ")
    x = float(number.replace(",", ""))
    if not unit or shown == unit:
        return x
    base = unit.lstrip("pnµmkMGT") if unit not in ("m",) else unit
    prefix_given = unit[: len(unit) - len(base)]
    prefix_shown = shown[: len(shown) - len(base)]
    assert shown.endswith(base), (text, unit)
    return x * 10.0 ** (_POWER[prefix_shown] - _POWER[prefix_given])


finite = st.floats(min_value=-1e14, max_value=1e14, allow_nan=False, allow_infinity=False)
UNITS = [None, "", "ms", "s", "µs", "Wh", "kWh", "m", "g", "kgCO2eq", "USD", "%", "min", "points"]
#: Values at the edges of every rule: the re-prefixing bounds, the rounding carries, zero, the limits.
EDGES = [
    0.0,
    -0.0,
    0.01,
    0.00999999,
    1.0,
    0.999999,
    1e4,
    9999.99999,
    9.9996,
    999.95,
    0.001,
    0.0009999,
    1e15,
    9.9999e14,
    5e-324,
    1e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
]


@given(finite, st.sampled_from([None, "ms", "s", "Wh", "kWh", "USD", "%"]))
def test_printed_value_reads_back_within_the_promised_precision(x, unit):
    text = format_number(x, unit)
    back = read_back(text, unit)
    a = abs(x)
    if unit in (None, "USD", "%") and a < 1:
        # four decimals, or three significant digits below 0.001
        tolerance = 5e-5 if a >= 0.001 else 5e-3 * a
    else:
        tolerance = 5e-3 * a + 1e-300  # three significant digits (never fewer than the integer digits)
    assert math.isclose(back, x, rel_tol=0, abs_tol=tolerance * 1.0001), (x, unit, text)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (131.2000001, "ms", "131 ms"),
        (2.987e-05, "Wh", "29.9 µWh"),
        (0.98123, None, "0.9812"),
        (0.006346, None, "0.0063"),
        (9.996, None, "10"),
        (999.6, None, "1,000"),
        (0.0, "ms", "0 ms"),
        (0.5, "ms", "0.5 ms"),
        (0.004, "ms", "4 µs"),
        (2.5e-07, None, "2.5e-07"),
        (150.0, "min", "150 min"),
    ],
)
def test_hand_checked_values(value, unit, text):
    assert format_number(value, unit) == text


def test_interval_ends_share_one_scale_and_delta_carries_a_sign():
    assert format_interval(0.0009, 0.0012, "s") == "[0.9, 1.2] ms"
    assert format_delta(-0.0004) == "-0.0004"
    assert format_delta(3.0, "ms") == "+3 ms"
    assert format_percent(0.95) == "95 %" and format_percent(0.999) == "99.9 %"


@pytest.mark.parametrize(
    "value, lo, hi, unit",
    [
        (250.4, 244.1, 262.3, "ms"),
        (2.5e-05, 2.1e-05, 3.3e-05, "Wh"),
        (0.0125, 0.0054, 0.0289, None),
        (1500.0, 1200.0, 1800.0, "ms"),
        (0.9812, 0.97, 0.99, None),
    ],
)
def test_an_estimate_reads_as_its_number_and_its_interval_with_the_unit_once(value, lo, hi, unit):
    from workbench.format import format_estimate

    text = format_estimate(value, lo, hi, unit)
    interval = format_interval(lo, hi, unit)
    number = format_number(value, unit)
    # the value on the interval's scale, then the interval as format_interval prints it
    assert text.endswith(interval[interval.index("[") :]) and text.count(unit or "\0") == (1 if unit else 0)
    assert text.split(" [")[0] == number.removesuffix(f" {interval.split('] ')[-1]}" if unit else "")


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30), st.sampled_from(UNITS))
def test_formatting_an_array_gives_each_value_as_format_number_does(values, unit):
    assert format_numbers(values, unit) == [format_number(v, unit) for v in values]


@pytest.mark.parametrize("unit", UNITS)
def test_formatting_an_array_at_the_edges_of_the_rules(unit):
    values = EDGES + [-v for v in EDGES]
    assert format_numbers(values, unit) == [format_number(v, unit) for v in values]
