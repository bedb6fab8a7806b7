"""The summit page's warnings before a place is given up or a clash is picked, past summits,
the summit's feed, and the seating picture's text alternative."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from convene.extensions import db
from convene.summit import seating
from convene.summit.models import AgendaPick, Registration, RegistrationStatus, SessionSignup
from convene.summit.sessions import join_session
from convene.types import utcnow

# --- giving up a place others want --------------------------------------------------------


def test_cancelling_while_people_wait_asks_first_and_says_the_place_is_gone_for_good(
    client_for, make_summit, make_member, make_registration
):
    summit = make_summit(capacity=1)
    holder, waiting = make_member(), make_member()
    registration = make_registration(summit, holder)
    make_registration(summit, waiting, "waitlisted")
    client = client_for(holder)
    html = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    confirm_url = f"/summit/{summit.slug}/registrations/{registration.id}/cancel"
    # The page's button leads to the warning (a GET form), not straight to the cancel.
    assert f'method="get" action="{confirm_url}"' in html
    page = client.get(confirm_url).get_data(as_text=True)
    assert "1 person is waiting for a place" in page
    assert "goes at once to the next person on the waitlist" in page
    assert "cannot be taken back" in page
    assert 'name="confirm_loss" value="yes"' in page
    # Posting without having seen it leads to it, and changes nothing.
    answer = client.post(confirm_url)
    assert answer.status_code == 303 and answer.location.endswith(confirm_url)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED
    client.post(confirm_url, data={"confirm_loss": "yes"})
    db.session.expire_all()
    statuses = {r.member_id: r.status for r in db.session.scalars(select(Registration))}
    assert statuses == {holder.id: RegistrationStatus.CANCELLED, waiting.id: "confirmed"}


def test_cancelling_when_full_with_nobody_waiting_warns_too(
    client_for, make_summit, make_member, make_registration
):
    summit = make_summit(capacity=1)
    holder = make_member()
    registration = make_registration(summit, holder)
    page = (
        client_for(holder)
        .get(f"/summit/{summit.slug}/registrations/{registration.id}/cancel")
        .get_data(as_text=True)
    )
    assert f"{summit.name} is full" in page and "the next person who registers" in page


def test_cancelling_a_place_nobody_wants_needs_no_warning(
    client_for, make_summit, make_member, make_registration
):
    summit = make_summit(capacity=5)
    holder = make_member()
    registration = make_registration(summit, holder)
    client = client_for(holder)
    html = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    assert f'method="get" action="/summit/{summit.slug}/registrations' not in html
    client.post(f"/summit/{summit.slug}/registrations/{registration.id}/cancel")
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CANCELLED


def test_leaving_a_full_session_asks_first(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    holder, other, waiting = make_member(), make_member(), make_member()
    for m in (holder, other, waiting):
        make_registration(summit, m)
    session = make_session(summit, capacity=2, title="Riverwalk tour")
    for m in (holder, other, waiting):
        join_session(session, m)
        db.session.commit()
    client = client_for(holder)
    leave_url = f"/summit/{summit.slug}/sessions/{session.id}/leave"
    html = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    assert f'method="get" action="{leave_url}"' in html
    page = client.get(leave_url).get_data(as_text=True)
    assert "1 person is waiting for a place at Riverwalk tour" in page
    assert "your place goes at once to the next person waiting" in page
    assert "cannot be taken back" in page
    answer = client.post(leave_url)
    assert answer.status_code == 303
    assert db.session.scalar(select(func.count(SessionSignup.id))) == 3
    client.post(leave_url, data={"confirm_loss": "yes"})
    db.session.expire_all()
    held = {s.member_id: s.status.value for s in db.session.scalars(select(SessionSignup))}
    assert held == {other.id: "signed_up", waiting.id: "signed_up"}


def test_leaving_a_session_with_room_goes_straight_through(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member)
    session = make_session(summit, capacity=5)
    join_session(session, member)
    db.session.commit()
    client_for(member).post(f"/summit/{summit.slug}/sessions/{session.id}/leave")
    assert db.session.scalar(select(func.count(SessionSignup.id))) == 0


# --- clashing picks ------------------------------------------------------------------------


def test_picking_a_parallel_breakout_warns_names_the_other_and_asks(
    client_for, make_summit, make_member, make_registration, make_agenda_item
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member)
    at_ten = datetime(2027, 4, 13, 14, tzinfo=UTC)
    data = make_agenda_item(
        summit, kind="breakout", title="Open data", starts_at=at_ten,
        ends_at=at_ten + timedelta(hours=1),
    )  # fmt: skip
    budgets = make_agenda_item(
        summit, kind="breakout", title="Budgets", starts_at=at_ten + timedelta(minutes=30),
        ends_at=at_ten + timedelta(hours=1, minutes=30),
    )  # fmt: skip
    later = make_agenda_item(
        summit, kind="breakout", title="Contracts", starts_at=at_ten + timedelta(hours=2),
        ends_at=at_ten + timedelta(hours=3),
    )  # fmt: skip
    client = client_for(member)
    base = f"/summit/{summit.slug}/agenda"
    client.post(f"{base}/{data.id}/pick")
    client.post(f"{base}/{later.id}/pick")  # no clash: straight on the agenda
    answer = client.post(f"{base}/{budgets.id}/pick")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Budgets (10:30–11:30 EDT) is at the same time as" in page
    assert "Open data (10:00–11:00 EDT), which is already on your agenda" in page
    warning = page[page.index('id="clash-warning"') :]
    assert "Contracts" not in warning[: warning.index("</p>")]
    assert 'name="confirm_clash" value="yes"' in page
    picks = set(db.session.scalars(select(AgendaPick.agenda_item_id)))
    assert picks == {data.id, later.id}
    client.post(f"{base}/{budgets.id}/pick", data={"confirm_clash": "yes"})
    assert set(db.session.scalars(select(AgendaPick.agenda_item_id))) == {
        data.id,
        later.id,
        budgets.id,
    }


def test_a_pick_that_overlaps_a_social_session_held_names_it(
    client_for, make_summit, make_member, make_registration, make_agenda_item, make_session
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member)
    session = make_session(summit, title="Rooftop reception")  # 22:00-00:00 UTC, 12 April
    join_session(session, member)
    db.session.commit()
    visit = make_agenda_item(
        summit, kind="site_visit", title="Night walk",
        starts_at=datetime(2027, 4, 12, 23, tzinfo=UTC),
        ends_at=datetime(2027, 4, 13, 0, 30, tzinfo=UTC),
    )  # fmt: skip
    page = (
        client_for(member)
        .post(f"/summit/{summit.slug}/agenda/{visit.id}/pick")
        .get_data(as_text=True)
    )
    assert "Rooftop reception, which is already on your agenda" in page


# --- past summits --------------------------------------------------------------------------


def test_past_summits_are_listed_by_year_and_read_only(
    client_for, make_summit, make_member, make_registration, make_agenda_item
):
    now = utcnow()
    past = make_summit(
        name="What Works Cities Summit 2016",
        starts_on=date(2016, 4, 18),
        ends_on=date(2016, 4, 19),
        registration_opens_at=datetime(2016, 1, 11, tzinfo=UTC),
        registration_closes_at=datetime(2016, 4, 1, tzinfo=UTC),
    )
    make_agenda_item(
        past, kind="breakout", title="Data-driven budgeting",
        starts_at=datetime(2016, 4, 18, 14, tzinfo=UTC),
        ends_at=datetime(2016, 4, 18, 15, tzinfo=UTC),
    )  # fmt: skip
    current = make_summit(name="What Works Cities Summit 2027")
    member = make_member()
    registration = make_registration(past, member, registered_at=now)
    client = client_for(member)
    html = client.get("/summit/").get_data(as_text=True)
    assert "What Works Cities Summit 2027" in html
    assert 'id="other-summits-heading">Earlier summits' in html
    assert (
        f'href="/summit/{past.slug}"><strong>2016</strong>: What Works Cities Summit 2016' in html
    )
    page = client.get(f"/summit/{past.slug}").get_data(as_text=True)
    assert "This summit is over" in page
    assert "Data-driven budgeting" in page and "Monday 18 April 2016" in page
    assert "Convene Hall" in page  # the place
    assert "Add to my agenda" not in page and "Cancel my registration" not in page
    assert f"/summit/{current.slug}" in page  # the later summit is reachable from it
    answer = client.post(
        f"/summit/{past.slug}/registrations/{registration.id}/cancel",
        data={"confirm_loss": "yes"},
        follow_redirects=True,
    )
    assert "is over" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED


def test_the_summit_page_costs_the_same_queries_with_more_past_summits(
    client, make_summit, count_queries
):
    current = make_summit()
    counts = []
    for n in (2, 6):
        while len(current_and_past := _summits()) < n + 1:
            year = 2016 + len(current_and_past)
            make_summit(
                starts_on=date(year, 4, 18),
                ends_on=date(year, 4, 19),
                registration_opens_at=datetime(year, 1, 1, tzinfo=UTC),
                registration_closes_at=datetime(year, 4, 1, tzinfo=UTC),
            )
        db.session.expire_all()
        with count_queries() as q:
            html = client.get(f"/summit/{current.slug}").get_data(as_text=True)
        assert html.count("<strong>20") == n
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def _summits():
    from convene.summit.models import Summit

    return db.session.scalars(select(Summit)).all()


# --- the feed, and the seating picture -----------------------------------------------------


def test_the_summit_page_offers_its_feed_to_paste_into_web_calendars(client, make_summit):
    summit = make_summit()
    html = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    feed = f"/calendar/summits/{summit.id}.ics"
    assert 'href="webcal://' in html and feed in html
    assert 'id="summit-feed"' in html and 'value="http://' in html
    assert "Paste it into Google Calendar or Outlook on the web" in html


def test_the_seating_picture_has_a_name_and_a_who_sits_where_table(
    client_for, make_summit, make_member, make_org, make_registration, make_session
):
    summit = make_summit()
    people = [make_member(organisation=make_org(name=f"City {i}")) for i in range(4)]
    for m in people:
        make_registration(summit, m)
    dinner = make_session(summit, kind="assigned", title="Dinner")
    slot = seating.add_slot(
        dinner,
        "Night 1",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=2,
        seats=3,
    )
    seating.run_assignment(dinner, seed=1)
    db.session.commit()
    html = (
        client_for(make_member("admin"))
        .get(f"/summit/{summit.slug}/sessions/{dinner.id}/seating")
        .get_data(as_text=True)
    )
    assert 'aria-label="Seating picture of Night 1: 2 tables, each person coloured by city"' in html
    assert f'href="#seating-text-{slot.id}"' in html
    table = html[html.index(f'id="seating-text-{slot.id}"') :]
    table = table[: table.index("</table>")]
    assert "<caption>Who sits where in Night 1</caption>" in table
    assert table.count('<th scope="row">Table ') == 2
    for m in people:
        assert f"{m.name} ({m.organisation.name})" in table


def test_a_table_is_never_named_table_table():
    from convene.summit.models import SessionTable

    assert SessionTable(name="Table 3").label == "Table 3"
    assert SessionTable(name="table 3").label == "table 3"
    assert SessionTable(name="Garden").label == "table Garden"


def test_a_place_at_a_past_summit_cannot_be_passed_on(
    client_for, make_summit, make_member, make_org, make_registration
):
    past = make_summit(
        starts_on=date(2016, 4, 18),
        ends_on=date(2016, 4, 19),
        registration_opens_at=datetime(2016, 1, 11, tzinfo=UTC),
        registration_closes_at=datetime(2016, 4, 1, tzinfo=UTC),
    )
    city = make_org()
    champion, holder = make_member("champion", organisation=city), make_member(organisation=city)
    registration = make_registration(past, holder)
    answer = client_for(champion).post(
        f"/summit/{past.slug}/registrations/{registration.id}/substitute",
        data={"member_id": champion.id},
        follow_redirects=True,
    )
    assert "is over" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).member_id == holder.id


def test_the_summit_page_names_the_venue_zone_as_people_read_it(client, make_summit):
    summit = make_summit(zone="America/Phoenix")
    page = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    assert "Times at the venue are Mountain, no daylight saving — Phoenix." in page
    assert "America/Phoenix" not in page.split("<footer", 1)[0]
