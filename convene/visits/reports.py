"""After a visit: when it counts as held, and each city's report on it.

A visit is *held* once its last day is over in the host city's zone and it was approved (it
went ahead as scheduled): no one has to press a button for the network's record to be right.
The status column catches up the first time a city writes its report (approved -> held,
recorded as an action), and the demo writes it directly; every count reads `held_clause`,
so a held visit whose status still says approved is counted the same.

Each city taking part, host or visitor, writes one report: what was shown, what the
visitors will try, and links to resources. A report may be kept as a draft; once published
it is the network's (any signed-in member reads it, and the calls archive search finds it).
"""

from datetime import date, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.search import matching, search_terms
from convene.text import Link, markdown_to_text, parse_link_lines, render_markdown
from convene.types import utcnow
from convene.visits.models import (
    PracticeArea,
    Visit,
    VisitCity,
    VisitReport,
    VisitSide,
    VisitStatus,
)
from convene.zones import localize

LINKS_MAX = 30
# The newest matching reports the calls archive shows beside its calls.
SEARCH_LIMIT = 20


class ReportError(ValueError):
    """A report that cannot be saved, with the reason in the member's words."""


def host_today(visit: Visit, now: datetime | None = None) -> date:
    """Today in the host city's zone: a visit's days are the host's days."""
    return localize(now or utcnow(), visit.zone).date()


def is_held(visit: Visit, now: datetime | None = None) -> bool:
    """Held: marked so, or approved with its last day over where it took place."""
    if visit.status == VisitStatus.HELD:
        return True
    return visit.status == VisitStatus.APPROVED and visit.ends_on < host_today(visit, now)


def held_clause(today: date) -> sa.ColumnElement[bool]:
    """SQL for `is_held`, for counts over many visits (`today` is the reader's: a day's
    difference in zones is within the slack a dashboard count allows)."""
    return sa.or_(
        Visit.status == VisitStatus.HELD,
        sa.and_(Visit.status == VisitStatus.APPROVED, Visit.ends_on < today),
    )


def side_of(visit: Visit, organisation_id: int) -> VisitSide | None:
    for city in visit.cities:
        if city.organisation_id == organisation_id:
            return VisitSide(city.side)
    return None


def parse_links(text: str | None) -> list[Link]:
    try:
        links = parse_link_lines(text, "links")
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    if len(links) > LINKS_MAX:
        raise ReportError(f"Give at most {LINKS_MAX} links.")
    return links


def links_of(report: VisitReport) -> list[Link]:
    """The stored links, read leniently: a stored line is never an error on a page."""
    links = []
    for line in (report.resources or "").splitlines():
        title, _, url = line.rpartition("|")
        url = url.strip()
        if urlsplit(url).scheme in {"http", "https"}:
            links.append(Link(title=title.strip() or url, url=url))
    return links


def format_links(links: list[Link]) -> str:
    return "\n".join(f"{link.title} | {link.url}" for link in links)


def report_for(visit: Visit, organisation_id: int) -> VisitReport | None:
    return next((r for r in visit.reports if r.organisation_id == organisation_id), None)


def _lock(visit: Visit) -> None:
    """Hold the visit's row until the transaction ends, re-reading its status and days."""
    db.session.scalar(
        sa.select(Visit)
        .where(Visit.id == visit.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def save_report(
    visit: Visit,
    organisation: Organisation,
    shown: str | None,
    will_try: str | None,
    links: str | None,
    publish: bool,
    actor: Member | None = None,
    now: datetime | None = None,
) -> VisitReport:
    """Write (or rewrite) a city's report. A published report stays published; publishing
    needs something written, and is recorded (once) in the visit's history. The first report
    on a visit whose days are over marks it held.

    The visit's row is locked first, so two cities writing at the same moment mark it held
    once, and two people of one city saving its first report write one row (the second
    finds the first's)."""
    now = now or utcnow()
    _lock(visit)
    side = side_of(visit, organisation.id)
    if side is None:
        raise ReportError(f"{organisation.name} did not take part in this visit.")
    if visit.status not in (VisitStatus.APPROVED, VisitStatus.HELD):
        raise ReportError("Only a visit that went ahead has reports.")
    if not is_held(visit, now):
        raise ReportError(
            f"Reports are written once the visit is over (after {visit.ends_on:%-d %B %Y})."
        )
    shown = (shown or "").strip() or None
    will_try = (will_try or "").strip() or None
    parsed = parse_links(links)
    report = db.session.scalar(
        sa.select(VisitReport)
        .where(VisitReport.visit_id == visit.id, VisitReport.organisation_id == organisation.id)
        .execution_options(populate_existing=True)
    )
    publishing = publish and (report is None or not report.is_published)
    if (publish or (report is not None and report.is_published)) and not (shown or will_try):
        raise ReportError("Write what was shown or what the visitors will try before publishing.")
    if report is None:
        report = VisitReport(visit=visit, organisation_id=organisation.id, side=side)
        db.session.add(report)
    report.shown, report.will_try = shown, will_try
    report.resources = format_links(parsed) or None
    report.author = actor if actor is not None else report.author
    if visit.status == VisitStatus.APPROVED:
        visit.status = VisitStatus.HELD
        record_action(
            ActionKind.VISIT_HELD, actor, visit,
            before={"status": VisitStatus.APPROVED}, after={"status": VisitStatus.HELD},
        )  # fmt: skip
    if publishing:
        report.published_at = now
        db.session.flush()
        record_action(
            ActionKind.VISIT_REPORTED, actor, visit,
            organisation=organisation.label, organisation_id=organisation.id,
            report_city=organisation.slug, report_id=report.id,
        )  # fmt: skip
    db.session.flush()
    return report


def get_report(visit_id: int, slug: str) -> VisitReport | None:
    """One city's report on one visit, with what its page shows."""
    return db.session.scalar(
        sa.select(VisitReport)
        .join(Organisation, Organisation.id == VisitReport.organisation_id)
        .where(VisitReport.visit_id == visit_id, Organisation.slug == slug)
        .options(*_report_loads())
    )


def _report_loads():
    return (
        selectinload(VisitReport.organisation),
        selectinload(VisitReport.author),
        selectinload(VisitReport.visit).options(
            selectinload(Visit.practice_area),
            selectinload(Visit.cities).selectinload(VisitCity.organisation),
            selectinload(Visit.reports).selectinload(VisitReport.organisation),
        ),
    )


def published_reports_query(search: str | None = None) -> sa.Select:
    """Published reports, newest visit first; `search` keeps those whose words (all of
    them) are in the report, the visit's title or its practice area, as the archive does."""
    stmt = (
        sa.select(VisitReport)
        .join(Visit, Visit.id == VisitReport.visit_id)
        .join(PracticeArea, PracticeArea.id == Visit.practice_area_id)
        .where(VisitReport.published_at.is_not(None))
        .options(*_report_loads())
        .order_by(Visit.ends_on.desc(), VisitReport.id.desc())
    )
    columns = (
        VisitReport.shown,
        VisitReport.will_try,
        VisitReport.resources,
        Visit.title,
        PracticeArea.name,
    )
    for condition in matching(columns, search_terms(search)):
        stmt = stmt.where(condition)
    return stmt


def search_reports(search: str | None, limit: int = SEARCH_LIMIT) -> tuple[list, int]:
    """The newest `limit` published reports matching `search`, and how many match in all
    (two queries plus the report's loads, whatever the number)."""
    if not search_terms(search):
        return [], 0
    stmt = published_reports_query(search)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).options().subquery())
    )
    return list(db.session.scalars(stmt.limit(limit))), total or 0


def days_label(visit: Visit) -> str:
    """ "12 March 2026", "12 to 14 March 2026", "30 March to 2 April 2026": a visit's days
    are calendar days where it takes place, the same for every reader."""
    first, last = visit.starts_on, visit.ends_on
    if first == last:
        return f"{first:%-d %B %Y}"
    if first.year != last.year:
        return f"{first:%-d %B %Y} to {last:%-d %B %Y}"
    if first.month != last.month:
        return f"{first:%-d %B} to {last:%-d %B %Y}"
    return f"{first:%-d} to {last:%-d %B %Y}"


def excerpt(report: VisitReport, length: int = 240) -> str:
    """The start of the report as plain text, for search results and lists."""
    rendered = str(render_markdown(report.shown or report.will_try or ""))
    text = " ".join(markdown_to_text(rendered).split())  # the words, not their Markdown
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"
