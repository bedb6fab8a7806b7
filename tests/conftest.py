"""Shared fixtures: an app on SQLite or PostgreSQL, factories, a real SMTP server, a browser.

CONVENE_TEST_DB=sqlite (default) or postgresql picks the backend for the whole run;
CONVENE_TEST_PG is the server's URL without a database name. Each run gets a fresh database.
"""

import asyncio
import email
import email.policy
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall

import pytest
from aiosmtpd.controller import Controller
from flask import g, request_started
from flask_login import FlaskLoginClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from werkzeug.routing import Rule

from convene import create_app
from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.accounts.passwords import hash_password
from convene.convenings.models import Call, CallStatus, Series, SeriesHost, SeriesSkip
from convene.demo import load_demo
from convene.extensions import db

os.environ["CONVENE_ENV"] = "testing"
BACKEND = os.environ.get("CONVENE_TEST_DB", "sqlite")
PG_URL = os.environ.get("CONVENE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
PASSWORD = "correct horse battery"


def pytest_report_header(config):
    return f"convene database backend: {BACKEND}"


def _uses_the_database(item) -> bool:
    return "database_url" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    """On SQLite, tests that need PostgreSQL's concurrency are deselected (not skipped), and
    the slow ones that run once, in the PostgreSQL pass (the fuzz test and the browser
    journeys); on PostgreSQL, the
    slow tests whose outcome does not depend on the database are (the page audit), and so is
    every test that never opens a database (plain functions: planners, zones, text), which
    the SQLite pass runs."""
    markers = ("sqlite_only",) if BACKEND == "postgresql" else ("postgres_only", "postgres_pass")
    keep, drop = [], []
    for item in items:
        once = BACKEND == "postgresql" and not _uses_the_database(item)
        # A browser runs each test once: the page audits (sqlite_only) in the SQLite pass,
        # the journeys in the PostgreSQL pass.
        journey = (
            BACKEND == "sqlite"
            and item.get_closest_marker("e2e")
            and not item.get_closest_marker("sqlite_only")
        )
        marked = any(item.get_closest_marker(m) for m in markers)
        (drop if marked or once or journey else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- database ------------------------------------------------------------------------------


def _pg_admin():
    import psycopg

    return psycopg.connect(
        PG_URL.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'convene.sqlite'}"
        return
    if BACKEND != "postgresql":
        raise RuntimeError(f"CONVENE_TEST_DB must be sqlite or postgresql, not {BACKEND!r}")
    name = f"convene_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = _pg_admin()
    except Exception as exc:
        pytest.exit(f"PostgreSQL is not reachable at {PG_URL}: {exc}", returncode=3)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_URL}/{name}"
    with _pg_admin() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def uploads_folder(tmp_path_factory):
    """Mayors' letters stored by the tests (and the demo) go here, not to instance/."""
    return str(tmp_path_factory.mktemp("letters"))


@pytest.fixture(scope="session")
def _schema(database_url, smtp_server, uploads_folder):
    app = create_app(_test_config(database_url, smtp_server, APPLICATION_UPLOADS=uploads_folder))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    return True


@pytest.fixture
def empty_database_url(tmp_path, database_url):
    """A second, empty database on the same backend, for tests that run the migrations."""
    if BACKEND == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    name = f"convene_migrations_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield database_url.rsplit("/", 1)[0] + f"/{name}"
    with _pg_admin() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _test_config(database_url, smtp_server, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "testing",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_TRANSPORT": "smtp",
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would otherwise drop mail when TESTING
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_server.port,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "BASE_URL": "http://convene.test",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    if database_url.startswith("postgresql"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_size": 20,
            "max_overflow": 120,
            # A test's commits need not wait for the disk: nothing outlives the run.
            "connect_args": {"options": "-c synchronous_commit=off"},
        }
    config.update(overrides)
    return config


def _empty_tables() -> None:
    """Each test starts with empty tables and ids from 1. On PostgreSQL only the tables that
    hold rows are emptied (a TRUNCATE of all ~40 took ~135 ms a test; this takes a few), and
    every sequence is set back to 1 in one statement."""
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        probe = " UNION ALL ".join(
            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
        )
        filled = set(db.session.execute(text(probe)).scalars())
        for table in reversed(tables):  # DELETE: TRUNCATE rewrites each table's files
            if table.name in filled:
                db.session.execute(table.delete())
        db.session.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
            )
        )
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


def _forget_signed_in_member(sender, **extra):
    """Each request loads its member afresh.

    The `app` fixture keeps one app context open for the whole test, and requests reuse it,
    so Flask-Login's per-context cache (g._login_user) would carry one client's member into
    the next client's request.
    """
    g.pop("_login_user", None)


@event.listens_for(Engine, "connect")
def _no_waiting_for_the_disk(dbapi_connection, _record):
    """SQLite test databases skip fsync on commit (PostgreSQL's do too: connect_args)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


# Every test builds an app, and Werkzeug compiles a URL builder for each of its ~160 rules
# with `ast` each time: nine tenths of building one. The compiled function depends only on
# the rule's text, parts and defaults (converters are read from the rule when it runs), so
# the suite compiles each once.
_builders: dict = {}
_compile_builder = Rule._compile_builder


def _compile_builder_once(self, append_unknown: bool = True):
    key = (
        self.rule,
        tuple(self._trace),
        repr(sorted((self.defaults or {}).items())),
        append_unknown,
    )
    if key not in _builders:
        _builders[key] = _compile_builder(self, append_unknown)
    return _builders[key]


Rule._compile_builder = _compile_builder_once


# Race tests build apps in threads; building one compiles URL rules through `ast`, which
# CPython 3.11 before 3.11.8 cannot do from two threads at once.
_building = threading.Lock()


@pytest.fixture
def make_app(database_url, smtp_server, uploads_folder, _schema):
    """Build an app with config overrides (several apps may share the database)."""
    apps = []

    def factory(**overrides):
        overrides.setdefault("APPLICATION_UPLOADS", uploads_folder)
        with _building:
            app = create_app(_test_config(database_url, smtp_server, **overrides))
        app.test_client_class = FlaskLoginClient
        request_started.connect(_forget_signed_in_member, app)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.session.remove()


# The demo network's rows, table by table, from the first test of the run that loads it.
_demo_rows: dict[str, list[dict]] = {}


def load_demo_network() -> None:
    """The demo network in this test's (empty) tables, as `load_demo()` leaves them.

    Loading it takes some ten seconds and a dozen tests need it, so the first load's rows
    are kept and later tests get a copy (ids, outbox and all) in a fraction of a second.
    The tests of the loader itself call `load_demo()`."""
    # Feed stamps are not copied: they are the feeds' cache keys, bumped by the copy itself.
    tables = [t for t in db.metadata.sorted_tables if t.name != "feed_stamps"]
    if not _demo_rows:
        assert load_demo()
        for table in tables:
            _demo_rows[table.name] = [dict(r._mapping) for r in db.session.execute(table.select())]
        return
    for table in tables:
        if _demo_rows[table.name]:
            db.session.execute(table.insert(), _demo_rows[table.name])
    if db.engine.dialect.name == "postgresql":
        for table in tables:
            if "id" in table.c and _demo_rows[table.name]:
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f'(SELECT max(id) FROM "{table.name}"))'
                    )
                )
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def client_for(app):
    """A test client signed in as the given member."""

    def factory(member: Member):
        return app.test_client(user=member)

    return factory


# --- factories -----------------------------------------------------------------------------


@pytest.fixture
def make_org(app):
    counter = iter(range(1, 10_000))

    def factory(kind: str = "city", **fields) -> Organisation:
        n = next(counter)
        kind = OrganisationKind(kind)
        defaults = {
            "kind": kind,
            "name": f"{kind.value.title()} {n}",
            "slug": f"{kind.value}-{n}",
            "zone": "America/New_York",
        }
        if kind == OrganisationKind.CITY:
            defaults |= {"state": "NY", "population": 150_000}
        org = Organisation(**(defaults | fields))
        db.session.add(org)
        db.session.commit()
        return org

    return factory


@pytest.fixture
def make_member(app, make_org):
    counter = iter(range(1, 100_000))
    password_hash = hash_password(PASSWORD)

    def factory(role: str = "member", organisation: Organisation | None = None, **fields):
        n = next(counter)
        role = Role(role)
        if organisation is None:
            kind = {"host": "partner", "admin": "programme"}.get(role.value, "city")
            organisation = make_org(kind)
        defaults = {
            "email": f"person{n}@{organisation.slug}.example.org",
            "name": f"Person {n}",
            "password_hash": password_hash,
        }
        member = Member(organisation=organisation, role=role, **(defaults | fields))
        db.session.add(member)
        db.session.commit()
        return member

    return factory


# --- calls ---------------------------------------------------------------------------------


@pytest.fixture
def make_series(app, make_org):
    counter = iter(range(1, 10_000))

    def factory(partners=None, skips=(), **fields) -> Series:
        n = next(counter)
        partners = partners or [make_org("partner") for _ in range(3)]
        defaults = {
            "name": f"Series {n}",
            "first_date": date(2026, 10, 1),
            "local_time": wall(13, 0),
            "zone": "America/New_York",
            "interval_weeks": 2,
            "duration_minutes": 60,
            "horizon_weeks": 26,
            "video_url": "https://meet.example.org/network",
            "dial_in_number": "+1 646 555 0100",
            "dial_in_code": "123 456",
        }
        series = Series(**(defaults | fields))
        series.rotation = [SeriesHost(position=i, organisation=p) for i, p in enumerate(partners)]
        series.skips = [SeriesSkip(day=d) for d in skips]
        db.session.add(series)
        db.session.commit()
        return series

    return factory


@pytest.fixture
def make_call(app, make_series):
    """A single call starting at `starts_at` (default: in two days), hosted by `host` (default:
    the first partner of its rotation), its series made if needed."""

    def factory(series=None, starts_at=None, host=None, **fields) -> Call:
        series = series or make_series()
        starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        defaults = {
            "series": series,
            "slot_date": starts_at.date(),
            "starts_at": starts_at,
            "duration_minutes": 60,
            "zone": series.zone,
            "host_organisation_id": host.id if host else series.rotation[0].organisation_id,
            "status": CallStatus.SCHEDULED,
        }
        call = Call(**(defaults | fields))
        db.session.add(call)
        db.session.commit()
        return call

    return factory


# --- SQL query counting --------------------------------------------------------------------


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as q: ...; q.count` counts SQL statements sent to the database."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


# --- mail: a real SMTP server in this process ----------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every invitation the suite sends, as (test, message), for the iTIP check after the last test.
INVITATIONS: list[tuple[str, email.message.EmailMessage]] = []
_CALENDAR_TYPES = ("text/calendar", "application/ics")
_ITIP_CHECKED: list[int] = []


def _current_test() -> str:
    """The test that sent a message: each starts from an empty database, so SEQUENCEs are
    followed per test."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]


@pytest.fixture(scope="session", autouse=True)
def _every_invitation_follows_itip():
    """After the last test, every invitation sent follows RFC 5546 (tests/notifications/
    test_itip.py says how); a violation fails the run at this fixture's teardown."""
    yield
    from tests.notifications.test_itip import itip_problems

    count, problems = itip_problems(list(INVITATIONS))
    _ITIP_CHECKED.append(count)
    assert not problems, f"{len(problems)} iTIP problems in {count} invitations:\n" + "\n".join(
        problems[:50]
    )


def pytest_terminal_summary(terminalreporter):
    for count in _ITIP_CHECKED:
        terminalreporter.write_line(f"iTIP check: {count} invitations checked")


class SMTPServer:
    """aiosmtpd on a fixed port, so it can be stopped and started again at the same address."""

    def __init__(self):
        self.port = _free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.delay = 0.0  # seconds each message takes, to make workers overlap
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
            if any(p.get_content_type() in _CALENDAR_TYPES for p in message.walk()):
                INVITATIONS.append((_current_test(), message))
        return "250 OK"

    def start(self):
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def clear(self):
        with self._lock:
            self.messages.clear()
        self.delay = 0.0

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.02)
        return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    """The SMTP server, empty, and running again after the test even if the test stopped it."""
    smtp_server.clear()
    yield smtp_server
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.clear()


@pytest.fixture
def deliver_mail(app, smtp):
    """Send what the outbox holds to the test SMTP server; returns the messages received."""
    from convene.notifications.outbox import deliver_pending

    def run():
        before = len(smtp.messages)
        sent, _failed = deliver_pending()
        return smtp.wait_for(before + sent)[before:]

    return run


def body_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


# --- browser journeys ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def live_server(make_app, app):
    """The app served over HTTP on a free port, CSRF on, sharing the test database.

    Depends on `app` so the test can use factories in the same database; the served app
    is a second instance, as a browser would meet it.
    """
    from werkzeug.serving import make_server

    served = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = served
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: install the Debian packages chromium and chromium-driver"
        )
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def _chromium(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def browser_page(_chromium):
    """A fresh browser context and page; `timezone_id` of the context is New York."""
    contexts = []

    def factory(timezone_id: str = "America/New_York"):
        context = _chromium.new_context(timezone_id=timezone_id, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()
