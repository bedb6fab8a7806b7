"""Queueing and delivering mail.

queue_email only adds a row to the session: the caller's commit sends it into the outbox
with the change it reports, and a rollback takes both away. Delivery happens later, in
deliver_pending, run by `flask mail send`.

Every message is built here, so headers are made only of normalised text: a line break
in a member's name folds into a space instead of making the mail unsendable. A message
that can never be sent (an invalid address, a header that cannot be written, a 5xx
refusal of its recipient or content) fails at once with its reason; anything else (the
server is down, a 4xx) is retried with back-off, up to MAIL_MAX_ATTEMPTS.
"""

import base64
import contextlib
import logging
import re
import signal
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.mime.text import MIMEText
from email.utils import formataddr, make_msgid, parseaddr
from html import escape
from pathlib import Path

from flask import current_app, render_template
from flask_mail import Attachment as MailAttachment
from flask_mail import Message
from jinja2 import TemplateNotFound
from sqlalchemy import select

from convene.accounts.models import Member, normalise_email
from convene.extensions import db, mail
from convene.inputs import clean, shorten, single_line
from convene.notifications.models import DigestItem, OutboxMessage, OutboxStatus
from convene.notifications.preferences import (
    MailChoice,
    MailTopic,
    choice_for,
    unsubscribe_headers,
)
from convene.types import utcnow

log = logging.getLogger(__name__)

SUBJECT_MAX = 300  # the outbox column
ADDRESS_MAX = 254  # RFC 5321's limit on a forward path, and the outbox column
REASON_MAX = 2000

# White space in any form, which an address holds nowhere.
_SPACES = re.compile(r"\s+")
_ADDRESS = re.compile(r"[^@\s\"(),:;<>\[\]\\]{1,64}@[^@\s\"(),:;<>\[\]\\]{1,253}")


class PermanentFailure(Exception):
    """This message can never be sent as it is: it fails at once and is not retried."""


def header_text(value, limit: int = SUBJECT_MAX) -> str:
    """Text fit for a mail header: no controls, one line, trimmed, at most `limit` long."""
    return shorten(single_line(str(value or "")), limit)


def mail_address(value) -> str:
    """An address as stored: no controls or white space anywhere in it."""
    return _SPACES.sub("", clean(str(value or "")))[:ADDRESS_MAX]


def address_problem(address: str) -> str | None:
    """Why mail can never reach this address, or None if it may."""
    if not _ADDRESS.fullmatch(address or "") or len(address) > ADDRESS_MAX:
        return f"invalid address {address!r}"
    return None


def _sender() -> str:
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    return formataddr((header_text(name), mail_address(address)))


def describe(exc: BaseException) -> str:
    """A failure's reason for the outbox: never empty."""
    text = str(exc).strip()
    reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return reason[:REASON_MAX]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. 'text/calendar; method=REQUEST; charset=utf-8'
    data: bytes


class TooManyInvitations(ValueError):
    """A message given more than one calendar part: a programming error (one event per
    message, or clients show one meeting and drop the rest, or none at all)."""


def one_invitation(attachments: Iterable[Attachment | None]) -> list[Attachment]:
    """The attachments, without the Nones and with at most one invitation.

    A second invitation raises under test (where it must be fixed); elsewhere it is logged
    and left out, so the change that caused the mail still commits and the mail goes with
    its first invitation.
    """
    kept, calendars = [], 0
    for attachment in attachments:
        if attachment is None:
            continue
        if _is_calendar(attachment.content_type):
            calendars += 1
            if calendars > 1:
                if current_app.testing:
                    raise TooManyInvitations("one event per message: a second invitation")
                log.error("mail: a second invitation left out (one event per message)")
                continue
        kept.append(attachment)
    return kept


def queue_email(
    recipient: str,
    subject: str,
    template: str,
    attachments: Iterable[Attachment | None] = (),
    topic: MailTopic | None = None,
    **context,
) -> OutboxMessage | None:
    """Render mail/<template>.txt (and .html when present) into a pending outbox row.

    `topic` is None for essential mail, which always goes. Optional mail follows the
    recipient member's choice for its topic: never queues nothing, digest holds the text
    for their daily digest (attachments left out), at once queues it with the member and
    topic that its unsubscribe headers name; either of the first two returns None. The
    subject and address are normalised here, for every mail. Attachments that are None
    (an invitation that could not be built) are left out. An address no mail can reach is
    stored as failed, with its reason, instead of pending.
    """
    topic = MailTopic(topic) if topic is not None else None  # a wrong kind fails loudly
    subject = header_text(subject)
    recipient = mail_address(recipient)
    member_id = choice = None
    if topic is not None:
        member_id = db.session.scalar(
            select(Member.id).where(Member.email == normalise_email(recipient))
        )
        if member_id is not None:
            choice = choice_for(member_id, topic)
    if choice == MailChoice.NEVER:
        return None
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    text = render_template(f"mail/{template}.txt", subject=subject, **context)
    if choice == MailChoice.DIGEST:
        db.session.add(
            DigestItem(member_id=member_id, topic=topic, subject=subject, body_text=text)
        )
        return None
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
            for a in one_invitation(attachments)
        ],
        status=OutboxStatus.PENDING,
        next_attempt_at=utcnow(),
        member_id=member_id,
        topic=topic if member_id is not None else None,
        is_digest=False,
    )
    problem = address_problem(recipient)
    if problem is not None:
        message.status = OutboxStatus.FAILED
        message.last_error = problem
        log.warning("mail to %r failed at once: %s", recipient, problem)
    db.session.add(message)
    return message


def _to_mail(message: OutboxMessage) -> Message:
    """The message to send; PermanentFailure if this row can never make one.

    Rows are normalised again here: mail queued before headers were normalised still goes.
    """
    recipient = mail_address(message.recipient)
    problem = address_problem(recipient)
    if problem is not None:
        raise PermanentFailure(problem)
    try:
        mail_message = _build(message, recipient)
        mail_message.extra_headers = {  # RFC 8058, for optional mail and digests
            **(mail_message.extra_headers or {}),
            **unsubscribe_headers(message),
        }
        if mail_message.has_bad_headers():
            raise PermanentFailure("a header holds a line break")
        mail_message.as_bytes()  # what cannot be written now never can be
    except PermanentFailure:
        raise
    except Exception as exc:
        raise PermanentFailure(f"the message cannot be written: {describe(exc)}") from exc
    return mail_message


def _build(message: OutboxMessage, recipient: str) -> Message:
    """The MIME message; with an invitation, in the shape every client shows as a meeting:

        multipart/mixed
          multipart/alternative
            text/plain
            text/html
            text/calendar; charset=utf-8; method=REQUEST (or CANCEL)
          application/ics  invite.ics  (attachment: the same bytes)

    The shape Google Calendar sends: Gmail draws its card from the inline text/calendar
    part, Outlook and Apple Mail treat it as a meeting request (RFC 6047 2.4), and the
    application/ics copy is a file to import for clients that read neither (it is not
    text/calendar, so no client takes it for a second meeting).
    """
    items = list(message.attachments or [])
    calendar = next((i for i in items if _is_calendar(i["content_type"])), None)
    html = message.body_html
    if calendar is not None and html is None:
        html = html_from_text(message.body_text)
    mail_message = _Message(
        subject=header_text(message.subject),
        recipients=[recipient],
        body=message.body_text,
        html=html,
        sender=_sender(),
        extra_headers={"X-Convene-Outbox-Id": str(message.id)},
    )
    mail_message.msgId = make_msgid(domain="convene", idstring=f"outbox-{message.id}")
    for item in items:
        data = base64.b64decode(item["data"])
        if item is calendar:
            mail_message.calendar = (data, _method(item["content_type"]))
            filename, content_type = ICS_FILENAME, "application/ics"
        elif _is_calendar(item["content_type"]):
            log.error("mail %s: a second invitation left out (one event per message)", message.id)
            continue
        else:
            filename, content_type = item["filename"], item["content_type"]
        mail_message.attachments.append(
            MailAttachment(
                filename=filename,
                data=data,
                content_type=content_type,
                disposition="attachment",
            )
        )
    return mail_message


ICS_FILENAME = "invite.ics"


def _is_calendar(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "text/calendar"


def _method(content_type: str) -> str:
    """The iTIP method a calendar attachment was queued with (REQUEST without one)."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "method":
            return value.strip().strip('"').upper()
    return "REQUEST"


class _Message(Message):
    """Flask-Mail's message, plus an inline text/calendar part inside its alternative."""

    calendar: tuple[bytes, str] | None = None  # (iCalendar bytes, iTIP method)

    def _message(self):
        root = super()._message()
        if self.calendar is None:
            return root
        data, method = self.calendar
        (alternative,) = [p for p in root.get_payload() if p.get_content_subtype() == "alternative"]
        part = MIMEText(data.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method, requote=False)  # a token, written as clients write it
        alternative.attach(part)
        return root


def html_from_text(text: str) -> str:
    """An HTML part made of the text one (escaped, links made links): clients that show a
    meeting expect one beside the text/calendar part."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [_LINK.sub(_link, escape(line)) for line in block.split("\n")]
        paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        + "\n".join(paragraphs)
        + "\n</body></html>\n"
    )


_LINK = re.compile(r"https?://[^\s<>&\"]+(?:&amp;[^\s<>&\"]+)*")


def _link(match: re.Match) -> str:
    url = match.group(0)
    return f'<a href="{url}">{url}</a>'


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


def permanent_reason(exc: BaseException) -> str | None:
    """The reason a send failed for good (a 5xx refusal of the recipient or of the
    content), or None when trying again later may work."""
    if isinstance(exc, PermanentFailure):
        return str(exc) or "the message cannot be sent"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = list(exc.recipients.items())
        if refusals and all(code >= 500 for _address, (code, _text) in refusals):
            return "; ".join(
                f"{address} refused: {code} {_smtp_text(text)}"
                for address, (code, text) in refusals
            )[:REASON_MAX]
        return None
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
        return f"message refused: {exc.smtp_code} {_smtp_text(exc.smtp_error)}"[:REASON_MAX]
    return None


def _smtp_text(text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return header_text(text, REASON_MAX) or "(no text)"


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def deliver_pending(batch: int = 50) -> tuple[int, int]:
    """Send due messages; returns (sent, failed attempts).

    A permanent failure marks its message failed at once, with the reason; any other
    failure leaves it pending until its next attempt (failed after the last one). Each
    message is claimed with FOR UPDATE SKIP LOCKED in its own transaction, so two
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
        except Exception as exc:
            message.attempts += 1
            reason = permanent_reason(exc)
            message.last_error = reason or describe(exc)
            if reason is not None or message.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
                message.status = OutboxStatus.FAILED
            else:
                message.next_attempt_at = utcnow() + retry_delay(message.attempts)
            failed += 1
            log.warning(
                "mail %s to %s %s: %s",
                message.id,
                message.recipient,
                "failed for good" if reason is not None else "failed",
                message.last_error,
            )
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


def watch(
    interval: float = 5.0, stop_after: int | None = None, jobs: Callable[[], object] | None = None
) -> None:
    """The worker loop behind `flask mail send --watch`: survives a database or SMTP outage.

    `jobs` (reminders and digests) runs before each round's delivery, so what it queues
    goes in the same round; a failure there is logged and never holds up delivery.
    """
    _Stop.requested = False
    if stop_after is None:
        signal.signal(signal.SIGTERM, _Stop.request)
        signal.signal(signal.SIGINT, _Stop.request)
    rounds = 0
    while not _Stop.requested and (stop_after is None or rounds < stop_after):
        rounds += 1
        if jobs is not None:
            try:
                jobs()
            except Exception:
                log.exception("mail: reminders or digests failed")
                with contextlib.suppress(Exception):
                    db.session.rollback()
                db.session.remove()
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


def undelivered(status: OutboxStatus | None = None, limit: int = 200) -> list[OutboxMessage]:
    """Failed and pending mail (or one of the two), newest first, for the admins' page."""
    statuses = [status] if status else [OutboxStatus.FAILED, OutboxStatus.PENDING]
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(statuses))
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
