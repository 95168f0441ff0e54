# The README's commands. Everything runs from a local virtual environment (.venv).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test lab bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## demo: build the embedded example (real scikit-learn runs in MLflow) and analyse it
demo: $(STAMP)
	$(BIN)/workbench demo --out demo-output

## test: the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## lab: JupyterLab on the example notebooks (127.0.0.1 only)
lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 notebooks/

## bench: performance suite, side by side with peer libraries
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pareto.py
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_widgets.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
