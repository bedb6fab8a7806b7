"""The daily digest: one message per member and day with what they held, then marked sent."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.notifications.digest import send_digests, without_greeting
from convene.notifications.models import (
    DigestItem,
    MailChoice,
    MailDigest,
    MailTopic,
    OutboxMessage,
)
from convene.notifications.outbox import queue_email
from convene.notifications.preferences import set_choice
from tests.conftest import body_of

# DIGEST_HOUR is 17 in the member's zone; members are in New York (UTC-5 in January).
BEFORE = datetime(2099, 1, 1, 21, 59, tzinfo=UTC)  # 16:59 EST
AT = datetime(2099, 1, 1, 22, 0, tzinfo=UTC)  # 17:00 EST
NEXT_DAY = AT + timedelta(days=1)


def digest_member(make_member, *topics, **fields):
    member = make_member(**fields)
    for topic in topics or (MailTopic.TOPIC_NEWS,):
        set_choice(member.id, topic, MailChoice.DIGEST)
    db.session.commit()
    return member


def hold(member, subject: str, topic=MailTopic.TOPIC_NEWS) -> None:
    assert (
        queue_email(
            member.email,
            subject,
            "accounts/password_reset_no_account",
            topic=topic,
            email=member.email,
            forgot_link="http://convene.test/password/forgot",
        )
        is None
    )
    db.session.commit()


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_nothing_goes_before_the_digest_hour_in_the_members_zone(make_member):
    member = digest_member(make_member)
    hold(member, "Topic scheduled")
    assert send_digests(BEFORE) == 0
    assert outbox() == []


def test_one_message_with_the_days_held_items_then_marked_sent(make_member, deliver_mail):
    member = digest_member(make_member, MailTopic.TOPIC_NEWS, MailTopic.VOTE_UPDATES)
    hold(member, "Topic scheduled")
    hold(member, "Your vote counted", MailTopic.VOTE_UPDATES)
    assert send_digests(AT) == 1
    (message,) = outbox()
    assert message.recipient == member.email and message.is_digest
    assert message.member_id == member.id and message.topic is None
    (received,) = deliver_mail()
    assert received["Subject"] == "What Works Cities daily digest: 2 messages"
    body = body_of(received)
    assert body.index("Topic scheduled") < body.index("Your vote counted")
    assert body.count(f"Hello {member.name},") == 1  # greeted once, not once per item
    assert "Topic news, Vote updates" in body
    assert "http://convene.test/account/mail" in body
    db.session.expire_all()
    digest = db.session.scalars(select(MailDigest)).one()
    assert digest.day.isoformat() == "2099-01-01"
    assert {i.digest_id for i in db.session.scalars(select(DigestItem))} == {digest.id}


def test_once_a_day_however_often_it_runs(make_member):
    member = digest_member(make_member)
    hold(member, "First")
    assert send_digests(AT) == 1
    assert send_digests(AT + timedelta(minutes=1)) == 0
    hold(member, "Later the same day")
    assert send_digests(AT + timedelta(hours=1)) == 0  # waits for tomorrow's
    assert len(outbox()) == 1
    assert send_digests(NEXT_DAY) == 1
    messages = outbox()
    assert len(messages) == 2
    assert "Later the same day" in messages[1].body_text
    assert "First" not in messages[1].body_text


def test_no_digest_without_held_mail(make_member):
    digest_member(make_member)
    assert send_digests(AT) == 0
    assert db.session.scalar(select(func.count()).select_from(MailDigest)) == 0


def test_each_member_by_their_own_clock(make_member, make_org):
    honolulu = make_org("city", zone="Pacific/Honolulu", state="HI")
    local = digest_member(make_member)
    far = digest_member(make_member, organisation=honolulu)
    own_zone = digest_member(make_member, zone="Asia/Tokyo")  # their own zone wins
    for member in (local, far, own_zone):
        hold(member, "News")
    assert send_digests(AT) == 1  # 17:00 in New York, 12:00 in Honolulu, 07:00 in Tokyo
    assert [m.recipient for m in outbox()] == [local.email]
    honolulu_five = datetime(2099, 1, 2, 3, 0, tzinfo=UTC)  # 17:00 HST on 1 January
    assert send_digests(honolulu_five) == 1
    assert outbox()[-1].recipient == far.email
    assert db.session.scalars(
        select(MailDigest.day).where(MailDigest.member_id == far.id)
    ).one() == (datetime(2099, 1, 1).date())
    tokyo_five = datetime(2099, 1, 2, 8, 0, tzinfo=UTC)
    assert send_digests(tokyo_five) == 1
    assert outbox()[-1].recipient == own_zone.email


def test_an_inactive_member_gets_no_digest(make_member):
    member = digest_member(make_member)
    hold(member, "News")
    member.active = False
    db.session.commit()
    assert send_digests(AT) == 0


def test_the_digest_goes_whatever_the_members_choices_since(make_member):
    """The digest itself is not optional mail: a topic switched to at once still has its
    held items delivered in the next digest."""
    member = digest_member(make_member)
    hold(member, "Held before the switch")
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.IMMEDIATELY)
    db.session.commit()
    assert send_digests(AT) == 1


def test_flask_mail_digest(app, make_member):
    member = digest_member(make_member)
    hold(member, "News")
    app.config["DIGEST_HOUR"] = 0  # due at any hour
    result = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert result.exit_code == 0, result.output
    assert "1 digest queued" in result.output
    result = app.test_cli_runner().invoke(args=["mail", "digest"])
    assert "0 digests queued" in result.output


def test_without_greeting():
    assert without_greeting("Hello Dana,\n\nThe news.\n") == "The news.\n"
    assert without_greeting("The news.") == "The news."


@pytest.mark.postgres_only
def test_two_workers_send_each_member_one_digest(make_app, app, make_member):
    members = [digest_member(make_member) for _ in range(15)]
    for member in members:
        hold(member, "One")
        hold(member, "Two")
    worker_app = make_app()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with worker_app.app_context():
            barrier.wait()
            results.append(send_digests(AT))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == len(members)
    recipients = [m.recipient for m in outbox()]
    assert sorted(recipients) == sorted(m.email for m in members)
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count()).select_from(DigestItem).where(DigestItem.digest_id.is_(None))
        )
        == 0
    )
