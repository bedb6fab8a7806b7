"""A scheduled visit to test people, itinerary, feeds and changes with: a host city and a
visiting city, each with a champion and two members, and an admin; the visit approved."""

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.types import utcnow
from convene.visits.models import (
    PracticeArea,
    Visit,
    VisitCity,
    VisitFormat,
    VisitParticipant,
    VisitSide,
    VisitStatus,
)


@dataclass
class Scene:
    host: Organisation
    guest: Organisation
    host_champion: Member
    guest_champion: Member
    hosts: list[Member]  # two members of the host city
    guests: list[Member]  # two members of the visiting city
    admin: Member
    visit: Visit


def make_visit(host, guest, starts_on, ends_on=None, zone=None, **fields) -> Visit:
    area = db.session.query(PracticeArea).filter_by(slug="open-data").first()
    if area is None:
        area = PracticeArea(name="Open data", slug="open-data")
        db.session.add(area)
    visit = Visit(
        title=fields.pop("title", f"{guest.name} learns open data from {host.name}"),
        problem="Our open data portal has few users.",
        intended_use="Relaunch the portal with the city's departments.",
        format=fields.pop("format", VisitFormat.SITE_VISIT),
        status=fields.pop("status", VisitStatus.APPROVED),
        starts_on=starts_on,
        ends_on=ends_on or starts_on + timedelta(days=1),
        zone=zone or host.zone,
        practice_area=area,
        requesting_organisation=guest,
        approved_at=fields.pop("approved_at", utcnow()),
        **fields,
    )
    visit.cities = [
        VisitCity(organisation=host, side=VisitSide.HOST),
        VisitCity(organisation=guest, side=VisitSide.VISITOR),
    ]
    db.session.add(visit)
    db.session.commit()
    return visit


def name(visit: Visit, *members: Member) -> None:
    """Name people directly (no mail): for scenes."""
    sides = {c.organisation_id: c.side for c in visit.cities}
    for member in members:
        db.session.add(
            VisitParticipant(visit=visit, member=member, side=sides[member.organisation_id])
        )
    db.session.commit()


@pytest.fixture
def scene(app, make_org, make_member):
    calls = iter(range(1, 1_000))

    def factory(host_zone="America/Kentucky/Louisville", starts_on=None, **fields) -> Scene:
        n = next(calls)
        again = "" if n == 1 else f" ({n})"
        host = make_org("city", name=f"Louisville, KY{again}", zone=host_zone)
        guest = make_org("city", name=f"Mesa, AZ{again}", zone="America/Phoenix")
        starts_on = starts_on or date.today() + timedelta(days=40)
        scene = Scene(
            host=host,
            guest=guest,
            host_champion=make_member("champion", organisation=host, name="Hana Host"),
            guest_champion=make_member("champion", organisation=guest, name="Gil Guest"),
            hosts=[make_member(organisation=host, name=f"Host {i}") for i in (1, 2)],
            guests=[make_member(organisation=guest, name=f"Guest {i}") for i in (1, 2)],
            admin=make_member("admin", name="Ada Admin"),
            visit=make_visit(host, guest, starts_on, **fields),
        )
        return scene

    return factory
