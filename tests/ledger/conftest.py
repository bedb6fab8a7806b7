"""Ledger fixtures: occasions two cities share, written directly (no flows), to set a scene."""

from datetime import UTC, date, datetime, timedelta

import pytest

from convene.convenings.models import Attendance, CallStatus
from convene.extensions import db
from convene.summit.models import (
    SeatAssignment,
    SessionKind,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.types import utcnow
from convene.visits.models import (
    PracticeArea,
    Visit,
    VisitCity,
    VisitFormat,
    VisitSide,
    VisitStatus,
)

PAST = datetime(2026, 3, 12, 17, tzinfo=UTC)


@pytest.fixture
def make_city(make_org):
    def factory(name: str, **fields):
        slug = fields.pop("slug", name.lower().replace(" ", "-"))
        return make_org("city", name=name, slug=slug, **fields)

    return factory


@pytest.fixture
def held_call(make_call):
    """A held call attended by the given members."""

    def factory(people, starts_at=PAST, title="Open data portals", **fields):
        call = make_call(starts_at=starts_at, status=CallStatus.HELD, title=title, **fields)
        for person in people:
            db.session.add(Attendance(call=call, member=person))
        db.session.commit()
        return call

    return factory


@pytest.fixture
def make_ledger_summit(app):
    counter = iter(range(1, 1000))

    def factory(starts_on=date(2026, 4, 18), **fields) -> Summit:
        n = next(counter)
        summit = Summit(
            **{
                "name": f"Summit {n}",
                "slug": f"ledger-summit-{n}",
                "starts_on": starts_on,
                "ends_on": starts_on + timedelta(days=2),
                "venue": "Convene Hall",
                "address": "1 Main Street, New York, NY",
                "zone": "America/New_York",
                "capacity": 200,
                "registration_opens_at": datetime(2025, 1, 1, tzinfo=UTC),
                "registration_closes_at": datetime(2025, 3, 1, tzinfo=UTC),
            }
            | fields
        )
        db.session.add(summit)
        db.session.commit()
        return summit

    return factory


@pytest.fixture
def seat(app):
    """A dinner of one slot in `summit` (published unless told), with `tables` as lists of
    members: returns the session."""

    def factory(summit, tables, published=True, cancelled=False, starts_at=None, title="Dinner"):
        starts_at = starts_at or datetime.combine(summit.starts_on, datetime.min.time(), UTC)
        starts_at += timedelta(hours=23)
        session = SocialSession(
            summit=summit,
            kind=SessionKind.ASSIGNED,
            title=title,
            is_published=published,
            is_cancelled=cancelled,
        )
        slot = SessionSlot(
            session=session,
            position=1,
            label="Night 1",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
        )
        db.session.add_all([session, slot])
        for n, people in enumerate(tables, start=1):
            table = SessionTable(slot=slot, position=n, name=f"Table {n}", seats=10)
            db.session.add(table)
            db.session.flush()
            for person in people:
                db.session.add(SeatAssignment(slot_id=slot.id, table_id=table.id, member=person))
        db.session.commit()
        return session

    return factory


@pytest.fixture
def sign_up(app):
    """An open social session with these members signed up (and `waitlisted` queued)."""

    def factory(summit, people, waitlisted=(), cancelled=False, starts_at=None):
        starts_at = starts_at or datetime.combine(summit.starts_on, datetime.min.time(), UTC)
        starts_at += timedelta(hours=22)
        session = SocialSession(
            summit=summit,
            kind=SessionKind.OPEN,
            title="Walking tour",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            capacity=50,
            is_cancelled=cancelled,
        )
        db.session.add(session)
        for person in people:
            db.session.add(
                SessionSignup(session=session, member=person, status=SignupStatus.SIGNED_UP)
            )
        for person in waitlisted:
            db.session.add(
                SessionSignup(session=session, member=person, status=SignupStatus.WAITLISTED)
            )
        db.session.commit()
        return session

    return factory


@pytest.fixture
def practice_area(app):
    area = PracticeArea(name="Performance management", slug="performance-management")
    db.session.add(area)
    db.session.commit()
    return area


@pytest.fixture
def make_visit(practice_area):
    """A visit hosted by `host` with `visitors`, in the given status (approved by default)."""

    def factory(host, visitors, status="approved", starts_on=date(2026, 5, 4), **fields):
        status = VisitStatus(status)
        visit = Visit(
            title="Performance dashboards",
            problem="How to run monthly performance reviews.",
            intended_use="Start our own reviews.",
            format=VisitFormat.SITE_VISIT,
            status=status,
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=1),
            zone=host.zone,
            practice_area_id=practice_area.id,
            requesting_organisation_id=visitors[0].id,
            approved_at=utcnow() if status in (VisitStatus.APPROVED, VisitStatus.HELD) else None,
            **fields,
        )
        visit.cities = [VisitCity(organisation=host, side=VisitSide.HOST)] + [
            VisitCity(organisation=v, side=VisitSide.VISITOR) for v in visitors
        ]
        db.session.add(visit)
        db.session.commit()
        return visit

    return factory
