"""The demo's visits: past ones with reports, coming ones at every stage, so the visits
pages, the ledger and the network picture have something to show from the first run."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member
from convene.calendar.subscriptions import subscription_for
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.visits.models import ProgrammeBudget, Visit, VisitReport, VisitStatus
from convene.visits.reports import is_held
from tests.conftest import load_demo_network


@pytest.fixture
def demo(app):
    load_demo_network()
    return app


def _member(email: str) -> Member:
    return db.session.scalar(select(Member).where(Member.email == email))


def test_past_visits_are_held_with_their_reports(demo):
    visits = db.session.scalars(select(Visit)).all()
    past = [v for v in visits if v.ends_on < date.today()]
    assert len(past) >= 6 and all(is_held(v) for v in past)
    reports = db.session.scalars(select(VisitReport)).all()
    assert len(reports) >= 10 and all(r.is_published for r in reports)
    # Most visits have both sides' reports; one has none yet (its cities are still to write).
    by_visit = Counter(r.visit_id for r in reports)
    assert any(len(v.cities) == by_visit[v.id] for v in past)
    assert any(by_visit[v.id] == 0 for v in past)
    # A report is the network's: each one recorded once, the held marks too.
    kinds = Counter(db.session.scalars(select(Action.kind)).all())
    assert kinds[ActionKind.VISIT_REPORTED] == len(reports)
    # A visit that brings three cities together.
    assert any(len(v.cities) == 3 for v in past)


def test_coming_visits_at_every_stage(demo):
    coming = db.session.scalars(select(Visit).where(Visit.starts_on > date.today())).all()
    statuses = Counter(VisitStatus(v.status) for v in coming)
    for status in (
        VisitStatus.REQUESTED,
        VisitStatus.DATES_PROPOSED,
        VisitStatus.ACCEPTED,
        VisitStatus.APPROVED,
        VisitStatus.DECLINED,
        VisitStatus.CANCELLED,
    ):
        assert statuses[status] >= 1, status
    approved = [v for v in coming if v.status == VisitStatus.APPROVED]
    assert all(v.participants and v.travel_budget_cents for v in approved)
    assert any(len(v.itinerary) >= 3 and v.is_public for v in approved)
    assert db.session.scalar(select(func.count()).select_from(ProgrammeBudget)) >= 2


def test_the_demo_accounts_see_visits(demo, client_for, client):
    champion = _member("champion@demo.convene.test")  # Mesa
    member = _member("member@demo.convene.test")  # Louisville
    admin = _member("admin@demo.convene.test")
    # Mesa's coming visit to Louisville is in both the champion's and the member's feeds.
    mesa_visit = db.session.scalar(
        select(Visit).where(
            Visit.requesting_organisation_id == champion.organisation_id,
            Visit.status == VisitStatus.APPROVED,
        )
    )
    assert mesa_visit is not None
    db.session.commit()
    for person in (champion, member):
        token = subscription_for(person).token
        db.session.commit()
        feed = client.get(f"/calendar/me/{token}.ics").get_data(as_text=True)
        assert mesa_visit.title in feed, person.email
    # The pages have something to show.
    reader = client_for(member)
    assert "published reports" in reader.get("/visits/reports").get_data(as_text=True)
    found = reader.get("/calls/archive?q=LouieStat").get_data(as_text=True)
    assert "visit report matching" in found or "visit reports matching" in found
    board = client_for(admin).get("/admin/visits").get_data(as_text=True)
    assert "spent of $40,000" in board
    network = reader.get("/network").get_data(as_text=True)
    assert "Mesa" in network and "<svg" in network
