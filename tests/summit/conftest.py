"""Summit fixtures: a summit with an open registration window, registrations, sessions."""

from datetime import UTC, date, datetime, timedelta

import pytest

from convene.extensions import db
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    Registration,
    RegistrationStatus,
    SessionKind,
    SocialSession,
    Summit,
)
from convene.types import utcnow


@pytest.fixture
def make_summit(app):
    counter = iter(range(1, 1000))

    def factory(**fields) -> Summit:
        n = next(counter)
        now = utcnow()
        defaults = {
            "name": f"Summit {n}",
            "slug": f"summit-{n}",
            "starts_on": date(2027, 4, 12),
            "ends_on": date(2027, 4, 14),
            "venue": "Convene Hall",
            "address": "1 Main Street, New York, NY",
            "zone": "America/New_York",
            "capacity": 10,
            "registration_opens_at": now - timedelta(days=1),
            "registration_closes_at": now + timedelta(days=30),
            "delegation_limit": 3,
        }
        summit = Summit(**(defaults | fields))
        db.session.add(summit)
        db.session.commit()
        return summit

    return factory


@pytest.fixture
def make_registration(app):
    """A registration written directly (no rules), for setting a scene."""

    def factory(summit, member, status="confirmed", registered_at=None, **fields):
        registration = Registration(
            summit=summit,
            member=member,
            organisation_id=member.organisation_id,
            status=RegistrationStatus(status),
            registered_at=registered_at or utcnow(),
            **fields,
        )
        db.session.add(registration)
        db.session.commit()
        return registration

    return factory


@pytest.fixture
def make_session(app):
    def factory(summit, kind="open", **fields) -> SocialSession:
        defaults = {"title": "Reception", "place": "The Roof"}
        if kind == "open":
            defaults |= {
                "starts_at": datetime(2027, 4, 12, 22, 0, tzinfo=UTC),
                "ends_at": datetime(2027, 4, 13, 0, 0, tzinfo=UTC),
                "capacity": 2,
            }
        session = SocialSession(summit=summit, kind=SessionKind(kind), **(defaults | fields))
        db.session.add(session)
        db.session.commit()
        return session

    return factory


@pytest.fixture
def make_agenda_item(app):
    def factory(summit, kind="plenary", **fields) -> AgendaItem:
        defaults = {
            "title": "Opening plenary",
            "starts_at": datetime(2027, 4, 12, 13, 0, tzinfo=UTC),
            "ends_at": datetime(2027, 4, 12, 14, 0, tzinfo=UTC),
            "room": "Main hall",
        }
        item = AgendaItem(summit=summit, kind=AgendaKind(kind), **(defaults | fields))
        db.session.add(item)
        db.session.commit()
        return item

    return factory
