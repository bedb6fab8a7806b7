"""Where feed events come from: one plain function per capability, each a fixed number of
SQL queries whatever the number of events.

A source takes a FeedScope (which feed is being built, for whom) and returns FeedEvents.
To add one, write `def my_events(scope: FeedScope) -> list[FeedEvent]` (returning [] for
scopes it has nothing for) and append it to SOURCES. The summit's source lives in
summit_events.py. Sources make their events through `built`, so that a row no event can
be made of is left out (and logged) instead of failing the whole feed.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache, wraps

import sqlalchemy as sa
from flask import current_app
from werkzeug.routing import BuildError

from convene.accounts.models import Organisation
from convene.breakouts.lookup import rooms_of_member
from convene.breakouts.models import RoomSeat
from convene.breakouts.words import room_line
from convene.calendar.events import FeedEvent
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer, Series
from convene.extensions import db
from convene.text import markdown_to_text
from convene.types import utcnow
from convene.urls import external_url

log = logging.getLogger(__name__)

# Past events stay in feeds this long; a cancelled call stays at least CANCELLED_DAYS
# after its cancellation, whenever it was due.
PAST_DAYS = 60
CANCELLED_DAYS = 30


class FeedKind:
    PUBLIC = "public"
    MEMBER = "member"
    PARTNER = "partner"
    SUMMIT = "summit"
    CALL = "call"


@dataclass(frozen=True)
class FeedScope:
    kind: str
    now: datetime = field(default_factory=utcnow)
    member_id: int | None = None
    include_all_calls: bool = False
    reminder_minutes: int | None = None
    organisation_id: int | None = None
    summit_id: int | None = None
    call_id: int | None = None
    # Video link and dial-in: only in a member's own feed and downloads.
    with_join_details: bool = False

    @property
    def since(self) -> datetime:
        return self.now - timedelta(days=PAST_DAYS)


def uid_domain() -> str:
    """The right-hand side of every UID ("call-12@convene"). Not the base URL, which may
    change: a UID must never change, or calendars duplicate every event."""
    return current_app.config.get("CALENDAR_UID_DOMAIN", "convene")


def _log_left_out(source: str, row) -> None:
    row_id = getattr(row, "id", None)
    if row_id is None and isinstance(row, tuple) and row:
        row_id = getattr(row[0], "id", None)
    log.exception("calendar: %s %s left out", source, row_id)


def built(source: str, rows: Iterable, make: Callable) -> list[FeedEvent]:
    """`make(row)` for each row, leaving out (and logging) the rows it fails on or gives
    None for."""
    events = []
    for row in rows:
        try:
            event = make(row)
        except Exception:
            _log_left_out(source, row)
            continue
        if event is not None:
            events.append(event)
    return events


def or_none(source: str):
    """For an event builder that pages, downloads and mail call directly: None (logged)
    instead of an exception, so an invitation that cannot be made never stops the mail."""

    def decorator(make):
        @wraps(make)
        def wrapped(row, *args, **kwargs) -> FeedEvent | None:
            try:
                return make(row, *args, **kwargs)
            except Exception:
                _log_left_out(source, row)
                return None

        return wrapped

    return decorator


def link_pattern(endpoint: str, key: str, fallback: str) -> str:
    """An absolute URL pattern with one '{}' for the id: built once per feed, not per event."""
    marker = 987654321
    try:
        url = external_url(endpoint, **{key: marker})
    except BuildError:
        url = current_app.config["BASE_URL"].rstrip("/") + fallback.format(marker)
    return url.replace(str(marker), "{}")


# --- calls ---------------------------------------------------------------------------------

_CALL_COLUMNS = (
    Call.id,
    Call.starts_at,
    Call.duration_minutes,
    Call.zone,
    Call.title,
    Call.status,
    Call.cancel_reason,
    Call.agenda,
    Call.revision,
    Call.updated_at,
    Series.name.label("series_name"),
    Series.video_url,
    Series.dial_in_number,
    Series.dial_in_code,
    Series.updated_at.label("series_updated_at"),
    Organisation.name.label("host_name"),
)


def _call_query(scope: FeedScope):
    query = (
        sa.select(*_CALL_COLUMNS)
        .join(Series, Series.id == Call.series_id)
        .join(Organisation, Organisation.id == Call.host_organisation_id)
    )
    if scope.kind == FeedKind.CALL:
        return query.where(Call.id == scope.call_id)
    if scope.kind == FeedKind.SUMMIT:
        return None
    query = query.where(
        sa.or_(
            Call.starts_at >= scope.since,
            sa.and_(
                Call.status == CallStatus.CANCELLED,
                Call.updated_at >= scope.now - timedelta(days=CANCELLED_DAYS),
            ),
        )
    )
    if scope.kind == FeedKind.PARTNER:
        query = query.where(Call.host_organisation_id == scope.organisation_id)
    elif scope.kind == FeedKind.MEMBER and not scope.include_all_calls:
        query = query.join(
            Rsvp,
            sa.and_(
                Rsvp.call_id == Call.id,
                Rsvp.member_id == scope.member_id,
                Rsvp.answer.in_([RsvpAnswer.YES, RsvpAnswer.MAYBE]),
            ),
        )
    return query


def call_description(row, link: str, with_join_details: bool, room: str | None = None) -> str:
    """`room` is the reader's breakout room in words, for their own feed."""
    lines = []
    if row.title:
        lines.append(f"Topic: {row.title}")
    lines.append(f"Hosted by {row.host_name}")
    if row.status == CallStatus.CANCELLED:
        reason = f": {row.cancel_reason}" if row.cancel_reason else "."
        lines.append(f"This call is cancelled{reason}")
    elif room:
        lines.append(f"Your breakout room: {room}")
    agenda = markdown_to_text(row.agenda)
    if agenda:
        lines += ["", "Agenda:", agenda]
    if with_join_details and (row.video_url or row.dial_in_number):
        lines.append("")
        if row.video_url:
            lines.append(f"Join the video call: {row.video_url}")
        if row.dial_in_number:
            code = f", code {row.dial_in_code}" if row.dial_in_code else ""
            lines.append(f"Dial in: {row.dial_in_number}{code}")
    lines += ["", f"Details: {link}"]
    return "\n".join(lines)


@lru_cache(maxsize=50_000)
def _call_event(
    row, links: str, domain: str, join: bool, alarm: int | None, room: str | None = None
) -> FeedEvent:
    """One call's FeedEvent from its row: memoised, so a feed rebuilt after one change
    reuses every other call's event (and so its serialised VEVENT)."""
    link = links.format(row.id)
    label = row.title or row.series_name
    return FeedEvent(
        uid=f"call-{row.id}@{domain}",
        sequence=row.revision,
        summary=f"{label} ({row.host_name})",
        last_modified=max(row.updated_at, row.series_updated_at) if join else row.updated_at,
        starts_at=row.starts_at,
        ends_at=row.starts_at + timedelta(minutes=row.duration_minutes),
        zone=row.zone,
        is_cancelled=row.status == CallStatus.CANCELLED,
        description=call_description(row, link, join, room),
        location="Video call",
        url=link,
        conference_url=row.video_url if join else None,
        alarm_minutes=alarm,
        categories=("Call",),
    )


def call_events(scope: FeedScope) -> list[FeedEvent]:
    """Calls for the scope, in one query."""
    query = _call_query(scope)
    if query is None:
        return []
    links = link_pattern("convenings.call", "call_id", "/calls/{}")
    domain = uid_domain()
    join, alarm = scope.with_join_details, scope.reminder_minutes
    personal = scope.kind == FeedKind.MEMBER and scope.member_id is not None
    if personal:
        mine = (RoomSeat.call_id == Call.id, RoomSeat.member_id == scope.member_id)
        seated = sa.exists().where(*mine)
        query = query.add_columns(seated.label("has_room"))
    rows = db.session.execute(query).all()
    rooms = _rooms_in_words(scope.member_id, rows) if personal else {}
    return built(
        "call", rows, lambda row: _call_event(row, links, domain, join, alarm, rooms.get(row.id))
    )


def _rooms_in_words(member_id: int, rows) -> dict[int, str]:
    """call id -> "Room 3, with Ana Ortiz (Mesa), ..." for the calls the member has a room
    on (asked only for those: a feed without rooms runs no more queries)."""
    call_ids = [row.id for row in rows if row.has_room]
    if not call_ids:
        return {}
    found = rooms_of_member(member_id, call_ids)
    return {call_id: room_line(room, people) for call_id, (room, people) in found.items()}


# --- the registry --------------------------------------------------------------------------

Source = Callable[[FeedScope], list[FeedEvent]]


def _summit_events(scope: FeedScope) -> list[FeedEvent]:
    from convene.calendar.summit_events import summit_events

    return summit_events(scope)


def _visit_events(scope: FeedScope) -> list[FeedEvent]:
    from convene.calendar.visit_events import visit_events

    return visit_events(scope)


def _meeting_events(scope: FeedScope) -> list[FeedEvent]:
    from convene.calendar.meeting_events import meeting_events

    return meeting_events(scope)


# Each capability's source, in order. A source returns [] for scopes it has nothing for.
SOURCES: list[Source] = [call_events, _summit_events, _visit_events, _meeting_events]


def events_for(scope: FeedScope) -> list[FeedEvent]:
    events: list[FeedEvent] = []
    for source in SOURCES:
        events.extend(source(scope))
    return events


def summit_feed_title(summit_id: int) -> str | None:
    """The summit's name for its feed, or None if there is no such summit (404)."""
    from convene.calendar.summit_events import summit_title

    return summit_title(summit_id)
