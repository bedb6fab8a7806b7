import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from convene.convenings import rotation
from convene.convenings.models import Call, TurnState
from convene.convenings.rotation import RotationError, TurnQueue
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


# --- the queue of turns ------------------------------------------------------------------


def test_each_new_call_takes_the_next_turn_and_the_partner_goes_to_the_back():
    queue = TurnQueue(cycle=[1, 2, 3])
    assert [queue.take() for _ in range(4)] == [1, 2, 3, 1]
    assert queue.cycle == [2, 3, 1]


def test_a_turn_given_back_comes_first_oldest_first_then_the_cycle_goes_on():
    queue = TurnQueue(cycle=[1, 2, 3])
    queue.give_back(call_id=10, organisation_id=3)
    queue.give_back(call_id=11, organisation_id=2)
    assert queue.upcoming(5) == [3, 2, 1, 2, 3]
    assert [queue.take() for _ in range(3)] == [3, 2, 1]
    assert queue.skipped == {10: (3, TurnState.REPAID), 11: (2, TurnState.REPAID)}


def test_a_partner_out_of_the_rotation_is_owed_nothing():
    queue = TurnQueue(cycle=[1, 2])
    queue.give_back(call_id=10, organisation_id=9)
    assert queue.skipped[10] == (9, TurnState.FORFEITED) and queue.upcoming(2) == [1, 2]
    queue.give_back(call_id=11, organisation_id=2)
    queue.edit_rotation([1])
    assert queue.skipped[11] == (2, TurnState.FORFEITED) and queue.upcoming(2) == [1, 1]


def test_bringing_a_call_back_takes_its_turn_back():
    owed = TurnQueue(cycle=[1, 2, 3])
    owed.give_back(call_id=10, organisation_id=2)
    owed.bring_back(10)
    assert owed.skipped == {} and owed.upcoming(3) == [1, 2, 3]
    # Already used by a new call: the partner goes to the back instead.
    used = TurnQueue(cycle=[1, 2, 3])
    used.give_back(call_id=10, organisation_id=2)
    assert used.take() == 2
    used.bring_back(10)
    assert used.skipped == {} and used.cycle == [1, 3, 2]


def test_rotation_edits_added_join_at_the_back_removed_leave_order_as_written():
    queue = TurnQueue(cycle=[1, 2, 3])
    queue.edit_rotation([4, 1, 2, 3])  # written first, still joins at the back
    assert queue.cycle == [1, 2, 3, 4]
    queue.edit_rotation([3, 1, 4])  # 2 leaves; 3 now goes first
    assert queue.cycle == [3, 1, 4]
    with pytest.raises(RotationError):
        queue.edit_rotation([1, 1])
    with pytest.raises(RotationError):
        queue.edit_rotation([])


def test_the_order_the_form_showed_keeps_the_queue_where_it_has_got_to():
    """The form showed [1, 2, 3]; a call was made meanwhile, so the queue is [2, 3, 1]."""
    queue = TurnQueue(cycle=[2, 3, 1])
    queue.edit_rotation([1, 2, 3, 4], seen=[1, 2, 3])
    assert queue.cycle == [2, 3, 1, 4]
    queue.edit_rotation([4, 3, 2, 1], seen=[2, 3, 1, 4])  # a real reorder
    assert queue.cycle == [4, 3, 2, 1]


def test_materialise_keeps_the_queue_so_the_next_extend_goes_on_from_it(make_series, make_org):
    a, b, c = (make_org("partner") for _ in range(3))
    series = make_series(partners=[a, b, c], first_date=date(2026, 10, 1))
    rotation.materialise(series, date(2026, 10, 29))  # a, b, c
    db.session.commit()
    assert rotation.load_queue(series).cycle == [a.id, b.id, c.id]
    rotation.materialise(series, date(2026, 11, 26))  # a, b
    db.session.commit()
    assert [x.host_organisation_id for x in calls_of(series)] == [a.id, b.id, c.id, a.id, b.id]
    assert rotation.load_queue(series).cycle == [c.id, a.id, b.id]
    assert [h.position for h in series.rotation] == [0, 1, 2]


# --- migration 0008 -------------------------------------------------------------------------


def test_migration_puts_each_rotation_in_queue_order_where_the_old_rule_had_got_to(
    make_app, empty_database_url
):
    """Old rule: slot index modulo rotation. The calls fill the slots 1 Oct, (15 Oct skipped),
    29 Oct, 12 Nov, 26 Nov and 10 Dec: the next slot's index is 5, so c is next, then a, b."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    app = make_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        before = ScriptDirectory.from_config(config).get_revision("0008_rotation_turns")
        upgrade(revision=before.down_revision)
        run = lambda sql: db.session.execute(sql_text(sql))  # noqa: E731
        for name in ["a", "b", "c"]:
            run(
                "INSERT INTO organisations (kind, name, slug, zone, created_at) VALUES"
                f" ('partner', '{name}', '{name}', 'America/New_York', '2026-01-01 00:00:00')"
            )
        run(
            "INSERT INTO series (name, first_date, local_time, zone, interval_weeks,"
            " duration_minutes, horizon_weeks, created_at, updated_at) VALUES ('S',"
            " '2026-10-01', '13:00:00', 'America/New_York', 2, 60, 26, '2026-01-01 00:00:00',"
            " '2026-01-01 00:00:00')"
        )
        for position, organisation_id in enumerate([1, 2, 3, 1]):  # a twice: kept once
            run(
                "INSERT INTO series_hosts (series_id, position, organisation_id)"
                f" VALUES (1, {position}, {organisation_id})"
            )
        run("INSERT INTO series_skips (series_id, day) VALUES (1, '2026-10-15')")
        days = ["2026-10-01", "2026-10-29", "2026-11-12", "2026-11-26", "2026-12-10"]
        for n, day in enumerate(days):
            status, reason = ("cancelled", rotation_reason()) if n == 4 else ("scheduled", "")
            run(
                "INSERT INTO calls (series_id, slot_date, starts_at, duration_minutes, zone,"
                " host_organisation_id, status, cancel_reason, is_time_by_hand,"
                " is_host_by_hand, revision, created_at, updated_at) VALUES"
                f" (1, '{day}', '{day} 17:00:00', 60, 'America/New_York', {n % 3 + 1},"
                f" '{status}', {repr(reason) if reason else 'NULL'}, false, false, 0,"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        db.session.commit()
        upgrade()
        order = run(
            "SELECT organisation_id FROM series_hosts WHERE series_id = 1 ORDER BY position"
        ).scalars()
        # Slots up to 10 Dec without the skip: 5 handed out, of a rotation of 3 (a, b, c).
        assert list(order) == [3, 1, 2]
        assert run("SELECT call_id, turn FROM skipped_calls").all() == [(5, "forfeited")]
        db.session.commit()
        db.session.remove()
        downgrade(revision=before.down_revision)
        db.session.remove()


def rotation_reason() -> str:
    return "The series changed: there is no call on this date any more."


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
