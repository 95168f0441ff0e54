"""Review parameters cannot inject code into the executed notebook.

papermill writes the parameters as Python source into an injected cell. Two oracles:

- every attack string, as the value of every ``str`` parameter of every shipped template, is
  injected by papermill's own ``parameterize_notebook`` (no kernel); the injected cell must parse to
  plain ``name = <literal>`` assignments whose literals evaluate to exactly the values given;
- one real ``run_review`` of ``trade_off_review`` on candidates whose ids, stakeholder and decision
  makers are Python injections, with a working directory where ``touch PWNED`` would leave a file:
  no file appears and every value reaches ``summary.json`` verbatim.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

from tests.hardening import _evil, _tally, attacks

pm = pytest.importorskip("papermill")

AREA = "hostile_review_parameters"


def _str_params(template: str) -> list[str]:
    from workbench.reports.runner import RUNNER_SET, template_parameters

    spec = template_parameters(template)
    return [n for n, p in spec.items() if p["inferred_type_name"] == "str" and n not in RUNNER_SET]


def _injected_assignments(nb) -> dict[str, object] | None:
    """name -> literal value of papermill's injected cell; None if anything else is in it."""
    cell = next(c for c in nb.cells if "injected-parameters" in (c.metadata.get("tags") or []))
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    out = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            return None
        try:
            out[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            return None
    return out


@pytest.mark.parametrize("template", ["trade_off_review", "monitoring_review"])
def test_every_string_parameter_is_injected_as_a_literal(template):
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from workbench.reports.runner import template_path, validate_parameters

    nb0 = load_notebook_node(str(template_path(template)))
    names = _str_params(template)
    assert names
    for payload in attacks.ALL:
        params = {n: payload for n in names}
        values = validate_parameters(template, params)  # what run_review passes to papermill
        nb = parameterize_notebook(
            copy.deepcopy(nb0), {**values, "output_dir": payload}, kernel_name="python3", language="python"
        )
        got = _injected_assignments(nb)
        for n in [*names, "output_dir"]:
            _tally.assert_blocked(
                AREA,
                payload,
                got is None or got.get(n) != {**values, "output_dir": payload}[n],
                f"papermill parameter {n!r} of {template}",
            )


@pytest.mark.slow
def test_a_real_review_with_injections_in_its_parameters_runs_nothing(tmp_path, monkeypatch):
    pytest.importorskip("jinja2")
    pytest.importorskip("vl_convert")
    from workbench.reports import run_review

    inj = [p for p in attacks.PYTHON if "\x00" not in p]
    ids = [f"{inj[0]}", f"{inj[2]}", f"id {inj[4]} .", f"id {inj[7]} ."]
    qm = _evil.evil_model("x")
    acc, lat = _evil.objective_names("x")
    stakeholder = f"s {inj[5]} ."
    qm = type(qm).from_dict({**qm.to_dict(), "stakeholders": {stakeholder: {acc: 1, lat: 3}}})
    frame = _evil.evil_frame("x").assign(id=ids)
    work = tmp_path / "work"
    work.mkdir()
    frame.to_csv(work / "candidates.csv", index=False)
    qm.to_yaml(work / "quality.yaml")
    monkeypatch.chdir(work)  # the kernel's cwd: ``touch PWNED`` would create work/PWNED
    params = {
        "candidates": str(work / "candidates.csv"),
        "quality_model": str(work / "quality.yaml"),
        "champion": ids[1],
        "chosen": ids[2],
        "stakeholders": f"model, {stakeholder}",
        "title": inj[1],
        "decision_makers": [f"dm {p} ." for p in (inj[3], inj[6], inj[8], inj[9])],
        "smaa_samples": 100,
        "seed": 0,
    }
    result = run_review("trade_off_review", params, tmp_path / "out", progress=False)
    s = json.loads(Path(result.summary_path).read_text(encoding="utf-8"))
    pwned = list(tmp_path.rglob("PWNED")) + list(Path.cwd().glob("PWNED"))
    checks = {
        "title": (params["title"], s["title"]),
        "chosen": (ids[2], s["decision"]["chosen"]),
        "champion": (ids[1], s["analysis"]["champion"]),
        "decision_makers": (params["decision_makers"], s["decision"]["decision_makers"]),
        "stakeholders": (True, stakeholder in s["decision"]["stakeholder_choices"]),
        "candidates (ids)": (sorted(ids), sorted(c["id"] for c in s["analysis"]["candidates"])),
    }
    for name, (want, got) in checks.items():
        payload = want if isinstance(want, str) else json.dumps(want)[:80]
        _tally.assert_blocked(AREA, payload, bool(pwned) or want != got, f"executed review parameter {name!r}")
    # every file the review wrote is in the output folder, under its fixed name
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    inputs = {"work/candidates.csv", "work/quality.yaml"}
    expected = {f"out/{n}" for n in ("review.ipynb", "summary.json", "memo.html", "decision.md")}
    for payload in (ids[2], params["title"]):
        _tally.assert_blocked(AREA, payload, written != inputs | expected, "review output file names")
    memo = Path(result.memo).read_text(encoding="utf-8")
    assert "touch PWNED" in memo  # the text is shown (escaped), never run
