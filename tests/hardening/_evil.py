"""Analyses and review summaries in which one hostile string sits in every text field.

``evil_summary(payload)`` puts ``payload`` (with short suffixes where values must be distinct) into
the candidate ids, the objectives' names, units and descriptions, the quality model's name and
description, a stakeholder's name, the champion, the chosen candidate, the decision makers, the
rationale, the title, the provenance (inputs, parameters, template) and the monitoring block.
``evil_summary(BENIGN)`` is the same review with a harmless string: same numbers, same structure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

BENIGN = "plain text"


def ids(payload: str) -> list[str]:
    return [f"{payload}", f"{payload} #2", "ok-3", "ok-4"]


#: An objective name may not hold '<', '>' or '=' (they separate the sides of a constraint): the
#: quality model refuses such a name with a clear error (test_hostile_names.py). The names here carry
#: the payload with those three replaced by look-alikes, and every other character as it is.
NAME_SAFE = str.maketrans({"<": "\u2039", ">": "\u203a", "=": "\u2261"})


def objective_names(payload: str) -> tuple[str, str]:
    p = payload.translate(NAME_SAFE)
    return f"m {p} acc", f"m {p} lat"


def evil_model(payload: str) -> Any:
    from workbench import QualityModel

    acc, lat = objective_names(payload)
    return QualityModel.from_dict(
        {
            "name": f"qm {payload}",
            "description": f"Which one? {payload}",
            "objectives": [
                {
                    "name": acc,
                    "direction": "max",
                    "weight": 2,
                    "unit": f"u {payload}",
                    "description": f"d {payload}",
                    "quality_attribute": "system_accuracy",
                },
                {
                    "name": lat,
                    "direction": "min",
                    "weight": 1,
                    "unit": f"v {payload}",
                    "description": f"e {payload}",
                    "quality_attribute": "resource_efficiency",
                    "constraint": "<= 40",
                },
            ],
            "stakeholders": {f"s {payload} .": {acc: 1, lat: 3}},
        }
    )


def evil_frame(payload: str) -> pd.DataFrame:
    acc, lat = objective_names(payload)
    return pd.DataFrame({"id": ids(payload), acc: [0.95, 0.85, 0.90, 0.97], lat: [30.0, 5.0, 18.0, 60.0]})


def evil_analysis(payload: str, **kwargs: Any) -> Any:
    from workbench import analyze

    return analyze(evil_frame(payload), evil_model(payload), smaa=200, seed=0, **kwargs)


def evil_summary(payload: str, *, views: bool = True) -> dict[str, Any]:
    """A review summary with ``payload`` in every text field that a memo or MADR shows."""
    from workbench.reports.review import build_summary, decide

    a = evil_analysis(payload, champion=ids(payload)[1])
    decision = decide(
        a,
        chosen=ids(payload)[0],
        decision_makers=[f"dm {payload} .", "Ops lead"],
        stakeholders=["model", f"s {payload} ."],
    )
    decision["rationale"] = f"because {payload}"
    prov = {
        "inputs": [{"role": f"r {payload}", "path": f"p {payload}", "sha256": "0" * 64}],
        "parameters": {f"k {payload}": f"v {payload}"},
        "template": f"t {payload}",
        "template_version": f"tv {payload}",
        "run_ids": [f"run {payload}"],
    }
    return build_summary(a, title=f"Review of {payload}", decision=decision, provenance=prov, views=views)
