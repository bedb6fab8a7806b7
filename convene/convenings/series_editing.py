"""Creating a series, and editing one through a plan the admin sees before it is saved.

An edit never shifts the host of a call that exists: hosts are commitments. What an edit
does to the calls is worked out first, as a `SeriesPlan` (calls cancelled, moved, brought
back, created, who they affect, the queue of turns after it); the admin reads it on a
confirm page, and saving applies that same plan through the same cancel and move flows a
host uses (convenings/rescheduling.py), so the same people hear the same way.

Which existing call takes which date of the edited series:
- a call on a date the new rule still meets on keeps it: cancelled if the date is now
  skipped, brought back if a series edit had cancelled it and the date is no longer
  skipped, moved to the new time or length unless its time was set by hand;
- a call whose date the rule no longer meets on (another weekday, interval or first date)
  moves to the nearest free date of the new rule within one interval, in order; a call with
  no such date is cancelled, and its partner is owed the turn;
- free dates up to the horizon get new calls, hosted by the queue of turns.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.convenings import rescheduling, rotation
from convene.convenings.errors import CallError
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer, Series, SeriesSkip
from convene.convenings.rotation import RotationError, TurnQueue
from convene.extensions import db
from convene.forms import EARLIEST_DATE, LATEST_DATE
from convene.types import utcnow

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
VANISHED_REASON = "The series changed: there is no call on this date any more."


class SeriesError(CallError):
    """A refused series edit, with the form field it is about."""

    def __init__(self, message: str, field: str = "skips"):
        super().__init__(message)
        self.field = field


@dataclass
class SeriesDetails:
    name: str
    first_date: date
    weekday: int
    local_time: time
    zone: str
    interval_weeks: int
    duration_minutes: int
    horizon_weeks: int
    video_url: str | None
    dial_in_number: str | None
    dial_in_code: str | None
    description: str | None
    rotation_ids: list[int]
    skips: list[tuple[date, str | None]]
    # The rotation as the form showed it: if the admin kept that order, the queue keeps its own.
    rotation_seen: list[int] | None = None

    @property
    def start_date(self) -> date:
        return rotation.first_on_weekday(self.first_date, self.weekday)

    @property
    def wall_time(self) -> time:
        return self.local_time.replace(second=0, microsecond=0)

    def slot_start(self, day: date) -> datetime:
        return rotation.slot_instant(day, self.wall_time, self.zone)


def parse_skips(text: str | None) -> list[tuple[date, str | None]]:
    """Lines of "YYYY-MM-DD reason"; a clear message names the first bad line."""
    skips: dict[date, str | None] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day_text, _, reason = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError as exc:
            raise CallError(
                f"Line {number} of the skipped dates does not start with a date written YYYY-MM-DD."
            ) from exc
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise CallError(f"Line {number} of the skipped dates is not a date this century.")
        skips[day] = reason.strip()[:200] or None
    return sorted(skips.items())


def format_skips(series: Series) -> str:
    return "\n".join(f"{s.day.isoformat()} {s.reason or ''}".strip() for s in series.skips)


def _check_details(series: Series | None, details: SeriesDetails) -> None:
    """What the database would refuse, said before anything is planned."""
    ids = details.rotation_ids
    partners = set(
        db.session.scalars(
            select(Organisation.id).where(
                Organisation.id.in_(ids), Organisation.kind == OrganisationKind.PARTNER
            )
        )
    )
    if not ids or set(ids) - partners:
        raise SeriesError(
            "The rotation takes partner organisations only, at least one.", "rotation"
        )
    if len(set(ids)) != len(ids):
        raise SeriesError("Each partner takes one place in the rotation.", "rotation")
    name = details.name.strip()
    other = db.session.scalar(select(Series.id).where(Series.name == name))
    if other is not None and (series is None or other != series.id):
        raise SeriesError("Another series already has this name.", "name")


def _write_fields(series: Series, details: SeriesDetails) -> None:
    """The series' own fields and skipped dates (not its rotation: that is the queue's)."""
    series.name = details.name.strip()
    series.first_date = details.start_date
    series.local_time = details.wall_time
    series.zone = details.zone
    series.interval_weeks = details.interval_weeks
    series.duration_minutes = details.duration_minutes
    series.horizon_weeks = details.horizon_weeks
    series.video_url = details.video_url or None
    series.dial_in_number = details.dial_in_number or None
    series.dial_in_code = details.dial_in_code or None
    series.description = details.description or None
    series.updated_at = utcnow()
    wanted = dict(details.skips)
    for skip in list(series.skips):
        if skip.day not in wanted:
            series.skips.remove(skip)
        else:
            skip.reason = wanted.pop(skip.day)
    db.session.flush()
    for day, reason in sorted(wanted.items()):
        series.skips.append(SeriesSkip(day=day, reason=reason))
    db.session.flush()


def create_series(details: SeriesDetails) -> tuple[Series, rotation.Materialised]:
    """A new series and its calls up to the horizon, hosted in the order given."""
    _check_details(None, details)
    series = Series()
    db.session.add(series)
    _write_fields(series, details)
    rotation.save_queue(series, TurnQueue(cycle=list(details.rotation_ids)))
    today = utcnow().date()
    return series, rotation.materialise(series, rotation.horizon(series, today), since=today)


# --- the plan -------------------------------------------------------------------------------


class Step(StrEnum):
    CANCEL = "cancel"
    MOVE = "move"
    REINSTATE = "reinstate"
    CREATE = "create"
    # Internal: a call takes another slot date or zone without changing its time (a call
    # moved by hand keeps its time when the weekday changes): nobody is told.
    RETAG = "retag"


@dataclass(frozen=True)
class CallStep:
    kind: Step
    call: Call | None  # None for a call to create
    slot_date: date
    starts_at: datetime
    duration_minutes: int
    zone: str
    host_id: int
    previous_start: datetime | None = None
    reason: str | None = None

    def fingerprint(self) -> tuple:
        return (
            self.kind.value, self.call.id if self.call else None, self.slot_date.isoformat(),
            self.starts_at.isoformat(), self.duration_minutes, self.zone, self.host_id,
            self.reason,
        )  # fmt: skip


@dataclass
class Audience:
    """The people a change to one call affects."""

    coming: list[Member] = field(default_factory=list)  # answered yes or maybe
    declined: list[Member] = field(default_factory=list)  # answered no
    hosts: list[Member] = field(default_factory=list)  # of the hosting partner
    supporters: list[Member] = field(default_factory=list)  # proposed or voted for its topic

    @property
    def everyone(self) -> list[Member]:
        seen: dict[int, Member] = {}
        for member in self.coming + self.declined + self.hosts + self.supporters:
            seen.setdefault(member.id, member)
        return list(seen.values())


@dataclass
class SeriesPlan:
    """What saving an edit does; `key` names it, so that what is saved is what was shown."""

    series: Series
    details: SeriesDetails
    changes: list[tuple[str, str, str]]  # (what, before, after) of the series itself
    steps: list[CallStep]
    queue_before: TurnQueue
    queue: TurnQueue  # after saving
    partners: dict[int, Organisation]
    audiences: dict[int, Audience]  # by call id, for the calls cancelled, moved or back
    leaving: dict[int, list[Call]]  # partners leaving the rotation: the calls they keep

    def of(self, kind: Step) -> list[CallStep]:
        return [s for s in self.steps if s.kind == kind]

    @property
    def cancelled(self) -> list[CallStep]:
        return self.of(Step.CANCEL)

    @property
    def moved(self) -> list[CallStep]:
        return self.of(Step.MOVE)

    @property
    def reinstated(self) -> list[CallStep]:
        return self.of(Step.REINSTATE)

    @property
    def created(self) -> list[CallStep]:
        return self.of(Step.CREATE)

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.steps and self.queue == self.queue_before

    @property
    def told(self) -> list[Member]:
        """Everyone affected by a call cancelled, moved or brought back, once each."""
        seen: dict[int, Member] = {}
        for audience in self.audiences.values():
            for member in audience.everyone:
                seen.setdefault(member.id, member)
        return sorted(seen.values(), key=lambda m: (m.name, m.id))

    def next_hosts(self, count: int = 5) -> list[int]:
        return self.queue.upcoming(count)

    @property
    def key(self) -> str:
        content = repr(
            (
                self.series.id,
                self.changes,
                [s.fingerprint() for s in self.steps],
                self.queue.cycle,
                sorted((c, o, s.value) for c, (o, s) in self.queue.skipped.items()),
            )
        )
        return hashlib.sha256(content.encode()).hexdigest()[:32]


def _changes(series: Series, details: SeriesDetails) -> list[tuple[str, str, str]]:
    def text(value) -> str:
        if value is None or value == "":
            return "none"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, time):
            return value.strftime("%H:%M")
        return str(value)

    before = [
        ("Name", series.name, details.name.strip()),
        ("First date", series.first_date, details.start_date),
        ("Weekday", WEEKDAYS[series.first_date.weekday()], WEEKDAYS[details.weekday]),
        ("Local time", series.local_time, details.wall_time),
        ("Time zone", series.zone, details.zone),
        ("Every how many weeks", series.interval_weeks, details.interval_weeks),
        ("Duration in minutes", series.duration_minutes, details.duration_minutes),
        ("Weeks scheduled ahead", series.horizon_weeks, details.horizon_weeks),
        ("Video link", series.video_url, details.video_url or None),
        ("Dial-in number", series.dial_in_number, details.dial_in_number or None),
        ("Dial-in access code", series.dial_in_code, details.dial_in_code or None),
        ("Description", series.description, details.description or None),
    ]
    changes = [(what, text(a), text(b)) for what, a, b in before if text(a) != text(b)]
    old_skips = {s.day: s.reason for s in series.skips}
    new_skips = dict(details.skips)
    for day in sorted(set(old_skips) | set(new_skips)):
        if day not in new_skips:
            changes.append(("Skipped date removed", text(day), "a date of the series"))
        elif day not in old_skips:
            changes.append(("Skipped date added", text(day), new_skips[day] or "skipped"))
    return changes


def _nearest(free: list[date], day: date, after: date | None, within: timedelta) -> date | None:
    """The free date nearest `day` (a later one on a tie), after `after`, within `within`."""
    candidates = [d for d in free if (after is None or d > after) and abs(d - day) <= within]
    return min(candidates, key=lambda d: (abs(d - day), d < day), default=None)


def _skip_reason(day: date, reason: str | None) -> str:
    because = f" ({reason})" if reason else ""
    return f"The series skips {day:%-d %B %Y}{because}: there is no call that day."


def plan_series_edit(
    series: Series, details: SeriesDetails, now: datetime | None = None
) -> SeriesPlan:
    """What saving `details` over `series` would do, changing nothing.

    Only calls that have not started are touched; held and past calls never are.
    """
    now = now or utcnow()
    _check_details(series, details)
    queue_before = rotation.load_queue(series)
    queue = queue_before.copy()
    try:
        queue.edit_rotation(details.rotation_ids, details.rotation_seen)
    except RotationError as exc:
        raise SeriesError(str(exc), "rotation") from exc
    edited_cycle = list(queue.cycle)
    calls = db.session.scalars(
        select(Call).where(Call.series_id == series.id).order_by(Call.slot_date, Call.id)
    ).all()
    future = [c for c in calls if c.starts_at > now and c.status != CallStatus.HELD]
    skips = dict(details.skips)
    interval = timedelta(weeks=details.interval_weeks)
    horizon = rotation.horizon_date(details.horizon_weeks, now.date())
    last = max([c.slot_date for c in future], default=now.date())
    rule = rotation.slot_dates(
        details.start_date, details.interval_weeks, max(horizon, last) + interval
    )
    in_rule = set(rule)
    steps: list[CallStep] = []

    def step(kind: Step, call: Call | None, day: date, starts_at: datetime, **more) -> None:
        values = {
            "duration_minutes": details.duration_minutes,
            "zone": details.zone,
            "host_id": call.host_organisation_id if call else None,
            "previous_start": call.starts_at if call else None,
        } | more
        steps.append(CallStep(kind, call, day, starts_at, **values))

    def cancel(call: Call, reason: str) -> None:
        step(Step.CANCEL, call, call.slot_date, call.starts_at, reason=reason,
             duration_minutes=call.duration_minutes, zone=call.zone)  # fmt: skip
        queue.give_back(call.id, call.host_organisation_id)

    def follow(call: Call, day: date) -> None:
        """The call takes the series' time on `day`, if that is a change and still ahead."""
        starts_at = details.slot_start(day)
        same_time = (starts_at, details.duration_minutes) == (call.starts_at, call.duration_minutes)
        if same_time and (day, details.zone) != (call.slot_date, call.zone):
            step(Step.RETAG, call, day, call.starts_at)
        elif not same_time and starts_at > now:
            step(Step.MOVE, call, day, starts_at)

    # Calls on a date the new rule still meets on keep their date.
    unmatched = []
    for call in future:
        day = call.slot_date
        if day not in in_rule:
            unmatched.append(call)
        elif day in skips:
            if not call.is_cancelled:
                cancel(call, _skip_reason(day, skips[day]))
        elif call.is_cancelled:
            if call.id in queue.skipped:
                by_hand = call.is_time_by_hand
                starts_at = call.starts_at if by_hand else details.slot_start(day)
                duration = call.duration_minutes if by_hand else details.duration_minutes
                if starts_at > now:
                    step(Step.REINSTATE, call, day, starts_at, duration_minutes=duration,
                         zone=call.zone if by_hand else details.zone)  # fmt: skip
                    queue.bring_back(call.id)
        elif not call.is_time_by_hand:
            follow(call, day)

    # Calls whose date left the rule take the nearest free date, in order.
    moving = {c.id for c in unmatched if not c.is_cancelled}
    taken = {c.slot_date for c in calls if c.id not in moving}
    free = [d for d in rule if d not in taken and d not in skips and details.slot_start(d) > now]
    after = None
    for call in unmatched:
        if call.is_cancelled:
            continue
        day = _nearest(free, call.slot_date, after, interval)
        if day is None:
            if not call.is_time_by_hand:  # a time a host chose stands, on its own
                cancel(call, VANISHED_REASON)
            continue
        free.remove(day)
        after = day
        if call.is_time_by_hand:
            step(Step.RETAG, call, day, call.starts_at, duration_minutes=call.duration_minutes,
                 zone=call.zone)  # fmt: skip
        else:
            follow(call, day)

    # Free dates up to the horizon get new calls, hosted by the next turns.
    for day in free:
        if day > horizon:
            break
        host_id = queue.take()
        step(Step.CREATE, None, day, details.slot_start(day), host_id=host_id)

    touched = [s.call for s in steps if s.call is not None and s.kind != Step.RETAG]
    partner_ids = set(queue_before.cycle) | set(queue.cycle) | {s.host_id for s in steps}
    partner_ids |= {o for o, _ in queue.skipped.values()}
    partners = {
        o.id: o
        for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(partner_ids)))
    }
    changes = _changes(series, details)
    if edited_cycle != queue_before.cycle:
        names = [", ".join(partners[o].name for o in c) for c in (queue_before.cycle, edited_cycle)]
        changes.append(("Rotation, next turn first", *names))
    return SeriesPlan(
        series=series,
        details=details,
        changes=changes,
        steps=steps,
        queue_before=queue_before,
        queue=queue,
        partners=partners,
        audiences=affected_people(touched),
        leaving={
            o: [c for c in future if c.host_organisation_id == o and not c.is_cancelled]
            for o in queue_before.cycle
            if o not in queue.cycle
        },
    )


def lock_for_edit(series_id: int, now: datetime | None = None) -> Series | None:
    """The series and its calls still to come, locked until the transaction ends.

    Planning then applying under these locks makes the plan applied the plan computed: a
    host moving one of the calls at the same time waits, or is waited for (rows in id
    order, as swaps lock them).
    """
    now = now or utcnow()
    series = rotation.lock_series(series_id)
    if series is not None:
        db.session.scalars(
            select(Call)
            .where(
                Call.series_id == series_id,
                Call.starts_at > now,
                Call.status != CallStatus.HELD,
            )
            .order_by(Call.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    return series


def apply_series_plan(plan: SeriesPlan, actor: Member | None = None, now: datetime | None = None):
    """Save the edit exactly as planned: the series' fields, then each call through the
    host's own flows (same notices), then the new calls and the queue of turns.

    The caller locks the series and its calls (`lock_for_edit`) before planning, so that
    the plan applied is the plan computed from what is stored.
    """
    now = now or utcnow()
    series = plan.series
    _write_fields(series, plan.details)
    for s in plan.steps:
        if s.kind == Step.CANCEL:
            rescheduling.cancel_call(s.call, s.reason, now=now, actor=actor)
        elif s.kind == Step.REINSTATE:
            s.call.zone = s.zone
            rescheduling.reinstate_call(s.call, actor, s.starts_at, s.duration_minutes, now=now)
        elif s.kind == Step.MOVE:
            rescheduling.follow_series(
                s.call, s.slot_date, s.starts_at, s.duration_minutes, s.zone, now=now, actor=actor
            )
        elif s.kind == Step.RETAG:
            s.call.slot_date, s.call.zone = s.slot_date, s.zone
    db.session.flush()
    for s in plan.created:
        if not rotation.add_call(
            series, s.slot_date, s.starts_at, s.duration_minutes, s.zone, s.host_id, now
        ):
            raise CallError("The series' calls changed meanwhile: check the changes again.")
    rotation.save_queue(series, plan.queue)
    db.session.flush()


# --- who a change affects -------------------------------------------------------------------

# The topics capability builds on this one, not the other way round, so its two tables are
# read here by name.
_topics = sa.table(
    "topics",
    sa.column("id", sa.Integer),
    sa.column("call_id", sa.Integer),
    sa.column("proposer_id", sa.Integer),
)
_votes = sa.table(
    "topic_votes", sa.column("topic_id", sa.Integer), sa.column("member_id", sa.Integer)
)


def affected_people(calls: list[Call]) -> dict[int, Audience]:
    """For each call: who answered (yes or maybe, and no), its partner's hosts, and its
    topic's proposer and supporters (for a call brought back, of the topic its cancellation
    released): the audiences the who-hears-what table tells of a call cancelled, moved or
    brought back. Five queries at most, whatever the number of calls."""
    audiences = {c.id: Audience() for c in calls}
    if not calls:
        return audiences
    ids = list(audiences)
    active = Member.active.is_(True)
    answered = db.session.execute(
        select(Rsvp.call_id, Rsvp.answer, Member)
        .join(Member, Member.id == Rsvp.member_id)
        .where(Rsvp.call_id.in_(ids), active)
        .options(selectinload(Member.organisation))
        .order_by(Member.name, Member.id)
    )
    for call_id, answer, member in answered:
        group = (
            audiences[call_id].declined if answer == RsvpAnswer.NO else audiences[call_id].coming
        )
        group.append(member)
    hosts = db.session.scalars(
        select(Member)
        .where(
            Member.organisation_id.in_({c.host_organisation_id for c in calls}),
            Member.role == Role.HOST,
            active,
        )
        .options(selectinload(Member.organisation))
        .order_by(Member.name, Member.id)
    ).all()
    for call in calls:
        audiences[call.id].hosts = [
            m for m in hosts if m.organisation_id == call.host_organisation_id
        ]
    voters = select(_votes.c.member_id).where(_votes.c.topic_id == _topics.c.id)
    supporters = db.session.execute(
        select(_topics.c.call_id, Member)
        .join(
            Member,
            (Member.id == _topics.c.proposer_id) | Member.id.in_(voters.scalar_subquery()),
        )
        .where(_topics.c.call_id.in_(ids), active)
        .options(selectinload(Member.organisation))
        .order_by(Member.name, Member.id)
    )
    for call_id, member in supporters:
        audiences[call_id].supporters.append(member)
    # A call brought back tells those its cancellation told: the supporters of the topic
    # the cancellation released (see rescheduling.reinstate_call).
    released = rescheduling.released_topic_ids(c.id for c in calls if c.is_cancelled)
    if released:
        calls_of_topic: dict[int, list[int]] = {}
        for call_id, topic_id in released.items():
            calls_of_topic.setdefault(topic_id, []).append(call_id)
        rows = db.session.execute(
            select(_topics.c.id, Member)
            .join(
                Member,
                (Member.id == _topics.c.proposer_id) | Member.id.in_(voters.scalar_subquery()),
            )
            .where(_topics.c.id.in_(list(calls_of_topic)), active)
            .options(selectinload(Member.organisation))
            .order_by(Member.name, Member.id)
        )
        for topic_id, member in rows:
            for call_id in calls_of_topic[topic_id]:
                audiences[call_id].supporters.append(member)
    return audiences
