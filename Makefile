# The two commands of the README: `make run` and `make test`. Each sets up what it needs.
# Python 3.11 to 3.13 (PYTHON=python3.13 make ... to choose one).
PYTHON ?= python3
VENV := .venv
MXNET_VENV := .venv-mxnet
BIN := $(VENV)/bin
PIP_FLAGS := --quiet --quiet --disable-pip-version-check
CONSTRAINTS := -c constraints.txt
# Tests that run a probed framework, or build a wheel, or drive a terminal (seconds each).
FAST := -m "not slow and not frameworks"

.PHONY: run test test-fast test-engine setup mxnet browser lint bench gpu-check clean

# Recommending needs only dlselect and its dependencies, not the frameworks.
run: $(VENV)/.engine
	$(BIN)/dlselect recommend

$(VENV)/.engine: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -e . $(CONSTRAINTS)
	touch $@

test: setup
	$(BIN)/python -m pytest

# The edit-test loop: the engine and the CLI, no framework imported (CI runs everything).
test-fast: $(VENV)/.stamp
	$(BIN)/python -m pytest $(FAST)

# The engine's tests under another Python, in an environment of their own:
#   make test-engine PYTHON=python3.13
ENGINE_VENV = .venv-engine-$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
test-engine:
	$(PYTHON) -m venv $(ENGINE_VENV)
	$(ENGINE_VENV)/bin/pip install $(PIP_FLAGS) -e . -r requirements-test.txt $(CONSTRAINTS)
	$(ENGINE_VENV)/bin/python -m pytest $(FAST)

setup: $(VENV)/.stamp mxnet browser

$(VENV)/.stamp: pyproject.toml requirements-dev.txt requirements-test.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -r requirements-dev.txt $(CONSTRAINTS)
	touch $@ $(VENV)/.engine

# MXNet 1.9.1 imports only with numpy <= 1.23.5, which has wheels up to Python 3.11: it gets an
# environment of its own, built with the newest Python <= 3.11 found on this machine (on PATH
# or in pyenv's versions folder). Without one, $(MXNET_VENV)/UNAVAILABLE says why, and the
# MXNet tests skip with that reason.
mxnet:
	@if [ -f $(MXNET_VENV)/.stamp ]; then exit 0; fi; \
	py=$$($(PYTHON) scripts/find_python.py --at-most 3.11 2>$(MXNET_VENV).why); \
	if [ -n "$$py" ]; then \
		echo "MXNet environment: $$py"; \
		rm -rf $(MXNET_VENV) $(MXNET_VENV).why && $$py -m venv $(MXNET_VENV) && \
		$(MXNET_VENV)/bin/pip install $(PIP_FLAGS) -r requirements-mxnet.txt && \
		touch $(MXNET_VENV)/.stamp; \
	else \
		mkdir -p $(MXNET_VENV) && \
		echo "MXNet unavailable: it needs Python <= 3.11 (numpy 1.23.5); $$(cat $(MXNET_VENV).why)" \
			> $(MXNET_VENV)/UNAVAILABLE && rm -f $(MXNET_VENV).why && cat $(MXNET_VENV)/UNAVAILABLE; \
	fi

# The HTML report's browser tests drive Debian's Chromium through its chromedriver (Selenium,
# pinned in requirements-dev.txt). As root (CI) they are installed here; otherwise the tests
# skip and name the command to run.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver; \
	else \
		echo "Chromium missing: the browser tests will skip (as root: apt-get install -y" \
			"--no-install-recommends chromium chromium-driver)"; \
	fi

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

lint: $(VENV)/.stamp
	$(BIN)/ruff check selector probes tests benchmarks scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(MXNET_VENV) .venv-gpu .venv-engine-* build dist
