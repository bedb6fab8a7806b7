"""Registering for a summit, cancelling, substituting, and promotion from the waitlist.

Every change takes a row lock on the summit first (SELECT ... FOR UPDATE on PostgreSQL;
SQLite has a single writer anyway), so counting seats and writing the registration happen
one transaction at a time: no oversold seat, no one promoted twice.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.summit.models import (
    Registration,
    RegistrationStatus,
    SessionSignup,
    SessionSlot,
    SocialSession,
    Summit,
)
from convene.summit.seating import release_seats
from convene.summit.waitlist import WaitingEntry, waitlist_order
from convene.types import utcnow

LIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class RegistrationError(ValueError):
    """A refusal with a message for the person registering; nothing was changed."""


@dataclass(frozen=True)
class Answers:
    dietary_needs: str | None = None
    accessibility_needs: str | None = None
    arrives_on: date | None = None
    departs_on: date | None = None


def lock_row(model, row_id: int, key_share: bool = False):
    """A row locked until the transaction ends, re-read from the database.

    PostgreSQL: SELECT ... FOR UPDATE (FOR NO KEY UPDATE with `key_share`, which still
    queues every other locker of the row but lets inserts that merely reference it go on).
    SQLite has no row locks, so a no-op write takes the database's write lock first: other
    writers wait at that point, and what this transaction counts afterwards stays true until
    it commits.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        table = model.__table__.name
        db.session.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"), {"id": row_id})
    return db.session.scalar(
        select(model)
        .where(model.id == row_id)
        .with_for_update(key_share=key_share)
        .execution_options(populate_existing=True)
    )


def lock_member(member_id: int) -> Member:
    """The member's row locked: one change at a time to what they hold at the summit.

    Sessions lock themselves, but two overlapping sessions are two different rows; only a
    lock on the member makes "check for an overlap, then sign up" one step.
    """
    member = lock_row(Member, member_id, key_share=True)
    if member is None:
        raise RegistrationError("That person no longer exists.")
    return member


def lock_summit(summit_id: int) -> Summit:
    """The summit's row locked: one change to its places at a time. FOR NO KEY UPDATE, so
    that rows which merely reference the summit (the record of a session joined meanwhile)
    are written without waiting; waiting there, behind a cancel that waits for the member
    the join holds, would deadlock."""
    summit = lock_row(Summit, summit_id, key_share=True)
    if summit is None:
        raise RegistrationError("That summit no longer exists.")
    return summit


def live_registration(summit_id: int, member_id: int) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.summit_id == summit_id,
            Registration.member_id == member_id,
            Registration.status.in_(LIVE),
        )
    )


def confirmed_count(summit_id: int) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.summit_id == summit_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def waiting_count(summit_id: int) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.summit_id == summit_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
    )


def place_is_wanted(registration: Registration) -> bool:
    """Whether cancelling this registration gives up a place others want: it holds a seat,
    and someone is waiting or every seat is taken. Such a place is not kept for its holder
    (it goes to the next person at once), so the holder is asked to confirm first."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return False
    summit = registration.summit
    return waiting_count(summit.id) > 0 or confirmed_count(summit.id) >= summit.capacity


def delegation_count(summit_id: int, organisation_id: int) -> int:
    """Confirmed and waitlisted people of one organisation: what the delegation limit caps."""
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.summit_id == summit_id,
            Registration.organisation_id == organisation_id,
            Registration.status.in_(LIVE),
        )
    )


def register(
    summit: Summit,
    member: Member,
    answers: Answers = Answers(),
    actor: Member | None = None,
    now: datetime | None = None,
) -> Registration:
    """Confirm while seats are left, else waitlist; refuse outside the window, twice, or over
    the organisation's delegation limit."""
    now = now or utcnow()
    summit = lock_summit(summit.id)
    if now < summit.registration_opens_at:
        raise RegistrationError(f"Registration for {summit.name} has not opened yet.")
    if now >= summit.registration_closes_at:
        raise RegistrationError(f"Registration for {summit.name} has closed.")
    if live_registration(summit.id, member.id) is not None:
        raise RegistrationError(f"{member.name} is already registered for {summit.name}.")
    if delegation_count(summit.id, member.organisation_id) >= summit.delegation_limit:
        raise RegistrationError(
            f"{member.organisation.name} already has {summit.delegation_limit} people "
            f"registered, the most each organisation may send to {summit.name}."
        )
    _check_answers(summit, answers)
    has_seat = confirmed_count(summit.id) < summit.capacity
    registration = Registration(
        summit_id=summit.id,
        member_id=member.id,
        organisation_id=member.organisation_id,
        status=RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITLISTED,
        registered_at=now,
        confirmed_at=now if has_seat else None,
        registered_by_id=actor.id if actor is not None and actor.id != member.id else None,
        dietary_needs=answers.dietary_needs or None,
        accessibility_needs=answers.accessibility_needs or None,
        arrives_on=answers.arrives_on,
        departs_on=answers.departs_on,
    )
    registration.summit = summit
    registration.member = member
    try:
        with db.session.begin_nested():
            db.session.add(registration)
    except IntegrityError as exc:  # a second tab beat this one to it
        raise RegistrationError(f"{member.name} is already registered for {summit.name}.") from exc
    if has_seat:
        record_action(
            ActionKind.REGISTRATION_CONFIRMED, actor, registration, member=member,
            after={"status": registration.status},
        )  # fmt: skip
    else:
        record_action(
            ActionKind.REGISTRATION_WAITLISTED, actor, registration, member=member,
            after={"status": registration.status}, position=waitlist_position(registration),
        )  # fmt: skip
    return registration


TRAVEL_MARGIN = timedelta(days=7)


def _check_answers(summit: Summit, answers: Answers) -> None:
    arrives, departs = answers.arrives_on, answers.departs_on
    if arrives and departs and departs < arrives:
        raise RegistrationError("The departure date is before the arrival date.")
    if arrives and not summit.starts_on - TRAVEL_MARGIN <= arrives <= summit.ends_on:
        raise RegistrationError(
            f"Arrive between {summit.starts_on - TRAVEL_MARGIN:%-d %B} and "
            f"{summit.ends_on:%-d %B %Y}, the summit's last day."
        )
    if departs and not summit.starts_on <= departs <= summit.ends_on + TRAVEL_MARGIN:
        raise RegistrationError(
            f"Leave between {summit.starts_on:%-d %B}, the summit's first day, and "
            f"{summit.ends_on + TRAVEL_MARGIN:%-d %B %Y}."
        )


def cancel(registration: Registration, actor: Member | None = None, now=None) -> list:
    """Cancel a place; a freed seat goes to the next on the waitlist in the same transaction.

    Returns the registrations promoted (none if it was already cancelled by someone else).
    """
    now = now or utcnow()
    summit = lock_summit(registration.summit_id)
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.id == registration.id)
        .execution_options(populate_existing=True)
    )
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationError("That registration is already cancelled.")
    lock_member(registration.member_id)  # a join in flight finishes first, then is released
    previous_status = registration.status
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.revision += 1
    _release_social_places(registration, actor)
    record_action(
        ActionKind.REGISTRATION_CANCELLED, actor, registration, member=registration.member,
        before={"status": previous_status}, after={"status": registration.status},
    )  # fmt: skip
    db.session.flush()
    return promote_waitlisted(summit, now, actor)


def _release_social_places(registration: Registration, actor: Member | None = None) -> None:
    """A cancelled attendee leaves their open sessions (freeing places) and their seats."""
    from convene.summit.sessions import leave_session

    signups = db.session.scalars(
        select(SessionSignup)
        .join(SocialSession)
        .where(
            SocialSession.summit_id == registration.summit_id,
            SessionSignup.member_id == registration.member_id,
        )
    ).all()
    for signup in signups:
        leave_session(signup, actor)
    slot_ids = (
        select(SessionSlot.id)
        .join(SocialSession)
        .where(SocialSession.summit_id == registration.summit_id)
    )
    release_seats(registration.member, slot_ids, actor)


def waiting_in_order(summit_id: int) -> list[Registration]:
    """The waitlist of a summit in promotion order."""
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.summit_id == summit_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .options(selectinload(Registration.member), selectinload(Registration.organisation))
        .execution_options(populate_existing=True)  # as committed when the lock was taken
    ).all()
    represented = db.session.scalars(
        select(Registration.organisation_id)
        .where(
            Registration.summit_id == summit_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .distinct()
    ).all()
    by_id = {r.id: r for r in waiting}
    entries = [waiting_entry(r) for r in waiting]
    return [by_id[e.id] for e in waitlist_order(entries, represented)]


def waiting_entry(registration: Registration) -> WaitingEntry:
    return WaitingEntry(
        registration.id,
        registration.organisation_id,
        registration.registered_at,
        registration.waitlist_rank,
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to be promoted; None if not waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    for position, waiting in enumerate(waiting_in_order(registration.summit_id), start=1):
        if waiting.id == registration.id:
            return position
    return None


def promote_waitlisted(
    summit: Summit, now: datetime | None = None, actor: Member | None = None
) -> list[Registration]:
    """Fill every free seat from the waitlist (call with the summit locked)."""
    now = now or utcnow()
    free = summit.capacity - confirmed_count(summit.id)
    if free <= 0:
        return []
    promoted = []
    for registration in waiting_in_order(summit.id)[:free]:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waitlist_rank = None
        registration.revision += 1
        record_action(
            ActionKind.REGISTRATION_PROMOTED, actor, registration, member=registration.member,
            before={"status": RegistrationStatus.WAITLISTED}, after={"status": registration.status},
        )  # fmt: skip
        promoted.append(registration)
    db.session.flush()
    return promoted


def substitute(
    registration: Registration,
    replacement: Member,
    actor: Member | None = None,
    answers: Answers = Answers(),
) -> Registration:
    """Give a registration's seat (or waitlist place) to a colleague from the same city.

    The colleague comes with their own answers (travel dates, needs): nothing of the
    previous delegate's is kept, since the seating reads travel dates to mark people
    absent. The action keeps both people and what the place held before.
    """
    lock_summit(registration.summit_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationError("That registration is cancelled: there is no place to pass on.")
    if replacement.organisation_id != registration.organisation_id:
        raise RegistrationError(
            f"{replacement.name} is not from {registration.organisation.name}: a place passes "
            "only to a colleague."
        )
    if replacement.id == registration.member_id:
        raise RegistrationError(f"{replacement.name} already holds that place.")
    if live_registration(registration.summit_id, replacement.id) is not None:
        raise RegistrationError(f"{replacement.name} is already registered.")
    _check_answers(registration.summit, answers)
    previous = registration.member
    lock_member(previous.id)  # as in cancel: no join slips in after the release
    _release_social_places(registration, actor)
    before = _holder(registration)
    registration.member_id = replacement.id
    registration.member = replacement
    registration.dietary_needs = answers.dietary_needs or None
    registration.accessibility_needs = answers.accessibility_needs or None
    registration.arrives_on = answers.arrives_on
    registration.departs_on = answers.departs_on
    registration.revision += 1
    db.session.flush()
    record_action(
        ActionKind.REGISTRATION_SUBSTITUTED, actor, registration,
        member=replacement, former_member=previous,
        before=before, after=_holder(registration),
    )  # fmt: skip
    return registration


def _holder(registration: Registration) -> dict:
    """Who holds a place and their travel dates, as the record keeps them."""
    return {
        "member_id": registration.member.id,
        "member": registration.member.name,
        "status": registration.status,
        "arrives_on": registration.arrives_on,
        "departs_on": registration.departs_on,
    }
