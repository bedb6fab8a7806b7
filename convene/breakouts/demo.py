"""Demo breakout rooms: planned rooms on the next two calls, and who was in each room on the
last three held calls (so the ledger shows breakout ties and the host pages have data)."""

import sqlalchemy as sa

from convene.accounts.models import Member, Role
from convene.breakouts.models import BreakoutRoom, BreakoutSetup, RoomSeat
from convene.breakouts.planning import move_by_hand, person_of, record_presence, set_up_rooms
from convene.breakouts.rooms import plan_rooms, room_count
from convene.convenings.models import Attendance, Call, CallStatus
from convene.extensions import db
from convene.types import utcnow

ROOM_SIZE = 4


def load(rng) -> None:
    now = utcnow()
    host = db.session.scalar(
        sa.select(Member).where(Member.role == Role.HOST).order_by(Member.id).limit(1)
    )
    upcoming = db.session.scalars(
        sa.select(Call)
        .where(Call.starts_at > now, Call.status != CallStatus.CANCELLED)
        .order_by(Call.starts_at)
        .limit(2)
    ).all()
    for call in upcoming:
        set_up_rooms(call, room_count=2, actor=host)
    if upcoming:
        _move_one_by_hand(upcoming[0], host)
    held = db.session.scalars(
        sa.select(Call)
        .where(Call.status == CallStatus.HELD)
        .order_by(Call.starts_at.desc())
        .limit(3)
    ).all()
    for call in reversed(held):  # oldest first, as they were planned
        _held_rooms(call, rng, host)


def _move_one_by_hand(call: Call, host) -> None:
    """The host swaps someone into the other room, as hosts do: the person hears of it."""
    seat = db.session.scalar(
        sa.select(RoomSeat).where(RoomSeat.call_id == call.id).order_by(RoomSeat.id).limit(1)
    )
    if seat is not None:
        other = 2 if seat.room.number == 1 else 1
        move_by_hand(call, seat.member_id, other, actor=host)


def _held_rooms(call: Call, rng, host) -> None:
    """Rooms as they were planned before the call, and who the host recorded in each (now
    and then someone who was placed did not come)."""
    members = db.session.scalars(
        sa.select(Member)
        .join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.call_id == call.id)
        .order_by(Member.id)
    ).all()
    people = [person_of(m) for m in members]
    count = room_count(len(people), size=ROOM_SIZE)
    db.session.add(BreakoutSetup(call_id=call.id, room_size=ROOM_SIZE, planned_at=call.starts_at))
    rooms = [BreakoutRoom(call_id=call.id, number=n) for n in range(1, count + 1)]
    db.session.add_all(rooms)
    db.session.flush()
    plan = plan_rooms(people, count, {}, set(), seed=call.id)
    recorded = {}
    for room, ids in zip(rooms, plan, strict=True):
        for member_id in ids:
            db.session.add(RoomSeat(call_id=call.id, room_id=room.id, member_id=member_id))
        recorded[room.number] = [i for i in ids if rng.random() > 0.1]
    db.session.flush()
    record_presence(call, recorded, actor=host)
