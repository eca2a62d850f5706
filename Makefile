# Every command installs what it needs first: the project's own virtualenv (.venv, from
# requirements.lock) and the Node test client (tests/integration/client, from its package-lock.json).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CLIENT := tests/integration/client
CLIENT_INSTALLED := $(CLIENT)/node_modules/.package-lock.json

.PHONY: bench-store serve check lint typecheck imports test bench lock clean

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

test: $(INSTALLED) $(CLIENT_INSTALLED)
	$(BIN)/pytest

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

$(CLIENT_INSTALLED): $(CLIENT)/package.json $(CLIENT)/package-lock.json
	npm ci --prefix $(CLIENT) --no-audit --no-fund

# N tokens from a fast mock LLM through a real server; prints tokens/s, time to first token, CPU per token.
bench: $(INSTALLED)
	$(BIN)/python -m bench.chat_stream --tokens 2000 --runs 3

bench-store: $(INSTALLED)
	$(BIN)/python -m bench.store --threads 100000 --samples 2000

# Re-resolve the pinned versions after changing the ranges in pyproject.toml.
lock: $(INSTALLED)
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --extra dev --strip-extras --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) $(CLIENT)/node_modules .mypy_cache .ruff_cache .pytest_cache
