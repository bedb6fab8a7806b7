"""/admin/visits: visits requested, approved and held by city and by area, and the spend."""

from datetime import date, timedelta

import pytest

from convene.extensions import db
from convene.types import utcnow
from convene.visits.dashboard import visits_dashboard
from convene.visits.models import (
    PracticeArea,
    ProgrammeBudget,
    Visit,
    VisitCity,
    VisitFormat,
    VisitSide,
    VisitStatus,
)

TODAY = date.today()
YEAR = TODAY.year


@pytest.fixture
def areas(app):
    found = [
        PracticeArea(name="Open data", slug="open-data"),
        PracticeArea(name="311 data", slug="311-data"),
    ]
    db.session.add_all(found)
    db.session.commit()
    return found


def _visit(area, host, visitors, status, starts_on, budget=None):
    status = VisitStatus(status)
    visit = Visit(
        title=f"{area.name} at {host.name}",
        problem="p",
        intended_use="u",
        format=VisitFormat.SITE_VISIT,
        status=status,
        starts_on=starts_on,
        ends_on=starts_on,
        zone=host.zone,
        practice_area_id=area.id,
        requesting_organisation_id=visitors[0].id,
        travel_budget_cents=budget,
        approved_at=utcnow() if status in (VisitStatus.APPROVED, VisitStatus.HELD) else None,
        cities=[VisitCity(organisation=host, side=VisitSide.HOST)]
        + [VisitCity(organisation=v, side=VisitSide.VISITOR) for v in visitors],
    )
    db.session.add(visit)
    return visit


@pytest.fixture
def scene(areas, make_org):
    open_data, three11 = areas
    boston = make_org(name="Boston", state="MA")
    tulsa = make_org(name="Tulsa", state="OK")
    mesa = make_org(name="Mesa", state="AZ")
    past, ahead = date(YEAR, 1, 1), TODAY + timedelta(days=30)
    if ahead.year != YEAR:  # late December: keep "ahead" in this year
        ahead = date(YEAR, 12, 31)
    _visit(open_data, boston, [tulsa, mesa], "held", past, 150_000)
    _visit(open_data, boston, [mesa], "approved", past, 50_000)  # over: counts as held
    _visit(three11, tulsa, [boston], "approved", ahead, 25_050)
    _visit(three11, tulsa, [mesa], "requested", ahead)
    _visit(open_data, mesa, [tulsa], "declined", ahead)
    _visit(three11, mesa, [boston], "cancelled", ahead, 99_999)  # cancelled: spends nothing
    _visit(open_data, boston, [tulsa], "held", date(YEAR - 1, 6, 1), 70_000)  # another year
    db.session.add(ProgrammeBudget(year=YEAR, amount_cents=500_000))
    db.session.commit()
    return boston, tulsa, mesa


def test_the_counts_by_area_and_city(scene):
    boston, tulsa, mesa = scene
    board = visits_dashboard(YEAR, TODAY)
    t = board.totals
    assert (t.requested, t.waiting, t.approved, t.held, t.declined, t.cancelled) == (
        6, 1, 3, 2, 1, 1,
    )  # fmt: skip
    assert t.spent_cents == 225_050 == board.budget.spent_cents
    assert board.budget.remaining_cents == 500_000 - 225_050
    by_area = {area.name: tally for area, tally in board.by_area}
    assert (by_area["Open data"].requested, by_area["Open data"].held) == (3, 2)
    assert (by_area["311 data"].requested, by_area["311 data"].approved) == (3, 1)
    by_city = {city.name: tally for city, tally in board.by_city}
    assert [c.name for c, _ in board.by_city] == ["Boston", "Mesa", "Tulsa"]
    assert by_city["Boston"].asked_for == 2 and by_city["Boston"].hosted.held == 2
    assert by_city["Mesa"].visited.held == 2 and by_city["Mesa"].asked_for == 2
    assert by_city["Tulsa"].hosted.requested == 2 and by_city["Tulsa"].hosted.approved == 1
    assert by_city["Tulsa"].visited.held == 1  # a third city on Boston's held visit
    assert board.years[:2] == [YEAR, YEAR - 1]


def test_last_year_reads_on_its_own(scene):
    board = visits_dashboard(YEAR - 1, TODAY)
    assert board.totals.requested == 1 and board.totals.held == 1
    assert board.totals.spent_cents == 70_000 and not board.budget.is_set


def test_the_page_for_admins(scene, make_member, client_for):
    page = client_for(make_member("admin")).get("/admin/visits").get_data(as_text=True)
    assert f"Peer visits in {YEAR}" in page
    assert "$2,250.50 spent of $5,000; $2,749.50 remaining." in page
    assert '<th scope="row">Open data</th><td class="num">3</td>' in page
    assert '<th scope="row">Boston, MA</th><td class="num">2</td><td class="num">2</td>' in page
    last = client_for(make_member("admin")).get(f"/admin/visits?year={YEAR - 1}")
    assert f"No travel budget is set for {YEAR - 1}; approved visits spend $700." in (
        last.get_data(as_text=True)
    )


@pytest.mark.parametrize("role", ["member", "champion", "host"])
def test_only_admins(scene, make_member, client_for, client, role):
    assert client_for(make_member(role)).get("/admin/visits").status_code == 403
    assert client.get("/admin/visits").status_code == 302  # to sign in


@pytest.mark.parametrize(
    "year, message",
    [("abc", "That is not a year"), ("1999", "Give a year from 2000 to 2100"),
     ("99999999999999999999", "That is not a year")],
)  # fmt: skip
def test_a_bad_year_says_so_and_shows_this_year(scene, make_member, client_for, year, message):
    answer = client_for(make_member("admin")).get(f"/admin/visits?year={year}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and message in page and f"Peer visits in {YEAR}" in page


def test_the_page_keeps_its_queries_as_visits_grow(
    areas, make_org, make_member, client_for, count_queries
):
    admin = client_for(make_member("admin"))

    def add(n):
        for i in range(n):
            host, visitor = make_org(), make_org()
            status = ["requested", "approved", "held", "declined"][i % 4]
            _visit(areas[i % 2], host, [visitor], status, date(YEAR, 1, 1), 1_000)
        db.session.commit()

    counts = []
    for n in (4, 8):  # N, then 3N visits
        add(n)
        with count_queries() as q:
            page = admin.get("/admin/visits")
        assert page.status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert "<dt>Requested</dt><dd>12</dd>" in page.get_data(as_text=True)
