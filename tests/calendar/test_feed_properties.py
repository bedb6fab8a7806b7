"""Properties of every feed, whatever was stored: it is built without raising, and icalendar
and vobject read the same UTC instants and the same text from it (the text as the builder
normalises it). Titles are any Unicode (control characters, CR/LF, very long); instants
cluster around each zone's DST changes, so folds and gaps come up in most runs."""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from convene.calendar.events import FeedEvent
from convene.calendar.feeds import FeedHeader, build_calendar, event_zone, render
from convene.calendar.invitations import REQUEST, invitation_bytes
from convene.calendar.normalise import multi_line, single_line
from convene.calendar.vtimezones import transitions
from convene.zones import zone_names

ZONES = [
    "America/New_York",
    "America/Phoenix",
    "Pacific/Honolulu",
    "Australia/Lord_Howe",  # a 30-minute DST change
    "Europe/London",
    "Europe/Dublin",  # negative DST in the zone database
    "America/St_Johns",  # a half-hour offset
    "America/Santiago",  # rules changed in the span: written in UTC
    "Africa/Casablanca",  # DST suspended for Ramadan each year
    "Asia/Kolkata",
    "UTC",
]
# The named zones most of the time, now and then any other.
zones = st.one_of(st.sampled_from(ZONES), st.sampled_from(ZONES), st.sampled_from(zone_names()))
CHANGED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
PROPERTIES = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ----------------------------------------------------------------------------

AWKWARD = [
    "\r\n", "\r", "\n", "\t", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028", "\u2029",
    "\ud800", "\ufeff", "\xa0", ";", ",", ":", "\\", '"', "\\n", "BEGIN:VEVENT", "END:VCALENDAR",
    "é", "e\u0301", "🏙️", "𝔘", " ", "  ",
]  # fmt: skip

texts = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=80),
    st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=8)), max_size=20).map("".join),
    st.builds(lambda part, n: part * n, st.text(min_size=1, max_size=4), st.integers(50, 1500)),
)


@cache
def _changes(zone: str) -> list[datetime]:
    return [t.at for t in transitions(zone)] if zone != "UTC" else []


@st.composite
def instants(draw, zone: str) -> datetime:
    """An instant, mostly a local wall time near a DST change (in its fold or gap, with
    either fold), else anywhere from 1990 to the last day a datetime holds."""
    changes = _changes(zone)
    kind = draw(st.sampled_from(["change", "change", "change", "any", "far"]))
    if kind == "change" and changes:
        at = draw(st.sampled_from(changes)).astimezone(ZoneInfo(zone))
        wall = at.replace(tzinfo=None) + timedelta(minutes=draw(st.integers(-150, 150)))
        local = wall.replace(tzinfo=ZoneInfo(zone), fold=draw(st.integers(0, 1)))
        return local.astimezone(UTC)
    if kind == "far":
        return draw(
            st.datetimes(datetime(1990, 1, 1), datetime(9999, 12, 30), timezones=st.just(UTC))
        )
    return draw(st.datetimes(datetime(2015, 1, 1), datetime(2037, 12, 1), timezones=st.just(UTC)))


@st.composite
def timed_events(draw, uid: str) -> FeedEvent:
    zone = draw(zones)
    start = draw(instants(zone)).replace(microsecond=0)
    minutes = draw(st.one_of(st.integers(1, 600), st.integers(601, 60 * 24 * 40)))
    end = start + timedelta(minutes=minutes)
    if end.year > 9999 or end > datetime(9999, 12, 31, tzinfo=UTC):
        end = start + timedelta(seconds=1)
    return FeedEvent(
        uid=uid,
        sequence=draw(st.integers(0, 10_000)),
        summary=draw(texts),
        last_modified=CHANGED,
        starts_at=start,
        ends_at=end,
        zone=zone,
        is_cancelled=draw(st.booleans()),
        description=draw(texts),
        location=draw(texts),
        alarm_minutes=draw(st.none() | st.sampled_from([10, 60, 1440])),
        categories=tuple(draw(st.lists(texts, max_size=2))),
    )


@st.composite
def all_day_events(draw, uid: str) -> FeedEvent:
    first = draw(
        st.one_of(
            st.dates(date(2015, 1, 1), date(2038, 12, 31)),
            st.dates(date(9999, 12, 20), date(9999, 12, 31)),
        )
    )
    last = first + timedelta(days=min(draw(st.integers(0, 10)), (date.max - first).days))
    return FeedEvent(
        uid=uid,
        sequence=0,
        summary=draw(texts),
        last_modified=CHANGED,
        start_date=first,
        end_date=last,
        description=draw(texts),
    )


@st.composite
def feeds(draw):
    count = draw(st.integers(1, 4))
    events = [
        draw(st.one_of(timed_events(f"e{i}@convene"), all_day_events(f"e{i}@convene")))
        for i in range(count)
    ]
    header = FeedHeader(name=draw(texts), uid="feed-test@convene", description=draw(texts))
    return header, events


# --- what the builder promises -------------------------------------------------------------


def _utc(value) -> str:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"floating time {value}"
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def expected(event: FeedEvent) -> dict | None:
    """What both parsers must read back, or None where the event is left out."""
    if event.is_all_day:
        # DTEND is the day after the last, clamped to the last day a date holds.
        end = event.end_date + timedelta(days=1) if event.end_date < date.max else date.max
        if end <= event.start_date:
            return None
        start, end = event.start_date.isoformat(), end.isoformat()
    else:
        start, end = _utc(event.starts_at), _utc(event.ends_at)
    return {
        "uid": event.uid,
        "summary": single_line(event.title),
        "description": multi_line(event.description),
        "location": single_line(event.location),
        "start": start,
        "end": end,
    }


def _text(component, key: str) -> str:
    """icalendar reads properties it has no type for as written: unescape them as TEXT."""
    if key not in component:
        return ""
    escaped = str(component[key])
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], escaped)


def by_icalendar(data: bytes) -> tuple[dict, list[dict]]:
    calendar = Calendar.from_ical(data)
    header = {key: _text(calendar, key) for key in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC")}
    events = [
        {
            "uid": str(e["UID"]),
            "summary": str(e.get("SUMMARY", "")),
            "description": str(e.get("DESCRIPTION", "")),
            "location": str(e.get("LOCATION", "")),
            "start": _utc(e.DTSTART),
            "end": _utc(e.DTEND),
        }
        for e in calendar.events
    ]
    return header, sorted(events, key=lambda e: e["uid"])


def _value(component, name: str) -> str:
    lines = component.contents.get(name)
    return lines[0].value if lines else ""


def by_vobject(data: bytes) -> tuple[dict, list[dict]]:
    calendar = vobject.readOne(data.decode("utf-8"))
    header = {
        key: _value(calendar, key.lower()) for key in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC")
    }
    events = [
        {
            "uid": e.uid.value,
            "summary": _value(e, "summary"),
            "description": _value(e, "description"),
            "location": _value(e, "location"),
            "start": _utc(e.dtstart.value),
            "end": _utc(e.dtend.value),
        }
        for e in calendar.contents.get("vevent", [])
    ]
    return header, sorted(events, key=lambda e: e["uid"])


def _well_formed(data: bytes) -> None:
    text = data.decode("utf-8")  # strict: no lone surrogate got through
    assert text.endswith("\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)


@PROPERTIES
@given(feeds())
def test_every_feed_is_read_alike_by_icalendar_and_vobject(feed):
    header, events = feed
    data = render(header, events)
    _well_formed(data)
    assert data == build_calendar(header, events).to_ical()

    name, description = single_line(header.name), multi_line(header.description)
    want_header = {"NAME": name, "X-WR-CALNAME": name, "X-WR-CALDESC": description}
    want_events = sorted(filter(None, map(expected, events)), key=lambda e: e["uid"])
    assert by_icalendar(data) == (want_header, want_events)
    assert by_vobject(data) == (want_header, want_events)


@settings(PROPERTIES, max_examples=60)
@given(zones.flatmap(lambda zone: st.tuples(st.just(zone), instants(zone))))
def test_a_wall_time_is_written_with_its_zone_only_when_it_names_one_instant(zone_and_instant):
    zone, start = zone_and_instant
    start = start.replace(microsecond=0)
    if start > datetime(9999, 12, 30, tzinfo=UTC):
        return
    event = FeedEvent(
        uid="e@convene",
        sequence=0,
        summary="Call",
        last_modified=CHANGED,
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        zone=zone,
    )
    written = event_zone(event)
    data = render(FeedHeader(name=None, uid="f@convene"), [event])
    if written is None:
        assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}".encode() in data
        assert b"TZID" not in data
    else:
        for instant in (event.starts_at, event.ends_at):
            local = instant.astimezone(ZoneInfo(zone))
            # The wall time names one instant: read back with either fold, it is the same.
            assert local.replace(fold=0).astimezone(UTC) == local.replace(fold=1).astimezone(UTC)
        # (icalendar writes a zone that is GMT all year, such as Africa/Abidjan, as Z.)
        assert f"DTSTART;TZID={zone}:".encode() in data or b"DTSTART:" in data
    assert by_vobject(data)[1][0]["start"] == by_icalendar(data)[1][0]["start"] == _utc(start)


@settings(PROPERTIES, max_examples=40)
@given(
    timed_events("call-1@convene") | all_day_events("summit-1@convene"),
    texts,
    texts,
)
def test_an_invitation_to_anyone_is_read_alike(app, event, name, local_part):
    member = SimpleNamespace(id=1, name=name, email=f"{local_part}@example.org")
    data = invitation_bytes(event, member, REQUEST) if expected(event) else None
    if data is None:
        return
    _well_formed(data)
    assert b"X-WR-CALNAME" not in data and b"\r\nNAME:" not in data
    calendar = Calendar.from_ical(data)
    (seen,) = calendar.events
    cn = single_line(name.replace('"', "'").replace("\\", " ").replace("^", " "), limit=200)
    assert seen["ATTENDEE"].params.get("CN", "") == cn
    assert vobject.readOne(data.decode()).vevent.attendee.params.get("CN", [""]) == [cn]
    assert by_icalendar(data)[1] == by_vobject(data)[1] == [expected(event)]


def test_either_01_30_on_new_yorks_fall_back_night_is_written_in_utc():
    zone = ZoneInfo("America/New_York")
    for fold in (0, 1):
        start = datetime.combine(date(2027, 11, 7), time(1, 30), zone).replace(fold=fold)
        event = FeedEvent(
            uid="e@convene",
            sequence=0,
            summary="Call",
            last_modified=CHANGED,
            starts_at=start.astimezone(UTC),
            ends_at=start.astimezone(UTC) + timedelta(hours=1),
            zone="America/New_York",
        )
        assert event_zone(event) is None
