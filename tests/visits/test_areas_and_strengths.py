"""Practice areas (admins) and what a city can share (its champion, admins): the pages, who
may use them, what bad input gets, and the evidence that suggests an area."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from convene.convenings.models import CallStatus
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from convene.visits.areas import AreaError, add_area, remove_area, slugify
from convene.visits.models import (
    CityStrength,
    PracticeArea,
    StrengthSource,
    Visit,
    VisitFormat,
)
from convene.visits.strengths import (
    areas_in,
    city_evidence,
    evidence,
    prefill_strengths,
    set_strengths,
)


@pytest.fixture
def area(app):
    area = add_area("Open data", "data portal, open-data")
    db.session.commit()
    return area


def _topic(proposer, title, status=TopicStatus.OPEN, call=None, share=True, description=None):
    topic = Topic(
        decline_reason="Not this year" if status == TopicStatus.DECLINED else None,
        title=title,
        description=description,
        proposer=proposer,
        status=status,
        will_share_experience=share,
        call=call,
    )
    db.session.add(topic)
    db.session.commit()
    return topic


def _strengths(org) -> dict[str, CityStrength]:
    rows = db.session.scalars(
        sa.select(CityStrength).where(CityStrength.organisation_id == org.id)
    ).all()
    return {s.practice_area.name: s for s in rows}


# --- the area list --------------------------------------------------------------------------


def test_an_area_matches_its_name_and_keywords_at_the_start_of_a_word(area):
    dash = add_area("Performance management", "dashboard, stat")
    assert areas_in("Open Data policy", [area, dash]) == [area]
    assert areas_in("Performance dashboards for the mayor", [area, dash]) == [dash]
    assert areas_in("A new data portal", [area]) == [area]
    assert areas_in("Reopen datasets", [area]) == []  # not at the start of a word
    assert areas_in("Statistics and status", [dash]) == [dash]  # prefixes count


def test_admins_add_rename_and_remove_areas(area, make_member, client_for):
    client = client_for(make_member("admin"))
    page = client.get("/visits/areas")
    assert page.status_code == 200 and "Open data" in page.text
    response = client.post("/visits/areas", data={"name": "  311 data ", "keywords": "311, , 311"})
    assert response.status_code == 302
    added = db.session.scalar(sa.select(PracticeArea).where(PracticeArea.name == "311 data"))
    assert added.slug == "311-data" and added.keywords == "311"
    response = client.post(
        "/visits/areas/311-data/edit", data={"name": "311 and service data", "keywords": ""}
    )
    assert response.status_code == 302
    db.session.refresh(added)
    assert added.name == "311 and service data" and added.slug == "311-data"
    follow = client.post("/visits/areas/311-data/remove", follow_redirects=True)
    assert "“311 and service data” removed" in follow.text
    assert db.session.get(PracticeArea, added.id) is None


def test_a_duplicate_or_blank_name_is_refused_with_a_message_and_changes_nothing(
    area, make_member, client_for
):
    client = client_for(make_member("admin"))
    before = db.session.scalar(sa.select(sa.func.count(PracticeArea.id)))
    for name, message in [
        ("OPEN DATA", "There is already an area called “OPEN DATA”."),
        ("   ", "Give the area a name."),
        ("x" * 81, "Use between 2 and 80 characters."),
    ]:
        page = client.post("/visits/areas", data={"name": name})
        assert page.status_code == 200 and "Nothing was saved" in page.text
        assert message in page.text
    assert db.session.scalar(sa.select(sa.func.count(PracticeArea.id))) == before
    other = add_area("Data governance")
    db.session.commit()
    page = client.post(f"/visits/areas/{other.slug}/edit", data={"name": "open data"})
    assert "There is already an area called" in page.text
    db.session.refresh(other)
    assert other.name == "Data governance"
    assert client.get("/visits/areas/no-such-area/edit").status_code == 404


def test_an_area_in_use_cannot_be_removed(area, make_org, make_member, client_for):
    city = make_org()
    db.session.add(CityStrength(organisation=city, practice_area=area, source="champion"))
    db.session.commit()
    client = client_for(make_member("admin"))
    page = client.post(f"/visits/areas/{area.slug}/remove", follow_redirects=True)
    assert "“Open data” cannot be removed: 1 city lists it. Rename it instead." in page.text
    assert db.session.get(PracticeArea, area.id) is not None
    with pytest.raises(AreaError):
        remove_area(area)
    # The database refuses it too (a city listing it at the moment of removal).
    with pytest.raises(IntegrityError):
        db.session.execute(sa.delete(PracticeArea).where(PracticeArea.id == area.id))
        db.session.commit()
    db.session.rollback()


def test_an_area_a_visit_is_about_cannot_be_removed(area, make_org, make_member):
    city = make_org()
    db.session.add(
        Visit(
            title="Open data at Louisville",
            problem="How to publish",
            intended_use="Our portal",
            format=VisitFormat.SITE_VISIT,
            starts_on=date(2027, 5, 3),
            ends_on=date(2027, 5, 4),
            zone="America/New_York",
            practice_area=area,
            requesting_organisation=city,
        )
    )
    db.session.commit()
    with pytest.raises(AreaError, match="1 visit is about it"):
        remove_area(area)


@pytest.mark.parametrize("role", ["member", "champion", "host"])
def test_only_admins_manage_areas(area, role, make_member, client_for):
    client = client_for(make_member(role))
    assert client.get("/visits/areas").status_code == 403
    assert client.post("/visits/areas", data={"name": "Budgeting"}).status_code == 403
    assert client.post(f"/visits/areas/{area.slug}/remove").status_code == 403
    assert db.session.get(PracticeArea, area.id) is not None


def test_signed_out_visitors_are_sent_to_sign_in(area, client):
    for path in ("/visits/areas", "/visits/strengths", "/visits/learn"):
        assert client.get(path).status_code in (302, 401)


def test_slugs_are_plain_and_unique(app):
    assert slugify("Results-driven contracting!") == "results-driven-contracting"
    assert slugify("Évaluation") == "evaluation"
    first = add_area("Open data")
    second = add_area("Open data.")
    assert (first.slug, second.slug) == ("open-data", "open-data-2")


# --- the evidence ---------------------------------------------------------------------------


def test_presenting_on_a_held_call_and_offering_a_topic_suggest_an_area(
    area, make_org, make_member, make_call
):
    louisville, boston = make_org(name="Louisville"), make_org(name="Boston")
    ana = make_member(organisation=louisville)
    ben = make_member(organisation=boston)
    held = make_call(
        starts_at=datetime(2026, 3, 12, 17, tzinfo=UTC), status=CallStatus.HELD, title="Open data"
    )
    _topic(ana, "Open data policy", TopicStatus.HELD, call=held)
    _topic(ana, "Budgeting for outcomes", TopicStatus.OPEN)  # another area
    _topic(ben, "Our data portal", TopicStatus.OPEN)  # offered, not presented yet
    _topic(ben, "Open data for everyone", TopicStatus.OPEN, share=False)  # no offer
    _topic(ben, "Open data again", TopicStatus.DECLINED)
    future = make_call(starts_at=datetime.now(UTC) + timedelta(days=9))
    _topic(ben, "Open data inventory", TopicStatus.SCHEDULED, call=future)

    found = evidence([area])
    louisville_open = found[louisville.id][area.id]
    assert [(p.day, p.title) for p in louisville_open.calls] == [(date(2026, 3, 12), "Open data")]
    assert louisville_open.source == StrengthSource.CALL and not louisville_open.listed
    boston_open = found[boston.id][area.id]
    assert boston_open.calls == []
    assert sorted(boston_open.topics) == ["Open data inventory", "Our data portal"]
    assert boston_open.source == StrengthSource.TOPIC
    assert set(found) == {louisville.id, boston.id}


def test_a_past_call_counts_once_started_and_a_cancelled_one_never(
    area, make_org, make_member, make_call
):
    city = make_org()
    person = make_member(organisation=city)
    started = make_call(starts_at=datetime.now(UTC) - timedelta(hours=2))
    cancelled = make_call(
        starts_at=datetime.now(UTC) - timedelta(days=3), status=CallStatus.CANCELLED
    )
    _topic(person, "Open data inventory", TopicStatus.SCHEDULED, call=started)
    _topic(person, "Open data policy", TopicStatus.SCHEDULED, call=cancelled)
    found = city_evidence(city)[area.id]
    assert [p.title for p in found.calls] == ["Open data inventory"]
    assert found.topics == ["Open data policy"]


def test_prefill_stores_suggestions_once_and_set_strengths_keeps_sources(
    area, make_org, make_member
):
    city = make_org()
    other = add_area("Data governance")
    _topic(make_member(organisation=city), "Open data portal")
    assert prefill_strengths() == 1
    assert prefill_strengths() == 0
    assert _strengths(city)["Open data"].source == StrengthSource.TOPIC
    champion = make_member("champion", organisation=city)
    added, removed = set_strengths(city, [area.id, other.id], champion)
    db.session.commit()
    assert [a.name for a in added] == ["Data governance"] and removed == []
    rows = _strengths(city)
    assert rows["Open data"].source == StrengthSource.TOPIC  # kept
    assert rows["Data governance"].source == StrengthSource.CHAMPION
    assert rows["Data governance"].confirmed_by_id == champion.id


# --- the city's page ------------------------------------------------------------------------


def test_the_champion_sees_suggestions_ticked_and_saves_the_list(
    area, make_org, make_member, client_for
):
    city = make_org(name="Louisville")
    champion = make_member("champion", organisation=city)
    _topic(make_member(organisation=city), "Open data portal")
    other = add_area("Data governance")
    db.session.commit()
    client = client_for(champion)
    assert (
        client.get("/visits/strengths")
        .headers["Location"]
        .endswith(f"/visits/strengths/{city.slug}")
    )
    page = client.get(f"/visits/strengths/{city.slug}")
    assert page.status_code == 200
    assert "Not saved yet" in page.text
    assert f'value="{area.id}" checked' in page.text
    assert f'value="{other.id}" checked' not in page.text
    assert "offered to share on Open data (“Open data portal”)" in page.text
    assert "Latitude" not in page.text  # coordinates are for admins

    response = client.post(
        f"/visits/strengths/{city.slug}",
        data={"areas": [str(other.id)], "visits_hosted_cap": "2", "latitude": "10"},
        follow_redirects=True,
    )
    assert "Louisville&#39;s list saved. Added Data governance." in response.text
    assert set(_strengths(city)) == {"Data governance"}
    db.session.refresh(city)
    assert city.visits_hosted_cap == 2 and city.latitude is None
    # Once saved, the list is the champion's: the suggestion is no longer ticked.
    page = client.get(f"/visits/strengths/{city.slug}")
    assert f'value="{area.id}" checked' not in page.text and "Not saved yet" not in page.text


def test_bad_input_on_the_city_page_changes_nothing(area, make_org, make_member, client_for):
    city = make_org(visits_hosted_cap=3)
    db.session.add(CityStrength(organisation=city, practice_area=area, source="champion"))
    db.session.commit()
    admin = make_member("admin")
    client = client_for(admin)
    for data, message in [
        ({"areas": ["99999"]}, "One of the areas is no longer on the list"),
        ({"areas": ["x"]}, "One of the areas is no longer on the list"),
        ({"visits_hosted_cap": "-1"}, "Give a whole number from 0 to 100."),
        ({"visits_hosted_cap": "1e9"}, "Give a whole number."),
        ({"latitude": "91", "longitude": "0"}, "From -90 to 90 degrees."),
        ({"latitude": "nan", "longitude": "0"}, "From -90 to 90 degrees."),
        ({"latitude": "north", "longitude": "0"}, "Give a number of degrees, such as 38.25."),
        ({"latitude": "40"}, "Give both the latitude and the longitude, or neither."),
    ]:
        page = client.post(f"/visits/strengths/{city.slug}", data=data)
        assert page.status_code == 200, data
        assert "Nothing was saved" in page.text and message in page.text, data
        assert page.text.count('class="error"') == 1, data  # one message, not two
    db.session.refresh(city)
    assert city.visits_hosted_cap == 3 and city.latitude is None
    assert set(_strengths(city)) == {"Open data"}
    response = client.post(
        f"/visits/strengths/{city.slug}",
        data={
            "areas": [str(area.id)],
            "latitude": "38.25",
            "longitude": "-85.76",
            "visits_hosted_cap": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(city)
    assert (city.latitude, city.longitude, city.visits_hosted_cap) == (38.25, -85.76, None)


def test_who_may_edit_a_citys_list(area, make_org, make_member, client_for):
    city, other_city = make_org(), make_org()
    partner = make_org("partner")
    path = f"/visits/strengths/{city.slug}"
    assert client_for(make_member("champion", organisation=city)).get(path).status_code == 200
    assert client_for(make_member("admin")).get(path).status_code == 200
    for member in (
        make_member("champion", organisation=other_city),
        make_member("member", organisation=city),
        make_member("host", organisation=partner),
    ):
        client = client_for(member)
        assert client.get(path).status_code == 403
        assert client.post(path, data={"areas": [str(area.id)]}).status_code == 403
    assert _strengths(city) == {}
    assert (
        client_for(make_member("member", organisation=city)).get("/visits/strengths").status_code
        == 403
    )
    admin = client_for(make_member("admin"))
    assert admin.get(f"/visits/strengths/{partner.slug}").status_code == 404
    assert admin.get("/visits/strengths/nowhere").status_code == 404


def test_the_admins_list_of_cities_keeps_its_queries_constant(
    area, make_org, make_member, client_for, count_queries
):
    admin = client_for(make_member("admin"))

    def add_cities(n):
        for _ in range(n):
            city = make_org()
            db.session.add(CityStrength(organisation=city, practice_area=area, source="champion"))
        db.session.commit()

    def measure():
        with count_queries() as q:
            page = admin.get("/visits/strengths")
        assert page.status_code == 200
        return q.count

    add_cities(5)
    few = measure()
    add_cities(10)
    assert measure() == few
