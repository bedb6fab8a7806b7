"""With a shared store (Redis), the sign-in limits hold across gunicorn workers: the 429
comes at the configured count whichever worker process answers each attempt."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.conftest import PASSWORD

REDIS_URL = os.environ.get("CONVENE_TEST_REDIS", "redis://127.0.0.1:6379/0")
WORKERS = 3
# Which worker takes a connection is up to the kernel, and one may take them all; a worker
# that is replaced after this many requests makes the attempts span several processes.
REQUESTS_PER_WORKER = 4
ADDRESS_LIMIT = 6  # failed sign-ins per client address, whatever the email
EMAIL_LIMIT = 5  # failed sign-ins per email, whatever the address

SERVED_APP = """\
import json, os
from convene import create_app
app = create_app(json.loads(os.environ["CONVENE_SERVED_CONFIG"]))
"""


@pytest.fixture
def redis_store():
    """The Redis database the workers share, and a key prefix of this test's own."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (.ci/run starts redis-server)")
        pytest.skip(message)
    prefix = f"convene-test-{uuid.uuid4().hex[:12]}"
    yield client, prefix
    keys = list(client.scan_iter(match=f"*{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path, database_url, redis_store, app):
    """`gunicorn -w 3` serving Convene on a free port, against the test database."""
    _, prefix = redis_store
    (tmp_path / "served_app.py").write_text(SERVED_APP)
    config = {
        "SECRET_KEY": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "MAIL_TRANSPORT": "console",
        "PROXY_COUNT": 1,  # X-Forwarded-For stands for the addresses of many clients
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "SIGN_IN_RATE_LIMIT": "1000 per minute",
        "SIGN_IN_ADDRESS_RATE_LIMIT": f"{ADDRESS_LIMIT} per 10 minutes",
        "SIGN_IN_EMAIL_RATE_LIMIT": f"{EMAIL_LIMIT} per 10 minutes",
    }
    env = os.environ | {
        "CONVENE_ENV": "testing",
        "CONVENE_INSTANCE": str(tmp_path / "instance"),
        "CONVENE_SERVED_CONFIG": json.dumps(config),
    }
    port = _free_port()
    access_log = tmp_path / "access.log"
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(WORKERS),
            "--max-requests",
            str(REQUESTS_PER_WORKER),
            "--bind",
            f"127.0.0.1:{port}",
            "--pythonpath",
            str(tmp_path),
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(p)s %(m)s %(s)s",
            "served_app:app",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "gunicorn.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    try:
        _wait_until_serving(port, process, tmp_path / "gunicorn.log")
        yield port, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()}")
        booted = log.read_text().count("Booting worker")
        if booted >= WORKERS:
            try:
                if _request(port, "GET", "/sign-in")[0] == 200:
                    time.sleep(0.3)  # let the other workers finish loading the app
                    return
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer: {log.read_text()}")


def _request(port: int, method: str, path: str, form=None, address=None) -> tuple[int, str]:
    """One request on a connection of its own (so that any worker may take it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Connection": "close"}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if address:
        headers["X-Forwarded-For"] = address
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _sign_in(port: int, email: str, password: str, address: str) -> int:
    return _request(port, "POST", "/sign-in", {"email": email, "password": password}, address)[0]


def test_sign_in_limits_hold_across_gunicorn_workers(gunicorn, make_member):
    member = make_member()
    port, access_log = gunicorn

    # Password spraying: one address, a new email each time.
    sprayer = "203.0.113.7"
    for n in range(ADDRESS_LIMIT):
        assert _sign_in(port, f"target{n}@example.org", "Winter2026!", sprayer) == 200, n
    assert _sign_in(port, f"target{ADDRESS_LIMIT}@example.org", "Winter2026!", sprayer) == 429
    assert _sign_in(port, member.email, PASSWORD, sprayer) == 429  # even the right password
    assert _sign_in(port, member.email, PASSWORD, "198.51.100.1") == 302  # others get in

    # Guessing one account's password from many addresses.
    for n in range(EMAIL_LIMIT):
        assert _sign_in(port, member.email, f"guess {n}", f"192.0.2.{n + 1}") == 200, n
    assert _sign_in(port, member.email, PASSWORD, "192.0.2.200") == 429

    expected = ADDRESS_LIMIT + EMAIL_LIMIT + 4
    posts = _logged_posts(access_log, expected)
    workers = {pid for pid, _method, _status in posts}
    assert len(workers) >= -(-expected // REQUESTS_PER_WORKER), posts


def _logged_posts(access_log: Path, expected: int) -> list[list[str]]:
    """The POST lines of the access log (`pid method status`), once all are written."""
    deadline = time.monotonic() + 5
    while True:
        lines = access_log.read_text().splitlines()
        posts = [line.split() for line in lines if " POST " in line]
        if len(posts) >= expected or time.monotonic() > deadline:
            assert len(posts) == expected, posts
            return posts
        time.sleep(0.05)
