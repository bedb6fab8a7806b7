#!/usr/bin/env bash
# `make run`: apply the migrations, load the demo network if the database is empty, then
# serve the app on http://$HOST:$PORT with, beside it, the mail worker, which in development
# writes each email to instance/mail/ as an .eml file (MAIL_TRANSPORT=folder).
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# This machine only, by default: the demo accounts' password is in the README, and with no
# proxy in front (PROXY_COUNT=0) nothing here should be reachable from the network.
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
case "$HOST" in
  \[*) bind=$HOST ;;
  *:*) bind="[$HOST]" ;;  # an IPv6 address, in brackets
  *) bind=$HOST ;;
esac
# Links in mail and feeds (the demo's mail too) point at the address served, unless
# BASE_URL says otherwise.
BASE_URL=$(HOST=$HOST PORT=$PORT bash scripts/base-url.sh)
export BASE_URL

# The migrations' log only if they fail.
if ! log=$($BIN/flask --app wsgi db upgrade 2>&1); then
  echo "$log" >&2
  exit 1
fi
$BIN/flask --app wsgi demo load

$BIN/flask --app wsgi mail send --watch --interval 2 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo "Convene on http://$bind:$PORT, links in mail and feeds to $BASE_URL"
echo "(demo accounts: see README.md; password convene-demo)"
$BIN/gunicorn --bind "$bind:$PORT" --workers 2 --access-logfile - wsgi:app
