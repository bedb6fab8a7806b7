"""Participation by city: how many calls each city's people attended lately."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.convenings.models import Attendance, Call, CallStatus
from convene.extensions import db
from convene.types import utcnow


@dataclass(frozen=True)
class CityParticipation:
    organisation: Organisation
    calls_6: int  # calls at which the city had at least one person, last 6 months
    calls_12: int
    people_6: int  # attendances (person × call), last 6 months
    people_12: int


def participation_by_city(now: datetime | None = None) -> list[CityParticipation]:
    """Every city, with its attendance over the last 6 and 12 months (one query)."""
    now = now or utcnow()
    since_12 = now - relativedelta(months=12)
    since_6 = now - relativedelta(months=6)
    recent = sa.and_(Call.starts_at >= since_6)
    held = sa.and_(
        Call.id == Attendance.call_id,
        Call.status == CallStatus.HELD,
        Call.starts_at >= since_12,
        Call.starts_at <= now,
    )
    stmt = (
        sa.select(
            Organisation,
            sa.func.count(sa.distinct(sa.case((recent, Call.id)))),
            sa.func.count(sa.distinct(Call.id)),
            sa.func.count(sa.case((recent, Attendance.id))),
            sa.func.count(sa.case((Call.id.is_not(None), Attendance.id))),
        )
        .outerjoin(Member, Member.organisation_id == Organisation.id)
        .outerjoin(Attendance, Attendance.member_id == Member.id)
        .outerjoin(Call, held)
        .where(Organisation.kind == OrganisationKind.CITY)
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    )
    return [CityParticipation(*row) for row in db.session.execute(stmt).all()]
