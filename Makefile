# Everything runs from .venv, created on first use; nothing is installed outside the checkout.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SPECTRAL := $(VENV)/node/node_modules/.bin/spectral
HOST   ?= 127.0.0.1
PORT   ?= 8080
REPORT_DIR ?= reports-out

.PHONY: install test lint typecheck unit run serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Spectral (npm) lints the specs with the spectral:oas ruleset; it lives inside .venv too.
$(SPECTRAL):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node @stoplight/spectral-cli@6.16.3

install: $(STAMP) $(SPECTRAL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(SPECTRAL)
	sh tools/ensure_chromium.sh >/dev/null
	sh tools/ensure_prism.sh >/dev/null
	$(BIN)/pytest

## The README's test command: lint, strict types, then the whole suite.
test: lint typecheck unit

## The README's main job: the mock plus a conformance run of all five APIs against it.
run: $(STAMP)
	$(BIN)/exportkit demo --report-dir $(REPORT_DIR)

## The mock alone, until Ctrl-C.
serve: $(STAMP)
	$(BIN)/exportkit serve --host $(HOST) --port $(PORT)

## Benchmarks of the mock against bare Starlette and Prism (installs wrk and Prism; ~8 minutes).
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(REPORT_DIR) .mypy_cache .ruff_cache
