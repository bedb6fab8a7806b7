"""The admins' Mail page: failed mail with its reason, pending mail with its next try."""

from sqlalchemy import update

from convene.extensions import db
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.notifications.outbox import deliver_pending, queue_email


def _queue(recipient: str, subject: str) -> OutboxMessage:
    message = queue_email(
        recipient,
        subject,
        "accounts/password_reset_no_account",
        email=recipient,
        forgot_link="http://convene.test/password/forgot",
    )
    db.session.commit()
    return message


def test_admins_see_failed_mail_with_its_reason_and_pending_mail(
    make_member, client_for, smtp, monkeypatch
):
    failed = _queue("nobody", "Never sent")
    sent = _queue("sent@example.org", "Delivered")
    deliver_pending()
    smtp.stop()
    waiting = _queue("later@example.org", "Waiting <b>for</b> the server")
    deliver_pending()
    page = client_for(make_member("admin")).get("/admin/mail")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'id="message-{failed.id}"' in text and "invalid address &#39;nobody&#39;" in text
    assert f'id="message-{waiting.id}"' in text and "Connection refused" in text
    assert "Waiting &lt;b&gt;for&lt;/b&gt; the server" in text  # escaped, as all stored text
    assert f'id="message-{sent.id}"' not in text

    only_failed = client_for(make_member("admin")).get("/admin/mail?status=failed")
    assert f'id="message-{waiting.id}"'.encode() not in only_failed.data
    assert f'id="message-{failed.id}"'.encode() in only_failed.data


def test_the_page_says_when_nothing_is_waiting(make_member, client_for):
    page = client_for(make_member("admin")).get("/admin/mail")
    assert b"every message has been delivered" in page.data


def test_only_admins_see_the_mail_page(make_member, client_for, client):
    assert client_for(make_member("host")).get("/admin/mail").status_code == 403
    assert client.get("/admin/mail").status_code == 302  # to sign in
    admin_page = client_for(make_member("admin")).get("/").data
    assert b'href="/admin/mail"' in admin_page
    assert b'href="/admin/mail"' not in client_for(make_member("champion")).get("/").data


def test_a_message_given_up_after_its_attempts_shows_its_last_error(make_member, client_for, smtp):
    message = _queue("late@example.org", "Given up")
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=OutboxStatus.FAILED, attempts=12, last_error="SMTPServerDisconnected")
    )
    db.session.commit()
    text = client_for(make_member("admin")).get("/admin/mail").get_data(as_text=True)
    assert "SMTPServerDisconnected" in text and ">12<" in text
