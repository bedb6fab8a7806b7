"""No stored value makes a feed, a download or an invitation fail: the findings of the
hardening review, each as it was found, and what happens to an event that still cannot be
written (it is left out, and logged with its source and id)."""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from convene.calendar import feeds, invitations
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from convene.types import utcnow
from tests.calendar.conftest import calendar_part, parse_all

NEW_YORK = ZoneInfo("America/New_York")


def fall_back_night() -> date:
    """The first Sunday of November next year: New York's clocks go back at 02:00."""
    first = date(utcnow().year + 1, 11, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7)


def at(day: date, wall: time, fold: int = 0) -> datetime:
    return datetime.combine(day, wall, NEW_YORK).replace(fold=fold).astimezone(UTC)


def z(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ok(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return response.data


def _names(data: bytes) -> list[bytes]:
    unfolded = data.replace(b"\r\n ", b"")
    return [line for line in unfolded.split(b"\r\n") if line.startswith((b"NAME", b"X-WR-CAL"))]


# --- a summit ending on 9999-12-31 ---------------------------------------------------------


def test_a_summit_ending_in_the_year_9999_leaves_the_feeds_and_pages_working(
    client, make_summit, make_agenda_item
):
    summit = make_summit(ends_on=date(9999, 12, 31))
    make_agenda_item(summit, is_public=True)
    for url in ("/calendar/public.ics", f"/calendar/summits/{summit.id}.ics"):
        events = {e["uid"]: e for e in parse_all(_ok(client.get(url)))}
        seen = events[f"summit-{summit.id}@convene"]
        # The day after the last can go no further than the last day a date holds.
        assert (seen["start"], seen["end"]) == ("2027-04-12", "9999-12-31")
    (seen,) = parse_all(_ok(client.get(f"/calendar/summits/{summit.id}/days.ics")))
    assert seen["end"] == "9999-12-31"
    assert client.get(f"/summit/{summit.slug}").status_code == 200


def test_a_summit_starting_on_the_last_day_there_is_is_left_out_and_logged(
    client, make_summit, make_call, caplog
):
    call = make_call(title="Still here")
    summit = make_summit(starts_on=date(9999, 12, 31), ends_on=date(9999, 12, 31))
    with caplog.at_level(logging.ERROR):
        events = parse_all(_ok(client.get("/calendar/public.ics")))
    assert [e["uid"] for e in events] == [f"call-{call.id}@convene"]
    assert f"summit-{summit.id}@convene" in caplog.text
    download = _ok(client.get(f"/calendar/summits/{summit.id}/days.ics"))
    assert parse_all(download) == []
    assert client.get(f"/summit/{summit.slug}").status_code == 200


# --- the night the clocks go back ----------------------------------------------------------


@pytest.mark.parametrize(
    "wall, fold, minutes",
    [
        (time(1, 30), 0, 45),  # ends at 01:15 EST, "before" it starts on the wall clock
        (time(1, 30), 0, 60),
        (time(1, 30), 1, 60),
        (time(1, 0), 0, 60),
        (time(1, 0), 1, 60),
        (time(0, 30), 0, 60),  # ends in the fold
    ],
    ids=["01:30 EDT 45 min", "01:30 EDT", "01:30 EST", "01:00 EDT", "01:00 EST", "00:30 EDT"],
)
def test_a_call_in_the_repeated_hour_is_written_in_utc_and_read_alike(
    client, make_call, wall, fold, minutes
):
    day = fall_back_night()
    call = make_call(day=day, wall=time(13, 0), duration_minutes=minutes)
    call.starts_at = at(day, wall, fold)
    db.session.commit()
    want = (z(call.starts_at), z(call.starts_at + timedelta(minutes=minutes)))
    for url in ("/calendar/public.ics", "/calendar/partners/govex.ics"):
        data = _ok(client.get(url))
        assert f"DTSTART:{call.starts_at:%Y%m%dT%H%M%SZ}".encode() in data
        (seen,) = parse_all(data)  # icalendar, vobject and ical.js agree
        assert (seen["start"], seen["end"]) == want
    (seen,) = parse_all(_ok(client.get(f"/calendar/calls/{call.id}.ics")))
    assert (seen["start"], seen["end"]) == want


def test_a_call_away_from_the_change_keeps_its_zone(client, make_call):
    call = make_call(day=fall_back_night(), wall=time(13, 0))
    data = _ok(client.get("/calendar/public.ics"))
    assert b"DTSTART;TZID=America/New_York:" in data
    (seen,) = parse_all(data)
    assert seen["start"] == z(call.starts_at)


def test_rsvp_and_a_move_to_01_30_on_the_fall_back_night_send_invitations(
    make_call, make_member, client_for, deliver_mail, client
):
    day = fall_back_night()
    call = make_call(day=day, wall=time(1, 30))  # the first 01:30 (EDT)
    member, admin = make_member(), make_member("admin")
    response = client_for(member).post(f"/calls/{call.id}/rsvp", data={"answer": "yes"})
    assert response.status_code == 302
    (mail,) = deliver_mail()
    (seen,) = parse_all(calendar_part(mail).get_payload(decode=True))
    assert seen["start"] == z(at(day, time(1, 30)))

    response = client_for(admin).post(
        f"/calls/{call.id}/move",
        data={
            "day": day.isoformat(),
            "wall_time": "01:00",
            "zone": "America/New_York",
            "duration_minutes": "90",
        },
    )
    assert response.status_code == 302, response.data
    (mail,) = deliver_mail()
    (seen,) = parse_all(calendar_part(mail).get_payload(decode=True))
    assert (seen["start"], seen["end"]) == (
        z(at(day, time(1, 0))),
        z(at(day, time(1, 0)) + timedelta(minutes=90)),
    )
    parse_all(_ok(client.get("/calendar/public.ics")))


# --- line breaks in a call's topic ---------------------------------------------------------

TOPIC = "Budgets\r\nBEGIN:VEVENT\r\nUID:evil\nX-WR-CALNAME:Hijacked\r"


def test_line_breaks_in_a_topic_break_no_rsvp_move_cancel_or_download(
    make_call, make_member, client_for, deliver_mail, client
):
    call = make_call(title=TOPIC)
    member, admin = make_member(), make_member("admin")
    summary = "Budgets BEGIN:VEVENT UID:evil X-WR-CALNAME:Hijacked (GovEx Partner)"

    assert (
        client_for(member).post(f"/calls/{call.id}/rsvp", data={"answer": "yes"}).status_code == 302
    )
    (mail,) = deliver_mail()
    invitation = calendar_part(mail).get_payload(decode=True)
    assert _names(invitation) == []
    (seen,) = parse_all(invitation)
    assert seen["summary"] == summary

    data = _ok(client.get(f"/calendar/calls/{call.id}.ics"))
    assert _names(data) == []  # one event: Outlook adds it instead of opening a calendar
    assert Calendar.from_ical(data)["METHOD"] == "PUBLISH"
    (seen,) = parse_all(data)
    assert seen["summary"] == summary

    move = {
        "day": (call.starts_at + timedelta(days=1)).date().isoformat(),
        "wall_time": "14:00",
        "zone": "America/New_York",
        "duration_minutes": "60",
    }
    assert client_for(admin).post(f"/calls/{call.id}/move", data=move).status_code == 302
    (mail,) = deliver_mail()
    assert parse_all(calendar_part(mail).get_payload(decode=True))[0]["summary"] == summary
    cancel = {"reason": "Holiday\r\nEND:VCALENDAR"}
    assert client_for(admin).post(f"/calls/{call.id}/cancel", data=cancel).status_code == 302
    (mail,) = deliver_mail()
    assert Calendar.from_ical(calendar_part(mail).get_payload(decode=True))["METHOD"] == "CANCEL"
    (seen,) = parse_all(_ok(client.get("/calendar/public.ics")))
    assert seen["status"] == "CANCELLED"


def test_a_partner_name_with_line_breaks_is_one_escaped_calendar_name(app, client, make_call):
    call = make_call()
    call.host_organisation.name = "GovEx\r\nX-WR-CALNAME:Hijacked; a, b"
    db.session.commit()
    data = _ok(client.get("/calendar/partners/govex.ics"))
    name = f"{app.config['PROGRAMME_NAME']}: calls hosted by GovEx X-WR-CALNAME:Hijacked"
    escaped = name.encode() + b"\\; a\\, b"
    assert _names(data) == [b"NAME:" + escaped, b"X-WR-CALNAME:" + escaped]
    assert len(parse_all(data)) == 1


# --- an event that still cannot be written -------------------------------------------------


def test_an_event_that_cannot_be_written_is_left_out_of_the_feed_and_logged(
    client, make_call, monkeypatch, caplog
):
    kept = make_call(title="Kept")
    broken = make_call(title="Broken", day=utcnow().date() + timedelta(days=4))
    real = feeds.event_component

    def failing(event, stamp=None):
        if event.uid == f"call-{broken.id}@convene":
            raise RuntimeError("cannot write this one")
        return real(event, stamp)

    monkeypatch.setattr(feeds, "event_component", failing)
    feeds.event_part.cache_clear()
    with caplog.at_level(logging.ERROR):
        events = parse_all(_ok(client.get("/calendar/public.ics")))
    assert [e["uid"] for e in events] == [f"call-{kept.id}@convene"]
    assert f"call-{broken.id}@convene" in caplog.text and "cannot write this one" in caplog.text
    feeds.event_part.cache_clear()


def test_a_row_no_event_can_be_made_of_is_left_out_with_its_source_and_id(
    client, make_summit, make_agenda_item, monkeypatch, caplog
):
    from convene.calendar import summit_events

    summit = make_summit()
    item = make_agenda_item(summit, is_public=True)

    def failing(item, summit, alarm=None):
        raise ValueError("no event from this row")

    monkeypatch.setattr(summit_events, "agenda_item_event", failing)
    with caplog.at_level(logging.ERROR):
        events = parse_all(_ok(client.get("/calendar/public.ics")))
    assert [e["uid"] for e in events] == [f"summit-{summit.id}@convene"]
    assert f"agenda item {item.id} left out" in caplog.text


def test_an_unknown_zone_is_written_in_utc(client, make_call):
    call = make_call()
    call.zone = "Mars/Olympus_Mons"
    db.session.commit()
    data = _ok(client.get("/calendar/public.ics"))
    assert b"TZID" not in data
    (seen,) = parse_all(data)
    assert seen["start"] == z(call.starts_at)


def test_an_invitation_that_cannot_be_built_does_not_stop_the_mail(
    make_call, make_member, deliver_mail, monkeypatch, caplog
):
    call = make_call(title="Budgets")
    member = make_member()

    def failing(*args, **kwargs):
        raise RuntimeError("invitation broke")

    monkeypatch.setattr(invitations, "invitation_bytes", failing)
    with caplog.at_level(logging.ERROR):
        answer_rsvp(call, member, "yes")
        db.session.commit()
    (mail,) = deliver_mail()
    assert calendar_part(mail) is None
    assert f"call-{call.id}@convene" in caplog.text and "invitation broke" in caplog.text


def test_a_summit_mail_whose_event_cannot_be_made_still_goes(
    make_summit, make_member, make_registration, deliver_mail, monkeypatch, caplog
):
    from convene.calendar import summit_events
    from convene.history.actions import record_action
    from convene.history.models import ActionKind

    member = make_member(name="Ana\r\nDíaz")
    registration = make_registration(make_summit(name="Summit\r\n2027"), member)

    def failing(**fields):
        raise ValueError("no event")

    monkeypatch.setattr(summit_events, "FeedEvent", failing)
    with caplog.at_level(logging.ERROR):
        record_action(ActionKind.REGISTRATION_CONFIRMED, None, registration, member=member)
        db.session.commit()
    (mail,) = deliver_mail()
    assert calendar_part(mail) is None
    assert mail["Subject"].strip() == "Your place at Summit 2027 is confirmed"
    assert f"registration {registration.id} left out" in caplog.text
