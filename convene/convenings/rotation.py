"""Which dates a series meets on, which partner hosts each, and keeping calls in step.

The slots come from dateutil's rrule (weekly, every `interval_weeks`, from `first_date`),
minus the skipped dates. Hosts take the slots in rotation order; a skipped date is not a slot,
so it uses up nobody's turn. Calls are rows made from slots up to a horizon; the unique
constraint (series_id, slot_date) makes materialising twice harmless.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import WEEKLY, rrule, rruleset
from sqlalchemy import select

from convene.convenings.conflicts import insert_unless_exists
from convene.convenings.models import Call, CallStatus, Series
from convene.extensions import db
from convene.types import utcnow
from convene.zones import ZoneError, to_utc, zone

VANISHED_REASON = "The series changed: there is no call on this date any more."


class RotationError(ValueError):
    pass


def slots(series: Series, until: date) -> list[date]:
    """Every local date the series meets on, from its first date to `until` inclusive."""
    if until < series.first_date:
        return []
    start = datetime.combine(series.first_date, time())
    rules = rruleset()
    rules.rrule(
        rrule(
            WEEKLY,
            interval=series.interval_weeks,
            dtstart=start,
            until=datetime.combine(until, time()),
        )
    )
    for skip in series.skips:
        rules.exdate(datetime.combine(skip.day, time()))
    return [moment.date() for moment in rules]


def first_on_weekday(day: date, weekday: int) -> date:
    """The first date on or after `day` that falls on `weekday` (Monday is 0)."""
    return rrule(WEEKLY, dtstart=datetime.combine(day, time()), byweekday=weekday, count=1)[
        0
    ].date()


def host_for_slot(series: Series, slot_date: date, dates: list[date] | None = None) -> int:
    """The organisation id whose turn the slot is: its index among slots, modulo rotation."""
    if not series.rotation:
        raise RotationError("The series has no host partners in its rotation.")
    dates = dates if dates is not None else slots(series, slot_date)
    try:
        index = dates.index(slot_date)
    except ValueError as exc:
        raise RotationError(f"{slot_date:%-d %B %Y} is not a date of this series.") from exc
    return series.rotation[index % len(series.rotation)].organisation_id


def slot_start(series: Series, slot_date: date) -> datetime:
    """The UTC instant of the series' local time on that date (same wall time across DST).

    A time the clocks skip that day (only possible for times between 2 and 3 a.m.) falls
    forward by the gap rather than failing the whole series.
    """
    try:
        return to_utc(slot_date, series.local_time, series.zone)
    except ZoneError:
        local = datetime.combine(slot_date, series.local_time).replace(tzinfo=zone(series.zone))
        return local.astimezone(UTC)


def horizon(series: Series, today: date | None = None) -> date:
    return (today or utcnow().date()) + timedelta(weeks=series.horizon_weeks)


@dataclass
class Materialised:
    created: int = 0
    existing: int = 0


def materialise(series: Series, until: date, since: date | None = None) -> Materialised:
    """Create the calls of every slot from `since` (default: the first date) to `until`.

    Idempotent: slots that have a call are left alone. Two runs at once are settled by the
    unique constraint (series_id, slot_date): a losing insert does nothing.
    """
    result = Materialised()
    now = utcnow()
    dates = slots(series, until)
    have = set(db.session.scalars(select(Call.slot_date).where(Call.series_id == series.id)).all())
    for slot_date in dates:
        if since is not None and slot_date < since:
            continue
        if slot_date in have:
            result.existing += 1
            continue
        values = {
            "series_id": series.id,
            "slot_date": slot_date,
            "starts_at": slot_start(series, slot_date),
            "duration_minutes": series.duration_minutes,
            "zone": series.zone,
            "host_organisation_id": host_for_slot(series, slot_date, dates),
            "status": CallStatus.SCHEDULED,
            "is_time_by_hand": False,
            "is_host_by_hand": False,
            "revision": 0,
            "created_at": now,
            "updated_at": now,
        }
        if insert_unless_exists(Call, values, ["series_id", "slot_date"]):
            result.created += 1
        else:
            result.existing += 1  # another run made it first
    return result


def extend_all(today: date | None = None) -> dict[str, Materialised]:
    """Top every series up to its horizon (what `flask calls extend` runs from cron)."""
    today = today or utcnow().date()
    done = {}
    for series in db.session.scalars(select(Series).order_by(Series.id)):
        done[series.name] = materialise(series, horizon(series, today), since=today)
    return done


@dataclass
class Regenerated:
    updated: int = 0
    deleted: int = 0
    cancelled: int = 0
    created: int = 0


def regenerate_after_edit(series: Series, now: datetime | None = None) -> Regenerated:
    """Bring the future calls in line with an edited series.

    Calls whose time or host someone set by hand keep that time or host; RSVPs, titles,
    agendas and notes are never touched. A future call whose date is no longer a slot is
    deleted only when nobody has touched it; otherwise it is cancelled with a reason.
    """
    now = now or utcnow()
    result = Regenerated()
    until = horizon(series, now.date())
    dates = slots(series, until)
    wanted = set(dates)
    future = db.session.scalars(
        select(Call).where(Call.series_id == series.id, Call.starts_at > now)
    ).all()
    for call in future:
        if call.is_cancelled:
            continue
        if call.slot_date not in wanted:
            if call.is_untouched:
                db.session.delete(call)
                result.deleted += 1
            else:
                call.status = CallStatus.CANCELLED
                call.cancel_reason = VANISHED_REASON
                call.bump_revision()
                result.cancelled += 1
            continue
        changed = False
        if not call.is_time_by_hand:
            starts_at = slot_start(series, call.slot_date)
            if (starts_at, series.duration_minutes, series.zone) != (
                call.starts_at,
                call.duration_minutes,
                call.zone,
            ):
                call.starts_at = starts_at
                call.duration_minutes = series.duration_minutes
                call.zone = series.zone
                changed = True
        if not call.is_host_by_hand:
            host_id = host_for_slot(series, call.slot_date, dates)
            if host_id != call.host_organisation_id:
                call.host_organisation_id = host_id
                changed = True
        if changed:
            call.bump_revision()
            result.updated += 1
    db.session.flush()
    since = now.date()
    result.created = materialise(series, until, since=since).created
    return result
