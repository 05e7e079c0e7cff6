# Relais — `make help` lists the targets.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup run test test-sqlite test-postgres lint bench translations clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/relais: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[bench]'
	@touch $@

setup: $(BIN)/relais ## Create the virtualenv and install Relais with its test tools

run: $(BIN)/relais ## Run Relais on SQLite with the sandbox platform (http://127.0.0.1:5001)
	RELAIS_SANDBOX=true $(BIN)/relais run --host localhost --port $(PORT)

test: $(BIN)/relais ## Run every test, on SQLite and on PostgreSQL (installs Chromium if missing)
	scripts/ensure-test-services
	$(BIN)/python -m pytest
	RELAIS_TEST_DATABASE_URL=$${RELAIS_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -m "not browser" tests/service

lint: $(BIN)/relais ## ruff and mypy (strict on lti/ and plugin/)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/relais ## Measure launch validation, HTTP launches and the directory; prints a table
	$(BIN)/python -m benchmarks

translations: $(BIN)/relais ## Extract, update and compile the gettext catalogues
	$(BIN)/pybabel extract -F babel.cfg -o service/translations/messages.pot .
	$(BIN)/pybabel update -i service/translations/messages.pot -d service/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d service/translations

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) instance
