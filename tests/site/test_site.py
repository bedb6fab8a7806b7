from sqlalchemy import text

from convene.extensions import db


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
