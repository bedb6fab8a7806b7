"""A visit from request to approval, through the pages: asking, the host city's answer,
other dates, approval against the year's travel budget, the visit's page and the list."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.visits import budget as budgets
from convene.visits.models import (
    ProgrammeBudget,
    Visit,
    VisitCity,
    VisitParticipant,
    VisitSide,
    VisitStatus,
)
from convene.visits.requests import check_dates, days_span, zone_difference
from tests.conftest import body_of
from tests.visits.request_world import world_fixture  # noqa: F401  (the `world` fixture)

K = ActionKind


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _actions(kind=None) -> list[Action]:
    query = select(Action).order_by(Action.id)
    if kind is not None:
        query = query.where(Action.kind == kind)
    return list(db.session.scalars(query))


def _reload(visit: Visit) -> Visit:
    db.session.expire_all()
    return db.session.get(Visit, visit.id)


# --- asking ---------------------------------------------------------------------------------


def test_a_champion_asks_and_the_host_champion_is_told(world, deliver_mail):
    client = world.client_for(world.asking_champion)
    page = client.get(f"/visits/new?host={world.host.slug}&area={world.area.slug}")
    assert page.status_code == 200
    assert f'<option selected value="{world.host.slug}">' in page.text
    assert f'<option selected value="{world.area.slug}">' in page.text
    assert "The city asking" not in page.text  # a champion asks for their own city

    sent = client.post("/visits/new", data=world.form(also_visiting=[world.third.slug]))
    assert sent.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert sent.headers["Location"].endswith(f"/visits/{visit.id}")
    assert visit.status == VisitStatus.REQUESTED
    assert visit.title == "Site visit: Open data in Louisville"
    assert visit.zone == "America/Kentucky/Louisville"
    assert visit.requesting_organisation_id == world.asking.id
    assert [o.name for o in visit.hosts] == ["Louisville"]
    assert [o.name for o in visit.visitors] == ["Boston", "Denver"]
    (action,) = _actions(K.VISIT_REQUESTED)
    assert action.actor_id == world.asking_champion.id and action.visit_id == visit.id

    mail = deliver_mail()
    assert [m["To"].addresses[0].addr_spec for m in mail] == [world.host_champion.email]
    assert mail[0]["Subject"] == "Boston asks to visit: Open data"
    body = body_of(mail[0])
    assert "How Louisville publishes its 311 data every night." in body
    assert f"/visits/{visit.id}" in body

    shown = client.get(f"/visits/{visit.id}")
    assert shown.status_code == 200
    assert "Waiting for the host city" in shown.text
    assert "asked for by Bea Boston" in shown.text  # the history


def test_an_admin_asks_for_a_city_they_choose(world):
    client = world.client_for(world.admin)
    page = client.get(f"/visits/new?city={world.asking.slug}&host={world.host.slug}")
    assert page.status_code == 200 and "The city asking" in page.text
    sent = client.post("/visits/new", data=world.form(asking_city=world.third.slug))
    assert sent.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.requesting_organisation_id == world.third.id
    assert visit.created_by_id == world.admin.id
    missing = client.post("/visits/new", data=world.form())
    assert missing.status_code == 400 and "Choose the city asking." in missing.text


def _bad_cases(w):
    today = date.today()
    lead = today + timedelta(days=21)
    return [
        ({"starts_on": (today - timedelta(days=3)).isoformat(),
          "ends_on": (today - timedelta(days=2)).isoformat()}, "has already passed"),
        ({"starts_on": (today + timedelta(days=5)).isoformat(),
          "ends_on": (today + timedelta(days=6)).isoformat()},
         f"Ask at least 21 days ahead: the first day can be {lead:%-d %B %Y} at the earliest."),
        ({"starts_on": (today + timedelta(days=40)).isoformat(),
          "ends_on": (today + timedelta(days=38)).isoformat()}, "is before the first"),
        ({"starts_on": (today + timedelta(days=40)).isoformat(),
          "ends_on": (today + timedelta(days=46)).isoformat()},
         "A visit lasts at most 5 days; these dates make 7 days."),
        ({"starts_on": ""}, "Give the first day."),
        ({"starts_on": "9999-01-01"}, "Give a date within three years."),
        ({"host": w.asking.slug}, "Boston cannot host itself: choose another city."),
        ({"host": "atlantis"}, "That city is not in the network: choose one from the list."),
        ({"area": "alchemy"}, "That area is not on the list: choose one from the list."),
        ({"also_visiting": ["atlantis"]}, "Choose the other cities from the list."),
        ({"also_visiting": [w.host.slug]}, "Louisville hosts this visit"),
        ({"problem": "x" * 4_001}, "Use at most 4,000 characters."),
        ({"problem": "   "}, "Say what your city wants to learn about."),
        ({"intended_use": ""}, "Say how your city will use what it learns."),
        ({"visit_format": "hot_air_balloon"}, "Not a valid choice"),
    ]  # fmt: skip


def test_bad_input_gets_a_clear_message_and_writes_nothing(world):
    client = world.client_for(world.asking_champion)
    for overrides, message in _bad_cases(world):
        page = client.post("/visits/new", data=world.form(**overrides))
        assert page.status_code == 400, overrides
        assert message in page.text, (overrides, message)
        assert "Nothing was saved" in page.text
        assert "x" * 4_001 not in page.text
    assert _count(Visit) == 0 and _count(VisitCity) == 0 and _actions() == []


def test_the_lead_time_and_length_are_settings(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "VISIT_LEAD_DAYS", 3)
    monkeypatch.setitem(app.config, "VISIT_MAX_DAYS", 1)
    client = world.client_for(world.asking_champion)
    first = date.today() + timedelta(days=4)
    page = client.post(
        "/visits/new", data=world.form(starts_on=first.isoformat(), ends_on=first.isoformat())
    )
    assert page.status_code == 302
    two = client.post(
        "/visits/new",
        data=world.form(
            starts_on=first.isoformat(), ends_on=(first + timedelta(days=1)).isoformat()
        ),
    )
    assert "A visit lasts at most 1 day; these dates make 2 days." in two.text


def test_check_dates_wording():
    today = date(2027, 3, 1)
    check_dates(date(2027, 3, 22), date(2027, 3, 26), today)
    with pytest.raises(ValueError, match="Ask at least 1 day ahead"):
        check_dates(today, today, today, lead=1)
    assert days_span(date(2027, 3, 30), date(2027, 4, 2)) == "30 March to 2 April 2027"
    assert days_span(date(2027, 3, 12), date(2027, 3, 14)) == "12 to 14 March 2027"
    assert days_span(date(2027, 3, 12), date(2027, 3, 12)) == "12 March 2027"
    assert zone_difference("America/Kentucky/Louisville", "America/Phoenix", date(2027, 7, 1)) == (
        "3 hours behind"
    )
    assert zone_difference("America/Phoenix", "Asia/Kolkata", date(2027, 1, 5)) == (
        "12 hours 30 minutes ahead"
    )
    assert zone_difference("America/New_York", "America/Detroit", date(2027, 1, 5)) is None


def test_a_host_at_its_yearly_cap_is_refused(world):
    world.host.visits_hosted_cap = 1
    db.session.commit()
    visit = world.ask()
    visit.status = VisitStatus.ACCEPTED
    db.session.commit()
    client = world.client_for(world.asking_champion)
    page = client.post("/visits/new", data=world.form())
    assert page.status_code == 400
    year = visit.starts_on.year
    assert (
        f"Louisville hosts at most 1 visit a year, and has agreed to 1 visit in {year}: "
        "ask another city, or for dates in another year."
    ) in page.text
    assert _count(Visit) == 1


# --- the host city's answer ------------------------------------------------------------------


def test_the_host_accepts_and_the_asking_champion_is_told(world, deliver_mail):
    visit = world.ask()
    deliver_mail()
    client = world.client_for(world.host_champion)
    page = client.get(f"/visits/{visit.id}")
    assert "Your answer" in page.text
    answered = client.post(
        f"/visits/{visit.id}/answer", data={"answer": "accept", "reason": "Welcome!"}
    )
    assert answered.status_code == 302
    visit = _reload(visit)
    assert visit.status == VisitStatus.ACCEPTED
    assert visit.answered_by_id == world.host_champion.id and visit.answer_note == "Welcome!"
    mail = deliver_mail()
    assert [m["To"].addresses[0].addr_spec for m in mail] == [world.asking_champion.email]
    assert "Louisville accepted your request" in body_of(mail[0])
    assert "Welcome!" in body_of(mail[0])
    again = client.post(f"/visits/{visit.id}/answer", data={"answer": "decline", "reason": "x"})
    assert again.status_code == 409
    assert "Nothing was changed: it has already been accepted." in again.text
    assert _reload(visit).status == VisitStatus.ACCEPTED
    assert len(_actions(K.VISIT_ACCEPTED)) == 1 and _actions(K.VISIT_DECLINED) == []


def test_declining_needs_a_reason(world, deliver_mail):
    visit = world.ask()
    deliver_mail()
    client = world.client_for(world.host_champion)
    page = client.post(f"/visits/{visit.id}/answer", data={"answer": "decline"})
    assert page.status_code == 400 and "Say why, so the asking city can plan." in page.text
    assert _reload(visit).status == VisitStatus.REQUESTED and _actions(K.VISIT_DECLINED) == []
    page = client.post(
        f"/visits/{visit.id}/answer", data={"answer": "decline", "reason": "Our team is away."}
    )
    assert page.status_code == 302
    assert _reload(visit).status == VisitStatus.DECLINED
    (mail,) = deliver_mail()
    assert mail["To"].addresses[0].addr_spec == world.asking_champion.email
    assert mail["Subject"] == f"Visit declined: {visit.title}"
    assert "Our team is away." in body_of(mail)
    shown = world.client_for(world.asking_champion).get(f"/visits/{visit.id}")
    assert "Declined by Lou Host" in shown.text and "Our team is away." in shown.text


def test_other_dates_are_proposed_then_taken(world, deliver_mail):
    visit = world.ask()
    deliver_mail()
    asked_first = visit.starts_on
    first, last = world.days(ahead=60, length=3)
    host = world.client_for(world.host_champion)
    bad = host.post(
        f"/visits/{visit.id}/answer",
        data={"answer": "propose", "starts_on": first.isoformat()},
    )
    assert bad.status_code == 400 and "Give the last day of the visit." in bad.text
    page = host.post(
        f"/visits/{visit.id}/answer",
        data={"answer": "propose", "starts_on": first.isoformat(), "ends_on": last.isoformat(),
              "reason": "Our data team is back then."},
    )  # fmt: skip
    assert page.status_code == 302
    visit = _reload(visit)
    assert visit.status == VisitStatus.DATES_PROPOSED
    assert (visit.proposed_starts_on, visit.starts_on) == (first, asked_first)
    (mail,) = deliver_mail()
    assert mail["To"].addresses[0].addr_spec == world.asking_champion.email
    assert f"Proposed: {days_span(first, last)}" in body_of(mail)
    assert "Our data team is back then." in body_of(mail)

    asking = world.client_for(world.asking_champion)
    shown = asking.get(f"/visits/{visit.id}")
    assert "The host city proposes other dates" in shown.text
    assert days_span(first, last) in shown.text
    neither = asking.post(f"/visits/{visit.id}/proposal", data={})
    assert neither.status_code == 400
    assert "Take the proposed dates, or withdraw the request." in neither.text
    took = asking.post(f"/visits/{visit.id}/proposal", data={"take": "Take these dates"})
    assert took.status_code == 302
    visit = _reload(visit)
    assert visit.status == VisitStatus.ACCEPTED
    assert (visit.starts_on, visit.ends_on) == (first, last)
    assert visit.proposed_starts_on is None
    (mail,) = deliver_mail()
    assert mail["To"].addresses[0].addr_spec == world.host_champion.email
    assert "Boston took the days you proposed (Bea Boston)" in body_of(mail)


def test_the_asking_city_may_withdraw_instead(world, deliver_mail):
    visit = world.ask()
    first, last = world.days(ahead=60)
    host = world.client_for(world.host_champion)
    host.post(
        f"/visits/{visit.id}/answer",
        data={"answer": "propose", "starts_on": first.isoformat(), "ends_on": last.isoformat()},
    )
    deliver_mail()
    asking = world.client_for(world.asking_champion)
    page = asking.post(f"/visits/{visit.id}/proposal", data={"withdraw": "Withdraw"})
    assert page.status_code == 302
    visit = _reload(visit)
    assert visit.status == VisitStatus.CANCELLED and visit.proposed_starts_on is None
    (action,) = _actions(K.VISIT_CANCELLED)
    assert action.details["withdrawn"] is True
    again = asking.post(f"/visits/{visit.id}/proposal", data={"take": "Take"})
    assert again.status_code == 409


def test_proposing_the_same_dates_is_refused(world):
    visit = world.ask()
    page = world.client_for(world.host_champion).post(
        f"/visits/{visit.id}/answer",
        data={"answer": "propose", "starts_on": visit.starts_on.isoformat(),
              "ends_on": visit.ends_on.isoformat()},
    )  # fmt: skip
    assert page.status_code == 400
    assert "These are the dates asked for: accept the request instead." in page.text


# --- approval and the budget ----------------------------------------------------------------


def _accepted(world, champion=None, **overrides) -> Visit:
    visit = world.ask(**overrides)
    answered = world.client_for(champion or world.host_champion).post(
        f"/visits/{visit.id}/answer", data={"answer": "accept"}
    )
    assert answered.status_code == 302
    return _reload(visit)


def test_an_admin_approves_within_the_budget(world, deliver_mail):
    visit = _accepted(world)
    year = visit.year
    going = world.make_member(organisation=world.asking, name="Gus Going")
    db.session.add(VisitParticipant(visit_id=visit.id, member_id=going.id, side=VisitSide.VISITOR))
    db.session.commit()
    admin = world.client_for(world.admin)
    set_ = admin.post("/admin/visits/budget", data={"year": year, "amount": 5000})
    assert set_.status_code == 302
    page = admin.get(f"/visits/{visit.id}")
    assert f"{year} travel budget: $5,000; $0 spent on approved visits, $5,000 left." in page.text
    deliver_mail()
    approved = admin.post(f"/visits/{visit.id}/approve", data={"travel_budget": 3000})
    assert approved.status_code == 302
    visit = _reload(visit)
    assert visit.status == VisitStatus.APPROVED and visit.travel_budget_cents == 300_000
    assert visit.approved_by_id == world.admin.id and visit.sequence >= 1
    assert budgets.summary(year).remaining_cents == 200_000
    mail = {m["To"].addresses[0].addr_spec: m for m in deliver_mail()}
    assert set(mail) == {going.email, world.asking_champion.email, world.host_champion.email}
    methods = {
        address: next(
            (p.get_param("method") for p in m.walk() if p.get_content_type() == "text/calendar"),
            None,
        )
        for address, m in mail.items()
    }
    assert methods[going.email] == "REQUEST"  # the person going gets the invitation
    assert methods[world.host_champion.email] is None
    assert "is approved and scheduled" in body_of(mail[going.email])

    listing = admin.get("/admin/visits/budget")
    assert "$3,000" in listing.text and "$2,000" in listing.text
    too_low = admin.post("/admin/visits/budget", data={"year": year, "amount": 2000})
    assert too_low.status_code == 400
    assert f"Visits approved for {year} already spend $3,000" in too_low.text
    assert db.session.get(ProgrammeBudget, year).amount_cents == 500_000


def test_an_approval_over_what_is_left_is_refused(world):
    first = _accepted(world)
    second = _accepted(world, world.third_champion, host=world.third)
    admin = world.client_for(world.admin)
    admin.post("/admin/visits/budget", data={"year": first.year, "amount": 5000})
    assert admin.post(f"/visits/{first.id}/approve", data={"travel_budget": 3000}).status_code == (
        302
    )
    over = admin.post(f"/visits/{second.id}/approve", data={"travel_budget": 2500})
    assert over.status_code == 409
    assert (
        f"$2,500 is more than what is left of the {first.year} travel budget: $2,000 of $5,000."
    ) in over.text
    assert _reload(second).status == VisitStatus.ACCEPTED
    assert (
        _actions(K.VISIT_APPROVED)[0].visit_id == first.id and len(_actions(K.VISIT_APPROVED)) == 1
    )


def test_a_travel_budget_needs_the_years_budget_set(world):
    visit = _accepted(world)
    admin = world.client_for(world.admin)
    page = admin.post(f"/visits/{visit.id}/approve", data={"travel_budget": 100})
    assert page.status_code == 409 and f"No travel budget is set for {visit.year}" in page.text
    assert _reload(visit).status == VisitStatus.ACCEPTED
    bad = admin.post(f"/visits/{visit.id}/approve", data={"travel_budget": -5})
    assert bad.status_code == 400 and "Give a whole number from 0 to 10,000,000." in bad.text
    free = admin.post(f"/visits/{visit.id}/approve", data={"travel_budget": ""})
    assert free.status_code == 302
    assert _reload(visit).status == VisitStatus.APPROVED and visit.travel_budget_cents is None
    twice = admin.post(f"/visits/{visit.id}/approve", data={})
    assert twice.status_code == 409 and "it has already been approved" in twice.text


def test_a_request_not_yet_accepted_cannot_be_approved(world):
    visit = world.ask()
    page = world.client_for(world.admin).post(f"/visits/{visit.id}/approve", data={})
    assert page.status_code == 409 and "it is still waiting for the host city" in page.text
    assert _reload(visit).status == VisitStatus.REQUESTED


def test_the_budget_page_refuses_bad_input(world):
    admin = world.client_for(world.admin)
    for data, message in [
        ({"year": 1999, "amount": 10}, "Give a year from 2000 to 2100."),
        ({"year": "next", "amount": 10}, "Not a valid integer value."),
        ({"year": 2027, "amount": -1}, "Give a whole number from 0 to 10,000,000."),
        ({"year": 2027, "amount": ""}, "Give the budget."),
        ({"year": 2027, "amount": "lots"}, "Not a valid integer value."),
        ({"year": 2027, "amount": 10**20}, "Give a whole number from 0 to 10,000,000."),
    ]:
        page = admin.post("/admin/visits/budget", data=data)
        assert page.status_code == 400 and message in page.text, data
    assert _count(ProgrammeBudget) == 0
    assert admin.get("/admin/visits/budget?year=99999").status_code == 200


# --- the visit's page and the list -----------------------------------------------------------


def test_the_visit_page_gives_the_days_in_the_hosts_zone_and_the_viewers(world):
    visit = world.ask()
    world.asking_champion.zone = "America/Phoenix"
    db.session.commit()
    page = world.client_for(world.asking_champion).get(f"/visits/{visit.id}")
    assert days_span(visit.starts_on, visit.ends_on) in page.text
    assert "in the host city's time (Eastern — Louisville)" in page.text
    difference = zone_difference(visit.zone, "America/Phoenix", visit.starts_on)
    assert f"Your time (Mountain, no daylight saving — Phoenix) is {difference}." in page.text


def test_the_list_shows_ones_own_visits_in_constant_queries(world, count_queries):
    def make(n):
        for _ in range(n):
            world.ask(host=world.make_org())

    make(3)
    client = world.client_for(world.asking_champion)
    client.get("/visits")
    with count_queries() as small:
        page = client.get("/visits")
    assert page.status_code == 200 and page.text.count('id="visit-') == 3
    make(6)
    with count_queries() as large:
        page = client.get("/visits")
    assert page.text.count('id="visit-') == 9
    assert small.count == large.count, (small.count, large.count)

    # A champion of an unrelated city sees none of them; an admin sees all.
    assert 'id="visit-' not in world.client_for(world.make_member("champion")).get("/visits").text
    assert world.client_for(world.admin).get("/visits").text.count('id="visit-') == 9
