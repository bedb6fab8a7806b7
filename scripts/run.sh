#!/usr/bin/env bash
# `make run`: the app on http://$HOST:$PORT and, beside it, the mail worker, which in
# development writes each email to instance/mail/ as an .eml file (MAIL_TRANSPORT=folder).
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
# This machine only, by default: the demo accounts' password is in the README, and with no
# proxy in front (PROXY_COUNT=0) nothing here should be reachable from the network.
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}

$BIN/flask --app wsgi mail send --watch --interval 2 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM

echo "Convene on http://$HOST:$PORT  (demo accounts: see README.md; password convene-demo)"
$BIN/gunicorn --bind "$HOST:$PORT" --workers 2 --access-logfile - wsgi:app
