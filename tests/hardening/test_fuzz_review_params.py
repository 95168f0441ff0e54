"""Fuzzed review parameters: ``validate_parameters`` and the CLI's ``-p KEY VALUE`` / ``-f FILE`` parsing.

Every parameter set is either rejected before the notebook runs (a ``ParameterError`` naming the
parameter, or the CLI's exit 2 naming the bad token or file) or accepted as values of the annotated
types. The notebook is executed only in one real review with odd but valid values.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import typer
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.hardening._tally import assert_invariant, attempt, outcome
from workbench.cli.review import _review_params
from workbench.errors import WorkbenchError
from workbench.reports.runner import RUNNER_SET, template_parameters, validate_parameters

pytest.importorskip("papermill")  # the reports extra: template_parameters reads the notebook with it

AREA = "review_params"
TEMPLATE = "trade_off_review"
SPEC = template_parameters(TEMPLATE)
NAMES = [n for n in SPEC if n not in RUNNER_SET]

value_st = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(10**30), 10**30),
    st.floats(),
    st.text(max_size=20),
    st.text(min_size=1000, max_size=3000),
    st.sampled_from(["😀", "\u202e", "a\nb", "", " "]),
    st.lists(st.text(max_size=5), max_size=3),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just(float("nan")),
)
key_st = st.one_of(
    st.sampled_from(NAMES + list(RUNNER_SET)),
    st.text(max_size=15),
    st.sampled_from(["smaa", "Seed", "candidate", "quality-model", "😀", ""]),
)


def check_accepted(params: dict, out: dict) -> None:
    assert_invariant(AREA, set(out) == set(params), f"parameters changed names: {sorted(out)} vs {sorted(params)}")
    for key, value in out.items():
        kind = SPEC[key]["inferred_type_name"]
        ok = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "str": lambda v: isinstance(v, str),
            "bool": lambda v: isinstance(v, bool),
            "float": lambda v: isinstance(v, float),
        }.get(kind, lambda v: True)(value)
        assert_invariant(AREA, ok, f"{key!r} accepted as {value!r} for type {kind}")
    assert_invariant(
        AREA,
        out.get("seed", 0) >= 0 and 0 <= out.get("smaa_samples", 0) <= 10_000_000,
        f"seed {out.get('seed')!r} or smaa_samples {out.get('smaa_samples')!r} accepted out of range",
    )
    for key in ("candidates", "quality_model"):
        assert_invariant(AREA, bool(out.get(key)), f"required {key!r} missing but accepted")
    assert_invariant(AREA, json.dumps(out) is not None, "accepted values are not JSON-safe for papermill")


@given(params=st.dictionaries(key_st, value_st, max_size=5), base=st.booleans())
def test_fuzz_validate_parameters(params, base):
    if base:
        params = {"candidates": "runs.csv", "quality_model": "quality.yaml", **params}
    names = [repr(k) for k in params] + ["Missing required", "candidates", "quality_model"]
    out = attempt(AREA, validate_parameters, TEMPLATE, params, names=names)
    if not isinstance(out, WorkbenchError):
        check_accepted(params, out)


TOKENS = [
    "-p",
    "--param",
    "-x",
    "p",
    "",
    "candidates",
    "seed",
    "smaa_samples",
    "1",
    "-1",
    "1e400",
    "1.0e+400",
    "[",
    "]",
    "{a: 1}",
    "[1, 2]",
    "!!python/object/apply:os.system ['true']",
    "null",
    "~",
    "yes",
    "😀",
    "a: b: c",
    "'",
    "0x10",
    ".inf",
    "--",
    "quality_model",
    "q.yaml",
    "x" * 2000,
]

FILE_CONTENTS = [
    b"",
    b"candidates: runs.csv\nquality_model: q.yaml\n",
    b"- 1\n- 2\n",
    b"just text\n",
    b"seed: -1\n",
    b"smaa_samples: .inf\n",
    b"[\n",
    b"\xff\xfe\x00bad",
    "é: 1\n".encode("latin-1"),
    b"!!python/object/apply:os.system ['true']\n",
    b"? [a, b]\n: 1\n",
    b"1: 2\n",
    b"a: &a [*a]\n",
    b"seed: 18446744073709551616\n",
    b"smaa_samples: 100000000000000000000000\n",
]


@given(
    tokens=st.lists(st.sampled_from(TOKENS) | st.text(max_size=8), max_size=9),
    files=st.lists(st.sampled_from(range(len(FILE_CONTENTS) + 2)), max_size=2),
)
def test_fuzz_cli_parameter_parsing(tokens, files):
    """``-p``/``-f`` as the CLI parses them, then validation: exit-2 material or parameters."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in files:
            path = Path(tmp) / f"params{i}.yaml"
            if i < len(FILE_CONTENTS):
                path.write_bytes(FILE_CONTENTS[i])
            elif i == len(FILE_CONTENTS):
                path.mkdir(exist_ok=True)  # a folder given as a parameters file
            paths.append(path)  # the last index: a missing file
        try:
            params = _review_params(list(tokens), paths)
        except typer.BadParameter as exc:  # the CLI prints it and exits 2
            outcome(AREA, "rejected")
            text = str(exc)
            named = [*map(repr, tokens), *map(str, paths), *map(repr, map(str, paths)), "-p KEY VALUE"]
            if len(text) < 15 or not any(n in text for n in named):
                outcome(AREA, "unclear_message")
                raise AssertionError(f"unclear message for {tokens!r} {paths!r}: {text!r}") from None
            return
        except BaseException:
            outcome(AREA, "unhandled")
            raise
        outcome(AREA, "accepted")
        assert_invariant(AREA, isinstance(params, dict), "parameters are not a dict")
        out = attempt(
            AREA,
            validate_parameters,
            TEMPLATE,
            params,
            names=[repr(k) for k in params] + ["Missing required", "candidates"],
        )
        if not isinstance(out, WorkbenchError):
            check_accepted(params, out)


# --- one real review with odd but valid values ----------------------------------------------------------


@pytest.mark.slow
def test_a_real_review_with_odd_but_valid_values(tmp_path):
    from workbench.reports import run_review

    ids = ["😀 model", "\u202eevil", "a,b", "x" * 80]
    pd.DataFrame({"id": ids, "acc": [0.9, 0.8, 0.85, 0.95], "latency_ms": [20, 10, 25, 40]}).to_csv(
        tmp_path / "runs.csv", index=False
    )
    (tmp_path / "quality.yaml").write_text(
        yaml.safe_dump(
            {
                "objectives": [
                    {"name": "acc", "direction": "max", "weight": 2},
                    {"name": "latency_ms", "direction": "min", "constraint": "<= 30"},
                ]
            }
        )
    )
    params = validate_parameters(
        TEMPLATE,
        {
            "candidates": str(tmp_path / "runs.csv"),
            "quality_model": str(tmp_path / "quality.yaml"),
            "smaa_samples": 1,
            "seed": 2**40,
            "title": "<script>alert(1)</script> ünïcode “quotes”",
            "decision_makers": ["Zoë", "李"],
            "chosen": "",
            "method": "topsis",
        },
    )
    outcome(AREA, "accepted")
    result = run_review(TEMPLATE, params, tmp_path / "out", progress=False)
    summary = json.loads(result.summary_path.read_text())
    assert_invariant(
        AREA, {c["id"] for c in summary["analysis"]["candidates"]} == set(ids), "the review lost a candidate"
    )
    assert_invariant(
        AREA,
        summary["analysis"]["method"] == "topsis" and summary["analysis"]["parameters"]["seed"] == 2**40,
        "the review did not use the given method and seed",
    )
    assert_invariant(AREA, "<script>alert(1)</script>" not in result.memo.read_text(), "title not escaped in the memo")
    assert_invariant(AREA, result.chosen in ids, f"chosen {result.chosen!r} is not a candidate")
