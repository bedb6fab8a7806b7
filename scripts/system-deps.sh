#!/usr/bin/env bash
# What `make test` needs beyond Python, on a Debian machine: Chromium and its driver, the
# PostgreSQL and Redis clients and server, node and npm, python3-venv. Installs whatever is
# missing (as root, or through sudo when not root; nothing is asked for when all is there),
# starts a local PostgreSQL cluster if one is installed but down, and a Redis server if none
# answers on 127.0.0.1:6379 (nothing saved to disk). Safe to run again: it then does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "Needs root (or sudo) to run: $*" >&2
    return 1
  fi
}

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v pg_isready >/dev/null || need+=(postgresql-client)
command -v make >/dev/null || need+=(make)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
python3 -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "The tests need: ${need[*]} (Debian package names). Install them and run again." >&2
    exit 1
  fi
  echo "Installing: ${need[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# PostgreSQL is normally started by the machine; start a local cluster if it is installed but down.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if [ -n "$version" ]; then
    echo "Starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 20); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
  fi
fi

# Redis: the store the sign-in limits share across gunicorn workers (one test runs three).
# Start one if nothing answers on 6379, as whoever runs this; nothing is saved to disk.
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && mkdir -p /var/lib/redis /var/log/redis 2>/dev/null; then
    redis_dir=/var/lib/redis
    redis_log=/var/log/redis/ci.log
  else
    redis_dir=$(mktemp -d)  # no system folders to write to: a private one will do
    redis_log="$redis_dir/redis.log"
  fi
  echo "Starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir "$redis_dir" --logfile "$redis_log"
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || echo "redis-server did not start: see $redis_log" >&2
fi
exit 0
