"""The ledger's pages: who sees them, what they say, and the same queries at 10x the demo."""

import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.convenings.models import Attendance, Call, CallStatus
from convene.extensions import db
from convene.summit.models import (
    SeatAssignment,
    SessionKind,
    SessionSlot,
    SessionTable,
    SocialSession,
)
from convene.visits.models import Visit, VisitCity, VisitFormat, VisitSide, VisitStatus

ROLES = ["member", "champion", "host", "admin"]


@pytest.fixture
def scene(make_city, make_member, held_call, make_ledger_summit, seat, make_visit):
    mesa, tulsa, boise, lincoln = (make_city(n) for n in ("Mesa", "Tulsa", "Boise", "Lincoln"))
    m, t, b = (make_member(organisation=c) for c in (mesa, tulsa, boise))
    held_call([m, t, b], title="Open data portals")
    seat(make_ledger_summit(name="Summit 2026"), [[m, t]], title="Cross-city dinner")
    make_visit(boise, [mesa], status="held")
    return {"mesa": mesa, "tulsa": tulsa, "boise": boise, "lincoln": lincoln}


def test_visitors_are_asked_to_sign_in(client, scene):
    for path in ("/network", "/network/cities/mesa"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_network_and_a_citys_page(role, client_for, make_member, scene):
    client = client_for(make_member(role))
    page = client.get("/network")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<a href="/network"' in html and "Network</a>" in html  # in the menu
    assert 'Boise, NY</a> and <a href="/network/cities/mesa">Mesa, NY</a>' in html
    assert "1 visit, 1 call" in html
    city = client.get("/network/cities/mesa")
    assert city.status_code == 200


def test_the_menu_offers_the_network_to_members_only(client, client_for, make_member):
    assert "/network" not in client.get("/").get_data(as_text=True)
    assert 'href="/network"' in client_for(make_member()).get("/").get_data(as_text=True)


def test_a_citys_page_tells_how_and_when_strongest_first_and_who_it_has_not_met(
    client_for, make_member, scene
):
    viewer = make_member(organisation=scene["lincoln"])
    html = client_for(viewer).get("/network/cities/mesa").get_data(as_text=True)
    assert "Mesa, NY: connections" in html
    assert "Mesa has met 2 cities of the network, and not yet 1 other." in html
    strongest = html[html.index("Strongest ties") : html.index("<h2>Connections")]
    assert strongest.index("Boise, NY") < strongest.index("Tulsa, NY")
    assert "strongly tied" in strongest
    assert "2026</time> · Site visit: Performance management, hosted by Boise" in html
    assert "Summit table · Summit 2026, Cross-city dinner (Night 1), Table 1" in html
    assert "12 Mar 2026" in html
    never = html[html.index("Not yet connected") :]
    assert "Lincoln, NY" in never and "Tulsa, NY" not in never


def test_a_city_with_no_ties_says_so(client_for, make_member, make_city):
    client = client_for(make_member(organisation=make_city("Lone")))
    html = client.get("/network/cities/lone").get_data(as_text=True)
    assert "Lone has met 0 cities of the network, and not yet 0 others" not in html
    assert "Lone has met 0 cities of the network." in html
    assert "Lone has not met another city yet." in html
    assert "No other city has joined the network yet." in html
    assert "No two cities have met yet" in client.get("/network").get_data(as_text=True)


def test_only_cities_have_a_page(client_for, make_member, make_org):
    partner = make_org("partner", slug="govex")
    client = client_for(make_member())
    assert client.get(f"/network/cities/{partner.slug}").status_code == 404
    assert client.get("/network/cities/nowhere").status_code == 404
    assert client.get("/network/cities/" + "x" * 300).status_code == 404


# --- the same queries at ten times the demo's size -------------------------------------------


def build_network(make_series, make_ledger_summit, cities, calls, per_call, tables, visits):
    """A network written in bulk: `cities` cities of one member each, `calls` held calls each
    attended by `per_call` cities, a published dinner of `tables` tables of eight, and
    `visits` held visits between random cities."""
    rng = random.Random(cities)
    db.session.execute(
        sa.insert(Organisation),
        [
            {
                "kind": OrganisationKind.CITY,
                "name": f"City {n:03}",
                "slug": f"city-{n:03}",
                "state": "NY",
                "population": 150_000,
                "zone": "America/New_York",
            }
            for n in range(cities)
        ],
    )
    org_ids = list(db.session.scalars(sa.select(Organisation.id).order_by(Organisation.id)))
    db.session.execute(
        sa.insert(Member),
        [
            {"email": f"p{o}@example.org", "name": f"Person {o}", "organisation_id": o}
            | {"role": Role.MEMBER, "session_token": f"token-{o}"}
            for o in org_ids
        ],
    )
    people = list(db.session.scalars(sa.select(Member.id).order_by(Member.id)))
    series = make_series()
    first = datetime(2026, 1, 8, 18, tzinfo=UTC)
    db.session.execute(
        sa.insert(Call),
        [
            {
                "series_id": series.id,
                "slot_date": (first + timedelta(days=n)).date(),
                "starts_at": first + timedelta(days=n),
                "duration_minutes": 60,
                "zone": "America/New_York",
                "host_organisation_id": series.rotation[0].organisation_id,
                "status": CallStatus.HELD,
                "title": f"Call {n}",
            }
            for n in range(calls)
        ],
    )
    call_ids = list(db.session.scalars(sa.select(Call.id).order_by(Call.id)))
    db.session.execute(
        sa.insert(Attendance),
        [
            {"call_id": c, "member_id": p}
            for c in call_ids
            for p in [people[0], *rng.sample(people[1:], per_call - 1)]
        ],
    )
    summit = make_ledger_summit()
    dinner = SocialSession(
        summit=summit, kind=SessionKind.ASSIGNED, title="Dinner", is_published=True
    )
    slot = SessionSlot(
        session=dinner,
        position=1,
        label="Night 1",
        starts_at=datetime(2026, 4, 18, 23, tzinfo=UTC),
        ends_at=datetime(2026, 4, 19, 1, tzinfo=UTC),
    )
    db.session.add_all([dinner, slot])
    for n in range(tables):
        slot.tables.append(SessionTable(position=n, name=f"Table {n + 1}", seats=8))
    db.session.flush()
    seated = rng.sample(people, 8 * tables)
    db.session.execute(
        sa.insert(SeatAssignment),
        [
            {"slot_id": slot.id, "table_id": table.id, "member_id": seated[8 * n + k]}
            for n, table in enumerate(slot.tables)
            for k in range(8)
        ],
    )
    from convene.visits.models import PracticeArea

    area = PracticeArea(name="Open data", slug="open-data")
    db.session.add(area)
    db.session.flush()
    for n in range(visits):
        host, visitor = rng.sample(org_ids, 2) if n else org_ids[:2]
        visit = Visit(
            title="A visit",
            problem="p",
            intended_use="u",
            format=VisitFormat.SITE_VISIT,
            status=VisitStatus.HELD,
            starts_on=date(2026, 5, 1) + timedelta(days=n),
            ends_on=date(2026, 5, 2) + timedelta(days=n),
            zone="America/New_York",
            practice_area_id=area.id,
            requesting_organisation_id=visitor,
            approved_at=first,
        )
        visit.cities = [
            VisitCity(organisation_id=host, side=VisitSide.HOST),
            VisitCity(organisation_id=visitor, side=VisitSide.VISITOR),
        ]
        db.session.add(visit)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does for a real database: the planner then knows the sizes.
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return org_ids


def measure(client, count_queries, slug):
    db.session.expunge_all()
    counts, seconds = [], []
    for path in ("/network", f"/network/cities/{slug}"):
        started = time.perf_counter()
        with count_queries() as q:
            response = client.get(path)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200
        counts.append(q.count)
    return counts, seconds


def test_the_pages_run_the_same_queries_for_27_cities_and_270(
    app, client_for, make_member, make_org, make_series, make_ledger_summit, count_queries
):
    admin = make_member("admin")
    build_network(make_series, make_ledger_summit, 27, 8, 12, 3, 3)
    client = client_for(admin)
    few, _ = measure(client, count_queries, "city-000")
    from tests.conftest import _empty_tables

    _empty_tables()
    admin = make_member("admin")
    build_network(make_series, make_ledger_summit, 270, 80, 60, 30, 30)
    ties = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance))
    assert ties == 80 * 60
    many, seconds = measure(client_for(admin), count_queries, "city-000")
    assert many == few, (few, many)
    print(f"queries {few} at 27 cities and {many} at 270; seconds at 270: {seconds}")


@pytest.mark.parametrize(
    "value",
    ["", "x" * 5000, "before\x00after", "one\r\ntwo", '"><script>x</script>', "..", "%ff%fe"],
)
def test_hostile_addresses_are_a_page_or_a_404_never_an_error(
    value, client_for, make_member, scene
):
    from urllib.parse import quote

    client = client_for(make_member())
    page = client.get("/network", query_string={"city": value, "page": value})
    assert page.status_code == 200
    answer = client.get("/network/cities/" + quote(value, safe=""))
    assert answer.status_code == 404
    assert "x" * 5000 not in answer.get_data(as_text=True)
