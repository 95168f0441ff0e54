"""The words of the memo and of the explorer's "why" text: one term per idea, no double negatives.

- the deployed model is the "incumbent", the choice is "recommended" (never "champion");
- a difference inside the objective's tolerance reads "no material difference", not "gained";
- a broken constraint names the objective, the value and the limit ("error_rate 0.0063 > 0.005 (SLO)");
- a reopen trigger that already holds when the decision is made is flagged, not listed as future;
- banned phrasings (double negatives, bare violation numbers) appear nowhere in the visible text.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

pytest.importorskip("jinja2")
pytest.importorskip("vl_convert")

from workbench import QualityModel, analyze  # noqa: E402
from workbench.reports import Memo  # noqa: E402

#: Phrasings a reader must never meet (case-insensitive regular expressions).
BANNED = [
    r"\bnot non[- ]?\w+",  # "not non-dominated"
    r"\bnot (?:in|un)\w+",  # "not infeasible", "not unstable"
    r"\bno(?:t)? (?:non|un|in)-\w+",  # "no non-feasible"
    r"\bnever not\b",
    r"\bnot never\b",
    r"\bnot without\b",
    r"\b(?:gains?|gives? up|loses?) (?:[\w.]+ )?[-+−]\d",  # "gives up -0.05 recall", "gains energy -19 Wh"
    r"\bchampion\b",  # the deployed model is the incumbent
    r"violates [-+]?\d",  # a violation as a bare number, without the constraint
    r"\bDecision: ",  # the choice is "Recommended:"
]


def _analysis(smaa: int = 400):
    """c1 and c2 differ in recall by less than its tolerance; 'slow' breaks the error-rate SLO;
    the recommended candidate's acceptability is below the 0.5 reopen threshold on day one."""
    qm = QualityModel.from_dict(
        {
            "name": "words",
            "champion": "inc",
            "objectives": [
                {"name": "recall", "direction": "max", "weight": 1, "tolerance": 0.01},
                {"name": "latency_ms", "direction": "min", "unit": "ms", "weight": 1, "tolerance": 1},
                {"name": "error_rate", "direction": "min", "weight": 1, "constraint": "<= 0.005"},
            ],
        }
    )
    df = pd.DataFrame(
        {
            "id": ["c1", "c2", "inc", "slow", "c3"],
            "recall": [0.900, 0.905, 0.80, 0.99, 0.95],
            "latency_ms": [20.0, 35.0, 8.0, 60.0, 50.0],
            "error_rate": [0.003, 0.002, 0.004, 0.006346, 0.0025],
        }
    )
    return analyze(df, qm, smaa=smaa, seed=0)


def visible_text(page: str) -> str:
    """The text a reader sees: no scripts, styles or tags; entities decoded; spaces collapsed."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<section id="provenance">.*?</section>', " ", page, flags=re.S)  # parameter names
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture(scope="module")
def memo_text():
    return visible_text(Memo.from_analysis(_analysis(), title="Words").to_html())


def _explorer_text(analysis) -> str:
    pytest.importorskip("ipywidgets")
    from widgets._explain import explain

    return " ".join(s for cid in analysis.table.index for s in explain(analysis, str(cid)))


@pytest.mark.parametrize("where", ["memo", "explorer"])
def test_no_banned_phrasing(memo_text, where):
    text = memo_text if where == "memo" else _explorer_text(_analysis())
    found = {p: re.findall(p, text, flags=re.I) for p in BANNED}
    assert not {p: f for p, f in found.items() if f}, found


def test_one_term_each_for_incumbent_and_recommended(memo_text):
    a = _analysis()
    assert f"Recommended: {a.recommended}" in memo_text
    assert "replaces the incumbent inc" in memo_text
    assert "inc (incumbent)" in memo_text  # in the options table


def test_within_tolerance_reads_no_material_difference():
    from workbench.reports.review import tradeoffs

    d = _analysis().to_dict()
    t = tradeoffs(d, "c1", ["c2"])[0]
    assert [i["objective"] for i in t["same"]] == ["recall"]  # |0.900 - 0.905| <= 0.01
    assert "recall" not in [i["objective"] for i in t["gains"] + t["gives_up"]]
    assert "no material difference in recall (within tolerance)" in t["text"]
    memo = Memo.from_analysis(
        _analysis(), decision={"chosen": "c1", "recommended": "c1", "tradeoffs": [t], "rationale": ""}
    ).to_html()
    row = re.search(r"<tr><td>c2</td><td>recall</td>.*?</tr>", memo).group(0)
    assert "no material difference" in row and "gained" not in row and "given up" not in row


def test_a_broken_constraint_names_itself_and_the_limit(memo_text):
    assert "✗ error_rate 0.0063 > 0.005 (SLO)" in memo_text


def test_a_trigger_true_on_day_one_is_flagged_not_listed_as_future():
    page = Memo.from_analysis(_analysis()).to_html()
    text = visible_text(page)
    a = _analysis()
    acc = float(a.table.loc[a.recommended, "acceptability"])
    assert acc < 0.5  # the fixture's premise: the acceptability trigger (below 0.5) already holds
    now = re.search(r'<ul class="triggers now">(.*?)</ul>', page, re.S)
    future = re.search(r'<ul class="triggers" id="triggers-future">(.*?)</ul>', page, re.S).group(1)
    assert now and "acceptability" in now.group(1)
    assert "acceptability" not in future
    assert "Already true at decision time" in text
