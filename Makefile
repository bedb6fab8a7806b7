# Two commands do all set-up: `make run` (app, demo data, mail worker on http://$HOST:$PORT,
# 127.0.0.1:5000 by default) and `make test` (system packages and services if missing, lint,
# then the suite on SQLite and on PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432
# Quiet: errors only (no progress, no warnings from the build of the editable install).
PIP := $(BIN)/pip install -qq --disable-pip-version-check
# What running needs (Convene and its dependencies), and on top of it what tests and lint need.
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: run test test-sqlite test-postgres test-deps system-deps lint format install migrate demo mail clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(DEV): $(RUNTIME) pyproject.toml
	$(PIP) -e '.[dev]'
	touch $@

# Chromium, the services' clients, node; PostgreSQL and Redis started if they are down.
system-deps:
	bash scripts/system-deps.sh

# Mozilla's ical.js (Thunderbird's parser), which the calendar tests read feeds with.
CALENDAR_JS := tests/calendar/js
$(CALENDAR_JS)/node_modules/.package-lock.json: $(CALENDAR_JS)/package-lock.json | system-deps
	npm ci --prefix $(CALENDAR_JS) --no-audit --no-fund --silent

install: $(DEV)

# What only the tests need beyond the app: the test tools, system packages, node packages.
test-deps: system-deps $(DEV) $(CALENDAR_JS)/node_modules/.package-lock.json

migrate: $(RUNTIME)
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

# Migrates, loads the demo if the database is empty, and serves (scripts/run.sh).
run: $(RUNTIME)
	@bash scripts/run.sh

mail: $(RUNTIME)
	$(FLASK) mail send --watch

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(DEV)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: test-deps
	CONVENE_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: test-deps
	CONVENE_TEST_DB=postgresql CONVENE_TEST_PG=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: test-deps lint
	bash scripts/test.sh

clean:
	rm -rf $(VENV) instance $(CALENDAR_JS)/node_modules
