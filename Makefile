# govmon — the two commands that matter: `make demo` and `make test`.
# Everything installs itself: a virtualenv in .venv, Kafka jars in ~/.cache/govmon.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/pytest -p no:cacheprovider
# The compiled pass 1 of `govmon replay` (native/, Rust) needs cargo; NATIVE=0 leaves it
# out (and uninstalls it): replay then takes its Python path, same output, about half
# the speed, and tests/unit/rules/test_replay_native.py is skipped.
NATIVE ?= 1
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)-native$(NATIVE)
export PATH := $(PATH):$(HOME)/.cargo/bin

.PHONY: install up down status clean demo test lint typecheck native-test unit integration e2e bench soak

install: $(STAMP)

$(STAMP): pyproject.toml $(addprefix native/,pyproject.toml Cargo.toml Cargo.lock govmon_scan.pyi) \
          $(wildcard native/src/*.rs)
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "govmon needs Python 3.11, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
ifeq ($(NATIVE),1)
	$(BIN)/pip install --quiet ./native
else
	$(BIN)/pip uninstall --quiet --yes govmon-scan
endif
	rm -f $(VENV)/.installed-* && touch $@

up: install
	$(BIN)/govmon up

# Stopping must not wait for (or fail on) a reinstall after a pull: an installed
# `govmon` is enough; only a fresh clone installs first.
$(BIN)/govmon:
	$(MAKE) install

down: | $(BIN)/govmon
	$(BIN)/govmon down

status: | $(BIN)/govmon
	$(BIN)/govmon status

clean: | $(BIN)/govmon
	$(BIN)/govmon clean

demo: install
	$(BIN)/python -m govmon.demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(PYTEST) -q tests/unit

integration: install
	$(PYTEST) -q -m "integration and not soak" tests/integration

e2e: install
	$(PYTEST) -q -m "e2e and not soak" tests/e2e

# One pytest run for all layers so the real servers start once; soak runs are separate.
test: lint typecheck native-test
	$(PYTEST) -q -m "not soak" --durations=15 tests

# The scanner's own Rust unit tests (its Python-facing tests are in tests/unit).
native-test: install
ifeq ($(NATIVE),1)
	cd native && cargo test --release --quiet
endif

bench: install
	$(BIN)/python bench/bench_replay.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_ingest.py

soak: install
	$(PYTEST) -q -m soak tests
