#!/usr/bin/env bash
# The address `make run` serves, for links in mail and feeds: $BASE_URL if set, else
# http://$HOST:$PORT (127.0.0.1:5000 by default; a server on every interface is linked to as
# this machine, an IPv6 address in brackets).
set -euo pipefail
if [ -n "${BASE_URL:-}" ]; then
  echo "$BASE_URL"
  exit 0
fi
host=${HOST:-127.0.0.1}
case "$host" in
  0.0.0.0 | :: | "[::]") host=127.0.0.1 ;;
  \[*) ;;
  *:*) host="[$host]" ;;
esac
echo "http://$host:${PORT:-5000}"
