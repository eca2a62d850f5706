# Every command installs what it needs first: the project's own virtualenv (.venv, from
# requirements.lock) and the Node test client (tests/integration/client, from its package-lock.json).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CLIENT := tests/integration/client
CLIENT_INSTALLED := $(CLIENT)/node_modules/.package-lock.json
REFERENCE := bench/reference
REFERENCE_INSTALLED := $(REFERENCE)/node_modules/.package-lock.json

# Extra flags for `make bench`, e.g. BENCH_ARGS='--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres'.
BENCH_ARGS ?=
# Extra flags for `make reliability`, e.g. RELIABILITY_ARGS='--smoke' or '--checks faults,abort'.
RELIABILITY_ARGS ?=

.PHONY: bench-store serve check lint typecheck imports test bench reliability lock clean

serve: $(INSTALLED)
	$(BIN)/agui-runtime serve

check: lint typecheck imports test

lint: $(INSTALLED)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(INSTALLED)
	$(BIN)/mypy

imports: $(INSTALLED)
	$(BIN)/lint-imports

test: $(INSTALLED) $(CLIENT_INSTALLED) $(REFERENCE_INSTALLED)
	$(BIN)/pytest

# `src/` is installed as the package `agui_runtime` in setuptools' strict editable mode: a tree of links to
# the source files that mypy and every other tool can follow. A module added or removed needs a reinstall,
# so the install also depends on the folders of src/ (their times change when a file is added or removed).
SRC_DIRS := $(shell find src -type d -not -name __pycache__ 2>/dev/null)

$(INSTALLED): pyproject.toml requirements.lock $(SRC_DIRS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock \
		--config-settings editable_mode=strict -e '.[dev]'
	touch $@

$(CLIENT_INSTALLED): $(CLIENT)/package.json $(CLIENT)/package-lock.json
	npm ci --prefix $(CLIENT) --no-audit --no-fund

# The reference runtime the benchmark compares against (@copilotkit/runtime 1.10.6, Node).
$(REFERENCE_INSTALLED): $(REFERENCE)/package.json $(REFERENCE)/package-lock.json
	npm ci --prefix $(REFERENCE) --no-audit --no-fund

# This runtime beside the reference, on loopback against one mock LLM: scenarios (a)-(e) and a sweep, through
# the 1.10.6 client's wire protocol; writes the side-by-side table to bench/results/.
bench: $(INSTALLED) $(REFERENCE_INSTALLED)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The reliability suite against one server process: fuzzing, malformed input, an upstream fault matrix, an
# abort storm, a soak and poisoning checks; one PASS/FAIL line each, the report in bench/results/.
reliability: $(INSTALLED)
	$(BIN)/python -m bench.reliability $(RELIABILITY_ARGS)

bench-store: $(INSTALLED)
	$(BIN)/python -m bench.store --threads 100000 --samples 2000

# Re-resolve the pinned versions after changing the ranges in pyproject.toml.
lock: $(INSTALLED)
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --extra dev --strip-extras --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) $(CLIENT)/node_modules $(REFERENCE)/node_modules .mypy_cache .ruff_cache .pytest_cache
