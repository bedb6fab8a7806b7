"""The summit in feeds and invitations: one all-day event for the summit, timed agenda
items and social sessions in the summit's zone, a member's registration, picks and tables."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.summit import registration as registrations
from convene.summit import seating
from convene.summit.agenda import pick_item
from convene.summit.models import AgendaPick, SessionSignup, SignupStatus
from tests.calendar.conftest import calendar_part, icaljs, parse_all


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return {e["uid"].split("@")[0]: e for e in parse_all(response.data)}, response.data


def test_public_feed_has_the_summit_as_one_all_day_event_and_its_public_agenda(
    client, make_summit, make_agenda_item
):
    summit = make_summit(name="Summit 2027")
    plenary = make_agenda_item(summit, title="Opening plenary")
    private = make_agenda_item(summit, kind="breakout", title="Staff only", is_public=False)
    events, data = _feed(client, "/calendar/public.ics")
    assert set(events) == {f"summit-{summit.id}", f"agenda-item-{plenary.id}"}
    whole = events[f"summit-{summit.id}"]
    assert (whole["start"], whole["end"]) == ("2027-04-12", "2027-04-15")
    assert events[f"agenda-item-{plenary.id}"]["start"] == "2027-04-12T13:00:00Z"
    assert b"DTSTART;TZID=America/New_York:20270412T090000" in data
    assert private.title.encode() not in data
    seen = {e["uid"].split("@")[0]: e for e in icaljs(data)["events"]}
    assert seen[f"summit-{summit.id}"]["all_day"] is True
    assert seen[f"agenda-item-{plenary.id}"]["all_day"] is False


def test_summit_feed_adds_social_sessions_and_published_sittings(
    client, make_summit, make_session, make_agenda_item
):
    summit = make_summit()
    make_agenda_item(summit)
    reception = make_session(summit, title="Rooftop reception")
    dinner = make_session(summit, kind="assigned", title="Cross-city dinners", place="Loft")
    slot = seating.add_slot(
        dinner, "Night 1", datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC), tables=2, seats=4,
    )  # fmt: skip
    db.session.commit()
    url = f"/calendar/summits/{summit.id}.ics"
    events, _data = _feed(client, url)
    assert f"social-session-{reception.id}" in events
    assert f"session-slot-{slot.id}" not in events  # not published yet
    dinner.is_published = True
    dinner.revision += 1
    db.session.commit()
    events, data = _feed(client, url)
    assert events[f"session-slot-{slot.id}"]["summary"] == "Cross-city dinners: Night 1"
    assert Calendar.from_ical(data)["NAME"].endswith(summit.name)
    assert client.get("/calendar/summits/9999.ics").status_code == 404


def test_personal_feed_carries_registration_agenda_sessions_and_tables(
    client, make_member, make_summit, make_agenda_item, make_session, make_registration
):
    member = make_member()
    summit = make_summit()
    registration = make_registration(summit, member)
    plenary = make_agenda_item(summit)
    picked = make_agenda_item(summit, kind="breakout", title="Data inventories")
    skipped = make_agenda_item(summit, kind="breakout", title="Not for me")
    pick_item(picked, member)
    reception = make_session(summit, title="Reception")
    db.session.add(SessionSignup(session=reception, member=member, status=SignupStatus.SIGNED_UP))
    dinner = make_session(summit, kind="assigned", title="Dinner", is_published=True)
    slot = seating.add_slot(
        dinner, "Night 1", datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC), tables=1, seats=4,
    )  # fmt: skip
    from convene.summit.models import SeatAssignment

    db.session.add(SeatAssignment(slot_id=slot.id, table_id=slot.tables[0].id, member_id=member.id))
    db.session.commit()
    token = subscription_for(member).token
    db.session.commit()
    events, _ = _feed(client, f"/calendar/me/{token}.ics")
    assert set(events) == {
        f"summit-registration-{registration.id}",
        f"agenda-item-{plenary.id}",
        f"agenda-item-{picked.id}",
        f"social-session-{reception.id}",
        f"session-slot-{slot.id}",
    }
    assert skipped.id not in {int(k.rsplit("-", 1)[1]) for k in events if "agenda" in k}
    assert events[f"session-slot-{slot.id}"]["summary"] == "Dinner: Night 1 (Table 1)"
    assert events[f"summit-registration-{registration.id}"]["start"] == "2027-04-12"

    # A cancelled breakout stays, marked, with a higher SEQUENCE.
    picked.is_cancelled = True
    picked.revision += 1
    db.session.commit()
    events, _ = _feed(client, f"/calendar/me/{token}.ics")
    assert events[f"agenda-item-{picked.id}"]["status"] == "CANCELLED"
    assert events[f"agenda-item-{picked.id}"]["summary"] == "Cancelled: Data inventories"


def test_waitlisted_member_sees_only_their_place_in_the_queue(
    client, make_member, make_summit, make_agenda_item, make_registration
):
    member = make_member()
    summit = make_summit()
    registration = make_registration(summit, member, status="waitlisted")
    make_agenda_item(summit)
    token = subscription_for(member).token
    db.session.commit()
    events, _ = _feed(client, f"/calendar/me/{token}.ics")
    assert list(events) == [f"summit-registration-{registration.id}"]
    assert events[f"summit-registration-{registration.id}"]["summary"].startswith("Waitlist: ")


def test_summit_feeds_run_a_fixed_number_of_queries(
    client, app, make_member, make_summit, make_agenda_item, make_registration, count_queries
):
    from convene.calendar.publishing import feed_cache

    member = make_member()
    token = subscription_for(member).token
    counts = []
    for n in (1, 12):
        summit = make_summit()
        make_registration(summit, member)
        for i in range(n):
            item = make_agenda_item(summit, kind="breakout", title=f"Breakout {i}")
            db.session.add(AgendaPick(agenda_item_id=item.id, member_id=member.id))
        db.session.commit()
        row = []
        for url in (f"/calendar/me/{token}.ics", "/calendar/public.ics"):
            feed_cache().clear()
            with count_queries() as q:
                assert client.get(url).status_code == 200
            row.append(q.count)
        counts.append(row)
    assert counts[0] == counts[1]


def test_summit_mails_carry_requests_and_cancels(make_member, make_summit, make_org, deliver_mail):
    summit = make_summit(capacity=5)
    member = make_member()
    registration = registrations.register(summit, member)
    db.session.commit()
    (confirmed,) = deliver_mail()
    part = calendar_part(confirmed)
    assert part.get_param("method") == "REQUEST"
    (event,) = parse_all(part.get_payload(decode=True))
    assert event["uid"] == f"summit-registration-{registration.id}@convene"
    assert (event["start"], event["end"]) == ("2027-04-12", "2027-04-15")

    registrations.cancel(registration, member)
    db.session.commit()
    (cancelled,) = deliver_mail()
    part = calendar_part(cancelled)
    assert part.get_param("method") == "CANCEL"
    (gone,) = parse_all(part.get_payload(decode=True))
    assert gone["uid"] == event["uid"] and gone["sequence"] > event["sequence"]
    assert gone["status"] == "CANCELLED"


def test_published_tables_arrive_as_one_message_per_sitting(
    make_member, make_org, make_summit, make_session, make_registration, deliver_mail
):
    summit = make_summit()
    people = [make_member(organisation=make_org("city")) for _ in range(4)]
    for person in people:
        make_registration(summit, person)
    dinner = make_session(summit, kind="assigned", title="Dinners")
    for night in (1, 2):
        start = datetime(2027, 4, 11 + night, 23, tzinfo=UTC)
        seating.add_slot(dinner, f"Night {night}", start, start + timedelta(hours=2), 1, 4)
    db.session.commit()
    seating.run_assignment(dinner, seed=1)
    db.session.commit()
    assert seating.publish(dinner) == 4
    db.session.commit()
    messages = deliver_mail()
    mine = [m for m in messages if people[0].email in m["To"]]
    parts = [p for m in mine for p in m.walk() if p.get_content_type() == "text/calendar"]
    assert len(mine) == 2 and [p.get_param("method") for p in parts] == ["REQUEST", "REQUEST"]
    summaries = sorted(parse_all(p.get_payload(decode=True))[0]["summary"] for p in parts)
    assert summaries == ["Dinners: Night 1 (Table 1)", "Dinners: Night 2 (Table 1)"]


def test_summit_page_offers_subscription_downloads_and_add_links(
    client, make_summit, make_agenda_item
):
    summit = make_summit()
    item = make_agenda_item(summit, title="Opening plenary")
    html = client.get(f"/summit/{summit.slug}").data.decode()
    assert f'href="webcal://convene.test/calendar/summits/{summit.id}.ics"' in html
    assert f'href="/calendar/summits/{summit.id}/days.ics"' in html
    assert f'href="/calendar/agenda/{item.id}.ics"' in html
    assert "text=Opening+plenary" in html
    days = client.get(f"/calendar/summits/{summit.id}/days.ics")
    (event,) = parse_all(days.data)
    assert (event["start"], event["end"]) == ("2027-04-12", "2027-04-15")
    (one,) = parse_all(client.get(f"/calendar/agenda/{item.id}.ics").data)
    assert one["uid"] == f"agenda-item-{item.id}@convene"


def test_agenda_items_off_the_public_agenda_need_sign_in(
    client, client_for, make_member, make_summit, make_agenda_item
):
    item = make_agenda_item(make_summit(), is_public=False)
    assert client.get(f"/calendar/agenda/{item.id}.ics").status_code == 404
    assert client_for(make_member()).get(f"/calendar/agenda/{item.id}.ics").status_code == 200
    assert client.get("/calendar/agenda/99999.ics").status_code == 404
    assert client.get("/calendar/summits/99999/days.ics").status_code == 404
