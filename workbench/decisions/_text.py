"""Small text helpers shared by the decision record (``record.py``) and its MADR rendering
(``madr.py``): numbers through :mod:`workbench.format`, a relative constraint's resolved form, and
the tolerance-aware comparison of two options."""

from __future__ import annotations

from typing import Any

from workbench.format import format_value
from workbench.quality.objective import limit_text

#: Options listed by name in the MADR "Considered Options"/"Pros and Cons" (all stay in the JSON).
MADR_OPTIONS = 12


def num(value: Any, unit: str = "") -> str:
    """A number as every output prints it (``–`` for a missing one), with its unit."""
    return format_value(value, unit or None)


def resolved(c: dict[str, Any]) -> str | None:
    """``"acc >= 0.76"`` for a relative constraint (its resolved form), None for an absolute one."""
    limit = c.get("limit")
    if limit is None:
        return None
    plain = f"{c.get('objective')} {c.get('op')} {limit_text(float(limit))}"
    return None if str(c.get("constraint", "")).split() == plain.split() else plain


def _better(delta: float, direction: str) -> bool:
    return delta < 0 if direction == "min" else delta > 0


def _stats(seeds: dict[str, Any]) -> tuple[Any, Any, int]:
    """A recorded option's per-seed evidence of one objective as ``(mean, sd, n)``."""
    return seeds.get("mean"), seeds.get("sd"), int(seeds.get("n") or 0)


def compare(
    chosen: dict[str, Any], other: dict[str, Any], objectives: list[dict[str, Any]], level: float = 0.95
) -> dict[str, Any]:
    """Per-objective gains, losses, ties and seed-noise differences of option ``chosen`` against ``other``.

    A difference within the objective's tolerance is a tie. Beyond it, when both options carry
    per-seed evidence (``seeds``: ``{objective: {mean, sd, n}}``), it is a gain or a loss only when
    Welch's ``level`` interval of the difference of the means excludes 0; otherwise it is listed
    in ``noise`` (seed noise, neither gained nor given up).
    """
    from workbench.analysis.uncertainty import seed_noise

    gains, losses, ties, noise, deltas = {}, {}, [], [], {}
    for o in objectives:
        name = o["name"]
        a, b = chosen["values"].get(name), other["values"].get(name)
        if a is None or b is None:
            continue
        d = float(a) - float(b)
        deltas[name] = d
        if abs(d) <= float(o.get("tolerance") or 0.0) or d == 0:
            ties.append(name)
            continue
        sa, sb = (chosen.get("seeds") or {}).get(name), (other.get("seeds") or {}).get(name)
        if sa and sb and seed_noise(_stats(sa), _stats(sb), level) is not None:
            noise.append(name)
            continue
        if _better(d, o["direction"]):
            gains[name] = abs(d)
        else:
            losses[name] = abs(d)
    return {"gains": gains, "gives_up": losses, "ties": ties, "noise": noise, "deltas": deltas}
