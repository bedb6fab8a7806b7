"""The database glue: plans from RSVPs, by-hand seats, late answers, recorded presences."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from convene.breakouts.lookup import room_of
from convene.breakouts.models import BreakoutRoom, RoomPresence, RoomSeat
from convene.breakouts.planning import (
    BreakoutError,
    move_by_hand,
    plan_call,
    record_presence,
    rooms_for,
    set_up_rooms,
    turn_off_rooms,
)
from convene.convenings.models import CallStatus, RsvpAnswer
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.ledger.ties import city_ties


def seats(call) -> dict[int, int]:
    """member id -> room number"""
    rows = db.session.execute(
        sa.select(RoomSeat.member_id, BreakoutRoom.number)
        .join(BreakoutRoom, BreakoutRoom.id == RoomSeat.room_id)
        .where(RoomSeat.call_id == call.id)
    )
    return dict(rows.all())


def sizes(call) -> list[int]:
    placed = seats(call)
    return sorted(list(placed.values()).count(n) for n in set(placed.values()))


def test_plans_yes_and_maybe_not_no(breakout_call):
    setup = set_up_rooms(breakout_call.call, room_count=3)
    db.session.commit()
    placed = seats(breakout_call.call)
    assert set(placed) == {m.id for m in breakout_call.everyone}
    assert breakout_call.declined.id not in placed
    assert setup.planned_at is not None
    assert max(sizes(breakout_call.call)) - min(sizes(breakout_call.call)) <= 1
    # Colleagues apart: 5 cities of 2 people in 3 rooms leaves room for it.
    for people in breakout_call.people.values():
        assert placed[people[0].id] != placed[people[1].id]
    kinds = db.session.scalars(
        sa.select(Action.kind).where(Action.call_id == breakout_call.call.id)
    )
    assert ActionKind.BREAKOUTS_PLANNED in set(kinds)


def test_room_size_sets_the_count(breakout_call):
    set_up_rooms(breakout_call.call, room_size=4)  # 11 people -> 3 rooms
    assert sorted(sizes(breakout_call.call)) == [3, 4, 4]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"room_count": 2, "room_size": 3}, {"room_count": 0}, {"room_size": 1}, {"room_size": 51}],
)
def test_bad_setups_are_refused(breakout_call, kwargs):
    with pytest.raises(BreakoutError):
        set_up_rooms(breakout_call.call, **kwargs)
    assert seats(breakout_call.call) == {}


def test_a_started_or_cancelled_call_is_not_planned(breakout_call):
    breakout_call.call.status = CallStatus.CANCELLED
    with pytest.raises(BreakoutError, match="cancelled"):
        set_up_rooms(breakout_call.call, room_count=2)


def test_a_seat_by_hand_is_kept_on_replan(breakout_call):
    call = breakout_call.call
    set_up_rooms(call, room_count=3)
    someone = breakout_call.everyone[0]
    target = 1 if seats(call)[someone.id] != 1 else 2
    change = move_by_hand(call, someone.id, target)
    assert change.after == target
    set_up_rooms(call, room_count=3)
    assert seats(call)[someone.id] == target
    with pytest.raises(BreakoutError, match="Room 9"):
        move_by_hand(call, someone.id, 9)
    with pytest.raises(BreakoutError, match="yes or maybe"):
        move_by_hand(call, breakout_call.declined.id, 1)


def test_a_late_yes_is_placed_without_moving_others(breakout_call, make_member):
    call = breakout_call.call
    set_up_rooms(call, room_count=3)
    db.session.commit()
    before = seats(call)
    late = make_member(organisation=breakout_call.cities[1])
    answer_rsvp(call, late, "yes")
    db.session.commit()
    after = seats(call)
    assert late.id in after
    assert {m: r for m, r in after.items() if m != late.id} == before
    assert max(sizes(call)) - min(sizes(call)) <= 1


def test_a_no_removes_and_keeps_sizes_within_one(breakout_call):
    call = breakout_call.call
    set_up_rooms(call, room_count=3)  # 11 people: 4, 4, 3
    db.session.commit()
    placed = seats(call)
    small = min(set(placed.values()), key=lambda n: list(placed.values()).count(n))
    leaving = next(m for m in breakout_call.everyone if placed[m.id] == small)
    answer_rsvp(call, leaving, RsvpAnswer.NO)
    db.session.commit()
    after = seats(call)
    assert leaving.id not in after
    assert max(sizes(call)) - min(sizes(call)) <= 1
    moved = [m for m in after if after[m] != placed[m]]
    assert len(moved) == 1
    change = db.session.scalars(
        sa.select(Action).where(Action.kind == ActionKind.BREAKOUT_ROOM_CHANGED)
    ).one()
    assert change.member_id == moved[0] and change.after == {"room": after[moved[0]]}


def test_turning_rooms_off(breakout_call):
    set_up_rooms(breakout_call.call, room_count=2)
    turn_off_rooms(breakout_call.call)
    assert seats(breakout_call.call) == {}
    with pytest.raises(BreakoutError, match="Set up"):
        plan_call(breakout_call.call)


def held(call):
    call.starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    call.status = CallStatus.HELD
    db.session.commit()


def test_record_presence_validates_and_replaces(breakout_call):
    call, people = breakout_call.call, breakout_call.everyone
    set_up_rooms(call, room_count=2)
    with pytest.raises(BreakoutError, match="not started"):
        record_presence(call, {1: [people[0].id]})
    held(call)
    with pytest.raises(BreakoutError, match="two rooms"):
        record_presence(call, {1: [people[0].id], 2: [people[0].id]})
    with pytest.raises(BreakoutError, match="Room 7"):
        record_presence(call, {7: [people[0].id]})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoomPresence)) == 0
    assert record_presence(call, {1: [people[0].id, people[2].id], 2: [people[4].id]}) == 3
    assert record_presence(call, {2: [people[0].id, people[4].id]}) == 2
    recorded = {v.room.number: [m.id for m in v.recorded] for v in rooms_for(call)}
    assert recorded == {1: [], 2: sorted([people[0].id, people[4].id])}
    with pytest.raises(BreakoutError, match="recorded"):
        turn_off_rooms(call)


def test_the_ledger_counts_recorded_rooms_as_met(breakout_call):
    call, cities = breakout_call.call, breakout_call.cities
    a, b, c = (breakout_call.people[city.id][0] for city in cities[:3])
    set_up_rooms(call, room_count=2)
    held(call)  # no attendance recorded: only the room ties them
    record_presence(call, {1: [a.id, b.id], 2: [c.id]})
    db.session.commit()
    ties = city_ties()
    assert ties[frozenset((cities[0].id, cities[1].id))] == 2.0
    assert frozenset((cities[0].id, cities[2].id)) not in ties


def test_room_of_names_the_roommates(breakout_call):
    call = breakout_call.call
    set_up_rooms(call, room_count=2)
    someone = breakout_call.everyone[0]
    room, mates = room_of(call.id, someone.id)
    placed = seats(call)
    assert room.number == placed[someone.id]
    assert {m.id for m in mates} == {m for m, r in placed.items() if r == room.number} - {
        someone.id
    }
    assert room_of(call.id, breakout_call.declined.id) is None


def test_rooms_for_takes_the_same_queries_for_more_people(make_breakout_call, count_queries):
    counts = []
    for cities in (2, 6):
        setup = make_breakout_call(cities=cities, per_city=4)
        set_up_rooms(setup.call, room_size=4)
        db.session.commit()
        db.session.expire_all()
        with count_queries() as q:
            views = rooms_for(setup.call)
            names = [m.organisation.name for v in views for m in v.people]
        assert len(names) == cities * 4 + 1
        counts.append(q.count)
    assert counts[0] == counts[1]
