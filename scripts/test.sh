#!/usr/bin/env bash
# The whole suite: once on SQLite, once on PostgreSQL. Outside CI a missing PostgreSQL is
# reported and its pass left out; with CI=true it is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432}

status=0
echo "== pass 1 of 2: SQLite"
CONVENE_TEST_DB=sqlite $BIN/python -m pytest -m "not postgres_only" ${PYTEST_ARGS:-} || status=1

if $BIN/python scripts/pg_ready.py "$PG_URL"; then
  echo "== pass 2 of 2: PostgreSQL"
  CONVENE_TEST_DB=postgresql CONVENE_TEST_PG="$PG_URL" $BIN/python -m pytest ${PYTEST_ARGS:-} || status=1
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: PostgreSQL is not reachable at $PG_URL, and CI needs the PostgreSQL pass." >&2
  status=1
else
  echo "NOTE: PostgreSQL is not reachable at $PG_URL: its pass (including the race tests) did not run." >&2
fi
exit $status
