# One command each: `make demo` runs omc on the embedded default, `make test` runs every check.
# Both create .venv and install what they need, so they work on a fresh machine.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LATEST_VENV ?= .venv-latest
DEMO_HOME ?= $(CURDIR)/.demo-home

.PHONY: install demo test test-latest constraints lint format bench clean

# Installs exactly the versions in constraints.txt, the ones CI tests.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_HOME)
	env -u OMC_DATABASE_URL -u OMC_REDIS_URL OMC_HOME=$(DEMO_HOME) $(BIN)/python -m omc.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

# The newest releases pyproject.toml's ranges admit, in a separate venv: does main still pass?
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST_VENV)/bin/python -m pip freeze --exclude-editable
	$(LATEST_VENV)/bin/python -m pytest

# Rewrite constraints.txt from the environment `make test-latest` built (after it passed).
constraints:
	test -x $(LATEST_VENV)/bin/python || { echo "run make test-latest first" >&2; exit 1; }
	{ sed -n '/^#/p' constraints.txt; \
	  $(LATEST_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_help.py

clean:
	rm -rf $(VENV) $(LATEST_VENV) $(DEMO_HOME) .pytest_cache .ruff_cache
