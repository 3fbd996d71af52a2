# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
MXNET_VENV := .venv-mxnet
BIN := $(VENV)/bin
PIP_FLAGS := --quiet --quiet --disable-pip-version-check

.PHONY: run test setup lint bench gpu-check clean

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

# On a machine with an NVIDIA GPU: GPU builds of the frameworks in their own environment, then
# the checks of benchmarks/gpu_check.py (under 5 minutes).
gpu-check: .venv-gpu/.stamp
	.venv-gpu/bin/python benchmarks/gpu_check.py --python .venv-gpu/bin/python

.venv-gpu/.stamp: pyproject.toml requirements-gpu.txt
	$(PYTHON) -m venv .venv-gpu
	.venv-gpu/bin/pip install $(PIP_FLAGS) -r requirements-gpu.txt
	touch $@

lint: setup
	$(BIN)/ruff check selector probes tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(MXNET_VENV) .venv-gpu build dist
