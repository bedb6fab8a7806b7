from datetime import UTC, datetime

from sqlalchemy import func, select

from convene.extensions import db
from convene.summit import seating
from convene.summit.models import (
    AgendaItem,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SessionSignup,
    SocialSession,
    Summit,
)
from convene.summit.sessions import leave_session


def test_index_without_a_summit(client):
    response = client.get("/summit/")
    assert response.status_code == 200
    assert b"No summit is planned yet" in response.data


def test_public_agenda_grouped_by_day_without_private_items(client, make_summit, make_agenda_item):
    summit = make_summit(name="What Works Cities Summit 2027")
    make_agenda_item(summit, title="Opening plenary")
    make_agenda_item(
        summit,
        kind="breakout",
        title="Open data breakout",
        starts_at=datetime(2027, 4, 13, 14, tzinfo=UTC),
        ends_at=datetime(2027, 4, 13, 15, tzinfo=UTC),
    )
    make_agenda_item(summit, title="Staff briefing", is_public=False)
    html = client.get("/summit/").get_data(as_text=True)
    assert "What Works Cities Summit 2027" in html
    assert "Monday 12 April" in html and "Tuesday 13 April" in html
    assert html.index("Opening plenary") < html.index("Tuesday 13 April") < html.index("Open data")
    assert "Staff briefing" not in html
    assert "09:00–10:00 EDT" in html  # 13:00 UTC at the venue in New York


def test_member_registers_then_next_is_waitlisted(client_for, make_summit, make_member):
    summit = make_summit(capacity=1)
    first, second = make_member(), make_member()
    response = client_for(first).post(
        f"/summit/{summit.slug}/register",
        data={"member_id": first.id, "dietary_needs": "Vegan"},
        follow_redirects=True,
    )
    assert "You are confirmed" in response.get_data(as_text=True)
    response = client_for(second).post(
        f"/summit/{summit.slug}/register", data={"member_id": second.id}, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "on the waitlist, at position 1" in html
    assert "Waitlisted" in html


def test_refusal_is_clear_and_changes_nothing(client_for, make_summit, make_member, make_org):
    summit = make_summit(delegation_limit=1)
    city = make_org()
    a, b = make_member(organisation=city), make_member(organisation=city)
    client_for(a).post(f"/summit/{summit.slug}/register", data={"member_id": a.id})
    response = client_for(b).post(f"/summit/{summit.slug}/register", data={"member_id": b.id})
    assert response.status_code == 409
    assert "the most each organisation may send" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_member_cannot_register_someone_else(client_for, make_summit, make_member):
    summit = make_summit()
    me, other = make_member(), make_member()
    response = client_for(me).post(f"/summit/{summit.slug}/register", data={"member_id": other.id})
    assert response.status_code == 200  # not a choice offered: the form says so
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_champion_registers_cancels_and_substitutes_for_their_city(
    client_for, make_summit, make_member, make_org
):
    summit = make_summit(capacity=1)
    city = make_org()
    champion = make_member("champion", organisation=city)
    alice, bob = make_member(organisation=city), make_member(organisation=city)
    outsider = make_member()
    client = client_for(champion)
    client.post(f"/summit/{summit.slug}/register", data={"member_id": alice.id})
    registration = db.session.scalar(select(Registration))
    assert registration.member_id == alice.id and registration.registered_by_id == champion.id
    assert (
        client.post(f"/summit/{summit.slug}/register", data={"member_id": outsider.id}).status_code
        == 200
    )
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    page = client.get(f"/summit/{summit.slug}/delegation").get_data(as_text=True)
    assert "1 of 3 places used" in page
    client.post(
        f"/summit/{summit.slug}/registrations/{registration.id}/substitute",
        data={"member_id": bob.id},
    )
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.member_id == bob.id
    assert registration.status == RegistrationStatus.CONFIRMED
    cancel = f"/summit/{summit.slug}/registrations/{registration.id}/cancel"
    answer = client.post(cancel)  # the summit is full: the warning comes first
    assert answer.status_code == 303 and answer.location.endswith(cancel)
    client.post(cancel, data={"confirm_loss": "yes"})
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CANCELLED


def test_another_citys_champion_cannot_cancel(client_for, make_summit, make_member, make_org):
    summit = make_summit()
    member = make_member()
    client_for(member).post(f"/summit/{summit.slug}/register", data={"member_id": member.id})
    registration = db.session.scalar(select(Registration))
    champion = make_member("champion")
    response = client_for(champion).post(
        f"/summit/{summit.slug}/registrations/{registration.id}/cancel"
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.CONFIRMED


def test_admin_registrations_filters_counts_and_csv(
    client_for, make_summit, make_member, make_registration, make_org, count_queries
):
    summit = make_summit()
    slug, summit_id = summit.slug, summit.id
    admin = make_member("admin")
    city = make_org(name="Tulsa")
    make_registration(summit, make_member(organisation=city, name="Ada"), dietary_needs="=1+1")
    make_registration(summit, make_member(name="Ben"), status="waitlisted")
    client = client_for(admin)
    html = client.get(f"/summit/{slug}/registrations").get_data(as_text=True)
    assert 'id="count-confirmed">1<' in html and 'id="count-waitlisted">1<' in html
    assert "Tulsa" in html
    filtered = client.get(f"/summit/{summit.slug}/registrations?status=waitlisted")
    text = filtered.get_data(as_text=True)
    assert "Ben" in text and "Ada" not in text.split("By organisation")[0]
    csv = client.get(f"/summit/{summit.slug}/registrations.csv")
    assert csv.mimetype == "text/csv"
    body = csv.get_data(as_text=True)
    assert "Ada" in body and "'=1+1" in body  # formula defused
    assert csv.data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    db.session.expunge_all()  # the requests share this session: start each count cold
    with count_queries() as few:
        client.get(f"/summit/{slug}/registrations")
    for _ in range(10):
        make_registration(db.session.get(Summit, summit_id), make_member())
    db.session.expunge_all()
    with count_queries() as many:
        client.get(f"/summit/{slug}/registrations")
    assert many.count == few.count, many.statements[-6:]


def test_registrations_csv_defuses_every_cell_and_keeps_zoe(
    client_for, make_summit, make_member, make_registration
):
    summit = make_summit()
    make_registration(summit, make_member(name="Zoë", email="=zoe@example.org"))
    make_registration(summit, make_member(name='=HYPERLINK("x")'), dietary_needs="@SUM(1)")
    response = client_for(make_member("admin")).get(f"/summit/{summit.slug}/registrations.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    body = response.data.decode("utf-8-sig")
    assert "Zoë,'=zoe@example.org," in body
    assert '\'=HYPERLINK(""x"")' in body and "'@SUM(1)" in body


def test_members_cannot_see_admin_pages(client_for, client, make_summit, make_member):
    summit = make_summit()
    member = make_member()
    assert client_for(member).get(f"/summit/{summit.slug}/registrations").status_code == 403
    assert client.get(f"/summit/{summit.slug}/registrations").status_code == 302


def test_admin_creates_a_summit_in_local_time(client_for, make_member):
    admin = make_member("admin")
    response = client_for(admin).post(
        "/summit/new",
        data={
            "name": "Summit 2027",
            "slug": "summit-2027",
            "starts_on": "2027-04-12",
            "ends_on": "2027-04-14",
            "venue": "Hall",
            "address": "1 Main St, Chicago, IL",
            "zone": "America/Chicago",
            "capacity": 200,
            "delegation_limit": 3,
            "registration_opens": "2027-01-10T09:00",
            "registration_closes": "2027-03-31T17:00",
            "asks_dietary": "y",
        },
    )
    assert response.status_code == 302
    summit = db.session.scalar(select(Summit))
    assert summit.registration_opens_at == datetime(2027, 1, 10, 15, 0, tzinfo=UTC)
    assert summit.asks_dietary and not summit.asks_travel


def test_summit_form_refuses_a_bad_window(client_for, make_member):
    admin = make_member("admin")
    response = client_for(admin).post(
        "/summit/new",
        data={
            "name": "S",
            "slug": "s",
            "starts_on": "2027-04-12",
            "ends_on": "2027-04-10",
            "venue": "Hall",
            "address": "x",
            "zone": "America/Chicago",
            "capacity": 10,
            "delegation_limit": 3,
            "registration_opens": "2027-01-10T09:00",
            "registration_closes": "2027-01-01T17:00",
        },
    )
    html = response.get_data(as_text=True)
    assert "The last day cannot be before the first." in html
    assert "Close after it opens." in html
    assert db.session.scalar(select(func.count(Summit.id))) == 0


def test_admin_adds_an_agenda_item_in_the_summit_zone(client_for, make_member, make_summit):
    summit = make_summit(zone="America/Chicago")
    admin = make_member("admin")
    client_for(admin).post(
        f"/summit/{summit.slug}/agenda/new",
        data={
            "kind": "breakout",
            "title": "Performance stat",
            "day": "2027-04-13",
            "starts": "10:30",
            "ends": "11:30",
            "room": "B2",
            "is_public": "y",
        },
    )
    item = db.session.scalar(select(AgendaItem))
    assert item.starts_at == datetime(2027, 4, 13, 15, 30, tzinfo=UTC)
    response = client_for(admin).post(
        f"/summit/{summit.slug}/agenda/new",
        data={
            "kind": "plenary",
            "title": "Bad",
            "day": "2027-04-13",
            "starts": "10:30",
            "ends": "09:00",
        },
    )
    assert "End after it starts." in response.get_data(as_text=True)


def test_personal_agenda_in_both_zones_with_picks(
    client_for, make_summit, make_member, make_org, make_registration, make_agenda_item
):
    summit = make_summit()
    member = make_member(organisation=make_org(zone="America/Los_Angeles"))
    make_registration(summit, member)
    make_agenda_item(summit, title="Opening plenary")
    breakout = make_agenda_item(summit, kind="breakout", title="Data breakout")
    client = client_for(member)
    html = client.get(f"/summit/{summit.slug}/my-agenda").get_data(as_text=True)
    assert "Opening plenary" in html and "Data breakout" not in html
    assert "09:00–10:00 EDT" in html and "06:00 PDT" in html
    client.post(f"/summit/{summit.slug}/agenda/{breakout.id}/pick")
    html = client.get(f"/summit/{summit.slug}/my-agenda").get_data(as_text=True)
    assert "Data breakout" in html


def test_pick_and_unpick_say_what_they_want_so_repeating_them_changes_nothing(
    client_for, make_summit, make_member, make_registration, make_agenda_item
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member)
    breakout = make_agenda_item(summit, kind="breakout", title="Data breakout")
    client = client_for(member)
    url = f"/summit/{summit.slug}/agenda/{breakout.id}"

    def picks() -> int:
        return db.session.scalar(select(func.count(AgendaPick.id)))

    page = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    assert f'action="{url}/pick"' in page and f"{url}/unpick" not in page
    for _ in range(2):  # a double click
        assert client.post(f"{url}/pick").status_code == 302
        assert picks() == 1
    page = client.get(f"/summit/{summit.slug}").get_data(as_text=True)
    assert f'action="{url}/unpick"' in page and "Remove from my agenda" in page
    for _ in range(2):
        assert client.post(f"{url}/unpick").status_code == 302
        assert picks() == 0


def test_leaving_a_session_twice_promotes_one_person(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    holder, first, second = (make_member() for _ in range(3))
    session = make_session(summit, capacity=1)
    for m in (holder, first, second):
        make_registration(summit, m)
        client_for(m).post(f"/summit/{summit.slug}/sessions/{session.id}/join")
    signup = db.session.scalar(select(SessionSignup).where(SessionSignup.member_id == holder.id))
    assert leave_session(signup) is not None
    db.session.commit()
    assert leave_session(signup) is None  # a second request holding the same, stale signup
    db.session.commit()
    db.session.expire_all()
    statuses = {s.member_id: s.status.value for s in db.session.scalars(select(SessionSignup))}
    assert statuses == {first.id: "signed_up", second.id: "waitlisted"}


def test_open_session_sign_up_waitlist_overlap_and_leave(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    a, b, c = (make_member() for _ in range(3))
    for m in (a, b, c):
        make_registration(summit, m)
    reception = make_session(summit, capacity=1, title="Reception")
    tour = make_session(summit, capacity=5, title="Walking tour")  # same time
    url = f"/summit/{summit.slug}/sessions"
    client_for(a).post(f"{url}/{reception.id}/join")
    html = (
        client_for(b)
        .post(f"{url}/{reception.id}/join", follow_redirects=True)
        .get_data(as_text=True)
    )
    assert "you are on its waitlist" in html
    html = client_for(a).post(f"{url}/{tour.id}/join", follow_redirects=True).get_data(as_text=True)
    assert "overlaps Reception" in html
    client_for(a).post(f"{url}/{reception.id}/leave", data={"confirm_loss": "yes"})
    signup = db.session.scalar(select(SessionSignup).where(SessionSignup.member_id == b.id))
    assert signup.status.value == "signed_up"  # promoted from the session's waitlist
    assert db.session.scalar(select(func.count(SessionSignup.id))) == 1


def test_unconfirmed_people_cannot_join_a_session(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member, status="waitlisted")
    session = make_session(summit)
    html = (
        client_for(member)
        .post(f"/summit/{summit.slug}/sessions/{session.id}/join", follow_redirects=True)
        .get_data(as_text=True)
    )
    assert "for confirmed attendees" in html
    assert db.session.scalar(select(func.count(SessionSignup.id))) == 0


def test_seating_pages_run_move_publish(
    client_for, make_summit, make_member, make_org, make_registration, deliver_mail
):
    summit = make_summit()
    admin = make_member("admin")
    cities = [make_org(name=f"City {i}") for i in range(4)]
    members = [make_member(organisation=cities[i % 4]) for i in range(8)]
    for m in members:
        make_registration(summit, m)
    client = client_for(admin)
    client.post(
        f"/summit/{summit.slug}/sessions/new",
        data={"kind": "assigned", "title": "Dinner series", "place": "Various"},
    )
    session = db.session.scalar(select(SocialSession))
    base = f"/summit/{summit.slug}/sessions/{session.id}"
    for night, day in ((1, "2027-04-12"), (2, "2027-04-13")):
        client.post(
            f"{base}/slots",
            data={
                "label": f"Night {night}",
                "day": day,
                "starts": "19:00",
                "ends": "21:00",
                "tables": 2,
                "seats": 4,
            },
        )
    client.post(f"{base}/run", data={"seed": 5})
    html = client.get(f"{base}/seating").get_data(as_text=True)
    assert 'id="report-same-org">0<' in html
    assert "org-c0" in html and "City 3" in html and 'class="legend' in html
    slot = seating._load_slots(db.session.get(SocialSession, session.id))[0]
    tables = seating.current_tables([slot])[slot.id]
    (t1, _people1), (_t2, people2) = tables.items()
    response = client.post(
        f"{base}/move", data={"member_id": people2[0], "table_id": t1}, follow_redirects=True
    )
    assert "full" in response.get_data(as_text=True)
    assert client_for(members[0]).get(base).status_code == 404  # draft: not for members
    client.post(f"{base}/publish")
    assert len(deliver_mail()) == 16  # 8 seated, one message per slot (one event each)
    page = client_for(members[0]).get(base).get_data(as_text=True)
    assert "Night 1" in page and members[1].name in page
    agenda = client_for(members[0]).get(f"/summit/{summit.slug}/my-agenda").get_data(as_text=True)
    assert "Table" in agenda and "Dinner series: Night 2" in agenda


def test_summit_and_seating_pages_do_not_grow_queries_with_rows(
    client_for,
    make_summit,
    make_member,
    make_org,
    make_registration,
    make_agenda_item,
    make_session,
    count_queries,
):
    summit = make_summit(capacity=100)
    slug, summit_id = summit.slug, summit.id
    admin = make_member("admin")
    session = make_session(summit, kind="assigned", title="Dinner")
    session_id = session.id
    slot = seating.add_slot(
        session,
        "Night 1",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=10,
        seats=6,
    )
    db.session.commit()
    slot_id = slot.id

    def add_rows(n):
        s = db.session.get(Summit, summit_id)
        for _ in range(n):
            make_registration(s, make_member(organisation=make_org()))
            make_agenda_item(s, kind="breakout", title="Breakout")
            make_session(s, title="Open session", capacity=3)

    def measure():
        seating.run_assignment(db.session.get(SocialSession, session_id), seed=1)
        db.session.commit()
        db.session.expunge_all()
        client = client_for(db.session.get(type(admin), admin_id))
        with count_queries() as q:
            assert client.get(f"/summit/{slug}").status_code == 200
            assert client.get(f"/summit/{slug}/sessions/{session_id}/seating").status_code == 200
        return q.count

    admin_id = admin.id
    add_rows(3)
    few = measure()
    add_rows(12)
    many = measure()
    assert many == few
    assert slot_id


def test_seating_page_marks_a_table_of_colleagues(
    client_for, make_summit, make_member, make_org, make_registration, make_session
):
    summit = make_summit()
    city = make_org()
    for _ in range(2):
        make_registration(summit, make_member(organisation=city))
    session = make_session(summit, kind="assigned", title="Mixer")
    seating.add_slot(
        session,
        "Only slot",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=1,
        seats=2,
    )
    seating.run_assignment(session, seed=0)
    db.session.commit()
    html = (
        client_for(make_member("admin"))
        .get(f"/summit/{summit.slug}/sessions/{session.id}/seating")
        .get_data(as_text=True)
    )
    assert "1 colleague pair" in html
    assert 'id="report-same-org">1<' in html
    assert "at least 1" in html  # the lower bound beside it: nothing better was possible


def test_admin_marks_and_removes_an_absence(
    client_for, make_summit, make_member, make_registration, make_session
):
    summit = make_summit()
    people = [make_member() for _ in range(3)]
    for m in people:
        make_registration(summit, m)
    session = make_session(summit, kind="assigned", title="Mixer")
    slot = seating.add_slot(
        session,
        "Only slot",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=2,
        seats=2,
    )
    seating.run_assignment(session, seed=0)
    db.session.commit()
    base = f"/summit/{summit.slug}/sessions/{session.id}"
    client = client_for(make_member("admin"))
    client.post(f"{base}/absences", data={"member_id": people[0].id, "slot_id": slot.id})
    tables = seating.current_tables(seating._load_slots(session))[slot.id]
    assert people[0].id not in [m for ms in tables.values() for m in ms]
    html = client.get(f"{base}/seating").get_data(as_text=True)
    assert f"{people[0].name}, Only slot" in html
    from convene.summit.models import SlotAbsence

    absence = db.session.scalar(select(SlotAbsence))
    client.post(f"{base}/absences/{absence.id}/delete")
    assert db.session.scalar(select(func.count(SlotAbsence.id))) == 0
