"""The programme's yearly travel budget for peer visits: what is set, spent and left.

A visit's travel budget counts against the year it starts in once a programme admin approves
it (approved or held). Approving locks the year's budget row (SELECT ... FOR UPDATE) before
it adds up what is spent, so two approvals at once queue on that row and the second sees the
first: together they can never spend more than the budget.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from convene.extensions import db
from convene.visits.models import COMMITTED_STATUSES, ProgrammeBudget, Visit

# The largest yearly budget or visit budget a form accepts, in whole dollars.
MAX_DOLLARS = 10_000_000


class BudgetError(ValueError):
    """A budget change or a spend the rules refuse; the message is for the person."""


@dataclass(frozen=True)
class BudgetSummary:
    year: int
    amount_cents: int | None  # None: no budget set for the year
    spent_cents: int

    @property
    def is_set(self) -> bool:
        return self.amount_cents is not None

    @property
    def remaining_cents(self) -> int:
        return (self.amount_cents or 0) - self.spent_cents


def dollars(cents: int | None) -> str:
    """ "$1,250" or "$1,250.50": how the pages and mail write money."""
    cents = cents or 0
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}" + (f".{part:02d}" if part else "")


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def spent_cents(year: int, excluding_visit_id: int | None = None) -> int:
    """The travel budgets of the visits approved or held that start in `year`."""
    first, last = _year_bounds(year)
    query = sa.select(sa.func.coalesce(sa.func.sum(Visit.travel_budget_cents), 0)).where(
        Visit.status.in_(COMMITTED_STATUSES),
        Visit.starts_on >= first,
        Visit.starts_on <= last,
    )
    if excluding_visit_id is not None:
        query = query.where(Visit.id != excluding_visit_id)
    return int(db.session.scalar(query) or 0)


def summary(year: int) -> BudgetSummary:
    budget = db.session.get(ProgrammeBudget, year)
    return BudgetSummary(year, budget.amount_cents if budget else None, spent_cents(year))


def summaries(years) -> list[BudgetSummary]:
    """Several years at once, in two queries (the budget page's table)."""
    years = sorted(set(years))
    if not years:
        return []
    amounts = dict(
        db.session.execute(
            sa.select(ProgrammeBudget.year, ProgrammeBudget.amount_cents).where(
                ProgrammeBudget.year.in_(years)
            )
        ).all()
    )
    year_of = sa.extract("year", Visit.starts_on)
    spent = {
        int(y): int(total or 0)
        for y, total in db.session.execute(
            sa.select(year_of, sa.func.sum(Visit.travel_budget_cents))
            .where(Visit.status.in_(COMMITTED_STATUSES))
            .group_by(year_of)
        )
        if y is not None
    }
    return [BudgetSummary(y, amounts.get(y), spent.get(y, 0)) for y in years]


def budget_years() -> list[int]:
    """Every year with a budget set, newest first."""
    return list(
        db.session.scalars(sa.select(ProgrammeBudget.year).order_by(ProgrammeBudget.year.desc()))
    )


def lock_budget(year: int) -> ProgrammeBudget | None:
    """The year's budget row, locked until the transaction ends (None: none is set)."""
    return db.session.scalar(
        sa.select(ProgrammeBudget)
        .where(ProgrammeBudget.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def set_budget(year: int, amount_cents: int) -> tuple[int | None, ProgrammeBudget]:
    """Set the year's budget; returns what it was. Never below what is already approved."""
    if not 2000 <= year <= 2100:
        raise BudgetError("Give a year from 2000 to 2100.")
    if amount_cents < 0:
        raise BudgetError("A budget cannot be negative.")
    budget = lock_budget(year)
    spent = spent_cents(year)
    if amount_cents < spent:
        raise BudgetError(
            f"Visits approved for {year} already spend {dollars(spent)}: "
            f"the budget cannot be less than that."
        )
    was = budget.amount_cents if budget is not None else None
    if budget is None:
        budget = ProgrammeBudget(year=year, amount_cents=amount_cents)
        db.session.add(budget)
    else:
        budget.amount_cents = amount_cents
    db.session.flush()
    return was, budget


def charge(visit: Visit, amount_cents: int | None) -> BudgetSummary:
    """Check that `amount_cents` for `visit` fits what is left of its year's budget, with
    that budget locked; call inside the approval's transaction, before the status changes."""
    year = visit.year
    if not amount_cents:
        return summary(year)
    if amount_cents < 0:
        raise BudgetError("A travel budget cannot be negative.")
    budget = lock_budget(year)
    if budget is None:
        raise BudgetError(
            f"No travel budget is set for {year}: set it under Visits budget first, "
            f"or approve the visit without a travel budget."
        )
    spent = spent_cents(year, excluding_visit_id=visit.id)
    left = budget.amount_cents - spent
    if amount_cents > left:
        raise BudgetError(
            f"{dollars(amount_cents)} is more than what is left of the {year} travel budget: "
            f"{dollars(left)} of {dollars(budget.amount_cents)}."
        )
    return BudgetSummary(year, budget.amount_cents, spent + amount_cents)
