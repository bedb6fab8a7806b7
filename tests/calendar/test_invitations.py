"""Invitations: METHOD:REQUEST and CANCEL attachments that match the feeds' UID and SEQUENCE."""

from datetime import timedelta

from icalendar import Calendar

from convene.calendar.invitations import call_event, call_invitation
from convene.extensions import db
from convene.notifications.outbox import queue_email
from tests.calendar.conftest import cancel, icaljs, parse_all


def _send(member, call_id, attachment, deliver_mail):
    queue_email(
        member.email, "Your call", "calendar/invitation", attachments=[attachment],
        member=member, event=call_event(call_id), zone="America/Chicago",
    )  # fmt: skip
    db.session.commit()
    (message,) = deliver_mail()
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return part


def test_request_then_update_then_cancel(make_call, make_member, deliver_mail, client):
    member = make_member(name="Ana Díaz")
    call = make_call(title="Budgets")
    part = _send(member, call.id, call_invitation(call, member), deliver_mail)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    data = part.get_payload(decode=True)
    calendar = Calendar.from_ical(data)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.events
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert str(event["ATTENDEE"]) == f"mailto:{member.email}"
    assert event["ATTENDEE"].params["CN"] == "Ana Díaz"
    (seen,) = parse_all(data)
    (in_feed,) = parse_all(client.get("/calendar/public.ics").data)
    assert (seen["uid"], seen["sequence"]) == (in_feed["uid"], in_feed["sequence"])
    assert icaljs(data)["method"] == "REQUEST"

    call.starts_at += timedelta(days=1)
    call.bump_revision()
    moved = call_invitation(call, member)
    db.session.rollback()
    (update,) = parse_all(moved.data)
    assert update["uid"] == seen["uid"] and update["sequence"] == seen["sequence"] + 1
    assert moved.content_type == "text/calendar; method=REQUEST; charset=utf-8"

    call = db.session.merge(call)
    cancel(call)
    cancelled = call_invitation(call, member)
    assert cancelled.content_type == "text/calendar; method=CANCEL; charset=utf-8"
    assert Calendar.from_ical(cancelled.data)["METHOD"] == "CANCEL"
    (gone,) = parse_all(cancelled.data)
    assert gone["status"] == "CANCELLED" and gone["sequence"] == seen["sequence"] + 1
