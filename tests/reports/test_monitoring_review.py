"""monitoring_review: run_review on hand-made Parquet logs; the summary's monitoring section and the memo's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.reports import available_templates, run_review, template_parameters
from workbench.reports.runner import ParameterError

for _m in ("papermill", "jinja2", "vl_convert", "duckdb"):
    pytest.importorskip(_m)

T0 = pd.Timestamp("2026-03-01", tz="UTC")
MODEL = """\
name: serving
objectives:
  - {name: latency_p95_ms, direction: min, unit: ms, source: latency_ms, aggregation: p95, constraint: "<= 120"}
  - {name: error_rate, direction: min, source: error, aggregation: rate, constraint: "<= 0.05"}
  - {name: cost_per_1k, direction: min, unit: USD, source: cost_usd, aggregation: sum_per_1k}
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("mon")
    rng = np.random.default_rng(1)
    frames = []
    for version, base, cost in (("v1", 80.0, 0.001), ("v2</script>", 60.0, 0.002)):
        for hour in range(3):
            n = 200
            lat = base + rng.gamma(2.0, 5.0, n) + (150.0 if version != "v1" and hour == 2 else 0.0)
            frames.append(
                pd.DataFrame(
                    {
                        "timestamp": T0 + pd.Timedelta(hours=hour) + pd.to_timedelta(rng.uniform(0, 3599, n), unit="s"),
                        "version": version,
                        "latency_ms": lat,
                        "error": rng.uniform(size=n) < 0.01,
                        "cost_usd": np.full(n, cost),
                    }
                )
            )
    logs = d / "logs.parquet"
    pd.concat(frames, ignore_index=True).to_parquet(logs)
    model = d / "quality.yaml"
    model.write_text(MODEL)
    return {"logs": str(logs), "quality_model": str(model)}


@pytest.fixture(scope="module")
def result(inputs, tmp_path_factory):
    return run_review(
        "monitoring_review",
        {**inputs, "champion": "v1", "title": "Serving check"},
        tmp_path_factory.mktemp("out") / "review",
        progress=False,
    )


def test_template_is_shipped_with_documented_parameters():
    assert "monitoring_review" in available_templates()
    spec = template_parameters("monitoring_review")
    assert set(spec) == {"logs", "quality_model", "decisions", "champion", "window", "since", "title", "output_dir"}
    assert all(p["help"] for p in spec.values())


def test_missing_logs_is_a_parameter_error(tmp_path):
    with pytest.raises(ParameterError, match="logs"):
        run_review("monitoring_review", {"window": "1h"}, tmp_path / "x", progress=False)


@pytest.mark.slow
def test_summary_has_a_monitoring_section(result):
    s = json.loads(result.summary_path.read_text())
    m = s["monitoring"]
    assert m["windows"]["count"] == 3 and m["versions"] == ["v1", "v2</script>"]
    assert m["champion"] == "v1" and m["window"] == "1h" and m["review_due"] is True
    hits = [t for t in m["triggers"] if t["kind"] == "constraint_violated"]
    assert [(t["version"], t["objective"]) for t in hits] == [("v2</script>", "latency_p95_ms")]
    assert {(r["version"], r["constraint"]) for r in m["slo"]} >= {("v1", "latency_p95_ms <= 120")}
    assert len(m["panel"]["vconcat"]) == 3
    assert s["title"] == "Serving check" and s["provenance"]["template"] == "monitoring_review"
    assert {c["id"] for c in s["analysis"]["candidates"]} == {"v1", "v2</script>"}


def test_memo_has_the_monitoring_section_escaped(result):
    html = result.memo.read_text()
    assert 'id="monitoring"' in html and 'id="monitoring-triggers"' in html
    assert 'data-spec="spec-monitoring"' in html and 'id="spec-monitoring"' in html
    assert "v2&lt;/script&gt;" in html and "v2</script>" not in html
    assert "constraint_violated" in html
    assert result.decision.is_file()


def test_memo_without_monitoring_has_no_section(result):
    from workbench.reports.memo import render_memo

    summary = {k: v for k, v in result.summary.items() if k != "monitoring"}
    html = render_memo(summary)
    assert 'id="monitoring"' not in html and "spec-monitoring" not in html
