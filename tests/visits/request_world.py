"""A small network for the request flow's tests: two cities with champions, a third city,
an admin, a practice area, and helpers to ask, answer and approve through the pages."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.visits.areas import add_area
from convene.visits.models import PracticeArea, Visit
from convene.visits.requests import NewRequest, VisitFormat, request_visit


@dataclass
class World:
    area: PracticeArea
    asking: Organisation  # Boston asks
    host: Organisation  # Louisville hosts
    third: Organisation  # Denver may join
    asking_champion: Member
    host_champion: Member
    third_champion: Member
    asking_member: Member
    admin: Member
    make_member: object
    make_org: object
    client_for: object

    def days(self, ahead: int = 40, length: int = 2) -> tuple[date, date]:
        first = date.today() + timedelta(days=ahead)
        return first, first + timedelta(days=length - 1)

    def form(self, **overrides) -> dict:
        first, last = self.days()
        data = {
            "host": self.host.slug,
            "area": self.area.slug,
            "visit_format": "site_visit",
            "starts_on": first.isoformat(),
            "ends_on": last.isoformat(),
            "problem": "How Louisville publishes its 311 data every night.",
            "intended_use": "Boston will publish its own 311 data by the spring.",
        }
        return {**data, **overrides}

    def ask(self, **overrides) -> Visit:
        """A request made through the domain function, committed."""
        first, last = self.days()
        fields = {
            "asking": self.asking,
            "host": self.host,
            "area": self.area,
            "visit_format": VisitFormat.SITE_VISIT,
            "starts_on": first,
            "ends_on": last,
            "problem": "Open 311 data.",
            "intended_use": "Publish ours.",
        }
        visit = request_visit(self.asking_champion, NewRequest(**{**fields, **overrides}))
        db.session.commit()
        return visit


@pytest.fixture(name="world")
def world_fixture(app, make_org, make_member, client_for) -> World:
    area = add_area("Open data")
    db.session.commit()
    boston = make_org(name="Boston", slug="boston", zone="America/New_York")
    louisville = make_org(name="Louisville", slug="louisville", zone="America/Kentucky/Louisville")
    denver = make_org(name="Denver", slug="denver", zone="America/Denver")
    return World(
        area=area,
        asking=boston,
        host=louisville,
        third=denver,
        asking_champion=make_member("champion", organisation=boston, name="Bea Boston"),
        host_champion=make_member("champion", organisation=louisville, name="Lou Host"),
        third_champion=make_member("champion", organisation=denver, name="Dee Denver"),
        asking_member=make_member(organisation=boston, name="Bo Member"),
        admin=make_member("admin", name="Ada Admin"),
        make_member=make_member,
        make_org=make_org,
        client_for=client_for,
    )
