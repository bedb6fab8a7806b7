"""Late RSVPs at once: each is placed once, and room sizes stay within one."""

import threading

import pytest
import sqlalchemy as sa

from convene.accounts.models import Member
from convene.breakouts.models import RoomSeat
from convene.breakouts.planning import set_up_rooms
from convene.convenings.models import Call
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db


@pytest.mark.postgres_only
def test_two_late_yes_at_once_are_each_placed_once(
    make_app, breakout_call, make_member, make_org, answer
):
    call = breakout_call.call
    answer(call, make_member(organisation=breakout_call.cities[1]))
    set_up_rooms(call, room_count=3)  # 12 people: 4, 4, 4
    db.session.commit()
    # Two colleagues from a new city: each alone would choose the same room (without the
    # setup's lock both do, and one room holds 6).
    newcomers = make_org("city")
    late = [make_member(organisation=newcomers).id for _ in range(2)]
    call_id = call.id
    racing = make_app()
    barrier = threading.Barrier(2)
    errors = []

    def run(member_id):
        with racing.app_context():
            try:
                barrier.wait(timeout=30)
                answer_rsvp(db.session.get(Call, call_id), db.session.get(Member, member_id), "yes")
                db.session.commit()
            except Exception as exc:  # the test reads it
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(m,)) for m in late]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    db.session.expire_all()
    seats = db.session.execute(
        sa.select(RoomSeat.member_id, RoomSeat.room_id).where(RoomSeat.call_id == call_id)
    ).all()
    placed = [m for m, _ in seats]
    assert sorted(m for m in placed if m in late) == sorted(late)
    assert len(placed) == len(set(placed)) == 14
    per_room = [sum(1 for _, r in seats if r == room) for room in {r for _, r in seats}]
    assert max(per_room) - min(per_room) <= 1
