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
	PY=$(BIN)/python scripts/test-all

lint: $(BIN)/relais ## ruff and mypy (strict on lti/ and plugin/)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BIN)/relais ## Measure launch validation, HTTP launches and the directory; prints a table
	$(BIN)/python -m benchmarks

# Lazy strings (`_l`, `lazy_gettext`) are read at import time, so they need their own keywords.
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2
CATALOGUES := service/translations
TRANSLATED := ar en pt tr

translations: $(BIN)/relais ## Extract the French strings, update every catalogue, compile the .mo
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --project=Relais --copyright-holder=Relais \
		--msgid-bugs-address= --sort-by-file -o $(CATALOGUES)/messages.pot .
	@for lang in fr $(TRANSLATED); do \
		test -f $(CATALOGUES)/$$lang/LC_MESSAGES/messages.po || \
		$(BIN)/pybabel init -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) -l $$lang; \
	done
	$(BIN)/pybabel update -i $(CATALOGUES)/messages.pot -d $(CATALOGUES) --no-fuzzy-matching \
		--ignore-obsolete
	$(BIN)/pybabel compile -d $(CATALOGUES) --statistics

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) instance
