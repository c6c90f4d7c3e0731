# incidentd — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= examples/incidentd.toml
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench install clean help

help:
	@echo "make run    - start incidentd in the foreground on examples/incidentd.toml"
	@echo "make test   - install with test extras, lint, type-check and run every test"
	@echo "make bench  - ingest benchmark against bare aiohttp/aiosmtpd servers"
	@echo "make clean  - remove .venv and ./var"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/incidentd db upgrade --config $(CONFIG)
	exec $(BIN)/incidentd serve --config $(CONFIG)

lint: $(STAMP)
	$(BIN)/ruff check $(wildcard daemon parsers notifiers migrations tests bench)

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
