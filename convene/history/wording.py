"""An action in plain words, for the history on each object's page.

"Moved by Dana Host on 3 March from 12 to 19 March". Names and values come from the
record itself (what was stored when the change was made), so a line reads the same after a
partner is renamed or a call moves again. Dates are in the reader's zone; nothing here
raises on stored data (an unreadable value is left out).
"""

from datetime import date, datetime

from convene.history.actions import history_of
from convene.history.models import Action, ActionKind
from convene.text import plural
from convene.types import utcnow
from convene.zones import localize, viewer_zone_name


def _instant(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _this_year(zone: str) -> int:
    return localize(utcnow(), zone).year


def _on(instant: datetime | None, zone: str) -> str:
    """ "3 March" (with the year when it is not this year's)."""
    if instant is None:
        return ""
    day = localize(instant, zone).date()
    return f"{day:%-d %B}" if day.year == _this_year(zone) else f"{day:%-d %B %Y}"


def _span(first: date, last: date, zone: str) -> str:
    """ "12 to 19 March", "28 March to 4 April", "30 December 2026 to 2 January 2027" (the
    year only when it is not this year's)."""
    if first.year != last.year:
        return f"{first:%-d %B %Y} to {last:%-d %B %Y}"
    year = "" if last.year == _this_year(zone) else f" {last.year}"
    if first.month != last.month:
        return f"{first:%-d %B} to {last:%-d %B}{year}"
    return f"{first:%-d} to {last:%-d %B}{year}"


def _moved(before: dict, after: dict, zone: str) -> str:
    """ " from 12 to 19 March", or " from 13:00 to 15:00 EST on 12 March" on the same day."""
    was, now = _instant(before.get("starts_at")), _instant(after.get("starts_at"))
    if was is None or now is None:
        return ""
    was, now = localize(was, zone), localize(now, zone)
    if was.date() == now.date():
        return f" from {was:%H:%M} to {now:%H:%M} {now.tzname()} on {_on(now, zone)}"
    if was.time() != now.time():
        start, end = f"{_on(was, zone)}, {was:%H:%M}", f"{_on(now, zone)}, {now:%H:%M}"
        return f" from {start} to {end} {now.tzname()}"
    return f" from {_span(was.date(), now.date(), zone)}"


def _room(number) -> str | None:
    return f"Room {number}" if isinstance(number, int) else None


def _who(member, fallback: str = "someone") -> str:
    return member.name if member is not None else fallback


def describe(action: Action, zone: str) -> str:
    """One line for one action, as an admin reads it."""
    kind, before, after, details = action.kind, action.before, action.after, action.details
    by = f" by {action.actor.name}" if action.actor is not None else ""
    if action.actor is not None and action.actor is action.member:
        by = ""  # "Dana left the tour", not "Dana left the tour by Dana"
    on = f" on {_on(action.happened_at, zone)}"
    person = _who(action.member)
    K = ActionKind
    if kind == K.CALL_MOVED:
        how = " with the series" if details.get("with_series") else ""
        return f"Moved{how}{by}{on}{_moved(before, after, zone)}"
    if kind == K.CALL_CANCELLED:
        reason = f": {after['reason']}" if after.get("reason") else ""
        return f"Cancelled{by}{on}{reason}"
    if kind == K.CALL_REINSTATED:
        return f"Brought back{by}{on}"
    if kind in (K.CALL_HOST_REASSIGNED, K.CALL_HOST_SWAPPED):
        how = "Given" if kind == K.CALL_HOST_REASSIGNED else "Swapped"
        return f"{how} to {after.get('host')}{by}{on} (was {before.get('host')})"
    if kind == K.CALL_AGENDA_SET:
        retitled = before.get("title") != after.get("title")
        what = f"Retitled “{after.get('title') or 'untitled'}”" if retitled else "Agenda set"
        return f"{what}{by}{on}"
    if kind == K.CALL_HELD:
        return f"Held; record written{by}{on} ({details.get('attended', 0)} attended)"
    if kind == K.RSVP_COMING:
        return f"{person} answered {after.get('answer')}{on}"
    if kind == K.RSVP_DECLINED:
        return f"{person} answered no{on}"
    if kind == K.SWAP_REQUESTED:
        return f"Swap asked{by}{on}"
    if kind == K.SWAP_ANSWERED:
        return f"Swap {details.get('verb')}{by}{on}"
    if kind == K.TOPIC_SCHEDULED:
        return f"Topic “{after.get('call_title')}” chosen{by}{on}"
    if kind == K.TOPIC_UNSCHEDULED:
        instead = f", for “{details['replaced_by']}”" if details.get("replaced_by") else ""
        return f"Topic “{before.get('call_title')}” taken off the call{by}{on}{instead}"
    if kind == K.TOPIC_DECLINED:
        return f"Declined{by}{on}: {after.get('reason')}"
    if kind == K.TOPIC_MERGED:
        return f"Merged into “{after.get('merged_into')}”{by}{on}"
    if kind == K.TOPIC_HELD:
        return f"Held on its call; record written{by}{on}"
    if kind == K.REGISTRATION_CONFIRMED:
        return f"{person} registered and confirmed{by}{on}"
    if kind == K.REGISTRATION_WAITLISTED:
        return f"{person} registered on the waitlist{by}{on}"
    if kind == K.REGISTRATION_PROMOTED:
        if not details.get("by_hand"):
            return f"{person} promoted from the waitlist{on}"
        was = f", from place {details['position']}" if details.get("position") else ""
        over = ", over capacity" if details.get("over_capacity") else ""
        return f"{person} promoted from the waitlist{by}{on}{was}{over}: {details.get('reason')}"
    if kind == K.REGISTRATION_MOVED:
        places = f" from place {before.get('position')} to {after.get('position')}"
        return f"{person} moved on the waitlist{places}{by}{on}: {details.get('reason')}"
    if kind == K.REGISTRATION_REMOVED:
        told = "" if details.get("reason_told") else " (reason not told to them)"
        return f"{person} taken off the waitlist{by}{on}: {details.get('reason')}{told}"
    if kind == K.REGISTRATION_CANCELLED:
        return f"{person}'s registration cancelled{by}{on}"
    if kind == K.REGISTRATION_SUBSTITUTED:
        giver = before.get("member") or _who(action.former_member)
        taker = after.get("member") or person
        actor = action.actor
        if actor is not None and actor is action.former_member:
            return f"Place given by {giver} to {taker}{on}"
        return f"Place of {giver} given to {taker}{by}{on}"
    title = action.social_session.title if action.social_session is not None else "a session"
    if kind == K.SESSION_PLACE_GAINED:
        return f"{person} took a place at {title}{on}"
    if kind == K.SESSION_PROMOTED:
        return f"{person} given a freed place at {title}{on}"
    if kind == K.SESSION_PLACE_LOST:
        return f"{person} left {title}{by}{on}"
    if kind == K.SESSION_WAITLISTED:
        return f"{person} on the waitlist for {title}{on}"
    if kind == K.SESSION_WAITLIST_LEFT:
        return f"{person} left the waitlist for {title}{on}"
    if kind == K.SEATING_PUBLISHED:
        return f"Seating of {title} published{by}{on} ({details.get('seated', 0)} seated)"
    if kind == K.SEAT_MOVED:
        was = f" from {before['table']}" if before.get("table") else ""
        return f"{person} moved{was} to {after.get('table')} ({details.get('slot')}){by}{on}"
    if kind == K.SEAT_LOST:
        return f"{person}'s seat at {title} freed{by}{on}"
    if kind == K.SUMMIT_CHANGED:
        changes = []
        days = [_day(v.get(k)) for v in (before, after) for k in ("starts_on", "ends_on")]
        if days[:2] != days[2:] and None not in days:
            was, now = _span(*days[:2], zone), _span(*days[2:], zone)
            changes.append(f"dates {was} → {now}")
        places = [(v.get("venue"), v.get("address")) for v in (before, after)]
        if places[0] != places[1]:
            changes.append(f"venue {before.get('venue')} → {after.get('venue')}")
        return f"Changed{by}{on}: " + "; ".join(changes) if changes else f"Changed{by}{on}"
    item = after.get("title") or "An agenda item"
    if kind == K.AGENDA_ITEM_MOVED:
        return f"{item} changed{by}{on}{_moved(before, after, zone)}"
    if kind == K.AGENDA_ITEM_CANCELLED:
        return f"{item} cancelled{by}{on}"
    if kind == K.PASSWORD_CHANGED:
        return f"{person} changed their password{on}"
    if kind == K.EMAIL_CHANGE_ASKED:
        return f"{person} asked to change their email address to {after.get('email')}{on}"
    if kind == K.EMAIL_CHANGED:
        was, now = before.get("email"), after.get("email")
        return f"{person}'s email address changed from {was} to {now}{on}"
    if kind == K.CHAMPION_HANDED_OVER:
        was = f" from {before['champion']}" if before.get("champion") else ""
        where = f" of {details['organisation']}" if details.get("organisation") else ""
        return f"Champion role{where} handed{was} to {after.get('champion')}{by}{on}"
    if kind == K.BREAKOUTS_PLANNED:
        rooms, people = details.get("rooms"), details.get("people")
        if not isinstance(rooms, int):
            return f"Breakout rooms planned{by}{on}"
        people = people if isinstance(people, int) else 0
        return f"Breakout rooms planned{by}{on}: {plural(rooms, 'room')} for " + plural(
            people, "person", "people"
        )
    if kind == K.BREAKOUT_ROOM_CHANGED:
        was, now = _room(before.get("room")), _room(after.get("room"))
        if now is None:
            return f"{person} taken out of {was or 'their breakout room'}{by}{on}"
        moved = f" from {was}" if was else ""
        return f"{person} moved{moved} to {now}{by}{on}"
    if kind.value.startswith("visit."):
        return _visit_line(action, by, on, zone)
    if kind.value.startswith("application."):
        return _application_line(action, by, on, zone)
    return f"{kind.value}{by}{on}"  # a kind with no wording yet still shows


_LETTERS = {"accept": "accepting", "decline": "declining", "hold": "putting it on hold"}


def _application_line(action: Action, by: str, on: str, zone: str) -> str:
    """A city application's step; the applicant is named by the city, never by a person."""
    kind, before, after, details = action.kind, action.before, action.after, action.details
    K = ActionKind
    if kind == K.APPLICATION_SUBMITTED:
        return f"Submitted{on}"
    if kind == K.APPLICATION_UNDER_REVIEW:
        return f"Under review{by}{on}"
    if kind == K.REVIEWER_ASSIGNED:
        count = len(details.get("applications") or ()) or 1
        what = "" if count == 1 else f" {count} applications"
        return f"{_who(action.member, 'A reviewer')} asked to review{what}{by}{on}"
    meeting = _instant(after.get("starts_at"))
    when = f" for {_on(meeting, zone)}, {localize(meeting, zone):%H:%M %Z}" if meeting else ""
    if kind == K.MEETING_SCHEDULED:
        return f"Meeting with its leadership scheduled{by}{on}{when}"
    if kind == K.MEETING_MOVED:
        return f"Meeting with its leadership moved{by}{on}{_moved(before, after, zone)}"
    if kind == K.MEETING_CANCELLED:
        return f"Meeting with its leadership cancelled{by}{on}"
    if kind == K.LETTER_SENT:
        letter = _LETTERS.get(after.get("outcome"), "of decision")
        subject = f": “{after['subject']}”" if after.get("subject") else ""
        return f"Letter {letter} sent{by}{on}{subject}"
    if kind == K.APPLICATION_ACCEPTED:
        city = f" as {after['organisation']}" if after.get("organisation") else ""
        if details.get("champion_existing"):
            champion = f"; {details['champion_existing']} already had an account"
        elif details.get("champion"):
            champion = f"; {details['champion']} invited as champion"
        else:
            champion = ""
        return f"Joined the network{city}{by}{on}{champion}"
    return f"{kind.value}{by}{on}"


def _visit_line(action: Action, by: str, on: str, zone: str) -> str:
    """A peer visit's change: dates are calendar days (no zone), told as a span."""
    kind, before, after, details = action.kind, action.before, action.after, action.details
    K = ActionKind
    reason = f": {details['reason']}" if details.get("reason") else ""
    days = [_day(v.get(k)) for v in (before, after) for k in ("starts_on", "ends_on")]
    span = f" for {_span(*days[2:], zone)}" if None not in days[2:] else ""
    if kind == K.VISIT_REQUESTED:
        host = f" of {after['host']}" if after.get("host") else ""
        return f"Visit{host} asked for{by}{on}{span}"
    if kind == K.VISIT_ACCEPTED:
        return f"Accepted{by}{on}"
    if kind == K.VISIT_DECLINED:
        return f"Declined{by}{on}{reason}"
    if kind == K.VISIT_DATES_PROPOSED:
        return f"Other dates proposed{by}{on}{span}{reason}"
    if kind == K.VISIT_APPROVED:
        return f"Approved{by}{on}"
    if kind == K.VISIT_MOVED:
        was = f" from {_span(*days[:2], zone)}" if None not in days[:2] else ""
        now = f" to {_span(*days[2:], zone)}" if None not in days[2:] else ""
        return f"Moved{by}{on}{was}{now}"
    if kind == K.VISIT_CANCELLED:
        return f"Cancelled{by}{on}{reason}"
    if kind == K.VISIT_REINSTATED:
        return f"Brought back{by}{on}"
    if kind == K.VISIT_HELD:
        return f"Marked as held{by}{on}"
    if kind == K.VISIT_REPORTED:
        city = f" of {details['organisation']}" if details.get("organisation") else ""
        return f"Report{city} published{by}{on}"
    if kind == K.VISIT_ITINERARY_CHANGED:
        item = f" ({after.get('title') or before.get('title')})" if after or before else ""
        return f"Itinerary changed{item}{by}{on}"
    if kind == K.VISIT_PERSON_NAMED:
        side = " as a host" if after.get("side") == "host" else " as a visitor"
        return f"{after.get('name') or 'Someone'} named{side}{by}{on}"
    if kind == K.VISIT_PERSON_REMOVED:
        return f"{before.get('name') or 'Someone'} taken off the visit{by}{on}"
    return f"{kind.value}{by}{on}"


def history_lines(**subject) -> list[tuple[Action, str]]:
    """The history of one object for the page in hand, in the viewer's zone, newest first:
    `history_lines(call_id=3)` (a template global)."""
    zone = viewer_zone_name()
    return [(action, describe(action, zone)) for action in history_of(**subject)]
