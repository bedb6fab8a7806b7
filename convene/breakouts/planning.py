"""Breakout rooms on a call, in the database: the host's setup, the plan, late answers,
moves by hand and who was really in each room.

The planning itself is `rooms.py`, on plain data; this module reads what it needs (who said
yes or maybe, which organisations are cities, how often cities met according to the ledger,
who shared a room at their previous call), writes the seats, and records each change.

Every change locks the call's setup row first, so a host re-planning and two late RSVPs at
once are served one after the other and each sees the seats the others wrote.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from convene.accounts.models import Member, OrganisationKind
from convene.breakouts.lookup import by_organisation
from convene.breakouts.models import (
    MAX_ROOM_SIZE,
    MAX_ROOMS,
    MIN_ROOM_SIZE,
    BreakoutRoom,
    BreakoutSetup,
    RoomPresence,
    RoomSeat,
)
from convene.breakouts.rooms import Pair, Person, leave, place_late, plan_rooms, room_count
from convene.convenings.conflicts import insert_unless_exists
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import Action, ActionKind
from convene.ledger.ties import city_ties
from convene.types import utcnow

COMING = (RsvpAnswer.YES, RsvpAnswer.MAYBE)


class BreakoutError(ValueError):
    """The change cannot be made; the message is for the person who asked. Nothing changed."""


class RoomsChanged(BreakoutError):
    """The page the host worked from is out of date; nothing was changed."""


@dataclass(frozen=True)
class RoomChange:
    member_id: int
    before: int | None  # room number
    after: int | None


@dataclass
class RoomView:
    room: BreakoutRoom
    people: list[Member]  # placed, by organisation name then name
    recorded: list[Member]  # who the host recorded as really there


# --- reading -------------------------------------------------------------------------------


def _lock_setup(call_id: int) -> BreakoutSetup | None:
    return db.session.scalar(
        select(BreakoutSetup)
        .where(BreakoutSetup.call_id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _coming(call_id: int) -> list[Member]:
    """Active members who said yes or maybe, with their organisations."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Rsvp, Rsvp.member_id == Member.id)
            .where(Rsvp.call_id == call_id, Rsvp.answer.in_(COMING), Member.active.is_(True))
            .options(selectinload(Member.organisation))
            .order_by(Member.id)
        )
    )


def person_of(member: Member) -> Person:
    """Partners and the programme team count alike: they run rooms, they do not meet."""
    return Person(
        member.id,
        member.organisation_id,
        member.organisation.kind != OrganisationKind.CITY,
    )


def _rooms(call_id: int) -> list[BreakoutRoom]:
    return list(
        db.session.scalars(
            select(BreakoutRoom)
            .where(BreakoutRoom.call_id == call_id)
            .order_by(BreakoutRoom.number)
        )
    )


def _seats(call_id: int) -> list[RoomSeat]:
    return list(
        db.session.scalars(
            select(RoomSeat)
            .where(RoomSeat.call_id == call_id)
            .options(selectinload(RoomSeat.member).selectinload(Member.organisation))
            .execution_options(populate_existing=True)
        )
    )


def _attended_rooms():
    """(member, call, room) of every room a person was in or placed in: recorded presences,
    and planned seats of calls where nothing was recorded."""
    recorded = sa.exists().where(RoomPresence.call_id == RoomSeat.call_id)
    return sa.union_all(
        select(RoomPresence.member_id, RoomPresence.call_id, RoomPresence.room_id),
        select(RoomSeat.member_id, RoomSeat.call_id, RoomSeat.room_id).where(~recorded),
    ).subquery("attended")


def recent_pairs(call: Call, member_ids) -> set[Pair]:
    """Each of these people with the people they shared a room with at the last earlier call
    they had a room at: two queries for the whole call."""
    member_ids = list(member_ids)
    if not member_ids:
        return set()
    attended = _attended_rooms()
    ranked = (
        select(
            attended.c.member_id,
            attended.c.room_id,
            sa.func.row_number()
            .over(
                partition_by=attended.c.member_id, order_by=(Call.starts_at.desc(), Call.id.desc())
            )
            .label("latest"),
        )
        .join(Call, Call.id == attended.c.call_id)
        .where(
            attended.c.member_id.in_(member_ids),
            Call.starts_at < call.starts_at,
            Call.status != CallStatus.CANCELLED,
        )
        .subquery("ranked")
    )
    last_room = dict(
        db.session.execute(
            select(ranked.c.member_id, ranked.c.room_id).where(ranked.c.latest == 1)
        ).all()
    )
    if not last_room:
        return set()
    attended = _attended_rooms()
    in_room: dict[int, list[int]] = defaultdict(list)
    for member_id, room_id in db.session.execute(
        select(attended.c.member_id, attended.c.room_id).where(
            attended.c.room_id.in_(set(last_room.values()))
        )
    ):
        in_room[room_id].append(member_id)
    return {
        frozenset((member_id, other))
        for member_id, room_id in last_room.items()
        for other in in_room[room_id]
        if other != member_id
    }


def _met(call: Call) -> dict[Pair, float]:
    """How strongly each pair of cities is tied before this call (breakouts and shared calls
    are in the ledger too)."""
    return city_ties(before=call.starts_at)


# --- the host's setup and the plan ---------------------------------------------------------


def _check_upcoming(call: Call, now: datetime | None = None) -> None:
    if call.is_cancelled:
        raise BreakoutError("This call is cancelled: it has no breakout rooms.")
    if call.has_started(now):
        raise BreakoutError("This call has started: its rooms can no longer be planned.")


def set_up_rooms(
    call: Call,
    *,
    room_count: int | None = None,
    room_size: int | None = None,
    actor: Member | None = None,
) -> BreakoutSetup:
    """Save the host's choice (a number of rooms or a size of room) and plan at once."""
    if (room_count is None) == (room_size is None):
        raise BreakoutError("Choose either a number of rooms or a size for each room.")
    if room_count is not None and not 1 <= room_count <= MAX_ROOMS:
        raise BreakoutError(f"The number of rooms must be between 1 and {MAX_ROOMS}.")
    if room_size is not None and not MIN_ROOM_SIZE <= room_size <= MAX_ROOM_SIZE:
        raise BreakoutError(
            f"A room's size must be between {MIN_ROOM_SIZE} and {MAX_ROOM_SIZE} people."
        )
    _check_upcoming(call)
    setup = _lock_setup(call.id)
    if setup is None:  # the unique call_id settles two first setups at once
        values = {"call_id": call.id, "room_count": 1, "created_at": utcnow(),
                  "updated_at": utcnow()}  # fmt: skip
        insert_unless_exists(BreakoutSetup, values, ["call_id"])
        setup = _lock_setup(call.id)
    setup.room_count, setup.room_size = room_count, room_size
    db.session.flush()
    plan_call(call, actor)
    return setup


def turn_off_rooms(call: Call, actor: Member | None = None) -> None:
    """No breakout rooms on this call after all: setup, rooms and seats go. Refused once
    presences were recorded (they are the ledger's)."""
    setup = _lock_setup(call.id)
    if setup is None:
        return
    recorded = db.session.scalar(
        select(sa.func.count()).select_from(RoomPresence).where(RoomPresence.call_id == call.id)
    )
    if recorded:
        raise BreakoutError("Who was in each room is recorded: the rooms stay.")
    db.session.execute(sa.delete(RoomSeat).where(RoomSeat.call_id == call.id))
    db.session.execute(sa.delete(BreakoutRoom).where(BreakoutRoom.call_id == call.id))
    db.session.delete(setup)
    db.session.flush()


def _ensure_rooms(call_id: int, count: int, existing: list[BreakoutRoom]) -> list[BreakoutRoom]:
    """Rooms 1..count, keeping those there are; rooms beyond are removed (with their seats)."""
    by_number = {r.number: r for r in existing}
    extra = [r.id for r in existing if r.number > count]
    if extra:
        db.session.execute(sa.delete(RoomSeat).where(RoomSeat.room_id.in_(extra)))
        db.session.execute(sa.delete(BreakoutRoom).where(BreakoutRoom.id.in_(extra)))
        db.session.expire_all()
    rooms = []
    for number in range(1, count + 1):
        room = by_number.get(number)
        if room is None:
            room = BreakoutRoom(call_id=call_id, number=number)
            db.session.add(room)
        rooms.append(room)
    db.session.flush()
    return rooms


def plan_call(call: Call, actor: Member | None = None) -> list[RoomChange]:
    """Plan (or re-plan) everyone who said yes or maybe: seats placed by hand stay, the rest
    move as little as a better plan allows. Returns who moved (new people included)."""
    setup = _lock_setup(call.id)
    if setup is None:
        raise BreakoutError("Set up breakout rooms for this call first.")
    _check_upcoming(call)
    members = _coming(call.id)
    count = room_count(len(members), count=setup.room_count, size=setup.room_size, most=MAX_ROOMS)
    existing = _rooms(call.id)
    before_numbers = {r.id: r.number for r in existing}
    old_seats = _seats(call.id)
    was = {s.member_id: before_numbers.get(s.room_id) for s in old_seats}
    rooms = _ensure_rooms(call.id, count, existing)
    seats = {s.member_id: s for s in _seats(call.id)}
    coming_ids = {m.id for m in members}
    for member_id, seat in list(seats.items()):
        if member_id not in coming_ids:
            db.session.delete(seat)
            del seats[member_id]
    current = {m: was[m] - 1 for m in seats if was.get(m) is not None and was[m] <= count}
    fixed = {m: current[m] for m, seat in seats.items() if seat.by_hand and m in current}
    people = [person_of(m) for m in members]
    plan = plan_rooms(
        people,
        count,
        _met(call),
        recent_pairs(call, coming_ids),
        seed=call.id,
        current=current,
        fixed=fixed,
    )
    by_id = {m.id: m for m in members}
    changes = []
    for index, room_people in enumerate(plan):
        room = rooms[index]
        for member_id in room_people:
            seat = seats.get(member_id)
            if seat is None:
                seat = RoomSeat(call_id=call.id, member_id=member_id, room_id=room.id)
                db.session.add(seat)
            elif seat.room_id != room.id:
                seat.room_id = room.id
            if was.get(member_id) != room.number:
                changes.append(RoomChange(member_id, was.get(member_id), room.number))
    for member_id, number in was.items():
        if member_id not in coming_ids and number is not None:
            changes.append(RoomChange(member_id, number, None))
    setup.planned_at = utcnow()
    db.session.flush()
    record_action(ActionKind.BREAKOUTS_PLANNED, actor, call, rooms=count, people=len(members))
    for change in changes:
        if change.before is not None and change.member_id in by_id:
            _record_change(call, by_id[change.member_id], change, actor)
    return changes


def _record_change(call: Call, member: Member, change: RoomChange, actor=None) -> None:
    record_action(
        ActionKind.BREAKOUT_ROOM_CHANGED, actor, call, member=member,
        before={"room": change.before}, after={"room": change.after},
    )  # fmt: skip


def move_by_hand(
    call: Call, member_id: int, room_number: int | None, actor: Member | None = None
) -> RoomChange | None:
    """The host puts someone in a room (kept by later plans), or takes them out (None)."""
    setup = _lock_setup(call.id)
    if setup is None:
        raise BreakoutError("Set up breakout rooms for this call first.")
    _check_upcoming(call)
    member = db.session.get(Member, member_id)
    answer = db.session.scalar(
        select(Rsvp.answer).where(Rsvp.call_id == call.id, Rsvp.member_id == member_id)
    )
    if member is None or answer not in COMING:
        raise BreakoutError("Only people who said yes or maybe can be placed in a room.")
    rooms = {r.number: r for r in _rooms(call.id)}
    if room_number is not None and room_number not in rooms:
        raise BreakoutError(f"This call has no Room {room_number}.")
    seat = db.session.scalar(
        select(RoomSeat).where(RoomSeat.call_id == call.id, RoomSeat.member_id == member_id)
    )
    numbers = {r.id: n for n, r in rooms.items()}
    before = numbers.get(seat.room_id) if seat is not None else None
    if before == room_number:
        if seat is not None:
            seat.by_hand = True
        return None
    if room_number is None:
        db.session.delete(seat)
    elif seat is None:
        db.session.add(
            RoomSeat(call_id=call.id, member_id=member_id, room_id=rooms[room_number].id,
                     by_hand=True)
        )  # fmt: skip
    else:
        seat.room_id, seat.by_hand = rooms[room_number].id, True
    db.session.flush()
    change = RoomChange(member_id, before, room_number)
    _record_change(call, member, change, actor)
    return change


def move_people_by_hand(
    call: Call, moves: dict[int, tuple[int | None, int | None]], actor: Member | None = None
) -> list[RoomChange]:
    """Several moves from one page: member id -> (room the host saw, room chosen).

    Checked under the setup's lock against the rooms as they are now, so a host working
    from a page that someone else (another host, a late answer) has since changed cannot
    undo that change unknowingly: then nothing moves and BreakoutError says who changed."""
    if _lock_setup(call.id) is None:
        raise BreakoutError("Set up breakout rooms for this call first.")
    numbers = {r.id: r.number for r in _rooms(call.id)}
    now = {seat.member_id: numbers.get(seat.room_id) for seat in _seats(call.id)}
    stale = [i for i, (seen, _) in moves.items() if now.get(i) != seen]
    if stale:
        names = ", ".join(
            sorted(m.name for m in db.session.scalars(select(Member).where(Member.id.in_(stale))))
        )
        raise RoomsChanged(
            f"The rooms changed while you were editing them ({names}): nothing was moved. "
            "Here they are as they are now; make your moves again."
        )
    changes = []
    for member_id, (_, chosen) in moves.items():
        change = move_by_hand(call, member_id, chosen, actor)
        if change is not None:
            changes.append(change)
    return changes


def record_presence(call: Call, rooms: dict[int, list[int]], actor: Member | None = None) -> int:
    """Who was really in each room (room number -> member ids), replacing what was recorded
    before. This is what the ledger counts as having met. Returns how many were recorded."""
    if call.is_cancelled:
        raise BreakoutError("This call is cancelled: nobody was in its rooms.")
    if not call.has_started():
        raise BreakoutError("This call has not started yet: record its rooms afterwards.")
    _lock_setup(call.id)
    known = {r.number: r for r in _rooms(call.id)}
    seen: dict[int, int] = {}
    for number, member_ids in rooms.items():
        if number not in known:
            raise BreakoutError(f"This call has no Room {number}.")
        for member_id in member_ids:
            if member_id in seen and seen[member_id] != number:
                raise BreakoutError("Someone is in two rooms: each person can be in one only.")
            seen[member_id] = number
    if seen:
        found = set(db.session.scalars(select(Member.id).where(Member.id.in_(list(seen)))))
        if found != set(seen):
            raise BreakoutError("Someone in these rooms is not a member.")
    db.session.execute(sa.delete(RoomPresence).where(RoomPresence.call_id == call.id))
    for member_id, number in seen.items():
        db.session.add(RoomPresence(call_id=call.id, room_id=known[number].id, member_id=member_id))
    db.session.flush()
    return len(seen)


def rooms_for(call: Call) -> list[RoomView]:
    """Every room of the call with its people and who was recorded: three queries."""
    rooms = _rooms(call.id)
    placed: dict[int, list[Member]] = defaultdict(list)
    for seat in db.session.scalars(
        select(RoomSeat)
        .where(RoomSeat.call_id == call.id)
        .options(selectinload(RoomSeat.member).joinedload(Member.organisation))
    ):
        placed[seat.room_id].append(seat.member)
    recorded: dict[int, list[Member]] = defaultdict(list)
    for presence in db.session.scalars(
        select(RoomPresence)
        .where(RoomPresence.call_id == call.id)
        .options(selectinload(RoomPresence.member).joinedload(Member.organisation))
    ):
        recorded[presence.room_id].append(presence.member)
    return [
        RoomView(r, by_organisation(placed[r.id]), by_organisation(recorded[r.id])) for r in rooms
    ]


def _placed(call: Call) -> list[tuple[BreakoutRoom, Member]]:
    rows = db.session.execute(
        select(BreakoutRoom, Member)
        .join(RoomSeat, RoomSeat.room_id == BreakoutRoom.id)
        .join(Member, Member.id == RoomSeat.member_id)
        .where(RoomSeat.call_id == call.id)
        .order_by(BreakoutRoom.number, Member.name, Member.id)
    ).all()
    return [(room, member) for room, member in rows]


def attendees_without_video_email(call: Call) -> list[Member]:
    """Placed people with no video-call address: the import places them only if they sign
    in with the address they have here."""
    return sorted((m for _, m in _placed(call) if not m.video_email), key=lambda m: (m.name, m.id))


def import_rows(call: Call) -> list[tuple[str, str]]:
    """("Room 3", address) rows for the video call's pre-assignment import."""
    return [(room.name, member.video_email or member.email) for room, member in _placed(call)]


# --- late answers --------------------------------------------------------------------------

_PENDING = "breakouts.answers"
_ANSWERS = (ActionKind.RSVP_COMING, ActionKind.RSVP_DECLINED)


@event.listens_for(Session, "before_flush")
def _note_answers(session: Session, _flush_context, _instances) -> None:
    """Whoever changes an RSVP (a page, the demo, a command), its call's rooms follow, at
    commit: noted here, where nothing may be flushed, and seated in `_seat_answers`."""
    noted = set()
    for obj in session.new:
        if isinstance(obj, Rsvp):
            noted.add((obj.call_id or (obj.call.id if obj.call else None), obj.member_id))
        elif isinstance(obj, Action) and obj.kind in _ANSWERS:
            member_id = obj.member.id if obj.member is not None else obj.member_id
            noted.add((obj.call_id, member_id))
    for obj in session.dirty:
        if isinstance(obj, Rsvp) and sa.inspect(obj).attrs.answer.history.has_changes():
            noted.add((obj.call_id, obj.member_id))
    for obj in session.deleted:
        if isinstance(obj, Rsvp):
            noted.add((obj.call_id, obj.member_id))
    noted = {(c, m) for c, m in noted if c is not None and m is not None}
    if noted:
        session.info.setdefault(_PENDING, set()).update(noted)


@event.listens_for(Session, "before_commit")
def _seat_answers(session: Session) -> None:
    if not has_app_context() or session is not db.session():
        return
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    planned = set(
        session.scalars(
            select(BreakoutSetup.call_id).where(BreakoutSetup.call_id.in_({c for c, _ in pending}))
        )
    )
    for call_id, member_id in sorted(pending):
        if call_id in planned:
            follow_answer(call_id, member_id)
    session.flush()
    session.info.pop(_PENDING, None)  # our own changes are not answers


def follow_answer(call_id: int, member_id: int, actor: Member | None = None) -> None:
    """A late yes or maybe joins the best room of the smallest; a no (or an RSVP gone)
    leaves, and one other person moves if sizes would differ by more than one."""
    setup = _lock_setup(call_id)
    if setup is None:
        return
    call = db.session.get(Call, call_id)
    if call is None or call.is_cancelled or call.has_started():
        return
    answer = db.session.scalar(
        select(Rsvp.answer)
        .where(Rsvp.call_id == call_id, Rsvp.member_id == member_id)
        .execution_options(populate_existing=True)
    )
    rooms = _rooms(call_id)
    if not rooms:
        return
    seats = _seats(call_id)
    mine = next((s for s in seats if s.member_id == member_id), None)
    coming = answer in COMING
    if coming == (mine is not None):
        return
    index = {r.id: i for i, r in enumerate(rooms)}
    people: list[list[Person]] = [[] for _ in rooms]
    for seat in seats:
        people[index[seat.room_id]].append(person_of(seat.member))
    if coming:
        member = db.session.get(Member, member_id)
        if member is None or not member.active:
            return
        recent = recent_pairs(call, [member_id])
        chosen = place_late(people, person_of(member), _met(call), recent)
        db.session.add(RoomSeat(call_id=call_id, member_id=member_id, room_id=rooms[chosen].id))
        db.session.flush()
        return
    by_hand = {s.member_id for s in seats if s.by_hand}
    recent = recent_pairs(call, [s.member_id for s in seats])
    moves = leave(people, member_id, _met(call), recent, fixed=by_hand)
    db.session.delete(mine)
    seat_of = {s.member_id: s for s in seats}
    for moved_id, src, dst in moves:
        seat_of[moved_id].room_id = rooms[dst].id
        db.session.flush()
        change = RoomChange(moved_id, rooms[src].number, rooms[dst].number)
        _record_change(call, seat_of[moved_id].member, change, actor)
    db.session.flush()
