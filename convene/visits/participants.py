"""Who goes on a scheduled visit: the champions of its cities name their people (visitors
from the visiting cities, hosts from the host city), admins name anyone of those cities.

A person named gets the visit in their feed and an invitation; a person taken off it gets
a CANCEL (the who-hears-what table sends both).
"""

import sqlalchemy as sa

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.visits.models import Visit, VisitParticipant, VisitSide, VisitStatus

# People can be named (and taken off) while the visit is scheduled and not yet held.
OPEN_STATUSES = (VisitStatus.APPROVED,)


class ParticipantError(ValueError):
    """A naming the rules refuse; the message is for the person."""


def _sides(visit: Visit) -> dict[int, VisitSide]:
    return {c.organisation_id: VisitSide(c.side) for c in visit.cities}


def cities_for(actor: Member, visit: Visit) -> list[int]:
    """The cities whose people `actor` may name on this visit: every one of its cities for
    an admin, their own for a champion of one of them."""
    sides = _sides(visit)
    if actor.is_admin:
        return list(sides)
    if actor.is_champion and actor.organisation_id in sides:
        return [actor.organisation_id]
    return []


def can_name_people(actor: Member, visit: Visit) -> bool:
    return visit.status in OPEN_STATUSES and bool(cities_for(actor, visit))


def candidates(actor: Member, visit: Visit) -> list[Member]:
    """Active people of the actor's cities on the visit, not named yet (one query)."""
    city_ids = cities_for(actor, visit)
    if not city_ids:
        return []
    named = {p.member_id for p in visit.participants}
    people = db.session.scalars(
        sa.select(Member)
        .where(Member.organisation_id.in_(city_ids), Member.active.is_(True))
        .order_by(Member.organisation_id, Member.name, Member.id)
    )
    return [m for m in people if m.id not in named]


def _check_open(visit: Visit) -> None:
    if visit.status == VisitStatus.CANCELLED:
        raise ParticipantError("This visit is cancelled.")
    if visit.status == VisitStatus.HELD:
        raise ParticipantError("This visit has been held: its people can no longer change.")
    if visit.status not in OPEN_STATUSES:
        raise ParticipantError("People are named once a programme admin has approved the visit.")


def name_person(visit: Visit, member: Member, actor: Member) -> VisitParticipant:
    """Name `member` on the visit, on their city's side; they are sent an invitation."""
    _check_open(visit)
    sides = _sides(visit)
    if member is None or not member.active:
        raise ParticipantError("Choose someone with an active account.")
    if member.organisation_id not in sides:
        raise ParticipantError(f"{member.name} is not from one of this visit's cities.")
    if member.organisation_id not in cities_for(actor, visit):
        raise ParticipantError("You can name people from your own city only.")
    if any(p.member_id == member.id for p in visit.participants):
        raise ParticipantError(f"{member.name} is already named on this visit.")
    side = sides[member.organisation_id]
    participant = VisitParticipant(visit=visit, member=member, side=side)
    db.session.add(participant)
    db.session.flush()
    record_action(
        ActionKind.VISIT_PERSON_NAMED,
        actor,
        visit,
        member=member,
        after={"name": member.name, "side": side.value},
    )
    return participant


def remove_person(visit: Visit, member: Member, actor: Member) -> None:
    """Take `member` off the visit; their calendar is sent a CANCEL."""
    _check_open(visit)
    participant = next((p for p in visit.participants if p.member_id == member.id), None)
    if participant is None:
        raise ParticipantError(f"{member.name} is not named on this visit.")
    allowed = cities_for(actor, visit)
    if member.organisation_id not in allowed and not actor.is_admin:
        raise ParticipantError("You can take off people from your own city only.")
    side = VisitSide(participant.side)
    visit.participants.remove(participant)
    db.session.flush()
    record_action(
        ActionKind.VISIT_PERSON_REMOVED,
        actor,
        visit,
        member=member,
        before={"name": member.name, "side": side.value},
    )


def by_side(visit: Visit) -> dict[VisitSide, list[Member]]:
    """The people named, hosts first, each side by name."""
    sides: dict[VisitSide, list[Member]] = {VisitSide.HOST: [], VisitSide.VISITOR: []}
    for p in visit.participants:
        sides[VisitSide(p.side)].append(p.member)
    for people in sides.values():
        people.sort(key=lambda m: (m.name.lower(), m.id))
    return sides
