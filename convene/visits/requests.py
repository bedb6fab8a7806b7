"""A peer visit from request to approval: who asks, who answers, who approves, and when.

A city's champion asks a host city to show it a practice area on given days; the host city's
champion accepts, declines, or proposes other days (which the asking city takes, or it
withdraws); a programme admin then approves it, with an optional travel budget counted
against the year's. Each step locks the visit's row (SELECT ... FOR UPDATE) and checks its
status again under the lock, so of two answers sent at once exactly one counts; the other is
told what happened meanwhile (`VisitConflict`). Each step is recorded as an action, which
tells the people the who-hears-what table names.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.text import plural
from convene.types import utcnow
from convene.visits import budget as budgets
from convene.visits.models import (
    FORMAT_LABELS,
    HOSTING_STATUSES,
    PracticeArea,
    Visit,
    VisitCity,
    VisitFormat,
    VisitSide,
    VisitStatus,
)
from convene.visits.permissions import (
    can_answer,
    can_answer_proposal,
    can_approve,
    can_ask_for_visit,
)
from convene.zones import localize, zone

DEFAULT_LEAD_DAYS = 21
DEFAULT_MAX_DAYS = 5
REASON_MAX = 500

STATUS_LABELS = {
    VisitStatus.REQUESTED: "Waiting for the host city",
    VisitStatus.DATES_PROPOSED: "Other dates proposed",
    VisitStatus.ACCEPTED: "Accepted, waiting for approval",
    VisitStatus.DECLINED: "Declined",
    VisitStatus.APPROVED: "Approved",
    VisitStatus.HELD: "Held",
    VisitStatus.CANCELLED: "Cancelled",
}

# Visits still waiting for someone's answer (listed first).
WAITING_STATUSES = (VisitStatus.REQUESTED, VisitStatus.DATES_PROPOSED, VisitStatus.ACCEPTED)


class VisitRequestError(ValueError):
    """A step the rules refuse; the message is for the person, and nothing was written."""

    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class VisitConflict(VisitRequestError):
    """The visit moved on meanwhile (someone else answered first): a 409."""


def _setting(name: str, default: int) -> int:
    """A whole-number setting of the app (the default outside one, as in a plain test)."""
    return int(current_app.config.get(name, default)) if has_app_context() else default


def lead_days() -> int:
    """How many days ahead a visit is asked for, at least (VISIT_LEAD_DAYS)."""
    return _setting("VISIT_LEAD_DAYS", DEFAULT_LEAD_DAYS)


def max_days() -> int:
    """How many days a visit lasts, at most (VISIT_MAX_DAYS)."""
    return _setting("VISIT_MAX_DAYS", DEFAULT_MAX_DAYS)


def today_in(zone: str) -> date:
    """Today where the visit takes place: the host city's calendar decides "ahead"."""
    return localize(utcnow(), zone).date()


def earliest_start(today: date, lead: int | None = None) -> date:
    return today + timedelta(days=lead_days() if lead is None else lead)


def check_dates(
    starts_on: date | None,
    ends_on: date | None,
    today: date,
    lead: int | None = None,
    longest: int | None = None,
) -> None:
    """The days of a visit: both given, in order, at least `lead` days ahead, not too long."""
    lead = lead_days() if lead is None else lead
    longest = max_days() if longest is None else longest
    if starts_on is None:
        raise VisitRequestError("Give the first day of the visit.", "starts_on")
    if ends_on is None:
        raise VisitRequestError("Give the last day of the visit.", "ends_on")
    if ends_on < starts_on:
        raise VisitRequestError(
            f"The last day ({ends_on:%-d %B %Y}) is before the first ({starts_on:%-d %B %Y}).",
            "ends_on",
        )
    if starts_on < today:
        raise VisitRequestError(f"{starts_on:%-d %B %Y} has already passed.", "starts_on")
    first = earliest_start(today, lead)
    if starts_on < first:
        raise VisitRequestError(
            f"Ask at least {plural(lead, 'day')} ahead: the first day can be "
            f"{first:%-d %B %Y} at the earliest.",
            "starts_on",
        )
    days = (ends_on - starts_on).days + 1
    if days > longest:
        raise VisitRequestError(
            f"A visit lasts at most {plural(longest, 'day')}; these dates make "
            f"{plural(days, 'day')}.",
            "ends_on",
        )


def hosted_in_year(organisation_id: int, year: int, excluding_visit_id: int | None = None) -> int:
    """Visits the city has agreed to host (accepted, approved, held) starting in `year`."""
    query = (
        sa.select(sa.func.count(VisitCity.id))
        .join(Visit, Visit.id == VisitCity.visit_id)
        .where(
            VisitCity.organisation_id == organisation_id,
            VisitCity.side == VisitSide.HOST,
            Visit.status.in_(HOSTING_STATUSES),
            Visit.starts_on >= date(year, 1, 1),
            Visit.starts_on <= date(year, 12, 31),
        )
    )
    if excluding_visit_id is not None:
        query = query.where(Visit.id != excluding_visit_id)
    return int(db.session.scalar(query) or 0)


def check_cap(host: Organisation, year: int, excluding_visit_id: int | None = None) -> None:
    cap = host.visits_hosted_cap
    if cap is None:
        return
    hosted = hosted_in_year(host.id, year, excluding_visit_id)
    if hosted >= cap:
        if cap == 0:
            said = f"{host.name} hosts no visits"
        else:
            said = f"{host.name} hosts at most {plural(cap, 'visit')} a year"
        raise VisitRequestError(
            f"{said}, and has agreed to {plural(hosted, 'visit')} in {year}: "
            f"ask another city, or for dates in another year.",
            "host",
        )


def visit_title(area: PracticeArea, host: Organisation, visit_format: VisitFormat) -> str:
    label = FORMAT_LABELS[visit_format]
    return f"{label}: {area.name} in {host.name}"[:200]


@dataclass
class NewRequest:
    """What a request says (the form's data, in the domain's terms)."""

    asking: Organisation
    host: Organisation
    area: PracticeArea
    visit_format: VisitFormat
    starts_on: date | None
    ends_on: date | None
    problem: str
    intended_use: str
    also_visiting: list[Organisation] = field(default_factory=list)
    is_public: bool = False


def _dates(visit: Visit) -> dict:
    return {"starts_on": visit.starts_on, "ends_on": visit.ends_on}


def request_visit(actor: Member, asked: NewRequest, today: date | None = None) -> Visit:
    """Ask `asked.host` for a visit on behalf of `asked.asking` (its champion, or an admin)."""
    asking, host = asked.asking, asked.host
    if not (actor.is_admin or (can_ask_for_visit(actor) and actor.organisation_id == asking.id)):
        raise VisitRequestError("Only a city's champion asks for a visit on its behalf.")
    if not asking.is_city:
        raise VisitRequestError("Choose a city of the network to ask for.", "asking_city")
    if not host.is_city:
        raise VisitRequestError("Choose a city of the network to visit.", "host")
    if host.id == asking.id:
        raise VisitRequestError(f"{host.name} cannot host itself: choose another city.", "host")
    others = []
    for city in asked.also_visiting:
        if city.id in (host.id, asking.id) or any(o.id == city.id for o in others):
            continue  # the asking city is a visitor already; the host cannot visit itself
        if not city.is_city:
            raise VisitRequestError(f"{city.name} is not a city.", "also_visiting")
        others.append(city)
    if any(c.id == host.id for c in asked.also_visiting):
        raise VisitRequestError(
            f"{host.name} hosts this visit: it cannot be among the visitors too.",
            "also_visiting",
        )
    problem, use = (asked.problem or "").strip(), (asked.intended_use or "").strip()
    if not problem:
        raise VisitRequestError("Say what your city wants to learn about.", "problem")
    if not use:
        raise VisitRequestError("Say how your city will use what it learns.", "intended_use")
    check_dates(asked.starts_on, asked.ends_on, today or today_in(host.zone))
    check_cap(host, asked.starts_on.year)
    visit = Visit(
        title=visit_title(asked.area, host, asked.visit_format),
        problem=problem,
        intended_use=use,
        format=asked.visit_format,
        status=VisitStatus.REQUESTED,
        starts_on=asked.starts_on,
        ends_on=asked.ends_on,
        zone=host.zone,
        practice_area_id=asked.area.id,
        requesting_organisation_id=asking.id,
        is_public=bool(asked.is_public),
        created_by_id=actor.id,
    )
    visit.cities = [
        VisitCity(organisation_id=host.id, side=VisitSide.HOST),
        VisitCity(organisation_id=asking.id, side=VisitSide.VISITOR),
        *(VisitCity(organisation_id=c.id, side=VisitSide.VISITOR) for c in others),
    ]
    db.session.add(visit)
    db.session.flush()
    record_action(
        ActionKind.VISIT_REQUESTED, actor, visit,
        after={"host": host.name, "asking": asking.name, "area": asked.area.name,
               "format": asked.visit_format, **_dates(visit)},
        visitors=[asking.name, *(c.name for c in others)],
    )  # fmt: skip
    return visit


def lock_visit(visit_id: int) -> Visit:
    """The visit, re-read and locked until the transaction ends."""
    visit = db.session.scalar(
        sa.select(Visit)
        .where(Visit.id == visit_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if visit is None:
        raise VisitConflict("This visit no longer exists.")
    return visit


def moved_on(visit: Visit) -> VisitConflict:
    """What to tell someone whose step came after the visit moved on."""
    said = {
        VisitStatus.DATES_PROPOSED: "the host city has already proposed other dates",
        VisitStatus.ACCEPTED: "it has already been accepted",
        VisitStatus.DECLINED: "it has already been declined",
        VisitStatus.APPROVED: "it has already been approved",
        VisitStatus.HELD: "it has already taken place",
        VisitStatus.CANCELLED: "it has been cancelled or withdrawn",
        VisitStatus.REQUESTED: "it is still waiting for the host city",
    }[VisitStatus(visit.status)]
    return VisitConflict(f"Nothing was changed: {said}. The page now shows where it stands.")


class Answer:
    ACCEPT = "accept"
    DECLINE = "decline"
    PROPOSE = "propose"
    ALL = (ACCEPT, DECLINE, PROPOSE)


def _lock_host(visit: Visit) -> Organisation | None:
    """The host city, locked: two acceptances at once count against its cap one by one."""
    host_id = next((c.organisation_id for c in visit.cities if c.side == VisitSide.HOST), None)
    if host_id is None:
        return None
    return db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.id == host_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def answer_request(
    actor: Member,
    visit_id: int,
    answer: str,
    reason: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    today: date | None = None,
) -> Visit:
    """The host city's answer: accept, decline (with a reason), or propose other dates."""
    if answer not in Answer.ALL:
        raise VisitRequestError("Choose to accept, decline or propose other dates.", "answer")
    reason = (reason or "").strip()[:REASON_MAX] or None
    visit = lock_visit(visit_id)
    if visit.status != VisitStatus.REQUESTED:
        raise moved_on(visit)
    if not can_answer(actor, visit):
        raise VisitRequestError("Only the host city's champion answers this request.")
    now = utcnow()
    if answer == Answer.DECLINE:
        if reason is None:
            raise VisitRequestError("Say why, so the asking city can plan.", "reason")
        visit.status = VisitStatus.DECLINED
        kind, details = ActionKind.VISIT_DECLINED, {"reason": reason}
    elif answer == Answer.PROPOSE:
        check_dates(starts_on, ends_on, today or today_in(visit.zone))
        if (starts_on, ends_on) == (visit.starts_on, visit.ends_on):
            raise VisitRequestError(
                "These are the dates asked for: accept the request instead.", "starts_on"
            )
        visit.status = VisitStatus.DATES_PROPOSED
        visit.proposed_starts_on, visit.proposed_ends_on = starts_on, ends_on
        kind, details = ActionKind.VISIT_DATES_PROPOSED, {"reason": reason}
    else:
        host = _lock_host(visit)
        if host is not None:
            check_cap(host, visit.year, excluding_visit_id=visit.id)
        if visit.starts_on < (today or today_in(visit.zone)):
            raise VisitRequestError(
                "The dates asked for have passed: propose other dates instead.", "answer"
            )
        visit.status = VisitStatus.ACCEPTED
        kind, details = ActionKind.VISIT_ACCEPTED, {"side": VisitSide.HOST, "note": reason}
    visit.answer_note = reason
    visit.answered_by_id, visit.answered_at = actor.id, now
    db.session.flush()
    after = (
        {"starts_on": starts_on, "ends_on": ends_on}
        if answer == Answer.PROPOSE
        else {"status": visit.status}
    )
    record_action(kind, actor, visit, before=_dates(visit), after=after, **details)
    return visit


def answer_proposal(actor: Member, visit_id: int, take: bool, today: date | None = None) -> Visit:
    """The asking city takes the host's other dates (the visit is then accepted, waiting for
    approval) or withdraws its request."""
    visit = lock_visit(visit_id)
    if visit.status != VisitStatus.DATES_PROPOSED:
        raise moved_on(visit)
    if not can_answer_proposal(actor, visit):
        raise VisitRequestError("Only the asking city's champion answers the proposed dates.")
    before = _dates(visit)
    if take:
        if visit.proposed_starts_on < (today or today_in(visit.zone)):
            raise VisitRequestError(
                "The proposed dates have passed: withdraw, and ask again for new ones."
            )
        host = _lock_host(visit)
        visit.starts_on, visit.ends_on = visit.proposed_starts_on, visit.proposed_ends_on
        if host is not None:
            check_cap(host, visit.year, excluding_visit_id=visit.id)
        visit.status = VisitStatus.ACCEPTED
        kind, details = ActionKind.VISIT_ACCEPTED, {"side": VisitSide.VISITOR}
    else:
        visit.status = VisitStatus.CANCELLED
        visit.cancel_reason = "Withdrawn: the proposed dates did not suit the asking city."
        kind, details = (
            ActionKind.VISIT_CANCELLED,
            {
                "reason": "withdrawn by the asking city",
                "withdrawn": True,
            },
        )
    visit.proposed_starts_on = visit.proposed_ends_on = None
    visit.bump_sequence()
    db.session.flush()
    record_action(kind, actor, visit, before=before, after=_dates(visit), **details)
    return visit


def approve_visit(
    actor: Member, visit_id: int, travel_budget_cents: int | None, today: date | None = None
) -> Visit:
    """A programme admin schedules an accepted visit, spending its travel budget (if any)
    from the year's; the visit is locked first, then the budget."""
    if not can_approve(actor):
        raise VisitRequestError("Only programme staff approve visits.")
    if travel_budget_cents is not None and travel_budget_cents < 0:
        raise VisitRequestError("A travel budget cannot be negative.", "travel_budget")
    visit = lock_visit(visit_id)
    if visit.status != VisitStatus.ACCEPTED:
        raise moved_on(visit)
    if visit.ends_on < (today or today_in(visit.zone)):
        raise VisitRequestError("This visit's dates have passed: it cannot be approved.")
    try:
        spent = budgets.charge(visit, travel_budget_cents)
    except budgets.BudgetError as exc:
        raise VisitConflict(str(exc), "travel_budget") from exc
    visit.travel_budget_cents = travel_budget_cents or None
    visit.status = VisitStatus.APPROVED
    visit.approved_by_id, visit.approved_at = actor.id, utcnow()
    visit.bump_sequence()  # now in its people's calendars
    db.session.flush()
    record_action(
        ActionKind.VISIT_APPROVED, actor, visit,
        after={"status": visit.status, "travel_budget_cents": visit.travel_budget_cents,
               **_dates(visit)},
        year=spent.year, spent_cents=spent.spent_cents, budget_cents=spent.amount_cents,
    )  # fmt: skip
    return visit


# --- how a visit's days read ----------------------------------------------------------------


def days_span(first: date, last: date) -> str:
    """ "12 March 2027", "12 to 14 March 2027", "30 March to 2 April 2027"."""
    if first == last:
        return f"{first:%-d %B %Y}"
    if first.year != last.year:
        return f"{first:%-d %B %Y} to {last:%-d %B %Y}"
    if first.month != last.month:
        return f"{first:%-d %B} to {last:%-d %B %Y}"
    return f"{first:%-d} to {last:%-d %B %Y}"


def zone_difference(host_zone: str, viewer_zone: str, on: date) -> str | None:
    """How the viewer's clock differs from the host city's on the visit's first day, at
    noon there ("2 hours behind", "30 minutes ahead"); None when they read the same."""
    try:
        there = datetime.combine(on, time(12), tzinfo=zone(host_zone))
        here = there.astimezone(zone(viewer_zone))
    except ValueError:
        return None
    minutes = int((here.utcoffset().total_seconds() - there.utcoffset().total_seconds()) // 60)
    if minutes == 0:
        return None
    hours, rest = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(plural(hours, "hour"))
    if rest:
        parts.append(plural(rest, "minute"))
    return " ".join(parts) + (" ahead" if minutes > 0 else " behind")


def status_label(visit: Visit) -> str:
    return STATUS_LABELS[VisitStatus(visit.status)]
