"""Where the ledger reads who met whom: the records the other capabilities already keep.

Each source is one SELECT of *presence* rows, (occasion, city, when, what it was), one row
per city and occasion however many of its people were there:

- calls: a held call and the cities whose people are in its attendance (a "yes" with no
  attendance is a no-show; a cancelled call is never held);
- breakout rooms: a room of a call and the cities whose people the host recorded as really
  in it (the plan made before the call is not a meeting; a cancelled call had no rooms);
- summit tables: a table of a published, not cancelled, assigned social session, per slot
  (people who said they would miss the slot lost their seat, so are not there);
- social sessions: an open social session, not cancelled, and the cities with a place in it
  (the waitlist did not go);
- visits: an approved or held visit and every city in it, host or visitor (a visit that
  brings three cities together ties each pair of them). The pages show a visit once it has
  happened; tie strengths for suggestions and seating count it from its approval.

Pairs come from joining a source with itself on the occasion, so every query answers for the
whole network at once: the ledger's pages run the same few queries for 27 cities or 270.
Only cities count: partners and the programme team run the occasions rather than meet at them.
"""

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.sql import Select

from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.breakouts.models import BreakoutRoom, RoomPresence
from convene.convenings.models import Attendance, Call, CallStatus, Series
from convene.summit.models import (
    SeatAssignment,
    SessionKind,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.visits.models import (
    COMMITTED_STATUSES,
    FORMAT_LABELS,
    PracticeArea,
    Visit,
    VisitCity,
    VisitFormat,
    VisitStatus,
)
from convene.zones import localize


class Kind(enum.StrEnum):
    CALL = "call"
    BREAKOUT = "breakout"
    TABLE = "table"
    SOCIAL = "social"
    VISIT = "visit"


# (singular, plural), as "2 summit tables" reads.
KIND_NOUNS = {
    Kind.CALL: ("call", "calls"),
    Kind.BREAKOUT: ("breakout room", "breakout rooms"),
    Kind.TABLE: ("summit table", "summit tables"),
    Kind.SOCIAL: ("social session", "social sessions"),
    Kind.VISIT: ("visit", "visits"),
}


def count_kind(kind: Kind, n: int) -> str:
    singular, plural = KIND_NOUNS[kind]
    return f"{n} {singular if n == 1 else plural}"


@dataclass(frozen=True)
class Interaction:
    """One occasion two cities shared."""

    kind: Kind
    on: date  # the day it happened (or starts), in the zone the ledger is read in
    what: str  # "Open data portals", "Summit 2016, Cross-city dinner (Night 1), Table 3"...
    occasion_id: int  # the call's, table's, session's or visit's id
    is_planned: bool  # still ahead: an approved visit, a published table at a coming summit
    counts: bool = True  # adds to the tie's strength (see ties.py: what counts when)


def _is_city(org_column) -> sa.ColumnElement[bool]:
    return org_column.in_(
        sa.select(Organisation.id).where(Organisation.kind == OrganisationKind.CITY)
    )


def call_presence() -> Select:
    return (
        sa.select(
            Attendance.call_id.label("occasion"),
            Member.organisation_id.label("org"),
            Call.starts_at.label("at"),
            Call.title.label("title"),
            Series.name.label("series"),
        )
        .join(Member, Member.id == Attendance.member_id)
        .join(Call, Call.id == Attendance.call_id)
        .join(Series, Series.id == Call.series_id)
        .where(Call.status == CallStatus.HELD, _is_city(Member.organisation_id))
        .distinct()
    )


def breakout_presence() -> Select:
    return (
        sa.select(
            RoomPresence.room_id.label("occasion"),
            Member.organisation_id.label("org"),
            Call.starts_at.label("at"),
            Call.title.label("title"),
            Series.name.label("series"),
            BreakoutRoom.number.label("room"),
            Call.id.label("call_id"),
        )
        .join(Member, Member.id == RoomPresence.member_id)
        .join(BreakoutRoom, BreakoutRoom.id == RoomPresence.room_id)
        .join(Call, Call.id == RoomPresence.call_id)
        .join(Series, Series.id == Call.series_id)
        .where(Call.status != CallStatus.CANCELLED, _is_city(Member.organisation_id))
        .distinct()
    )


def table_presence() -> Select:
    return (
        sa.select(
            SeatAssignment.table_id.label("occasion"),
            Member.organisation_id.label("org"),
            SessionSlot.starts_at.label("at"),
            Summit.name.label("summit"),
            SocialSession.title.label("session"),
            SessionSlot.label.label("slot"),
            SessionTable.name.label("table"),
        )
        .join(Member, Member.id == SeatAssignment.member_id)
        .join(SessionTable, SessionTable.id == SeatAssignment.table_id)
        .join(SessionSlot, SessionSlot.id == SessionTable.slot_id)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .join(Summit, Summit.id == SocialSession.summit_id)
        .where(
            SocialSession.is_published.is_(True),
            SocialSession.is_cancelled.is_(False),
            _is_city(Member.organisation_id),
        )
        .distinct()
    )


def social_presence() -> Select:
    return (
        sa.select(
            SessionSignup.session_id.label("occasion"),
            Member.organisation_id.label("org"),
            SocialSession.starts_at.label("at"),
            Summit.name.label("summit"),
            SocialSession.title.label("session"),
        )
        .join(Member, Member.id == SessionSignup.member_id)
        .join(SocialSession, SocialSession.id == SessionSignup.session_id)
        .join(Summit, Summit.id == SocialSession.summit_id)
        .where(
            SessionSignup.status == SignupStatus.SIGNED_UP,
            SocialSession.kind == SessionKind.OPEN,
            SocialSession.is_cancelled.is_(False),
            _is_city(Member.organisation_id),
        )
        .distinct()
    )


def visit_presence() -> Select:
    return (
        sa.select(
            VisitCity.visit_id.label("occasion"),
            VisitCity.organisation_id.label("org"),
            Visit.starts_on.label("at"),
            Visit.format.label("format"),
            PracticeArea.name.label("area"),
            VisitCity.side.label("side"),
        )
        .join(Visit, Visit.id == VisitCity.visit_id)
        .join(PracticeArea, PracticeArea.id == Visit.practice_area_id)
        .where(Visit.status.in_(COMMITTED_STATUSES), _is_city(VisitCity.organisation_id))
        .distinct()
    )


SOURCES = {
    Kind.CALL: call_presence,
    Kind.BREAKOUT: breakout_presence,
    Kind.TABLE: table_presence,
    Kind.SOCIAL: social_presence,
    Kind.VISIT: visit_presence,
}


def day_of(at: datetime | date, zone_name: str) -> date:
    """Instants become the day they fall on for the reader; visits already are days."""
    return localize(at, zone_name).date() if isinstance(at, datetime) else at


def held_visits(today: date) -> sa.ColumnElement[bool]:
    """Visits that have happened: marked held, or approved with their last day over (as
    visits/reports.py counts them). Until then a visit's cities, days and area are its own."""
    return sa.or_(Visit.status == VisitStatus.HELD, Visit.ends_on < today)


def presence_rows(
    kind: Kind, before: datetime | None = None, held_by: date | None = None
) -> Select:
    """The source's presence rows, of occasions that started before an instant (all when
    None), and for visits, with `held_by` a day, only those held by then."""
    presence = SOURCES[kind]()
    if before is not None:
        bound = before.date() if kind == Kind.VISIT else before
        presence = presence.where(presence.selected_columns.at < bound)
    if held_by is not None and kind == Kind.VISIT:
        presence = presence.where(held_visits(held_by))
    return presence


def pair_counts(kind: Kind, before: datetime | None = None, held_by: date | None = None) -> Select:
    """Per pair of cities (lower id first): how many occasions of this kind they shared, and
    when the last one was."""
    rows = presence_rows(kind, before, held_by)
    slim = rows.with_only_columns(*(rows.selected_columns[c] for c in ("occasion", "org", "at")))
    presence = slim.cte(f"{kind.value}_presence")
    a, b = presence.alias("a"), presence.alias("b")
    return (
        sa.select(a.c.org, b.c.org, sa.func.count(), sa.func.max(a.c.at))
        .join(b, sa.and_(a.c.occasion == b.c.occasion, a.c.org < b.c.org))
        .group_by(a.c.org, b.c.org)
    )


def occasions_with(kind: Kind, city_id: int, held_by: date | None = None) -> Select:
    """Every presence row of the occasions of this kind where the city was."""
    presence = presence_rows(kind, held_by=held_by).cte(f"{kind.value}_presence")
    mine = sa.select(presence.c.occasion).where(presence.c.org == city_id)
    return sa.select(presence).where(presence.c.occasion.in_(mine))


def describe(kind: Kind, row, names: dict[int, str] | None = None, hosts=()) -> str:
    """What an occasion was, in a few words."""
    if kind == Kind.CALL:
        return row.title or row.series
    if kind == Kind.BREAKOUT:
        return f"{row.title or row.series}, Room {row.room}"
    if kind == Kind.TABLE:
        return f"{row.summit}, {row.session} ({row.slot}), {row.table}"
    if kind == Kind.SOCIAL:
        return f"{row.summit}, {row.session}"
    label = FORMAT_LABELS.get(VisitFormat(row.format), "Visit")
    where = ", ".join(sorted((names or {}).get(h, "") for h in hosts if names and h in names))
    return f"{label}: {row.area}" + (f", hosted by {where}" if where else "")
