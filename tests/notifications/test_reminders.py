"""Reminders before calls and summit items: what is due, what they say, and once only."""

import base64
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from convene.convenings.models import CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.notifications.cli import PeriodicJobs
from convene.notifications.models import (
    MailChoice,
    MailTopic,
    OutboxMessage,
    ReminderKind,
    SentReminder,
)
from convene.notifications.outbox import watch
from convene.notifications.preferences import set_choice
from convene.notifications.reminders import due_reminders, send_reminders, summit_opening
from convene.summit.models import (
    AgendaPick,
    SeatAssignment,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SignupStatus,
    SlotAbsence,
)
from tests.conftest import body_of

NOW = datetime.now(UTC).replace(microsecond=0)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def sent_keys() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(
            SentReminder.member_id,
            SentReminder.kind,
            SentReminder.thing_id,
            SentReminder.starts_at,
        ).order_by(SentReminder.id)
    ).all()


def invitation_of(message: OutboxMessage) -> str:
    (calendar,) = [a for a in message.attachments if a["content_type"].startswith("text/calendar")]
    assert "method=REQUEST" in calendar["content_type"]
    return base64.b64decode(calendar["data"]).decode()


def answer(call, member, value="yes") -> Rsvp:
    rsvp = Rsvp(call=call, member=member, answer=RsvpAnswer(value))
    db.session.add(rsvp)
    db.session.commit()
    return rsvp


# --- calls ----------------------------------------------------------------------------------


@pytest.fixture
def call_soon(make_call):
    """A call in 20 hours, with an agenda."""
    return make_call(
        starts_at=NOW + timedelta(hours=20),
        agenda="**Welcome**\n\n1. Data stories from Mesa\n2. Questions",
    )


def test_a_call_said_yes_to_is_reminded_with_agenda_join_details_and_invitation(
    call_soon, make_member, deliver_mail
):
    member = make_member()
    answer(call_soon, member, "yes")
    assert send_reminders(NOW) == 1
    (message,) = outbox()
    assert message.recipient == member.email
    assert message.subject.startswith(f"Reminder: {call_soon.label}, ")
    assert message.topic == MailTopic.REMINDERS and message.member_id == member.id
    body = message.body_text
    assert "you said yes to" in body
    assert "Data stories from Mesa" in body
    assert "Video: https://meet.example.org/network" in body
    assert "Phone: +1 646 555 0100, access code 123 456" in body
    assert f"http://convene.test/calls/{call_soon.id}" in body or "/calls/" in body
    assert "http://convene.test/account/mail" in body
    ics = invitation_of(message)
    assert "METHOD:REQUEST" in ics and "PARTSTAT=ACCEPTED" in ics
    assert "meet.example.org" in ics  # join details in the event
    (received,) = deliver_mail()
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Data stories from Mesa" in body_of(received)


def test_maybe_is_reminded_as_tentative_and_no_is_not_reminded(call_soon, make_member):
    maybe, no = make_member(), make_member()
    answer(call_soon, maybe, "maybe")
    answer(call_soon, no, "no")
    assert send_reminders(NOW) == 1
    (message,) = outbox()
    assert message.recipient == maybe.email
    assert "PARTSTAT=TENTATIVE" in invitation_of(message)


def test_a_call_without_join_details_or_agenda_says_where_they_will_be(
    make_call, make_series, make_member
):
    series = make_series(video_url=None, dial_in_number=None, dial_in_code=None)
    call = make_call(series=series, starts_at=NOW + timedelta(hours=3))
    answer(call, make_member())
    send_reminders(NOW)
    body = outbox()[0].body_text
    assert "The host will share how to join" in body
    assert "has not posted an agenda yet" in body


def test_only_within_the_reminder_hours_and_before_the_start(make_call, make_member):
    member = make_member()
    later = make_call(starts_at=NOW + timedelta(hours=25))
    started = make_call(starts_at=NOW - timedelta(minutes=5))
    for call in (later, started):
        answer(call, member)
    assert send_reminders(NOW) == 0
    assert send_reminders(NOW + timedelta(hours=1, seconds=1)) == 1  # 24h before `later`
    assert [k.thing_id for k in sent_keys()] == [later.id]


def test_reminder_hours_are_configurable(app, make_call, make_member):
    call = make_call(starts_at=NOW + timedelta(hours=40))
    answer(call, make_member())
    assert send_reminders(NOW) == 0
    app.config["REMINDER_HOURS"] = 48
    assert send_reminders(NOW) == 1


def test_sent_once_however_often_it_runs(call_soon, make_member, app):
    answer(call_soon, make_member())
    assert send_reminders(NOW) == 1
    assert send_reminders(NOW) == 0
    assert send_reminders(NOW + timedelta(hours=1)) == 0
    result = app.test_cli_runner().invoke(args=["mail", "reminders"])
    assert result.exit_code == 0 and "0 reminders queued" in result.output
    assert len(outbox()) == 1


def test_a_call_moved_after_its_reminder_gets_a_fresh_one(call_soon, make_member):
    member = make_member()
    answer(call_soon, member)
    send_reminders(NOW)
    call_soon.starts_at = NOW + timedelta(hours=22)
    call_soon.status = CallStatus.MOVED
    db.session.commit()
    assert send_reminders(NOW) == 1
    assert [k.starts_at for k in sent_keys()] == [
        NOW + timedelta(hours=20),
        NOW + timedelta(hours=22),
    ]
    assert len(outbox()) == 2


def test_cancelled_calls_inactive_members_and_changed_answers_get_none(make_call, make_member):
    cancelled = make_call(starts_at=NOW + timedelta(hours=5), status=CallStatus.CANCELLED)
    answer(cancelled, make_member())
    call = make_call(starts_at=NOW + timedelta(hours=6))
    gone = make_member(active=False)
    answer(call, gone)
    assert send_reminders(NOW) == 0
    assert outbox() == [] and sent_keys() == []


def test_a_member_who_turned_reminders_off_gets_none_and_it_is_not_replayed(call_soon, make_member):
    member = make_member()
    answer(call_soon, member)
    set_choice(member.id, MailTopic.REMINDERS, MailChoice.NEVER)
    db.session.commit()
    send_reminders(NOW)
    assert outbox() == []
    assert len(sent_keys()) == 1
    set_choice(member.id, MailTopic.REMINDERS, MailChoice.IMMEDIATELY)
    db.session.commit()
    assert send_reminders(NOW) == 0 and outbox() == []


def test_a_reminder_that_fails_to_build_leaves_the_others_going(
    make_call, make_member, monkeypatch
):
    from convene.notifications import reminders

    first = make_call(starts_at=NOW + timedelta(hours=2))
    second = make_call(starts_at=NOW + timedelta(hours=3))
    member = make_member()
    answer(first, member)
    answer(second, member)
    real = reminders.COMPOSERS[ReminderKind.CALL]

    def flaky(due, member):
        if due.thing_id == first.id:
            raise RuntimeError("broken row")
        return real(due, member)

    monkeypatch.setitem(reminders.COMPOSERS, ReminderKind.CALL, flaky)
    assert send_reminders(NOW) == 1
    assert [k.thing_id for k in sent_keys()] == [second.id]  # the broken one is tried again


# --- the summit -----------------------------------------------------------------------------


@pytest.fixture
def summit_scene(
    make_summit, make_agenda_item, make_session, make_registration, make_member, make_org
):
    """A Chicago summit opening in 20 hours; a Honolulu attendee with a pick, an open
    session, and a seat at a published dinner; a waitlisted member; an unpicked breakout."""
    opening = NOW + timedelta(hours=20)
    summit = make_summit(
        starts_on=opening.date(),
        ends_on=opening.date() + timedelta(days=2),
        zone="America/Chicago",
        address="151 East Wacker Drive, Chicago, IL 60601",
    )
    plenary = make_agenda_item(
        summit, title="Opening plenary", starts_at=opening, ends_at=opening + timedelta(hours=1)
    )
    breakout = make_agenda_item(
        summit,
        kind="breakout",
        title="Open data in practice",
        starts_at=opening + timedelta(hours=2),
        ends_at=opening + timedelta(hours=3),
        room="Room B",
        speakers="Dana Data",
    )
    unpicked = make_agenda_item(
        summit,
        kind="breakout",
        title="Procurement",
        starts_at=opening + timedelta(hours=2),
        ends_at=opening + timedelta(hours=3),
    )
    reception = make_session(
        summit,
        title="Welcome reception",
        starts_at=opening + timedelta(hours=3),
        ends_at=opening + timedelta(hours=5),
    )
    dinner = make_session(summit, kind="assigned", title="City dinners", is_published=True)
    slot = SessionSlot(
        session=dinner,
        position=0,
        label="First night",
        starts_at=opening + timedelta(hours=3, minutes=30),
        ends_at=opening + timedelta(hours=6),
        place="Chicago Cultural Center",
    )
    table = SessionTable(slot=slot, position=0, name="Lakeview", seats=8)
    db.session.add_all([slot, table])
    db.session.flush()
    honolulu = make_org("city", zone="Pacific/Honolulu", state="HI")
    attendee = make_member(organisation=honolulu, name="Kai Attendee")
    mate = make_member(name="Morgan Mate")
    waitlisted = make_member()
    make_registration(summit, attendee)
    make_registration(summit, mate)
    make_registration(summit, waitlisted, status="waitlisted")
    rows = [
        AgendaPick(agenda_item_id=breakout.id, member_id=attendee.id),
        AgendaPick(agenda_item_id=breakout.id, member_id=waitlisted.id),
        SessionSignup(
            session_id=reception.id, member_id=attendee.id, status=SignupStatus.SIGNED_UP
        ),
        SessionSignup(session_id=reception.id, member_id=mate.id, status=SignupStatus.WAITLISTED),
        SeatAssignment(slot_id=slot.id, table_id=table.id, member_id=attendee.id),
        SeatAssignment(slot_id=slot.id, table_id=table.id, member_id=mate.id),
    ]
    for row in rows:
        db.session.add(row)
    db.session.commit()
    return {
        "summit": summit,
        "plenary": plenary,
        "breakout": breakout,
        "unpicked": unpicked,
        "reception": reception,
        "dinner": dinner,
        "slot": slot,
        "table": table,
        "attendee": attendee,
        "mate": mate,
        "waitlisted": waitlisted,
    }


def _by_kind(member_id: int) -> set[tuple]:
    return {(k.kind, k.thing_id) for k in sent_keys() if k.member_id == member_id}


def test_summit_items_due(summit_scene):
    s = summit_scene
    assert send_reminders(NOW) == 6
    assert _by_kind(s["attendee"].id) == {
        (ReminderKind.SUMMIT, s["summit"].id),
        (ReminderKind.AGENDA_ITEM, s["breakout"].id),
        (ReminderKind.SOCIAL_SESSION, s["reception"].id),
        (ReminderKind.SESSION_SLOT, s["slot"].id),
    }
    # The mate: the summit and the table, not the reception they are waitlisted for.
    assert _by_kind(s["mate"].id) == {
        (ReminderKind.SUMMIT, s["summit"].id),
        (ReminderKind.SESSION_SLOT, s["slot"].id),
    }
    assert _by_kind(s["waitlisted"].id) == set()  # no confirmed place, no reminders
    assert send_reminders(NOW) == 0


def test_the_summit_reminder_gives_the_programme_in_venue_time_and_the_readers(summit_scene):
    s = summit_scene
    assert summit_opening(s["summit"]) == NOW + timedelta(hours=20)
    send_reminders(NOW)
    (message,) = [
        m
        for m in outbox()
        if m.recipient == s["attendee"].email
        and m.subject.startswith(f"Reminder: {s['summit'].name}")
    ]
    body = message.body_text
    assert " in Chicago, " in body and " for you" in body  # venue time first, then theirs
    for title in (
        "Opening plenary",
        "Open data in practice",
        "Welcome reception",
        "City dinners: First night",
    ):
        assert title in body
    assert "Procurement" not in body  # not theirs
    assert "your table: Lakeview" in body
    ics = invitation_of(message)
    assert "summit-registration-" in ics and "METHOD:REQUEST" in ics


def test_the_table_reminder_names_the_table_and_who_sits_there(summit_scene):
    s = summit_scene
    send_reminders(NOW)
    (message,) = [
        m for m in outbox() if m.recipient == s["attendee"].email and "table Lakeview" in m.subject
    ]
    assert "Lakeview, with Morgan Mate" in message.body_text
    assert "Chicago Cultural Center" in message.body_text
    assert f"session-slot-{s['slot'].id}@" in invitation_of(message)


def test_the_picked_item_reminder(summit_scene):
    s = summit_scene
    send_reminders(NOW)
    (message,) = [
        m
        for m in outbox()
        if m.recipient == s["attendee"].email and "Open data in practice" in m.subject
    ]
    assert "Speakers: Dana Data" in message.body_text and "Room B" in message.body_text
    assert f"agenda-item-{s['breakout'].id}@" in invitation_of(message)


def test_cancelled_unpublished_and_missed_summit_items_are_not_reminded(summit_scene):
    s = summit_scene
    s["breakout"].is_cancelled = True
    s["reception"].is_cancelled = True
    s["dinner"].is_published = False
    db.session.add(SlotAbsence(slot_id=s["slot"].id, member_id=s["mate"].id))
    db.session.commit()
    send_reminders(NOW)
    assert {k.kind for k in sent_keys()} == {ReminderKind.SUMMIT}


def test_a_summit_without_agenda_opens_at_nine_at_the_venue(make_summit):
    summit = make_summit(zone="America/Chicago")
    assert summit_opening(summit) == datetime(2027, 4, 12, 14, 0, tzinfo=UTC)  # 09:00 CDT


def test_a_summit_item_moved_after_its_reminder_gets_a_fresh_one(summit_scene):
    s = summit_scene
    send_reminders(NOW)
    s["breakout"].starts_at += timedelta(hours=1)
    s["breakout"].ends_at += timedelta(hours=1)
    db.session.commit()
    assert send_reminders(NOW) == 1
    assert sorted(
        k.starts_at
        for k in sent_keys()
        if k.kind == ReminderKind.AGENDA_ITEM and k.member_id == s["attendee"].id
    ) == [NOW + timedelta(hours=22), NOW + timedelta(hours=23)]


# --- the worker -----------------------------------------------------------------------------


def test_the_mail_worker_sends_reminders_as_they_fall_due(call_soon, make_member, smtp):
    member = make_member()
    answer(call_soon, member)
    watch(interval=0, stop_after=1, jobs=PeriodicJobs())
    (received,) = smtp.wait_for(1)
    assert received["Subject"].startswith("Reminder: ")
    assert member.email in received["To"]


def test_periodic_jobs_run_at_most_once_a_minute(monkeypatch):
    from convene.notifications import cli

    runs = []
    monkeypatch.setattr(cli, "send_reminders", lambda: runs.append("r") or 0)
    monkeypatch.setattr(cli, "send_digests", lambda: runs.append("d") or 0)
    jobs = PeriodicJobs(every=60)
    jobs()
    jobs()
    assert runs == ["r", "d"]
    jobs.last -= 61
    jobs()
    assert runs == ["r", "d", "r", "d"]


def test_due_reminders_are_soonest_first(make_call, make_member):
    member = make_member()
    late = make_call(starts_at=NOW + timedelta(hours=10))
    soon = make_call(starts_at=NOW + timedelta(hours=2))
    answer(late, member)
    answer(soon, member)
    assert [d.thing_id for d in due_reminders(NOW)] == [soon.id, late.id]


@pytest.mark.postgres_only
def test_two_workers_sending_reminders_at_once_send_each_member_exactly_one(
    make_app, app, make_call, make_member, smtp
):
    call = make_call(starts_at=NOW + timedelta(hours=10))
    members = [make_member() for _ in range(30)]
    for member in members:
        answer(call, member)
    worker_app = make_app()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker():
        try:
            with worker_app.app_context():
                barrier.wait()
                results.append(send_reminders(NOW))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sum(results) == len(members)
    recipients = [m.recipient for m in outbox()]
    assert sorted(recipients) == sorted(m.email for m in members)  # exactly one each
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == len(members)
