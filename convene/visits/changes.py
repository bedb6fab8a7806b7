"""Moving and cancelling a visit, the way calls are moved and cancelled: the visit keeps
its identity, its SEQUENCE rises, and the change is recorded as an action that tells
everyone it concerns (its people by invitation, its cities' champions by email).

A move keeps the rules a request has: the new first day at least VISIT_LEAD_DAYS ahead,
at most VISIT_MAX_DAYS long, and within each host city's yearly cap when it changes year.
Its itinerary moves with it, each item on the same day of the visit at the same wall time
in the host city. A cancelled visit that had been approved can be brought back while its
days are far enough ahead, its hosts have room and its travel budget still fits.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.visits.budget import BudgetError, charge
from convene.visits.itinerary import local_parts
from convene.visits.models import (
    HOSTING_STATUSES,
    Visit,
    VisitCity,
    VisitSide,
    VisitStatus,
)
from convene.zones import ZoneError, to_utc

MOVABLE = (VisitStatus.ACCEPTED, VisitStatus.APPROVED)
CANCELLABLE = (
    VisitStatus.REQUESTED,
    VisitStatus.DATES_PROPOSED,
    VisitStatus.ACCEPTED,
    VisitStatus.APPROVED,
)
REASON_MAX = 300


class VisitChangeError(ValueError):
    """A move or cancellation the rules refuse; `field` names the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def lock_visit(visit_id: int) -> Visit | None:
    """The visit, re-read under a row lock until the transaction ends: two people changing
    one visit at once take turns, and the second sees the first's change."""
    return db.session.scalar(
        sa.select(Visit)
        .where(Visit.id == visit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _hosted_in(year: int, organisation_ids: list[int], visit_id: int) -> dict[int, int]:
    """Visits each city hosts in `year` (those that count against its cap), but this one."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        sa.select(VisitCity.organisation_id, sa.func.count(Visit.id))
        .join(Visit, Visit.id == VisitCity.visit_id)
        .where(
            VisitCity.organisation_id.in_(organisation_ids),
            VisitCity.side == VisitSide.HOST,
            Visit.status.in_(HOSTING_STATUSES),
            Visit.starts_on >= date(year, 1, 1),
            Visit.starts_on <= date(year, 12, 31),
            Visit.id != visit_id,
        )
        .group_by(VisitCity.organisation_id)
    )
    return dict(rows.all())


def check_dates(visit: Visit, starts_on: date, ends_on: date, today: date) -> None:
    lead = current_app.config.get("VISIT_LEAD_DAYS", 21)
    longest = current_app.config.get("VISIT_MAX_DAYS", 5)
    if ends_on < starts_on:
        raise VisitChangeError("The last day cannot be before the first.", "ends_on")
    if starts_on < today + timedelta(days=lead):
        earliest = today + timedelta(days=lead)
        raise VisitChangeError(
            f"A visit is planned at least {lead} days ahead: {earliest:%-d %B %Y} at the earliest.",
            "starts_on",
        )
    days = (ends_on - starts_on).days + 1
    if days > longest:
        raise VisitChangeError(f"A visit lasts at most {longest} days.", "ends_on")
    if (starts_on, ends_on) == (visit.starts_on, visit.ends_on):
        raise VisitChangeError("These are the visit's dates already.", "starts_on")
    if starts_on.year != visit.starts_on.year:
        if visit.travel_budget_cents and visit.status == VisitStatus.APPROVED:
            raise VisitChangeError(
                "Its travel budget counts against this year's budget: a visit with a budget "
                "stays in its year (cancel it and ask again for the other year).",
                "starts_on",
            )
        check_caps(visit, starts_on.year)


def check_caps(visit: Visit, year: int) -> None:
    """Each host city's yearly cap, counting the visits it hosts in `year` but this one."""
    hosts = [c.organisation for c in visit.cities if c.side == VisitSide.HOST]
    hosted = _hosted_in(year, [h.id for h in hosts], visit.id)
    for host in hosts:
        cap = host.visits_hosted_cap
        if cap is not None and hosted.get(host.id, 0) >= cap:
            raise VisitChangeError(
                f"{host.name} hosts at most {cap} visits a year and has "
                f"{hosted.get(host.id, 0)} in {year}.",
                "starts_on",
            )


def move_visit(visit: Visit, starts_on: date, ends_on: date, actor, today: date) -> None:
    """New dates for the visit; its itinerary moves with it."""
    if visit.status not in MOVABLE:
        raise VisitChangeError(f"A visit that is {_status_words(visit)} cannot be moved.")
    check_dates(visit, starts_on, ends_on, today)
    shift = starts_on - visit.starts_on
    moved = []
    for item in visit.itinerary:
        day, starts, ends = local_parts(item, visit.zone)
        new_day = day + shift
        if new_day > ends_on:
            raise VisitChangeError(
                f"“{item.title}” would fall after the visit's last day: shorten the itinerary "
                "or choose more days.",
                "ends_on",
            )
        try:
            moved.append(
                (item, to_utc(new_day, starts, visit.zone), to_utc(new_day, ends, visit.zone))
            )
        except ZoneError as exc:
            raise VisitChangeError(f"“{item.title}”: {exc}", "starts_on") from exc
    before = {"starts_on": visit.starts_on.isoformat(), "ends_on": visit.ends_on.isoformat()}
    for item, starts_at, ends_at in moved:
        item.starts_at, item.ends_at = starts_at, ends_at
    visit.starts_on, visit.ends_on = starts_on, ends_on
    visit.bump_sequence()
    db.session.flush()
    after = {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()}
    record_action(ActionKind.VISIT_MOVED, actor, visit, before=before, after=after)


def cancel_visit(visit: Visit, reason: str, actor) -> None:
    """Cancel the visit for everyone, with a reason its people and cities are told."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise VisitChangeError("Say why the visit is cancelled.", "reason")
    if len(reason) > REASON_MAX:
        raise VisitChangeError(f"Keep the reason under {REASON_MAX} characters.", "reason")
    if visit.status not in CANCELLABLE:
        raise VisitChangeError(f"A visit that is {_status_words(visit)} cannot be cancelled.")
    before = {"status": VisitStatus(visit.status).value}
    visit.status = VisitStatus.CANCELLED
    visit.cancel_reason = reason
    visit.bump_sequence()
    db.session.flush()
    record_action(
        ActionKind.VISIT_CANCELLED,
        actor,
        visit,
        before=before,
        after={"status": VisitStatus.CANCELLED.value},
        reason=reason,
    )


def reinstate_visit(visit: Visit, actor, today: date) -> None:
    """Bring back a cancelled visit that had been approved, on its days, if they are still
    far enough ahead, its hosts have room that year and its travel budget still fits."""
    if visit.status != VisitStatus.CANCELLED:
        raise VisitChangeError("This visit is not cancelled.")
    if visit.approved_at is None:
        raise VisitChangeError(
            "This visit was cancelled before it was approved: ask for it again instead."
        )
    lead = current_app.config.get("VISIT_LEAD_DAYS", 21)
    if visit.starts_on < today + timedelta(days=lead):
        raise VisitChangeError(
            f"Its first day is less than {lead} days ahead now: ask for it again on other days."
        )
    check_caps(visit, visit.year)
    try:
        charge(visit, visit.travel_budget_cents)
    except BudgetError as exc:
        raise VisitChangeError(str(exc)) from exc
    before = {"status": VisitStatus.CANCELLED.value, "reason": visit.cancel_reason}
    visit.status = VisitStatus.APPROVED
    visit.cancel_reason = None
    visit.bump_sequence()
    db.session.flush()
    record_action(
        ActionKind.VISIT_REINSTATED,
        actor,
        visit,
        before=before,
        after={"status": VisitStatus.APPROVED.value},
    )


_STATUS_WORDS = {
    VisitStatus.REQUESTED: "still a request",
    VisitStatus.DATES_PROPOSED: "waiting for an answer on other dates",
    VisitStatus.ACCEPTED: "waiting for approval",
    VisitStatus.DECLINED: "declined",
    VisitStatus.APPROVED: "scheduled",
    VisitStatus.HELD: "held already",
    VisitStatus.CANCELLED: "cancelled already",
}


def _status_words(visit: Visit) -> str:
    return _STATUS_WORDS.get(VisitStatus(visit.status), str(visit.status))
