"""Who may see a peer visit and act on it.

A visit's details are for the champions of the cities taking part, the people named on it
and programme admins; nobody else (a published report is the network's, and a public
visit's dates are in the public feed, but the request itself is not). These functions say
who; the domain modules say when (a declined visit takes no answer, whoever asks).
"""

from convene.accounts.models import Organisation
from convene.visits.models import Visit, VisitSide, VisitStatus


def _signed_in(member) -> bool:
    return member is not None and getattr(member, "is_authenticated", False)


def _champion_of(member, organisation_ids) -> bool:
    return member.is_champion and member.organisation_id in set(organisation_ids)


def _city_ids(visit: Visit, side: VisitSide | None = None) -> list[int]:
    return [c.organisation_id for c in visit.cities if side is None or c.side == side]


def is_participant(member, visit: Visit) -> bool:
    return _signed_in(member) and any(p.member_id == member.id for p in visit.participants)


def can_view_visit(member, visit: Visit) -> bool:
    """Champions of the visit's cities, the people named on it, admins."""
    if not _signed_in(member):
        return False
    if member.is_admin or is_participant(member, visit):
        return True
    return _champion_of(member, _city_ids(visit) + [visit.requesting_organisation_id])


def can_answer(member, visit: Visit) -> bool:
    """The host city's champion (or an admin) answers a request waiting for the host:
    accept, decline or propose other dates."""
    if not _signed_in(member) or visit.status != VisitStatus.REQUESTED:
        return False
    return member.is_admin or _champion_of(member, _city_ids(visit, VisitSide.HOST))


def can_answer_proposal(member, visit: Visit) -> bool:
    """The asking city's champion (or an admin) takes or refuses the host's other dates."""
    if not _signed_in(member) or visit.status != VisitStatus.DATES_PROPOSED:
        return False
    return member.is_admin or _champion_of(member, [visit.requesting_organisation_id])


def can_approve(member) -> bool:
    """Programme admins approve accepted visits (and spend the budget)."""
    return _signed_in(member) and member.is_admin


def can_change_visit(member, visit: Visit) -> bool:
    """Move, cancel, name people, edit the itinerary: the champions of its cities, admins."""
    if not _signed_in(member):
        return False
    return member.is_admin or _champion_of(
        member, _city_ids(visit) + [visit.requesting_organisation_id]
    )


def can_report(member, visit: Visit, organisation_id: int) -> bool:
    """A city's report on a visit: its champion, its people named on the visit, admins."""
    if not _signed_in(member) or organisation_id not in _city_ids(visit):
        return False
    if member.is_admin or _champion_of(member, [organisation_id]):
        return True
    return member.organisation_id == organisation_id and is_participant(member, visit)


def can_ask_for_visit(member) -> bool:
    """A city's champion asks on its behalf (admins have no city to send)."""
    return (
        _signed_in(member)
        and member.is_champion
        and member.organisation is not None
        and member.organisation.is_city
    )


def can_edit_strengths(member, organisation: Organisation) -> bool:
    """The city's champion, or an admin."""
    if not _signed_in(member) or not organisation.is_city:
        return False
    return member.is_admin or _champion_of(member, [organisation.id])


def can_manage_areas(member) -> bool:
    return _signed_in(member) and member.is_admin
