from convene.accounts.models import Member
from convene.convenings.models import Call


def can_host_call(member: Member | None, call: Call) -> bool:
    """Admins, and hosts of the partner that hosts this call, run it."""
    if member is None or not member.is_authenticated:
        return False
    if member.is_admin:
        return True
    return member.is_host and member.organisation_id == call.host_organisation_id


def can_see_join_details(member: Member | None) -> bool:
    return member is not None and member.is_authenticated
