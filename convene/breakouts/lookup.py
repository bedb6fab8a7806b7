"""Who is in which breakout room, read for pages, feeds, reminders and mail.

Apart from planning.py on purpose: planning records actions, actions are told through mail
with calendar invitations, and invitations are built from the feeds' sources; the feeds,
in turn, show each member's room. Reads that need only the models keep that loop open.
"""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.breakouts.models import BreakoutRoom, RoomSeat
from convene.extensions import db


def by_organisation(members) -> list[Member]:
    """Roommates as pages and mail list them: by organisation name, then name."""
    return sorted(members, key=lambda m: (m.organisation.name, m.name, m.id))


def rooms_of_member(member_id: int, call_ids) -> dict[int, tuple[BreakoutRoom, list[Member]]]:
    """For each of these calls where the member has a seat: their room and roommates, in
    three queries whatever the number of calls."""
    call_ids = list(call_ids)
    if not call_ids:
        return {}
    mine = sa.select(RoomSeat.room_id).where(
        RoomSeat.member_id == member_id, RoomSeat.call_id.in_(call_ids)
    )
    seats = db.session.scalars(
        sa.select(RoomSeat)
        .where(RoomSeat.room_id.in_(mine))
        .options(
            selectinload(RoomSeat.room),
            selectinload(RoomSeat.member).joinedload(Member.organisation),
        )
    ).all()
    found: dict[int, tuple[BreakoutRoom, list[Member]]] = {}
    for seat in seats:
        if seat.member_id == member_id:
            found[seat.call_id] = (seat.room, [])
    for seat in seats:
        if seat.member_id != member_id and seat.call_id in found:
            found[seat.call_id][1].append(seat.member)
    return {c: (room, by_organisation(people)) for c, (room, people) in found.items()}


def room_of(call_id: int, member_id: int) -> tuple[BreakoutRoom, list[Member]] | None:
    """Their room on this call and the others in it, or None."""
    return rooms_of_member(member_id, [call_id]).get(call_id)
