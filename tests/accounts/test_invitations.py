import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convene.accounts.invitations import (
    AccountError,
    accept_invitation,
    find_token,
    invite_member,
    issue_token,
    request_password_reset,
    send_invitation,
)
from convene.accounts.models import Member, MemberToken, TokenPurpose
from convene.accounts.passwords import verify_password
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.types import utcnow
from tests.conftest import body_of

NEW_PASSWORD = "a brand new password"


def link_in(message) -> str:
    """The path of the first Convene link in an email."""
    match = re.search(r"http://convene\.test(/\S+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_invitation_creates_a_member_without_password_and_mails_a_link(
    make_member, deliver_mail, client
):
    champion = make_member("champion")
    member = invite_member(champion, champion.organisation, "New.Person@Example.org", "New Person")
    db.session.commit()
    assert member.email == "new.person@example.org" and member.password_hash is None
    (message,) = deliver_mail()
    assert message["To"] == "new.person@example.org"
    assert champion.name in message["Subject"]
    path = link_in(message)
    assert path.startswith("/invitation/")
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(member)
    assert verify_password(member, NEW_PASSWORD)


def test_invitation_to_a_registered_address_tells_its_owner_and_creates_nothing(
    make_member, deliver_mail
):
    champion = make_member("champion")
    other = make_member(name="Olu Other")
    members_before = db.session.scalar(select(func.count(Member.id)))
    assert invite_member(champion, champion.organisation, other.email.upper(), "Again") is None
    db.session.commit()
    assert db.session.scalar(select(func.count(Member.id))) == members_before
    assert db.session.scalar(select(func.count(MemberToken.id))) == 0
    (message,) = deliver_mail()
    assert message["To"] == other.email
    body = body_of(message)
    assert "Olu Other" in body and champion.name in body and "already have an account" in body
    assert "http://convene.test/sign-in" in body and "/password/forgot" in body
    assert "/invitation/" not in body


def test_a_deactivated_owner_hears_to_ask_for_reactivation(make_member, deliver_mail):
    champion = make_member("champion")
    other = make_member(active=False)
    invite_member(champion, champion.organisation, other.email, "Again")
    db.session.commit()
    (message,) = deliver_mail()
    assert "deactivated" in body_of(message) and "/sign-in" not in body_of(message)


def test_a_role_that_does_not_fit_is_refused_whether_or_not_the_address_is_known(
    make_member, make_org
):
    admin = make_member("admin")
    city = make_org("city")
    known = make_member()
    for email in (known.email, "unknown@example.org"):
        with pytest.raises(AccountError, match="Hosts"):
            invite_member(admin, city, email, "H", role="host")
        db.session.rollback()
    assert outbox_count() == 0


def test_a_second_champion_cannot_be_invited(make_member):
    champion = make_member("champion")
    admin = make_member("admin")
    with pytest.raises(AccountError, match="already has a champion"):
        invite_member(admin, champion.organisation, "two@example.org", "Two", role="champion")


def test_roles_must_fit_the_organisation(make_member, make_org):
    admin = make_member("admin")
    with pytest.raises(AccountError, match="Hosts"):
        invite_member(admin, make_org("city"), "h@example.org", "H", role="host")
    with pytest.raises(AccountError, match="Only a city"):
        invite_member(admin, make_org("partner"), "c@example.org", "C", role="champion")
    with pytest.raises(AccountError, match="Admins"):
        invite_member(admin, make_org("partner"), "a@example.org", "A", role="admin")


def test_an_expired_link_no_longer_works(make_member, client):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    db.session.commit()
    assert find_token(secret, TokenPurpose.INVITATION) is not None
    token = db.session.scalar(select(MemberToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert find_token(secret, TokenPurpose.INVITATION) is None
    response = client.post(
        f"/invitation/{secret}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 404 and b"no longer works" in response.data
    db.session.refresh(member)
    assert member.password_hash is None


def test_a_link_is_for_one_purpose_only(make_member):
    member = make_member()
    secret = issue_token(member, TokenPurpose.PASSWORD_RESET, hours=1)
    db.session.commit()
    assert find_token(secret, TokenPurpose.INVITATION) is None
    assert find_token(secret, TokenPurpose.PASSWORD_RESET) is not None


def test_a_link_works_once(make_member, client):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    db.session.commit()
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(f"/invitation/{secret}", data=data).status_code == 302
    other_client = client.application.test_client()
    response = other_client.post(
        f"/invitation/{secret}", data={"password": "another password!", "confirm": "x"}
    )
    assert response.status_code == 404
    db.session.refresh(member)
    assert verify_password(member, NEW_PASSWORD)


def test_a_new_invitation_retires_the_old_link(make_member, deliver_mail):
    champion = make_member("champion")
    member = invite_member(champion, champion.organisation, "p@example.org", "P")
    db.session.commit()
    first = link_in(deliver_mail()[0]).rsplit("/", 1)[1]
    send_invitation(champion, member)
    db.session.commit()
    second = link_in(deliver_mail()[0]).rsplit("/", 1)[1]
    assert find_token(first, TokenPurpose.INVITATION) is None
    assert find_token(second, TokenPurpose.INVITATION) is not None


def test_a_deactivated_members_link_no_longer_works(make_member):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    member.active = False
    db.session.commit()
    assert find_token(secret, TokenPurpose.INVITATION) is None


@pytest.mark.postgres_only
def test_two_simultaneous_uses_of_one_link_let_exactly_one_through(make_app, make_member):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    db.session.commit()
    racing_app = make_app()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def use(password: str) -> None:
        with racing_app.app_context():
            token = find_token(secret, TokenPurpose.INVITATION)
            assert token is not None  # both see the link unused
            barrier.wait()
            try:
                accept_invitation(token, password)
                db.session.commit()
                outcomes.append(password)
            except AccountError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [
        threading.Thread(target=use, args=(p,)) for p in ("first password", "second password")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2 and outcomes.count("refused") == 1, outcomes
    winner = next(o for o in outcomes if o != "refused")
    db.session.expire_all()
    assert verify_password(db.session.get(Member, member.id), winner)


def test_reset_for_a_registered_and_an_unknown_address_looks_the_same(make_member, client):
    member = make_member()
    responses, counts = [], []
    for email in (member.email, "nobody@example.org"):
        before = outbox_count()
        response = client.post("/password/forgot", data={"email": email}, follow_redirects=True)
        responses.append(response)
        counts.append(outbox_count() - before)
    known, unknown = responses
    assert known.status_code == unknown.status_code == 200
    assert known.request.path == unknown.request.path == "/sign-in"
    assert known.data == unknown.data
    assert counts == [1, 1]


def test_reset_link_sets_a_new_password(make_member, deliver_mail, client):
    member = make_member()
    request_password_reset(member.email.upper())
    db.session.commit()
    (message,) = deliver_mail()
    path = link_in(message)
    assert path.startswith("/password/reset/")
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(member)
    assert verify_password(member, NEW_PASSWORD)
    assert client.get(path).status_code == 404


def test_unknown_address_gets_a_note_without_a_link(deliver_mail):
    request_password_reset("stranger@example.org")
    db.session.commit()
    (message,) = deliver_mail()
    assert message["To"] == "stranger@example.org"
    assert "no active account" in body_of(message)
    assert "/password/reset/" not in body_of(message)
    assert db.session.scalar(select(func.count(MemberToken.id))) == 0


def test_mismatched_passwords_change_nothing(make_member, client):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    db.session.commit()
    response = client.post(
        f"/invitation/{secret}", data={"password": NEW_PASSWORD, "confirm": "different one"}
    )
    assert response.status_code == 200 and b"The passwords differ" in response.data
    assert find_token(secret, TokenPurpose.INVITATION) is not None


def test_link_pages_are_never_stored(make_member, client):
    member = make_member(password_hash=None)
    secret = issue_token(member, TokenPurpose.INVITATION, hours=24)
    db.session.commit()
    assert client.get(f"/invitation/{secret}").headers["Cache-Control"] == "no-store"
    assert client.get("/invitation/unknown").headers["Cache-Control"] == "no-store"
