"""A scheduled visit in calendars: an all-day event over its days and timed itinerary items
in its people's feeds, in the public feed only when public (without its details), times in
the host city's zone (Phoenix and Honolulu keep one offset; Louisville changes), read alike
by three parsers, and feeds rebuilt exactly when the visit or its itinerary changes."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar

from convene.calendar.freshness import pending_scopes
from convene.calendar.publishing import feed_cache
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.visits import itinerary
from convene.visits.itinerary import ItemInput, ItineraryError
from convene.visits.models import VisitStatus
from tests.calendar.conftest import parse_all
from tests.visits.scheduling import make_visit, name


@pytest.fixture(autouse=True)
def _feeds_settle_at_once(app):
    app.config["CALENDAR_SETTLE_SECONDS"] = 0


def _token(member) -> str:
    token = subscription_for(member).token
    db.session.commit()
    return token


def _feed(client, url) -> tuple[dict, bytes]:
    response = client.get(url)
    assert response.status_code == 200
    return {e["uid"].split("@")[0]: e for e in parse_all(response.data)}, response.data


def _form(data: dict) -> dict:
    """The itinerary form's fields, named as the page names them."""
    return {f"item-{name}": value for name, value in data.items()}


def _add(visit, day, starts, ends, title="Tour", place=None, actor=None):
    item = itinerary.add_item(
        visit, ItemInput(day=day, starts=starts, ends=ends, title=title, place=place), actor
    )
    db.session.commit()
    return item


def test_named_people_get_the_visit_over_its_days_and_its_itinerary(scene, client):
    s = scene(starts_on=date(2027, 6, 8), ends_on=date(2027, 6, 10))
    name(s.visit, s.guests[0], s.hosts[0])
    tour = _add(s.visit, date(2027, 6, 9), time(9, 0), time(10, 30), "311 centre", "City Hall")
    events, data = _feed(client, f"/calendar/me/{_token(s.guests[0])}.ics")
    visit = events[f"visit-{s.visit.id}"]
    assert (visit["start"], visit["end"]) == ("2027-06-08", "2027-06-11")  # DTEND exclusive
    assert visit["status"] == "CONFIRMED"
    item = events[f"visit-item-{tour.id}"]
    # 09:00 EDT in Louisville.
    assert (item["start"], item["end"]) == ("2027-06-09T13:00:00Z", "2027-06-09T14:30:00Z")
    assert item["sequence"] == visit["sequence"] == s.visit.sequence
    calendar = Calendar.from_ical(data)
    [event] = [e for e in calendar.events if str(e["UID"]).startswith("visit-item-")]
    assert str(event["DTSTART"].params["TZID"]) == "America/Kentucky/Louisville"
    assert str(event["LOCATION"]) == "City Hall"
    [whole] = [e for e in calendar.events if str(e["UID"]).startswith(f"visit-{s.visit.id}@")]
    text = str(whole["DESCRIPTION"])
    assert "To learn about: Our open data portal has few users." in text
    assert "Wed 9 Jun, 09:00–10:30 EDT: 311 centre (City Hall)" in text

    # Not named, not in their feed: a colleague, the other city's champion.
    for member in (s.guests[1], s.host_champion):
        events, _ = _feed(client, f"/calendar/me/{_token(member)}.ics")
        assert not [uid for uid in events if uid.startswith("visit")]


@pytest.mark.parametrize(
    "status", [VisitStatus.REQUESTED, VisitStatus.ACCEPTED, VisitStatus.DECLINED]
)
def test_a_visit_not_approved_is_in_no_calendar(scene, client, status):
    s = scene(status=status, approved_at=None, is_public=True)
    name(s.visit, s.guests[0])
    for url in (f"/calendar/me/{_token(s.guests[0])}.ics", "/calendar/public.ics"):
        events, _ = _feed(client, url)
        assert not [uid for uid in events if uid.startswith("visit")]


def test_the_public_feed_has_public_visits_only_and_without_details(scene, client, make_org):
    s = scene(is_public=True)
    name(s.visit, s.guests[0])
    _add(s.visit, s.visit.starts_on, time(9), time(10), "Private tour")
    quiet = make_visit(make_org("city"), make_org("city"), s.visit.starts_on, title="Quiet one")
    events, data = _feed(client, "/calendar/public.ics")
    assert set(uid for uid in events if uid.startswith("visit")) == {f"visit-{s.visit.id}"}
    assert f"visit-{quiet.id}" not in events
    [event] = [e for e in Calendar.from_ical(data).events if "visit" in str(e["UID"])]
    assert "URL" not in event
    text = str(event["DESCRIPTION"])
    assert text == "Site visit hosted by Louisville, KY, with visitors from Mesa, AZ."
    for private in ("open data portal", "Private tour", "Relaunch", s.guests[0].name):
        assert private not in data.decode(), private


@pytest.mark.parametrize(
    ("zone", "utc_hour"),
    [("America/Phoenix", 16), ("Pacific/Honolulu", 19), ("America/Chicago", None)],
)
@pytest.mark.parametrize("day", [date(2027, 1, 12), date(2027, 7, 13)])
def test_times_are_the_host_citys_all_year(scene, client, zone, utc_hour, day):
    """Phoenix is UTC-7 and Honolulu UTC-10 in January and July alike; Chicago moves."""
    s = scene(host_zone=zone, starts_on=day)
    name(s.visit, s.hosts[0])
    item = _add(s.visit, day, time(9, 0), time(11, 0))
    events, data = _feed(client, f"/calendar/me/{_token(s.hosts[0])}.ics")
    expected = utc_hour if utc_hour is not None else (15 if day.month == 1 else 14)
    start = datetime(day.year, day.month, day.day, expected, tzinfo=UTC)
    assert events[f"visit-item-{item.id}"]["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"TZID={zone}".encode() in data


def test_a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_its_first(scene, client):
    # 14 March 2027: Louisville's clocks go from 02:00 to 03:00; 7 November: 02:00 to 01:00.
    s = scene(starts_on=date(2027, 3, 13), ends_on=date(2027, 3, 15))
    with pytest.raises(ItineraryError, match="does not exist") as problem:
        itinerary.add_item(
            s.visit, ItemInput(date(2027, 3, 14), time(2, 30), time(3, 30), "Night tour"), None
        )
    assert problem.value.field == "starts"
    db.session.rollback()
    assert s.visit.itinerary == []
    spring = _add(s.visit, date(2027, 3, 14), time(1, 30), time(3, 30), "Across the change")
    assert spring.ends_at - spring.starts_at == timedelta(hours=1)  # one real hour

    later = scene(starts_on=date(2027, 11, 6), ends_on=date(2027, 11, 8))
    autumn, member = later.visit, later.hosts[0]
    name(autumn, member)
    item = _add(autumn, date(2027, 11, 7), time(1, 30), time(2, 30), "Twice-struck hour")
    assert item.starts_at == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first
    assert item.ends_at - item.starts_at == timedelta(hours=2)
    events, _ = _feed(client, f"/calendar/me/{_token(member)}.ics")
    assert events[f"visit-item-{item.id}"]["start"] == "2027-11-07T05:30:00Z"


def test_items_fall_within_the_visits_days_and_end_after_they_start(scene):
    s = scene(starts_on=date(2027, 6, 8), ends_on=date(2027, 6, 9))
    bad = [
        (ItemInput(date(2027, 6, 10), time(9), time(10), "After"), "day"),
        (ItemInput(date(2027, 6, 7), time(9), time(10), "Before"), "day"),
        (ItemInput(date(2027, 6, 8), time(10), time(9), "Backwards"), "ends"),
        (ItemInput(date(2027, 6, 8), time(9), time(10), "   "), "title"),
    ]
    for data, field in bad:
        with pytest.raises(ItineraryError) as problem:
            itinerary.add_item(s.visit, data, None)
        assert problem.value.field == field
        db.session.rollback()
    assert s.visit.itinerary == [] and s.visit.sequence == 0


def test_the_itinerary_form_says_what_is_wrong_and_saves_nothing(scene, client_for):
    s = scene(starts_on=date(2027, 3, 13), ends_on=date(2027, 3, 15))
    client = client_for(s.host_champion)
    url = f"/visits/{s.visit.id}/itinerary/new"
    cases = {
        "does not exist on 14 March 2027": {"day": "2027-03-14", "starts": "02:30"},
        "Choose a day of the visit": {"day": "2027-04-01"},
        "End after it starts": {"ends": "08:00"},
        "Give the item a title": {"title": ""},
        "Give a time, as HH:MM.": {"starts": "25:99"},
    }
    for message, change in cases.items():
        data = {"title": "Tour", "day": "2027-03-13", "starts": "09:00", "ends": "10:00"}
        response = client.post(url, data=_form(data | change))
        assert response.status_code == 400, message
        assert message in response.text, message
    db.session.expire_all()
    assert s.visit.itinerary == [] and s.visit.sequence == 0
    response = client.post(
        url, data=_form({"title": "Tour", "day": "2027-03-13", "starts": "09:00", "ends": "10:00"})
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [i.title for i in s.visit.itinerary] == ["Tour"]


@pytest.mark.parametrize("who", ["member", "named visitor", "outsider champion"])
def test_only_its_cities_champions_and_admins_edit_the_itinerary(
    scene, client_for, make_member, who
):
    s = scene()
    name(s.visit, s.guests[0])
    actor = {
        "member": s.hosts[1],
        "named visitor": s.guests[0],
        "outsider champion": make_member("champion"),
    }[who]
    day = s.visit.starts_on.isoformat()
    response = client_for(actor).post(
        f"/visits/{s.visit.id}/itinerary/new",
        data=_form({"title": "Tour", "day": day, "starts": "09:00", "ends": "10:00"}),
    )
    assert response.status_code in (403, 404)
    db.session.expire_all()
    assert s.visit.itinerary == []
    for actor in (s.host_champion, s.guest_champion, s.admin):
        response = client_for(actor).post(
            f"/visits/{s.visit.id}/itinerary/new",
            data=_form(
                {"title": f"By {actor.name}", "day": day, "starts": "09:00", "ends": "10:00"}
            ),
        )
        assert response.status_code == 302
    db.session.expire_all()
    assert len(s.visit.itinerary) == 3


def test_feeds_rebuild_when_the_visit_or_its_itinerary_changes_and_only_then(
    scene, client, make_member
):
    s = scene()
    name(s.visit, s.guests[0])
    token = _token(s.guests[0])
    url = f"/calendar/me/{token}.ics"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    item = itinerary.add_item(
        s.visit, ItemInput(s.visit.starts_on, time(9), time(10), "Tour"), s.host_champion
    )
    assert f"member:{s.guests[0].id}" in pending_scopes(db.session)
    db.session.commit()
    second = client.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 200 and f"visit-item-{item.id}".encode() in second.data

    # Someone else's change (another member's feed, a report) leaves it cached.
    other = make_member()
    other.title = "Analyst"
    db.session.commit()
    assert client.get(url, headers={"If-None-Match": second.headers["ETag"]}).status_code == 304

    s.visit.is_public = True
    db.session.commit()
    public = client.get("/calendar/public.ics")
    assert f"visit-{s.visit.id}".encode() in public.data


def test_visit_feeds_run_a_fixed_number_of_queries(scene, client, make_org, count_queries):
    s = scene(is_public=True)
    member = s.guests[0]
    token = _token(member)
    counts = []
    for n in (2, 6):
        for i in range(n):
            visit = make_visit(
                make_org("city"), s.guest, s.visit.starts_on + timedelta(days=i), is_public=True
            )
            name(visit, member)
            _add(visit, visit.starts_on, time(9), time(10), f"Item {i}")
            _add(visit, visit.starts_on, time(11), time(12), f"Other {i}")
        row = []
        for url in (f"/calendar/me/{token}.ics", "/calendar/public.ics"):
            feed_cache().clear()
            with count_queries() as q:
                assert client.get(url).status_code == 200
            row.append(q.count)
        counts.append(row)
    assert counts[0] == counts[1]


def test_the_visits_calendar_file_is_for_those_who_may_see_it(scene, client_for, make_member):
    s = scene()
    name(s.visit, s.guests[0])
    item = _add(s.visit, s.visit.starts_on, time(9), time(10), "Tour")
    url = f"/visits/{s.visit.id}/visit.ics"
    response = client_for(s.guests[0]).get(url)
    assert response.status_code == 200
    uids = {e["uid"].split("@")[0] for e in parse_all(response.data)}
    assert uids == {f"visit-{s.visit.id}", f"visit-item-{item.id}"}
    assert client_for(make_member()).get(url).status_code == 404
    assert client_for(s.guests[1]).get(url).status_code == 404


def test_its_people_are_reminded_once_before_it_opens(scene, deliver_mail):
    from convene.notifications.reminders import send_reminders

    s = scene(starts_on=date(2027, 6, 8), ends_on=date(2027, 6, 9))
    name(s.visit, s.guests[0], s.hosts[0])
    tour = _add(s.visit, date(2027, 6, 8), time(10), time(12), "Welcome")
    deliver_mail()
    opening = tour.starts_at  # 14:00 UTC
    assert send_reminders(opening - timedelta(hours=25)) == 0  # not yet
    assert send_reminders(opening - timedelta(hours=23)) == 2
    assert send_reminders(opening - timedelta(hours=22)) == 0  # once
    mail = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert set(mail) == {s.guests[0].email, s.hosts[0].email}
    text = mail[s.guests[0].email].get_body(("plain",)).get_content()
    assert "Starts Tue 8 Jun 2027, 10:00 EDT in Louisville" in text
    assert "Welcome" in text and "07:00 MST for you" in text  # Mesa's own time
    # Moved, a fresh one for the new opening; cancelled, none.
    from convene.visits import changes

    s.visit.status = VisitStatus.APPROVED
    changes.move_visit(s.visit, date(2027, 6, 15), date(2027, 6, 16), None, date(2027, 5, 1))
    db.session.commit()
    assert send_reminders(tour.starts_at - timedelta(hours=23)) == 2
    changes.move_visit(s.visit, date(2027, 6, 22), date(2027, 6, 23), None, date(2027, 5, 1))
    changes.cancel_visit(s.visit, "Called off", None)
    db.session.commit()
    assert send_reminders(tour.starts_at - timedelta(hours=23)) == 0
