"""Email invitations: one event per message, as iTIP (RFC 5546) over email (RFC 6047), with
the UID and SEQUENCE the feeds use, so the invitation and the subscription describe one event.

REQUEST adds or updates the event in the recipient's calendar; CANCEL removes it, in one of
two ways (RFC 5546 3.2.5):

- the event is cancelled for everyone: STATUS:CANCELLED;
- one person is off it (a "no" after a "yes", leaving a session, losing a seat, passing a
  place on): no STATUS at all (the RFC forbids one when uninviting an attendee), a text
  that says they are off it, and never the event's "confirmed" wording.

A calendar ignores a message whose SEQUENCE is below the copy it holds, and removing one
person changes nothing the feeds show, so each member's last SEQUENCE per event is kept
(`InvitationSequence`): a CANCEL goes above the REQUEST they hold, a REQUEST after it above
the CANCEL. Everyone else gets exactly the feeds' SEQUENCE.

An invitation that cannot be built is left out of its mail (and logged): the mail still
goes, and the change that caused it still commits.
"""

import hashlib
import logging
from dataclasses import replace
from email.utils import parseaddr

from flask import current_app
from icalendar import vCalAddress
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from convene.accounts.models import Member
from convene.calendar.events import FeedEvent
from convene.calendar.feeds import event_file
from convene.calendar.models import InvitationSequence, ItipMethod
from convene.calendar.normalise import single_line, uri
from convene.calendar.sources import FeedKind, FeedScope, events_for
from convene.extensions import db
from convene.notifications.outbox import Attachment, address_problem, mail_address
from convene.types import utcnow

log = logging.getLogger(__name__)

REQUEST = ItipMethod.REQUEST.value
CANCEL = ItipMethod.CANCEL.value

ACCEPTED = "ACCEPTED"
TENTATIVE = "TENTATIVE"
DECLINED = "DECLINED"

FILENAME = "invite.ics"

# What a person taken off an event reads in it (DESCRIPTION and COMMENT).
OFF_IT = "You are no longer taking part in this, so it leaves your calendar."


def _common_name(name) -> str:
    """A name as a CN parameter: it cannot hold a double quote (RFC 5545 3.1), and parsers
    disagree on backslashes and carets (RFC 6868) in parameters, so those go too."""
    return single_line(str(name or "").replace('"', "'").translate(_PARAMETER_JUNK), limit=200)


_PARAMETER_JUNK = str.maketrans({"\\": " ", "^": " "})


def organizer_address() -> str:
    """The programme's mailbox: ORGANIZER_EMAIL, else the From address of every mail (the
    safest choice: clients trust an invitation whose organiser is its sender)."""
    configured = current_app.config.get("ORGANIZER_EMAIL")
    return mail_address(configured or parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1])


def _organizer() -> vCalAddress:
    organizer = vCalAddress(f"mailto:{uri(organizer_address()) or ''}")
    common_name = _common_name(current_app.config["PROGRAMME_NAME"])
    if common_name:
        organizer.params["CN"] = common_name
    return organizer


def _attendee(member: Member, partstat: str | None, rsvp: bool = True) -> vCalAddress:
    """The member, with their answer (`partstat`, or none) and RSVP=FALSE when `rsvp`."""
    attendee = vCalAddress(f"mailto:{uri(mail_address(member.email)) or ''}")
    common_name = _common_name(member.name)
    if common_name:
        attendee.params["CN"] = common_name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    if partstat is not None:
        attendee.params["PARTSTAT"] = partstat
    if rsvp:
        attendee.params["RSVP"] = "FALSE"  # they answer on the site, not by calendar reply
    return attendee


def removes_one_person(event: FeedEvent, method: str) -> bool:
    """A CANCEL of an event that still takes place: it takes one person off it."""
    return method == CANCEL and not event.is_cancelled


def invitation_bytes(
    event: FeedEvent,
    member: Member,
    method: str,
    partstat: str = ACCEPTED,
    sequence: int | None = None,
) -> bytes:
    """The iTIP object for one event and one member. `sequence` defaults to the feeds'
    (one more for a CANCEL that takes one person off, which must go above their REQUEST)."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    removing = removes_one_person(event, method)
    if sequence is None:
        sequence = event.sequence + (1 if removing else 0)
    written = replace(
        event,
        sequence=sequence,
        alarm_minutes=None if method == CANCEL else event.alarm_minutes,
    )
    if removing:
        details = f"\n\nDetails: {event.url}" if event.url else ""
        written = replace(written, description=OFF_IT + details)
    calendar = event_file(written, uid=f"invitation-{event.uid}", method=method, stamp=utcnow())
    if not calendar.events:
        raise ValueError(f"{event.uid} cannot be written")
    component = calendar.events[0]
    if removing:
        del component["STATUS"]  # RFC 5546 3.2.5: none when uninviting an attendee
        component.add("comment", OFF_IT)
    component.add("organizer", _organizer())
    if method == CANCEL and partstat != DECLINED:
        partstat = None  # a CANCEL says nothing accepted: the event is gone, or they are off it
    component.add("attendee", _attendee(member, partstat, rsvp=method == REQUEST))
    return calendar.to_ical()


def _fingerprint(event: FeedEvent) -> str:
    """What the recipient's copy shows, without the bookkeeping (SEQUENCE, stamps, alarm)."""
    shown = (
        event.summary,
        event.description,
        event.location,
        event.starts_at,
        event.ends_at,
        event.zone,
        event.start_date,
        event.end_date,
        event.is_cancelled,
        event.url,
        event.conference_url,
        event.categories,
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def next_sequence(previous: InvitationSequence | None, event: FeedEvent, method: str) -> int:
    """The SEQUENCE for this member's next message about `event`, given the last one.

    The feeds' SEQUENCE plus the member's offset, and never below the last one sent; above
    it when the method changes (a CANCEL after a REQUEST, a REQUEST after a CANCEL) or a
    REQUEST shows something else. Without a memory (mail sent before it was kept), a CANCEL
    that takes one person off goes one above the feeds, where their REQUEST was.
    """
    if previous is None:
        return event.sequence + (1 if removes_one_person(event, method) else 0)
    rises = method != previous.method or (
        method == REQUEST and _fingerprint(event) != previous.fingerprint
    )
    floor = previous.sequence + 1 if rises else previous.sequence
    return max(event.sequence + previous.sequence_offset, floor)


def _previous(event: FeedEvent, member: Member) -> InvitationSequence | None:
    """The member's last invitation to this event, locked: two requests for one member
    take turns, so neither sends a SEQUENCE the other has used."""
    return db.session.scalars(
        select(InvitationSequence)
        .where(InvitationSequence.member_id == member.id, InvitationSequence.uid == event.uid)
        .with_for_update()
    ).first()


def _remember(previous, event: FeedEvent, member: Member, method: str, sequence: int) -> bool:
    """Keep what was sent, in the caller's transaction (a rollback forgets it with the mail).
    False when a parallel request remembered this pair first: read it again and retry."""
    values = {
        "method": ItipMethod(method),
        "sequence": sequence,
        "fingerprint": _fingerprint(event),
        "sent_at": utcnow(),
    }
    if previous is not None:
        for name, value in values.items():
            setattr(previous, name, value)
        previous.sequence_offset = max(previous.sequence_offset, sequence - event.sequence)
        return True
    row = InvitationSequence(
        member_id=member.id,
        uid=event.uid,
        sequence_offset=max(0, sequence - event.sequence),
        **values,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def _invitation_data(event: FeedEvent, member: Member, method: str, partstat: str) -> bytes:
    if member.id is None:  # not saved yet: nothing to remember it by
        return invitation_bytes(event, member, method, partstat)
    for _attempt in range(2):
        previous = _previous(event, member)
        sequence = next_sequence(previous, event, method)
        data = invitation_bytes(event, member, method, partstat, sequence=sequence)
        if _remember(previous, event, member, method, sequence):
            return data
    raise RuntimeError(f"the invitation sequence of {event.uid} for {member.id} keeps changing")


def invitation(
    event: FeedEvent | None, member: Member, method: str | None = None, partstat: str = ACCEPTED
) -> Attachment | None:
    """The invitation for one event and one member; a cancelled event always gets
    METHOD:CANCEL (a REQUEST would put it back in calendars). The caller queues it with the
    mail in the same transaction.

    None when there is no event or it cannot be written (logged); queue_email sends the
    mail without it.
    """
    if event is None:
        return None
    method = CANCEL if event.is_cancelled else method or REQUEST
    try:
        for who, address in (("organiser", organizer_address()), ("member", member.email)):
            if (problem := address_problem(mail_address(address))) is not None:
                raise ValueError(f"no {who} address: {problem}")
        data = _invitation_data(event, member, method, partstat)
    except Exception:
        log.exception("calendar: invitation for %s to member %s left out", event.uid, member.id)
        return None
    return Attachment(
        filename=FILENAME,
        content_type=f"text/calendar; charset=utf-8; method={method}",
        data=data,
    )


def call_event(call_id: int, with_join_details: bool = True) -> FeedEvent | None:
    """One call as feeds show it (one query)."""
    events = events_for(
        FeedScope(FeedKind.CALL, call_id=call_id, with_join_details=with_join_details)
    )
    return events[0] if events else None


def call_invitation(call, member: Member, partstat: str = ACCEPTED) -> Attachment | None:
    """REQUEST for a call (after an RSVP or a move), CANCEL once it is cancelled.

    Reads the call as feeds do (pending changes are flushed first), so the invitation
    carries its new time and SEQUENCE. For many recipients, build the event once with
    `call_event` and call `invitation` per member.
    """
    return invitation(call_event(call.id, with_join_details=True), member, partstat=partstat)
