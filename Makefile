# One entry point for set-up, checks and the demo; a fresh machine needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEMO_STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean help-text

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(DEMO_STAMP)

# Never resets the sandbox: that would wipe someone's practice state. A new sandbox seeds itself.
demo: $(DEMO_STAMP)
	$(BIN)/oncall --sandbox schedule new --split=2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

unit: $(STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/schedule.py
	$(BIN)/python benchmarks/whoisoncall.py
	$(BIN)/python benchmarks/network.py

clean:
	rm -rf $(VENV) build src/*.egg-info

help-text: $(STAMP)
	$(BIN)/python -m oncall_cli.cli.reference
