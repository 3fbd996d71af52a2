# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
MXNET_VENV := .venv-mxnet
BIN := $(VENV)/bin
PIP_FLAGS := --quiet --quiet --disable-pip-version-check

.PHONY: run test setup lint bench clean

run: setup
	$(BIN)/dlselect recommend

test: setup
	$(BIN)/python -m pytest

setup: $(VENV)/.stamp $(MXNET_VENV)/.stamp

$(VENV)/.stamp: pyproject.toml requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-dev.txt
	touch $@

$(MXNET_VENV)/.stamp: requirements-mxnet.txt
	$(PYTHON) -m venv $(MXNET_VENV)
	$(MXNET_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-mxnet.txt
	touch $@

bench: setup
	$(BIN)/python benchmarks/run.py

lint: setup
	$(BIN)/ruff check selector probes tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(MXNET_VENV) build dist
