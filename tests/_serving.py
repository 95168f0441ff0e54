"""The quality model most monitoring tests watch: p95 latency under an SLO, an error rate, and
optionally a cost per 1k requests. One factory, so a change to how serving objectives are declared
is made once."""

from __future__ import annotations

from typing import Any

from workbench import QualityModel


def serving_model(
    *,
    latency: str = "<= 120",
    error: str = "<= 0.05",
    cost: str | None = None,
    tolerances: tuple[float, float, float] | None = None,
) -> QualityModel:
    """``latency_p95_ms`` (p95 of ``latency_ms``) and ``error_rate`` (rate of ``error``) with the
    given constraints; ``cost``: ``None`` (no cost objective), ``"column"`` (``cost_per_1k`` read
    as it is) or ``"sum_per_1k"`` (summed from ``cost_usd`` per 1,000 requests); ``tolerances`` for
    (latency, error, cost)."""
    objectives: list[dict[str, Any]] = [
        {
            "name": "latency_p95_ms",
            "direction": "min",
            "unit": "ms",
            "source": "latency_ms",
            "aggregation": "p95",
            "constraint": latency,
        },
        {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate", "constraint": error},
    ]
    if cost == "column":
        objectives.append({"name": "cost_per_1k", "direction": "min", "unit": "USD"})
    elif cost == "sum_per_1k":
        objectives.append(
            {
                "name": "cost_per_1k",
                "direction": "min",
                "unit": "USD",
                "source": "cost_usd",
                "aggregation": "sum_per_1k",
            }
        )
    elif cost is not None:
        raise ValueError(f"cost {cost!r}: use None, 'column' or 'sum_per_1k'")
    if tolerances is not None:
        for objective, tol in zip(objectives, tolerances, strict=False):
            objective["tolerance"] = tol
    return QualityModel.from_dict({"objectives": objectives})
