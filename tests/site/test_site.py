import re
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import func, select, text
from werkzeug.routing import IntegerConverter

from convene import create_app
from convene.extensions import db
from tests.conftest import PASSWORD


def test_home_page_renders_for_the_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_503_when_the_database_does_not(make_app, monkeypatch):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_unknown_page_is_404_in_the_layout(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Nothing here" in response.data and b"skip-link" in response.data


def test_database_is_the_configured_backend(app):
    import os

    dialect = db.session.execute(text("SELECT 1")).connection.engine.dialect.name
    assert dialect == os.environ.get("CONVENE_TEST_DB", "sqlite")


# --- CSRF: every form, including those of capabilities added later ------------------------


# POST routes that take no CSRF token, and why.
CSRF_EXEMPT = {
    "notifications.unsubscribe": "RFC 8058 one-click unsubscribe: mail clients post with no "
    "cookie or form token; the signed token in its address is the authority",
}


def _dummy_values(rule) -> dict:
    values = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif kind == "AnyConverter":
            values[name] = sorted(converter.items)[0]
        elif kind == "UUIDConverter":
            values[name] = "00000000-0000-0000-0000-000000000001"
        else:
            values[name] = "dummy"
    return values


def _snapshot() -> dict:
    """Every row of every table: a POST refused for CSRF must leave all of them alone."""
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(table.select()).all()
        snapshot[table.name] = sorted(map(repr, rows))
    return snapshot


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(
    make_app, make_member, make_org
):
    app = make_app(WTF_CSRF_ENABLED=True)
    admin = make_member("admin")
    city = make_org("city", slug="dummy")
    make_member("champion", organisation=city)
    client = app.test_client(user=admin)
    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods]
    assert len(rules) >= 10  # sign-in, sign-out, invitations, resets, admin forms...
    before = _snapshot()
    outbox = _snapshot()["outbox_messages"]
    for rule in rules:
        with app.test_request_context():
            url = url_for(rule.endpoint, **_dummy_values(rule))
        response = client.post(url, data={"name": "Changed", "email": "x@example.org"})
        if rule.endpoint in CSRF_EXEMPT:  # its signed token is the check, and "dummy" fails it
            assert response.status_code == 404, f"{rule.rule} answered {response.status_code}"
            continue
        assert response.status_code == 400, f"{rule.rule} answered {response.status_code}"
        assert b"CSRF" in response.data, rule.rule
    db.session.expire_all()
    assert _snapshot() == before
    assert outbox == []


def test_a_post_with_the_token_gets_through(make_app, make_member):
    member = make_member()
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302


# --- cookies, headers, configuration ------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite(make_member, client):
    member = make_member()
    response = client.post(
        "/sign-in",
        data={"email": member.email, "password": PASSWORD, "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session, remember):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_are_not_cached_but_a_views_own_cache_control_is_kept(make_app, make_member):
    app = make_app()

    @app.get("/test-feed")
    def feed():
        response = app.make_response("BEGIN:VCALENDAR")
        response.cache_control.max_age = 300
        response.cache_control.public = True
        return response

    client = app.test_client()
    assert client.get("/").headers["Cache-Control"] in ("no-cache", "no-store")
    feed_headers = client.get("/test-feed").headers
    assert feed_headers["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    assert "Content-Security-Policy" in feed_headers
    static = client.get("/static/style.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_production_refuses_to_start_without_secret_key_and_database_url(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY and DATABASE_URL"):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    with pytest.raises(RuntimeError, match="without DATABASE_URL"):
        create_app("production")


def test_production_reads_its_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app("production")
    assert app.config["SECRET_KEY"] == "a real secret"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("prod.sqlite")
    assert app.config["MAIL_PORT"] == 2525 and app.config["MAIL_USE_TLS"] is True
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert not app.debug and not app.testing


def test_development_is_the_default_and_keeps_mail_in_a_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("CONVENE_ENV", raising=False)
    monkeypatch.delenv("MAIL_TRANSPORT", raising=False)
    monkeypatch.setenv("CONVENE_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["MAIL_TRANSPORT"] == "folder"
    assert app.config["MAIL_FOLDER"] == str(tmp_path / "mail")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'convene.sqlite'}"


def test_a_plain_postgresql_url_gets_the_psycopg_driver(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql://nobody@127.0.0.1:1/none")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


# --- error pages in the layout -----------------------------------------------------------


def test_forbidden_page_is_403_in_the_layout(make_member, client_for):
    response = client_for(make_member()).get("/admin/members")
    assert response.status_code == 403
    assert b"You can't do that here" in response.data and b"skip-link" in response.data


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/sign-in")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert b"skip-link" in response.data


def test_server_error_is_500_in_the_layout_and_rolls_back(make_app, make_member):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/test-boom")
    def boom():
        from convene.accounts.models import Organisation, OrganisationKind

        db.session.add(
            Organisation(kind=OrganisationKind.PARTNER, name="Half", slug="half", zone="UTC")
        )
        db.session.flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "skip-link" in page
    assert "boom" not in page and "Traceback" not in page
    from convene.accounts.models import Organisation

    assert db.session.scalar(select(func.count(Organisation.id))) == 0


def test_server_error_page_survives_a_broken_layout(make_app, monkeypatch):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/test-boom")
    def boom():
        raise RuntimeError("boom")

    def broken(*args, **kwargs):
        raise RuntimeError("the layout failed too")

    monkeypatch.setitem(app.jinja_env.globals, "nav_items", broken)
    response = app.test_client().get("/test-boom")
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.data


# --- navigation --------------------------------------------------------------------------


def _current(page: bytes) -> list[str]:
    return re.findall(r'aria-current="page">([^<]+)<', page.decode())


def test_navigation_marks_the_section_of_the_page(make_member, client_for):
    client = client_for(make_member("admin"))
    assert _current(client.get("/admin/organisations/new").data) == ["Organisations"]
    assert _current(client.get("/admin/members?q=x").data) == ["People"]
    assert _current(client.get("/account").data) == []


def test_navigation_follows_the_role(make_member, client_for, client):
    assert b"Organisations</a>" not in client.get("/").data
    champion = make_member("champion")
    page = client_for(champion).get("/").data
    assert b"My city</a>" in page and b"Organisations</a>" not in page
    page = client_for(make_member("admin")).get("/").data
    assert b"Organisations</a>" in page and b"People</a>" in page


# --- accessibility basics on every form page -----------------------------------------------


class _FormAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.labels: set[str] = set()
        self.controls: list[str] = []
        self.th_without_scope = 0
        self.headings: list[int] = []
        self._in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._in_label += 1
            if attrs.get("for"):
                self.labels.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") in ("hidden", "submit", "button"):
                return
            if self._in_label:  # wrapped in its label
                return
            self.controls.append(attrs.get("id") or f"<{tag} name={attrs.get('name')}>")
        elif tag == "th" and "scope" not in attrs:
            self.th_without_scope += 1
        elif tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1


def test_every_control_has_a_label_and_headings_are_in_order(make_member, client_for):
    admin = make_member("admin")
    member = make_member()
    client = client_for(admin)
    pages = [
        "/",
        "/account",
        "/admin/organisations",
        "/admin/organisations/new",
        "/admin/members",
        f"/organisations/{member.organisation.slug}/people",
        f"/organisations/{member.organisation.slug}/invite",
        f"/members/{member.id}/edit",
    ]
    public = ["/sign-in", "/password/forgot"]
    for url, page in [(u, client.get(u)) for u in pages] + [
        (u, client.application.test_client().get(u)) for u in public
    ]:
        assert page.status_code == 200, url
        audit = _FormAudit()
        audit.feed(page.get_data(as_text=True))
        unlabelled = [c for c in audit.controls if c not in audit.labels]
        assert unlabelled == [], f"{url}: {unlabelled}"
        assert audit.th_without_scope == 0, url
        assert audit.headings and audit.headings[0] == 1, url
        steps = zip(audit.headings, audit.headings[1:], strict=False)
        assert all(b - a <= 1 for a, b in steps), url
