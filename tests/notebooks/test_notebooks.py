"""Execute every analyst notebook in a kernel from this environment; no cell may fail."""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("ipywidgets")
for _module in ("altair", "vl_convert", "sklearn", "mlflow"):
    pytest.importorskip(_module)

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
#: Seconds one cell may take (building the quick example store is the slowest, ~10-20 s).
CELL_TIMEOUT = 600


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory) -> Path:
    """One quick example store shared by the notebooks (each would reuse it anyway)."""
    from workbench.example import build_example

    folder = tmp_path_factory.mktemp("notebooks") / "example-store"
    build_example(folder, quick=True)
    return folder


def _plain(text: str) -> str:
    """Text without the ANSI colours of IPython tracebacks."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def set_parameters(nb, **values) -> None:
    """Append assignments to the cell tagged ``parameters`` (as papermill injects them)."""
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source += "\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items())


def test_the_notebooks_are_listed_and_without_outputs():
    assert [p.name for p in NOTEBOOKS] == [
        "01_getting_started.ipynb",
        "02_interactive_exploration.ipynb",
        "03_mlflow_and_optuna.ipynb",
        "04_search_for_better_candidates.ipynb",
    ]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"
        assert "mimetype" not in path.read_text(), "altair's mimetype renderer breaks nbformat"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, example_dir, tmp_path):
    nb = nbformat.read(path, as_version=4)
    set_parameters(nb, example_dir=str(example_dir))
    work = tmp_path / "run"
    work.mkdir()
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: {_plain(str(exc))[-3000:]}")
    errors = [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors, f"{path.name}: cell {errors[0][0]}: {errors[0][1].ename}: {errors[0][1].evalue}"
    nbformat.validate(nb)  # the outputs are valid too (altair's mimetype renderer is not)
    executed = tmp_path / path.name
    nbformat.write(nb, executed)
    text = executed.read_text()
    for cdn in ("cdn.jsdelivr.net", "esm.sh", "unpkg.com", "cdnjs.cloudflare.com"):
        assert cdn not in text, f"{path.name} loads {cdn}"
    assert "Traceback" not in text
