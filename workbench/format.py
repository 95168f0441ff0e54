"""How numbers read: the one formatter behind the memo, the CLI, the MADR record and the widgets.

A value is printed the same way everywhere, so a reader comparing the memo with the terminal sees
the same digits. The rules, in order:

- missing or NaN is ``–``; infinities are ``∞`` / ``-∞``; booleans are ``✓`` / ``✗``;
- a value with an SI unit (``s``, ``Wh``, ``W``, ``J``, ``g``, ``B`` and their prefixed forms such as
  ``ms``, ``kWh``, ``kgCO2eq``) is re-prefixed when it would otherwise read with leading zeros or
  more than four integer digits: ``2.987e-05 Wh`` → ``29.9 µWh``, ``1500 ms`` stays ``1,500 ms``
  (a prefixed unit is kept while its mantissa lies in [0.01, 10⁴));
- three significant digits at or above 1 (``131.2000001`` → ``131``, ``12.34`` → ``12.3``,
  ``21.0`` → ``21``) but never fewer than the integer digits (``12,346``);
- below 1 in magnitude, four decimals, trailing zeros dropped (``0.98123`` → ``0.9812``,
  ``0.006346`` → ``0.0063``, ``0.0050`` → ``0.005``); below 0.001, three significant digits in
  scientific notation (``4.2e-05``);
- thousands are grouped with commas (``2,140``).

Counts (`format_count`), shares (`format_percent`), signed differences (`format_delta`) and
intervals (`format_interval`, both ends on one scale; `format_estimate`, a value with its interval) follow the same rules.

Examples
--------
>>> format_number(131.2000001, "ms"), format_number(0.98123), format_number(2.987e-05, "Wh")
('131 ms', '0.9812', '29.9 µWh')
>>> format_interval(124.2, 139.4, "ms"), format_percent(0.873), format_count(2140)
('[124, 139] ms', '87 %', '2,140')
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import numpy as np

__all__ = [
    "format_count",
    "format_delta",
    "format_estimate",
    "format_interval",
    "format_number",
    "format_numbers",
    "format_percent",
    "format_plus_minus",
    "format_value",
]

MISSING = "–"

# SI prefixes the formatter may choose, by power of ten.
_PREFIXES = {-12: "p", -9: "n", -6: "µ", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T"}
_PREFIX_POWER = {v: k for k, v in _PREFIXES.items() if v} | {"u": -6, "μ": -6}
# Base units that take SI prefixes. Anything else (%, USD, "points", custom) is printed as given.
_SI_BASES = ("Wh", "s", "W", "J", "g", "B", "gCO2eq", "gCO2", "Hz", "m")
_SI_UNIT = re.compile(rf"^(?P<prefix>[pnuµμmkMGT]?)(?P<base>{'|'.join(map(re.escape, _SI_BASES))})$")


def _missing(value: Any) -> bool:
    if type(value) is float:  # the common case, without numpy's scalar overhead
        return value != value
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=256)
def _split_unit(unit: str | None) -> tuple[int, str] | None:
    """``(power, base)`` for an SI unit (``"ms"`` → ``(-3, "s")``); ``None`` for any other unit.

    A bare ``m`` is metres (not milli-nothing); ``min`` is not an SI unit and is kept as given.
    """
    if not unit:
        return None
    m = _SI_UNIT.match(unit)
    if not m:
        return None
    return _PREFIX_POWER.get(m["prefix"], 0), m["base"]


def _scale(magnitude: float, unit: str | None) -> tuple[float, str]:
    """The factor to multiply by and the unit text to print, for values of this magnitude."""
    si = _split_unit(unit)
    if si is None or magnitude == 0 or not math.isfinite(magnitude):
        return 1.0, unit or ""
    power, base = si
    if 0.01 <= magnitude < 1e4 and (power != 0 or 1 <= magnitude < 1e4):
        return 1.0, unit or ""  # reads well as given
    exponent = power + math.floor(math.log10(magnitude))
    target = max(min(3 * math.floor(exponent / 3), 12), -12)
    return 10.0 ** (power - target), _PREFIXES[target] + base


def _digits(x: float) -> str:
    """The mantissa's text, without unit (see the module docstring for the rules)."""
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e15:
        return f"{x:.3g}"
    if a >= 1:
        decimals = max(0, 2 - math.floor(math.log10(a)))
        text = f"{x:,.{decimals}f}"
        # 9.996 at two decimals rounds to 10.00: drop the digit the rounding added
        if decimals and abs(float(text.replace(",", ""))) >= 10 ** (3 - decimals):
            text = f"{x:,.{decimals - 1}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if a >= 0.001:
        text = f"{x:.4f}".rstrip("0").rstrip(".")
        return text if text not in ("0", "-0") else f"{x:.3g}"
    return f"{x:.3g}"


def format_number(value: Any, unit: str | None = None) -> str:
    """A number (with its unit) as people read it; ``–`` when missing.

    >>> format_number(0.006346), format_number(0.0050), format_number(12345.6)
    ('0.0063', '0.005', '12,346')
    >>> format_number(1500.0, "ms"), format_number(0.0004, "s"), format_number(float("nan"), "ms")
    ('1,500 ms', '400 µs', '–')
    >>> format_number(42, "USD"), format_number(-0.25), format_number(float("inf"), "ms")
    ('42 USD', '-0.25', '∞ ms')
    """
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else "✗"
    if _missing(value):
        return MISSING
    x = float(value)
    if math.isinf(x):
        text = "∞" if x > 0 else "-∞"
        return f"{text} {unit}" if unit else text
    factor, shown = _scale(abs(x), unit)
    text = _digits(x * factor)
    return f"{text} {shown}" if shown else text


def format_numbers(values: Any, unit: str | None = None) -> list[str]:
    """:func:`format_number` of every value of a float array (the same texts, in one pass).

    >>> format_numbers([0.006346, 1500.0, float("nan"), 0.0004], "s")
    ['6.35 ms', '1,500 s', '–', '400 µs']
    """
    si = _split_unit(unit)
    # magnitudes printed in the unit as given (see _scale): none re-prefixed without an SI unit
    low, high = (math.inf, 0.0) if si is None else ((0.01 if si[0] != 0 else 1.0), 1e4)
    tail = f" {unit}" if unit else ""
    out: list[str] = []
    append = out.append
    for x in np.asarray(values, dtype=np.float64).ravel().tolist():
        if x != x:
            append(MISSING)
        elif x == math.inf or x == -math.inf:
            append(("∞" if x > 0 else "-∞") + tail)
        elif si is None or x == 0 or low <= abs(x) < high:
            append(_digits(x) + tail)
        else:
            factor, shown = _scale(abs(x), unit)
            text = _digits(x * factor)
            append(f"{text} {shown}" if shown else text)
    return out


def format_interval(lo: Any, hi: Any, unit: str | None = None) -> str:
    """``[lo, hi] unit``, both ends on the scale of the larger one.

    >>> format_interval(2.1e-05, 3.3e-05, "Wh"), format_interval(0.9712, 0.9855)
    ('[21, 33] µWh', '[0.9712, 0.9855]')
    >>> format_interval(float("nan"), 1.0)
    '[–, 1]'
    """
    ends = [None if _missing(v) else float(v) for v in (lo, hi)]
    magnitude = max((abs(v) for v in ends if v is not None and math.isfinite(v)), default=0.0)
    factor, shown = _scale(magnitude, unit)
    texts = [
        MISSING if v is None else ("∞" if v == math.inf else "-∞" if v == -math.inf else _digits(v * factor))
        for v in ends
    ]
    body = f"[{texts[0]}, {texts[1]}]"
    return f"{body} {shown}" if shown else body


def format_estimate(value: Any, lo: Any, hi: Any, unit: str | None = None) -> str:
    """``value [lo, hi] unit``: an estimate and its interval on one scale, the unit said once.

    >>> format_estimate(250.4, 244.1, 262.3, "ms"), format_estimate(2.5e-05, 2.1e-05, 3.3e-05, "Wh")
    ('250 [244, 262] ms', '25 [21, 33] µWh')
    >>> format_estimate(0.0125, 0.0054, 0.0289)
    '0.0125 [0.0054, 0.0289]'
    """
    ends = [None if _missing(v) else float(v) for v in (value, lo, hi)]
    magnitude = max((abs(v) for v in ends if v is not None and math.isfinite(v)), default=0.0)
    factor, shown = _scale(magnitude, unit)
    texts = [
        MISSING if v is None else ("∞" if v == math.inf else "-∞" if v == -math.inf else _digits(v * factor))
        for v in ends
    ]
    body = f"{texts[0]} [{texts[1]}, {texts[2]}]"
    return f"{body} {shown}" if shown else body


def format_plus_minus(value: Any, half: Any, n: Any, unit: str | None = None) -> str:
    """``value ± half unit (n=N)``: a mean with the half-width of its interval and its sample size.

    >>> format_plus_minus(0.9812, 0.0042, 3), format_plus_minus(131.2, 4.04, 5, "ms")
    ('0.9812 ± 0.0042 (n=3)', '131 ms ± 4.04 ms (n=5)')
    >>> format_plus_minus(0.9812, float("nan"), 1)
    '0.9812 (n=1)'
    """
    text = format_number(value, unit)
    if not _missing(half):
        text += f" ± {format_number(half, unit)}"
    return f"{text} (n={format_count(n)})"


def format_delta(value: Any, unit: str | None = None) -> str:
    """A signed difference: ``+0.012``, ``-35 ms``; ``±0`` for no difference.

    >>> format_delta(0.0123), format_delta(-35.0, "ms"), format_delta(0.0)
    ('+0.0123', '-35 ms', '±0')
    """
    if _missing(value):
        return MISSING
    x = float(value)
    if x == 0:
        return f"±0 {unit}" if unit else "±0"
    text = format_number(x, unit)
    return text if text.startswith("-") else "+" + text


def format_percent(share: Any) -> str:
    """A probability or share as a percentage: whole percent from 10 %, one decimal below.

    >>> format_percent(0.873), format_percent(1 / 3), format_percent(0.0667), format_percent(0.0)
    ('87 %', '33 %', '6.7 %', '0 %')
    >>> format_percent(0.9996), format_percent(0.0004)
    ('99.96 %', '0.04 %')
    """
    if _missing(share):
        return MISSING
    p = 100.0 * float(share)
    if p == 0 or p == 100 or (10 <= p <= 99.5):
        text = f"{p:.0f}"
    elif 1 <= p < 10 or 99.5 < p < 99.95:
        text = f"{p:.1f}"
    else:  # very small or very near certainty: keep the digits that say how near
        text = f"{p:.2f}".rstrip("0").rstrip(".")
    return f"{text} %"


def format_count(n: Any) -> str:
    """A count with grouped thousands.

    >>> format_count(2140), format_count(12), format_count(None)
    ('2,140', '12', '–')
    """
    if _missing(n):
        return MISSING
    return f"{int(n):,}"


def format_value(value: Any, unit: str | None = None) -> str:
    """Any table cell: numbers by `format_number`, integers by `format_count`, the rest as text.

    >>> format_value(True), format_value(3), format_value(0.12345, "s"), format_value("v7")
    ('✓', '3', '123 ms', 'v7')
    """
    if isinstance(value, (bool, np.bool_)) or _missing(value):
        return format_number(value, unit)
    if isinstance(value, (int, np.integer)):
        text = format_count(value)
        return f"{text} {unit}" if unit else text
    if isinstance(value, (float, np.floating)):
        return format_number(value, unit)
    return str(value)
