# Two commands a newcomer needs: `make run` and `make test`. Python 3.11+, pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench lint clean

# Installs print errors only (-qq): pip's warnings here are about this machine's own pip
# configuration and setuptools' notice for editable installs of a flat layout, not about
# Dandong, and they buried the console banner under screens of text.
PIP := $(BIN)/python -m pip install -qq --disable-pip-version-check

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Dandong into $(VENV) (first run only)…"
	@$(PIP) -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	@echo "Installing Dandong and its test tools into $(VENV)…"
	@$(PIP) -e '.[test,bench]'
	@touch $@ $(STAMP)

## run: the Discord bot when DISCORD_TOKEN is set, otherwise the local console
run: $(STAMP)
	@if [ -n "$$DISCORD_TOKEN" ] || grep -qs '^DISCORD_TOKEN=..*' .env; then \
		exec $(BIN)/dandong serve; \
	else \
		echo "No DISCORD_TOKEN set: starting the local console (Ctrl-D to quit)."; \
		exec $(BIN)/dandong console; \
	fi

## test: install the test extra and run the whole suite
test: $(TEST_STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest -q

## bench: measure latency, scale and memory; writes bench/out/results.json and report.md
bench: $(TEST_STAMP)
	$(BIN)/python -m bench.run

lint: $(TEST_STAMP)
	$(BIN)/python -m ruff check .

clean:
	rm -rf $(VENV) knowledge.db state.db .pytest_cache
