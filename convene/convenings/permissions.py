"""Who may do what with series and calls; used by views and templates alike."""

from convene.accounts.models import Member
from convene.convenings.models import Call, SwapRequest


def _signed_in(member: Member | None) -> bool:
    return member is not None and member.is_authenticated


def can_host_call(member: Member | None, call: Call) -> bool:
    """Admins, and hosts of the partner that hosts this call, run it."""
    if not _signed_in(member):
        return False
    if member.is_admin:
        return True
    return member.is_host and member.organisation_id == call.host_organisation_id


def can_see_join_details(member: Member | None) -> bool:
    return _signed_in(member)


def can_rsvp(member: Member | None) -> bool:
    return _signed_in(member)


def can_manage_series(member: Member | None) -> bool:
    return _signed_in(member) and member.is_admin


def can_reassign_host(member: Member | None) -> bool:
    """Admins give a call to another partner directly; hosts ask for a swap instead."""
    return _signed_in(member) and member.is_admin


def can_answer_swap(member: Member | None, swap: SwapRequest) -> bool:
    if not _signed_in(member):
        return False
    return member.is_admin or (member.is_host and member.organisation_id == swap.to_organisation_id)


def can_withdraw_swap(member: Member | None, swap: SwapRequest) -> bool:
    if not _signed_in(member):
        return False
    return member.is_admin or (
        member.is_host and member.organisation_id == swap.from_organisation_id
    )


def can_reinstate_call(member: Member | None, call: Call) -> bool:
    """Whoever may cancel a call may bring it back (whether it can come back is the
    domain's to say: see rescheduling.check_reinstatable)."""
    return call.is_cancelled and can_host_call(member, call)
