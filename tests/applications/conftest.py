"""Shared fixtures for city applications: a submitted application with every field filled,
and reviewers (an admin, or a partner's staff member) already marked as such."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from convene.applications.models import Application, ApplicationStatus, Reviewer, Seniority
from convene.extensions import db
from convene.visits.models import PracticeArea


@pytest.fixture
def practice_area(app):
    """practice_area("Open data"): the area with that name, made if it is not there yet."""

    def factory(name: str) -> PracticeArea:
        area = db.session.scalar(sa.select(PracticeArea).where(PracticeArea.name == name))
        if area is None:
            slug = "-".join(name.lower().split())
            area = PracticeArea(name=name, slug=slug)
            db.session.add(area)
            db.session.commit()
        return area

    return factory


@pytest.fixture
def make_application(app, practice_area):
    """make_application(status="submitted", city=..., state=..., population=..., areas=[...]):
    a submitted application row with every field filled (no letter file on disk)."""

    counter = iter(range(1, 100_000))

    def factory(
        status: str = "submitted",
        city: str | None = None,
        state: str = "OH",
        population: int | None = 180_000,
        areas=("Open data", "311 data"),
        **fields,
    ) -> Application:
        n = next(counter)
        status = ApplicationStatus(status)
        submitted = datetime.now(UTC).replace(microsecond=0) - timedelta(days=10, minutes=n)
        defaults = {
            "reference": f"APP-T{n:05d}",
            "status": status,
            "email": f"clerk{n}@city{n}.example.gov",
            "contact_name": f"Clerk {n}",
            "city_name": city or f"Springfield {n}",
            "state": state,
            "population": population,
            "zone": "America/New_York",
            "latitude": 39.96,
            "longitude": -83.0,
            "champion_name": f"Champion {n}",
            "champion_title": "Chief Data Officer",
            "champion_email": f"champion{n}@city{n}.example.gov",
            "champion_seniority": Seniority.EXECUTIVE,
            "data_history": "We publish an open data portal and a 311 dashboard.",
            "resources": "Two analysts half time and a budget for training.",
            "help_wanted": "Building a performance programme with the council.",
            "letter_file": None,
            "letter_filename": "mayor-letter.pdf",
            "letter_bytes": 12_345,
            "letter_sha256": "0" * 64,
            "submitted_at": None if status == ApplicationStatus.DRAFT else submitted,
        }
        application = Application(**(defaults | fields))
        application.areas = [a if isinstance(a, PracticeArea) else practice_area(a) for a in areas]
        db.session.add(application)
        db.session.commit()
        return application

    return factory


@pytest.fixture
def make_reviewer(app, make_member, make_org):
    """make_reviewer("admin" | "partner"): a Member marked as an active reviewer. A partner
    reviewer is a member of a partner organisation (role "host" unless `role=` says)."""

    def factory(kind: str = "partner", role: str | None = None, **fields):
        if kind == "admin":
            member = make_member(role="admin", **fields)
        elif kind == "partner":
            member = make_member(role=role or "host", organisation=make_org("partner"), **fields)
        else:
            raise ValueError(f"unknown reviewer kind {kind!r}")
        db.session.add(Reviewer(member_id=member.id))
        db.session.commit()
        return member

    return factory
