"""A structural redraw sends the chart with its rows put back into the spec (altair does not walk
and validate them): what the front end receives must be exactly ``chart.to_dict()``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ipywidgets")
alt = pytest.importorskip("altair")

from widgets import TradeoffExplorer  # noqa: E402
from widgets._charts import send_chart  # noqa: E402
from workbench import QualityModel  # noqa: E402


@pytest.fixture
def explorer():
    rng = np.random.default_rng(0)
    n = 6_000  # above the point-by-point limit: a density dataset as well
    s = rng.uniform(0, 1, n)
    df = pd.DataFrame({"id": [f"c{i}" for i in range(n)], "acc": 1 - np.exp(-3 * s) - rng.uniform(0, 0.1, n),
                       "ms": 5 + 100 * s * rng.uniform(0.8, 1.2, n), "cost": s * rng.uniform(0.5, 1.5, n)})
    qm = QualityModel.from_dict({"objectives": [{"name": "acc", "direction": "max", "weight": 2},
                                                {"name": "ms", "direction": "min"},
                                                {"name": "cost", "direction": "min"}],
                                 "constraints": ["ms <= 90"]})
    return TradeoffExplorer(df, qm, x="ms", y="acc")


def test_spec_is_the_charts_own(explorer):
    assert explorer.error_text == ""
    spec, chart = explorer.chart.spec, explorer.chart.chart
    assert len(spec["datasets"]["candidates"]) > 100 and "density" in spec["datasets"]
    assert spec == chart.to_dict()
    explorer.method_picker.value = "tchebycheff"  # structural redraws keep it so
    explorer.constraint_sliders["ms <= 90"].value = 70.0
    assert explorer.error_text == ""
    assert explorer.chart.spec == explorer.chart.chart.to_dict()


def test_chart_without_datasets_is_sent_as_is():
    chart = alt.Chart(alt.Data(values=[{"a": 1}, {"a": 2}])).mark_point().encode(x="a:Q")
    jchart = alt.JupyterChart(alt.Chart(alt.Data(values=[{"a": 0}])).mark_point())
    send_chart(jchart, chart)
    assert jchart.chart is chart and jchart.spec == chart.to_dict()


def test_invalid_chart_still_raises():
    jchart = alt.JupyterChart(alt.Chart(alt.Data(values=[{"a": 0}])).mark_point())
    bad = alt.Chart(alt.Data(values=[{"a": 1}])).mark_point().encode(x="a:Q")
    bad.datasets = {"rows": [{"a": 1}]}
    bad.mark = "no-such-mark"
    with pytest.raises(Exception):  # noqa: B017 - altair's validation error
        send_chart(jchart, bad)
    assert bad.datasets == {"rows": [{"a": 1}]}  # the chart is left whole


def test_method_change_reranks_to_the_full_analysis(explorer):
    """Without SMAA a method change re-ranks instead of re-running analyze: same analysis."""
    import workbench as wb

    for method in ("asf", "topsis", "weighted_sum"):
        explorer.method_picker.value = method
        assert explorer.error_text == ""
        want = wb.analyze(explorer.analysis.candidates, explorer.quality_model)
        assert explorer.analysis.method == want.method == method
        pd.testing.assert_frame_equal(explorer.analysis.table, want.table, rtol=1e-12)
        pd.testing.assert_frame_equal(explorer.analysis.stability, want.stability)
        assert f"Recommended: {want.recommended}" in explorer.status.value
