import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from convene.convenings import rotation
from convene.convenings.models import Call, CallStatus, Rsvp, RsvpAnswer, SeriesSkip
from convene.extensions import db
from tests.convenings.conftest import calls_of

NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")


def test_slots_every_two_weeks_on_the_first_dates_weekday(make_series):
    series = make_series(first_date=date(2026, 10, 1))
    assert rotation.slots(series, date(2026, 11, 12)) == [
        date(2026, 10, 1),
        date(2026, 10, 15),
        date(2026, 10, 29),
        date(2026, 11, 12),
    ]


def test_interval_is_a_field(make_series):
    series = make_series(first_date=date(2026, 10, 1), interval_weeks=3)
    assert rotation.slots(series, date(2026, 11, 12)) == [
        date(2026, 10, 1),
        date(2026, 10, 22),
        date(2026, 11, 12),
    ]


def test_first_on_weekday_moves_forward_to_the_weekday():
    assert rotation.first_on_weekday(date(2026, 10, 1), 3) == date(2026, 10, 1)  # Thursday
    assert rotation.first_on_weekday(date(2026, 10, 2), 1) == date(2026, 10, 6)  # Tuesday


def test_hosts_rotate_in_order(make_series, make_org):
    a, b, c = (make_org("partner") for _ in range(3))
    series = make_series(partners=[a, b, c], first_date=date(2026, 10, 1))
    rotation.materialise(series, date(2026, 12, 31))
    hosts = [call.host_organisation_id for call in calls_of(series)]
    assert hosts[:7] == [a.id, b.id, c.id, a.id, b.id, c.id, a.id]


def test_a_skipped_date_uses_up_nobodys_turn(make_series, make_org):
    a, b, c = (make_org("partner") for _ in range(3))
    series = make_series(
        partners=[a, b, c], first_date=date(2026, 10, 1), skips=[date(2026, 10, 15)]
    )
    rotation.materialise(series, date(2026, 11, 26))
    calls = calls_of(series)
    assert [c.slot_date for c in calls] == [
        date(2026, 10, 1),
        date(2026, 10, 29),
        date(2026, 11, 12),
        date(2026, 11, 26),
    ]
    # b's turn is not lost to the holiday: b hosts the first call after it.
    assert [c.host_organisation_id for c in calls] == [a.id, b.id, c.id, a.id]


def test_materialise_is_idempotent(make_series):
    series = make_series(first_date=date(2026, 10, 1))
    first = rotation.materialise(series, date(2027, 3, 1))
    db.session.commit()
    second = rotation.materialise(series, date(2027, 3, 1))
    db.session.commit()
    assert first.created == 11 and second.created == 0 and second.existing == 11
    assert len(calls_of(series)) == 11


def test_extend_command_tops_up_the_horizon_and_is_safe_to_repeat(app, make_series):
    series = make_series(first_date=date.today() - timedelta(days=3), horizon_weeks=8)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["calls", "extend"])
    assert first.exit_code == 0, first.output
    count = len(calls_of(series))
    second = runner.invoke(args=["calls", "extend"])
    assert "0 calls added" in second.output
    assert len(calls_of(series)) == count
    assert all(c.slot_date >= date.today() for c in calls_of(series))
    assert max(c.slot_date for c in calls_of(series)) <= date.today() + timedelta(weeks=8)
    assert count in (4, 5)


def test_local_time_kept_across_the_end_of_daylight_saving(make_series):
    """13:00 in New York every time; Phoenix (no DST) sees 10:00, then 11:00 after 1 Nov."""
    series = make_series(first_date=date(2026, 10, 15), zone="America/New_York")
    rotation.materialise(series, date(2026, 11, 30))
    calls = calls_of(series)
    assert [c.slot_date for c in calls] == [
        date(2026, 10, 15),
        date(2026, 10, 29),
        date(2026, 11, 12),
        date(2026, 11, 26),
    ]
    for call in calls:
        assert call.starts_at.astimezone(NEW_YORK).time() == time(13, 0)
    phoenix = [c.starts_at.astimezone(PHOENIX) for c in calls]
    assert [p.hour for p in phoenix] == [10, 10, 11, 11]
    assert {p.tzname() for p in phoenix} == {"MST"}
    assert calls[0].starts_at == datetime(2026, 10, 15, 17, 0, tzinfo=UTC)
    assert calls[2].starts_at == datetime(2026, 11, 12, 18, 0, tzinfo=UTC)


def test_a_phoenix_series_does_not_move_for_new_yorks_daylight_saving(make_series):
    series = make_series(first_date=date(2026, 10, 15), zone="America/Phoenix")
    rotation.materialise(series, date(2026, 11, 30))
    utc_hours = {c.starts_at.hour for c in calls_of(series)}
    assert utc_hours == {20}  # 13:00 MST all year


def test_a_wall_time_the_clocks_skip_falls_forward(make_series):
    series = make_series(first_date=date(2027, 3, 14), local_time=time(2, 30), interval_weeks=1)
    rotation.materialise(series, date(2027, 3, 21))
    first, second = calls_of(series)
    assert first.starts_at.astimezone(NEW_YORK).time() == time(3, 30)
    assert second.starts_at.astimezone(NEW_YORK).time() == time(2, 30)


# --- regenerating after an edit -----------------------------------------------------------


@pytest.fixture
def live_series(upcoming_series, make_org):
    partners = [make_org("partner") for _ in range(3)]
    return upcoming_series(partners=partners, horizon_weeks=12), partners


def test_edit_updates_untouched_future_calls_in_place(live_series):
    series, _ = live_series
    before = {c.slot_date: (c.id, c.revision) for c in calls_of(series)}
    series.local_time = time(15, 0)
    result = rotation.regenerate_after_edit(series)
    db.session.commit()
    after = calls_of(series)
    assert result.updated == len(after) == len(before)
    for call in after:
        assert before[call.slot_date][0] == call.id  # same record
        assert call.revision == before[call.slot_date][1] + 1
        assert call.starts_at.astimezone(NEW_YORK).time() == time(15, 0)


def test_edit_keeps_hand_made_changes_rsvps_titles_and_notes(live_series, make_member, make_org):
    series, partners = live_series
    first, second, third = calls_of(series)[:3]
    moved_to = first.starts_at + timedelta(hours=2)
    first.starts_at, first.is_time_by_hand = moved_to, True
    other = make_org("partner")
    second.host_organisation_id, second.is_host_by_hand = other.id, True
    third.title, third.agenda, third.notes = "311 data", "1. Intro", "Some notes"
    member = make_member()
    db.session.add(Rsvp(call=third, member=member, answer=RsvpAnswer.YES))
    db.session.commit()

    series.local_time = time(9, 0)
    series.rotation.reverse()
    for position, host in enumerate(series.rotation):
        host.position = position + 100
    db.session.flush()
    for position, host in enumerate(series.rotation):
        host.position = position
    rotation.regenerate_after_edit(series)
    db.session.commit()

    db.session.refresh(first)
    db.session.refresh(second)
    db.session.refresh(third)
    assert first.starts_at == moved_to  # time set by hand kept
    assert second.host_organisation_id == other.id  # host set by hand kept
    assert second.starts_at.astimezone(NEW_YORK).time() == time(9, 0)  # but time follows
    assert first.host_organisation_id == series.rotation[0].organisation_id  # host follows
    assert third.title == "311 data" and third.agenda == "1. Intro" and third.notes
    assert [r.member_id for r in third.rsvps] == [member.id]
    assert third.starts_at.astimezone(NEW_YORK).time() == time(9, 0)


def test_edit_deletes_untouched_vanished_calls_and_cancels_touched_ones(live_series, make_member):
    series, _ = live_series
    calls = calls_of(series)
    untouched, answered = calls[1], calls[2]
    db.session.add(Rsvp(call=answered, member=make_member(), answer=RsvpAnswer.MAYBE))
    db.session.commit()
    untouched_id = untouched.id
    series.skips.append(SeriesSkip(day=untouched.slot_date, reason="Holiday"))
    series.skips.append(SeriesSkip(day=answered.slot_date, reason="Holiday"))
    result = rotation.regenerate_after_edit(series)
    db.session.commit()
    assert result.deleted == 1 and result.cancelled == 1
    assert db.session.get(Call, untouched_id) is None
    db.session.refresh(answered)
    assert answered.status == CallStatus.CANCELLED
    assert answered.cancel_reason == rotation.VANISHED_REASON
    assert len(answered.rsvps) == 1


def test_edit_leaves_past_calls_alone(make_series):
    series = make_series(first_date=date.today() - timedelta(weeks=6), horizon_weeks=8)
    rotation.materialise(series, rotation.horizon(series))
    db.session.commit()
    past = [c for c in calls_of(series) if c.starts_at < datetime.now(UTC)]
    snapshot = [(c.id, c.starts_at, c.revision) for c in past]
    series.local_time = time(8, 0)
    rotation.regenerate_after_edit(series)
    db.session.commit()
    assert [(c.id, c.starts_at, c.revision) for c in past] == snapshot


@pytest.mark.postgres_only
def test_two_extends_at_once_make_each_call_once(make_app, make_series, database_url):
    series = make_series(first_date=date.today(), horizon_weeks=20)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        app = make_app()
        with app.app_context():
            try:
                barrier.wait()
                rotation.extend_all()
                db.session.commit()
            except Exception as exc:  # recorded for the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    count = db.session.scalar(select(func.count(Call.id)).where(Call.series_id == series.id))
    assert count == len(rotation.slots(series, rotation.horizon(series)))
