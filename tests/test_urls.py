"""Where links in mail and feeds point: BASE_URL when it is set; in development with BASE_URL
unset, the address being served (`make run` sets it from HOST and PORT); never the request's
Host header in production."""

import os
import subprocess
from pathlib import Path

import pytest

from convene.config import DEFAULT_BASE_URL, load_config
from convene.urls import base_url, external_url


def test_a_configured_base_url_wins_over_the_request(app):
    with app.test_request_context("/", base_url="http://127.0.0.1:5101"):
        assert base_url() == "http://convene.test"
        assert external_url("calendar.public") == "http://convene.test/calendar/public.ics"


def test_development_without_base_url_follows_the_address_served(make_app):
    dev = make_app(BASE_URL=DEFAULT_BASE_URL, CONVENE_ENV="development")
    with dev.test_request_context("/", base_url="http://127.0.0.1:5101"):
        assert external_url("calendar.public") == "http://127.0.0.1:5101/calendar/public.ics"
    with dev.test_request_context("/", base_url="https://convene.example.org/network/"):
        assert (
            external_url("calendar.partner", slug="govex")
            == "https://convene.example.org/network/calendar/partners/govex.ics"
        )
    # No request at hand (the mail worker, a command): the default address.
    with dev.app_context():
        assert external_url("calendar.public") == f"{DEFAULT_BASE_URL}/calendar/public.ics"


def test_production_never_takes_links_from_the_host_header(make_app):
    production = make_app(BASE_URL=DEFAULT_BASE_URL, CONVENE_ENV="production")
    with production.test_request_context("/", base_url="http://evil.example.org"):
        assert external_url("calendar.public") == f"{DEFAULT_BASE_URL}/calendar/public.ics"


def test_a_development_feed_links_to_the_port_it_is_served_on(app, make_app, make_call):
    call = make_call()
    dev = make_app(BASE_URL=DEFAULT_BASE_URL, CONVENE_ENV="development")
    feed = dev.test_client().get("/calendar/public.ics", base_url="http://127.0.0.1:5101")
    assert feed.status_code == 200
    body = feed.get_data(as_text=True).replace("\r\n ", "")
    assert f"URL:http://127.0.0.1:5101/calls/{call.id}" in body
    assert ":5000" not in body


@pytest.mark.parametrize("env", ["development", "production"])
def test_base_url_is_read_from_the_environment(monkeypatch, tmp_path, env):
    monkeypatch.setenv("SECRET_KEY", "a real secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'convene.sqlite'}")
    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:5101")
    assert load_config(env)["BASE_URL"] == "http://127.0.0.1:5101"
    monkeypatch.delenv("BASE_URL")
    assert load_config(env)["BASE_URL"] == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://127.0.0.1:5000"),
        ({"PORT": "5101"}, "http://127.0.0.1:5101"),
        ({"HOST": "localhost", "PORT": "5101"}, "http://localhost:5101"),
        ({"HOST": "0.0.0.0", "PORT": "8080"}, "http://127.0.0.1:8080"),
        ({"HOST": "::1"}, "http://[::1]:5000"),
        (
            {"PORT": "5101", "BASE_URL": "https://convene.example.org"},
            "https://convene.example.org",
        ),
    ],
)
def test_make_run_links_to_the_address_it_serves(env, expected):
    script = Path(__file__).resolve().parents[1] / "scripts" / "base-url.sh"
    clean = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "BASE_URL")}
    result = subprocess.run(
        ["bash", str(script)], env=clean | env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == expected
