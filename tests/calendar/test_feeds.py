"""Feed building: bytes from icalendar, identical whether cached or built in one piece, and
read the same by icalendar, vobject and Mozilla's ical.js."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from convene.calendar.events import FeedEvent
from convene.calendar.feeds import FeedHeader, build_calendar, render, rendered
from convene.calendar.normalise import single_line
from convene.zones import to_utc
from tests.calendar.conftest import icaljs, parse_all

HEADER = FeedHeader(name="Test feed", uid="feed-test@convene")
CHANGED = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def timed(uid="call-1@convene", day=date(2026, 3, 5), wall=time(13, 0), zone="America/New_York",
          **fields) -> FeedEvent:  # fmt: skip
    start = to_utc(day, wall, zone)
    return FeedEvent(
        uid=uid,
        sequence=fields.pop("sequence", 0),
        summary=fields.pop("summary", "Open data policies"),
        last_modified=CHANGED,
        starts_at=start,
        ends_at=start + timedelta(minutes=60),
        zone=zone,
        **fields,
    )


def test_cached_assembly_is_byte_identical_to_one_icalendar_build():
    events = [
        timed("a@convene", zone="America/Chicago", alarm_minutes=60),
        timed("b@convene", zone="America/Phoenix", conference_url="https://v.example.org/j/1"),
        FeedEvent(
            uid="summit-1@convene",
            sequence=2,
            summary="Summit",
            last_modified=CHANGED,
            start_date=date(2026, 4, 14),
            end_date=date(2026, 4, 16),
        ),
    ]
    assert render(HEADER, events) == build_calendar(HEADER, events).to_ical()
    # Rendering again reuses the cached parts and gives the same bytes.
    assert render(HEADER, list(reversed(events))) == render(HEADER, events)


def test_every_zone_used_has_a_vtimezone_and_no_time_floats():
    events = [timed("a@convene", zone="America/Chicago"), timed("b@convene", zone="UTC")]
    calendar = Calendar.from_ical(render(HEADER, events))
    assert calendar.get_used_tzids() == {"America/Chicago"}
    assert calendar.get_missing_tzids() == set()
    assert [tz["TZID"] for tz in calendar.timezones] == ["America/Chicago"]
    assert b"DTSTART:20260305T130000Z" in render(HEADER, events)


def test_series_across_the_dst_change_keeps_its_local_time_in_every_parser():
    # 13:00 in New York, every week across 8 March 2026 (clocks go forward).
    days = [date(2026, 3, 1) + timedelta(days=7 * i) for i in range(3)]
    events = [timed(f"call-{i}@convene", day=d) for i, d in enumerate(days)]
    parsed = parse_all(render(HEADER, events))
    assert [e["start"] for e in parsed] == [
        "2026-03-01T18:00:00Z",  # EST, UTC-5
        "2026-03-08T17:00:00Z",  # EDT, UTC-4
        "2026-03-15T17:00:00Z",
    ]
    assert [e["end"] for e in parsed][1] == "2026-03-08T18:00:00Z"


def test_autumn_dst_change_and_a_phoenix_event_agree_everywhere():
    events = [
        timed("before@convene", day=date(2026, 10, 29), wall=time(9, 30)),
        timed("after@convene", day=date(2026, 11, 5), wall=time(9, 30)),
        # Phoenix keeps MST all year: 10:00 there is 17:00 UTC in both seasons.
        timed("phx-summer@convene", day=date(2026, 7, 1), wall=time(10), zone="America/Phoenix"),
        timed("phx-winter@convene", day=date(2026, 12, 1), wall=time(10), zone="America/Phoenix"),
    ]
    starts = {e["uid"]: e["start"] for e in parse_all(render(HEADER, events))}
    assert starts == {
        "before@convene": "2026-10-29T13:30:00Z",
        "after@convene": "2026-11-05T14:30:00Z",
        "phx-summer@convene": "2026-07-01T17:00:00Z",
        "phx-winter@convene": "2026-12-01T17:00:00Z",
    }


def test_a_several_day_summit_is_one_all_day_event_ending_the_day_after():
    summit = FeedEvent(
        uid="summit-1@convene",
        sequence=0,
        summary="Annual summit",
        last_modified=CHANGED,
        start_date=date(2026, 4, 14),
        end_date=date(2026, 4, 16),
        location="New York",
    )
    data = render(HEADER, [summit])
    assert b"DTSTART;VALUE=DATE:20260414" in data
    assert b"DTEND;VALUE=DATE:20260417" in data
    parsed = parse_all(data)
    assert parsed[0]["start"] == "2026-04-14" and parsed[0]["end"] == "2026-04-17"
    assert icaljs(data)["events"][0]["all_day"] is True


HOSTILE = (
    "Budgets, risks; and \\ paths\nBEGIN:VEVENT\nUID:evil\nEND:VEVENT\n"
    "Emoji 🏙️🗳️ and a long line " + "x" * 300
)


def test_text_from_users_cannot_break_the_file():
    event = timed(summary=HOSTILE, description=HOSTILE, location="Room 1; floor 2, \\ east")
    data = render(HEADER, [event])
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    parsed = parse_all(data)
    assert len(parsed) == 1
    assert parsed[0]["uid"] == "call-1@convene"
    # A title is one line: its line breaks become spaces; a description keeps them.
    assert parsed[0]["summary"] == single_line(HOSTILE)
    assert "\n" not in parsed[0]["summary"]
    seen = icaljs(data)["events"][0]
    assert seen["description"] == HOSTILE
    assert seen["location"] == "Room 1; floor 2, \\ east"


def test_cancelled_event_keeps_its_uid_is_marked_and_carries_no_alarm():
    live = timed(sequence=1, alarm_minutes=10)
    cancelled = timed(sequence=2, alarm_minutes=10, is_cancelled=True)
    (before,) = parse_all(render(HEADER, [live]))
    (after,) = parse_all(render(HEADER, [cancelled]))
    assert before["uid"] == after["uid"]
    assert after["sequence"] > before["sequence"]
    assert after["status"] == "CANCELLED" and before["status"] == "CONFIRMED"
    assert after["summary"] == "Cancelled: Open data policies"
    assert icaljs(render(HEADER, [live]))["events"][0]["alarms"] == ["-PT10M"]
    assert icaljs(render(HEADER, [cancelled]))["events"][0]["alarms"] == []


def test_calendar_properties_name_refresh_and_conference():
    data = render(HEADER, [timed(conference_url="https://v.example.org/j/1")])
    calendar = Calendar.from_ical(data)
    assert calendar["NAME"] == "Test feed" and calendar["X-WR-CALNAME"] == "Test feed"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in data
    assert b"X-PUBLISHED-TTL:PT1H" in data
    assert "METHOD" not in calendar
    assert icaljs(data)["events"][0]["conference"] == "https://v.example.org/j/1"
    assert b"CONFERENCE;FEATURE=VIDEO;LABEL=Join the video call;VALUE=URI:" in data


def test_etag_follows_content():
    first = rendered(HEADER, [timed()])
    assert rendered(HEADER, [timed()]).etag == first.etag
    assert rendered(HEADER, [timed(sequence=1)]).etag != first.etag
    assert first.last_modified == CHANGED


@pytest.mark.parametrize(
    "fields",
    [
        {"starts_at": CHANGED, "ends_at": CHANGED - timedelta(hours=1)},
        {"start_date": date(2026, 1, 2), "end_date": date(2026, 1, 1)},
        {"starts_at": datetime(2026, 1, 1, 12), "ends_at": datetime(2026, 1, 1, 13)},
        {},
    ],
)  # fmt: skip
def test_malformed_events_are_refused(fields):
    with pytest.raises(ValueError):
        FeedEvent(uid="x", sequence=0, summary="x", last_modified=CHANGED, **fields)


def test_feed_cache_is_bounded_in_entries_and_bytes():
    from convene.calendar.publishing import FeedAnswer, FeedCache

    def answer(size):
        return FeedAnswer(rendered(HEADER, []).__class__(b"x" * size, "e", CHANGED), False, None)

    cache = FeedCache(size=3, max_bytes=100)
    for key in "abcd":
        cache.put(key, answer(10))
    assert cache.get("a") is None and cache.get("d") is not None
    cache.put("big", answer(95))
    assert cache.get("b") is None and cache.get("c") is None and cache.get("d") is None
    assert cache.get("big") is not None
