"""`workbench analyze` in a narrow and a wide terminal: the table fits COLUMNS, a row stays one line,
the caption states the method, the weights and what was left out; `--help` uses COLUMNS too."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from rich.cells import cell_len

from workbench.format import format_number, format_percent

MODEL = """
objectives:
  - {name: recall, direction: max, weight: 3}
  - {name: precision, direction: max, weight: 1}
  - {name: latency_p95_ms, direction: min, unit: ms, weight: 1, constraint: "<= 40"}
  - {name: model_size_kb, direction: min, unit: KB, weight: 0.5}
  - {name: energy_wh, direction: min, unit: Wh, weight: 0.5}
  - {name: demographic_parity_gap, direction: min, weight: 0.2}
"""
IDS = ["svm-c0.01", "logreg-c1", "a-rather-long-candidate-name-v12", "knn-5", "rf-200-d12", "mlp-64x32"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terminal")
    rng = np.random.default_rng(3)
    n = len(IDS)
    pd.DataFrame(
        {
            "id": IDS,
            "recall": rng.uniform(0.85, 0.95, n),
            "precision": rng.uniform(0.9, 0.99, n),
            "latency_p95_ms": rng.uniform(0.2, 60, n),
            "model_size_kb": rng.uniform(1, 1500, n),
            "energy_wh": rng.uniform(2e-5, 3e-3, n),
            "demographic_parity_gap": rng.uniform(0.01, 0.05, n),
        }
    ).to_csv(tmp / "runs.csv", index=False)
    (tmp / "quality.yaml").write_text(MODEL)
    return tmp


def run(*args, cwd, columns: int):
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=env
    )


@pytest.mark.parametrize("columns", [60, 100, 200])
@pytest.mark.slow
def test_the_table_fits_and_says_what_it_shows(files, columns):
    r = run("analyze", "runs.csv", "--model", "quality.yaml", "--smaa", "300", cwd=files, columns=columns)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert max(cell_len(line.rstrip()) for line in lines) <= columns
    import workbench as wb

    a = wb.analyze(
        wb.load(str(files / "runs.csv")), wb.QualityModel.from_yaml(files / "quality.yaml"), smaa=300, seed=0
    )
    t = a.to_frame()
    for cid, row in t.iterrows():  # one line per candidate: its rank, (shortened) id and score together
        rows = [
            line
            for line in lines
            if line.split()[:1] == [str(row["rank"])] and format_number(row["score"]) in line.split()
        ]
        assert len(rows) == 1, (cid, rows)
        shown = rows[0].split()[1]
        assert shown == cid or (shown.endswith("…") and cid.startswith(shown[:-1])), (cid, shown)
    text = " ".join(lines).replace("\u00a0", " ")
    assert f"weighted_sum · weights recall {format_percent(a.weights['recall'])}, precision" in text  # caption
    if columns == 200:
        assert "not shown" not in text and "demographic_parity_gap ↓" in text
        assert format_number(t.loc["svm-c0.01", "energy_wh"], "Wh") in text  # values with their units
    else:
        assert "not shown at" in text
        assert "knee, front" in text


@pytest.mark.slow
def test_help_uses_the_terminal_width(files):
    for columns in (60, 140):
        r = run("analyze", "--help", cwd=files, columns=columns)
        widths = [cell_len(line) for line in r.stdout.splitlines()]
        assert max(widths) <= columns and max(widths) > min(columns, 100) - 20, (columns, max(widths))
        assert "--replicates" in r.stdout and "--emissions" in r.stdout  # option names are not cut
