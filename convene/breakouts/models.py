"""Breakout rooms on a call: how the host wants them, the rooms, who is placed where, and
who was really in each room once the call is over.

A person is in at most one room per call, planned or recorded: the unique (call, member)
keys say so, and the composite foreign keys keep a seat's room on the seat's own call.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member
from convene.convenings.models import Call
from convene.extensions import db
from convene.types import UTCDateTime, utcnow

MAX_ROOMS = 100  # the most a video call's breakout import accepts
MIN_ROOM_SIZE = 2
MAX_ROOM_SIZE = 50


class BreakoutSetup(db.Model):
    """The host's choice for a call: a number of rooms, or a size for each room."""

    __tablename__ = "breakout_setups"
    __table_args__ = (
        sa.CheckConstraint("(room_count IS NULL) <> (room_size IS NULL)", name="count_or_size"),
        sa.CheckConstraint(
            f"room_count IS NULL OR room_count BETWEEN 1 AND {MAX_ROOMS}", name="room_count_range"
        ),
        sa.CheckConstraint(
            f"room_size IS NULL OR room_size BETWEEN {MIN_ROOM_SIZE} AND {MAX_ROOM_SIZE}",
            name="room_size_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    room_count: Mapped[int | None]
    room_size: Mapped[int | None]
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last full plan
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    call: Mapped[Call] = relationship()


class BreakoutRoom(db.Model):
    __tablename__ = "breakout_rooms"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "number"),
        sa.UniqueConstraint("id", "call_id"),  # the target of the seats' composite keys
        sa.CheckConstraint(f"number BETWEEN 1 AND {MAX_ROOMS}", name="number_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]

    call: Mapped[Call] = relationship()

    @property
    def name(self) -> str:
        """As the host's video call shows it, and as the import file names it."""
        return f"Room {self.number}"


class RoomSeat(db.Model):
    """Where Convene (or the host, by hand) placed a person before the call."""

    __tablename__ = "breakout_seats"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "member_id"),
        sa.ForeignKeyConstraint(
            ["room_id", "call_id"],
            ["breakout_rooms.id", "breakout_rooms.call_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(index=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    by_hand: Mapped[bool] = mapped_column(default=False)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    room: Mapped[BreakoutRoom] = relationship(
        primaryjoin=lambda: BreakoutRoom.id == sa.orm.foreign(RoomSeat.room_id), viewonly=True
    )
    member: Mapped[Member] = relationship()


class RoomPresence(db.Model):
    """Who the host recorded as really in a room: this, not the plan, counts as having met."""

    __tablename__ = "breakout_presences"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "member_id"),
        sa.ForeignKeyConstraint(
            ["room_id", "call_id"],
            ["breakout_rooms.id", "breakout_rooms.call_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"))
    room_id: Mapped[int] = mapped_column(index=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    room: Mapped[BreakoutRoom] = relationship(
        primaryjoin=lambda: BreakoutRoom.id == sa.orm.foreign(RoomPresence.room_id), viewonly=True
    )
    member: Mapped[Member] = relationship()
