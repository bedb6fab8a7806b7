#!/usr/bin/env bash
# The whole suite: once on SQLite, once on PostgreSQL, the two passes side by side (each
# pass has its own database, SMTP server, browser and Redis keys). Outside CI a missing
# PostgreSQL is reported and its pass left out; with CI=true it is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

status=0
CONVENE_TEST_DB=sqlite $BIN/python -m pytest -m "not postgres_only" ${PYTEST_ARGS:-} \
  >"$logs/sqlite" 2>&1 &
sqlite_pid=$!

pg_pid=""
if $BIN/python scripts/pg_ready.py "$PG_URL"; then
  CONVENE_TEST_DB=postgresql CONVENE_TEST_PG="$PG_URL" $BIN/python -m pytest ${PYTEST_ARGS:-} \
    >"$logs/postgresql" 2>&1 &
  pg_pid=$!
elif [ "${CI:-}" = "true" ]; then
  echo "FAILED: PostgreSQL is not reachable at $PG_URL, and CI needs the PostgreSQL pass." >&2
  status=1
else
  echo "NOTE: PostgreSQL is not reachable at $PG_URL: its pass (including the race tests) did not run." >&2
fi

echo "== pass 1 of 2: SQLite"
wait "$sqlite_pid" || status=1
cat "$logs/sqlite"
if [ -n "$pg_pid" ]; then
  echo "== pass 2 of 2: PostgreSQL"
  wait "$pg_pid" || status=1
  cat "$logs/postgresql"
fi
exit $status
