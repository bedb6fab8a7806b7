"""Fixtures for calendar tests: series and calls in a given zone, and three iCalendar parsers."""

import json
import subprocess
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import vobject
from icalendar import Calendar

from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.types import utcnow
from convene.zones import to_utc

JS = Path(__file__).parent / "js"


@pytest.fixture(autouse=True)
def _feeds_settle_at_once(app):
    """Feeds leave a change under a second old uncached and without Last-Modified (HTTP
    dates have whole seconds); tests change and read within one, so settle at once here.
    test_routes.py checks the real setting."""
    app.config["CALENDAR_SETTLE_SECONDS"] = 0


@pytest.fixture
def make_call(app, make_series, make_org):
    """A call on a local day and wall time in `zone` (default: three days from now, 13:00)."""
    state = {"series": None, "host": None}

    def factory(day=None, wall=time(13, 0), zone="America/New_York", **fields) -> Call:
        if state["series"] is None:
            state["series"] = make_series(
                first_date=date(2026, 1, 6),
                video_url="https://video.example.org/j/123456",
                dial_in_number="+1 555 0100",
                dial_in_code="4242#",
            )
            state["host"] = make_org("partner", name="GovEx Partner", slug="govex")
        day = day or (utcnow() + timedelta(days=3)).date()
        call = Call(
            series=fields.pop("series", state["series"]),
            slot_date=day,
            starts_at=to_utc(day, wall, zone),
            duration_minutes=fields.pop("duration_minutes", 60),
            zone=zone,
            host_organisation=fields.pop("host_organisation", state["host"]),
            **fields,
        )
        db.session.add(call)
        db.session.commit()
        return call

    return factory


@pytest.fixture
def rsvp(app):
    def factory(call, member, answer="yes") -> Rsvp:
        row = Rsvp(call=call, member=member, answer=RsvpAnswer(answer))
        db.session.add(row)
        db.session.commit()
        return row

    return factory


def calendar_part(message):
    """The text/calendar part of a delivered email (inline, inside its alternative), or None."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


def cancel(call: Call, reason: str = "Holiday") -> None:
    call.status = CallStatus.CANCELLED
    call.cancel_reason = reason
    call.bump_revision()
    db.session.commit()


# --- parsers -------------------------------------------------------------------------------


def _instant(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise AssertionError(f"floating time {value}")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _summary(events):
    return sorted(
        (
            {
                "uid": str(e["uid"]),
                "sequence": int(e["sequence"]),
                "summary": str(e["summary"]),
                "status": str(e["status"]),
                "start": e["start"],
                "end": e["end"],
            }
            for e in events
        ),
        key=lambda e: e["uid"],
    )


def parse_icalendar(data: bytes) -> list[dict]:
    calendar = Calendar.from_ical(data)
    return _summary(
        {
            "uid": e["UID"],
            "sequence": e.get("SEQUENCE", 0),
            "summary": e["SUMMARY"],
            "status": e.get("STATUS"),
            "start": _instant(e.DTSTART),
            "end": _instant(e.DTEND),
        }
        for e in calendar.events
    )


def parse_vobject(data: bytes) -> list[dict]:
    calendar = vobject.readOne(data.decode("utf-8"))
    events = getattr(calendar, "vevent_list", [])
    return _summary(
        {
            "uid": e.uid.value,
            "sequence": e.sequence.value,
            "summary": e.summary.value,
            "status": e.status.value,
            "start": _instant(e.dtstart.value),
            "end": _instant(e.dtend.value),
        }
        for e in events
    )


def icaljs(data: bytes) -> dict:
    """Mozilla's ical.js (Thunderbird's parser), run with node."""
    if not (JS / "node_modules" / "ical.js").exists():
        subprocess.run(["npm", "ci", "--prefix", str(JS)], check=True, capture_output=True)
    result = subprocess.run(
        ["node", str(JS / "parse.mjs")], input=data, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def parse_icaljs(data: bytes) -> list[dict]:
    return _summary(icaljs(data)["events"])


def parse_all(data: bytes) -> list[dict]:
    """The events as every parser sees them; fails unless all three agree exactly."""
    by_icalendar = parse_icalendar(data)
    by_vobject = parse_vobject(data)
    by_icaljs = parse_icaljs(data)
    assert by_vobject == by_icalendar
    assert by_icaljs == by_icalendar
    return by_icalendar


# The summit's own factories, shared rather than copied.
from tests.summit.conftest import (  # noqa: E402, F401
    make_agenda_item,
    make_registration,
    make_session,
    make_summit,
)
