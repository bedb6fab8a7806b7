"""Turning FeedEvents into iCalendar bytes, fast enough for calendar clients that poll.

Every byte is written by the icalendar library. A feed is assembled from parts that
icalendar serialised separately and that are cached by value: the calendar's own
properties (per feed header), one VTIMEZONE per zone, and one VEVENT per FeedEvent. An
unchanged event is never serialised twice in a process; `build_calendar` builds the same
bytes in one piece, and the tests hold the two to byte equality.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Conference, Event, vDuration

from convene.calendar.events import FeedEvent
from convene.calendar.vtimezones import vtimezone

PRODID = "-//Convene//Calendar feeds 1.0//EN"
END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class FeedHeader:
    """What a calendar client shows for the subscription, and how often it should poll."""

    name: str
    uid: str
    description: str | None = None
    method: str | None = None  # None for feeds; "REQUEST"/"CANCEL" for invitations
    refresh: timedelta = timedelta(hours=1)


def _start_end(event: FeedEvent):
    if event.is_all_day:
        # DTEND of an all-day event is exclusive: the day after it ends.
        return event.start_date, event.end_date + timedelta(days=1)
    zone = ZoneInfo(event.zone) if event.zone and event.zone != "UTC" else UTC
    return event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)


def event_component(event: FeedEvent, stamp: datetime | None = None) -> Event:
    """The VEVENT for one event. DTSTAMP is its last change unless `stamp` is given
    (invitations stamp the moment they are sent)."""
    start, end = _start_end(event)
    component = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        summary=event.title,
        description=event.description or None,
        location=event.location or None,
        url=event.url,
        start=start,
        end=end,
        stamp=(stamp or event.last_modified).astimezone(UTC),
        last_modified=event.last_modified.astimezone(UTC),
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        conferences=(
            [Conference(event.conference_url, feature=["VIDEO"], label="Join the video call")]
            if event.conference_url
            else None
        ),
    )
    if event.categories:
        component.add("categories", list(event.categories))
    if event.alarm_minutes is not None and not event.is_cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.title)
        alarm.add("trigger", timedelta(minutes=-event.alarm_minutes))
        component.add_component(alarm)
    return component


@lru_cache(maxsize=50_000)
def event_bytes(event: FeedEvent) -> bytes:
    return event_component(event).to_ical()


@lru_cache(maxsize=256)
def timezone_bytes(zone: str) -> bytes:
    return vtimezone(zone).to_ical()


def calendar_shell(header: FeedHeader) -> Calendar:
    calendar = Calendar.new(
        name=header.name,
        uid=header.uid,
        prodid=PRODID,
        description=header.description,
        method=header.method,
        refresh_interval=header.refresh if header.method is None else None,
    )
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
    """Every zone a timed event is expressed in (UTC needs no VTIMEZONE)."""
    return sorted({e.zone for e in events if not e.is_all_day and e.zone and e.zone != "UTC"})


def ordered(events) -> list[FeedEvent]:
    def key(e: FeedEvent):
        start = e.starts_at or datetime.combine(e.start_date, datetime.min.time(), UTC)
        return (start, e.uid)

    return sorted(events, key=key)


def render(header: FeedHeader, events) -> bytes:
    """The whole feed from cached parts (see `build_calendar` for the same in one piece)."""
    events = ordered(events)
    parts = [_shell_bytes(header)]
    parts.extend(timezone_bytes(z) for z in zones_of(events))
    parts.extend(event_bytes(e) for e in events)
    parts.append(END)
    return b"".join(parts)


def build_calendar(header: FeedHeader, events, stamp: datetime | None = None) -> Calendar:
    """The feed as one icalendar object, built from scratch (no caches)."""
    events = ordered(events)
    calendar = calendar_shell(header)
    for zone in zones_of(events):
        calendar.add_component(vtimezone(zone))
    for event in events:
        calendar.add_component(event_component(event, stamp=stamp))
    return calendar


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
