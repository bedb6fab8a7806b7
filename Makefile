# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432

.PHONY: run test test-sqlite test-postgres lint format install migrate demo mail clean

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/activate

# Mozilla's ical.js (Thunderbird's parser), which the calendar tests read feeds with.
CALENDAR_JS := tests/calendar/js
$(CALENDAR_JS)/node_modules/.package-lock.json: $(CALENDAR_JS)/package-lock.json
	npm ci --prefix $(CALENDAR_JS) --no-audit --no-fund --silent

install: $(BIN)/activate $(CALENDAR_JS)/node_modules/.package-lock.json

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo load

run: demo
	$(BIN)/gunicorn --bind 127.0.0.1:5000 --workers 2 --access-logfile - wsgi:app

mail: install
	$(FLASK) mail send --watch

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: install
	CONVENE_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	CONVENE_TEST_DB=postgresql CONVENE_TEST_PG=$(PG_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint
	bash scripts/test.sh

clean:
	rm -rf $(VENV) instance
