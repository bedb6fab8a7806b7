"""Failed sign-ins are limited three ways: per email and address, per address across emails
(one password sprayed over many accounts), per email across addresses (guesses spread out)."""

from convene.config import Config, load_config
from tests.conftest import PASSWORD

HIGH = "1000 per minute"


def sign_in(client, email, password="not the password", address="10.0.0.1"):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_defaults():
    assert Config.SIGN_IN_RATE_LIMIT == "5 per minute"
    assert Config.SIGN_IN_ADDRESS_RATE_LIMIT == "20 per 10 minutes"
    assert Config.SIGN_IN_EMAIL_RATE_LIMIT == "10 per 10 minutes"


def test_the_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIGN_IN_ADDRESS_RATE_LIMIT", "7 per hour")
    monkeypatch.setenv("SIGN_IN_EMAIL_RATE_LIMIT", "3 per hour")
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "convene-staging")
    settings = load_config("development")
    assert settings["SIGN_IN_ADDRESS_RATE_LIMIT"] == "7 per hour"
    assert settings["SIGN_IN_EMAIL_RATE_LIMIT"] == "3 per hour"
    assert settings["RATELIMIT_KEY_PREFIX"] == "convene-staging"


def test_one_address_trying_many_emails_is_stopped(make_app, make_member):
    member = make_member()
    app = make_app(
        SIGN_IN_RATE_LIMIT=HIGH,
        SIGN_IN_EMAIL_RATE_LIMIT=HIGH,
        SIGN_IN_ADDRESS_RATE_LIMIT="4 per hour",
    )
    client = app.test_client()
    for n in range(4):
        assert sign_in(client, f"person{n}@example.org").status_code == 200
    response = sign_in(client, member.email, PASSWORD)  # even a right password now waits
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert b"Too many failed sign-ins" in response.data
    # Someone at another address is not held up.
    assert sign_in(client, member.email, PASSWORD, address="10.0.0.2").status_code == 302


def test_one_email_tried_from_many_addresses_is_stopped(make_app, make_member):
    member, other = make_member(), make_member()
    app = make_app(
        SIGN_IN_RATE_LIMIT=HIGH,
        SIGN_IN_ADDRESS_RATE_LIMIT=HIGH,
        SIGN_IN_EMAIL_RATE_LIMIT="3 per hour",
    )
    client = app.test_client()
    for n in range(3):
        assert sign_in(client, member.email.upper(), address=f"10.0.1.{n}").status_code == 200
    assert sign_in(client, member.email, PASSWORD, address="10.0.1.99").status_code == 429
    # The limit is the account's: another account from the same addresses signs in.
    assert sign_in(client, other.email, PASSWORD, address="10.0.1.0").status_code == 302


def test_unknown_emails_are_limited_like_known_ones(make_app):
    app = make_app(SIGN_IN_RATE_LIMIT=HIGH, SIGN_IN_EMAIL_RATE_LIMIT="2 per hour")
    client = app.test_client()
    for n in range(2):
        assert sign_in(client, "nobody@example.org", address=f"10.0.2.{n}").status_code == 200
    assert sign_in(client, "nobody@example.org", address="10.0.2.9").status_code == 429


def test_successful_sign_ins_count_towards_no_limit(make_app, make_member):
    member = make_member()
    app = make_app(
        SIGN_IN_RATE_LIMIT="1 per hour",
        SIGN_IN_ADDRESS_RATE_LIMIT="1 per hour",
        SIGN_IN_EMAIL_RATE_LIMIT="1 per hour",
    )
    for _ in range(3):
        assert sign_in(app.test_client(), member.email, PASSWORD).status_code == 302


def test_a_huge_email_field_is_answered_not_stored_as_a_key(make_app):
    app = make_app(SIGN_IN_EMAIL_RATE_LIMIT="1 per hour")
    client = app.test_client()
    email = "x" * 100_000 + "@example.org"
    assert sign_in(client, email).status_code == 200
    assert sign_in(client, email, address="10.0.3.1").status_code == 429
