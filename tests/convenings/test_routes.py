import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from convene.convenings import rotation
from convene.convenings.models import (
    Attendance,
    Call,
    CallStatus,
    Rsvp,
    RsvpAnswer,
    Series,
    SwapRequest,
    SwapStatus,
)
from convene.extensions import db
from tests.convenings.conftest import calls_of

PHOENIX = ZoneInfo("America/Phoenix")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def hosted(make_org, make_member, make_series, make_call):
    """A call hosted by partner A, with hosts of A and B, a member, a champion and an admin."""
    a, b = make_org("partner", name="Partner A"), make_org("partner", name="Partner B")
    series = make_series(partners=[a, b])
    call = make_call(series=series, host_organisation_id=a.id, title="Open data policy")
    people = {
        "host": make_member("host", organisation=a),
        "other_host": make_member("host", organisation=b),
        "member": make_member(),
        "champion": make_member("champion"),
        "admin": make_member("admin"),
    }
    return call, people


HOST_PAGES = ["agenda", "move", "cancel", "swap"]


@pytest.mark.parametrize("page", HOST_PAGES)
def test_host_pages_by_role(hosted, client, client_for, page):
    call, people = hosted
    url = f"/calls/{call.id}/{page}"
    assert client.get(url).status_code in (302, 401)  # the public signs in first
    for who in ("member", "champion", "other_host"):
        assert client_for(people[who]).get(url).status_code == 403, who
    for who in ("host", "admin"):
        assert client_for(people[who]).get(url).status_code == 200, who


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/hosting", {"host", "other_host", "admin"}),
        ("/admin/participation", {"admin"}),
        ("/admin/series", {"admin"}),
        ("/admin/series/new", {"admin"}),
        ("/calls/{id}/reassign", {"admin"}),
    ],
)
def test_role_pages(hosted, client, client_for, url, allowed):
    call, people = hosted
    url = url.format(id=call.id)
    assert client.get(url).status_code == 302
    for who, member in people.items():
        expected = 200 if who in allowed else 403
        assert client_for(member).get(url).status_code == expected, who


def test_post_by_a_member_changes_nothing(hosted, client_for):
    call, people = hosted
    start = call.starts_at
    response = client_for(people["member"]).post(f"/calls/{call.id}/cancel", data={"reason": "No"})
    assert response.status_code == 403
    db.session.refresh(call)
    assert call.status == CallStatus.SCHEDULED and call.starts_at == start


def test_public_sees_date_host_and_topic_but_no_join_details(hosted, client, client_for):
    call, people = hosted
    page = client.get("/calls").get_data(as_text=True)
    assert "Partner A" in page and "Open data policy" in page
    assert "meet.example.org" not in page and "646 555 0100" not in page
    call_page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "meet.example.org" not in call_page and "Open data policy" in call_page
    signed_in = client_for(people["member"]).get("/calls").get_data(as_text=True)
    assert "https://meet.example.org/network" in signed_in and "123 456" in signed_in


def test_dst_call_pages_for_a_phoenix_viewer(make_series, make_member, client_for):
    """13:00 New York across 1 Nov 2026: Phoenix sees 10:00 MST before, 11:00 MST after."""
    series = make_series(first_date=date(2026, 10, 15))
    rotation.materialise(series, date(2026, 11, 13))
    db.session.commit()
    before, _, after = calls_of(series)
    viewer = client_for(make_member(zone="America/Phoenix"))
    first = viewer.get(f"/calls/{before.id}").get_data(as_text=True)
    second = viewer.get(f"/calls/{after.id}").get_data(as_text=True)
    assert "Thu 15 Oct 2026, 10:00 MST (America/Phoenix)" in first
    assert "Thu 12 Nov 2026, 11:00 MST (America/Phoenix)" in second
    assert "13:00 EDT in New York" in first and "13:00 EST in New York" in second
    new_yorker = client_for(make_member(zone="America/New_York"))
    assert "13:00 EDT (America/New_York)" in new_yorker.get(f"/calls/{before.id}").get_data(
        as_text=True
    )


def _next_new_york_dst_change(after: date) -> date:
    day = after
    while True:
        noon = datetime.combine(day, time(12), tzinfo=NEW_YORK)
        following = datetime.combine(day + timedelta(days=1), time(12), tzinfo=NEW_YORK)
        if noon.utcoffset() != following.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)


def test_upcoming_page_shows_each_call_in_the_viewers_zone_across_dst(
    make_series, make_member, client_for
):
    change = _next_new_york_dst_change(date.today() + timedelta(days=2))
    series = make_series(first_date=change - timedelta(days=7), interval_weeks=1)
    rotation.materialise(series, change + timedelta(days=7))
    db.session.commit()
    page = client_for(make_member(zone="America/Phoenix")).get("/calls").get_data(as_text=True)
    hours = {c.starts_at.astimezone(PHOENIX).strftime("%H:%M MST") for c in calls_of(series)}
    assert hours == {"10:00 MST", "11:00 MST"}
    for call in calls_of(series):
        local = call.starts_at.astimezone(PHOENIX)
        assert f"{local:%a %-d %b %Y, %H:%M} MST (America/Phoenix)" in page
        assert call.starts_at.astimezone(NEW_YORK).time() == time(13, 0)


def test_rsvp_by_form_and_the_call_page_groups_by_organisation(
    hosted, client_for, make_member, make_org
):
    call, people = hosted
    tulsa = make_org("city", name="Tulsa")
    person = make_member(organisation=tulsa, name="Rosa Rivera")
    response = client_for(person).post(
        f"/calls/{call.id}/rsvp", data={"answer": "yes"}, follow_redirects=True
    )
    assert "Your answer is saved: yes." in response.get_data(as_text=True)
    page = client_for(people["member"]).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "<strong>Tulsa, NY</strong>: Rosa Rivera" in page
    bad = client_for(person).post(f"/calls/{call.id}/rsvp", data={"answer": "perhaps"})
    assert bad.status_code == 302
    assert db.session.scalar(select(Rsvp.answer).where(Rsvp.call_id == call.id)) == "yes"


def test_rsvp_after_the_start_is_refused_with_a_message(make_call, make_member, client_for):
    call = make_call(starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))
    response = client_for(make_member()).post(
        f"/calls/{call.id}/rsvp", data={"answer": "yes"}, follow_redirects=True
    )
    assert "answers can no longer be changed" in response.get_data(as_text=True)
    assert db.session.scalar(select(Rsvp.id).where(Rsvp.call_id == call.id)) is None


def test_host_moves_by_form_in_a_zone_of_their_choice(hosted, client_for):
    call, people = hosted
    revision = call.revision
    day = (call.starts_at + timedelta(days=3)).date()
    response = client_for(people["host"]).post(
        f"/calls/{call.id}/move",
        data={
            "day": day.isoformat(),
            "wall_time": "09:30",
            "zone": "America/Phoenix",
            "duration_minutes": "45",
        },
    )
    assert response.status_code == 302
    db.session.refresh(call)
    assert call.starts_at == datetime.combine(day, time(9, 30), tzinfo=PHOENIX)
    assert call.duration_minutes == 45 and call.revision == revision + 1


def test_moving_into_a_dst_gap_is_refused_clearly(hosted, client_for):
    call, people = hosted
    start = call.starts_at
    response = client_for(people["host"]).post(
        f"/calls/{call.id}/move",
        data={
            "day": "2030-03-10",
            "wall_time": "02:30",
            "zone": "America/New_York",
            "duration_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "the clocks skip that hour" in response.get_data(as_text=True)
    db.session.refresh(call)
    assert call.starts_at == start


def test_cancelled_call_stays_listed_as_cancelled(hosted, client, client_for):
    call, people = hosted
    client_for(people["host"]).post(f"/calls/{call.id}/cancel", data={"reason": "Holiday week"})
    page = client.get("/calls").get_data(as_text=True)
    assert "Cancelled" in page and "Holiday week" in page


def test_swap_by_forms(hosted, client_for, make_call):
    call, people = hosted
    other = make_call(
        series=call.series,
        starts_at=call.starts_at + timedelta(days=14),
        host_organisation_id=people["other_host"].organisation_id,
    )
    response = client_for(people["host"]).post(
        f"/calls/{call.id}/swap", data={"other_call_id": other.id, "message": "Please"}
    )
    assert response.status_code == 302
    swap = db.session.scalar(select(SwapRequest))
    dashboard = client_for(people["other_host"]).get("/hosting").get_data(as_text=True)
    assert "Accept" in dashboard and "Please" in dashboard
    assert client_for(people["member"]).post(f"/calls/swaps/{swap.id}/accept").status_code == 403
    client_for(people["other_host"]).post(f"/calls/swaps/{swap.id}/accept")
    db.session.expire_all()
    assert db.session.get(SwapRequest, swap.id).status == SwapStatus.ACCEPTED
    assert (
        db.session.get(Call, call.id).host_organisation_id == people["other_host"].organisation_id
    )


def test_admin_reassigns_by_form(hosted, client_for):
    call, people = hosted
    response = client_for(people["admin"]).post(
        f"/calls/{call.id}/reassign",
        data={"organisation_id": people["other_host"].organisation_id},
    )
    assert response.status_code == 302
    db.session.refresh(call)
    assert call.host_organisation_id == people["other_host"].organisation_id


def test_host_records_notes_resources_and_attendance(make_call, make_member, client_for):
    call = make_call(starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3))
    host = make_member("host", organisation=call.host_organisation)
    attendee = make_member(name="Grace Kim")
    bad = client_for(host).post(
        f"/calls/{call.id}/record",
        data={"notes": "x", "resources": "Deck | ftp://nope", "attendees": [attendee.id]},
    )
    assert "Line 1 of the resources" in bad.get_data(as_text=True)
    ok = client_for(host).post(
        f"/calls/{call.id}/record",
        data={
            "notes": "We compared **311** data.",
            "resources": "Deck | https://example.org/deck",
            "attendees": [attendee.id],
        },
    )
    assert ok.status_code == 302
    page = client_for(host).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "<strong>311</strong>" in page and "https://example.org/deck" in page
    assert "Grace Kim" in page
    db.session.refresh(call)
    assert call.status == CallStatus.HELD


def test_host_dashboard_flags_calls_soon_without_topic_or_agenda(
    make_org, make_member, make_series, make_call, client_for
):
    partner = make_org("partner")
    series = make_series(partners=[partner])
    now = datetime.now(UTC).replace(microsecond=0)
    bare = make_call(series=series, starts_at=now + timedelta(days=5))
    ready = make_call(
        series=series, starts_at=now + timedelta(days=10), title="Budgets", agenda="1. Intro"
    )
    later = make_call(series=series, starts_at=now + timedelta(days=40))
    host = make_member("host", organisation=partner)
    page = client_for(host).get("/hosting").get_data(as_text=True)
    assert page.count("No topic or agenda yet") == 1
    assert "1 call within three weeks still needs a topic or agenda" in page
    assert all(f"/calls/{c.id}" in page for c in (bare, ready, later))


def test_admin_creates_and_edits_a_series_by_form(make_org, make_member, client_for):
    a, b = make_org("partner"), make_org("partner")
    admin = client_for(make_member("admin"))
    first = date.today() + timedelta(days=10)
    data = {
        "name": "Network call",
        "first_date": first.isoformat(),
        "weekday": str(first.weekday()),
        "local_time": "13:00",
        "zone": "America/New_York",
        "interval_weeks": "2",
        "duration_minutes": "60",
        "horizon_weeks": "10",
        "video_url": "https://meet.example.org/x",
        "rotation-0": str(a.id),
        "rotation-1": str(b.id),
        "skips": "not-a-date Holiday",
    }
    bad = admin.post("/admin/series/new", data=data)
    assert "does not start with a date" in bad.get_data(as_text=True)
    assert db.session.scalar(select(Series)) is None
    data["skips"] = f"{(first + timedelta(weeks=2)).isoformat()} Holiday"
    assert admin.post("/admin/series/new", data=data).status_code == 302
    series = db.session.scalar(select(Series))
    calls = calls_of(series)
    assert len(calls) == 4  # weeks 0, 4, 6, 8 (week 2 skipped)
    assert [c.host_organisation_id for c in calls] == [a.id, b.id, a.id, b.id]
    moved = calls[1]
    moved.starts_at += timedelta(hours=1)
    moved.is_time_by_hand = True
    db.session.commit()
    kept = moved.starts_at
    form = admin.get(f"/admin/series/{series.id}/edit").get_data(as_text=True)
    assert "Holiday" in form and 'value="13:00"' in form
    data["local_time"] = "15:00"
    preview = admin.post(f"/admin/series/{series.id}/edit", data=data).get_data(as_text=True)
    assert "Calls moved (3)" in preview  # shown first (tests/convenings/test_series_plans.py)
    key = re.search(r'name="plan_key" type="hidden" value="(\w+)"', preview).group(1)
    confirmed = data | {"plan_key": key, "confirm": "1"}
    assert admin.post(f"/admin/series/{series.id}/edit", data=confirmed).status_code == 302
    db.session.expire_all()
    calls = calls_of(series)
    assert calls[1].starts_at == kept
    assert {c.starts_at.astimezone(NEW_YORK).hour for c in calls if c.id != moved.id} == {15}


def test_archive_search_and_notes(make_call, client):
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    make_call(starts_at=past, title="311 data", notes="Cleaning **categories**.")
    make_call(starts_at=past - timedelta(days=14), title="Open data policy")
    page = client.get("/calls/archive?q=311").get_data(as_text=True)
    assert "311 data" in page and "Open data policy" not in page
    assert "<strong>categories</strong>" in page
    assert "Open data policy" in client.get("/calls/archive").get_data(as_text=True)


def test_participation_page_draws_a_chart_with_the_numbers(
    make_org, make_member, make_call, client_for
):
    city = make_org("city", name="Tulsa", state="OK")
    call = make_call(
        starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=10),
        status=CallStatus.HELD,
    )
    db.session.add(Attendance(call=call, member=make_member(organisation=city)))
    db.session.commit()
    page = client_for(make_member("admin")).get("/admin/participation").get_data(as_text=True)
    assert "<svg" in page and "Tulsa, OK: 1 calls in 12 months" in page
    assert '<th scope="row">Tulsa, OK</th><td class="num">1</td>' in page


# --- the number of queries does not grow with the number of calls ------------------------


def _fill(series, count, members, past=False):
    now = datetime.now(UTC).replace(microsecond=0)
    for n in range(count):
        offset = timedelta(days=n + 1)
        starts_at = now - offset if past else now + offset
        call = Call(
            series=series,
            slot_date=starts_at.date(),
            starts_at=starts_at,
            duration_minutes=60,
            zone=series.zone,
            host_organisation_id=series.rotation[n % len(series.rotation)].organisation_id,
            title=f"Topic {n}",
            notes="Notes" if past else None,
            status=CallStatus.HELD if past else CallStatus.SCHEDULED,
        )
        db.session.add(call)
        for member in members[: n % 3 + 1]:
            if past:
                db.session.add(Attendance(call=call, member=member))
            else:
                db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer.YES))
    db.session.commit()


@pytest.mark.parametrize(
    ("url", "role"), [("/calls", "member"), ("/calls/archive", "member"), ("/hosting", "admin")]
)
def test_call_lists_run_the_same_queries_for_10_and_500_calls(
    url, role, make_series, make_member, client_for, count_queries
):
    members = [make_member() for _ in range(3)]
    viewer = client_for(make_member(role))
    past = url.endswith("archive")
    counts = []
    for series, size in ((make_series(), 10), (make_series(), 490)):
        _fill(series, size, members, past=past)
        viewer.get(url)  # warm up
        with count_queries() as queries:
            response = viewer.get(url)
        assert response.status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts


def test_a_held_call_says_it_was_held_rather_than_started(make_call, make_member, client_for):
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    call = make_call(starts_at=past, status=CallStatus.HELD)
    page = client_for(make_member()).get(f"/calls/{call.id}").get_data(as_text=True)
    assert "This call was held: answers are closed." in page
