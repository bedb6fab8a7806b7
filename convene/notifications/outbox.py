"""Queueing and delivering mail.

queue_email only adds a row to the session: the caller's commit sends it into the outbox
with the change it reports, and a rollback takes both away. Delivery happens later, in
deliver_pending, run by `flask mail send`.
"""

import base64
import contextlib
import logging
import signal
import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_mail import Attachment as MailAttachment
from flask_mail import Message
from jinja2 import TemplateNotFound
from sqlalchemy import select

from convene.extensions import db, mail
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. 'text/calendar; method=REQUEST; charset=utf-8'
    data: bytes


def queue_email(
    recipient: str,
    subject: str,
    template: str,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    **context,
) -> OutboxMessage:
    """Render mail/<template>.txt (and .html when present) into a pending outbox row."""
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    text = render_template(f"mail/{template}.txt", subject=subject, **context)
    try:
        html = render_template(f"mail/{template}.html", subject=subject, **context)
    except TemplateNotFound as exc:
        if exc.name != f"mail/{template}.html":  # the HTML version exists but is broken
            raise
        html = None  # plain text only
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=[
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments
        ],
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def _to_mail(message: OutboxMessage) -> Message:
    mail_message = Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"X-Convene-Outbox-Id": str(message.id)},
    )
    mail_message.msgId = make_msgid(domain="convene", idstring=f"outbox-{message.id}")
    for item in message.attachments or []:
        mail_message.attachments.append(
            MailAttachment(
                filename=item["filename"],
                data=base64.b64decode(item["data"]),
                content_type=item["content_type"],
                disposition="attachment",
            )
        )
    return mail_message


def _transport(mail_message: Message, message: OutboxMessage) -> None:
    kind = current_app.config["MAIL_TRANSPORT"]
    if kind == "smtp":
        mail.send(mail_message)
    elif kind == "folder":
        folder = Path(current_app.config["MAIL_FOLDER"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id:06d}.eml").write_bytes(mail_message.as_bytes())
    elif kind == "console":
        log.warning("mail to %s: %s\n%s", message.recipient, message.subject, message.body_text)
    else:
        raise RuntimeError(f"unknown MAIL_TRANSPORT {kind!r}")


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def deliver_pending(batch: int = 50) -> tuple[int, int]:
    """Send due messages; returns (sent, failed attempts).

    Each message is claimed with FOR UPDATE SKIP LOCKED in its own transaction, so two
    workers on PostgreSQL never send the same one (SQLite has one writer at a time anyway).
    """
    sent = failed = 0
    for _ in range(batch):
        message = db.session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= utcnow(),
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if message is None:
            break
        try:
            _transport(_to_mail(message), message)
        except Exception as exc:  # any SMTP or socket failure leaves it pending
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                message.status = OutboxStatus.FAILED
            else:
                message.next_attempt_at = utcnow() + retry_delay(message.attempts)
            failed += 1
            log.warning("mail %s to %s failed: %s", message.id, message.recipient, exc)
        else:
            message.attempts += 1
            message.status = OutboxStatus.SENT
            message.sent_at = utcnow()
            message.last_error = None
            sent += 1
        db.session.commit()
    return sent, failed


def deliver_all() -> tuple[int, int]:
    """Send everything that is due, batch after batch; returns (sent, failed attempts)."""
    total_sent = total_failed = 0
    while True:
        sent, failed = deliver_pending()
        total_sent += sent
        total_failed += failed
        # Failed messages wait for their retry time, so a batch without a success ends it.
        if sent == 0 or _Stop.requested:
            return total_sent, total_failed


class _Stop:
    """Set by SIGTERM/SIGINT so the worker finishes the message in hand, then exits."""

    requested = False

    @classmethod
    def request(cls, *_args) -> None:
        cls.requested = True


def watch(interval: float = 5.0, stop_after: int | None = None) -> None:
    """The worker loop behind `flask mail send --watch`: survives a database or SMTP outage."""
    _Stop.requested = False
    if stop_after is None:
        signal.signal(signal.SIGTERM, _Stop.request)
        signal.signal(signal.SIGINT, _Stop.request)
    rounds = 0
    while not _Stop.requested and (stop_after is None or rounds < stop_after):
        rounds += 1
        try:
            sent, failed = deliver_all()
        except Exception:  # the database went away: log, wait, try again
            log.exception("mail: delivery round failed")
            with contextlib.suppress(Exception):
                db.session.rollback()
            db.session.remove()
            sent = failed = 0
        if sent or failed:
            log.warning("mail: %s sent, %s failed", sent, failed)
        if stop_after is not None and rounds >= stop_after:
            break
        deadline = time.monotonic() + interval
        while not _Stop.requested and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))
