"""Email invitations: the event as an iTIP .ics attachment (RFC 5546), with the same UID and
SEQUENCE as the feeds, so the invitation and the subscription describe one event.

REQUEST adds or updates the event in the recipient's calendar (a higher SEQUENCE replaces
the older version); CANCEL removes it. An invitation that cannot be built is left out of
its mail (and logged): the mail still goes, and the change that caused it still commits.
"""

import logging
from email.utils import parseaddr

from flask import current_app
from icalendar import vCalAddress

from convene.accounts.models import Member
from convene.calendar.events import FeedEvent
from convene.calendar.feeds import event_file
from convene.calendar.normalise import single_line, uri
from convene.calendar.sources import FeedKind, FeedScope, events_for
from convene.notifications.outbox import Attachment
from convene.types import utcnow

log = logging.getLogger(__name__)

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def _common_name(name) -> str:
    """A name as a CN parameter: it cannot hold a double quote (RFC 5545 3.1), and parsers
    disagree on backslashes and carets (RFC 6868) in parameters, so those go too."""
    return single_line(str(name or "").replace('"', "'").translate(_PARAMETER_JUNK), limit=200)


_PARAMETER_JUNK = str.maketrans({"\\": " ", "^": " "})


def _organizer() -> vCalAddress:
    name, address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    organizer = vCalAddress(f"mailto:{uri(address) or ''}")
    common_name = _common_name(name or current_app.config["PROGRAMME_NAME"])
    if common_name:
        organizer.params["CN"] = common_name
    return organizer


ACCEPTED = "ACCEPTED"
TENTATIVE = "TENTATIVE"


def _attendee(member: Member, partstat: str) -> vCalAddress:
    attendee = vCalAddress(f"mailto:{uri(member.email) or ''}")
    common_name = _common_name(member.name)
    if common_name:
        attendee.params["CN"] = common_name
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["PARTSTAT"] = partstat
    attendee.params["RSVP"] = "FALSE"  # they answer on the site, not by calendar reply
    return attendee


def invitation_bytes(
    event: FeedEvent, member: Member, method: str, partstat: str = ACCEPTED
) -> bytes:
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported iTIP method {method!r}")
    calendar = event_file(event, uid=f"invitation-{event.uid}", method=method, stamp=utcnow())
    if not calendar.events:
        raise ValueError(f"{event.uid} cannot be written")
    component = calendar.events[0]
    component.add("organizer", _organizer())
    component.add("attendee", _attendee(member, partstat))
    return calendar.to_ical()


def invitation(
    event: FeedEvent | None, member: Member, method: str | None = None, partstat: str = ACCEPTED
) -> Attachment | None:
    """The attachment for one event; a cancelled event gets METHOD:CANCEL by default.

    None when there is no event or it cannot be written (logged); queue_email sends the
    mail without it.
    """
    if event is None:
        return None
    method = method or (CANCEL if event.is_cancelled else REQUEST)
    filename = "cancel.ics" if method == CANCEL else "invite.ics"
    try:
        data = invitation_bytes(event, member, method, partstat)
    except Exception:
        log.exception("calendar: invitation for %s to member %s left out", event.uid, member.id)
        return None
    return Attachment(
        filename=filename,
        content_type=f"text/calendar; method={method}; charset=utf-8",
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

    Reads the call as feeds do (pending changes are flushed first), so the attachment
    carries its new time and SEQUENCE. For many recipients, build the event once with
    `call_event` and call `invitation` per member.
    """
    return invitation(call_event(call.id, with_join_details=True), member, partstat=partstat)
