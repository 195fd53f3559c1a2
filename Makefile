# Two commands for users: `make run` (set up, then run the bot) and `make test` (set up, then lint,
# type-check and test). Every target is idempotent: a second `make setup` is a no-op until
# pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp
# torch (pulled in by camel-tools) must be installed before the project, or pip resolves it to the
# multi-GB CUDA build. On the build machines `pip install torch==2.13.0` finds the CPU wheel on local
# disk; elsewhere pass the CPU index: make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_VERSION ?= 2.13.0
TORCH_INDEX   ?=

.DEFAULT_GOAL := help
.PHONY: help setup test lint typecheck unit run bench audit

help:
	@echo "make setup   create $(VENV) and install the project with its dev tools"
	@echo "make test    setup, then ruff, mypy and pytest"
	@echo "make run     setup, then python -m bot run"
	@echo "make bench   setup, then the summariser benchmarks (need ../shared)"
	@echo "make audit   setup, then pip-audit: known vulnerabilities in the installed dependencies"

setup: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "error: $(PYTHON) is older than 3.11; run make PYTHON=python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) 'torch==$(TORCH_VERSION)'
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

test: lint typecheck unit

lint: setup
	$(BIN)/ruff check .

typecheck: setup
	$(BIN)/mypy

# pytest exits 5 when it collects no test; make treats that as the failure it is.
unit: setup
	$(BIN)/python -m pytest

run: setup
	$(BIN)/python -m bot run

bench: setup
	$(BIN)/python -m bench.easc_rouge
	$(BIN)/python -m bench.ant_speed

# Fails when a dependency has a known vulnerability. A package the vulnerability service does not
# answer for is reported as skipped (as on machines that reach only a package mirror).
audit: setup
	$(BIN)/pip-audit --skip-editable --progress-spinner off
