"""Template parameters: documented for papermill, checked before anything runs."""

from __future__ import annotations

from importlib.resources import files

import pytest

pytest.importorskip("papermill")

from workbench.cli.review import _review_params  # noqa: E402
from workbench.reports import (  # noqa: E402
    ParameterError,
    ReviewError,
    available_templates,
    template_parameters,
    template_path,
    validate_parameters,
)

T = "trade_off_review"
GOOD = {"candidates": "c.csv", "quality_model": "q.yaml"}


def test_templates_ship_inside_the_package():
    folder = files("workbench.reports") / "templates"
    assert (folder / "trade_off_review.ipynb").is_file()
    assert (folder / "memo.html.j2").is_file()
    assert (folder / "monitoring_review.ipynb").is_file()
    assert available_templates() == ["monitoring_review", "trade_off_review"]
    assert template_path(T).name == "trade_off_review.ipynb"


def test_inspect_notebook_documents_every_parameter():
    import papermill as pm

    spec = pm.inspect_notebook(str(template_path(T)))
    expected = {
        "candidates": "str",
        "quality_model": "str",
        "replicates": "str",
        "confidence": "float",
        "emissions": "str",
        "champion": "str",
        "method": "str",
        "stakeholders": "str",
        "smaa_samples": "int",
        "seed": "int",
        "chosen": "str",
        "title": "str",
        "decision_makers": "str",
        "output_dir": "str",
    }
    assert {k: v["inferred_type_name"] for k, v in spec.items()} == expected
    assert all(len(v["help"]) > 10 for v in spec.values())
    assert spec["smaa_samples"]["default"] == "10000"
    assert "mlflow:" in spec["candidates"]["help"]
    assert template_parameters(T) == spec


def test_unknown_parameter_lists_the_accepted_ones():
    with pytest.raises(
        ParameterError,
        match=r"(?s)'qualty_model' is not a parameter of this template.*"
        r"Did you mean 'quality_model'\?.*Accepted parameters:.*"
        r"smaa_samples +int += 10000 +SMAA-2",
    ):
        validate_parameters(T, {"candidates": "c.csv", "qualty_model": "q.yaml"})


def test_the_runners_own_parameter_is_rejected():
    with pytest.raises(ParameterError, match="'output_dir' is set by the runner"):
        validate_parameters(T, {**GOOD, "output_dir": "/tmp"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("seed", "abc", r"'seed' must be int, got 'abc' \(str\)"),
        ("seed", True, r"'seed' must be int, got True"),
        ("smaa_samples", 1.5, r"'smaa_samples' must be int, got 1.5"),
        ("title", ["a"], r"'title' must be str, got \['a'\]"),
        ("decision_makers", [1, 2], r"'decision_makers' must be str \(or a list of strings\)"),
    ],
)
def test_ill_typed_values_are_rejected(name, value, message):
    with pytest.raises(ParameterError, match=message):
        validate_parameters(T, {**GOOD, name: value})


def test_missing_required_parameters():
    with pytest.raises(ParameterError, match=r"(?s)Missing required parameter\(s\) 'quality_model'.*Accepted"):
        validate_parameters(T, {"candidates": "c.csv"})
    with pytest.raises(ParameterError, match="'candidates', 'quality_model'"):
        validate_parameters(T, {})


def test_values_are_normalised():
    out = validate_parameters(T, {**GOOD, "decision_makers": ["Ana", "Bo"], "champion": 2024, "seed": 3})
    assert out == {**GOOD, "decision_makers": "Ana, Bo", "champion": "2024", "seed": 3}


def test_unknown_template():
    with pytest.raises(ReviewError, match=r"(?s)'trade_of_review' is neither.*Did you mean 'trade_off_review'"):
        template_path("trade_of_review")
    with pytest.raises(ReviewError, match="does not exist"):
        template_path("missing.ipynb")


def test_cli_parameters_parse_like_papermill(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("seed: 1\ntitle: from file\ndecision_makers: [a, b]\n")
    params = _review_params(["-p", "seed", "7", "--param", "title", "two words", "-p", "chosen", ""], [f])
    assert params == {"seed": 7, "title": "two words", "decision_makers": ["a", "b"], "chosen": ""}


def test_importing_reports_loads_no_jupyter_machinery():
    import json
    import subprocess
    import sys

    code = "import sys, json, workbench.reports; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    mods = set(
        json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    )
    assert not mods & {"papermill", "jinja2", "nbclient", "altair", "vl_convert", "IPython"}


def test_non_utf8_parameters_file_is_a_clear_error(tmp_path):
    # used to escape as UnicodeDecodeError
    import typer

    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(typer.BadParameter, match="cannot read parameters file .*p.yaml.*utf-8"):
        _review_params([], [path])


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        # these passed validation and failed inside the notebook (exit 1, "review failed")
        ("seed", -1, r"'seed' must be >= 0, got -1"),
        ("smaa_samples", -5, r"'smaa_samples' must be from 0 to 10,000,000, got -5"),
        ("smaa_samples", 10**23, r"'smaa_samples' must be from 0 to 10,000,000, got 1000"),
    ],
)
def test_out_of_range_values_are_rejected_before_running(name, value, message):
    with pytest.raises(ParameterError, match=message):
        validate_parameters(T, {**GOOD, name: value})


def test_cli_values_follow_the_declared_type(tmp_path):
    """Regression: ``-p title "Q1: which?"`` was read as a YAML mapping and refused."""
    from workbench.reports.runner import parameters_from_text

    got = parameters_from_text(
        T,
        {
            "title": "Q1: which?",
            "champion": "2024",
            "seed": "7",
            "confidence": "0.9",
            "decision_makers": "[Ana, Bob]",
            "smaa_samples": "10_000",
        },
    )
    assert got == {
        "title": "Q1: which?",
        "champion": "2024",
        "seed": 7,
        "confidence": 0.9,
        "decision_makers": ["Ana", "Bob"],
        "smaa_samples": 10000,
    }
    assert validate_parameters(T, {**got, "candidates": "x.csv", "quality_model": "q.yaml"})["title"] == "Q1: which?"
    with pytest.raises(ParameterError, match=r"Parameter 'seed' must be int: cannot read 'seven' as a whole number"):
        parameters_from_text(T, {"seed": "seven"})
    with pytest.raises(ParameterError, match=r"Parameter 'confidence' must be float: cannot read 'high' as a number"):
        parameters_from_text(T, {"confidence": "high"})


def test_cli_review_bad_options_and_values_exit_2(tmp_path):
    from typer.testing import CliRunner

    from workbench.cli import app

    run = CliRunner().invoke
    bad = run(app, ["review", "trade_off_review", "--replicates", "seed", "-o", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "unexpected argument '--replicates'" in bad.output
    bad = run(app, ["review", "trade_off_review", "-p", "seed", "x", "-o", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "Parameter 'seed' must be int: cannot read 'x'" in bad.output
    bad = run(app, ["review", "trade_off_review", "-p", "replicate", "seed", "-o", str(tmp_path / "o")])
    assert bad.exit_code == 2 and "Did you mean 'replicates'" in bad.output
