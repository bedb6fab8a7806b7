"""The visits dashboard: how many visits were asked for, approved and held in a year, by city
and by practice area, and the travel budget spent against the year's.

Everything is counted in the database with two grouped queries (one over visits, one over
the cities taking part), so the page runs the same few queries for 10 visits or 10,000.
A visit counts in the year it starts in, as the budget does (budget.py); it is *held* as
reports.py says (marked held, or approved with its last day over).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from convene.accounts.models import Organisation
from convene.extensions import db
from convene.visits import budget as budget_rules
from convene.visits.models import (
    COMMITTED_STATUSES,
    PracticeArea,
    ProgrammeBudget,
    Visit,
    VisitCity,
    VisitSide,
    VisitStatus,
)
from convene.visits.reports import held_clause

WAITING_STATUSES = (VisitStatus.REQUESTED, VisitStatus.DATES_PROPOSED, VisitStatus.ACCEPTED)


@dataclass
class Tally:
    """Visits of a year, from one point of view (all, one area, one city)."""

    requested: int = 0  # every visit asked for, whatever became of it
    waiting: int = 0  # still being answered or approved
    approved: int = 0  # approved by programme staff (held ones included)
    held: int = 0
    declined: int = 0
    cancelled: int = 0
    spent_cents: int = 0  # travel budgets of the approved and held ones

    def add(self, status: VisitStatus, held: bool, count: int, cents: int) -> None:
        self.requested += count
        if status in WAITING_STATUSES:
            self.waiting += count
        elif status in COMMITTED_STATUSES:
            self.approved += count
            self.spent_cents += cents
            if held:
                self.held += count
        elif status == VisitStatus.DECLINED:
            self.declined += count
        elif status == VisitStatus.CANCELLED:
            self.cancelled += count


@dataclass
class CityTally:
    """One city's visits of a year: those it asked for, was asked to host, and took part in."""

    asked_for: int = 0
    hosted: Tally = field(default_factory=Tally)  # as the host city
    visited: Tally = field(default_factory=Tally)  # as a visiting city


@dataclass(frozen=True)
class Dashboard:
    year: int
    years: list[int]  # years with visits or a budget, newest first (this year included)
    totals: Tally
    by_area: list[tuple[PracticeArea, Tally]]
    by_city: list[tuple[Organisation, CityTally]]
    budget: budget_rules.BudgetSummary


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def visits_dashboard(year: int, today: date) -> Dashboard:
    first, last = _year_bounds(year)
    in_year = sa.and_(Visit.starts_on >= first, Visit.starts_on <= last)
    held = held_clause(today).label("held")
    cents = sa.func.coalesce(sa.func.sum(Visit.travel_budget_cents), 0)

    totals, by_area_id = Tally(), defaultdict(Tally)
    rows = db.session.execute(
        sa.select(Visit.practice_area_id, Visit.status, held, sa.func.count(Visit.id), cents)
        .where(in_year)
        .group_by(Visit.practice_area_id, Visit.status, held)
    )
    for area_id, status, is_held, count, spent in rows:
        status = VisitStatus(status)
        totals.add(status, bool(is_held), count, int(spent))
        by_area_id[area_id].add(status, bool(is_held), count, int(spent))

    asked = (Visit.requesting_organisation_id == VisitCity.organisation_id).label("asked")
    by_city_id: dict[int, CityTally] = defaultdict(CityTally)
    rows = db.session.execute(
        sa.select(
            VisitCity.organisation_id,
            VisitCity.side,
            asked,
            Visit.status,
            held,
            sa.func.count(Visit.id),
        )  # fmt: skip
        .join(Visit, Visit.id == VisitCity.visit_id)
        .where(in_year)
        .group_by(VisitCity.organisation_id, VisitCity.side, asked, Visit.status, held)
    )
    for org_id, side, is_asker, status, is_held, count in rows:
        tally = by_city_id[org_id]
        if is_asker:
            tally.asked_for += count
        part = tally.hosted if side == VisitSide.HOST else tally.visited
        part.add(VisitStatus(status), bool(is_held), count, 0)

    areas = db.session.scalars(sa.select(PracticeArea).order_by(PracticeArea.name)).all()
    cities = []
    if by_city_id:
        cities = db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.id.in_(list(by_city_id)))
            .order_by(Organisation.name)
        ).all()

    visit_year = sa.extract("year", Visit.starts_on)
    years = {int(y) for y in db.session.scalars(sa.select(visit_year).distinct()) if y}
    years |= {int(y) for y in db.session.scalars(sa.select(ProgrammeBudget.year))}
    years |= {today.year, year}
    return Dashboard(
        year=year,
        years=sorted(years, reverse=True),
        totals=totals,
        by_area=[(a, by_area_id.get(a.id, Tally())) for a in areas],
        by_city=[(c, by_city_id[c.id]) for c in cities],
        budget=budget_rules.summary(year),
    )
