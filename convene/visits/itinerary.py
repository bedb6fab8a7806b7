"""A scheduled visit's itinerary: timed items, entered and shown in the host city's zone.

Times are wall-clock times in the visit's zone (the host city's), turned into instants the
way the summit's agenda does (`zones.to_utc`): a time the clocks skip is refused with a
clear message, a repeated one (the autumn hour) takes its first occurrence. Phoenix and
Honolulu keep one offset all year, so neither happens there. Items fall within the visit's
days. Every change raises the visit's SEQUENCE and tells its people with a new invitation
(the visit's event lists the itinerary).
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.visits.models import ItineraryItem, Visit, VisitStatus
from convene.zones import ZoneError, localize, to_utc

OPEN_STATUSES = (VisitStatus.APPROVED,)


class ItineraryError(ValueError):
    """An item the rules refuse; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ItemInput:
    day: date
    starts: time
    ends: time
    title: str
    place: str | None = None
    notes: str | None = None


def check_open(visit: Visit) -> None:
    if visit.status == VisitStatus.CANCELLED:
        raise ItineraryError("This visit is cancelled.")
    if visit.status == VisitStatus.HELD:
        raise ItineraryError("This visit has been held: its itinerary can no longer change.")
    if visit.status not in OPEN_STATUSES:
        raise ItineraryError("The itinerary is planned once a programme admin has approved it.")


def instants(visit: Visit, day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    """The UTC instants of a local day and times in the host's zone, within the visit."""
    if not visit.starts_on <= day <= visit.ends_on:
        raise ItineraryError(
            f"Choose a day of the visit: {visit.starts_on:%-d %B} to {visit.ends_on:%-d %B %Y}.",
            "day",
        )
    if ends <= starts:
        raise ItineraryError("End after it starts (on the same day).", "ends")
    try:
        starts_at = to_utc(day, starts, visit.zone)
    except ZoneError as exc:
        raise ItineraryError(str(exc), "starts") from exc
    try:
        ends_at = to_utc(day, ends, visit.zone)
    except ZoneError as exc:
        raise ItineraryError(str(exc), "ends") from exc
    if ends_at <= starts_at:  # across the autumn change: 01:30 (first) to 01:15 (second)
        raise ItineraryError("End after it starts (on the same day).", "ends")
    return starts_at, ends_at


def local_parts(item: ItineraryItem, zone: str) -> tuple[date, time, time]:
    """An item's day and times as they were entered, in the host's zone."""
    start, end = localize(item.starts_at, zone), localize(item.ends_at, zone)
    return start.date(), start.time().replace(tzinfo=None), end.time().replace(tzinfo=None)


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _values(visit: Visit, data: ItemInput) -> dict:
    title = (data.title or "").strip()
    if not title:
        raise ItineraryError("Give the item a title.", "title")
    starts_at, ends_at = instants(visit, data.day, data.starts, data.ends)
    return {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": _clean(data.place),
        "notes": _clean(data.notes),
    }


def _plain(item_values: dict) -> dict:
    return {
        "title": item_values["title"],
        "starts_at": item_values["starts_at"].isoformat(),
        "ends_at": item_values["ends_at"].isoformat(),
        "place": item_values["place"],
    }


def _current(item: ItineraryItem) -> dict:
    return {
        "title": item.title,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "place": item.place,
        "notes": item.notes,
    }


def add_item(visit: Visit, data: ItemInput, actor) -> ItineraryItem:
    check_open(visit)
    values = _values(visit, data)
    item = ItineraryItem(visit=visit, **values)
    db.session.add(item)
    visit.bump_sequence()
    db.session.flush()
    record_action(ActionKind.VISIT_ITINERARY_CHANGED, actor, visit, after=_plain(values))
    return item


def edit_item(item: ItineraryItem, data: ItemInput, actor) -> bool:
    """Change an item; False (nothing told) when nothing changed."""
    visit = item.visit
    check_open(visit)
    values = _values(visit, data)
    before = _current(item)
    if before == values:
        return False
    for name, value in values.items():
        setattr(item, name, value)
    visit.bump_sequence()
    db.session.flush()
    record_action(
        ActionKind.VISIT_ITINERARY_CHANGED,
        actor,
        visit,
        before=_plain(before),
        after=_plain(values),
    )
    return True


def remove_item(item: ItineraryItem, actor) -> None:
    visit = item.visit
    check_open(visit)
    before = _plain(_current(item))
    visit.itinerary.remove(item)
    visit.bump_sequence()
    db.session.flush()
    record_action(ActionKind.VISIT_ITINERARY_CHANGED, actor, visit, before=before)
