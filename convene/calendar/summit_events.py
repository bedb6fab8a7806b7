"""The summit in feeds: the summit itself as one all-day event, its agenda items, social
sessions, a member's registration and their published tables. A fixed number of queries
per feed, whatever the number of summits or items.

UIDs follow the summit's own agenda entries ("agenda-item-7", "social-session-3",
"session-slot-12"), so a page, a feed and an invitation name one event alike. Each
builder gives None (logged) for a row no event can be made of, so a page, a download or a
mail goes on without the event.
"""

from datetime import timedelta

import sqlalchemy as sa

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
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SeatAssignment,
    SessionKind,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.text import markdown_to_text

KIND_LABELS = {
    AgendaKind.PLENARY: "Plenary",
    AgendaKind.BREAKOUT: "Breakout",
    AgendaKind.SITE_VISIT: "Site visit",
}


def _summit_link(summit) -> str:
    return link_pattern("summit.show", "slug", "/summit/{}").format(summit.slug)


def _lines(*parts) -> str:
    return "\n".join(p for p in parts if p is not None)


@or_none("summit")
def summit_event(summit, alarm: int | None = None) -> FeedEvent | None:
    """The whole summit: one all-day event over its days (never one long timed block)."""
    link = _summit_link(summit)
    return FeedEvent(
        uid=f"summit-{summit.id}@{uid_domain()}",
        sequence=summit.revision,
        summary=summit.name,
        last_modified=summit.updated_at,
        start_date=summit.starts_on,
        end_date=summit.ends_on,
        description=_lines(markdown_to_text(summit.description) or None, "", f"Details: {link}"),
        location=f"{summit.venue}, {summit.address}",
        url=link,
        alarm_minutes=alarm,
        categories=("Summit",),
    )


@or_none("registration")
def registration_event(registration, summit, alarm: int | None = None) -> FeedEvent | None:
    """A member's place at the summit, as an all-day event in their own feed and mail."""
    link = _summit_link(summit)
    status = {
        RegistrationStatus.CONFIRMED: "Your place is confirmed.",
        RegistrationStatus.WAITLISTED: "You are on the waitlist.",
        RegistrationStatus.CANCELLED: "Your registration is cancelled.",
    }[registration.status]
    prefix = "Waitlist: " if registration.status == RegistrationStatus.WAITLISTED else ""
    return FeedEvent(
        uid=f"summit-registration-{registration.id}@{uid_domain()}",
        sequence=summit.revision + registration.revision,
        summary=f"{prefix}{summit.name}",
        last_modified=max(summit.updated_at, registration.updated_at),
        start_date=summit.starts_on,
        end_date=summit.ends_on,
        is_cancelled=registration.status == RegistrationStatus.CANCELLED,
        description=_lines(status, "", f"Your agenda and details: {link}"),
        location=f"{summit.venue}, {summit.address}",
        url=link,
        alarm_minutes=alarm,
        categories=("Summit",),
    )


@or_none("agenda item")
def agenda_item_event(item, summit, alarm: int | None = None) -> FeedEvent | None:
    link = _summit_link(summit) + f"#item-{item.id}"
    return FeedEvent(
        uid=f"agenda-item-{item.id}@{uid_domain()}",
        sequence=item.revision,
        summary=item.title,
        last_modified=item.updated_at,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        zone=summit.zone,
        is_cancelled=item.is_cancelled,
        description=_lines(
            f"{KIND_LABELS.get(item.kind, 'Session')} at {summit.name}",
            f"Speakers: {item.speakers}" if item.speakers else None,
            "",
            markdown_to_text(item.description) or None,
            "",
            f"Details: {link}",
        ),
        location=f"{item.room}, {summit.venue}" if item.room else summit.venue,
        url=link,
        alarm_minutes=alarm,
        categories=("Summit", KIND_LABELS.get(item.kind, "Session")),
    )


@or_none("social session")
def social_session_event(session, summit, alarm=None, waitlisted=False) -> FeedEvent | None:
    link = _summit_link(summit) + f"#session-{session.id}"
    return FeedEvent(
        uid=f"social-session-{session.id}@{uid_domain()}",
        sequence=session.revision,
        summary=("Waitlist: " if waitlisted else "") + session.title,
        last_modified=session.updated_at,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        zone=summit.zone,
        is_cancelled=session.is_cancelled,
        description=_lines(
            f"Social time at {summit.name}",
            "You are on the waitlist." if waitlisted else None,
            "",
            markdown_to_text(session.description) or None,
            "",
            f"Details: {link}",
        ),
        location=session.place or summit.venue,
        url=link,
        alarm_minutes=alarm,
        categories=("Summit", "Social"),
    )


@or_none("session slot")
def slot_event(slot, session, summit, table=None, seat=None, alarm=None) -> FeedEvent | None:
    """One sitting of an assigned session; with `table`, the member's own seat at it."""
    link = _summit_link(summit) + f"#session-{session.id}"
    changed = [slot.updated_at, session.updated_at] + ([seat.updated_at] if seat else [])
    return FeedEvent(
        uid=f"session-slot-{slot.id}@{uid_domain()}",
        sequence=session.revision + slot.revision,
        summary=f"{session.title}: {slot.label}" + (f" ({table.label})" if table else ""),
        last_modified=max(changed),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        zone=summit.zone,
        is_cancelled=session.is_cancelled,
        description=_lines(
            f"Social time at {summit.name}",
            f"Your table: {table.name}" if table else None,
            "",
            markdown_to_text(session.description) or None,
            "",
            f"Details: {link}",
        ),
        location=slot.place or session.place or summit.venue,
        url=link,
        alarm_minutes=alarm,
        categories=("Summit", "Social"),
    )


# --- the source ----------------------------------------------------------------------------


def _summits(scope: FeedScope) -> dict[int, Summit]:
    query = sa.select(Summit)
    if scope.kind == FeedKind.SUMMIT:
        query = query.where(Summit.id == scope.summit_id)
    else:
        query = query.where(Summit.ends_on >= scope.since.date())
    return {s.id: s for s in db.session.scalars(query)}


def _public_items(summits: dict[int, Summit]) -> list[FeedEvent]:
    if not summits:
        return []
    items = db.session.scalars(
        sa.select(AgendaItem).where(
            AgendaItem.summit_id.in_(summits), AgendaItem.is_public.is_(True)
        )
    )
    return built("agenda item", items, lambda i: agenda_item_event(i, summits[i.summit_id]))


def _summit_sessions(summits: dict[int, Summit]) -> list[FeedEvent]:
    """Open sessions at their own time; published assigned sessions, slot by slot."""
    if not summits:
        return []
    events = []
    sessions = db.session.scalars(
        sa.select(SocialSession).where(
            SocialSession.summit_id.in_(summits), SocialSession.kind == SessionKind.OPEN
        )
    )
    events += built(
        "social session", sessions, lambda s: social_session_event(s, summits[s.summit_id])
    )
    slots = db.session.execute(
        sa.select(SessionSlot, SocialSession)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .where(
            SocialSession.summit_id.in_(summits),
            SocialSession.kind == SessionKind.ASSIGNED,
            SocialSession.is_published.is_(True),
        )
    )
    events += built(
        "session slot", slots, lambda row: slot_event(row[0], row[1], summits[row[1].summit_id])
    )
    return events


def _member_events(scope: FeedScope, summits: dict[int, Summit]) -> list[FeedEvent]:
    if not summits:
        return []
    alarm, member_id = scope.reminder_minutes, scope.member_id
    cancelled_since = scope.now - timedelta(days=CANCELLED_DAYS)
    registrations = db.session.scalars(
        sa.select(Registration).where(
            Registration.member_id == member_id,
            Registration.summit_id.in_(summits),
            sa.or_(
                Registration.status != RegistrationStatus.CANCELLED,
                Registration.updated_at >= cancelled_since,
            ),
        )
    ).all()
    events = built(
        "registration", registrations, lambda r: registration_event(r, summits[r.summit_id], alarm)
    )
    attending = {r.summit_id for r in registrations if r.status == RegistrationStatus.CONFIRMED}
    if not attending:
        return events
    picked = sa.select(AgendaPick.agenda_item_id).where(AgendaPick.member_id == member_id)
    items = db.session.scalars(
        sa.select(AgendaItem).where(
            AgendaItem.summit_id.in_(attending),
            sa.or_(AgendaItem.kind == AgendaKind.PLENARY, AgendaItem.id.in_(picked)),
        )
    )
    events += built(
        "agenda item", items, lambda i: agenda_item_event(i, summits[i.summit_id], alarm)
    )
    signups = db.session.execute(
        sa.select(SessionSignup, SocialSession)
        .join(SocialSession, SocialSession.id == SessionSignup.session_id)
        .where(SessionSignup.member_id == member_id, SocialSession.summit_id.in_(attending))
    )
    events += built(
        "social session",
        [(s, signup) for signup, s in signups if s.starts_at is not None and s.ends_at is not None],
        lambda row: social_session_event(
            row[0],
            summits[row[0].summit_id],
            alarm,
            waitlisted=row[1].status == SignupStatus.WAITLISTED,
        ),
    )
    seats = db.session.execute(
        sa.select(SeatAssignment, SessionTable, SessionSlot, SocialSession)
        .join(SessionTable, SessionTable.id == SeatAssignment.table_id)
        .join(SessionSlot, SessionSlot.id == SeatAssignment.slot_id)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .where(
            SeatAssignment.member_id == member_id,
            SocialSession.summit_id.in_(attending),
            SocialSession.is_published.is_(True),
        )
    )
    events += built(
        "session slot",
        [(slot, s, table, seat) for seat, table, slot, s in seats],
        lambda row: slot_event(
            row[0], row[1], summits[row[1].summit_id], table=row[2], seat=row[3], alarm=alarm
        ),
    )
    return events


def summit_events(scope: FeedScope) -> list[FeedEvent]:
    """Public feed: each current summit and its public agenda. Summit feed: that summit, its
    public agenda and social sessions. A member's feed: their registration and, once
    confirmed, plenaries, their picks, their social sessions and their tables."""
    if scope.kind not in (FeedKind.PUBLIC, FeedKind.SUMMIT, FeedKind.MEMBER):
        return []
    summits = _summits(scope)
    if scope.kind == FeedKind.MEMBER:
        return _member_events(scope, summits)
    events = built("summit", summits.values(), summit_event)
    events += _public_items(summits)
    if scope.kind == FeedKind.SUMMIT:
        events += _summit_sessions(summits)
    return events


def summit_title(summit_id: int) -> str | None:
    return db.session.scalar(sa.select(Summit.name).where(Summit.id == summit_id))
