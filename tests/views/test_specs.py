"""Every chart kind: a valid Vega-Lite spec (rendered to SVG offline), deterministic, self-contained,
themed per chart without touching altair's global state; golden snapshots of two specs."""

import json
import re

import altair as alt
import numpy as np
import pandas as pd
import pytest
import vl_convert as vlc
from syrupy.extensions.json import JSONSnapshotExtension

import workbench
from workbench import QualityModel, views
from workbench.views import theme

MODEL = QualityModel.from_dict(
    {
        "objectives": [
            {
                "name": "accuracy",
                "direction": "max",
                "weight": 2,
                "quality_attribute": "system_accuracy",
                "constraint": ">= 0.75",
            },
            {
                "name": "latency_ms",
                "direction": "min",
                "unit": "ms",
                "quality_attribute": "resource_efficiency",
                "constraint": "<= 1.5 * champion",
            },
            {"name": "size_kb", "direction": "min", "unit": "KB", "quality_attribute": "resource_efficiency"},
        ],
        "champion": "c00",
    }
)


def frame(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": [f"c{i:02d}" for i in range(n)],
            "accuracy": rng.uniform(0.7, 0.95, n),
            "latency_ms": rng.uniform(5, 100, n),
            "size_kb": rng.uniform(10, 500, n),
        }
    )


@pytest.fixture(scope="module")
def analysis():
    return workbench.analyze(frame(), MODEL, smaa=2000, seed=0)


@pytest.fixture(scope="module")
def replicated():
    df = frame(10).loc[np.repeat(np.arange(10), 3)].reset_index(drop=True)
    df["seed"] = np.tile([0, 1, 2], 10)
    df["latency_ms"] += np.random.default_rng(1).normal(0, 2, len(df))
    return workbench.analyze(workbench.load(df, replicate_column="seed"), MODEL)


KINDS = {
    "pareto_scatter": lambda a, r: views.pareto_scatter(a, "latency_ms", "accuracy"),
    "pareto_scatter_color": lambda a, r: views.pareto_scatter(a, "latency_ms", "accuracy", color="size_kb"),
    "scatter_matrix": lambda a, r: views.scatter_matrix(a),
    "parallel_coordinates": lambda a, r: views.parallel_coordinates(a),
    "linked_views": lambda a, r: views.linked_views(a, "latency_ms", "accuracy"),
    "ranking_bars": lambda a, r: views.ranking_bars(a),
    "acceptability_bars": lambda a, r: views.acceptability_bars(a),
    "stability_tornado": lambda a, r: views.stability_tornado(a),
    "rates_chart": lambda a, r: views.rates_chart(a, "latency_ms", "accuracy"),
    "conflict_heatmap": lambda a, r: views.conflict_heatmap(a),
    "replicate_spread": lambda a, r: views.replicate_spread(r, "latency_ms", "accuracy"),
}


@pytest.fixture(scope="module", params=list(KINDS))
def built(request, analysis, replicated):
    return request.param, KINDS[request.param](analysis, replicated)


def test_every_public_view_is_covered():
    # the monitoring views take aggregated monitoring data, not an analysis: tests/views/test_monitoring.py
    # the live Pareto view is the scatter itself, kept drawn: tests/views/test_live.py
    live = {
        "pareto_live",
        "pareto_reweighted",
        "brush_objectives",
        "LiveView",
        "to_spec",
        "hover_tooltips",
        "HOVER_TOOLTIPS",
    }
    charts = {n for n in views.__all__ if not n.endswith("Error") and not n.startswith("monitoring_")} - live
    assert charts == {k.removesuffix("_color") for k in KINDS}


def test_renders_to_svg_offline(built):
    """vl-convert compiles and renders the spec: it is valid Vega-Lite and needs no network."""
    name, chart = built
    svg = vlc.vegalite_to_svg(chart.to_json())
    assert svg.startswith("<svg") and 'role="graphics-symbol"' in svg


def test_is_deterministic(built, analysis, replicated):
    name, chart = built
    again = KINDS[name](analysis, replicated)
    assert chart.to_dict() == again.to_dict()
    text = chart.to_json()
    assert not re.search(r'"(param|view|selector|data)_\d+"', text), "auto-generated names make specs unstable"


def test_is_self_contained_and_themed(built):
    name, chart = built
    spec = chart.to_dict()
    text = json.dumps(spec)
    assert '"url"' not in text  # every dataset is inline
    assert re.findall(r"https?://[^\"]+", text) == [spec["$schema"]]  # the only URL: the schema id
    assert spec["config"]["range"]["category"] == theme.PALETTE
    assert spec["datasets"] and all(isinstance(v, list) for v in spec["datasets"].values())
    json.loads(chart.to_json())  # strict JSON: no NaN
    assert "NaN" not in chart.to_json()
    assert spec["title"]["text"]


def test_building_charts_leaves_altair_global_state_alone(analysis):
    before = (alt.theme.active, alt.renderers.active, alt.data_transformers.active, dict(alt.data_transformers.options))
    views.linked_views(analysis, "latency_ms", "accuracy").to_dict()
    after = (alt.theme.active, alt.renderers.active, alt.data_transformers.active, dict(alt.data_transformers.options))
    assert before == after


def test_works_with_a_tiny_row_limit(analysis):
    """The data never goes through altair's data transformers, so their settings do not matter."""
    expected = views.pareto_scatter(analysis, "latency_ms", "accuracy").to_dict()
    with alt.data_transformers.enable("default", max_rows=5):
        assert views.pareto_scatter(analysis, "latency_ms", "accuracy").to_dict() == expected


def test_inline_html_has_no_remote_scripts(analysis):
    html = views.pareto_scatter(analysis, "latency_ms", "accuracy").to_html(inline=True)
    assert "<script" in html and "vegaEmbed" in html
    assert not re.search(r"<script[^>]+src=[\"']https?://", html)
    assert "cdn.jsdelivr" not in html


# --- golden specs --------------------------------------------------------------------------------------

SMALL = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "quality_attribute": "system_accuracy"},
            {
                "name": "ms",
                "direction": "min",
                "unit": "ms",
                "quality_attribute": "resource_efficiency",
                "constraint": "<= 30",
            },
        ]
    }
)
SMALL_DF = pd.DataFrame(
    {"id": list("abcde"), "acc": [0.90, 0.80, 0.85, 0.95, 0.70], "ms": [20.0, 10.0, 25.0, 40.0, 12.0]}
)


@pytest.fixture
def json_snapshot(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def golden(chart):
    """The spec without ``$schema`` (it follows altair's Vega-Lite patch version)."""
    spec = chart.to_dict()
    spec.pop("$schema")
    return spec


def test_pareto_scatter_golden_spec(json_snapshot):
    """Regenerate after an intended change: pytest tests/views --snapshot-update, then review the diff."""
    a = workbench.analyze(SMALL_DF, SMALL)
    assert golden(views.pareto_scatter(a, "ms", "acc")) == json_snapshot


def test_conflict_heatmap_golden_spec(json_snapshot):
    a = workbench.analyze(SMALL_DF, SMALL)
    assert golden(views.conflict_heatmap(a)) == json_snapshot
