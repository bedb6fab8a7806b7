"""Who may see and change a call's breakout rooms; used by views and templates alike.

The rooms belong to running the call, so whoever may host it (its partner's hosts and
admins) plans them; everyone else signed in sees only their own room on the call's page.
"""

from convene.accounts.models import Member
from convene.convenings.models import Call
from convene.convenings.permissions import can_host_call


def can_plan_rooms(member: Member | None, call: Call) -> bool:
    """Set up, plan, move people, download the import file, record who was where."""
    return can_host_call(member, call)


def can_see_own_room(member: Member | None) -> bool:
    return member is not None and member.is_authenticated
