"""One-click unsubscribe (RFC 8058): headers on optional mail and digests only, and the link."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from convene.extensions import db
from convene.notifications.digest import send_digests
from convene.notifications.models import MailChoice, MailPreference, MailTopic
from convene.notifications.outbox import queue_email
from convene.notifications.preferences import (
    DIGEST_LIST,
    choice_for,
    choices_of,
    read_unsubscribe_token,
    set_choice,
    unsubscribe_token,
    verbatim,
)
from tests.conftest import body_of

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def send(member, topic):
    message = queue_email(
        member.email,
        "A note",
        "accounts/password_reset_no_account",
        topic=topic,
        email=member.email,
        forgot_link="http://convene.test/password/forgot",
    )
    db.session.commit()
    return message


def link_of(message) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    return header[1:-1]


def path_of(url: str) -> str:
    return urlsplit(url).path


def preferences() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(MailPreference.member_id, MailPreference.topic, MailPreference.choice).order_by(
            MailPreference.id
        )
    ).all()


# --- the headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("topic", list(MailTopic))
def test_optional_mail_carries_one_click_unsubscribe_for_its_topic(
    make_member, deliver_mail, topic
):
    member = make_member()
    send(member, topic)
    (received,) = deliver_mail()
    url = link_of(received)
    assert url.startswith("http://convene.test/mail/unsubscribe/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = url.rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (member.id, topic.value)


def test_the_link_is_written_verbatim_on_one_line_however_long(make_member, deliver_mail, app):
    """Folded into RFC 2047 encoded words, the URL would be no URL to a mail client."""
    app.config["BASE_URL"] = "https://convene.a-long-host-name-for-a-network.example.org/cities"
    member = make_member()
    send(member, MailTopic.TOPIC_NEWS)
    (received,) = deliver_mail()
    (raw,) = [value for name, value in received.raw_items() if name == "List-Unsubscribe"]
    assert "=?" not in raw and "\n" not in raw
    token = unsubscribe_token(member.id, "topic_news")
    assert raw == (
        "<https://convene.a-long-host-name-for-a-network.example.org/cities"
        f"/mail/unsubscribe/{token}>"
    )


def test_a_base_url_beyond_ascii_is_written_as_ascii(make_member, deliver_mail, app):
    app.config["BASE_URL"] = "https://convene.exämple.org/réseau"
    member = make_member()
    send(member, MailTopic.TOPIC_NEWS)
    (received,) = deliver_mail()
    (raw,) = [value for name, value in received.raw_items() if name == "List-Unsubscribe"]
    assert raw.isascii() and "=?" not in raw
    assert raw.startswith("<https://convene.xn--exmple-cua.org/r%C3%A9seau/mail/unsubscribe/")


def test_a_header_value_that_cannot_go_verbatim_is_left_to_the_mail_library():
    assert type(verbatim("List-Unsubscribe", "<https://exämple.org/x>")) is str
    assert type(verbatim("List-Unsubscribe", "<https://example.org/" + "x" * 1000 + ">")) is str
    kept = verbatim("List-Unsubscribe", "<https://example.org/x>")
    assert kept == "<https://example.org/x>" and kept.name == "List-Unsubscribe"


def test_essential_mail_carries_no_unsubscribe(make_member, deliver_mail):
    member = make_member()
    send(member, None)
    (received,) = deliver_mail()
    assert received["List-Unsubscribe"] is None
    assert received["List-Unsubscribe-Post"] is None


def test_the_daily_digest_carries_one_click_unsubscribe_for_the_digest(
    make_member, deliver_mail, app
):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.DIGEST)
    db.session.commit()
    send(member, MailTopic.TOPIC_NEWS)
    assert send_digests(datetime(2099, 1, 1, 23, 0, tzinfo=UTC)) == 1
    (received,) = deliver_mail()
    assert "daily digest" in received["Subject"]
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = link_of(received).rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (member.id, DIGEST_LIST)


def test_the_header_link_unsubscribes_in_one_click(make_member, deliver_mail, client):
    member = make_member()
    send(member, MailTopic.VOTE_UPDATES)
    (received,) = deliver_mail()
    response = client.post(
        path_of(link_of(received)),
        data=ONE_CLICK,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert choice_for(member.id, MailTopic.VOTE_UPDATES) == MailChoice.NEVER
    assert send(member, MailTopic.VOTE_UPDATES) is None  # nothing more of it


# --- the link -------------------------------------------------------------------------------


def test_get_asks_and_changes_nothing(make_member, client):
    member = make_member()
    response = client.get(f"/mail/unsubscribe/{unsubscribe_token(member.id, 'topic_news')}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Topic news" in page and member.email in page
    assert '<form method="post"' in page and "Unsubscribe" in page
    assert "csrf_token" not in page
    assert preferences() == []


def test_one_click_post_without_cookies_or_csrf_token(make_app, make_member):
    app = make_app(WTF_CSRF_ENABLED=True)  # as in production
    member = make_member()
    token = unsubscribe_token(member.id, "rsvp_receipts")
    client = app.test_client(use_cookies=False)
    response = client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK)
    assert response.status_code == 200
    assert "RSVP receipts" in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers  # nothing to keep: no session was started
    assert preferences() == [(member.id, MailTopic.RSVP_RECEIPTS, MailChoice.NEVER)]


def test_the_pages_button_posts_with_an_empty_body(make_app, make_member):
    app = make_app(WTF_CSRF_ENABLED=True)
    member = make_member()
    token = unsubscribe_token(member.id, "topic_news")
    client = app.test_client()
    assert client.get(f"/mail/unsubscribe/{token}").status_code == 200
    response = client.post(f"/mail/unsubscribe/{token}", data={"submit": "Unsubscribe"})
    assert response.status_code == 200
    assert choice_for(member.id, MailTopic.TOPIC_NEWS) == MailChoice.NEVER


def test_one_click_post_with_someone_elses_cookies_changes_the_token_member(make_app, make_member):
    app = make_app(WTF_CSRF_ENABLED=True)
    member, other = make_member(), make_member()
    client = app.test_client(user=other)  # a signed-in browser session of another member
    assert client.get("/account").status_code == 200
    response = client.post(
        f"/mail/unsubscribe/{unsubscribe_token(member.id, 'vote_updates')}", data=ONE_CLICK
    )
    assert response.status_code == 200
    assert choice_for(member.id, MailTopic.VOTE_UPDATES) == MailChoice.NEVER
    assert choices_of(other.id) == {t: MailChoice.IMMEDIATELY for t in MailTopic}


def test_posting_twice_is_harmless(make_member, client):
    member = make_member()
    url = f"/mail/unsubscribe/{unsubscribe_token(member.id, 'topic_news')}"
    assert client.post(url, data=ONE_CLICK).status_code == 200
    assert client.post(url, data=ONE_CLICK).status_code == 200
    assert preferences() == [(member.id, MailTopic.TOPIC_NEWS, MailChoice.NEVER)]


def test_the_digest_link_turns_off_every_topic_taken_as_a_digest(make_member, client):
    member = make_member()
    set_choice(member.id, MailTopic.TOPIC_NEWS, MailChoice.DIGEST)
    set_choice(member.id, MailTopic.VOTE_UPDATES, MailChoice.DIGEST)
    db.session.commit()
    send(member, MailTopic.TOPIC_NEWS)
    page = client.get(f"/mail/unsubscribe/{unsubscribe_token(member.id, DIGEST_LIST)}")
    assert "daily digest" in page.get_data(as_text=True)
    response = client.post(
        f"/mail/unsubscribe/{unsubscribe_token(member.id, DIGEST_LIST)}", data=ONE_CLICK
    )
    assert response.status_code == 200
    assert choices_of(member.id) == {
        MailTopic.RSVP_RECEIPTS: MailChoice.IMMEDIATELY,
        MailTopic.TOPIC_NEWS: MailChoice.NEVER,
        MailTopic.VOTE_UPDATES: MailChoice.NEVER,
        MailTopic.REMINDERS: MailChoice.IMMEDIATELY,
    }
    assert send_digests(datetime(2099, 1, 1, 23, 0, tzinfo=UTC)) == 0  # held mail dropped


def _tampered(token: str) -> list[str]:
    payload, signature = token.rsplit(".", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other = URLSafeSerializer("testing", salt="convene.something.else").dumps([1, "topic_news"])
    forged = URLSafeSerializer("not-the-secret", salt="convene.mail.unsubscribe").dumps(
        [1, "topic_news"]
    )
    return [
        f"{payload}.{flipped}",
        f"{payload[:-2]}xx.{signature}",
        payload,
        other,  # right key, another purpose
        forged,  # right purpose, another key
        "not-a-token",
        "a" * 200,
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_foreign_token_is_not_found_and_changes_nothing(make_member, client, method):
    member = make_member()
    for token in _tampered(unsubscribe_token(member.id, "topic_news")):
        response = getattr(client, method)(f"/mail/unsubscribe/{token}", data=ONE_CLICK)
        assert response.status_code == 404, token
    assert preferences() == []


@pytest.mark.parametrize(
    "payload", [[1, "newsletters"], ["1", "topic_news"], [True, "topic_news"], [1], "1"]
)
def test_a_validly_signed_token_of_the_wrong_shape_is_not_found(make_member, client, payload):
    make_member()
    token = URLSafeSerializer("testing", salt="convene.mail.unsubscribe").dumps(payload)
    assert client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK).status_code == 404
    assert preferences() == []


def test_the_token_of_a_deleted_member_is_not_found(make_member, client):
    member = make_member()
    token = unsubscribe_token(member.id, "topic_news")
    db.session.delete(member)
    db.session.commit()
    assert client.post(f"/mail/unsubscribe/{token}", data=ONE_CLICK).status_code == 404


def test_the_token_names_member_and_topic_and_does_not_expire(make_member):
    member = make_member()
    token = unsubscribe_token(member.id, "vote_updates")
    assert read_unsubscribe_token(token) == (member.id, "vote_updates")
    assert "." in token and len(token) < 120  # no timestamp part: it does not expire


def test_the_confirmation_page_lists_what_was_turned_off(make_member, client):
    member = make_member()
    response = client.post(
        f"/mail/unsubscribe/{unsubscribe_token(member.id, 'reminders')}", data=ONE_CLICK
    )
    assert "You will get no more Reminders." in response.get_data(as_text=True)


def test_optional_mail_body_is_untouched_by_the_headers(make_member, deliver_mail):
    member = make_member()
    send(member, MailTopic.TOPIC_NEWS)
    (received,) = deliver_mail()
    assert member.email in body_of(received)
