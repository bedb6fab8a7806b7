"""Invitations: iTIP REQUEST and CANCEL (RFC 5546) with the feeds' UID and SEQUENCE, a
CANCEL for one person above the REQUEST they hold, and a REQUEST after it above that."""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import select

from convene.accounts.models import Member
from convene.calendar.events import FeedEvent
from convene.calendar.invitations import (
    CANCEL,
    DECLINED,
    OFF_IT,
    REQUEST,
    _fingerprint,
    call_event,
    call_invitation,
    invitation,
    next_sequence,
)
from convene.calendar.models import InvitationSequence, ItipMethod
from convene.calendar.summit_events import registration_event
from convene.convenings.rescheduling import cancel_call
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.summit import registration as registrations
from tests.calendar.conftest import calendar_part, cancel, icaljs, parse_all


def _send(member, call_id, attachment, deliver_mail):
    queue_email(
        member.email, "Your call", "calendar/invitation", attachments=[attachment],
        member=member, event=call_event(call_id), zone="America/Chicago",
    )  # fmt: skip
    db.session.commit()
    (message,) = deliver_mail()
    return message


def _event(attachment):
    (event,) = Calendar.from_ical(attachment.data).events
    return event


def test_request_then_update_then_cancel(make_call, make_member, deliver_mail, client):
    member = make_member(name="Ana Díaz")
    call = make_call(title="Budgets")
    message = _send(member, call.id, call_invitation(call, member), deliver_mail)
    part = calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    data = part.get_payload(decode=True)
    calendar = Calendar.from_ical(data)
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.events
    assert str(event["ORGANIZER"]) == "mailto:convene@localhost"
    assert event["ORGANIZER"].params["CN"] == "What Works Cities"
    assert str(event["ATTENDEE"]) == f"mailto:{member.email}"
    assert dict(event["ATTENDEE"].params) == {
        "CN": "Ana Díaz",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "ACCEPTED",
        "RSVP": "FALSE",
    }
    (seen,) = parse_all(data)
    (in_feed,) = parse_all(client.get("/calendar/public.ics").data)
    assert (seen["uid"], seen["sequence"]) == (in_feed["uid"], in_feed["sequence"])
    assert icaljs(data)["method"] == "REQUEST"

    call.starts_at += timedelta(days=1)
    call.bump_revision()
    moved = call_invitation(call, member)
    db.session.rollback()  # the move, and the memory of its invitation, are undone
    (update,) = parse_all(moved.data)
    assert update["uid"] == seen["uid"] and update["sequence"] == seen["sequence"] + 1
    assert moved.content_type == "text/calendar; charset=utf-8; method=REQUEST"

    call = db.session.merge(call)
    cancel(call)
    cancelled = call_invitation(call, member)
    assert cancelled.content_type == "text/calendar; charset=utf-8; method=CANCEL"
    assert Calendar.from_ical(cancelled.data)["METHOD"] == "CANCEL"
    (gone,) = parse_all(cancelled.data)
    assert gone["status"] == "CANCELLED" and gone["sequence"] == seen["sequence"] + 1


def test_a_no_after_a_yes_is_a_cancel_above_the_request_and_a_yes_again_goes_above_it(
    make_call, make_member, deliver_mail, client
):
    call = make_call(title="Budgets")
    member = make_member()
    answer_rsvp(call, member, "yes")
    db.session.commit()
    (yes,) = parse_all(calendar_part(deliver_mail()[0]).get_payload(decode=True))
    assert yes["sequence"] == 0

    answer_rsvp(call, member, "no")
    db.session.commit()
    data = calendar_part(deliver_mail()[0]).get_payload(decode=True)
    (event,) = Calendar.from_ical(data).events
    assert Calendar.from_ical(data)["METHOD"] == "CANCEL"
    assert event["SEQUENCE"] == 1
    assert "STATUS" not in event  # RFC 5546 3.2.5: none when one attendee is taken off
    assert str(event["COMMENT"]) == OFF_IT
    assert str(event["DESCRIPTION"]).startswith(OFF_IT)
    assert event["ATTENDEE"].params["PARTSTAT"] == DECLINED
    assert "RSVP" not in event["ATTENDEE"].params
    parsed = vobject.readOne(data.decode())
    assert parsed.method.value == "CANCEL" and not hasattr(parsed.vevent, "status")

    answer_rsvp(call, member, "yes")
    db.session.commit()
    (again,) = parse_all(calendar_part(deliver_mail()[0]).get_payload(decode=True))
    assert (again["sequence"], again["status"]) == (2, "CONFIRMED")

    # The feeds still say 0; this member's copy runs 2 ahead, and moves with the feeds.
    (in_feed,) = parse_all(client.get("/calendar/public.ics").data)
    assert in_feed["sequence"] == 0
    call.starts_at += timedelta(days=1)
    call.bump_revision()
    moved = invitation(call_event(call.id), member)
    assert _event(moved)["SEQUENCE"] == 3
    other = make_member()
    assert _event(invitation(call_event(call.id), other))["SEQUENCE"] == 1  # the feeds'


def test_cancelling_the_event_says_cancelled_to_everyone_who_had_it(
    make_call, make_member, deliver_mail
):
    call = make_call(title="Budgets")
    people = [make_member() for _ in range(3)]
    for person in people:
        answer_rsvp(call, person, "yes")
    db.session.commit()
    deliver_mail()
    cancel_call(call, "Holiday")
    db.session.commit()
    messages = deliver_mail()
    assert sorted(m["To"] for m in messages) == sorted(p.email for p in people)
    for message in messages:
        data = calendar_part(message).get_payload(decode=True)
        (event,) = Calendar.from_ical(data).events
        assert (Calendar.from_ical(data)["METHOD"], event["STATUS"]) == ("CANCEL", "CANCELLED")
        assert event["SEQUENCE"] == 1


def test_a_place_passed_on_cancels_it_for_the_previous_delegate_without_saying_confirmed(
    make_member, make_org, make_summit, deliver_mail
):
    city = make_org("city")
    first, second = make_member(organisation=city), make_member(organisation=city)
    summit = make_summit()
    registration = registrations.register(summit, first)
    db.session.commit()
    (confirmed,) = deliver_mail()
    (held,) = parse_all(calendar_part(confirmed).get_payload(decode=True))

    registrations.substitute(registration, second)
    db.session.commit()
    mails = {m["To"]: calendar_part(m).get_payload(decode=True) for m in deliver_mail()}
    (gone,) = Calendar.from_ical(mails[first.email]).events
    assert Calendar.from_ical(mails[first.email])["METHOD"] == "CANCEL"
    assert gone["UID"] == held["uid"] and gone["SEQUENCE"] > held["sequence"]
    assert "STATUS" not in gone
    assert b"confirmed" not in mails[first.email].lower()
    assert "PARTSTAT" not in gone["ATTENDEE"].params
    assert str(gone["ATTENDEE"]) == f"mailto:{first.email}"
    (new,) = Calendar.from_ical(mails[second.email]).events
    assert Calendar.from_ical(mails[second.email])["METHOD"] == "REQUEST"
    assert new["UID"] == held["uid"] and str(new["STATUS"]) == "CONFIRMED"
    assert "Your place is confirmed." in str(new["DESCRIPTION"])


def test_other_content_at_the_same_sequence_goes_higher(make_call, make_member):
    """A calendar ignores an update whose SEQUENCE it already holds: another table name,
    say, without a change the feeds count, still goes one higher for that member."""
    call = make_call(title="Dinner")
    member = make_member()
    event = call_event(call.id)
    assert _event(invitation(event, member))["SEQUENCE"] == 0
    assert _event(invitation(event, member, partstat="TENTATIVE"))["SEQUENCE"] == 0  # same
    renamed = replace(event, summary="Dinner (table 2)")
    assert _event(invitation(renamed, member))["SEQUENCE"] == 1
    assert _event(invitation(replace(event, sequence=1), member))["SEQUENCE"] == 2


def test_next_sequence_rules():
    def sent(method, sequence, offset, event):
        return InvitationSequence(
            method=ItipMethod(method),
            sequence=sequence,
            sequence_offset=offset,
            fingerprint=_fingerprint(event),
        )

    start = datetime(2027, 4, 12, 13, tzinfo=UTC)
    event = FeedEvent(
        uid="call-1@convene",
        sequence=3,
        summary="Call",
        last_modified=start,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    cancelled = replace(event, is_cancelled=True, sequence=4)
    assert next_sequence(None, event, REQUEST) == 3
    assert next_sequence(None, event, CANCEL) == 4  # above the REQUEST sent before memory
    assert next_sequence(None, cancelled, CANCEL) == 4
    assert next_sequence(sent(REQUEST, 3, 0, event), event, REQUEST) == 3
    assert next_sequence(sent(REQUEST, 3, 0, event), event, CANCEL) == 4
    assert next_sequence(sent(CANCEL, 4, 1, event), event, REQUEST) == 5
    assert next_sequence(sent(CANCEL, 4, 1, event), event, CANCEL) == 4
    assert next_sequence(sent(REQUEST, 3, 0, event), cancelled, CANCEL) == 4
    assert next_sequence(sent(REQUEST, 5, 2, event), replace(event, sequence=4), REQUEST) == 6
    assert next_sequence(sent(REQUEST, 9, 0, event), replace(event, sequence=1), REQUEST) == 9


def test_the_organizer_is_the_configured_programme_mailbox(app, make_call, make_member):
    call = make_call()
    member = make_member()
    assert str(_event(call_invitation(call, member))["ORGANIZER"]) == "mailto:convene@localhost"
    app.config["ORGANIZER_EMAIL"] = "programme@example.org"
    assert str(_event(call_invitation(call, member))["ORGANIZER"]) == (
        "mailto:programme@example.org"
    )


def test_no_invitation_without_real_addresses(app, make_call, make_member, caplog):
    call = make_call()
    member = make_member()
    member.email = "not an address"
    assert call_invitation(call, member) is None
    member.email = "ana@example.org"
    app.config["ORGANIZER_EMAIL"] = "nobody"
    assert call_invitation(call, member) is None
    assert "left out" in caplog.text
    db.session.rollback()
    assert db.session.scalars(select(InvitationSequence)).all() == []


def test_registration_event_is_remembered_per_member(make_member, make_summit):
    member = make_member()
    summit = make_summit()
    registration = registrations.register(summit, member)
    db.session.commit()
    row = db.session.scalars(
        select(InvitationSequence).where(InvitationSequence.member_id == member.id)
    ).one()
    event = registration_event(registration, summit)
    assert (row.uid, row.method, row.sequence) == (event.uid, ItipMethod.REQUEST, event.sequence)


@pytest.mark.postgres_only
def test_parallel_first_invitations_to_one_member_take_turns(app, make_call, make_member):
    call = make_call()
    member = make_member()
    event = call_event(call.id)
    db.session.commit()
    barrier = threading.Barrier(6)
    crashed, sequences, lock = [], [], threading.Lock()

    def send(method):
        with app.app_context():
            try:
                person = db.session.get(Member, member.id)
                barrier.wait(timeout=10)
                attachment = invitation(event, person, method=method)
                db.session.commit()
                with lock:
                    sequences.append(_event(attachment)["SEQUENCE"])
            except Exception as exc:  # recorded: the test fails on any crash
                crashed.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(REQUEST,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert crashed == [] and len(sequences) == 6
    (row,) = db.session.scalars(select(InvitationSequence)).all()
    assert row.sequence == 0 and sequences == [0] * 6


def test_a_honolulu_attendee_reads_a_chicago_dinner_at_chicago_time_first(
    make_member, make_org, make_summit, make_registration, make_session, deliver_mail
):
    """The finding: a 19:00 dinner in Chicago was given as "14:00 HST", with no Chicago time."""
    from convene.summit import seating
    from tests.conftest import body_of

    summit = make_summit(address="151 East Wacker Drive, Chicago, IL 60601", zone="America/Chicago")
    guest = make_member(organisation=make_org("city", zone="Pacific/Honolulu"))
    local = make_member(organisation=make_org("city", zone="America/Chicago"))
    for person in (guest, local):
        make_registration(summit, person)
    dinner = make_session(summit, kind="assigned", title="Dinners")
    seating.add_slot(
        dinner, "Night 1", datetime(2027, 4, 14, 0, tzinfo=UTC),
        datetime(2027, 4, 14, 2, tzinfo=UTC), 1, 2,
    )  # fmt: skip
    db.session.commit()
    seating.run_assignment(dinner, seed=1)
    seating.publish(dinner)
    db.session.commit()
    mails = {m["To"]: m for m in deliver_mail()}
    assert "Tue 13 Apr 2027, 19:00 CDT in Chicago, 14:00 HST for you" in body_of(mails[guest.email])
    assert "Tue 13 Apr 2027, 19:00 CDT in Chicago\r\n" in body_of(mails[local.email])
    (event,) = parse_all(calendar_part(mails[guest.email]).get_payload(decode=True))
    assert event["start"] == "2027-04-14T00:00:00Z"


def test_a_cancelled_event_is_always_a_cancel(make_call, make_member):
    call = make_call()
    member = make_member()
    cancel(call)
    attachment = invitation(call_event(call.id), member, method=REQUEST)
    assert attachment.content_type.endswith("method=CANCEL")
    assert _event(attachment)["STATUS"] == "CANCELLED"
