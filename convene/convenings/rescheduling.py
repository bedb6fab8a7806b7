"""Moving, cancelling and reassigning one call. The call keeps its identity; each change
a calendar must see goes through bump_revision, and everyone who answered is told."""

from datetime import datetime

from sqlalchemy import select

from convene.accounts.models import Organisation
from convene.convenings import notices
from convene.convenings.errors import CallError
from convene.convenings.models import Call, CallStatus
from convene.extensions import db
from convene.types import utcnow


def lock_call(call_id: int) -> Call | None:
    """The call, re-read under a row lock (FOR UPDATE) until the transaction ends.

    Two people changing one call at once then take turns: each sees the other's change,
    so revisions never repeat and a call is cancelled (and announced) only once.
    """
    return db.session.scalar(
        select(Call)
        .where(Call.id == call_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _check_changeable(call: Call, now: datetime) -> None:
    if call.is_cancelled:
        raise CallError("This call is cancelled.")
    if call.has_started(now):
        raise CallError("This call has already started, so it can no longer be changed.")


def move_call(
    call: Call, starts_at: datetime, duration_minutes: int, now: datetime | None = None
) -> datetime:
    """Give the call a new start and/or duration; returns the previous start."""
    now = now or utcnow()
    _check_changeable(call, now)
    if starts_at <= now:
        raise CallError("The new time has already passed: choose a time in the future.")
    if not 5 <= duration_minutes <= 480:
        raise CallError("A call lasts between 5 and 480 minutes.")
    if starts_at == call.starts_at and duration_minutes == call.duration_minutes:
        raise CallError("That is the call's current time and length: nothing to change.")
    previous_start, previous_duration = call.starts_at, call.duration_minutes
    call.starts_at = starts_at
    call.duration_minutes = duration_minutes
    call.status = CallStatus.MOVED
    call.is_time_by_hand = True
    call.bump_revision()
    notices.call_moved(call, previous_start, previous_duration)
    return previous_start


def cancel_call(call: Call, reason: str, now: datetime | None = None) -> None:
    """Cancel with a reason; the call stays listed, marked cancelled."""
    now = now or utcnow()
    _check_changeable(call, now)
    reason = (reason or "").strip()
    if not reason:
        raise CallError("Give a reason: it is sent to everyone who answered.")
    call.status = CallStatus.CANCELLED
    call.cancel_reason = reason[:300]
    call.bump_revision()
    notices.call_cancelled(call)


def reassign_host(call: Call, organisation: Organisation, now: datetime | None = None) -> None:
    """An admin gives the call to another partner directly (no swap needed)."""
    now = now or utcnow()
    _check_changeable(call, now)
    if not organisation.is_partner:
        raise CallError("Only a partner organisation can host a call.")
    if organisation.id == call.host_organisation_id:
        raise CallError(f"{organisation.name} already hosts this call.")
    previous = call.host_organisation
    call.host_organisation = organisation
    call.is_host_by_hand = True
    call.bump_revision()
    notices.host_reassigned(call, previous)
