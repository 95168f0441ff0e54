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
    df = pd.DataFrame({"version": ["a", "a", "a", "b", "b"],
                       "timestamp": [edges[0], edges[1], edges[3], edges[2], edges[3]],
                       "value": [10.0, 25.0, 4.0, 7.0, 9.0]})
    resets: list[str] = []
    got = mp._increases(df, edges, ["version"], resets).set_index(["version", "window"])["value"].to_dict()
    # a: 10 -> 25 (+15); no sample at edge 2 (no window 1 figure); 4 at edge 3 after the last known
    # 25: a reset, counted from it (4). b: born in window 1 (starts at 0 -> 7), then +2
    assert got == {("a", 0): 15.0, ("a", 2): 4.0, ("b", 1): 7.0, ("b", 2): 2.0}
    assert len(resets) == 1 and "'a'" in resets[0] and "00:03:00" in resets[0]


def test_bucket_interval_is_the_order_statistic_ranks_widened_to_edges():
    # 100 observations: 50 in (0, 1], 40 in (1, 2], 10 in (2, 4]; p95 has rank 95 -> bucket (2, 4]
    inc = pd.DataFrame({"version": "v", "window": 0, "le": [1.0, 2.0, 4.0, math.inf],
                        "value": [50.0, 90.0, 100.0, 100.0]})
    (value, lo, hi, n), = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert n == 100 and value == 2.0 + 2.0 * (95 - 90) / 10  # histogram_quantile's interpolation
    # scipy's order-statistic interval of the p95 of 100 values is [x_(90), x_(100)] (ranks 1-based):
    ci = quantile_test(np.arange(1, 101.0), q=0.95, p=0.95).confidence_interval(0.95)
    assert (ci.low, ci.high) == (90.0, 100.0)  # x_(90) is in (1, 2], x_(100) in (2, 4]
    assert lo == np.nextafter(1.0, math.inf) and lo > 1.0  # the bucket (1, 2] holds values above 1
    assert hi == 4.0


def test_a_limit_on_an_edge_is_decided_like_the_raw_values():
    # every observation in (4, 5]: a p95 <= 4 constraint is breached; the lower bound must exceed 4
    inc = pd.DataFrame({"version": "v", "window": 0, "le": [4.0, 5.0, math.inf], "value": [0.0, 200.0, 200.0]})
    (_, lo, _, _), = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert lo > 4.0
    # the upper bound of a quantile in the +Inf bucket does not exist
    inc = pd.DataFrame({"version": "v", "window": 0, "le": [4.0, math.inf], "value": [0.0, 200.0]})
    (value, lo, hi, _), = mp._quantile_rows(inc, 0.95, 0.95).values()
    assert value == 4.0 and lo > 4.0 and math.isnan(hi)
