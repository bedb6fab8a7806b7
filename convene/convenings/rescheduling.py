"""Moving, cancelling, reinstating and reassigning one call. The call keeps its identity;
each change a calendar must see goes through bump_revision and is recorded as an action,
which tells everyone it concerns (see convene.notifications.who_hears_what).

A host's own change and a change that follows an edit of the series go through the same
flows here, so the same people hear the same way.
"""

from datetime import date, datetime, timedelta

from sqlalchemy import select

from convene.accounts.models import Member, Organisation
from convene.convenings.errors import CallError
from convene.convenings.models import Call, CallStatus, SkippedCall
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import Action, ActionKind
from convene.topics.models import Topic, TopicStatus
from convene.types import utcnow
from convene.zones import localize

# Two calls of one series closer than this (or on one day) are probably a mistake.
NEAR = timedelta(hours=1)


class MoveConflict(CallError):
    """The new time falls on the day of another call of the series, or within an hour of
    one: moved only when the person moving it confirms."""

    def __init__(self, calls: list[Call]):
        self.calls = calls
        names = "; ".join(f"{c.label} on {c.slot_date:%-d %B %Y}" for c in calls)
        super().__init__(f"Another call of this series is that day or within an hour: {names}.")


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


def neighbours(call: Call, starts_at: datetime, duration_minutes: int) -> list[Call]:
    """Other calls of the series (not cancelled) on the local day of `starts_at`, or less
    than an hour before or after the call's new span."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    day = localize(starts_at, call.zone).date()
    nearby = db.session.scalars(
        select(Call)
        .where(
            Call.series_id == call.series_id,
            Call.id != call.id,
            Call.status != CallStatus.CANCELLED,
            Call.starts_at > starts_at - timedelta(days=2),
            Call.starts_at < ends_at + timedelta(days=2),
        )
        .order_by(Call.starts_at)
    )
    return [
        other
        for other in nearby
        if localize(other.starts_at, call.zone).date() == day
        or (other.starts_at < ends_at + NEAR and starts_at < other.ends_at + NEAR)
    ]


def _check_new_time(call: Call, starts_at: datetime, duration_minutes: int, now: datetime):
    if starts_at <= now:
        raise CallError("The new time has already passed: choose a time in the future.")
    if not 5 <= duration_minutes <= 480:
        raise CallError("A call lasts between 5 and 480 minutes.")
    if starts_at == call.starts_at and duration_minutes == call.duration_minutes:
        raise CallError("That is the call's current time and length: nothing to change.")


def _move(
    call: Call, starts_at: datetime, duration_minutes: int, kind=ActionKind.CALL_MOVED,
    actor: Member | None = None, before: dict | None = None, topic: Topic | None = None,
    **details,
) -> datetime:  # fmt: skip
    """The one way a call's time changes: a new revision, and the change recorded (which
    tells everyone it concerns; `topic` files it under a topic the call no longer has)."""
    previous_start, previous_duration = call.starts_at, call.duration_minutes
    call.starts_at = starts_at
    call.duration_minutes = duration_minutes
    call.bump_revision()
    record_action(
        kind, actor, call, topic,
        before={"starts_at": previous_start, "duration_minutes": previous_duration}
        | (before or {}),
        after={"starts_at": starts_at, "duration_minutes": duration_minutes,
               "status": call.status},
        **details,
    )  # fmt: skip
    return previous_start


def move_call(
    call: Call, starts_at: datetime, duration_minutes: int, now: datetime | None = None,
    confirm_conflicts: bool = False, actor: Member | None = None,
) -> datetime:  # fmt: skip
    """A host gives the call a new start and/or duration; returns the previous start.

    Onto the day of another call of the series, or within an hour of one, only with
    `confirm_conflicts` (else MoveConflict names the other calls and nothing changes).
    """
    now = now or utcnow()
    _check_changeable(call, now)
    _check_new_time(call, starts_at, duration_minutes, now)
    if not confirm_conflicts:
        others = neighbours(call, starts_at, duration_minutes)
        if others:
            raise MoveConflict(others)
    call.status = CallStatus.MOVED
    call.is_time_by_hand = True
    return _move(call, starts_at, duration_minutes, actor=actor)


def follow_series(
    call: Call, slot_date: date, starts_at: datetime, duration_minutes: int, zone_name: str,
    now: datetime | None = None, actor: Member | None = None,
) -> datetime:  # fmt: skip
    """Move a call with its series (an admin changed its weekday, time or length).

    The same move as a host's, told the same way, but the call keeps following the series:
    it is not marked as moved by hand, and takes the series' slot and zone.
    """
    now = now or utcnow()
    _check_changeable(call, now)
    _check_new_time(call, starts_at, duration_minutes, now)
    call.slot_date = slot_date
    call.zone = zone_name
    return _move(call, starts_at, duration_minutes, actor=actor, with_series=True)


class ReinstateConflict(CallError):
    """The call's time is now taken: another call of the series is that day or within an
    hour, or another call overlaps it."""

    def __init__(self, calls: list[Call]):
        self.calls = calls
        names = "; ".join(f"{c.label} on {c.slot_date:%-d %B %Y}" for c in calls)
        super().__init__(f"Its time now clashes with {names}: move that call first.")


def clashing_calls(call: Call, starts_at: datetime, duration_minutes: int) -> list[Call]:
    """The calls a call at this time would clash with: its series' calls that day or within
    an hour (as for a move), and any other call (not cancelled) overlapping it."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    found = {c.id: c for c in neighbours(call, starts_at, duration_minutes)}
    overlapping = db.session.scalars(
        select(Call).where(
            Call.id != call.id,
            Call.status != CallStatus.CANCELLED,
            Call.starts_at < ends_at,
            Call.starts_at > starts_at - timedelta(minutes=480),
        )
    )
    for other in overlapping:
        if other.ends_at > starts_at:
            found.setdefault(other.id, other)
    return sorted(found.values(), key=lambda c: (c.starts_at, c.id))


def check_reinstatable(call: Call, now: datetime | None = None) -> None:
    """Why a host may not bring this cancelled call back, as a CallError; None if they may.

    Back at its own time only: that time must still be ahead and free. A call cancelled by
    an edit of its series (its date became a skipped date) comes back when the admin takes
    the skipped date out, so that the series and its queue of turns stay true.
    """
    now = now or utcnow()
    if not call.is_cancelled:
        raise CallError("This call is not cancelled.")
    if call.starts_at <= now:
        raise CallError("This call's time has passed: it cannot be brought back.")
    skipped = db.session.scalar(select(SkippedCall.id).where(SkippedCall.call_id == call.id))
    if skipped is not None:
        raise CallError(
            "An edit of the series cancelled this call (its date is skipped): "
            "take the date out of the series' skipped dates to bring it back."
        )
    others = clashing_calls(call, call.starts_at, call.duration_minutes)
    if others:
        raise ReinstateConflict(others)


def bring_back(call: Call, actor: Member | None = None, now: datetime | None = None) -> None:
    """A host or admin brings a cancelled call back, at its own time (see
    check_reinstatable); told as any reinstatement."""
    now = now or utcnow()
    check_reinstatable(call, now)
    reinstate_call(call, actor, now=now)


def released_topic_ids(call_ids) -> dict[int, int]:
    """For cancelled calls: the topic each one's (latest) cancellation gave back to the
    network, by call id (one query)."""
    rows = db.session.execute(
        select(Action.call_id, Action.topic_id)
        .where(
            Action.call_id.in_(list(call_ids)),
            Action.kind == ActionKind.CALL_CANCELLED,
            Action.topic_id.is_not(None),
        )
        .order_by(Action.happened_at, Action.id)
    )
    return dict(rows.all())  # the latest cancellation of each call last, so it wins


def released_topic(call: Call) -> Topic | None:
    """The topic the call's cancellation gave back to the network, if it had one."""
    topic_id = released_topic_ids([call.id]).get(call.id)
    return db.session.get(Topic, topic_id) if topic_id is not None else None


def topic_comes_back(call: Call, topic: Topic) -> bool:
    """Whether a call brought back takes this topic back: still open, on no other call, and
    the call's title is still the topic's."""
    return (
        topic.status == TopicStatus.OPEN
        and topic.call_id is None
        and call.title in (None, topic.title)
    )


def _take_topic_back(call: Call) -> Topic | None:
    """A call brought back takes back the topic its cancellation released, if the topic is
    still open and free; otherwise it comes back without it (and without its title). Returns
    that topic either way: its supporters heard of the cancellation, so they hear of this."""
    topic = released_topic(call)
    if topic is None:
        return None
    if topic_comes_back(call, topic):
        topic.status = TopicStatus.SCHEDULED
        topic.call = call
        call.title = topic.title
    elif call.title == topic.title:
        call.title = None
    return topic


def reinstate_call(
    call: Call, actor: Member | None = None, starts_at: datetime | None = None,
    duration_minutes: int | None = None, now: datetime | None = None,
) -> None:  # fmt: skip
    """Bring back a cancelled call: by hand (bring_back), or because a series edit took its
    skipped date out.

    The same row, so the same UID in every calendar, with a higher revision (SEQUENCE).
    Recorded as reinstated, which tells those who heard of the cancellation; `actor` is
    who brought it back.
    """
    now = now or utcnow()
    if not call.is_cancelled:
        raise CallError("This call is not cancelled.")
    starts_at = starts_at or call.starts_at
    duration_minutes = duration_minutes or call.duration_minutes
    if starts_at <= now:
        raise CallError("This call's time has passed: it cannot be brought back.")
    call.status = CallStatus.MOVED if call.is_time_by_hand else CallStatus.SCHEDULED
    previous_reason, call.cancel_reason = call.cancel_reason, None
    topic = _take_topic_back(call)
    _move(
        call, starts_at, duration_minutes, ActionKind.CALL_REINSTATED, actor,
        before={"status": CallStatus.CANCELLED, "reason": previous_reason},
        topic=topic,
    )  # fmt: skip


def cancel_call(
    call: Call, reason: str, now: datetime | None = None, actor: Member | None = None
) -> None:
    """Cancel with a reason; the call stays listed, marked cancelled."""
    now = now or utcnow()
    _check_changeable(call, now)
    reason = (reason or "").strip()
    if not reason:
        raise CallError("Give a reason: it is sent to everyone who answered.")
    previous_status = call.status
    call.status = CallStatus.CANCELLED
    call.cancel_reason = reason[:300]
    call.bump_revision()
    record_action(
        ActionKind.CALL_CANCELLED, actor, call,
        before={"status": previous_status, "starts_at": call.starts_at},
        after={"status": call.status, "reason": call.cancel_reason},
    )  # fmt: skip


def reassign_host(
    call: Call, organisation: Organisation, now: datetime | None = None,
    actor: Member | None = None,
) -> None:  # fmt: skip
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
    record_action(
        ActionKind.CALL_HOST_REASSIGNED, actor, call,
        before={"host_id": previous.id, "host": previous.name},
        after={"host_id": organisation.id, "host": organisation.name},
    )  # fmt: skip
