"""The decision app's folder: the notebook Voilà serves, its configuration and the command line."""

import json
import sys

import pytest

from workbench import QualityModel
from workbench.reports.app import AppError, app_command, app_environment, label_of, prepare_app


@pytest.fixture
def evidence(tmp_path, make_candidates, model3):
    csv = tmp_path / "data" / "runs.csv"
    csv.parent.mkdir()
    make_candidates(n=12).to_csv(csv, index=False)
    model = tmp_path / "data" / "quality.yaml"
    model3.to_yaml(model)
    return csv, model


def test_prepare_app_writes_a_one_cell_notebook_and_its_settings(tmp_path, evidence, monkeypatch):
    csv, model = evidence
    monkeypatch.chdir(tmp_path)
    app = prepare_app(tmp_path / "app", str(csv), str(model), decisions="decisions.db", demo=False)
    nb = json.loads(app.notebook.read_text())
    assert [c["cell_type"] for c in nb["cells"]] == ["code"]
    assert "DecisionApp.from_environment()" in nb["cells"][0]["source"]
    config = json.loads(app.config.read_text())
    assert config["sources"] == [{"label": "runs.csv", "source": str(csv.resolve()), "model": str(model.resolve())}]
    assert config["decisions"] == f"sqlite:///{tmp_path / 'decisions.db'}"  # where the command ran
    QualityModel.from_yaml(config["sources"][0]["model"])  # the model the page will load
    cmd = app_command(app, port=9999)
    assert "--Voila.ip=127.0.0.1" in cmd and "--template=workbench-app" in cmd and "--no-browser" in cmd
    assert app_environment(app)["WORKBENCH_APP_CONFIG"] == str(app.config)


def test_a_source_needs_its_model(tmp_path, evidence):
    csv, _ = evidence
    with pytest.raises(AppError, match="--model"):
        prepare_app(tmp_path / "app", str(csv), None, demo=False)
    with pytest.raises(AppError, match="does not exist"):
        prepare_app(tmp_path / "app", str(csv), str(tmp_path / "nope.yaml"), demo=False)
    with pytest.raises(AppError, match="nothing to show"):
        prepare_app(tmp_path / "app", demo=False)


def test_labels_name_sources_without_paths():
    assert label_of("optuna:sqlite:///s.db#tuning") == "Optuna study tuning"
    assert label_of("/very/long/path/runs.csv") == "runs.csv"


def test_the_template_drops_the_remote_stylesheets():
    """Rendered over a stand-in parent whose icon-font links differ from today's Voila markup
    (attributes reordered, another version): only those lines go, the rest of the block stays.
    The browser test of the decision app checks the real page makes no request off 127.0.0.1."""
    import re
    from pathlib import Path

    import jinja2

    from workbench.reports.app import TEMPLATES

    ours = (TEMPLATES / "voila/templates/workbench-app/index.html.j2").read_text()
    parent = (
        "{% block notebook_css %}<style>.keep { display: none; }</style>\n"
        '  <link href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6/css/all.min.css" rel="stylesheet">\n'
        '  <link type="text/css" rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6/css/v4-shims.min.css" />\n'
        '<link rel="stylesheet" href="static/local.css">{% endblock %}'
    )
    env = jinja2.Environment(loader=jinja2.DictLoader({"lab/index.html.j2": parent, "app.html.j2": ours}))
    html = env.get_template("app.html.j2").render()
    assert "http" not in html
    assert ".keep { display: none; }" in html and "static/local.css" in html and "#rendered_cells" in html

    # today's Voila lab template: its only links to another host are the icon-font lines dropped above
    pytest.importorskip("voila")
    lab = Path(sys.prefix) / "share/jupyter/voila/templates/lab/index.html.j2"
    if not lab.exists():
        pytest.skip(f"Voila's lab template is not at {lab} in this environment")
    remote = [line for line in lab.read_text().splitlines() if re.search(r"(href|src)=\"https?://", line)]
    assert remote and all("fontawesome" in line for line in remote), remote
