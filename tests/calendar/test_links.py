"""'Add to Google Calendar / Outlook' links and the template include for call pages."""

from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, urlsplit

from flask import render_template_string

from convene.calendar.events import FeedEvent
from convene.calendar.links import google_calendar_url, outlook_calendar_url
from convene.zones import to_utc

START = to_utc(date(2026, 3, 10), time(13, 0), "America/Phoenix")
EVENT = FeedEvent(
    uid="call-7@convene",
    sequence=1,
    summary="Budgets & results",
    last_modified=datetime(2026, 2, 1, tzinfo=UTC),
    starts_at=START,
    ends_at=START.replace(hour=START.hour + 1),
    zone="America/Phoenix",
    description="Agenda:\n1. Welcome",
    location="Video call",
    url="http://convene.test/calls/7",
)


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_google_link_gives_utc_instants_and_the_zone():
    query = _query(google_calendar_url(EVENT))
    assert query["action"] == "TEMPLATE"
    assert query["text"] == "Budgets & results"
    assert query["dates"] == "20260310T200000Z/20260310T210000Z"
    assert query["ctz"] == "America/Phoenix"
    assert query["details"] == "Agenda:\n1. Welcome"


def test_outlook_link_and_all_day_events():
    query = _query(outlook_calendar_url(EVENT))
    assert query["startdt"] == "2026-03-10T20:00:00Z" and query["allday"] == "false"
    summit = FeedEvent(
        uid="summit-1@convene", sequence=0, summary="Summit", last_modified=EVENT.last_modified,
        start_date=date(2026, 4, 14), end_date=date(2026, 4, 16),
    )  # fmt: skip
    assert _query(google_calendar_url(summit))["dates"] == "20260414/20260417"
    office = outlook_calendar_url(summit, office365=True)
    assert office.startswith("https://outlook.office.com/")
    assert _query(office)["enddt"] == "2026-04-17" and _query(office)["allday"] == "true"


def test_add_links_include(app):
    with app.test_request_context():
        html = render_template_string(
            '{% include "calendar/_add_links.html" %}', event=EVENT, ics_url="/calendar/calls/7.ics"
        )
    assert 'href="/calendar/calls/7.ics"' in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "Budgets+%26+results" in html
    assert "outlook.live.com" in html and "outlook.office.com" in html
