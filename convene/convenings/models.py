import enum
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class Series(db.Model):
    """A recurring call: every `interval_weeks` weeks, on the weekday of `first_date`."""

    __tablename__ = "series"
    __table_args__ = (
        sa.CheckConstraint("interval_weeks BETWEEN 1 AND 8", name="interval_range"),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        sa.CheckConstraint("horizon_weeks BETWEEN 1 AND 104", name="horizon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    first_date: Mapped[date]
    local_time: Mapped[time]
    zone: Mapped[str] = mapped_column(sa.String(64))
    interval_weeks: Mapped[int] = mapped_column(default=2)
    duration_minutes: Mapped[int] = mapped_column(default=60)
    horizon_weeks: Mapped[int] = mapped_column(default=26)
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    dial_in_number: Mapped[str | None] = mapped_column(sa.String(40))
    dial_in_code: Mapped[str | None] = mapped_column(sa.String(40))
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    rotation: Mapped[list["SeriesHost"]] = relationship(
        back_populates="series", order_by="SeriesHost.position", cascade="all, delete-orphan"
    )
    skips: Mapped[list["SeriesSkip"]] = relationship(
        back_populates="series", order_by="SeriesSkip.day", cascade="all, delete-orphan"
    )
    calls: Mapped[list["Call"]] = relationship(back_populates="series", order_by="Call.starts_at")


class SeriesHost(db.Model):
    """One partner in the rotation, which is a queue of turns: `position` 0 hosts the next
    new call (unless a turn is owed, see SkippedCall), then goes to the back."""

    __tablename__ = "series_hosts"
    __table_args__ = (sa.UniqueConstraint("series_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    position: Mapped[int]
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))

    series: Mapped[Series] = relationship(back_populates="rotation")
    organisation: Mapped[Organisation] = relationship()


class SeriesSkip(db.Model):
    """A date with no call (a holiday): it does not use up a partner's turn."""

    __tablename__ = "series_skips"
    __table_args__ = (sa.UniqueConstraint("series_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str | None] = mapped_column(sa.String(200))

    series: Mapped[Series] = relationship(back_populates="skips")


class TurnState(enum.StrEnum):
    OWED = "owed"  # the partner hosts the next new call of the series
    REPAID = "repaid"  # a new call has used the turn
    FORFEITED = "forfeited"  # the partner was not (or is no longer) in the rotation


class SkippedCall(db.Model):
    """A call a series edit cancelled: its date became a skipped date, or left the series.

    A host is a commitment, so the partner is owed the turn it lost (it hosts the next new
    call), and removing the skip brings the same call back (same row, same UID).
    """

    __tablename__ = "skipped_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(
        sa.ForeignKey("series.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    turn: Mapped[TurnState] = mapped_column(
        enum_type(TurnState, name="turn_state"), default=TurnState.OWED
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped["Call"] = relationship()
    organisation: Mapped[Organisation] = relationship()


class CallStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"
    CANCELLED = "cancelled"
    HELD = "held"


class Call(db.Model):
    """One occurrence of a series. Keeps its identity when moved; `revision` counts changes
    that calendar clients must see (move, host, topic or title, cancellation)."""

    __tablename__ = "calls"
    __table_args__ = (
        # One call per slot of the series: materialising twice adds nothing.
        sa.UniqueConstraint("series_id", "slot_date"),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration_range"),
        sa.CheckConstraint("revision >= 0", name="revision_positive"),
        sa.Index("ix_calls_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("series.id", ondelete="RESTRICT"))
    # The local date of the series slot this call fills (its identity within the series).
    slot_date: Mapped[date]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    zone: Mapped[str] = mapped_column(sa.String(64))
    host_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[CallStatus] = mapped_column(enum_type(CallStatus), default=CallStatus.SCHEDULED)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    agenda: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Set when a person changed the time or host: editing the series leaves such calls alone.
    is_time_by_hand: Mapped[bool] = mapped_column(default=False)
    is_host_by_hand: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    series: Mapped[Series] = relationship(back_populates="calls")
    host_organisation: Mapped[Organisation] = relationship()
    rsvps: Mapped[list["Rsvp"]] = relationship(back_populates="call", cascade="all, delete-orphan")
    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="call", cascade="all, delete-orphan"
    )
    resources: Mapped[list["CallResource"]] = relationship(
        back_populates="call", order_by="CallResource.position", cascade="all, delete-orphan"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_cancelled(self) -> bool:
        return self.status == CallStatus.CANCELLED

    @property
    def label(self) -> str:
        """Its topic's title once chosen, else the series' name."""
        return self.title or self.series.name

    @property
    def is_held(self) -> bool:
        return self.status == CallStatus.HELD

    def has_started(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    def bump_revision(self) -> None:
        """Call after any change a calendar must pick up (feeds use it as SEQUENCE)."""
        self.revision = (self.revision or 0) + 1
        self.updated_at = utcnow()


class RsvpAnswer(enum.StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class Rsvp(db.Model):
    __tablename__ = "rsvps"
    __table_args__ = (sa.UniqueConstraint("call_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    answer: Mapped[RsvpAnswer] = mapped_column(enum_type(RsvpAnswer))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship(back_populates="rsvps")
    member: Mapped[Member] = relationship()


class Attendance(db.Model):
    """Who took part in a held call, by member (so participation can be counted by city)."""

    __tablename__ = "call_attendances"
    __table_args__ = (sa.UniqueConstraint("call_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship(back_populates="attendances")
    member: Mapped[Member] = relationship()


class CallResource(db.Model):
    """A link shared on a call (slides, a dataset, a policy), listed with its notes."""

    __tablename__ = "call_resources"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "position"),
        sa.CheckConstraint("url LIKE 'http://%' OR url LIKE 'https://%'", name="url_is_http"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))

    call: Mapped[Call] = relationship(back_populates="resources")


class SwapStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class SwapRequest(db.Model):
    """A host asks another partner to trade one of their calls for one of the other's.

    The partners at the time of asking are kept, so an answer given after either call has
    changed hands is refused instead of swapping the wrong calls.
    """

    __tablename__ = "swap_requests"
    __table_args__ = (
        sa.CheckConstraint("call_id != other_call_id", name="two_calls"),
        sa.CheckConstraint("from_organisation_id != to_organisation_id", name="two_partners"),
        # At most one open request per call on either side.
        sa.Index(
            "uq_swap_requests_one_pending_per_call",
            "call_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    other_call_id: Mapped[int] = mapped_column(
        sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True
    )
    from_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    to_organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    message: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[SwapStatus] = mapped_column(enum_type(SwapStatus), default=SwapStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    call: Mapped[Call] = relationship(foreign_keys=[call_id])
    other_call: Mapped[Call] = relationship(foreign_keys=[other_call_id])
    from_organisation: Mapped[Organisation] = relationship(foreign_keys=[from_organisation_id])
    to_organisation: Mapped[Organisation] = relationship(foreign_keys=[to_organisation_id])
    requested_by: Mapped[Member | None] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[Member | None] = relationship(foreign_keys=[answered_by_id])
