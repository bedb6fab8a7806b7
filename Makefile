# Two commands do all set-up: `make run` (app, demo data, mail worker on :5000) and
# `make test` (lint, then the suite on SQLite and on PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432

.PHONY: run test test-sqlite test-postgres test-deps lint format install migrate demo mail clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

# Mozilla's ical.js (Thunderbird's parser), which the calendar tests read feeds with.
CALENDAR_JS := tests/calendar/js
$(CALENDAR_JS)/node_modules/.package-lock.json: $(CALENDAR_JS)/package-lock.json
	npm ci --prefix $(CALENDAR_JS) --no-audit --no-fund --silent

install: $(BIN)/activate

# What only the tests need beyond the app: node packages for the calendar parsers.
test-deps: install $(CALENDAR_JS)/node_modules/.package-lock.json

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

run: demo
	bash scripts/run.sh

mail: install
	$(FLASK) mail send --watch

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: test-deps
	CONVENE_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: test-deps
	CONVENE_TEST_DB=postgresql CONVENE_TEST_PG=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint test-deps
	bash scripts/test.sh

clean:
	rm -rf $(VENV) instance $(CALENDAR_JS)/node_modules
