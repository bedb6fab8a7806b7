"""Peer visits in feeds: a scheduled visit as one all-day event over its days, and its
itinerary items as timed events in the host city's zone. A fixed number of queries per feed.

A visit is in the personal feeds of the people named on it, and in the public feed only
when marked public, and then without its private details (the problem, the itinerary, the
people). Only visits an admin approved are shown (a request is not in anyone's calendar);
a cancelled one stays, cancelled, for CANCELLED_DAYS so that subscribed calendars drop it.

The visit's own event carries the itinerary in its description, so an invitation (one
event per message) tells of an itinerary change with a higher SEQUENCE: the visit's
`sequence` rises with every change a calendar shows, and items carry it too.
"""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.calendar.events import FeedEvent
from convene.calendar.sources import (
    CANCELLED_DAYS,
    FeedKind,
    FeedScope,
    built,
    link_pattern,
    or_none,
    uid_domain,
)
from convene.extensions import db
from convene.visits.models import (
    ItineraryItem,
    Visit,
    VisitCity,
    VisitFormat,
    VisitParticipant,
    VisitSide,
    VisitStatus,
)
from convene.zones import localize, zone_city

SHOWN_STATUSES = (VisitStatus.APPROVED, VisitStatus.HELD, VisitStatus.CANCELLED)


def visit_link(visit_id: int) -> str:
    return link_pattern("visits.visit", "visit_id", "/visits/{}").format(visit_id)


def _names(organisations) -> str:
    names = [o.name for o in organisations]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _sorted_cities(visit: Visit, side: VisitSide):
    return [c.organisation for c in visit.cities if c.side == side]


def item_line(item: ItineraryItem, zone: str) -> str:
    """ "Tue 3 Mar, 09:00–10:30 MST: Tour of the 311 centre (City Hall)", in the host's zone."""
    start, end = localize(item.starts_at, zone), localize(item.ends_at, zone)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %-d %b, %H:%M}"
    place = f" ({item.place})" if item.place else ""
    return f"{start:%a %-d %b, %H:%M}–{until} {end.tzname()}: {item.title}{place}"


def sorted_items(visit: Visit) -> list[ItineraryItem]:
    """In time order (an item just added sits at the end of the loaded list)."""
    return sorted(visit.itinerary, key=lambda i: (i.starts_at, i.id or 0))


def itinerary_text(visit: Visit) -> list[str]:
    if not visit.itinerary:
        return []
    where = zone_city(visit.zone)
    lines = [f"Itinerary (times in {where}):"]
    lines += [f"  {item_line(item, visit.zone)}" for item in sorted_items(visit)]
    return lines


def _location(visit: Visit) -> str:
    if visit.format == VisitFormat.VIRTUAL:
        return "Virtual exchange"
    return _names(_sorted_cities(visit, VisitSide.HOST))


def _who(visit: Visit) -> str:
    hosts = _names(_sorted_cities(visit, VisitSide.HOST)) or "a city of the network"
    visitors = _names(_sorted_cities(visit, VisitSide.VISITOR))
    line = f"{visit.format_label} hosted by {hosts}"
    return line + (f", with visitors from {visitors}." if visitors else ".")


def _last_modified(visit: Visit, with_items: bool):
    instants = [visit.updated_at]
    if with_items:
        instants += [i.updated_at for i in visit.itinerary]
    return max(instants)


@or_none("visit")
def visit_event(visit: Visit, private: bool = True, alarm: int | None = None) -> FeedEvent | None:
    """The visit over its days, as its people (private) or the public see it."""
    link = visit_link(visit.id)
    cancelled = visit.status == VisitStatus.CANCELLED
    lines = [_who(visit)]
    if cancelled:
        reason = f": {visit.cancel_reason}" if visit.cancel_reason else "."
        lines.append(f"This visit is cancelled{reason}")
    if private:
        lines += ["", f"To learn about: {visit.problem}"]
        itinerary = itinerary_text(visit)
        if itinerary:
            lines += ["", *itinerary]
        lines += ["", f"Details: {link}"]
    hosts = _names(_sorted_cities(visit, VisitSide.HOST))
    return FeedEvent(
        uid=f"visit-{visit.id}@{uid_domain()}",
        sequence=visit.sequence,
        summary=f"{visit.title} ({hosts})" if hosts else visit.title,
        last_modified=_last_modified(visit, private),
        start_date=visit.starts_on,
        end_date=visit.ends_on,
        is_cancelled=cancelled,
        description="\n".join(lines),
        location=_location(visit),
        url=link if private else None,
        alarm_minutes=alarm,
        categories=("Visit",),
    )


@or_none("itinerary item")
def itinerary_item_event(
    item: ItineraryItem, visit: Visit, alarm: int | None = None
) -> FeedEvent | None:
    """One timed part of a visit, in the host city's zone (its people's feeds only)."""
    link = visit_link(visit.id) + f"#itinerary-{item.id}"
    lines = [f"Part of {visit.title}: {_who(visit)}"]
    if item.notes:
        lines += ["", item.notes]
    lines += ["", f"Details: {link}"]
    return FeedEvent(
        uid=f"visit-item-{item.id}@{uid_domain()}",
        sequence=visit.sequence,
        summary=f"{item.title} ({visit.title})",
        last_modified=max(item.updated_at, visit.updated_at),
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        zone=visit.zone,
        is_cancelled=visit.status == VisitStatus.CANCELLED,
        description="\n".join(lines),
        location=item.place or _location(visit),
        url=link,
        alarm_minutes=alarm,
        categories=("Visit",),
    )


# --- the source ----------------------------------------------------------------------------


def _shown(scope: FeedScope):
    """Visits an admin approved (held, or cancelled lately), ending in the feed's window."""
    return sa.and_(
        Visit.approved_at.is_not(None),
        Visit.status.in_(SHOWN_STATUSES),
        Visit.ends_on >= scope.since.date(),
        sa.or_(
            Visit.status != VisitStatus.CANCELLED,
            Visit.updated_at >= scope.now - timedelta(days=CANCELLED_DAYS),
        ),
    )


def _load(query, private: bool) -> list[Visit]:
    options = [selectinload(Visit.cities).selectinload(VisitCity.organisation)]
    if private:
        options.append(selectinload(Visit.itinerary))
    return list(db.session.scalars(query.options(*options).order_by(Visit.id)))


def visit_events(scope: FeedScope) -> list[FeedEvent]:
    """Public feed: public visits, without details. A member's feed: the visits they are
    named on, with their itinerary items."""
    if scope.kind == FeedKind.PUBLIC:
        query = sa.select(Visit).where(_shown(scope), Visit.is_public.is_(True))
        return built("visit", _load(query, private=False), lambda v: visit_event(v, False))
    if scope.kind != FeedKind.MEMBER or scope.member_id is None:
        return []
    named = sa.select(VisitParticipant.visit_id).where(
        VisitParticipant.member_id == scope.member_id
    )
    visits = _load(sa.select(Visit).where(_shown(scope), Visit.id.in_(named)), private=True)
    alarm = scope.reminder_minutes
    events = built("visit", visits, lambda v: visit_event(v, True, alarm))
    items = [(item, v) for v in visits for item in v.itinerary]
    events += built("itinerary item", items, lambda row: itinerary_item_event(*row, alarm))
    return events


def visit_feed_event(visit: Visit) -> FeedEvent | None:
    """The visit as its people's feeds show it (for invitations and downloads)."""
    return visit_event(visit, True)
