"""Sessions that end: a cookie saved before an event that ends the member's sessions gets the
sign-in page afterwards, whether it is the session cookie or the remember-me cookie."""

import pytest
from sqlalchemy import select

from convene.accounts.invitations import issue_token
from convene.accounts.models import Member, Role, TokenPurpose
from convene.accounts.sessions import end_sessions, load_member
from convene.extensions import db
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new password"
SESSION = "session"
REMEMBER = "remember_token"


def sign_in(app, member, remember=True):
    """A browser signed in as the member; returns it and its cookies as saved right then."""
    client = app.test_client()
    data = {"email": member.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/sign-in", data=data)
    assert response.status_code == 302, response.data
    saved = {name: client.get_cookie(name).value for name in (SESSION, REMEMBER) if remember}
    return client, saved


def account_page_with(app, name: str, value: str):
    """/account in a browser holding just one saved cookie."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser.get("/account")


def assert_cookies_work(app, saved):
    for name, value in saved.items():
        assert account_page_with(app, name, value).status_code == 200, name


def assert_cookies_ended(app, saved):
    for name, value in saved.items():
        response = account_page_with(app, name, value)
        assert response.status_code == 302, name
        assert response.location.startswith("/sign-in"), name


# --- each event that ends every session --------------------------------------------------


def sign_out(app, member, client, make_member):
    assert client.post("/sign-out").status_code == 302


def sign_out_everywhere(app, member, client, make_member):
    response = client.post("/sign-out/everywhere")
    assert response.status_code == 302 and response.location == "/sign-in"


def reset_password(app, member, client, make_member):
    secret = issue_token(member, TokenPurpose.PASSWORD_RESET, hours=2)
    db.session.commit()
    other_browser = app.test_client()
    response = other_browser.post(
        f"/password/reset/{secret}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert other_browser.get("/account").status_code == 200  # the browser that reset it is in


def set_password_by_invitation_link(app, member, client, make_member):
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)  # an older, unused link
    db.session.commit()
    response = app.test_client().post(
        f"/invitation/{secret}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302


def deactivate(app, member, client, make_member):
    admin = app.test_client(user=make_member("admin"))
    assert admin.post(f"/members/{member.id}/deactivate").status_code == 302
    # Reactivation does not bring the old cookies back.
    assert admin.post(f"/members/{member.id}/reactivate").status_code == 302
    assert db.session.get(Member, member.id).active


def change_role(app, member, client, make_member):
    admin = app.test_client(user=make_member("admin"))
    response = admin.post(
        f"/members/{member.id}/edit",
        data={
            "name": member.name,
            "title": "",
            "role": "champion",
            "organisation_id": member.organisation_id,
        },
    )
    assert response.status_code == 302
    assert db.session.get(Member, member.id).role == Role.CHAMPION


EVENTS = [
    sign_out,
    sign_out_everywhere,
    reset_password,
    set_password_by_invitation_link,
    deactivate,
    change_role,
]


@pytest.mark.parametrize("event", EVENTS, ids=[e.__name__ for e in EVENTS])
def test_the_event_ends_every_saved_session_and_remember_cookie(app, make_member, event):
    member = make_member()
    client, saved = sign_in(app, member)
    _, other_device = sign_in(app, member)
    assert_cookies_work(app, saved)
    assert_cookies_work(app, other_device)
    event(app, member, client, make_member)
    assert_cookies_ended(app, saved)
    assert_cookies_ended(app, other_device)


def test_the_member_can_sign_in_again_afterwards(app, make_member):
    member = make_member()
    client, _ = sign_in(app, member)
    client.post("/sign-out/everywhere")
    again, saved = sign_in(app, member)
    assert again.get("/account").status_code == 200
    assert_cookies_work(app, saved)


def test_two_sign_ins_get_different_remember_cookies_and_both_last(app, make_member):
    member = make_member()
    _, first = sign_in(app, member)
    _, second = sign_in(app, member)
    assert first[REMEMBER] != second[REMEMBER]
    assert first[SESSION] != second[SESSION]
    assert_cookies_work(app, first)  # a second device does not sign the first one out
    assert_cookies_work(app, second)


def test_editing_details_without_a_new_role_keeps_sessions(app, make_member):
    member = make_member()
    _, saved = sign_in(app, member)
    admin = app.test_client(user=make_member("admin"))
    response = admin.post(
        f"/members/{member.id}/edit",
        data={
            "name": "New Name",
            "title": "Analyst",
            "role": "member",
            "organisation_id": member.organisation_id,
        },
    )
    assert response.status_code == 302
    assert_cookies_work(app, saved)


def test_a_move_to_another_organisation_ends_sessions(app, make_member, make_org):
    member = make_member()
    _, saved = sign_in(app, member)
    admin = app.test_client(user=make_member("admin"))
    response = admin.post(
        f"/members/{member.id}/edit",
        data={
            "name": member.name,
            "title": "",
            "role": "member",
            "organisation_id": make_org("city").id,
        },
    )
    assert response.status_code == 302
    assert_cookies_ended(app, saved)


def test_an_admin_who_moves_themselves_stays_signed_in_here(app, make_member, make_org):
    admin = make_member("admin")
    client, _ = sign_in(app, admin, remember=False)
    other_programme = make_org("programme")
    response = client.post(
        f"/members/{admin.id}/edit",
        data={
            "name": admin.name,
            "title": "",
            "role": "admin",
            "organisation_id": other_programme.id,
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_the_account_page_offers_sign_out_everywhere(app, make_member):
    client, _ = sign_in(app, make_member(), remember=False)
    page = client.get("/account").data
    assert b'action="/sign-out/everywhere"' in page and b"Sign out everywhere" in page


def test_sign_out_everywhere_needs_a_signed_in_post(app, client):
    assert client.get("/sign-out/everywhere").status_code == 405
    response = client.post("/sign-out/everywhere")
    assert response.status_code == 302 and response.location.startswith("/sign-in")


def test_sign_out_everywhere_checks_the_csrf_token(make_app, make_member):
    guarded = make_app(WTF_CSRF_ENABLED=True)
    member = make_member()
    client = guarded.test_client(user=member)
    token_before = member.session_token
    assert client.post("/sign-out/everywhere").status_code == 400
    db.session.expire_all()
    assert db.session.get(Member, member.id).session_token == token_before


# --- the loader and the token ------------------------------------------------------------


def test_the_loader_reads_the_token_and_ignores_the_nonce(app, make_member):
    member = make_member()
    assert load_member(member.session_token) is member
    assert load_member(member.sign_in_id()) is member
    assert member.sign_in_id() != member.sign_in_id()
    assert load_member(str(member.id)) is None  # an id from before session tokens
    assert load_member("") is None and load_member(".nonce") is None


def test_the_loader_refuses_an_inactive_member(app, make_member):
    member = make_member(active=False)
    assert load_member(member.session_token) is None


def test_end_sessions_replaces_the_token(app, make_member):
    member = make_member()
    before = member.session_token
    end_sessions(member)
    db.session.commit()
    assert member.session_token != before and len(member.session_token) >= 40
    assert load_member(before) is None and load_member(member.session_token) is member


def test_every_member_gets_a_token_of_their_own(app, make_member):
    members = [make_member() for _ in range(5)]
    tokens = db.session.scalars(select(Member.session_token)).all()
    assert len(set(tokens)) == len(members) and all(tokens)
