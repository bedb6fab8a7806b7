"""The daily digest: optional mail a member chose to take once a day, in one message.

queue_email holds such mail as digest_items. Once DIGEST_HOUR has come in the member's own
zone, the next run sends everything they have held, in one message, and marks it sent.
Once a day: the digest is a row of mail_digests, unique on (member, local day), inserted
with ON CONFLICT DO NOTHING in the transaction that queues the message and marks its
items, one transaction per member. A second worker waits for the first to commit, then
inserts nothing and sends nothing. Mail held after today's digest waits for tomorrow's.
"""

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from convene.accounts.models import Member
from convene.convenings.conflicts import insert_unless_exists
from convene.extensions import db
from convene.notifications.models import DigestItem, MailDigest
from convene.notifications.outbox import queue_email
from convene.notifications.preferences import TOPIC_LABELS
from convene.types import utcnow
from convene.urls import external_url
from convene.zones import localize, member_zone_name

log = logging.getLogger(__name__)


def without_greeting(text: str) -> str:
    """A held message's text without its "Hello name," line: the digest greets once."""
    first, _, rest = (text or "").partition("\n")
    return rest.lstrip("\n") if first.startswith("Hello ") and first.endswith(",") else text


def members_with_held_mail() -> list[int]:
    return list(
        db.session.scalars(
            select(DigestItem.member_id)
            .where(DigestItem.digest_id.is_(None))
            .distinct()
            .order_by(DigestItem.member_id)
        )
    )


def send_digests(now: datetime | None = None) -> int:
    """Queue the digest of every member whose digest hour has come and who has held mail;
    returns how many this call queued."""
    now = now or utcnow()
    count = 0
    for member_id in members_with_held_mail():
        try:
            if _send(member_id, now):
                count += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("digest: member %s left out this round", member_id)
    return count


def _send(member_id: int, now: datetime) -> bool:
    member = db.session.get(Member, member_id)
    if member is None or not member.active:
        return False
    zone = member_zone_name(member)
    local = localize(now, zone)
    if local.hour < current_app.config["DIGEST_HOUR"]:
        return False
    items = db.session.scalars(
        select(DigestItem)
        .where(
            DigestItem.member_id == member_id,
            DigestItem.digest_id.is_(None),
            DigestItem.created_at <= now,
        )
        .order_by(DigestItem.created_at, DigestItem.id)
    ).all()
    if not items:
        return False
    values = {"member_id": member_id, "day": local.date(), "created_at": now}
    if not insert_unless_exists(MailDigest, values, ["member_id", "day"]):
        return False  # today's went (this worker or another)
    digest_id = db.session.scalar(
        select(MailDigest.id).where(
            MailDigest.member_id == member_id, MailDigest.day == local.date()
        )
    )
    db.session.execute(
        update(DigestItem)
        .where(DigestItem.id.in_([i.id for i in items]), DigestItem.digest_id.is_(None))
        .values(digest_id=digest_id)
    )
    topics = sorted({TOPIC_LABELS[i.topic] for i in items})
    entries = [(i.subject, i.created_at, without_greeting(i.body_text)) for i in items]
    count = len(items)
    message = queue_email(
        member.email,
        f"{current_app.config['PROGRAMME_NAME']} daily digest: "
        f"{count} {'message' if count == 1 else 'messages'}",
        "digest/daily",
        member=member,
        zone=zone,
        entries=entries,
        topics=topics,
        preferences_url=external_url("notifications.mail_preferences"),
    )
    # Essential in the outbox's eyes (nothing may hold it back), with unsubscribe headers.
    message.member_id = member.id
    message.is_digest = True
    return True
