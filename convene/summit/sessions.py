"""Open social sessions: sign up, leave, and the waitlist of a full session.

A member holds at most one session at any moment: a place or a waitlist place at an open
session, or a seat in a published assigned slot, may not overlap another.
"""

from datetime import datetime

from sqlalchemy import func, select

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.summit.models import (
    Registration,
    RegistrationStatus,
    SeatAssignment,
    SessionKind,
    SessionSignup,
    SessionSlot,
    SignupStatus,
    SocialSession,
)
from convene.summit.registration import RegistrationError, lock_member, lock_row


class SessionError(RegistrationError):
    """A refusal about a social session; nothing was changed."""


def lock_session(session_id: int) -> SocialSession:
    session = lock_row(SocialSession, session_id)
    if session is None:
        raise SessionError("That social session no longer exists.")
    return session


def overlapping_commitment(
    member: Member,
    summit_id: int,
    starts_at: datetime,
    ends_at: datetime,
    except_session_id: int | None = None,
):
    """The title of a session the member holds that overlaps [starts_at, ends_at), or None."""
    signups = db.session.execute(
        select(SocialSession.title)
        .join(SessionSignup)
        .where(
            SocialSession.summit_id == summit_id,
            SessionSignup.member_id == member.id,
            SocialSession.id != (except_session_id or 0),
            SocialSession.is_cancelled.is_(False),
            SocialSession.starts_at < ends_at,
            SocialSession.ends_at > starts_at,
        )
    ).first()
    if signups is not None:
        return signups[0]
    seated = db.session.execute(
        select(SocialSession.title, SessionSlot.label)
        .join(SessionSlot, SessionSlot.session_id == SocialSession.id)
        .join(SeatAssignment, SeatAssignment.slot_id == SessionSlot.id)
        .where(
            SocialSession.summit_id == summit_id,
            SocialSession.is_published.is_(True),
            SeatAssignment.member_id == member.id,
            SocialSession.id != (except_session_id or 0),
            SessionSlot.starts_at < ends_at,
            SessionSlot.ends_at > starts_at,
        )
    ).first()
    if seated is not None:
        return f"{seated[0]} ({seated[1]})"
    return None


def join_session(session: SocialSession, member: Member) -> SessionSignup:
    """A place if one is left, else a place on the session's waitlist.

    Locks the member, then the session (always in that order): the member's lock makes the
    overlap check hold until commit, the session's lock makes the place count hold.
    """
    member = lock_member(member.id)
    session = lock_session(session.id)
    if session.kind != SessionKind.OPEN:
        raise SessionError("Seats at this session are assigned: there is nothing to sign up to.")
    if session.is_cancelled:
        raise SessionError(f"{session.title} is cancelled.")
    confirmed = db.session.scalar(
        select(Registration.id).where(
            Registration.summit_id == session.summit_id,
            Registration.member_id == member.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    if confirmed is None:
        raise SessionError("Social sessions are for confirmed attendees of the summit.")
    existing = db.session.scalar(
        select(SessionSignup).where(
            SessionSignup.session_id == session.id, SessionSignup.member_id == member.id
        )
    )
    if existing is not None:
        raise SessionError(f"You are already on the list for {session.title}.")
    clash = overlapping_commitment(
        member, session.summit_id, session.starts_at, session.ends_at, session.id
    )
    if clash is not None:
        raise SessionError(f"{session.title} overlaps {clash}, which you already hold.")
    taken = db.session.scalar(
        select(func.count(SessionSignup.id)).where(
            SessionSignup.session_id == session.id,
            SessionSignup.status == SignupStatus.SIGNED_UP,
        )
    )
    status = SignupStatus.SIGNED_UP if taken < session.capacity else SignupStatus.WAITLISTED
    signup = SessionSignup(session=session, member=member, status=status)
    db.session.add(signup)
    db.session.flush()
    kind = (
        ActionKind.SESSION_PLACE_GAINED
        if status == SignupStatus.SIGNED_UP
        else ActionKind.SESSION_WAITLISTED
    )
    record_action(kind, member, session, member=member, after={"status": status})
    return signup


def leave_session(signup: SessionSignup, actor: Member | None = None) -> SessionSignup | None:
    """Leave a session; a freed place goes to the first waiting. Returns who was promoted.

    The signup is read again under the session's lock: if a parallel request (a double
    click) already removed it, nothing more happens, so one place never promotes two people.
    """
    session = lock_session(signup.session_id)
    signup = db.session.scalar(
        select(SessionSignup)
        .where(SessionSignup.id == signup.id)
        .execution_options(populate_existing=True)
    )
    if signup is None:
        return None
    had_place = signup.status == SignupStatus.SIGNED_UP
    member = signup.member
    db.session.delete(signup)
    db.session.flush()
    record_action(
        ActionKind.SESSION_PLACE_LOST if had_place else ActionKind.SESSION_WAITLIST_LEFT,
        actor, session, member=member, before={"status": signup.status},
    )  # fmt: skip
    if not had_place:
        return None
    waiting = db.session.scalar(
        select(SessionSignup)
        .where(
            SessionSignup.session_id == session.id,
            SessionSignup.status == SignupStatus.WAITLISTED,
        )
        .order_by(SessionSignup.created_at, SessionSignup.id)
        .limit(1)
    )
    if waiting is None:
        return None
    waiting.status = SignupStatus.SIGNED_UP
    db.session.flush()
    record_action(
        ActionKind.SESSION_PROMOTED, actor, session, member=waiting.member,
        before={"status": SignupStatus.WAITLISTED}, after={"status": waiting.status},
    )  # fmt: skip
    return waiting


def place_is_wanted(signup: SessionSignup) -> bool:
    """Whether leaving gives up a place others want: the signup holds a place, and someone
    is waiting or the session is full. Asked before leaving, since it cannot be taken back."""
    if signup.status != SignupStatus.SIGNED_UP:
        return False
    counts = signup_counts([signup.session_id]).get(signup.session_id, {})
    full = counts.get("signed_up", 0) >= (signup.session.capacity or 0)
    return counts.get("waitlisted", 0) > 0 or full


def signup_counts(session_ids) -> dict[int, dict[str, int]]:
    """Places taken and waiting per open session, in one query."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        select(SessionSignup.session_id, SessionSignup.status, func.count(SessionSignup.id))
        .where(SessionSignup.session_id.in_(list(session_ids)))
        .group_by(SessionSignup.session_id, SessionSignup.status)
    )
    for session_id, status, n in rows:
        counts.setdefault(session_id, {"signed_up": 0, "waitlisted": 0})[status.value] = n
    return counts
