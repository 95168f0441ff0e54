"""The window arithmetic of the Prometheus read, checked by hand on small counters."""

import math

import numpy as np
import pandas as pd
from scipy.stats import quantile_test

from workbench.monitoring import prometheus as mp


def _edges(k):
    t0 = pd.Timestamp("2026-01-01", tz="UTC")
    return [t0 + pd.Timedelta(minutes=i) for i in range(k)]


def test_increase_between_edges_a_new_series_and_a_reset():
    edges = _edges(4)
    df = pd.DataFrame(
        {
            "version": ["a", "a", "a", "b", "b"],
            "timestamp": [edges[0], edges[1], edges[3], edges[2], edges[3]],
            "value": [10.0, 25.0, 4.0, 7.0, 9.0],
        }
    )
    resets: list[str] = []
    got = mp._increases(df, edges, ["version"], resets).set_index(["version", "window"])["value"].to_dict()
    # a: 10 -> 25 (+15); no sample at edge 2 (no window 1 figure); 4 at edge 3 after the last known
    # 25: a reset, counted from it (4). b: born in window 1 (starts at 0 -> 7), then +2
    assert got == {("a", 0): 15.0, ("a", 2): 4.0, ("b", 1): 7.0, ("b", 2): 2.0}
    assert len(resets) == 1 and "'a'" in resets[0] and "00:03:00" in resets[0]


def test_bucket_interval_is_the_order_statistic_ranks_widened_to_edges():
    # 100 observations: 50 in (0, 1], 40 in (1, 2], 10 in (2, 4]; p95 has rank 95 -> bucket (2, 4]
    inc = pd.DataFrame(
        {"version": "v", "window": 0, "le": [1.0, 2.0, 4.0, math.inf], "value": [50.0, 90.0, 100.0, 100.0]}
    )
    ((value, lo, hi, n),) = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert n == 100 and value == 2.0 + 2.0 * (95 - 90) / 10  # histogram_quantile's interpolation
    # scipy's order-statistic interval of the p95 of 100 values is [x_(90), x_(100)] (ranks 1-based):
    ci = quantile_test(np.arange(1, 101.0), q=0.95, p=0.95).confidence_interval(0.95)
    assert (ci.low, ci.high) == (90.0, 100.0)  # x_(90) is in (1, 2], x_(100) in (2, 4]
    assert lo == np.nextafter(1.0, math.inf) and lo > 1.0  # the bucket (1, 2] holds values above 1
    assert hi == 4.0


def test_a_limit_on_an_edge_is_decided_like_the_raw_values():
    # every observation in (4, 5]: a p95 <= 4 constraint is breached; the lower bound must exceed 4
    inc = pd.DataFrame({"version": "v", "window": 0, "le": [4.0, 5.0, math.inf], "value": [0.0, 200.0, 200.0]})
    ((_, lo, _, _),) = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert lo > 4.0
    # the upper bound of a quantile in the +Inf bucket does not exist
    inc = pd.DataFrame({"version": "v", "window": 0, "le": [4.0, math.inf], "value": [0.0, 200.0]})
    ((value, lo, hi, _),) = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert value == 4.0 and lo > 4.0 and math.isnan(hi)


def test_exporter_counts_equal_the_log_it_was_fed():
    import pytest

    pytest.importorskip("prometheus_client")
    from workbench import QualityModel
    from workbench.monitoring.exporter import RequestExporter
    from workbench.sources.prometheus import parse_exposition

    qm = QualityModel.from_dict(
        {
            "objectives": [
                {
                    "name": "latency_p95_ms",
                    "direction": "min",
                    "source": "latency_ms",
                    "aggregation": "p95",
                    "constraint": "<= 3.7",
                },
                {"name": "error_rate", "direction": "min", "source": "error", "aggregation": "rate"},
                {"name": "cost_per_1k", "direction": "min", "source": "cost_usd", "aggregation": "sum_per_1k"},
            ]
        }
    )
    rng = np.random.default_rng(3)
    n = 500
    log = pd.DataFrame(
        {
            "version": rng.choice(["v1", "v2"], n),
            "latency_ms": rng.lognormal(1.0, 0.5, n),
            "error": rng.random(n) < 0.1,
            "cost_usd": np.where(rng.random(n) < 0.2, np.nan, 1e-5),
        }
    )
    ex = RequestExporter(qm)
    assert 3.7 in ex.buckets["latency_ms"]  # the limit is a bucket edge
    assert ex.observe_frame(log) == n
    df = parse_exposition(ex.text())

    def total(mine, metric, **lab):
        sel = mine["metric"] == metric
        for k, v in lab.items():
            sel &= mine[k] == v
        return float(mine[sel]["value"].sum())

    for version, g in log.groupby("version"):
        mine = df[df["version"] == version]

        def at(metric, _mine=mine, **lab):
            return total(_mine, metric, **lab)

        assert at("latency_ms_count") == len(g)
        assert (
            float(mine[(mine["metric"] == "latency_ms_bucket") & (mine["le"] == 3.7)]["value"].iloc[0])
            == (g["latency_ms"] <= 3.7).sum()
        )
        assert at("error_total", outcome="error") == g["error"].sum()
        assert at("error_total", outcome="ok") == (~g["error"]).sum()
        assert at("cost_usd_count") == len(g)  # a request without a cost counts (as 0) in the denominator
        assert math.isclose(at("cost_usd_sum"), g["cost_usd"].sum(), rel_tol=1e-12)
