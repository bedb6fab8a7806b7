"""Changes an admin or champion makes to a member; those that change what the member may do
end the member's sessions, so that nobody keeps acting on what a cookie proved before."""

from convene.accounts.invitations import AccountError, check_role_fits
from convene.accounts.models import Member, Organisation, Role
from convene.accounts.sessions import end_sessions


def update_member(
    actor: Member,
    member: Member,
    *,
    name: str,
    title: str | None,
    role: Role,
    organisation: Organisation,
) -> bool:
    """Save the member's details; True when their role or organisation changed (and with it
    their sessions ended)."""
    if member.id == actor.id and role != Role.ADMIN:
        raise AccountError("You cannot take away your own admin role.", field="role")
    check_role_fits(role, organisation, member=member)
    changed = role != member.role or organisation.id != member.organisation_id
    member.name = name.strip()
    member.title = title or None
    member.role = role
    member.organisation = organisation
    if changed:
        end_sessions(member)
    return changed


def set_member_active(member: Member, active: bool) -> None:
    """Deactivation signs the member out everywhere; reactivation lets them sign in again."""
    member.active = active
    if not active:
        end_sessions(member)
