"""Reminders before what a member is coming to, each sent once.

What is reminded, REMINDER_HOURS (default 24) before it starts:
- a call they said yes or maybe to (agenda, how to join, the call's .ics);
- a peer visit they are named on, before it opens (its first itinerary item, else 09:00 on
  its first day in the host city), with its itinerary and the visit's .ics;
- the summit, for a confirmed registration: before its opening (the first agenda item,
  else 09:00 on its first day, venue time), with their own programme day by day and the
  registration's .ics. Plenaries are for everyone, so they are in this one message;
- what the member chose or was given at a summit they are confirmed for, each with its
  .ics: a picked agenda item, a place (not a waitlist place) at an open social session,
  a seat at a published table (unless they said they would miss that sitting).

Once: each reminder is a row of sent_reminders, unique on (member, kind, thing, start),
inserted with ON CONFLICT DO NOTHING in the transaction that queues its mail, one
transaction per reminder. A second worker inserting the same key waits for the first to
commit and then inserts nothing, so it sends nothing. The start is part of the key: a call
moved after its reminder went gets a fresh reminder for its new time. A member whose
choice for reminders is never gets none, and the key is still recorded (turning reminders
back on does not replay old ones).
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, select

from convene.accounts.models import Member
from convene.breakouts.lookup import room_of
from convene.calendar.invitations import ACCEPTED, REQUEST, TENTATIVE, call_event, invitation
from convene.calendar.summit_events import (
    agenda_item_event,
    registration_event,
    slot_event,
    social_session_event,
)
from convene.convenings.conflicts import insert_unless_exists
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.notifications.models import MailTopic, ReminderKind, SentReminder
from convene.notifications.outbox import queue_email
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
    SlotAbsence,
    SocialSession,
    Summit,
)
from convene.text import markdown_to_text
from convene.types import utcnow
from convene.urls import external_url
from convene.zones import format_instant, member_zone_name, to_utc

log = logging.getLogger(__name__)

COMING = (RsvpAnswer.YES, RsvpAnswer.MAYBE)
LIVE_CALL = (CallStatus.SCHEDULED, CallStatus.MOVED)
SUMMIT_OPENS_AT = time(9, 0)  # venue time, for a summit with no agenda yet


@dataclass(frozen=True, order=True)
class Due:
    """One reminder to send: its key in sent_reminders."""

    starts_at: datetime
    kind: ReminderKind
    thing_id: int
    member_id: int


def lead_time() -> timedelta:
    return timedelta(hours=current_app.config["REMINDER_HOURS"])


def _unsent(kind: ReminderKind, member_id, thing_id, starts_at):
    return ~exists().where(
        SentReminder.member_id == member_id,
        SentReminder.kind == kind,
        SentReminder.thing_id == thing_id,
        SentReminder.starts_at == starts_at,
    )


def _confirmed(summit_id, member_id):
    return exists().where(
        Registration.summit_id == summit_id,
        Registration.member_id == member_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )


# --- what is due ------------------------------------------------------------------------------


def _due_calls(now: datetime, until: datetime) -> list[Due]:
    rows = db.session.execute(
        select(Call.starts_at, Call.id, Rsvp.member_id)
        .join(Rsvp, Rsvp.call_id == Call.id)
        .join(Member, Member.id == Rsvp.member_id)
        .where(
            Rsvp.answer.in_(COMING),
            Call.status.in_(LIVE_CALL),
            Call.starts_at > now,
            Call.starts_at <= until,
            Member.active.is_(True),
            _unsent(ReminderKind.CALL, Rsvp.member_id, Call.id, Call.starts_at),
        )
    )
    return [Due(s, ReminderKind.CALL, c, m) for s, c, m in rows]


def _due_agenda_items(now: datetime, until: datetime) -> list[Due]:
    rows = db.session.execute(
        select(AgendaItem.starts_at, AgendaItem.id, AgendaPick.member_id)
        .join(AgendaPick, AgendaPick.agenda_item_id == AgendaItem.id)
        .join(Member, Member.id == AgendaPick.member_id)
        .where(
            AgendaItem.is_cancelled.is_(False),
            AgendaItem.starts_at > now,
            AgendaItem.starts_at <= until,
            Member.active.is_(True),
            _confirmed(AgendaItem.summit_id, AgendaPick.member_id),
            _unsent(
                ReminderKind.AGENDA_ITEM, AgendaPick.member_id, AgendaItem.id, AgendaItem.starts_at
            ),
        )
    )
    return [Due(s, ReminderKind.AGENDA_ITEM, i, m) for s, i, m in rows]


def _due_social_sessions(now: datetime, until: datetime) -> list[Due]:
    rows = db.session.execute(
        select(SocialSession.starts_at, SocialSession.id, SessionSignup.member_id)
        .join(SessionSignup, SessionSignup.session_id == SocialSession.id)
        .join(Member, Member.id == SessionSignup.member_id)
        .where(
            SocialSession.kind == SessionKind.OPEN,
            SocialSession.is_cancelled.is_(False),
            SessionSignup.status == SignupStatus.SIGNED_UP,
            SocialSession.starts_at > now,
            SocialSession.starts_at <= until,
            Member.active.is_(True),
            _confirmed(SocialSession.summit_id, SessionSignup.member_id),
            _unsent(
                ReminderKind.SOCIAL_SESSION,
                SessionSignup.member_id,
                SocialSession.id,
                SocialSession.starts_at,
            ),
        )
    )
    return [Due(s, ReminderKind.SOCIAL_SESSION, i, m) for s, i, m in rows]


def _due_session_slots(now: datetime, until: datetime) -> list[Due]:
    absent = exists().where(
        SlotAbsence.slot_id == SessionSlot.id, SlotAbsence.member_id == SeatAssignment.member_id
    )
    rows = db.session.execute(
        select(SessionSlot.starts_at, SessionSlot.id, SeatAssignment.member_id)
        .join(SeatAssignment, SeatAssignment.slot_id == SessionSlot.id)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .join(Member, Member.id == SeatAssignment.member_id)
        .where(
            SocialSession.is_published.is_(True),
            SocialSession.is_cancelled.is_(False),
            SessionSlot.starts_at > now,
            SessionSlot.starts_at <= until,
            Member.active.is_(True),
            ~absent,
            _confirmed(SocialSession.summit_id, SeatAssignment.member_id),
            _unsent(
                ReminderKind.SESSION_SLOT,
                SeatAssignment.member_id,
                SessionSlot.id,
                SessionSlot.starts_at,
            ),
        )
    )
    return [Due(s, ReminderKind.SESSION_SLOT, i, m) for s, i, m in rows]


def summit_opening(summit: Summit) -> datetime | None:
    """When the summit starts for its attendees: its first live agenda item, else 09:00 on
    its first day at the venue (None if the summit's zone is unusable)."""
    first = db.session.scalar(
        select(func.min(AgendaItem.starts_at)).where(
            AgendaItem.summit_id == summit.id, AgendaItem.is_cancelled.is_(False)
        )
    )
    if first is not None:
        return first
    try:
        return to_utc(summit.starts_on, SUMMIT_OPENS_AT, summit.zone)
    except ValueError:
        log.warning("reminders: summit %s has no usable zone", summit.id)
        return None


def _due_summits(now: datetime, until: datetime) -> list[Due]:
    # A summit opens on its first day, or a day before with an early site visit.
    summits = db.session.scalars(
        select(Summit).where(
            Summit.starts_on >= (now - timedelta(days=2)).date(),
            Summit.starts_on <= (until + timedelta(days=2)).date(),
        )
    ).all()
    due = []
    for summit in summits:
        opening = summit_opening(summit)
        if opening is None or not now < opening <= until:
            continue
        members = db.session.scalars(
            select(Registration.member_id)
            .join(Member, Member.id == Registration.member_id)
            .where(
                Registration.summit_id == summit.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Member.active.is_(True),
                _unsent(ReminderKind.SUMMIT, Registration.member_id, summit.id, opening),
            )
        )
        due += [Due(opening, ReminderKind.SUMMIT, summit.id, m) for m in members]
    return due


VISIT_OPENS_AT = time(9, 0)  # the host city's time, for a visit with no itinerary yet


def visit_opening(visit) -> datetime | None:
    """When a visit starts for its people: its first itinerary item, else 09:00 on its
    first day in the host city (None if the visit's zone is unusable)."""
    if visit.itinerary:
        return min(item.starts_at for item in visit.itinerary)
    try:
        return to_utc(visit.starts_on, VISIT_OPENS_AT, visit.zone)
    except ValueError:
        log.warning("reminders: visit %s has no usable zone", visit.id)
        return None


def _due_visits(now: datetime, until: datetime) -> list[Due]:
    """Scheduled visits opening within the lead time, for each person named on them."""
    from sqlalchemy.orm import selectinload

    from convene.visits.models import Visit, VisitParticipant, VisitStatus

    visits = db.session.scalars(
        select(Visit)
        .where(
            Visit.status == VisitStatus.APPROVED,
            Visit.starts_on >= (now - timedelta(days=2)).date(),
            Visit.starts_on <= (until + timedelta(days=2)).date(),
        )
        .options(selectinload(Visit.itinerary))
    ).all()
    due = []
    for visit in visits:
        opening = visit_opening(visit)
        if opening is None or not now < opening <= until:
            continue
        members = db.session.scalars(
            select(VisitParticipant.member_id)
            .join(Member, Member.id == VisitParticipant.member_id)
            .where(
                VisitParticipant.visit_id == visit.id,
                Member.active.is_(True),
                _unsent(ReminderKind.VISIT, VisitParticipant.member_id, visit.id, opening),
            )
        )
        due += [Due(opening, ReminderKind.VISIT, visit.id, m) for m in members]
    return due


def due_reminders(now: datetime | None = None) -> list[Due]:
    """Every reminder whose time has come and that has not gone, soonest first."""
    now = now or utcnow()
    until = now + lead_time()
    found = []
    for finder in (
        _due_calls,
        _due_summits,
        _due_agenda_items,
        _due_social_sessions,
        _due_session_slots,
        _due_visits,
    ):
        found += finder(now, until)
    return sorted(found)


# --- sending ----------------------------------------------------------------------------------


def send_reminders(now: datetime | None = None) -> int:
    """Queue every due reminder, each in its own transaction; returns how many were queued
    (or turned down by the member's choice) by this call."""
    now = now or utcnow()
    count = 0
    for due in due_reminders(now):
        try:
            if _send(due):
                count += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reminders: %s %s for member %s left out", *_key(due))
    return count


def _key(due: Due) -> tuple:
    return due.kind.value, due.thing_id, due.member_id


def _send(due: Due) -> bool:
    """Check the thing still stands as found, claim the key, then queue the mail."""
    member = db.session.get(Member, due.member_id)
    if member is None or not member.active:
        return False
    compose = COMPOSERS[due.kind](due, member)
    if compose is None:  # changed since it was found: the next run sees it as it is now
        return False
    key = {
        "member_id": due.member_id,
        "kind": due.kind,
        "thing_id": due.thing_id,
        "starts_at": due.starts_at,
        "sent_at": utcnow(),
    }
    if not insert_unless_exists(SentReminder, key, ["member_id", "kind", "thing_id", "starts_at"]):
        return False  # another worker (or run) sent it
    compose()
    return True


def _context(member: Member) -> dict:
    return {
        "member": member,
        "zone": member_zone_name(member),
        "preferences_url": external_url("notifications.mail_preferences"),
    }


def _remind(member: Member, subject: str, template: str, attachment, **context) -> None:
    queue_email(
        member.email,
        subject,
        f"reminders/{template}",
        attachments=(attachment,),
        topic=MailTopic.REMINDERS,
        **(_context(member) | context),
    )


Composer = Callable[[], None]


def _call(due: Due, member: Member) -> Composer | None:
    call = db.session.get(Call, due.thing_id)
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.call_id == due.thing_id, Rsvp.member_id == member.id)
    )
    if (
        call is None
        or call.status not in LIVE_CALL
        or call.starts_at != due.starts_at
        or rsvp is None
        or rsvp.answer not in COMING
    ):
        return None

    def compose() -> None:
        zone = member_zone_name(member)
        partstat = TENTATIVE if rsvp.answer == RsvpAnswer.MAYBE else ACCEPTED
        event = call_event(call.id, with_join_details=True)
        room = room_of(call.id, member.id)
        _remind(
            member,
            f"Reminder: {call.label}, {format_instant(call.starts_at, zone, 'short')}",
            "call",
            invitation(event, member, REQUEST, partstat),
            call=call,
            rsvp=rsvp,
            agenda=markdown_to_text(call.agenda),
            link=external_url("convenings.call", call_id=call.id),
            room=room[0] if room else None,
            roommates=room[1] if room else [],
        )

    return compose


def _confirmed_registration(summit_id: int, member_id: int) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.summit_id == summit_id,
            Registration.member_id == member_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def _summit_context(summit: Summit) -> dict:
    return {
        "summit": summit,
        "agenda_url": external_url("summit.my_agenda", slug=summit.slug),
    }


def _summit(due: Due, member: Member) -> Composer | None:
    summit = db.session.get(Summit, due.thing_id)
    registration = _confirmed_registration(due.thing_id, member.id) if summit else None
    if registration is None or summit_opening(summit) != due.starts_at:
        return None

    def compose() -> None:
        _remind(
            member,
            f"Reminder: {summit.name} starts {format_instant(due.starts_at, summit.zone, 'date')}",
            "summit",
            invitation(registration_event(registration, summit), member, REQUEST),
            opening=due.starts_at,
            days=programme(summit, member.id),
            **_summit_context(summit),
        )

    return compose


def _agenda_item(due: Due, member: Member) -> Composer | None:
    item = db.session.get(AgendaItem, due.thing_id)
    if (
        item is None
        or item.is_cancelled
        or item.starts_at != due.starts_at
        or _confirmed_registration(item.summit_id, member.id) is None
        or not db.session.scalar(
            select(
                exists().where(
                    AgendaPick.agenda_item_id == item.id, AgendaPick.member_id == member.id
                )
            )
        )
    ):
        return None
    summit = item.summit

    def compose() -> None:
        _remind(
            member,
            f"Reminder: {item.title}, {format_instant(item.starts_at, summit.zone, 'short')}",
            "agenda_item",
            invitation(agenda_item_event(item, summit), member, REQUEST),
            item=item,
            **_summit_context(summit),
        )

    return compose


def _social_session(due: Due, member: Member) -> Composer | None:
    session = db.session.get(SocialSession, due.thing_id)
    if (
        session is None
        or session.is_cancelled
        or session.starts_at != due.starts_at
        or _confirmed_registration(session.summit_id, member.id) is None
        or not db.session.scalar(
            select(
                exists().where(
                    SessionSignup.session_id == session.id,
                    SessionSignup.member_id == member.id,
                    SessionSignup.status == SignupStatus.SIGNED_UP,
                )
            )
        )
    ):
        return None
    summit = session.summit

    def compose() -> None:
        _remind(
            member,
            f"Reminder: {session.title}, {format_instant(session.starts_at, summit.zone, 'short')}",
            "social_session",
            invitation(social_session_event(session, summit), member, REQUEST),
            session=session,
            **_summit_context(summit),
        )

    return compose


def _session_slot(due: Due, member: Member) -> Composer | None:
    row = db.session.execute(
        select(SeatAssignment, SessionTable, SessionSlot)
        .join(SessionTable, SessionTable.id == SeatAssignment.table_id)
        .join(SessionSlot, SessionSlot.id == SeatAssignment.slot_id)
        .where(SeatAssignment.slot_id == due.thing_id, SeatAssignment.member_id == member.id)
    ).first()
    if row is None:
        return None
    seat, table, slot = row
    session = slot.session
    absent = db.session.scalar(
        select(exists().where(SlotAbsence.slot_id == slot.id, SlotAbsence.member_id == member.id))
    )
    if (
        absent
        or not session.is_published
        or session.is_cancelled
        or slot.starts_at != due.starts_at
        or _confirmed_registration(session.summit_id, member.id) is None
    ):
        return None
    summit = session.summit
    mates = db.session.scalars(
        select(Member)
        .join(SeatAssignment, SeatAssignment.member_id == Member.id)
        .where(SeatAssignment.table_id == table.id, Member.id != member.id)
        .order_by(Member.name, Member.id)
    ).all()

    def compose() -> None:
        _remind(
            member,
            f"Reminder: {session.title}, {slot.label} ({table.label})",
            "session_slot",
            invitation(slot_event(slot, session, summit, table=table, seat=seat), member, REQUEST),
            session=session,
            slot=slot,
            table=table,
            mates=mates,
            **_summit_context(summit),
        )

    return compose


def _visit(due: Due, member: Member) -> Composer | None:
    from convene.calendar.visit_events import visit_event, visit_link
    from convene.visits.models import Visit, VisitStatus

    visit = db.session.get(Visit, due.thing_id)
    if (
        visit is None
        or visit.status != VisitStatus.APPROVED
        or visit_opening(visit) != due.starts_at
        or not any(p.member_id == member.id for p in visit.participants)
    ):
        return None

    def compose() -> None:
        _remind(
            member,
            f"Reminder: {visit.title}, {visit.starts_on:%a %-d %b}",
            "visit",
            invitation(visit_event(visit), member, REQUEST),
            visit=visit,
            opening=due.starts_at,
            link=visit_link(visit.id),
        )

    return compose


COMPOSERS: dict[ReminderKind, Callable[[Due, Member], Composer | None]] = {
    ReminderKind.CALL: _call,
    ReminderKind.SUMMIT: _summit,
    ReminderKind.AGENDA_ITEM: _agenda_item,
    ReminderKind.SOCIAL_SESSION: _social_session,
    ReminderKind.SESSION_SLOT: _session_slot,
    ReminderKind.VISIT: _visit,
}


# --- the summit programme in the summit reminder -----------------------------------------------


@dataclass(frozen=True)
class ProgrammeEntry:
    starts_at: datetime
    title: str
    place: str | None
    note: str | None = None


def programme(summit: Summit, member_id: int) -> list[tuple[str, list[ProgrammeEntry]]]:
    """A member's summit, day by day in venue time: plenaries, their picks, their open
    social sessions and their published tables (a fixed number of queries)."""
    entries: list[ProgrammeEntry] = []
    picked = select(AgendaPick.agenda_item_id).where(AgendaPick.member_id == member_id)
    for item in db.session.scalars(
        select(AgendaItem).where(
            AgendaItem.summit_id == summit.id,
            AgendaItem.is_cancelled.is_(False),
            (AgendaItem.kind == AgendaKind.PLENARY) | AgendaItem.id.in_(picked),
        )
    ):
        entries.append(ProgrammeEntry(item.starts_at, item.title, item.room))
    for session in db.session.scalars(
        select(SocialSession)
        .join(SessionSignup, SessionSignup.session_id == SocialSession.id)
        .where(
            SocialSession.summit_id == summit.id,
            SocialSession.is_cancelled.is_(False),
            SocialSession.starts_at.is_not(None),
            SessionSignup.member_id == member_id,
            SessionSignup.status == SignupStatus.SIGNED_UP,
        )
    ):
        entries.append(ProgrammeEntry(session.starts_at, session.title, session.place))
    absent = select(SlotAbsence.slot_id).where(SlotAbsence.member_id == member_id)
    for slot, table, session in db.session.execute(
        select(SessionSlot, SessionTable, SocialSession)
        .join(SeatAssignment, SeatAssignment.slot_id == SessionSlot.id)
        .join(SessionTable, SessionTable.id == SeatAssignment.table_id)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .where(
            and_(
                SocialSession.summit_id == summit.id,
                SocialSession.is_published.is_(True),
                SocialSession.is_cancelled.is_(False),
                SeatAssignment.member_id == member_id,
                SessionSlot.id.not_in(absent),
            )
        )
    ):
        entries.append(
            ProgrammeEntry(
                slot.starts_at,
                f"{session.title}: {slot.label}",
                slot.where,
                note=f"your table: {table.name}",
            )
        )
    days: dict[str, list[ProgrammeEntry]] = defaultdict(list)
    for entry in sorted(entries, key=lambda e: (e.starts_at, e.title)):
        days[format_instant(entry.starts_at, summit.zone, "date")].append(entry)
    return list(days.items())
