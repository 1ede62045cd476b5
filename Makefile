# AXIS for Jupyter — the two commands of the README are `make demo` and `make test`.
# Everything installs into .venv (Python from .python-version, i.e. 3.12).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
BUNDLE := axis_jupyter/static/scorecard.js
HUB_PROXY := tests/hub/node_modules/.bin/configurable-http-proxy
PYTEST_ARGS ?=

.PHONY: setup demo test widgets bench clean

setup: $(STAMP) widgets $(HUB_PROXY)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# The widget front ends are ES modules bundled by esbuild into axis_jupyter/static/.
widgets: $(STAMP)
	@if [ -f widgets/package.json ]; then \
	  cd widgets && (test -d node_modules || npm ci --no-audit --no-fund) && npm run --silent build; \
	fi

# configurable-http-proxy for the JupyterHub tests (tests/hub), from its lockfile.
$(HUB_PROXY): tests/hub/package.json tests/hub/package-lock.json
	cd tests/hub && npm ci --no-audit --no-fund
	touch $@

# Opens JupyterLab on the quickstart with embedded defaults (no database, no API key).
# JupyterLab refuses to run as root unless told to (containers and CI boxes often are root).
demo: setup
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) widgets/node_modules tests/hub/node_modules axis_jupyter/static/*.js axis_jupyter/static/*.css
