# regnet-lab: `make demo` runs the main job on the embedded data, `make test` passes every test.
# Both install what they need, idempotently (a Debian package, a Python venv for test oracles).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
PIP   := $(VENV)/bin/pip
STAMP := $(VENV)/.stamps
CARGO ?= cargo
BIN   := target/release/regnet-lab
# Python is only a test oracle and benchmark peer here; the product is Rust.
#   numpy/scipy: the stats oracle; torch/torchvision/safetensors: the torchvision equivalence test.
PY_TEST_DEPS := numpy scipy torch torchvision safetensors nbclient nbformat jupyter_client
# Notebooks run headless through the real evcxr kernel, registered inside the venv.
EVCXR  := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin/evcxr_jupyter
KERNEL := $(VENV)/share/jupyter/kernels/rust/kernel.json
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz

.PHONY: all test rust-test notebooks demo bench deps python-deps system-deps check fmt oracles clean-venv \
        check-cuda cuda-toolkit cuda-compiles

all: test

## Everything the tests need, installed once.
deps: python-deps system-deps

python-deps: $(STAMP)/python

$(STAMP)/python:
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check $(PY_TEST_DEPS)
	@mkdir -p $(STAMP) && touch $@

## Full Fashion-MNIST from Debian (the embedded subset needs nothing).
system-deps: $(FASHION_MNIST)

$(FASHION_MNIST):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist

## All tests: unit, integration, doc examples; benches and examples build; notebooks execute;
## the cuda feature compiles.
test: rust-test notebooks cuda-compiles

rust-test: deps
	$(CARGO) test --locked
	$(CARGO) build --locked --benches --examples

$(EVCXR):
	$(CARGO) install evcxr_jupyter --locked --version 0.22.0

$(KERNEL): $(EVCXR) $(STAMP)/python
	JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter $(EVCXR) --install

## Every notebook at `smoke` budget through the evcxr kernel; any cell error or stderr fails.
notebooks: $(KERNEL)
	JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter REGNET_LAB_BUDGET=smoke $(PY) scripts/run_notebooks.py

## The main job on the embedded data: a small AnyNetX_A sweep, trained briefly, into out/.
## Built with the release profile: the dev profile's debug assertions keep the crate off its
## fastest kernels (README, "Performance"), and candle costs the same to compile either way.
demo:
	$(CARGO) build --locked --release --bin regnet-lab
	$(BIN) describe RegNetX-200MF
	$(BIN) sweep AnyNetX_A -n 8 --sample-seed 0 --dataset embedded --flops 1M..6M \
	    --epochs 3 --batch-size 64 --lr 0.1 --time-budget 5m --out out/demo-anynetx-a
	@echo "records: out/demo-anynetx-a/results.jsonl (run 'make demo' again to resume or extend)"

## Benchmarks print tables (targets are in README, not asserted in tests).
bench:
	$(CARGO) bench --locked --bench sampling
	$(CARGO) bench --locked --bench stats
	$(CARGO) bench --locked --bench train_step
	$(CARGO) build --locked --release --bin regnet-lab
	$(MAKE) python-deps
	scripts/bench_sweep.sh target/release/regnet-lab

## Regenerate the committed numpy/scipy fixtures of the stats tests and Pillow's resamplings.
oracles: python-deps
	$(PY) tests/oracle/stats_oracle.py
	$(PY) tests/oracle/resize_oracle.py

## The `cuda` feature builds on a machine with no GPU (issue #10): CUDA 13.0's nvcc, headers and
## the libraries candle links, from NVIDIA's PyPI wheels, into .cuda/ (~1.2 GB, installed once),
## then the library, binaries, tests and examples with `--features cuda`. Why 13.0, the wheels and
## the libcuda stub: scripts/install_cuda_toolkit.sh. The binaries built here need a GPU
## machine's driver (libcuda.so.1) and CUDA 13 libraries to start: this builds, it runs nothing.
CUDA_DIR  := .cuda
CUDA_ROOT := $(CURDIR)/$(CUDA_DIR)/nvidia/cu13
# Hopper (H100/H200); candle's kernels are compiled for this one architecture (sm_90a).
CUDA_COMPUTE_CAP ?= 90
# cudaforge compiles candle's kernels on half the cores unless told otherwise.
CUDA_ENV  := CUDA_HOME=$(CUDA_ROOT) PATH=$(CUDA_ROOT)/bin:$$PATH CUDA_COMPUTE_CAP=$(CUDA_COMPUTE_CAP) \
             CUDAFORGE_THREADS=$$(nproc)

cuda-toolkit: $(CUDA_DIR)/.installed-13.0.2

$(CUDA_DIR)/.installed-13.0.2: scripts/install_cuda_toolkit.sh
	@test -x $(PY) || python3 -m venv $(VENV)
	scripts/install_cuda_toolkit.sh $(CUDA_DIR) $(PIP)

check-cuda: cuda-toolkit
	$(CUDA_ENV) $(CARGO) build --locked --features cuda --bins --tests --examples

## What `make test` proves about the cuda feature on every run: the library, the CLI and the
## examples (the GPU check among them) compile, candle's kernels included. Cheaper than
## check-cuda (no linking, no test binaries: ~8 GB less in target/).
cuda-compiles: cuda-toolkit
	$(CUDA_ENV) $(CARGO) check --locked --features cuda --lib --bins --examples

check:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean-venv:
	rm -rf $(VENV)
