"""Which dates a series meets on, and which partner hosts each new call.

Dates come from dateutil's rrule (weekly, every `interval_weeks`, from `first_date`), minus
the skipped dates. Hosts do not come from the date: the rotation is a queue of turns. Each
new call takes the next turn, and from then on its host is a commitment that no later edit
of the series shifts (a skip used to shift every later call by one partner). A partner
whose call a series edit cancelled is owed a turn and hosts the next new call; a partner
added to the rotation joins at the back.

`TurnQueue` is the queue as plain data, so that planning an edit can simulate it;
`load_queue` and `save_queue` keep it in `series_hosts` (the order, next first) and
`skipped_calls` (the turns owed).
"""

import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import WEEKLY, rrule, rruleset
from sqlalchemy import select, text

from convene.convenings.conflicts import insert_unless_exists
from convene.convenings.models import (
    Call,
    CallStatus,
    Series,
    SeriesHost,
    SkippedCall,
    TurnState,
)
from convene.extensions import db
from convene.types import utcnow
from convene.zones import ZoneError, to_utc, zone


class RotationError(ValueError):
    pass


# --- dates ----------------------------------------------------------------------------------


def slot_dates(
    first_date: date, interval_weeks: int, until: date, skipped: frozenset[date] | set = frozenset()
) -> list[date]:
    """Every local date a rule meets on, from `first_date` to `until` inclusive."""
    if until < first_date:
        return []
    rules = rruleset()
    rules.rrule(
        rrule(
            WEEKLY,
            interval=interval_weeks,
            dtstart=datetime.combine(first_date, time()),
            until=datetime.combine(until, time()),
        )
    )
    for day in skipped:
        rules.exdate(datetime.combine(day, time()))
    return [moment.date() for moment in rules]


def slots(series: Series, until: date) -> list[date]:
    """Every local date the series meets on, from its first date to `until` inclusive."""
    return slot_dates(
        series.first_date, series.interval_weeks, until, {skip.day for skip in series.skips}
    )


def first_on_weekday(day: date, weekday: int) -> date:
    """The first date on or after `day` that falls on `weekday` (Monday is 0)."""
    return rrule(WEEKLY, dtstart=datetime.combine(day, time()), byweekday=weekday, count=1)[
        0
    ].date()


def slot_instant(day: date, local_time: time, zone_name: str) -> datetime:
    """The UTC instant of a wall time on a date (the same wall time across DST).

    A time the clocks skip that day (only possible for times between 2 and 3 a.m.) falls
    forward by the gap rather than failing the whole series.
    """
    try:
        return to_utc(day, local_time, zone_name)
    except ZoneError:
        local = datetime.combine(day, local_time).replace(tzinfo=zone(zone_name))
        return local.astimezone(UTC)


def slot_start(series: Series, slot_date: date) -> datetime:
    return slot_instant(slot_date, series.local_time, series.zone)


def horizon(series: Series, today: date | None = None) -> date:
    return horizon_date(series.horizon_weeks, today)


def horizon_date(horizon_weeks: int, today: date | None = None) -> date:
    return (today or utcnow().date()) + timedelta(weeks=horizon_weeks)


# --- the queue of turns ---------------------------------------------------------------------


@dataclass
class TurnQueue:
    """The rotation as a queue: turns owed first (oldest first), then `cycle` (next first).

    `skipped` maps each call a series edit cancelled to its partner and the state of the turn
    it lost, in the order the calls were cancelled.
    """

    cycle: list[int]
    skipped: dict[int, tuple[int, TurnState]] = field(default_factory=dict)

    def copy(self) -> "TurnQueue":
        return copy.deepcopy(self)

    @property
    def owed(self) -> list[tuple[int, int]]:
        """(call id, partner id) of each turn owed, the next first."""
        return [(c, o) for c, (o, state) in self.skipped.items() if state == TurnState.OWED]

    def take(self) -> int:
        """The partner who hosts the next new call; its turn is used."""
        for call_id, (organisation_id, state) in self.skipped.items():
            if state == TurnState.OWED:
                self.skipped[call_id] = (organisation_id, TurnState.REPAID)
                return organisation_id
        if not self.cycle:
            raise RotationError("The series has no host partners in its rotation.")
        organisation_id = self.cycle.pop(0)
        self.cycle.append(organisation_id)
        return organisation_id

    def upcoming(self, count: int) -> list[int]:
        """The hosts of the next `count` new calls, without using their turns."""
        ahead = self.copy()
        return [ahead.take() for _ in range(count)] if ahead.cycle else []

    def give_back(self, call_id: int, organisation_id: int) -> None:
        """A series edit cancelled the partner's call: it is owed the turn, if it still
        takes turns."""
        state = TurnState.OWED if organisation_id in self.cycle else TurnState.FORFEITED
        self.skipped.pop(call_id, None)
        self.skipped[call_id] = (organisation_id, state)

    def bring_back(self, call_id: int) -> None:
        """The cancelled call is back: the turn is no longer owed. If a new call already
        used it, the partner goes to the back of the queue instead (it has had its turn)."""
        organisation_id, state = self.skipped.pop(call_id)
        if state == TurnState.REPAID and organisation_id in self.cycle:
            self.cycle.remove(organisation_id)
            self.cycle.append(organisation_id)

    def edit_rotation(self, rotation_ids: list[int], seen: list[int] | None = None) -> None:
        """Apply the rotation an admin submitted.

        Partners left out leave the queue (and lose turns owed); new partners join at the
        back, wherever they were written. The others take the submitted order, unless it is
        the order the admin was shown (`seen`): then the queue keeps its own, which may have
        moved on since the form was shown.
        """
        if not rotation_ids:
            raise RotationError("The rotation needs at least one partner.")
        if len(set(rotation_ids)) != len(rotation_ids):
            raise RotationError("Each partner takes one place in the rotation.")
        present = set(self.cycle)
        kept = [o for o in rotation_ids if o in present]
        added = [o for o in rotation_ids if o not in present]
        if seen is not None and kept == [o for o in seen if o in set(kept)]:
            kept = [o for o in self.cycle if o in set(kept)]
        self.cycle = kept + added
        for call_id, (organisation_id, state) in self.skipped.items():
            if state == TurnState.OWED and organisation_id not in self.cycle:
                self.skipped[call_id] = (organisation_id, TurnState.FORFEITED)


def lock_series(series_id: int) -> Series | None:
    """The series re-read under a row lock until the transaction ends.

    Everything that takes or changes turns (extending, editing) locks the series first, so
    two of them at once take turns instead of giving one turn twice. SQLite has no row
    locks: a no-op write takes the database's write lock instead.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE series SET id = id WHERE id = :id"), {"id": series_id})
    series = db.session.scalar(
        select(Series)
        .where(Series.id == series_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if series is not None:
        db.session.expire(series, ["rotation", "skips"])
    return series


def load_queue(series: Series) -> TurnQueue:
    records = db.session.scalars(
        select(SkippedCall).where(SkippedCall.series_id == series.id).order_by(SkippedCall.id)
    )
    return TurnQueue(
        cycle=[h.organisation_id for h in sorted(series.rotation, key=lambda h: h.position)],
        skipped={r.call_id: (r.organisation_id, r.turn) for r in records},
    )


def save_queue(series: Series, queue: TurnQueue) -> None:
    """Store the queue: the rotation's order and the record of each call cancelled by an edit."""
    _save_cycle(series, queue.cycle)
    records = {
        r.call_id: r
        for r in db.session.scalars(select(SkippedCall).where(SkippedCall.series_id == series.id))
    }
    for call_id, record in records.items():
        if call_id not in queue.skipped:
            db.session.delete(record)
    for call_id, (organisation_id, state) in queue.skipped.items():
        record = records.get(call_id)
        if record is None:
            db.session.add(
                SkippedCall(
                    series_id=series.id,
                    call_id=call_id,
                    organisation_id=organisation_id,
                    turn=state,
                )
            )
        elif (record.organisation_id, record.turn) != (organisation_id, state):
            record.organisation_id, record.turn = organisation_id, state
    db.session.flush()


def _save_cycle(series: Series, cycle: list[int]) -> None:
    hosts = sorted(series.rotation, key=lambda h: h.position)
    if [h.organisation_id for h in hosts] == cycle and [h.position for h in hosts] == list(
        range(len(cycle))
    ):
        return
    by_partner = {h.organisation_id: h for h in hosts}
    for organisation_id, host in by_partner.items():
        if organisation_id not in cycle:
            series.rotation.remove(host)
    db.session.flush()
    # Positions are unique per series: park the kept rows past every position in use first.
    parked = max([h.position for h in hosts], default=0) + len(cycle) + 1
    for place, organisation_id in enumerate(cycle):
        if organisation_id in by_partner:
            by_partner[organisation_id].position = parked + place
    db.session.flush()
    for place, organisation_id in enumerate(cycle):
        if organisation_id in by_partner:
            by_partner[organisation_id].position = place
        else:
            series.rotation.append(SeriesHost(position=place, organisation_id=organisation_id))
    db.session.flush()
    db.session.expire(series, ["rotation"])


# --- calls ----------------------------------------------------------------------------------


def add_call(
    series: Series, slot_date: date, starts_at: datetime, duration_minutes: int, zone_name: str,
    host_id: int, now: datetime | None = None,
) -> bool:  # fmt: skip
    """Insert one new call of the series; False if the slot already has one."""
    now = now or utcnow()
    values = {
        "series_id": series.id,
        "slot_date": slot_date,
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "zone": zone_name,
        "host_organisation_id": host_id,
        "status": CallStatus.SCHEDULED,
        "is_time_by_hand": False,
        "is_host_by_hand": False,
        "revision": 0,
        "created_at": now,
        "updated_at": now,
    }
    return insert_unless_exists(Call, values, ["series_id", "slot_date"])


@dataclass
class Materialised:
    created: int = 0
    existing: int = 0


def materialise(series: Series, until: date, since: date | None = None) -> Materialised:
    """Create the calls of every slot from `since` (default: the first date) to `until`,
    each hosted by the next turn of the queue.

    Idempotent: slots that have a call are left alone, and with `since` so are slots that
    have already started. The series is locked, so two runs at once take turns; the unique
    constraint (series_id, slot_date) would refuse a second call for a slot in any case.
    """
    series = lock_series(series.id)
    result = Materialised()
    now = utcnow()
    have = set(db.session.scalars(select(Call.slot_date).where(Call.series_id == series.id)))
    queue = load_queue(series)
    for slot_date in slots(series, until):
        if since is not None and slot_date < since:
            continue
        if slot_date in have:
            result.existing += 1
            continue
        starts_at = slot_start(series, slot_date)
        if since is not None and starts_at <= now:
            continue
        ahead = queue.copy()
        host_id = ahead.take()
        if add_call(series, slot_date, starts_at, series.duration_minutes, series.zone, host_id):
            queue = ahead
            result.created += 1
        else:
            result.existing += 1  # made meanwhile: its turn was taken then
    save_queue(series, queue)
    return result


def extend_all(today: date | None = None) -> dict[str, Materialised]:
    """Top every series up to its horizon (what `flask calls extend` runs from cron)."""
    today = today or utcnow().date()
    done = {}
    for series in db.session.scalars(select(Series).order_by(Series.id)).all():
        done[series.name] = materialise(series, horizon(series, today), since=today)
    return done
