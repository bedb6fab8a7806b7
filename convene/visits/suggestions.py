"""Loading the facts matching.py ranks hosts on: a fixed number of queries, whatever the
network's size."""

from collections.abc import Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from convene.accounts.models import Organisation, OrganisationKind
from convene.extensions import db
from convene.visits.matching import City, Suggestion, suggest_hosts
from convene.visits.models import (
    COMMITTED_STATUSES,
    HOSTING_STATUSES,
    PracticeArea,
    Visit,
    VisitCity,
    VisitSide,
)
from convene.visits.strengths import all_areas, evidence


def hosted_counts(year: int) -> dict[int, int]:
    """Visits each city hosts (has agreed to host) starting in `year`, by city id."""
    rows = db.session.execute(
        sa.select(VisitCity.organisation_id, sa.func.count(VisitCity.id))
        .join(Visit, Visit.id == VisitCity.visit_id)
        .where(
            VisitCity.side == VisitSide.HOST,
            Visit.status.in_(HOSTING_STATUSES),
            Visit.starts_on >= date(year, 1, 1),
            Visit.starts_on <= date(year, 12, 31),
        )
        .group_by(VisitCity.organisation_id)
    )
    return {city_id: n for city_id, n in rows}


def visited_hosts(organisation_id: int) -> set[int]:
    """The cities `organisation_id` has visited (approved or held visits), by id."""
    host, visitor = aliased(VisitCity), aliased(VisitCity)
    return set(
        db.session.scalars(
            sa.select(host.organisation_id)
            .join(Visit, Visit.id == host.visit_id)
            .join(visitor, visitor.visit_id == Visit.id)
            .where(
                host.side == VisitSide.HOST,
                visitor.side == VisitSide.VISITOR,
                visitor.organisation_id == organisation_id,
                Visit.status.in_(COMMITTED_STATUSES),
            )
        )
    )


def cities(year: int) -> list[City]:
    counts = hosted_counts(year)
    return [
        City(
            id=o.id,
            name=o.name,
            zone=o.zone,
            slug=o.slug,
            latitude=o.latitude,
            longitude=o.longitude,
            cap=o.visits_hosted_cap,
            hosted_this_year=counts.get(o.id, 0),
        )
        for o in db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrganisationKind.CITY)
            .order_by(Organisation.name)
        )
    ]


def suggestions_for(
    organisation: Organisation,
    area: PracticeArea,
    on: date,
    ties: Mapping[frozenset[int], float] | None = None,
    virtual: bool = False,
) -> list[Suggestion]:
    """The host cities `organisation` could ask about `area`, for a visit starting `on`."""
    network = cities(on.year)
    asking = next((c for c in network if c.id == organisation.id), None)
    if asking is None:
        return []
    known = evidence(all_areas(), [c.id for c in network])
    in_area = {
        city_id: by_area[area.id] for city_id, by_area in known.items() if area.id in by_area
    }
    return suggest_hosts(
        asking,
        network,
        in_area,
        area.name,
        on,
        visited=visited_hosts(organisation.id),
        ties=ties,
        virtual=virtual,
    )
