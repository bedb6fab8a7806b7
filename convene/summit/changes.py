"""What an admin's edit of the summit or of an agenda item means for the people coming.

The edit pages set the fields; these functions decide whether the edit is a change people
must hear of (new dates or venue, an item moved or cancelled) and record it as that
action, which tells them (see convene.notifications.who_hears_what).
"""

from convene.accounts.models import Member
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.summit.models import AgendaItem, Summit


def where_and_when(summit: Summit) -> dict:
    """What attendees plan travel by."""
    return {
        "starts_on": summit.starts_on,
        "ends_on": summit.ends_on,
        "venue": summit.venue,
        "address": summit.address,
    }


def summit_edited(summit: Summit, before: dict, actor: Member | None = None) -> bool:
    """Record new dates or a new venue (`before` is `where_and_when` before the edit)."""
    after = where_and_when(summit)
    if after == before:
        return False
    record_action(ActionKind.SUMMIT_CHANGED, actor, summit, before=before, after=after)
    return True


def timing(item: AgendaItem) -> dict:
    """What an attendee's calendar holds of an item."""
    return {
        "title": item.title,
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "room": item.room,
        "is_cancelled": item.is_cancelled,
    }


def agenda_item_edited(item: AgendaItem, before: dict, actor: Member | None = None) -> bool:
    """Record an item cancelled, or moved (new time, room or title, or brought back); an
    edit of an item that stays cancelled tells nobody."""
    after = timing(item)
    if after == before or (before["is_cancelled"] and item.is_cancelled):
        return False
    kind = ActionKind.AGENDA_ITEM_CANCELLED if item.is_cancelled else ActionKind.AGENDA_ITEM_MOVED
    record_action(kind, actor, item, before=before, after=after)
    return True
