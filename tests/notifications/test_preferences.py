"""A member's choice per topic of optional mail, acted on where mail is queued, and the page."""

import re

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.notifications.models import (
    DigestItem,
    MailChoice,
    MailPreference,
    MailTopic,
    OutboxMessage,
)
from convene.notifications.outbox import queue_email
from convene.notifications.preferences import (
    choice_for,
    choices_of,
    choices_offered,
    set_choice,
)


def send(member, topic=MailTopic.TOPIC_NEWS, subject="News"):
    message = queue_email(
        member.email,
        subject,
        "accounts/password_reset_no_account",
        topic=topic,
        email=member.email,
        forgot_link="http://convene.test/password/forgot",
    )
    db.session.commit()
    return message


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def held() -> list[DigestItem]:
    db.session.expire_all()
    return db.session.scalars(select(DigestItem).order_by(DigestItem.id)).all()


def test_every_topic_comes_at_once_until_the_member_chooses(make_member):
    member = make_member()
    assert choices_of(member.id) == {t: MailChoice.IMMEDIATELY for t in MailTopic}
    message = send(member)
    assert message is not None
    assert (message.member_id, message.topic, message.is_digest) == (
        member.id,
        MailTopic.TOPIC_NEWS,
        False,
    )


def test_never_queues_nothing_and_other_topics_still_go(make_member):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.NEVER)
    db.session.commit()
    assert send(member, MailTopic.TOPIC_NEWS) is None
    assert send(member, MailTopic.VOTE_UPDATES) is not None
    assert [m.topic for m in outbox()] == [MailTopic.VOTE_UPDATES]
    assert held() == []


def test_digest_holds_the_text_for_the_digest_and_sends_nothing_now(make_member):
    member = make_member()
    set_choice(member.id, MailTopic.RSVP_RECEIPTS, MailChoice.DIGEST)
    db.session.commit()
    assert send(member, MailTopic.RSVP_RECEIPTS, subject="You answered yes") is None
    assert outbox() == []
    (item,) = held()
    assert (item.member_id, item.topic, item.subject, item.digest_id) == (
        member.id,
        MailTopic.RSVP_RECEIPTS,
        "You answered yes",
        None,
    )
    assert member.email in item.body_text


def test_essential_mail_always_goes_and_names_no_topic(make_member):
    member = make_member()
    for topic in MailTopic:
        set_choice(member.id, topic, MailChoice.NEVER)
    db.session.commit()
    message = send(member, topic=None, subject="Reset your password")
    assert message is not None
    assert (message.member_id, message.topic, message.is_digest) == (None, None, False)
    assert len(outbox()) == 1


def test_optional_mail_to_an_address_of_no_member_goes_as_at_once(app):
    message = queue_email(
        "someone@example.org",
        "News",
        "accounts/password_reset_no_account",
        topic=MailTopic.TOPIC_NEWS,
        email="someone@example.org",
        forgot_link="x",
    )
    db.session.commit()
    assert message is not None and message.member_id is None and message.topic is None


def test_the_address_is_matched_however_it_is_written(make_member):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.NEVER)
    db.session.commit()
    assert (
        queue_email(
            f"  {member.email.upper()} ",
            "News",
            "accounts/password_reset_no_account",
            topic=MailTopic.TOPIC_NEWS,
            email=member.email,
            forgot_link="x",
        )
        is None
    )


def test_a_topic_that_is_no_kind_of_mail_fails_loudly(make_member):
    member = make_member()
    with pytest.raises(ValueError):
        queue_email(member.email, "x", "accounts/password_reset_no_account", topic="a Topic row")


def test_a_choice_is_one_row_per_member_and_topic_and_the_last_wins(make_member):
    member = make_member()
    for choice in (MailChoice.DIGEST, MailChoice.NEVER, MailChoice.IMMEDIATELY):
        set_choice(member.id, MailTopic.VOTE_UPDATES, choice)
        db.session.commit()
    assert choice_for(member.id, MailTopic.VOTE_UPDATES) == MailChoice.IMMEDIATELY
    assert db.session.scalar(select(func.count()).select_from(MailPreference)) == 1


def test_choosing_never_drops_what_that_topic_held_for_the_digest(make_member):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.DIGEST)
    set_choice(member.id, MailTopic.VOTE_UPDATES, MailChoice.DIGEST)
    db.session.commit()
    send(member, MailTopic.TOPIC_NEWS)
    send(member, MailTopic.VOTE_UPDATES)
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.NEVER)
    db.session.commit()
    assert [i.topic for i in held()] == [MailTopic.VOTE_UPDATES]


def test_reminders_are_never_held_for_a_digest(make_member):
    member = make_member()
    assert MailChoice.DIGEST not in choices_offered(MailTopic.REMINDERS)
    with pytest.raises(ValueError):
        set_choice(member.id, MailTopic.REMINDERS, MailChoice.DIGEST)
    # A row written some other way still cannot hold a reminder back.
    db.session.add(
        MailPreference(member_id=member.id, topic=MailTopic.REMINDERS, choice=MailChoice.DIGEST)
    )
    db.session.commit()
    assert choice_for(member.id, MailTopic.REMINDERS) == MailChoice.IMMEDIATELY


def test_a_deleted_member_takes_their_choices_along(make_member):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.NEVER)
    db.session.commit()
    db.session.delete(member)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(MailPreference)) == 0


# --- the page -------------------------------------------------------------------------------


def test_the_page_needs_a_sign_in(client):
    response = client.get("/account/mail")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert (
        client.post("/account/mail/topic_news", data={"topic_news-choice": "never"}).status_code
        == 302
    )


def test_the_page_shows_one_form_per_topic_with_the_current_choice(make_member, client_for):
    member = make_member()
    set_choice(member.id, MailTopic.VOTE_UPDATES, MailChoice.DIGEST)
    db.session.commit()
    page = client_for(member).get("/account/mail").get_data(as_text=True)
    for topic in MailTopic:
        assert f'action="/account/mail/{topic.value}"' in page
    assert _checked(page, "vote_updates-choice") == "digest"
    assert _checked(page, "topic_news-choice") == "immediately"
    # Reminders offer no digest.
    assert "digest" not in [
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(r"<input[^>]*>", page)
        if 'name="reminders-choice"' in tag
    ]
    assert _checked(page, "reminders-choice") == "immediately"


def _checked(page: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_saving_a_choice(make_member, client_for):
    member = make_member()
    client = client_for(member)
    response = client.post("/account/mail/topic_news", data={"topic_news-choice": "digest"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/mail")
    assert choice_for(member.id, MailTopic.TOPIC_NEWS) == MailChoice.DIGEST
    page = client.get("/account/mail").get_data(as_text=True)
    assert "Topic news: in one daily digest." in page
    assert _checked(page, "topic_news-choice") == "digest"


@pytest.mark.parametrize(
    "topic, data",
    [
        ("topic_news", {"topic_news-choice": "sometimes"}),
        ("topic_news", {}),
        ("reminders", {"reminders-choice": "digest"}),
        ("topic_news", {"vote_updates-choice": "never"}),  # another form's field
    ],
)
def test_a_choice_not_offered_is_refused_and_changes_nothing(make_member, client_for, topic, data):
    member = make_member()
    response = client_for(member).post(f"/account/mail/{topic}", data=data)
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True) or "Choose one" in (
        response.get_data(as_text=True)
    )
    assert choices_of(member.id) == {t: MailChoice.IMMEDIATELY for t in MailTopic}


def test_an_unknown_topic_is_not_found(make_member, client_for):
    member = make_member()
    response = client_for(member).post(
        "/account/mail/newsletters", data={"newsletters-choice": "never"}
    )
    assert response.status_code == 404


def test_the_account_page_links_to_the_mail_choices(make_member, client_for):
    page = client_for(make_member()).get("/account").get_data(as_text=True)
    assert 'href="/account/mail"' in page


def test_each_member_sets_only_their_own_choices(make_member, client_for):
    one, other = make_member(), make_member()
    client_for(one).post("/account/mail/vote_updates", data={"vote_updates-choice": "never"})
    assert choice_for(one.id, MailTopic.VOTE_UPDATES) == MailChoice.NEVER
    assert choice_for(other.id, MailTopic.VOTE_UPDATES) == MailChoice.IMMEDIATELY
