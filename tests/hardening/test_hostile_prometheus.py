"""Hostile strings as objective names, units, candidate ids and decision ids -> Prometheus rules.

Prometheus reads annotations and label values as Go templates and rejects a rules file whose
template does not parse. Oracle: the rules load with ``yaml.safe_load`` into one well-formed rule
per monitored constraint (alert names start with a letter), and no ``{{``/``}}`` is left in any
label or annotation besides the generator's own ``{{ $value | humanize }}``.
"""

from __future__ import annotations

import re

import pandas as pd
import yaml

from tests.hardening import _evil, _tally, attacks

AREA = "hostile_prometheus"
OWN = "{{ $value | humanize }}"
PAYLOADS = list(
    dict.fromkeys(attacks.PROMETHEUS + attacks.TEMPLATE + ['{{{ printf "x" }}}', "{{{{.}}}}", "}}{{"] + attacks.NAMES)
)


def _rules(payload: str):
    from workbench import QualityModel, analyze
    from workbench.decisions import DecisionRecord, prometheus_rules

    name = _evil.objective_names(payload)[1]  # names refuse '<', '>' and '=' (test_hostile_names.py)
    qm = QualityModel.from_dict(
        {
            "name": f"qm {payload}",
            "objectives": [
                {"name": "acc", "direction": "max"},
                {
                    "name": name,
                    "direction": "min",
                    "unit": f"u {payload}",
                    "aggregation": "p95",
                    "source": "latency_ms",
                    "constraint": "<= 30",
                },
            ],
        }
    )
    ids = [f"{payload}", "b"]
    a = analyze(pd.DataFrame({"id": ids, "acc": [0.9, 0.8], name: [20.0, 10.0]}), qm)
    rec = DecisionRecord.from_analysis(a, chosen=ids[0])
    rec = DecisionRecord.from_dict({**rec.to_dict(), "id": f"{payload}-id"})
    return prometheus_rules(rec)


def test_prometheus_rules_stay_valid_and_template_free():
    for payload in PAYLOADS:
        try:
            data = yaml.safe_load(_rules(payload))
            rules = data["groups"][0]["rules"]
            ok = len(rules) == 1 and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", rules[0]["alert"]) is not None
            texts = [*rules[0]["labels"].values(), *rules[0]["annotations"].values()]
            ok = ok and not any("{{" in t.replace(OWN, "") or "}}" in t.replace(OWN, "") for t in texts)
            ok = ok and rules[0]["expr"].startswith("histogram_quantile(0.95") and rules[0]["expr"].endswith("> 30")
        except (yaml.YAMLError, KeyError, IndexError):
            ok = False
        _tally.assert_blocked(AREA, payload, not ok, "Prometheus rule labels/annotations (objective, unit, ids)")
