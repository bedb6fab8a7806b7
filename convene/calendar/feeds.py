"""Turning FeedEvents into iCalendar bytes, fast enough for calendar clients that poll.

Every byte is written by the icalendar library. A feed is assembled from parts that
icalendar serialised separately and that are cached by value: the calendar's own
properties (per feed header), one VTIMEZONE per zone, and one VEVENT per FeedEvent. An
unchanged event is never serialised twice in a process; `build_calendar` builds the same
bytes in one piece, and the tests hold the two to byte equality.

Neither can raise on an event: one that still cannot be written is left out and logged, so
one bad row never takes a feed, a download or an invitation down with it.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Conference, Event, vDuration, vText

from convene.calendar.events import FeedEvent
from convene.calendar.normalise import multi_line, single_line, uri
from convene.calendar.vtimezones import (
    describes,
    has_clear_wall_time,
    has_yearly_rules,
    vtimezone,
)

log = logging.getLogger(__name__)

PRODID = "-//Convene//Calendar feeds 1.0//EN"
END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class FeedHeader:
    """What a calendar client shows for the subscription, and how often it should poll.

    A file of one event (a download, an invitation) has no name: Outlook opens a named
    file as a new calendar instead of adding the event to the user's own.
    """

    name: str | None
    uid: str
    description: str | None = None
    method: str | None = None  # None for feeds; "REQUEST"/"CANCEL" for invitations
    refresh: timedelta = timedelta(hours=1)


@lru_cache(maxsize=256)
def _tzid_is_safe(zone_name: str) -> bool:
    """A zone its events can name: it exists, and its VTIMEZONE is in yearly rules (every
    parser tested reads those alike; the fallback form is misread near each change)."""
    try:
        return vtimezone(zone_name) is not None and has_yearly_rules(zone_name)
    except Exception:
        log.exception("calendar: no VTIMEZONE for %r: its events are written in UTC", zone_name)
        return False


def event_zone(event: FeedEvent) -> str | None:
    """The TZID a timed event is written with, or None to write it in UTC.

    UTC when a wall time is ambiguous or skipped (the repeated hour in autumn: "01:30"
    with a TZID cannot say which 01:30 it is, and parsers choose differently), when an
    instant lies outside the years the VTIMEZONE describes, or when the zone is unknown
    or not in yearly rules (see `_tzid_is_safe`).
    """
    if event.is_all_day or not event.zone or event.zone == "UTC":
        return None
    if not _tzid_is_safe(event.zone):
        return None
    zone = ZoneInfo(event.zone)
    for instant in (event.starts_at, event.ends_at):
        if not describes(instant) or not has_clear_wall_time(instant, zone):
            return None
    return event.zone


def _start_end(event: FeedEvent):
    if event.is_all_day:
        # DTEND of an all-day event is exclusive: the day after it ends (date.max at most).
        end = event.end_date + timedelta(days=1) if event.end_date < date.max else date.max
        if end <= event.start_date:
            raise ValueError(f"{event.uid} starts on the last day a calendar can hold")
        return event.start_date, end
    zone_name = event_zone(event)
    zone = ZoneInfo(zone_name) if zone_name else UTC
    return event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)


def event_component(event: FeedEvent, stamp: datetime | None = None) -> Event:
    """The VEVENT for one event. DTSTAMP is its last change unless `stamp` is given
    (invitations stamp the moment they are sent)."""
    start, end = _start_end(event)
    title = single_line(event.title)
    conference_url = uri(event.conference_url)
    component = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        summary=title,
        description=multi_line(event.description) or None,
        location=single_line(event.location) or None,
        url=uri(event.url),
        start=start,
        end=end,
        stamp=(stamp or event.last_modified).astimezone(UTC),
        last_modified=event.last_modified.astimezone(UTC),
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        conferences=(
            [Conference(conference_url, feature=["VIDEO"], label="Join the video call")]
            if conference_url
            else None
        ),
    )
    categories = [c for c in map(single_line, event.categories) if c]
    if categories:
        component.add("categories", categories)
    if event.alarm_minutes is not None and not event.is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(minutes=-event.alarm_minutes))
        component.add_component(alarm)
    return component


@lru_cache(maxsize=50_000)
def event_part(event: FeedEvent) -> tuple[bytes, str | None]:
    """The VEVENT's bytes and the zone they name (None: UTC), with one cache lookup."""
    return event_component(event).to_ical(), event_zone(event)


@lru_cache(maxsize=256)
def timezone_bytes(zone: str) -> bytes:
    return vtimezone(zone).to_ical()


def calendar_shell(header: FeedHeader) -> Calendar:
    calendar = Calendar.new(
        uid=header.uid,
        prodid=PRODID,
        method=header.method,
        refresh_interval=header.refresh if header.method is None else None,
    )
    # icalendar writes NAME, X-WR-CALNAME and X-WR-CALDESC as given unless they are vText.
    name = single_line(header.name)
    if name:
        calendar.add("NAME", vText(name))
        calendar.add("X-WR-CALNAME", vText(name))
    description = multi_line(header.description)
    if description:
        calendar.add("DESCRIPTION", vText(description))
        calendar.add("X-WR-CALDESC", vText(description))
    if header.method is None:
        # RFC 7986 requires the VALUE parameter on REFRESH-INTERVAL.
        calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
        calendar.add("X-PUBLISHED-TTL", vDuration(header.refresh))
    return calendar


@lru_cache(maxsize=1024)
def _shell_bytes(header: FeedHeader) -> bytes:
    shell = calendar_shell(header).to_ical()
    if not shell.endswith(END):
        raise RuntimeError("unexpected calendar serialisation")
    return shell[: -len(END)]


def zones_of(events) -> list[str]:
    """Every zone an event is written in (UTC needs no VTIMEZONE)."""
    return sorted({zone for e in events if (zone := event_zone(e)) is not None})


def ordered(events) -> list[FeedEvent]:
    def key(e: FeedEvent):
        start = e.starts_at or datetime.combine(e.start_date, datetime.min.time(), UTC)
        return (start, e.uid)

    return sorted(events, key=key)


def render(header: FeedHeader, events) -> bytes:
    """The whole feed from cached parts (see `build_calendar` for the same in one piece)."""
    bodies, zones = [], set()
    for event in ordered(events):
        try:
            body, zone = event_part(event)
        except Exception:
            log.exception("calendar: event %s left out: it cannot be written", event.uid)
            continue
        bodies.append(body)
        if zone is not None:
            zones.add(zone)
    parts = [_shell_bytes(header), *(timezone_bytes(z) for z in sorted(zones)), *bodies, END]
    return b"".join(parts)


def build_calendar(header: FeedHeader, events, stamp: datetime | None = None) -> Calendar:
    """The feed as one icalendar object, built from scratch (no caches)."""
    written = []
    for event in ordered(events):
        try:
            component = event_component(event, stamp=stamp)
            component.to_ical()
        except Exception:
            log.exception("calendar: event %s left out: it cannot be written", event.uid)
            continue
        written.append((event, component))
    calendar = calendar_shell(header)
    for zone in zones_of(e for e, _component in written):
        calendar.add_component(vtimezone(zone))
    for _event, component in written:
        calendar.add_component(component)
    return calendar


def event_file(event: FeedEvent | None, uid: str, method: str = "PUBLISH", stamp=None) -> Calendar:
    """A file of one event (a download or an invitation): no calendar name, and without the
    event (logged) when it cannot be written."""
    header = FeedHeader(name=None, uid=uid, method=method)
    return build_calendar(header, [event] if event is not None else [], stamp=stamp)


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    last_modified: datetime


def rendered(header: FeedHeader, events, changed_at: datetime | None = None) -> RenderedFeed:
    """The bytes with their validators: a strong ETag of the content, and the latest change."""
    body = render(header, events)
    instants = [e.last_modified for e in events]
    if changed_at is not None:
        instants.append(changed_at)
    last = max(instants, default=datetime(2015, 1, 1, tzinfo=UTC)).replace(microsecond=0)
    return RenderedFeed(body, hashlib.sha256(body).hexdigest()[:32], last)
