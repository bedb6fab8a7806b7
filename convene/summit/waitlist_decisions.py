"""Programme staff's decisions about a summit's waitlist: promote someone now, move someone
up or down, take someone off.

The rule in `summit/waitlist.py` decides the order by itself; these are the exceptions people
make, so each carries a reason, kept in the record of actions (the waitlist's history) and
shown to admins. Each takes the summit's lock first, like every change to its places, and
reads the registration again under it: a decision made on a page that is out of date (the
person was promoted meanwhile, or a colleague already took them off) is refused, not
applied twice.
"""

from datetime import datetime

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.summit.models import Registration, RegistrationStatus
from convene.summit.registration import (
    RegistrationError,
    confirmed_count,
    lock_summit,
    waiting_entry,
    waiting_in_order,
)
from convene.summit.waitlist import moved
from convene.types import utcnow

REASON_MAX = 500


class WaitlistError(RegistrationError):
    """A decision refused, with a message for the person making it; nothing was changed."""


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise WaitlistError("Give a reason: it is kept with the decision.")
    if len(reason) > REASON_MAX:
        raise WaitlistError(f"Keep the reason under {REASON_MAX} characters.")
    return reason


def _waiting(registration: Registration) -> tuple[list[Registration], int]:
    """The summit's waitlist in order and the registration's index in it, read under the
    summit's lock (which the caller holds)."""
    db.session.refresh(registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        state = {
            RegistrationStatus.CONFIRMED: "they have a place already",
            RegistrationStatus.CANCELLED: "they are no longer registered",
        }[registration.status]
        raise WaitlistError(f"{registration.member.name} is not on the waitlist: {state}.")
    order = waiting_in_order(registration.summit_id)
    index = next(i for i, r in enumerate(order) if r.id == registration.id)
    return order, index


def promote_now(
    registration: Registration,
    actor: Member,
    reason: str | None,
    over_capacity: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Give a waiting person a place at once, whatever their turn.

    With every seat taken it is refused unless an admin says "over capacity": the summit then
    holds one more person than its seats, and nobody else is promoted until enough people
    cancel to bring it back under.
    """
    reason = _reason(reason)
    summit = lock_summit(registration.summit_id)
    _order, index = _waiting(registration)
    taken = confirmed_count(summit.id)
    if taken >= summit.capacity:
        if not over_capacity:
            raise WaitlistError(
                f"{summit.name} is full ({taken} of {summit.capacity} places taken). "
                f"Tick “over capacity” to give {registration.member.name} a place anyway."
            )
        if actor is None or not actor.is_admin:
            raise WaitlistError("Only an admin may promote someone over capacity.")
    else:
        over_capacity = False  # a free seat: nothing is overridden
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now or utcnow()
    registration.waitlist_rank = None
    registration.revision += 1
    db.session.flush()
    record_action(
        ActionKind.REGISTRATION_PROMOTED, actor, registration, member=registration.member,
        before={"status": RegistrationStatus.WAITLISTED}, after={"status": registration.status},
        by_hand=True, reason=reason, position=index + 1, over_capacity=over_capacity,
        confirmed=taken + 1, capacity=summit.capacity,
    )  # fmt: skip
    return registration


def move_on_waitlist(
    registration: Registration, actor: Member, reason: str | None, steps: int
) -> int:
    """Move a waiting person `steps` places (negative: towards the front); returns their new
    position. The front of the waitlist down to the places involved keeps this order from
    now on (see `waitlist.moved`)."""
    reason = _reason(reason)
    lock_summit(registration.summit_id)
    order, index = _waiting(registration)
    name = registration.member.name
    try:
        ranks = moved([waiting_entry(r) for r in order], registration.id, steps)
    except ValueError:
        where = "first" if steps < 0 else "last"
        raise WaitlistError(f"{name} is {where} on the waitlist already.") from None
    for waiting in order:
        if waiting.id in ranks:
            waiting.waitlist_rank = ranks[waiting.id]
    db.session.flush()
    position = ranks[registration.id]
    record_action(
        ActionKind.REGISTRATION_MOVED, actor, registration, member=registration.member,
        before={"position": index + 1}, after={"position": position}, reason=reason,
    )  # fmt: skip
    return position


def remove_from_waitlist(
    registration: Registration,
    actor: Member,
    reason: str | None,
    tell_reason: bool = True,
    now: datetime | None = None,
) -> Registration:
    """Take a waiting person off the waitlist (their registration ends).

    They are always told; the reason goes in their email only when `tell_reason` (some
    reasons are for the programme team alone), and is kept in the record either way. No seat
    is freed, so nobody is promoted.
    """
    reason = _reason(reason)
    lock_summit(registration.summit_id)
    _order, index = _waiting(registration)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now or utcnow()
    registration.waitlist_rank = None
    registration.revision += 1
    db.session.flush()
    record_action(
        ActionKind.REGISTRATION_REMOVED, actor, registration, member=registration.member,
        before={"status": RegistrationStatus.WAITLISTED, "position": index + 1},
        after={"status": registration.status}, reason=reason, reason_told=bool(tell_reason),
    )  # fmt: skip
    return registration
