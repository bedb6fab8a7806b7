"""The feed stamp: a new one exactly when a commit changes something feeds may show."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from convene.calendar.freshness import current_stamp
from convene.calendar.invitations import call_event
from convene.convenings.models import Call
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.types import utcnow


def stamp():
    db.session.rollback()
    return current_stamp(db.session)


def test_a_committed_change_gives_a_new_stamp(make_call):
    call = make_call()
    first = stamp()
    assert first is not None
    call.agenda = "1. Welcome"
    db.session.commit()
    assert stamp() != first


def test_bulk_statements_count_too(make_call):
    make_call()
    first = stamp()
    db.session.execute(update(Call).values(duration_minutes=90))
    db.session.commit()
    assert stamp() != first


def test_rollback_and_quiet_tables_keep_the_stamp(make_call, make_member):
    call = make_call()
    member = make_member()
    first = stamp()
    call.title = "Not saved"
    db.session.flush()
    db.session.rollback()
    assert stamp() == first
    queue_email(
        member.email,
        "Hello",
        "calendar/invitation",
        member=member,
        event=call_event(call.id),
        zone="UTC",
    )
    db.session.commit()
    assert stamp() == first
    db.session.commit()  # nothing at all
    assert stamp() == first


@pytest.mark.postgres_only
def test_concurrent_writers_all_commit_and_the_last_stamp_wins(app, make_call):
    """Many transactions changing calls at once: none deadlocks or fails, each commit
    leaves a stamp that differs from the one before it."""
    calls = [make_call(day=utcnow().date() + timedelta(days=i + 1)) for i in range(6)]
    ids = [c.id for c in calls]
    first = stamp()
    errors, barrier = [], threading.Barrier(len(ids))

    def move(call_id):
        try:
            with app.app_context():
                call = db.session.get(Call, call_id, with_for_update=True)
                barrier.wait(timeout=10)
                call.starts_at += timedelta(minutes=30)
                call.bump_revision()
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=move, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert stamp() != first
    assert all(db.session.get(Call, i).revision == 1 for i in ids)
