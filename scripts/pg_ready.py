"""Exit 0 when PostgreSQL answers at the given URL, 1 (with the reason) when it does not."""

import sys

import psycopg

url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url + "/postgres", connect_timeout=3).close()
except psycopg.Error as exc:
    print(f"PostgreSQL unreachable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
