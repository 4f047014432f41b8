# regnet-lab: `make demo` runs the main job on the embedded data, `make test` passes every test.
# Both install what they need, idempotently (Debian packages, a Python venv for test oracles).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP   := $(VENV)/bin/pip
STAMP := $(VENV)/.stamps
CARGO ?= cargo
# Python is only a test oracle here (numpy/scipy fixtures); the product is Rust.
PY_TEST_DEPS := numpy scipy

.PHONY: all test demo bench deps python-deps system-deps check fmt clean-venv

all: test

## Everything the tests need, installed once.
deps: python-deps system-deps

python-deps: $(STAMP)/python

$(STAMP)/python:
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check $(PY_TEST_DEPS)
	@mkdir -p $(STAMP) && touch $@

system-deps:
	@true

## All tests: unit, integration, doc examples; then the command line end to end.
test: deps
	$(CARGO) test --locked
	$(CARGO) build --locked --benches --examples

## The main job on embedded defaults.
demo:
	$(CARGO) run --locked --release --bin regnet-lab -- describe RegNetX-200MF
	$(CARGO) run --locked --release --bin regnet-lab -- sample AnyNetX_E -n 5 --seed 0 --flops 360M..400M

## Benchmarks print tables (targets are in README, not asserted in tests).
bench:
	$(CARGO) bench --locked --bench sampling

check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean-venv:
	rm -rf $(VENV)
