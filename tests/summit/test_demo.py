from sqlalchemy import func, select

from convene.accounts.models import Member
from convene.extensions import db
from convene.summit.models import Registration, RegistrationStatus, SocialSession, Summit
from tests.conftest import load_demo_network


def test_demo_summits_and_their_pages(app, client, client_for):
    load_demo_network()
    past, upcoming = db.session.scalars(select(Summit).order_by(Summit.starts_on)).all()
    assert past.name == "What Works Cities Summit 2016"
    counts = dict(
        db.session.execute(
            select(Registration.status, func.count(Registration.id))
            .where(Registration.summit_id == upcoming.id)
            .group_by(Registration.status)
        ).all()
    )
    assert 110 <= sum(counts.values()) <= 130
    assert 1 <= counts[RegistrationStatus.WAITLISTED] <= 10
    sessions = db.session.scalars(
        select(SocialSession).where(SocialSession.summit_id == upcoming.id)
    ).all()
    assert sum(s.is_open for s in sessions) == 2
    dinner = next(s for s in sessions if s.is_assigned)
    assert len(dinner.slots) == 3 and not dinner.is_published
    assert any(s.is_published for s in past.social_sessions)

    assert "What Works Cities Summit 2027" in client.get("/summit/").get_data(as_text=True)
    admin = db.session.scalar(select(Member).where(Member.email == "admin@demo.convene.test"))
    member = db.session.scalar(select(Member).where(Member.email == "member@demo.convene.test"))
    as_admin = client_for(admin)
    for path in (
        f"/summit/{upcoming.slug}/registrations",
        f"/summit/{upcoming.slug}/sessions/{dinner.id}/seating",
        f"/summit/{upcoming.slug}/must-not",
        f"/summit/{upcoming.slug}/edit",
    ):
        assert as_admin.get(path).status_code == 200, path
    agenda = client_for(member).get(f"/summit/{upcoming.slug}/my-agenda")
    html = agenda.get_data(as_text=True)
    assert "Opening plenary" in html and "Welcome reception" in html
    assert "Results-driven contracting" in html  # a breakout they picked
