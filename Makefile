# MASH Broker: `make demo` runs the whole path on a local broker; `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
MASH := $(BIN)/mash
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck broker-start broker-stop clean

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

lint: install
	$(BIN)/ruff check mash connectors tests
	$(BIN)/mypy mash connectors

broker-start: install
	$(MASH) broker start

broker-stop: install
	$(MASH) broker stop

clean:
	rm -rf $(VENV) build *.egg-info
