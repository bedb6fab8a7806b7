"""A member changes their own password and email address: the current password first; a
new password ends every other session (replayed cookies get the sign-in page) but keeps
this browser in; a new address takes effect only through a link sent to it, which works
once, expires, and cannot be forged; the old address hears of both steps."""

import hashlib
import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import inspect, select, text

from convene.accounts import credentials
from convene.accounts.models import Member
from convene.extensions import db
from convene.history.models import Action, ActionKind
from tests.accounts.test_sessions import (
    REMEMBER,
    account_page_with,
    assert_cookies_ended,
    assert_cookies_work,
    sign_in,
)
from tests.conftest import PASSWORD, body_of

NEW_PASSWORD = "a brand new password"


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def signs_in(app, email, password) -> bool:
    response = app.test_client().post("/sign-in", data={"email": email, "password": password})
    return response.status_code == 302


# --- password ------------------------------------------------------------------------------


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(
    app, make_member, deliver_mail
):
    member = make_member()
    here, here_saved = sign_in(app, member)
    _, other_device = sign_in(app, member)
    deliver_mail()

    response = change_password(here)
    assert response.status_code == 302 and response.location == "/account"

    # This browser is still in, its new remember cookie too (it had one before).
    assert here.get("/account").status_code == 200
    assert account_page_with(app, REMEMBER, here.get_cookie(REMEMBER).value).status_code == 200
    # Every cookie saved before the change, here or elsewhere, gets the sign-in page.
    assert_cookies_ended(app, here_saved)
    assert_cookies_ended(app, other_device)

    assert signs_in(app, member.email, NEW_PASSWORD)
    assert not signs_in(app, member.email, PASSWORD)
    (mail,) = deliver_mail()
    assert mail["To"].addresses[0].addr_spec == member.email
    assert mail["Subject"] == "Your Convene password was changed"
    assert "If this was not you" in body_of(mail)
    kinds = db.session.scalars(select(Action.kind).where(Action.member_id == member.id)).all()
    assert kinds == [ActionKind.PASSWORD_CHANGED]


def test_a_browser_without_a_remember_cookie_is_not_given_one(app, make_member):
    member = make_member()
    here, _ = sign_in(app, member, remember=False)
    assert change_password(here).status_code == 302
    assert here.get("/account").status_code == 200
    assert here.get_cookie(REMEMBER) is None


def test_a_wrong_current_password_changes_nothing_and_is_tied_to_its_field(
    app, make_member, deliver_mail
):
    member = make_member()
    here, saved = sign_in(app, member)
    response = change_password(here, current="not my password")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="current_password-error-1">That is not your current password.' in page
    assert re.search(r'aria-describedby="current_password-error-1"[^>]*aria-invalid', page) or (
        'aria-invalid="true"' in page and 'aria-describedby="current_password-error-1"' in page
    )
    assert_cookies_work(app, saved)
    assert signs_in(app, member.email, PASSWORD)
    assert deliver_mail() == []
    assert db.session.scalar(select(db.func.count(Action.id))) == 0


def test_the_new_password_is_checked_like_any_other(app, make_member):
    member = make_member()
    here, _ = sign_in(app, member)
    short = change_password(here, new="short")
    assert "Use at least 10 characters." in short.get_data(as_text=True)
    differ = change_password(here, confirm="something else entirely")
    assert "The passwords differ." in differ.get_data(as_text=True)
    assert signs_in(app, member.email, PASSWORD)


def test_wrong_current_passwords_are_limited_like_sign_ins(make_app, make_member):
    member = make_member()
    app = make_app(SIGN_IN_RATE_LIMIT="3 per minute", SIGN_IN_EMAIL_RATE_LIMIT="100 per hour")
    client = app.test_client(user=member)
    for _ in range(2):  # a mistake in the new password is no guess: it does not count
        assert change_password(client, new="short").status_code == 200
    for _ in range(3):
        assert change_password(client, current="a guess").status_code == 200
    limited = change_password(client)  # even the right password must wait now
    assert limited.status_code == 429
    assert "Too many wrong passwords" in limited.get_data(as_text=True)
    # The email form asks for the same password: it shares the count.
    assert client.post("/account/email", data={"email": "x@city.gov"}).status_code == 429
    assert app.test_client(user=make_member()).get("/account/password").status_code == 200


def test_the_password_pages_need_a_sign_in(client):
    for path in ("/account/password", "/account/email"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/sign-in")


# --- email address ---------------------------------------------------------------------------

NEW_EMAIL = "new.address@city.example.org"


def ask(client, email=NEW_EMAIL, password=PASSWORD):
    return client.post("/account/email", data={"email": email, "current_password": password})


def link_in(mail) -> str:
    match = re.search(r"http://convene\.test(/account/email/confirm/\S+)", body_of(mail))
    assert match, body_of(mail)
    return match.group(1)


def asked(app, member, deliver_mail, email=NEW_EMAIL):
    """Ask for the change as the member; the link path and the mails delivered."""
    deliver_mail()
    response = ask(app.test_client(user=member), email)
    assert response.status_code == 302, response.get_data(as_text=True)
    mails = deliver_mail()
    (confirm,) = [m for m in mails if email.lower() in m["To"].lower()]
    return link_in(confirm), mails


def test_a_new_address_is_confirmed_from_itself_and_the_old_one_hears(
    app, make_member, deliver_mail
):
    member = make_member()
    old = member.email
    link, mails = asked(app, member, deliver_mail, "New.Address@City.example.org")
    assert {m["To"].addresses[0].addr_spec for m in mails} == {old, NEW_EMAIL}
    (notice,) = [m for m in mails if old in m["To"]]
    assert NEW_EMAIL in body_of(notice) and "Nothing changes until" in body_of(notice)
    db.session.refresh(member)
    assert member.email == old  # nothing changes before the link is opened

    page = app.test_client().get(link)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f"Use <strong>{NEW_EMAIL}</strong>" in page.get_data(as_text=True)
    db.session.refresh(member)
    assert member.email == old  # opening the page is not enough: a mail scanner may

    done = app.test_client().post(link)
    assert done.status_code == 302 and done.location == "/sign-in"
    db.session.refresh(member)
    assert member.email == NEW_EMAIL
    assert signs_in(app, NEW_EMAIL, PASSWORD) and not signs_in(app, old, PASSWORD)
    (told,) = deliver_mail()
    assert told["To"].addresses[0].addr_spec == old
    assert told["Subject"] == f"Your Convene email address is now {NEW_EMAIL}"
    kinds = db.session.scalars(
        select(Action.kind).where(Action.member_id == member.id).order_by(Action.id)
    ).all()
    assert kinds == [ActionKind.EMAIL_CHANGE_ASKED, ActionKind.EMAIL_CHANGED]


def test_the_member_signed_in_keeps_their_session_through_the_change(
    app, make_member, deliver_mail
):
    member = make_member()
    here, saved = sign_in(app, member)
    link, _ = asked(app, member, deliver_mail)
    response = here.post(link)
    assert response.status_code == 302 and response.location == "/account"
    assert NEW_EMAIL in here.get("/account").get_data(as_text=True)
    assert_cookies_work(app, saved)


def test_a_wrong_password_or_a_bad_address_asks_nothing(app, make_member, deliver_mail):
    member, other = make_member(), make_member()
    client = app.test_client(user=member)
    wrong = ask(client, password="a guess")
    assert "That is not your current password." in wrong.get_data(as_text=True)
    taken = ask(client, email=other.email.upper())
    page = taken.get_data(as_text=True)
    assert 'id="email-error-1">Another account uses that address.' in page
    same = ask(client, email=member.email)
    assert "That is already your address." in same.get_data(as_text=True)
    invalid = ask(client, email="not an address")
    assert "Enter an email address" in invalid.get_data(as_text=True)
    assert deliver_mail() == []
    assert db.session.scalar(select(db.func.count(Action.id))) == 0


def test_a_link_works_once(app, make_member, deliver_mail):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    assert app.test_client().post(link).status_code == 302
    again = app.test_client().post(link)
    assert again.status_code == 404
    assert "This link no longer works" in again.get_data(as_text=True)
    assert app.test_client().get(link).status_code == 404


def test_a_link_past_its_hours_no_longer_works(app, make_member, deliver_mail, monkeypatch):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    hours = credentials.email_change_hours()
    now = __import__("time").time()
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now + hours * 3600 + 5)
    assert app.test_client().post(link).status_code == 404
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: now + hours * 3600 - 60)
    assert app.test_client().post(link).status_code == 302


def test_a_tampered_or_forged_link_changes_nothing(app, make_member, deliver_mail):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    token = link.rsplit("/", 1)[1]
    payload = URLSafeTimedSerializer("testing", salt=credentials.EMAIL_CHANGE_SALT).loads(token)
    ours = URLSafeTimedSerializer("testing", salt=credentials.EMAIL_CHANGE_SALT)
    forged = URLSafeTimedSerializer("another key", salt=credentials.EMAIL_CHANGE_SALT).dumps(
        [payload[0], "attacker@evil.example", *payload[2:]]
    )
    wrong_salt = URLSafeTimedSerializer("testing", salt="other").dumps(payload)
    someone_else = ours.dumps([make_member().id, *payload[1:]])  # signed, bound to another
    not_a_list = ours.dumps({"member": member.id, "to": NEW_EMAIL})
    flipped = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    bad_tokens = (forged, wrong_salt, someone_else, not_a_list, flipped, "x", "~" * 300, "a/b")
    for bad in bad_tokens:
        response = app.test_client().post(f"/account/email/confirm/{bad}")
        assert response.status_code == 404, bad
    db.session.refresh(member)
    assert member.email != NEW_EMAIL


def test_a_new_password_or_signing_out_everywhere_voids_the_link(app, make_member, deliver_mail):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    client = app.test_client(user=member)
    assert change_password(client).status_code == 302
    assert app.test_client().post(link).status_code == 404

    other = make_member()
    link, _ = asked(app, other, deliver_mail, "other.new@city.example.org")
    assert app.test_client(user=other).post("/sign-out/everywhere").status_code == 302
    assert app.test_client().post(link).status_code == 404


def test_an_address_taken_before_the_link_is_opened_is_refused(app, make_member, deliver_mail):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    make_member(email=NEW_EMAIL)
    response = app.test_client().post(link)
    assert response.status_code == 200
    assert f"Another account now uses {NEW_EMAIL}" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.email != NEW_EMAIL


def test_the_database_settles_a_race_for_the_address(app, make_member, deliver_mail, monkeypatch):
    """Another account takes the address between the check and the write: the unique
    index refuses it, and the member gets the same clear answer, nothing half-written."""
    member = make_member()
    old = member.email
    link, _ = asked(app, member, deliver_mail)
    make_member(email=NEW_EMAIL)
    monkeypatch.setattr(credentials, "address_taken", lambda email, member: False)
    response = app.test_client().post(link)
    assert response.status_code == 200
    assert f"Another account now uses {NEW_EMAIL}" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, member.id).email == old
    assert (
        db.session.scalar(
            select(db.func.count(Action.id)).where(Action.kind == ActionKind.EMAIL_CHANGED)
        )
        == 0
    )
    assert deliver_mail() == []


def test_a_long_address_gets_a_working_link(app, make_member, deliver_mail):
    member = make_member()
    parts = [hashlib.sha256(str(n).encode()).hexdigest()[:48] for n in range(4)]
    long_address = f"{parts[0]}@{parts[1]}.{parts[2]}.{parts[3]}.example.org"
    assert len(long_address) > 200
    link, _ = asked(app, member, deliver_mail, long_address)
    assert len(link.rsplit("/", 1)[1]) > 200  # longer than a plain path part may be
    assert app.test_client().post(link).status_code == 302
    db.session.refresh(member)
    assert member.email == long_address


def test_a_deactivated_member_cannot_use_their_link(app, make_member, deliver_mail):
    member = make_member()
    link, _ = asked(app, member, deliver_mail)
    member.active = False
    db.session.commit()
    assert app.test_client().post(link).status_code == 404


# --- the migration ---------------------------------------------------------------------------


def test_the_upgraded_database_accepts_the_new_kinds(make_app, empty_database_url):
    from flask_migrate import upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        upgrade()
        assert "actions" in inspect(db.engine).get_table_names()
        insert = text(
            "INSERT INTO actions (kind, happened_at, before, after, details, message_ids) "
            "VALUES (:kind, CURRENT_TIMESTAMP, '{}', '{}', '{}', '[]')"
        )
        for kind in (
            ActionKind.PASSWORD_CHANGED,
            ActionKind.EMAIL_CHANGE_ASKED,
            ActionKind.EMAIL_CHANGED,
            ActionKind.CHAMPION_HANDED_OVER,
        ):
            db.session.execute(insert, {"kind": kind.value})
        db.session.commit()
        with pytest.raises(Exception):  # noqa: B017 - the CHECK constraint, either backend
            db.session.execute(insert, {"kind": "member.unknown"})
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
