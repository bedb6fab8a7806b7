"""The summit's agenda: public by day, and each attendee's personal agenda.

`personal_agenda` returns plain entries that the page and the calendar feeds share.
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.convenings.conflicts import insert_unless_exists
from convene.extensions import db
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SeatAssignment,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.summit.sessions import overlapping_commitment
from convene.types import utcnow
from convene.zones import localize


@dataclass(frozen=True)
class AgendaEntry:
    """One thing in a person's summit days, ready for a page or an iCalendar event."""

    uid: str  # stable across edits: "agenda-item-7", "social-session-3", "session-slot-12"
    kind: str  # plenary, breakout, site_visit, social, assigned
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None = None
    table_name: str | None = None
    status: str | None = None  # "waitlisted" for a place not yet held
    description: str | None = None
    updated_at: datetime | None = None
    revision: int = 0


def current_summit(now: datetime | None = None) -> Summit | None:
    """The summit on now or next; failing that, the most recent one."""
    today = (now or utcnow()).date()
    upcoming = db.session.scalar(
        select(Summit).where(Summit.ends_on >= today).order_by(Summit.starts_on).limit(1)
    )
    if upcoming is not None:
        return upcoming
    return db.session.scalar(select(Summit).order_by(Summit.starts_on.desc()).limit(1))


def public_agenda(summit: Summit) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.summit_id == summit.id, AgendaItem.is_public.is_(True))
            .order_by(AgendaItem.starts_at, AgendaItem.id)
        )
    )


def by_day(entries, zone_name: str) -> "OrderedDict[date, list]":
    """Entries (anything with starts_at) grouped by their local date in `zone_name`."""
    days: OrderedDict[date, list] = OrderedDict()
    for entry in sorted(entries, key=lambda e: e.starts_at):
        days.setdefault(localize(entry.starts_at, zone_name).date(), []).append(entry)
    return days


def personal_agenda(member: Member, summit: Summit) -> list[AgendaEntry]:
    """What a confirmed attendee attends: plenaries, their picked breakouts and site visits,
    their open social sessions (waitlisted ones marked) and their published tables.

    Empty for anyone without a confirmed registration.
    """
    registered = db.session.scalar(
        select(Registration.id).where(
            Registration.summit_id == summit.id,
            Registration.member_id == member.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    if registered is None:
        return []
    entries: list[AgendaEntry] = []
    picked = set(
        db.session.scalars(
            select(AgendaPick.agenda_item_id).where(AgendaPick.member_id == member.id)
        )
    )
    for item in db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.summit_id == summit.id, AgendaItem.is_cancelled.is_(False)
        )
    ):
        if item.kind == AgendaKind.PLENARY or item.id in picked:
            entries.append(
                AgendaEntry(
                    uid=f"agenda-item-{item.id}",
                    kind=item.kind.value,
                    title=item.title,
                    starts_at=item.starts_at,
                    ends_at=item.ends_at,
                    place=item.room,
                    description=item.description,
                    updated_at=item.updated_at,
                    revision=item.revision,
                )
            )
    signups = db.session.scalars(
        select(SessionSignup)
        .join(SocialSession)
        .where(
            SocialSession.summit_id == summit.id,
            SocialSession.is_cancelled.is_(False),
            SessionSignup.member_id == member.id,
        )
        .options(selectinload(SessionSignup.session))
    )
    for signup in signups:
        session = signup.session
        entries.append(
            AgendaEntry(
                uid=f"social-session-{session.id}",
                kind="social",
                title=session.title,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                place=session.place,
                status="waitlisted" if signup.status == SignupStatus.WAITLISTED else None,
                description=session.description,
                updated_at=max(session.updated_at, signup.updated_at),
                revision=session.revision,
            )
        )
    seats = db.session.execute(
        select(SeatAssignment, SessionTable, SessionSlot, SocialSession)
        .join(SessionTable, SeatAssignment.table_id == SessionTable.id)
        .join(SessionSlot, SeatAssignment.slot_id == SessionSlot.id)
        .join(SocialSession, SessionSlot.session_id == SocialSession.id)
        .where(
            SocialSession.summit_id == summit.id,
            SocialSession.is_published.is_(True),
            SocialSession.is_cancelled.is_(False),
            SeatAssignment.member_id == member.id,
        )
    )
    for seat, table, slot, session in seats:
        entries.append(
            AgendaEntry(
                uid=f"session-slot-{slot.id}",
                kind="assigned",
                title=f"{session.title}: {slot.label}",
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                place=slot.place or session.place,
                table_name=table.name,
                description=session.description,
                updated_at=max(slot.updated_at, session.updated_at, seat.updated_at),
                revision=session.revision + slot.revision,
            )
        )
    entries.sort(key=lambda e: (e.starts_at, e.title))
    return entries


def pick_item(item: AgendaItem, member: Member) -> bool:
    """Put a breakout or site visit on the member's agenda; True if it was not there yet.

    Saying it twice (a double click, two tabs at once) leaves one pick: the unique key on
    (item, member) settles the race inside the INSERT, with no error to handle.
    """
    return insert_unless_exists(
        AgendaPick,
        {"agenda_item_id": item.id, "member_id": member.id},
        ["agenda_item_id", "member_id"],
    )


def unpick_item(item: AgendaItem, member: Member) -> bool:
    """Take an item off the member's agenda; True if it was there. Saying it twice is harmless."""
    removed = db.session.execute(
        delete(AgendaPick).where(
            AgendaPick.agenda_item_id == item.id, AgendaPick.member_id == member.id
        )
    )
    return removed.rowcount > 0


@dataclass(frozen=True)
class Clash:
    title: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def clashes(item: AgendaItem, member: Member) -> list[Clash]:
    """What on the member's agenda overlaps `item`: breakouts and site visits they picked,
    and the social sessions and tables they hold.

    A clash is a warning, not a refusal: picks are a personal plan with no places to
    count, and someone may well look in on two parallel breakouts. (Social sessions are
    different: a place there is one of a few, so one person may hold only one at a time.)
    """
    picked = db.session.execute(
        select(AgendaItem.title, AgendaItem.starts_at, AgendaItem.ends_at)
        .join(AgendaPick, AgendaPick.agenda_item_id == AgendaItem.id)
        .where(
            AgendaPick.member_id == member.id,
            AgendaItem.summit_id == item.summit_id,
            AgendaItem.id != item.id,
            AgendaItem.is_cancelled.is_(False),
            AgendaItem.kind != AgendaKind.PLENARY,
            AgendaItem.starts_at < item.ends_at,
            AgendaItem.ends_at > item.starts_at,
        )
        .order_by(AgendaItem.starts_at, AgendaItem.id)
    ).all()
    found = [Clash(title, starts, ends) for title, starts, ends in picked]
    social = overlapping_commitment(member, item.summit_id, item.starts_at, item.ends_at)
    if social is not None:
        found.append(Clash(social))
    return found
