"""The summit: registrations, agenda, and social sessions (open sign-up or assigned tables).

Rows a calendar reads carry `updated_at` and a `revision` bumped whenever something a
calendar must show changes (time, place, title, cancellation): feeds use them as
LAST-MODIFIED and SEQUENCE.
"""

import enum
import re
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class Summit(db.Model):
    __tablename__ = "summits"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("delegation_limit > 0", name="delegation_limit_positive"),
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name="registration_window"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    venue: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(300))
    zone: Mapped[str] = mapped_column(sa.String(64))
    capacity: Mapped[int]
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delegation_limit: Mapped[int] = mapped_column(default=3)
    asks_dietary: Mapped[bool] = mapped_column(default=True)
    asks_accessibility: Mapped[bool] = mapped_column(default=True)
    asks_travel: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=0)

    agenda_items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="summit", order_by="AgendaItem.starts_at", cascade="all, delete-orphan"
    )
    social_sessions: Mapped[list["SocialSession"]] = relationship(
        back_populates="summit", order_by="SocialSession.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Summit {self.slug}>"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Registration(db.Model):
    """A member's place at a summit.

    One live (not cancelled) registration per member and summit, by a partial unique index:
    cancelled rows stay as history, and registering again makes a new row that joins the
    back of the waitlist like anyone else.
    """

    __tablename__ = "summit_registrations"
    __table_args__ = (
        sa.Index(
            "uq_summit_registrations_live",
            "summit_id",
            "member_id",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_summit_registrations_summit_status", "summit_id", "status"),
        sa.CheckConstraint(
            "departs_on IS NULL OR arrives_on IS NULL OR departs_on >= arrives_on",
            name="departs_after_arrives",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summit_id: Mapped[int] = mapped_column(sa.ForeignKey("summits.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    # The organisation whose delegation the seat counts against (the member's, when made).
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(enum_type(RegistrationStatus))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    dietary_needs: Mapped[str | None] = mapped_column(sa.String(500))
    accessibility_needs: Mapped[str | None] = mapped_column(sa.String(500))
    arrives_on: Mapped[date | None]
    departs_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=0)
    # Set when programme staff order the front of the waitlist by hand (1 first): those
    # places hold; everyone else queues behind them by the usual rule (summit/waitlist.py).
    waitlist_rank: Mapped[int | None]

    summit: Mapped[Summit] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    organisation: Mapped[Organisation] = relationship()
    registered_by: Mapped[Member | None] = relationship(foreign_keys=[registered_by_id])

    @property
    def is_live(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


class AgendaKind(enum.StrEnum):
    PLENARY = "plenary"
    BREAKOUT = "breakout"
    SITE_VISIT = "site_visit"


class AgendaItem(db.Model):
    __tablename__ = "summit_agenda_items"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AgendaKind] = mapped_column(enum_type(AgendaKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    room: Mapped[str | None] = mapped_column(sa.String(120))
    speakers: Mapped[str | None] = mapped_column(sa.String(500))
    is_public: Mapped[bool] = mapped_column(default=True)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=0)

    summit: Mapped[Summit] = relationship(back_populates="agenda_items")

    @property
    def place(self) -> str | None:
        return self.room


class AgendaPick(db.Model):
    """An attendee's choice of a breakout or site visit for their personal agenda."""

    __tablename__ = "summit_agenda_picks"
    __table_args__ = (sa.UniqueConstraint("agenda_item_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_agenda_items.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agenda_item: Mapped[AgendaItem] = relationship()


class SessionKind(enum.StrEnum):
    OPEN = "open"  # attendees sign up, up to a capacity
    ASSIGNED = "assigned"  # attendees are seated at tables, slot by slot


class SocialSession(db.Model):
    """A reception, walking tour, dinner or mixer.

    An open session has its own time and capacity; an assigned one has slots (each with a
    time and tables) and is published once the admin is happy with the seating.
    """

    __tablename__ = "summit_social_sessions"
    __table_args__ = (
        sa.CheckConstraint(
            "kind != 'open' OR (capacity IS NOT NULL AND capacity > 0 "
            "AND starts_at IS NOT NULL AND ends_at IS NOT NULL)",
            name="open_has_time_and_capacity",
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR ends_at IS NULL OR ends_at > starts_at",
            name="ends_after_starts",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summits.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[SessionKind] = mapped_column(enum_type(SessionKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    place: Mapped[str | None] = mapped_column(sa.String(300))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seed: Mapped[int | None]  # of the last assignment run, so a plan can be reproduced
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=0)

    summit: Mapped[Summit] = relationship(back_populates="social_sessions")
    slots: Mapped[list["SessionSlot"]] = relationship(
        back_populates="session", order_by="SessionSlot.position", cascade="all, delete-orphan"
    )
    signups: Mapped[list["SessionSignup"]] = relationship(
        back_populates="session", order_by="SessionSignup.id", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.kind == SessionKind.OPEN

    @property
    def is_assigned(self) -> bool:
        return self.kind == SessionKind.ASSIGNED


class SignupStatus(enum.StrEnum):
    SIGNED_UP = "signed_up"
    WAITLISTED = "waitlisted"


class SessionSignup(db.Model):
    """A place (or a place in the queue) at an open social session; leaving deletes it."""

    __tablename__ = "summit_session_signups"
    __table_args__ = (sa.UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_social_sessions.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SignupStatus] = mapped_column(enum_type(SignupStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[SocialSession] = relationship(back_populates="signups")
    member: Mapped[Member] = relationship()


class SessionSlot(db.Model):
    """One sitting of an assigned session (one night of a dinner series)."""

    __tablename__ = "summit_session_slots"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "position"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_social_sessions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = mapped_column(default=0)

    session: Mapped[SocialSession] = relationship(back_populates="slots")
    tables: Mapped[list["SessionTable"]] = relationship(
        back_populates="slot", order_by="SessionTable.position", cascade="all, delete-orphan"
    )
    absences: Mapped[list["SlotAbsence"]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )

    @property
    def where(self) -> str | None:
        return self.place or self.session.place


class SessionTable(db.Model):
    __tablename__ = "summit_session_tables"
    __table_args__ = (
        sa.UniqueConstraint("slot_id", "position"),
        sa.CheckConstraint("seats > 0", name="seats_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_session_slots.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(80))
    seats: Mapped[int]

    slot: Mapped[SessionSlot] = relationship(back_populates="tables")
    assignments: Mapped[list["SeatAssignment"]] = relationship(
        back_populates="table", order_by="SeatAssignment.id", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """The table as a sentence names it: "Table 3" as it is, "table Garden" for a table
        named otherwise (never "table Table 3")."""
        return self.name if re.match(r"(?i)table\b", self.name) else f"table {self.name}"


class SeatAssignment(db.Model):
    """A member at a table in one slot; at most one table per member and slot."""

    __tablename__ = "summit_seat_assignments"
    __table_args__ = (sa.UniqueConstraint("slot_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_session_slots.id", ondelete="CASCADE")
    )
    table_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_session_tables.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    table: Mapped[SessionTable] = relationship(back_populates="assignments")
    member: Mapped[Member] = relationship()


class SlotAbsence(db.Model):
    """An attendee who will not be at one slot (arrives late, leaves early, another dinner)."""

    __tablename__ = "summit_slot_absences"
    __table_args__ = (sa.UniqueConstraint("slot_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("summit_session_slots.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))

    slot: Mapped[SessionSlot] = relationship(back_populates="absences")
    member: Mapped[Member] = relationship()


class MustNotPair(db.Model):
    """Two attendees the seating must never put at one table (stored lower id first)."""

    __tablename__ = "summit_must_not_pairs"
    __table_args__ = (
        sa.UniqueConstraint("summit_id", "member_a_id", "member_b_id"),
        sa.CheckConstraint("member_a_id < member_b_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summit_id: Mapped[int] = mapped_column(sa.ForeignKey("summits.id", ondelete="CASCADE"))
    member_a_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    member_b_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id", ondelete="CASCADE"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))

    member_a: Mapped[Member] = relationship(foreign_keys=[member_a_id])
    member_b: Mapped[Member] = relationship(foreign_keys=[member_b_id])
