"""A difference is gained or given up only when the evidence says so: Welch's interval of the
difference of two candidates' seed means, checked against scipy, decides the memo's trade-off
sentences, its table and the decision record's MADR text."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tests._replicates import seeds
from workbench import QualityModel, analyze
from workbench.analysis.uncertainty import difference_interval
from workbench.sources import from_frame

pytest.importorskip("jinja2")

QM = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "weight": 2, "tolerance": 0.0001},
            {"name": "latency_ms", "direction": "min", "unit": "ms", "tolerance": 0.01},
        ]
    }
)


@settings(max_examples=60, deadline=None)
@given(
    na=st.integers(2, 12),
    nb=st.integers(2, 12),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    seed=st.integers(0, 10_000),
)
def test_difference_interval_is_scipys_welch_interval(na, nb, level, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(1.0, rng.uniform(0.01, 1), na), rng.normal(1.2, rng.uniform(0.01, 1), nb)
    lo, hi = difference_interval((x.mean(), x.std(ddof=1), na), (y.mean(), y.std(ddof=1), nb), level)
    ref = stats.ttest_ind(x, y, equal_var=False).confidence_interval(level)
    assert lo == pytest.approx(ref.low, rel=1e-9, abs=1e-12)
    assert hi == pytest.approx(ref.high, rel=1e-9, abs=1e-12)


def test_difference_interval_edges():
    assert all(math.isnan(v) for v in difference_interval((1.0, 0.1, 1), (2.0, 0.1, 5)))  # one seed: no interval
    assert all(math.isnan(v) for v in difference_interval((1.0, None, 3), (2.0, 0.1, 3)))
    assert difference_interval((3.0, 0.0, 3), (2.0, 0.0, 3)) == (1.0, 1.0)  # deterministic metric


def _analysis(sd: tuple[float, float], n: int):
    df = seeds({"a": (0.930, 20.0), "b": (0.920, 20.5)}, sd, n)
    return analyze(from_frame(df, id_column="id", replicate_column="seed"), QM, seed=0)


def test_noisy_differences_are_neither_gained_nor_given_up():
    """3 seeds with sd 0.03 in accuracy and 3 ms in latency: the 0.01 and 0.5 ms differences of
    the means are inside Welch's interval, so the memo says seed noise, not a trade-off."""
    from workbench.reports.review import tradeoffs

    a = _analysis(sd=(0.03, 3.0), n=3)
    d = a.to_dict()
    t = tradeoffs(d, "a", ["b"])[0]
    assert t["gains"] == [] and t["gives_up"] == []
    assert {i["objective"] for i in t["noise"]} == {"acc", "latency_ms"}
    for i in t["noise"]:  # the recorded interval is the one scipy gives on the same seeds
        assert i["lo"] <= 0 <= i["hi"] and i["n"] == [3, 3] and i["level"] == 0.95
    assert "no difference beyond seed noise on any objective" in t["text"]
    assert "3 and 3 seeds" in t["text"]


def test_clear_differences_stay_trade_offs():
    """20 seeds with tiny noise: the same mean differences are real gains."""
    from workbench.reports.review import tradeoffs

    a = _analysis(sd=(0.0005, 0.05), n=20)
    t = tradeoffs(a.to_dict(), "a", ["b"])[0]
    assert t["noise"] == []
    assert {i["objective"] for i in t["gains"]} == {"acc", "latency_ms"}
    assert t["text"].startswith("a is better than b on")


def test_memo_table_and_madr_say_seed_noise():
    pytest.importorskip("vl_convert")
    from workbench.decisions import DecisionRecord
    from workbench.reports import Memo
    from workbench.reports.review import tradeoffs

    a = _analysis(sd=(0.03, 3.0), n=3)
    t = tradeoffs(a.to_dict(), "a", ["b"])[0]
    memo = Memo.from_analysis(
        a, decision={"chosen": "a", "recommended": "a", "tradeoffs": [t], "rationale": ""}
    ).to_html()
    row = re.search(r"<tr><td>b</td><td>acc</td>.*?</tr>", memo).group(0)
    assert "within seed noise" in row and "gained" not in row and "given up" not in row
    record = DecisionRecord.from_analysis(a, chosen="a", decision_makers=["tester"])
    madr = record.to_madr()
    assert "within seed noise" in madr
    assert "better than a in acc" not in madr and "worse than a in acc" not in madr
