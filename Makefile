# The README's commands. Everything runs from a local virtual environment (.venv).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: demo test test-fast lint lab app bench hardening search venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m workbench.analysis.warmup
	touch $(STAMP)

venv: $(STAMP)

## demo: the full cycle on the embedded example: build the MLflow store (real scikit-learn runs),
##       analyse it, run the trade-off review (memo.html, decision.md) and log the decision
demo: $(STAMP)
	$(BIN)/workbench demo --out demo-output

## search: search the example's family, hyperparameters and decision threshold for new candidates (pymoo)
search: $(STAMP)
	$(BIN)/workbench search workbench/example/search_space.yaml --model workbench/example/quality_search.yaml \
	    --evaluate workbench.example.search:evaluate --budget 120 --seed 0 -o demo-output/search

## test: the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest

## test-fast: the suite without the tests marked slow (full demo, browser, big data, clusters)
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n auto

## lint: what CI checks before the tests (ruff, configured in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check workbench widgets tests benchmarks notebooks
	$(BIN)/ruff format --check workbench widgets tests benchmarks

## lab: JupyterLab on the example notebooks (127.0.0.1 only)
lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 notebooks/

## app: the decision app for people who do not code (Voila on http://127.0.0.1:8866/, the demo's
##      evidence; decisions go to decisions.db); Ctrl-C stops it
app: $(STAMP)
	$(BIN)/workbench app

## bench: performance suite, side by side with peer libraries
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pareto.py
	$(BIN)/python benchmarks/bench_analyze.py
	$(BIN)/python benchmarks/bench_monitoring.py
	$(BIN)/python benchmarks/bench_widgets.py
	$(BIN)/python benchmarks/bench_browser.py
	$(BIN)/python benchmarks/bench_search.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_services.py
	$(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_triggers.py
	$(BIN)/python benchmarks/bench_replicates.py
	$(BIN)/python benchmarks/report.py

## hardening: fuzzed bad input, hostile strings and injected faults, many more inputs than the suite
##            tries; publishes the counts (benchmarks/results/hardening.json, docs/hardening.md)
hardening: $(STAMP)
	$(BIN)/python benchmarks/bench_hardening.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
