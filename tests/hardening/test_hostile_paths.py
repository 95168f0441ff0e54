"""Path traversal and spreadsheet formulas in names that reach the file system or a CSV.

The workbench derives no file name from data: review outputs, search outputs and records have fixed
names inside the folder the user chose (``-o``), which is the user's choice, not an escape. What
can carry a hostile name is checked here: a template name that is not an existing notebook is
refused with the shipped names listed (never resolved outside the templates folder), the search's
``front.csv`` neutralises formulas, and (in ``test_hostile_review``) a real review writes only its
four fixed files into its output folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.hardening import _tally, attacks

AREA = "hostile_paths"


def test_template_names_cannot_leave_the_templates_folder(tmp_path, monkeypatch):
    from workbench.reports.runner import ReviewError, _templates_dir, template_path

    monkeypatch.chdir(tmp_path)
    for name in attacks.PATHS + ["../templates/trade_off_review", "trade_off_review/../../x", "..\\trade_off_review"]:
        if "\x00" not in name and Path(name).expanduser().is_file():
            continue  # an existing notebook path is the user's own choice (e.g. /etc/passwd exists)
        try:
            got = template_path(name)
            escaped = not got.resolve().is_relative_to(_templates_dir().resolve())
        except ReviewError as exc:
            escaped = repr(str(Path(name)))[1:-1] not in str(exc) and repr(name)[1:-1] not in str(exc)
        _tally.assert_blocked(AREA, name, escaped, "review template name")


def test_search_front_csv_neutralises_formulas(tmp_path):
    from workbench import QualityModel
    from workbench.search import Categorical, Float, Space, search

    choices = attacks.CSV + ["plain"]
    qm = QualityModel.from_dict(
        {"objectives": [{"name": "f1", "direction": "min"}, {"name": "f2", "direction": "min"}]}
    )

    def evaluate(config):
        return {"f1": config["x"], "f2": 1 - config["x"] + 0.001 * choices.index(config["c"])}

    space = Space([Float("x", 0, 1), Categorical("c", choices)])
    result = search(space, qm, evaluate, budget=60, seed=0, outdir=tmp_path / "record")
    paths = result.save(tmp_path / "out")
    raw = pd.read_csv(paths["front.csv"], dtype=str, keep_default_na=False)
    shown = dict(zip(result.front["candidate"], result.front["c"], strict=True))
    assert len(raw) == len(shown) > 0
    for cid, cell in zip(raw["candidate"], raw["c"], strict=True):
        original = shown[cid]
        live = cell[:1] in ("=", "+", "-", "@", "\t", "\r") and cell != original.strip()
        _tally.assert_blocked(
            AREA, original, live or cell.lstrip("'").strip() != original.strip(), "search front.csv cell"
        )
