# amo-analysis — the two commands: `make report` and `make test` (both set up .venv when needed).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= data/sample_portfolio.csv
LANG_REPORT ?= en
# The package's bytecode: pip writes it for a regular install but not for an editable one, and where
# Python is told not to write it (PYTHONDONTWRITEBYTECODE) each of a run's six kernels would compile
# the package again (~0.5 s of CPU each). Up to date, this takes a few milliseconds.
BYTECODE = $(PY) -m compileall -q amo_analysis

.PHONY: help setup report test test-fast lint lab notebooks bench clean
.DEFAULT_GOAL := help

## Show these targets with what each does (the default goal).
help:
	@awk '/^## /{text = substr($$0, 4); next} /^[a-z-]+:/{if (text != "") {split($$0, t, ":"); printf "  make %-11s %s\n", t[1], text}; text = ""; next} {text = ""}' $(MAKEFILE_LIST)

## Create .venv and install the package with its test tools (done by the other targets when needed).
setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "amo-analysis needs Python >= 3.11 (found " + sys.version.split()[0] + "); set PYTHON=python3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name amo-analysis --display-name "Python (amo-analysis)" >/dev/null
	$(BYTECODE)
	touch $(STAMP)

## Run the whole suite on the bundled sample (or DATA=...) and print where the report is.
report: $(STAMP)
	@$(BYTECODE)
	$(VENV)/bin/amo-analysis run --data $(DATA) --lang $(LANG_REPORT)

## Package tests, then nbval over notebooks/ (stored key numbers must not change); lint first.
test: lint
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

## Lint: ruff's checks and its format check of the package, the tests and the benchmark harness (rules in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check amo_analysis tests benchmarks
	$(VENV)/bin/ruff format --check amo_analysis tests benchmarks

## The package tests without the slow simulations and the notebook runs (no nbval): a quick check, under 3 minutes.
test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow and not suite" -p no:cacheprovider

## JupyterLab on notebooks/ with the suite's kernel.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

## Re-execute the notebooks in place on the bundled sample (refreshes the outputs nbval checks).
notebooks: $(STAMP)
	$(PY) -m amo_analysis.suite.notebook_tools refresh

BENCH_ARGS ?=
## Benchmark: sample suite vs floor, scaling to 10^6 projects, report sizes → benchmarks/RESULTS.md (BENCH_ARGS="--quick": a short smoke run).
bench: $(STAMP)
	@$(BYTECODE)
	$(PY) benchmarks/run.py $(BENCH_ARGS)

## Remove .venv and build leftovers.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
