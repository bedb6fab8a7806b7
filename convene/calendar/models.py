import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class Reminder(enum.StrEnum):
    """How long before each event a member's calendar should alert them."""

    NONE = "none"
    TEN_MINUTES = "10m"
    ONE_HOUR = "1h"
    ONE_DAY = "1d"

    @property
    def minutes(self) -> int | None:
        return {"none": None, "10m": 10, "1h": 60, "1d": 24 * 60}[self.value]

    @property
    def label(self) -> str:
        return {
            "none": "No reminder",
            "10m": "10 minutes before",
            "1h": "1 hour before",
            "1d": "1 day before",
        }[self.value]


class CalendarSubscription(db.Model):
    """A member's personal feed: its secret token and what it carries.

    The token itself is kept (not only a hash) because the Subscribe page shows the feed's
    URL again on every visit; revoking replaces it, and the old URL answers 404.
    """

    __tablename__ = "calendar_subscriptions"
    __table_args__ = (sa.CheckConstraint("length(token) >= 22", name="token_long_enough"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # False: only calls they answered yes or maybe; True: every call.
    include_all_calls: Mapped[bool] = mapped_column(default=False)
    reminder: Mapped[Reminder] = mapped_column(enum_type(Reminder), default=Reminder.NONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship()


class FeedStamp(db.Model):
    """One row per feed scope (see convene/calendar/feed_tables.py): its stamp changes in
    every transaction that changes something the feeds of that scope show.

    Each app instance keeps a rendered feed with the stamps of its scopes as read before
    building it; reading them again (one query) tells whether it is still current, through
    whichever instance the change was committed.
    """

    __tablename__ = "feed_stamps"

    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    stamp: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ItipMethod(enum.StrEnum):
    """The iTIP methods Convene sends (RFC 5546 3.2): add or update, and remove."""

    REQUEST = "REQUEST"
    CANCEL = "CANCEL"


class InvitationSequence(db.Model):
    """The last invitation one member got for one event (VEVENT UID).

    A calendar ignores a message whose SEQUENCE is below the copy it holds, so a CANCEL to
    one person must go above the REQUEST they hold, and a later REQUEST above that CANCEL
    (RFC 5546 2.1.4, 3.2.5). The feeds' SEQUENCE cannot do it alone: removing one person
    changes nothing the feeds show. `offset` is how far this member's copy runs ahead of the
    feeds' SEQUENCE; it only grows, so their next invitation moves with the feeds and stays
    above what they hold. `fingerprint` is the content last sent: a REQUEST with other
    content (another table, say) and the same SEQUENCE would be ignored, so it goes higher.
    """

    __tablename__ = "invitation_sequences"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "uid"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("sequence_offset >= 0", name="offset_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(sa.String(512))
    method: Mapped[ItipMethod] = mapped_column(enum_type(ItipMethod, name="itip_method"))
    sequence: Mapped[int]
    sequence_offset: Mapped[int] = mapped_column(default=0)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
