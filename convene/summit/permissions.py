"""Object rules for the summit: who may act for whose registration."""

from convene.accounts.models import Member, Role


def _signed_in(actor) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def can_admin_summit(actor) -> bool:
    return _signed_in(actor) and actor.is_admin


def can_register_for(actor, member: Member) -> bool:
    """Oneself; a champion for their own city's people; an admin for anyone."""
    if not _signed_in(actor) or not member.active:
        return False
    if actor.is_admin or actor.id == member.id:
        return True
    return actor.is_champion and actor.organisation_id == member.organisation_id


def can_manage_delegation(actor, organisation_id: int) -> bool:
    if not _signed_in(actor):
        return False
    return actor.is_admin or (
        actor.role == Role.CHAMPION and actor.organisation_id == organisation_id
    )


def can_substitute(actor, registration) -> bool:
    """Champions and admins swap one of a city's people for another, keeping the seat."""
    return can_manage_delegation(actor, registration.organisation_id)
