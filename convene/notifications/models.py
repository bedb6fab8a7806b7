import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class MailTopic(enum.StrEnum):
    """The kinds of optional mail (see preferences.py); essential mail has none."""

    RSVP_RECEIPTS = "rsvp_receipts"
    TOPIC_NEWS = "topic_news"
    VOTE_UPDATES = "vote_updates"
    REMINDERS = "reminders"  # before calls and summit items; never held for a digest


class MailChoice(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # can never be sent, or gave up after MAIL_MAX_ATTEMPTS


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    # [{"filename", "content_type", "data" (base64)}]: e.g. an .ics invitation
    attachments: Mapped[list] = mapped_column(sa.JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the last attempt failed; for a failed message, why it was given up.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # Optional mail names its member and topic, and a digest says so: both carry one-click
    # unsubscribe headers (RFC 8058) built from them; essential mail has neither.
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    topic: Mapped[MailTopic | None] = mapped_column(enum_type(MailTopic, name="mail_topic"))
    is_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class MailPreference(db.Model):
    """A member's choice for one topic of optional mail; no row means at once."""

    __tablename__ = "mail_preferences"
    __table_args__ = (sa.UniqueConstraint("member_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    topic: Mapped[MailTopic] = mapped_column(enum_type(MailTopic, name="mail_topic"))
    choice: Mapped[MailChoice] = mapped_column(enum_type(MailChoice, name="mail_choice"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReminderKind(enum.StrEnum):
    CALL = "call"
    SUMMIT = "summit"  # the summit itself, for a confirmed registration
    AGENDA_ITEM = "agenda_item"  # a picked breakout or site visit
    SOCIAL_SESSION = "social_session"  # a place at an open social session
    SESSION_SLOT = "session_slot"  # a seat at a published table
    VISIT = "visit"  # a peer visit the member is named on


class SentReminder(db.Model):
    """A reminder that went (or was turned down by the member's choice).

    The unique key is what makes a reminder go once, however many workers run: each is
    inserted with ON CONFLICT DO NOTHING in the transaction that queues its mail. The start
    is part of the key, so a thing moved after its reminder went gets a fresh one.
    """

    __tablename__ = "sent_reminders"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "kind", "thing_id", "starts_at"),
        sa.Index("ix_sent_reminders_kind_thing", "kind", "thing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind, name="reminder_kind"))
    thing_id: Mapped[int]  # the call, summit, agenda item, social session or slot
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailDigest(db.Model):
    """One daily digest of a member: the unique day makes it go once per day."""

    __tablename__ = "mail_digests"
    __table_args__ = (sa.UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    day: Mapped[date]  # in the member's zone
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DigestItem(db.Model):
    """Optional mail held for the member's next digest; `digest_id` is set once it went."""

    __tablename__ = "digest_items"
    __table_args__ = (sa.Index("ix_digest_items_member_held", "member_id", "digest_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    topic: Mapped[MailTopic] = mapped_column(enum_type(MailTopic, name="mail_topic"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    digest_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mail_digests.id", ondelete="CASCADE")
    )
