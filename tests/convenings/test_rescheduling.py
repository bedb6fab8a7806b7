from datetime import UTC, datetime, time, timedelta

import pytest

from convene.convenings.errors import CallError
from convene.convenings.models import CallStatus, RsvpAnswer
from convene.convenings.rescheduling import (
    MoveConflict,
    cancel_call,
    move_call,
    neighbours,
    reassign_host,
)
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from tests.conftest import body_of


@pytest.fixture
def answered_call(make_call, make_member):
    call = make_call(title="Performance dashboards")
    people = [make_member(zone="America/Phoenix"), make_member(), make_member()]
    for person, answer in zip(people, ["yes", "maybe", "no"], strict=True):
        answer_rsvp(call, person, answer)
    db.session.commit()
    return call, people


def test_move_keeps_identity_bumps_revision_and_tells_everyone_who_answered(
    answered_call, make_member, deliver_mail
):
    call, people = answered_call
    bystander = make_member()
    deliver_mail()  # the RSVP confirmations
    call_id, revision, old_start = call.id, call.revision, call.starts_at
    new_start = old_start + timedelta(days=1, hours=2)
    assert move_call(call, new_start, 90) == old_start
    db.session.commit()
    assert call.id == call_id and call.revision == revision + 1
    assert call.status == CallStatus.MOVED and call.is_time_by_hand
    assert call.starts_at == new_start and call.duration_minutes == 90
    messages = deliver_mail()
    recipients = sorted(m["To"] for m in messages)
    assert recipients == sorted(p.email for p in people)  # yes, maybe and no alike
    assert bystander.email not in recipients
    phoenix = next(m for m in messages if m["To"] == people[0].email)
    local = new_start.astimezone(__import__("zoneinfo").ZoneInfo("America/Phoenix"))
    assert f"{local:%H:%M} MST" in body_of(phoenix)
    assert "Call moved" in phoenix["Subject"]


def test_move_refuses_the_past_and_unchanged_times(make_call):
    call = make_call()
    with pytest.raises(CallError, match="passed"):
        move_call(call, datetime.now(UTC) - timedelta(hours=1), 60)
    with pytest.raises(CallError, match="nothing to change"):
        move_call(call, call.starts_at, call.duration_minutes)
    assert call.revision == 0 and call.status == CallStatus.SCHEDULED


def test_cancel_needs_a_reason_stays_visible_and_emails(answered_call, deliver_mail):
    call, people = answered_call
    deliver_mail()
    with pytest.raises(CallError, match="reason"):
        cancel_call(call, "  ")
    cancel_call(call, "Clashes with the summit")
    db.session.commit()
    assert call.status == CallStatus.CANCELLED and call.revision == 1
    messages = deliver_mail()
    assert len(messages) == 3
    assert all("Clashes with the summit" in body_of(m) for m in messages)
    with pytest.raises(CallError, match="cancelled"):
        move_call(call, call.starts_at + timedelta(days=1), 60)


def test_started_calls_cannot_be_moved(make_call):
    call = make_call(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    with pytest.raises(CallError, match="started"):
        move_call(call, datetime.now(UTC) + timedelta(days=1), 60)


def test_admin_reassigns_host_and_both_partners_hear(
    make_call, make_org, make_member, deliver_mail
):
    call = make_call()
    old_host = make_member("host", organisation=call.host_organisation)
    new_partner = make_org("partner")
    new_host = make_member("host", organisation=new_partner)
    reassign_host(call, new_partner)
    db.session.commit()
    assert call.host_organisation_id == new_partner.id and call.is_host_by_hand
    assert call.revision == 1
    assert sorted(m["To"] for m in deliver_mail()) == sorted([old_host.email, new_host.email])


def test_reassign_refuses_a_city(make_call, make_org):
    call = make_call()
    with pytest.raises(CallError, match="partner"):
        reassign_host(call, make_org("city"))
    assert call.revision == 0


def test_rsvps_survive_a_move(answered_call):
    call, _people = answered_call
    move_call(call, call.starts_at + timedelta(hours=1), 60)
    db.session.commit()
    assert sorted(r.answer for r in call.rsvps) == sorted(
        [RsvpAnswer.YES, RsvpAnswer.MAYBE, RsvpAnswer.NO]
    )


def _race(make_app, count, work):
    """Run `work(n)` in `count` threads at once, each with its own app and connection."""
    import threading

    barrier, results = threading.Barrier(count), []

    def run(n):
        app = make_app()
        with app.app_context():
            try:
                barrier.wait()
                work(n)
                db.session.commit()
                results.append("ok")
            except CallError:
                db.session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@pytest.mark.postgres_only
def test_simultaneous_moves_take_turns_and_each_gets_its_own_revision(make_app, make_call):
    from convene.convenings.models import Call
    from convene.convenings.rescheduling import lock_call

    call = make_call()
    call_id, start = call.id, call.starts_at

    def move(n):
        move_call(lock_call(call_id), start + timedelta(hours=n + 1), 60)

    assert _race(make_app, 5, move) == ["ok"] * 5
    db.session.expire_all()
    assert db.session.get(Call, call_id).revision == 5


@pytest.mark.postgres_only
def test_simultaneous_cancels_cancel_and_announce_once(make_app, answered_call):
    from sqlalchemy import func, select

    from convene.convenings.rescheduling import lock_call
    from convene.notifications.models import OutboxMessage

    call, people = answered_call
    call_id = call.id
    before = db.session.scalar(select(func.count(OutboxMessage.id)))

    def cancel(n):
        cancel_call(lock_call(call_id), f"Reason {n}")

    assert _race(make_app, 4, cancel) == ["ok", "refused", "refused", "refused"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before + len(people)


# --- moving next to another call of the series ---------------------------------------------


@pytest.fixture
def two_calls(make_series, make_call):
    """Two calls of one series two weeks apart, at 13:00 in New York, and one of another."""
    series = make_series()
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    first = make_call(series=series, starts_at=_new_york(day, 13, 0))
    second = make_call(series=series, starts_at=_new_york(day + timedelta(days=14), 13, 0))
    return first, second


def _new_york(day, hour, minute):
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("America/New_York"))


def test_moving_onto_the_day_of_another_call_of_the_series_needs_confirming(
    two_calls, make_call, make_member, deliver_mail
):
    first, second = two_calls
    answer_rsvp(first, make_member(), "yes")
    db.session.commit()
    deliver_mail()
    evening = _new_york(second.slot_date, 18, 0)  # five hours after, but the same day
    with pytest.raises(MoveConflict) as refused:
        move_call(first, evening, 60)
    assert refused.value.calls == [second]
    assert second.label in str(refused.value)
    db.session.rollback()
    assert first.revision == 0 and first.status == CallStatus.SCHEDULED
    assert deliver_mail() == []
    move_call(first, evening, 60, confirm_conflicts=True)
    db.session.commit()
    assert first.starts_at == evening and first.revision == 1


def test_within_an_hour_of_another_call_counts_across_midnight_and_an_hour_apart_does_not(
    make_series, make_call
):
    series = make_series()
    day = (datetime.now(UTC) + timedelta(days=5)).date()
    call = make_call(series=series, starts_at=_new_york(day, 13, 0))
    late = make_call(series=series, starts_at=_new_york(day + timedelta(days=8), 0, 30))
    eve = day + timedelta(days=7)
    assert neighbours(call, _new_york(eve, 23, 0), 60) == [late]  # ends 30 minutes before
    assert neighbours(call, _new_york(eve, 22, 0), 30) == []  # 2 hours apart, another day


def test_cancelled_calls_and_other_series_do_not_count(two_calls, make_call):
    first, second = two_calls
    cancel_call(second, "Holiday")
    other_series = make_call(starts_at=_new_york(first.slot_date + timedelta(days=1), 13, 0))
    db.session.commit()
    assert neighbours(first, second.starts_at, 60) == []
    assert neighbours(first, other_series.starts_at, 60) == []


def test_the_move_form_names_the_other_call_and_moves_only_when_ticked(
    two_calls, make_member, client_for
):
    first, second = two_calls
    second.title = "Open data policy"
    db.session.commit()
    host = client_for(make_member("host", organisation=first.host_organisation))
    data = {
        "day": second.slot_date.isoformat(),
        "wall_time": "15:00",
        "zone": "America/New_York",
        "duration_minutes": "60",
    }
    warned = host.post(f"/calls/{first.id}/move", data=data)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "Open data policy" in page and "Move it anyway" in page
    assert f"/calls/{second.id}" in page
    db.session.refresh(first)
    assert first.revision == 0
    assert "Move it anyway" not in host.get(f"/calls/{first.id}/move").get_data(as_text=True)
    moved = host.post(f"/calls/{first.id}/move", data=data | {"move_anyway": "y"})
    assert moved.status_code == 302
    db.session.refresh(first)
    assert first.starts_at == _new_york(second.slot_date, 15, 0) and first.revision == 1
