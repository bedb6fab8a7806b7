"""/visits/learn: "we want to learn about X", and the cities to ask."""

from datetime import date

import pytest

from convene.extensions import db
from convene.types import utcnow
from convene.visits.areas import add_area
from convene.visits.models import (
    CityStrength,
    Visit,
    VisitCity,
    VisitFormat,
    VisitSide,
    VisitStatus,
)


@pytest.fixture
def area(app):
    area = add_area("Open data")
    db.session.commit()
    return area


@pytest.fixture
def network(area, make_org):
    boston = make_org(name="Boston", latitude=42.3601, longitude=-71.0589)
    louisville = make_org(
        name="Louisville", zone="America/Kentucky/Louisville", latitude=38.2527, longitude=-85.7585
    )
    denver = make_org(name="Denver", zone="America/Denver", latitude=39.7392, longitude=-104.9903)
    for city in (louisville, denver):
        db.session.add(CityStrength(organisation=city, practice_area=area, source="champion"))
    db.session.commit()
    return boston, louisville, denver


def _visit(area, host, visitor, status=VisitStatus.HELD, starts_on=None):
    starts_on = starts_on or date.today()
    visit = Visit(
        title="A visit",
        problem="p",
        intended_use="u",
        format=VisitFormat.SITE_VISIT,
        status=status,
        starts_on=starts_on,
        ends_on=starts_on,
        zone=host.zone,
        practice_area=area,
        requesting_organisation=visitor,
        approved_at=utcnow() if status in (VisitStatus.APPROVED, VisitStatus.HELD) else None,
        cities=[
            VisitCity(organisation=host, side=VisitSide.HOST),
            VisitCity(organisation=visitor, side=VisitSide.VISITOR),
        ],
    )
    db.session.add(visit)
    db.session.commit()
    return visit


def test_a_champion_sees_cities_to_ask_with_reasons(area, network, make_member, client_for):
    boston, louisville, denver = network
    client = client_for(make_member("champion", organisation=boston))
    page = client.get("/visits/learn")
    assert page.status_code == 200 and "We want to learn about" in page.text
    page = client.get("/visits/learn?area=open-data")
    assert page.status_code == 200
    text = page.text
    assert "Cities to ask about Open data" in text
    assert text.index("suggestion-" + louisville.slug) < text.index("suggestion-" + denver.slug)
    assert "lists Open data among its strengths; 1,330 km; no visit hosted this year" in text
    assert "2 hours behind" in text  # Denver, from Boston
    assert "suggestion-" + boston.slug not in text


def test_a_city_at_its_cap_is_listed_apart_and_a_past_visit_lowers_a_city(
    area, network, make_member, client_for
):
    boston, louisville, denver = network
    louisville.visits_hosted_cap = 1
    _visit(area, louisville, denver, VisitStatus.APPROVED)
    client = client_for(make_member("champion", organisation=boston))
    text = client.get("/visits/learn?area=open-data").text
    assert "suggestion-" + louisville.slug not in text
    assert "hosting no more visits this year" in text
    assert "hosts no more visits this year (1 of 1 hosted)" in text
    louisville.visits_hosted_cap = None
    db.session.commit()
    _visit(area, louisville, boston, VisitStatus.HELD, date(2025, 5, 1))
    text = client.get("/visits/learn?area=open-data").text
    assert "you have visited before" in text


def test_the_ask_link_appears_only_when_requests_exist(area, network, make_member, client_for, app):
    boston, louisville, denver = network
    client = client_for(make_member("champion", organisation=boston))
    text = client.get("/visits/learn?area=open-data").text
    has_requests = "visits.new_request" in app.view_functions
    assert ("Ask this city" in text) == has_requests
    # A plain member sees the suggestions but does not ask: their champion does.
    member = client_for(make_member("member", organisation=boston))
    text = member.get("/visits/learn?area=open-data").text
    assert "Cities to ask about Open data" in text and "Ask this city" not in text


def test_an_unknown_area_or_city_gets_a_clear_message(area, network, make_member, client_for):
    boston = network[0]
    client = client_for(make_member("champion", organisation=boston))
    page = client.get("/visits/learn?area=knitting")
    assert page.status_code == 404 and "That area is not on the list" in page.text
    admin = client_for(make_member("admin"))
    page = admin.get("/visits/learn?area=open-data&city=atlantis")
    assert page.status_code == 404 and "That city is not in the network" in page.text
    page = admin.get(f"/visits/learn?area=open-data&city={boston.slug}")
    assert page.status_code == 200 and "Louisville" in page.text


def test_people_of_partners_have_no_city_to_send(area, network, make_member, client_for):
    assert client_for(make_member("host")).get("/visits/learn").status_code == 403


def test_the_page_keeps_its_queries_constant_as_the_network_grows(
    area, network, make_org, make_member, client_for, count_queries
):
    boston = network[0]
    client = client_for(make_member("champion", organisation=boston))

    def grow(n):
        for i in range(n):
            city = make_org(latitude=30.0 + i % 10, longitude=-90.0 - i % 20)
            db.session.add(CityStrength(organisation=city, practice_area=area, source="champion"))
            db.session.commit()
            _visit(area, city, boston if i % 2 else network[1], VisitStatus.HELD)

    def measure():
        with count_queries() as q:
            page = client.get("/visits/learn?area=open-data")
        assert page.status_code == 200
        return q.count

    grow(4)
    few = measure()
    grow(8)
    assert measure() == few
