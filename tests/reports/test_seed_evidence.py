"""Seed noise in the review outputs: the summary's robustness verdict, ± on the memo's trade-off
table and the plain-words verdict in the decision box, before anything else."""

from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

from tests._replicates import seeds
from workbench import QualityModel, analyze
from workbench.reports import Memo
from workbench.reports.review import build_summary, decide
from workbench.sources import from_frame

QM = QualityModel.from_dict(
    {
        "objectives": [
            {"name": "acc", "direction": "max", "weight": 2, "tolerance": 0.002},
            {"name": "latency_ms", "direction": "min", "unit": "ms", "tolerance": 1, "constraint": "<= 40"},
        ]
    }
)


def test_fragile_when_the_runner_up_is_within_seed_noise():
    # v8 and v7 differ by far less than their seed-to-seed spread: no detectable difference
    df = pd.DataFrame(
        {
            "id": ["v8"] * 5 + ["v7"] * 5 + ["v1"] * 5,
            "seed": list(range(5)) * 3,
            "acc": [0.916, 0.896, 0.926, 0.886, 0.911, 0.90, 0.92, 0.88, 0.91, 0.895, 0.80, 0.81, 0.79, 0.80, 0.80],
            "latency_ms": [20, 21, 19, 20, 20, 20, 21, 19, 20, 21, 10, 10, 11, 9, 10],
        }
    )
    a = analyze(from_frame(df), QM, smaa=400)
    d = decide(a)
    runner = a.to_frame().index[1]
    assert d["robustness"]["robust"] is False
    assert d["robustness"]["text"].startswith(f"Fragile: indistinguishable from {runner} within seed noise")
    html = Memo(build_summary(a, decision=d)).to_html()
    box = html[html.index('id="decision"') : html.index('id="tradeoffs"')]
    assert "Fragile: indistinguishable from" in box
    table = html[html.index('id="tradeoffs"') : html.index('id="quality-model"')]
    assert " ± " in table and "(n=5)" in table and "no detectable difference (within seed noise)" in table


def test_robust_when_the_advantage_is_detectable():
    a = analyze(
        from_frame(seeds({"v8": (0.95, 20), "v7": (0.90, 20.5), "v1": (0.80, 25)}, sd=(0.003, 0.3))), QM, smaa=400
    )
    d = decide(a)
    assert d["robustness"]["robust"] is True
    assert d["robustness"]["text"].startswith("Robust: ranks first in ")
    assert "of weight samples and beats the runner-up" in d["robustness"]["text"]


def test_choosing_another_candidate_is_judged_against_the_recommended_one():
    a = analyze(from_frame(seeds({"v8": (0.95, 20), "v7": (0.90, 20.5), "v1": (0.80, 10)}, sd=(0.003, 0.3))), QM)
    d = decide(a, chosen="v7")
    rel = {c["versus"]: c["relation"] for c in d["robustness"]["comparisons"]}
    assert "recommended" in rel["v8"] and d["robustness"]["comparisons"][0]["candidate"] == "v7"


def test_without_replicates_the_box_says_noise_was_not_measured():
    a = analyze(pd.DataFrame({"id": ["a", "b"], "acc": [0.9, 0.8], "latency_ms": [20, 10]}), QM, smaa=300)
    d = decide(a)
    assert d["robustness"]["text"].endswith("Seed noise not measured (one run per candidate).")
