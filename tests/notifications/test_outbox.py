import email
import email.policy
import logging
import smtplib
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from convene.accounts.invitations import invite_member
from convene.extensions import db
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.notifications.outbox import (
    Attachment,
    PermanentFailure,
    _to_mail,
    deliver_all,
    deliver_pending,
    describe,
    header_text,
    permanent_reason,
    queue_email,
    retry_delay,
    watch,
)
from convene.types import utcnow
from tests.conftest import body_of


def queue(n: int = 1, recipient: str = "person{i}@example.org") -> list[OutboxMessage]:
    messages = [
        queue_email(
            recipient.format(i=i),
            f"Note {i}",
            "accounts/password_reset_no_account",
            email=recipient.format(i=i),
            forgot_link="http://convene.test/password/forgot",
        )
        for i in range(n)
    ]
    db.session.commit()
    return messages


def all_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def outbox_ids(received) -> list[int]:
    return [int(m["X-Convene-Outbox-Id"]) for m in received]


def test_mail_is_written_in_the_callers_transaction(make_member):
    champion = make_member("champion")
    invite_member(champion, champion.organisation, "rolled@example.org", "Rolled Back")
    db.session.flush()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1  # in the transaction
    db.session.rollback()
    assert all_messages() == []
    invite_member(champion, champion.organisation, "kept@example.org", "Kept")
    db.session.commit()
    (message,) = all_messages()
    assert message.recipient == "kept@example.org" and message.status == OutboxStatus.PENDING


def test_pending_mail_is_delivered_to_the_smtp_server(app, smtp):
    queue_email(
        "rosa@example.org",
        "Your call",
        "accounts/password_reset_no_account",
        attachments=[Attachment("calls.csv", "text/csv", b"date,host")],
        email="rosa@example.org",
        forgot_link="http://convene.test/password/forgot",
    )
    db.session.commit()
    assert deliver_pending() == (1, 0)
    (received,) = smtp.wait_for(1)
    assert received["To"] == "rosa@example.org" and received["Subject"] == "Your call"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert "rosa@example.org" in body_of(received)
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_filename() == "calls.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_content() in (b"date,host", "date,host")
    (message,) = all_messages()
    assert message.status == OutboxStatus.SENT and message.sent_at is not None
    assert message.attempts == 1 and message.last_error is None
    assert deliver_pending() == (0, 0)  # nothing is sent twice


def test_a_stopped_smtp_server_leaves_mail_pending_and_it_arrives_once_when_back(app, smtp):
    smtp.stop()
    queue(5)
    started = utcnow()
    assert deliver_pending() == (0, 5)
    for message in all_messages():
        assert message.status == OutboxStatus.PENDING and message.attempts == 1
        assert "Connection refused" in message.last_error or "Errno" in message.last_error
        assert message.next_attempt_at >= started + timedelta(seconds=59)
    smtp.start()
    assert deliver_pending() == (0, 0)  # not due yet: it waits for its retry time
    assert smtp.messages == []
    # The retry time comes.
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert deliver_all() == (5, 0)
    assert deliver_all() == (0, 0)
    received = smtp.wait_for(5)
    assert sorted(outbox_ids(received)) == [m.id for m in all_messages()]
    assert len(received) == 5
    for message in all_messages():
        assert message.status == OutboxStatus.SENT and message.attempts == 2
        assert message.last_error is None


def test_mail_is_marked_failed_after_the_last_attempt(make_app, smtp):
    smtp.stop()
    app = make_app(MAIL_MAX_ATTEMPTS=2)
    with app.app_context():
        queue(1)
        assert deliver_pending() == (0, 1)
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert deliver_pending() == (0, 1)
        (message,) = all_messages()
        assert message.status == OutboxStatus.FAILED and message.attempts == 2
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
        assert deliver_pending() == (0, 0)  # given up: not tried again
        db.session.remove()


def test_retry_delay_backs_off_to_an_hour():
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4, 7, 20)] == [
        1,
        2,
        4,
        8,
        60,
        60,
    ]


def test_folder_transport_writes_eml_files(make_app, tmp_path):
    app = make_app(MAIL_TRANSPORT="folder", MAIL_FOLDER=str(tmp_path / "mail"))
    with app.app_context():
        (message,) = queue(1)
        assert deliver_pending() == (1, 0)
        written = (tmp_path / "mail" / f"{message.id:06d}.eml").read_bytes()
        assert b"Subject: Note 0" in written
        db.session.remove()


def test_console_transport_logs_the_mail(make_app, caplog):
    app = make_app(MAIL_TRANSPORT="console")
    with app.app_context(), caplog.at_level(logging.WARNING):
        queue(1)
        assert deliver_pending() == (1, 0)
        db.session.remove()
    assert "person0@example.org" in caplog.text


def test_watch_delivers_what_arrives(app, smtp):
    queue(3)
    watch(interval=0.01, stop_after=1)
    assert len(smtp.wait_for(3)) == 3


@pytest.mark.postgres_only
def test_two_workers_never_send_the_same_message(make_app, app, smtp):
    queue(40)
    smtp.delay = 0.01  # each message takes a moment, so the workers overlap
    worker_app = make_app()
    barrier = threading.Barrier(2)
    results: list[tuple[int, int]] = []

    def worker():
        with worker_app.app_context():
            barrier.wait()
            results.append(deliver_all())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    received = smtp.wait_for(40)
    ids = outbox_ids(received)
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sum(sent for sent, _ in results) == 40
    assert all(sent > 0 for sent, _ in results), results  # both really worked
    assert all(m.status == OutboxStatus.SENT and m.attempts == 1 for m in all_messages())


def test_the_worker_survives_a_failed_round(app, smtp, monkeypatch):
    from convene.notifications import outbox

    queue(1)
    real = outbox.deliver_all
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real()

    monkeypatch.setattr(outbox, "deliver_all", flaky)
    watch(interval=0.01, stop_after=2)
    assert len(calls) == 2
    assert len(smtp.wait_for(1)) == 1


def test_plain_text_mail_has_no_html_part(app, smtp):
    (message,) = queue(1)
    assert message.body_html is None
    deliver_pending()
    (received,) = smtp.wait_for(1)
    assert received.get_body(preferencelist=("html",)) is None


# --- headers from stored text, and mail that can never be sent -----------------------------


def test_a_line_break_in_a_members_name_folds_into_the_subject(make_member, smtp):
    champion = make_member("champion", name="Ana\r\nBcc: everyone@example.org\x07")
    invite_member(champion, champion.organisation, "new@example.org", "New Person")
    db.session.commit()
    (message,) = all_messages()
    assert message.subject.startswith("Ana Bcc: everyone@example.org invited you to ")
    assert deliver_pending() == (1, 0)
    (received,) = smtp.wait_for(1)
    assert received["Subject"].strip() == message.subject  # folded after "Subject:"
    assert received["Bcc"] is None and received["To"] == "new@example.org"
    assert all_messages()[0].status == OutboxStatus.SENT


def test_mail_queued_with_a_raw_line_break_before_the_fix_still_goes(app, smtp):
    row = OutboxMessage(
        recipient=" old@example.org\r\n",
        subject="Ana\r\nLópez is coming",
        body_text="Hello",
        attachments=[],
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    assert deliver_pending() == (1, 0)
    (received,) = smtp.wait_for(1)
    assert received["Subject"] == "Ana López is coming"
    assert received["To"] == "old@example.org"


def test_a_long_subject_is_cut_to_what_the_outbox_holds(app):
    (message,) = [
        queue_email(
            "long@example.org",
            "x" * 1000,
            "accounts/password_reset_no_account",
            email="long@example.org",
            forgot_link="x",
        )
    ]
    db.session.commit()
    assert len(message.subject) == 300 and message.subject.endswith("…")


@pytest.mark.parametrize("address", ["not an address", "two@@example.org", "", "a@b@c"])
def test_an_invalid_address_fails_at_once_with_its_reason(app, smtp, address):
    queue(1, recipient=address)
    (message,) = all_messages()
    assert message.status == OutboxStatus.FAILED and message.attempts == 0
    assert message.last_error.startswith("invalid address")
    assert deliver_pending() == (0, 0)
    assert smtp.messages == []


def test_an_invalid_address_already_pending_fails_on_its_first_attempt(app, smtp):
    (message,) = queue(1)
    db.session.execute(update(OutboxMessage).values(recipient="nobody"))
    db.session.commit()
    assert deliver_pending() == (0, 1)
    (message,) = all_messages()
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error == "invalid address 'nobody'"


def _refusing(smtp, monkeypatch):
    """The test server answers RCPT for gone@ with 550 and for busy@ with 450."""

    async def handle_rcpt(server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    monkeypatch.setattr(smtp, "handle_RCPT", handle_rcpt, raising=False)


def test_a_recipient_refused_with_5xx_fails_at_once_and_4xx_is_retried(app, smtp, monkeypatch):
    _refusing(smtp, monkeypatch)
    queue(1, recipient="gone@example.org")
    queue(1, recipient="busy@example.org")
    queue(1, recipient="here@example.org")
    assert deliver_pending() == (1, 2)
    gone, busy, here = all_messages()
    assert gone.status == OutboxStatus.FAILED and gone.attempts == 1
    assert gone.last_error == "gone@example.org refused: 550 5.1.1 No such user here"
    assert busy.status == OutboxStatus.PENDING and "450" in busy.last_error
    assert here.status == OutboxStatus.SENT
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
    db.session.commit()
    assert deliver_pending() == (0, 1)  # only the 4xx is tried again
    assert all_messages()[1].attempts == 2


@pytest.mark.parametrize(
    "error, permanent",
    [
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (452, b"mailbox full")}), False),
        (smtplib.SMTPDataError(554, b"message refused as spam"), True),
        (smtplib.SMTPDataError(451, b"try again"), False),
        (smtplib.SMTPSenderRefused(553, b"sender refused", "convene@localhost"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad password"), False),
        (smtplib.SMTPServerDisconnected(), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (PermanentFailure("a header holds a line break"), True),
    ],
)
def test_which_failures_are_permanent(error, permanent):
    reason = permanent_reason(error)
    assert (reason is not None) == permanent
    assert reason is None or reason.strip()


def test_a_failure_always_has_a_reason():
    from flask_mail import BadHeaderError

    assert describe(BadHeaderError()) == "BadHeaderError"
    assert describe(smtplib.SMTPServerDisconnected()) == "SMTPServerDisconnected"


def test_a_message_that_cannot_be_written_fails_at_once(app, smtp):
    (message,) = queue(1)
    db.session.execute(
        update(OutboxMessage).values(
            attachments=[{"filename": "x.ics", "content_type": "text/calendar", "data": "abc"}]
        )
    )
    db.session.commit()
    assert deliver_pending() == (0, 1)
    (message,) = all_messages()
    assert message.status == OutboxStatus.FAILED and message.attempts == 1
    assert message.last_error.startswith("the message cannot be written: ")


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(subject=st.text(st.characters(codec=None, exclude_categories=()), max_size=400))
def test_any_subject_makes_a_message_with_one_subject_line(app, subject):
    row = OutboxMessage(
        id=1, recipient="a@example.org", subject=subject, body_text="x", attachments=[]
    )
    written = _to_mail(row).as_bytes()
    sent = email.message_from_bytes(written, policy=email.policy.default)
    assert len(sent.get_all("Subject", [])) <= 1
    assert not set("\r\n\x00") & set(header_text(subject))
    # Equal but for white space: RFC 2047 drops a space between two encoded words.
    assert "".join((sent["Subject"] or "").split()) == "".join(header_text(subject).split())
