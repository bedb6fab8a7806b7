"""Naming people on a scheduled visit: who may, whom, and what they hear."""

import pytest
from sqlalchemy import func, select

from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.visits import participants
from convene.visits.models import VisitParticipant, VisitSide, VisitStatus
from tests.calendar.conftest import calendar_part, parse_all


def _people(visit) -> dict[int, str]:
    rows = db.session.execute(
        select(VisitParticipant.member_id, VisitParticipant.side).where(
            VisitParticipant.visit_id == visit.id
        )
    )
    return {member_id: VisitSide(side).value for member_id, side in rows}


def _name(client_for, actor, visit, member_id):
    return client_for(actor).post(f"/visits/{visit.id}/people", data={"member_id": member_id})


def test_each_champion_names_their_own_people_on_their_side(scene, client_for, deliver_mail):
    s = scene()
    assert _name(client_for, s.host_champion, s.visit, s.hosts[0].id).status_code == 302
    assert _name(client_for, s.guest_champion, s.visit, s.guests[0].id).status_code == 302
    assert _people(s.visit) == {s.hosts[0].id: "host", s.guests[0].id: "visitor"}
    mail = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert set(mail) == {s.hosts[0].email, s.guests[0].email}
    for message in mail.values():
        part = calendar_part(message)
        assert part.get_param("method") == "REQUEST"
        assert f"visit-{s.visit.id}@" in part.get_content()
    kinds = db.session.scalars(select(Action.kind).where(Action.visit_id == s.visit.id)).all()
    assert kinds == [ActionKind.VISIT_PERSON_NAMED, ActionKind.VISIT_PERSON_NAMED]


def test_a_champion_cannot_name_the_other_citys_people(scene, client_for, deliver_mail):
    s = scene()
    response = _name(client_for, s.host_champion, s.visit, s.guests[0].id)
    assert response.status_code == 400
    assert "Not a valid choice" in response.text or "own city" in response.text
    assert _people(s.visit) == {}
    assert deliver_mail() == []


def test_an_admin_names_anyone_of_the_visits_cities(scene, client_for):
    s = scene()
    assert _name(client_for, s.admin, s.visit, s.guests[1].id).status_code == 302
    assert _name(client_for, s.admin, s.visit, s.host_champion.id).status_code == 302
    assert _people(s.visit) == {s.guests[1].id: "visitor", s.host_champion.id: "host"}


@pytest.mark.parametrize("who", ["member", "named member", "outsider champion", "anonymous"])
def test_only_champions_of_its_cities_and_admins_name_people(scene, client_for, make_member, who):
    s = scene()
    participants_before = _people(s.visit)
    actor = {
        "member": s.hosts[1],
        "named member": s.guests[0],
        "outsider champion": make_member("champion"),
        "anonymous": None,
    }[who]
    if who == "named member":
        db.session.add(VisitParticipant(visit=s.visit, member=s.guests[0], side="visitor"))
        db.session.commit()
        participants_before = _people(s.visit)
    client = client_for(actor) if actor is not None else client_for(None)
    response = client.post(f"/visits/{s.visit.id}/people", data={"member_id": s.hosts[0].id})
    expected = {"member": 404, "named member": 403, "outsider champion": 404}.get(who)
    if who == "anonymous":
        assert response.status_code in (302, 401)
    else:
        assert response.status_code == expected
    assert _people(s.visit) == participants_before


def test_people_are_named_once_the_visit_is_approved(scene):
    s = scene(status=VisitStatus.ACCEPTED, approved_at=None)
    with pytest.raises(participants.ParticipantError, match="approved"):
        participants.name_person(s.visit, s.hosts[0], s.host_champion)
    s.visit.status = VisitStatus.CANCELLED
    with pytest.raises(participants.ParticipantError, match="cancelled"):
        participants.name_person(s.visit, s.hosts[0], s.host_champion)


def test_naming_twice_or_a_stranger_says_so_and_changes_nothing(
    scene, client_for, make_member, deliver_mail
):
    s = scene()
    participants.name_person(s.visit, s.hosts[0], s.host_champion)
    db.session.commit()
    deliver_mail()
    with pytest.raises(participants.ParticipantError, match="already named"):
        participants.name_person(s.visit, s.hosts[0], s.admin)
    db.session.rollback()
    stranger = make_member()
    with pytest.raises(participants.ParticipantError, match="not from one of this visit"):
        participants.name_person(s.visit, stranger, s.admin)
    db.session.rollback()
    for value in ("", "abc", "99999999999999999999", str(stranger.id)):
        response = _name(client_for, s.admin, s.visit, value)
        assert response.status_code == 400, value
    assert _people(s.visit) == {s.hosts[0].id: "host"}
    assert deliver_mail() == []


def test_taking_someone_off_sends_them_a_cancel_above_their_request(
    scene, client_for, deliver_mail
):
    s = scene()
    participants.name_person(s.visit, s.guests[0], s.guest_champion)
    db.session.commit()
    (named,) = deliver_mail()
    token = subscription_for(s.guests[0]).token
    db.session.commit()
    client = client_for(s.guests[0])
    uids = {e["uid"] for e in parse_all(client.get(f"/calendar/me/{token}.ics").data)}
    assert f"visit-{s.visit.id}@convene" in uids

    # The host's champion cannot take off the visiting city's people.
    response = client_for(s.host_champion).post(
        f"/visits/{s.visit.id}/people/{s.guests[0].id}/remove"
    )
    assert response.status_code == 302
    assert s.guests[0].id in _people(s.visit)

    response = client_for(s.guest_champion).post(
        f"/visits/{s.visit.id}/people/{s.guests[0].id}/remove"
    )
    assert response.status_code == 302
    assert _people(s.visit) == {}
    (removed,) = deliver_mail()
    request, cancel = calendar_part(named).get_content(), calendar_part(removed).get_content()
    assert calendar_part(removed).get_param("method") == "CANCEL"
    assert "STATUS:CANCELLED" not in cancel  # one person off it, not the visit cancelled
    sequence = lambda text: int(text.split("SEQUENCE:")[1].split()[0])  # noqa: E731
    assert sequence(cancel) > sequence(request)
    response = client.get(f"/calendar/me/{token}.ics")
    assert response.status_code == 200, response.text[:3000]
    feed = response.data
    assert not [e for e in parse_all(feed) if e["uid"].startswith("visit-")]


def test_the_visit_page_shows_its_people_and_itinerary_in_constant_queries(
    scene, client_for, make_member, count_queries
):
    from datetime import time, timedelta

    from convene.visits import itinerary

    s = scene()
    client = client_for(s.host_champion)
    counts = []
    for n in (3, 9):
        while len(s.visit.participants) < n:
            person = make_member(organisation=s.host if len(s.visit.participants) % 2 else s.guest)
            participants.name_person(s.visit, person, s.admin)
        while len(s.visit.itinerary) < n:
            k = len(s.visit.itinerary)
            day = s.visit.starts_on + timedelta(days=k % 2)
            itinerary.add_item(
                s.visit, itinerary.ItemInput(day, time(8 + k), time(9 + k), f"Item {k}"), s.admin
            )
        db.session.commit()
        db.session.expire_all()
        with count_queries() as q:
            page = client.get(f"/visits/{s.visit.id}")
        assert page.status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert "Who is going" in page.text and "Item 8" in page.text
    assert 'id="move-visit"' in page.text and 'id="cancel-visit"' in page.text
    assert f"/visits/{s.visit.id}/visit.ics" in page.text
    # A visitor named on it sees the people and the itinerary, and no buttons to change them.
    named = s.visit.participants[0].member
    page = client_for(named).get(f"/visits/{s.visit.id}")
    assert "Who is going" in page.text and "Item 8" in page.text
    assert "Take off" not in page.text and 'id="move-visit"' not in page.text


def test_the_page_sections_show_people_and_offer_naming_to_champions(scene, client_for):
    s = scene()
    participants.name_person(s.visit, s.hosts[0], s.host_champion)
    db.session.commit()
    page = client_for(s.host_champion).get(f"/visits/{s.visit.id}/people")
    assert page.status_code == 200
    assert s.hosts[1].name in page.text and s.guests[0].name not in page.text
    # Counted: naming reads a fixed number of rows whatever the city's size.
    assert db.session.scalar(select(func.count(VisitParticipant.id))) == 1
