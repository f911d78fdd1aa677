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

# For now: a running broker with every MASH topic, listed. Later issues grow this into the full
# end-to-end demo (publish, route, queues, audit).
demo: install
	$(MASH) broker start
	$(MASH) topics create
	$(MASH) topics list

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
