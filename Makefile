# AXIS for Jupyter — the two commands of the README are `make demo` and `make test`.
# Everything installs into .venv (Python from .python-version, i.e. 3.12).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
NODE_MODULES := widgets/node_modules/.package-lock.json
HUB_PROXY := tests/hub/node_modules/.bin/configurable-http-proxy
PYTEST_ARGS ?=

.PHONY: setup demo test widgets js-test bench clean

setup: $(STAMP) widgets $(HUB_PROXY)

# The editable install skips the packaging build hook (it would run npm as well): the
# widgets target below builds the bundle.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	SKIP_JUPYTER_BUILDER=1 $(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# npm packages from widgets/package-lock.json, again whenever the lock file changes
$(NODE_MODULES): widgets/package-lock.json
	cd widgets && npm ci --no-audit --no-fund
	touch $@

# The view front ends are ES modules bundled by esbuild into axis_jupyter/static/axis.js.
widgets: $(STAMP) $(NODE_MODULES)
	cd widgets && npm run --silent build

# Type-check the front end (tsc --checkJs) and run its unit tests (node --test).
js-test: $(NODE_MODULES)
	cd widgets && npm run --silent check && npm test --silent

# configurable-http-proxy for the JupyterHub tests (tests/hub), from its lockfile.
$(HUB_PROXY): tests/hub/package.json tests/hub/package-lock.json
	cd tests/hub && npm ci --no-audit --no-fund
	touch $@

# Opens JupyterLab on the quickstart with embedded defaults (no database, no API key).
# JupyterLab refuses to run as root unless told to (containers and CI boxes often are root).
demo: setup
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

# The layers contract first (pyproject.toml [tool.importlinter]): a face imported by the
# engine fails here in two seconds, not in a browser test minutes later.
test: setup js-test
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q $(PYTEST_ARGS)

bench: setup
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) widgets/node_modules tests/hub/node_modules axis_jupyter/static/*.js axis_jupyter/static/*.css axis_jupyter/static/*.map
