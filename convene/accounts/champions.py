"""Handing a city's champion role to another of its members, in one step.

The old champion becomes a member and the new one the champion in the same transaction,
in that order (the database allows one active champion per city, so a second handover
racing this one fails at its flush rather than leaving two champions). Both changes of
role end the two people's sessions, as every change of role does (sessions.py); the view
signs a champion who handed over their own role in again on the browser they used.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convene.accounts.invitations import AccountError
from convene.accounts.models import Member, Organisation, Role
from convene.accounts.sessions import end_sessions
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import Action, ActionKind


def current_champion(organisation: Organisation) -> Member | None:
    return db.session.scalar(
        select(Member).where(
            Member.organisation_id == organisation.id,
            Member.role == Role.CHAMPION,
            Member.active.is_(True),
        )
    )


def can_hand_over(actor: Member, organisation: Organisation) -> bool:
    """Admins, and the city's own champion."""
    if actor is None or not actor.is_authenticated or not organisation.is_city:
        return False
    if actor.is_admin:
        return True
    return actor.is_champion and actor.organisation_id == organisation.id


def could_take_over(member: Member, organisation: Organisation) -> bool:
    """Whether the people page offers to make this person the champion."""
    return handover_problem(organisation, member) is None


def handover_problem(organisation: Organisation, to: Member) -> str | None:
    """Why `to` cannot become the city's champion, or None."""
    if not organisation.is_city:
        return "Only a city has a champion."
    if to.organisation_id != organisation.id:
        return f"{to.name} is not part of {organisation.name}."
    if not to.active:
        return f"{to.name} is deactivated: reactivate them first."
    if to.password_hash is None:
        return f"{to.name} has not accepted their invitation yet."
    if to.role == Role.CHAMPION:
        return f"{to.name} is already the champion of {organisation.name}."
    if to.role != Role.MEMBER:
        return f"{to.name} is a {to.role.value}, not a member of the city."
    return None


def hand_over_champion(actor: Member, organisation: Organisation, to: Member) -> Member | None:
    """Make `to` the champion and the current champion a member; returns the previous
    champion (None when the city had none). Both are told by email."""
    problem = handover_problem(organisation, to)
    if problem is not None:
        raise AccountError(problem)
    if not can_hand_over(actor, organisation):
        raise AccountError("Only the city's champion or the programme team can do this.")
    previous = current_champion(organisation)
    if previous is not None:
        previous.role = Role.MEMBER
        end_sessions(previous)
        db.session.flush()  # stepped down before the new champion steps up
    to.role = Role.CHAMPION
    end_sessions(to)
    db.session.flush()
    record_action(
        ActionKind.CHAMPION_HANDED_OVER,
        actor,
        member=to,
        former_member=previous,
        before={"champion": previous.name if previous is not None else None},
        after={"champion": to.name},
        organisation=organisation.name,
        organisation_id=organisation.id,
        organisation_slug=organisation.slug,
    )
    return previous


def handovers(organisation: Organisation, limit: int = 20) -> list[Action]:
    """The city's champion handovers, newest first (filed under the new champion, who is
    in the city unless they moved since)."""
    return list(
        db.session.scalars(
            select(Action)
            .join(Member, Member.id == Action.member_id)
            .where(
                Action.kind == ActionKind.CHAMPION_HANDED_OVER,
                Member.organisation_id == organisation.id,
            )
            .order_by(Action.happened_at.desc(), Action.id.desc())
            .limit(limit)
            .options(selectinload(Action.actor), selectinload(Action.member))
        )
    )
