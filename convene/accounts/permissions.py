"""Who may do what: one decorator for roles, one function per object rule."""

from functools import wraps

from flask import abort
from flask_login import current_user

from convene.accounts.models import Member, Organisation, Role


def role_required(role: Role | str):
    """Signed in and holding the role (admins hold all); 403 otherwise."""
    role = Role(role)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from convene.extensions import login

                return login.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can_manage_organisation(actor: Member, organisation: Organisation) -> bool:
    """Admins manage every organisation's people; a champion only their own city's."""
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    return actor.is_champion and actor.organisation_id == organisation.id


def can_manage_member(actor: Member, member: Member) -> bool:
    if not can_manage_organisation(actor, member.organisation):
        return False
    if actor.is_admin:
        return True
    # A champion manages plain members of their city, not themselves or other roles.
    return member.id != actor.id and member.role == Role.MEMBER
