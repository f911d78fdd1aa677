# MASH Broker: `make demo` runs the whole path on a local broker; `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MASH := $(BIN)/mash
STAMP := $(VENV)/.installed
SOURCES := mash connectors tests

.PHONY: install demo test test-unit check lint format typecheck broker-start broker-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The whole path: broker, topics, records, worker and sink, referrals from every agency, the
# routed queues and the decision log (see `mash demo --help`).
demo: install
	$(MASH) demo

test: install
	$(BIN)/pytest -q

# The domain, codecs, rules, audit and hub without a broker: about a minute and a half.
test-unit: install
	$(BIN)/pytest -q tests/unit

# What CI runs first and the pre-commit hooks run on every commit: lint, format, types.
check: lint typecheck

lint: install
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)

format: install
	$(BIN)/ruff check --fix $(SOURCES)
	$(BIN)/ruff format $(SOURCES)

# mypy over the whole package; mash.domain and mash.audit in strict mode (pyproject.toml).
typecheck: install
	$(BIN)/mypy mash connectors

broker-start: install
	$(MASH) broker start

broker-stop: install
	$(MASH) broker stop

clean:
	rm -rf $(VENV) build *.egg-info
