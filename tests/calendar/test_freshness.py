"""The feed stamps: a commit bumps exactly the scopes whose feeds show what it wrote."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from convene.accounts.models import Member
from convene.calendar.freshness import mark_feeds_changed, pending_scopes
from convene.calendar.invitations import call_event
from convene.calendar.models import FeedStamp
from convene.convenings.models import Call, Rsvp, RsvpAnswer
from convene.convenings.rsvps import answer_rsvp
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.types import utcnow


def stamps() -> dict[str, str]:
    db.session.rollback()
    return dict(db.session.execute(select(FeedStamp.scope, FeedStamp.stamp)).all())


class Watch:
    """The scopes bumped since it was made (or since the last call)."""

    def __init__(self):
        self.before = stamps()

    def bumped(self) -> set[str]:
        after = stamps()
        changed = {s for s, v in after.items() if self.before.get(s) != v}
        self.before = after
        return changed


def test_a_call_change_bumps_public_calls_and_its_host(make_call):
    call = make_call()
    watch = Watch()
    call.agenda = "1. Welcome"
    db.session.commit()
    assert watch.bumped() == {"public", "calls", f"partner:{call.host_organisation_id}"}


@pytest.mark.parametrize("loaded", [True, False])
def test_a_new_host_bumps_both_partners(make_call, make_org, loaded):
    """Also when the old host was never loaded (the object expired at the last commit):
    it is read before the flush, not guessed (which would bump every feed)."""
    call = make_call()
    old_host = call.host_organisation_id
    other = make_org("partner")
    watch = Watch()
    if loaded:
        call.title = call.title
    call.host_organisation = other
    db.session.commit()
    assert watch.bumped() == {"public", "calls", f"partner:{old_host}", f"partner:{other.id}"}


def test_sign_in_vote_and_mail_bump_nothing(make_call, make_member):
    call = make_call()
    member = make_member()
    watch = Watch()
    member.last_sign_in_at = utcnow()
    member.session_token = "x" * 43
    db.session.commit()
    queue_email(
        member.email,
        "Hello",
        "calendar/invitation",
        member=member,
        event=call_event(call.id),
        zone="UTC",
    )
    db.session.commit()
    db.session.execute(update(Member).values(last_sign_in_at=utcnow()))
    db.session.commit()
    assert watch.bumped() == set()


def test_an_rsvp_bumps_only_its_members_scope(make_call, make_member):
    call = make_call()
    member, other = make_member(), make_member()
    watch = Watch()
    answer_rsvp(call, member, "yes")  # a bulk INSERT ... ON CONFLICT
    db.session.commit()
    assert watch.bumped() == {f"member:{member.id}"}
    row = db.session.scalar(select(Rsvp).where(Rsvp.member_id == member.id))
    row.answer = RsvpAnswer.MAYBE  # the same event in the same feed
    db.session.commit()
    assert watch.bumped() == set()
    row.answer = RsvpAnswer.NO
    db.session.commit()
    assert watch.bumped() == {f"member:{member.id}"}
    answer_rsvp(call, other, "no")  # a "no" puts nothing in a feed
    db.session.commit()
    assert watch.bumped() == set()


def test_series_organisations_and_members_bump_what_they_show(make_call, make_member):
    call = make_call()
    series, host, member = call.series, call.host_organisation, make_member()
    watch = Watch()
    series.video_url = "https://video.example.org/j/2"  # join details: personal feeds
    db.session.commit()
    assert watch.bumped() == {"calls"}
    series.name = "Network call"  # labels calls without a topic in every feed
    db.session.commit()
    assert watch.bumped() == {"all"}
    host.website = "https://partner.example.org"
    series.description = "Every other Tuesday."
    db.session.commit()
    assert watch.bumped() == set()
    member.name = "Dana Host"  # shown to their roommates, in a breakout room's line
    db.session.commit()
    assert watch.bumped() == {"calls", f"member:{member.id}"}
    host.name = "GovEx"
    db.session.commit()
    assert watch.bumped() == {"public", "calls", f"partner:{host.id}"}
    member.active = False
    db.session.commit()
    assert watch.bumped() == {f"member:{member.id}"}


def test_summit_rows_bump_the_summit_feed_only_where_it_shows_them(
    make_summit, make_session, make_member
):
    from sqlalchemy import delete

    from convene.summit.models import SeatAssignment, SessionSlot, SessionTable

    summit = make_summit()
    reception = make_session(summit)  # open: in the summit's feed
    dinner = make_session(summit, kind="assigned", title="Dinner")  # not published yet
    watch = Watch()
    reception.place = "The Garden"
    db.session.commit()
    assert watch.bumped() == {"summits", f"summit:{summit.id}"}
    dinner.place = "The Hall"
    db.session.commit()
    assert watch.bumped() == {"summits"}
    start = reception.starts_at
    slot = SessionSlot(session_id=reception.id, position=0, label="First", starts_at=start,
                       ends_at=start + timedelta(hours=1))  # fmt: skip
    db.session.add(slot)
    db.session.commit()
    assert watch.bumped() == {"summits", f"summit:{summit.id}"}
    member = make_member()
    table = SessionTable(slot_id=slot.id, position=0, name="Table 1", seats=8)
    db.session.add(table)
    db.session.flush()
    db.session.add(SeatAssignment(slot_id=slot.id, table_id=table.id, member_id=member.id))
    db.session.commit()
    assert watch.bumped() == {"summits", f"member:{member.id}"}
    db.session.execute(delete(SeatAssignment).where(SeatAssignment.slot_id == slot.id))
    db.session.commit()
    assert watch.bumped() == {"summits"}  # whose seats: unknown, so every personal feed


def test_bulk_statements_bump_every_feed_unless_quiet(make_call):
    make_call()
    watch = Watch()
    db.session.execute(update(Call).values(duration_minutes=90))
    db.session.commit()
    assert watch.bumped() == {"all"}


def test_raw_sql_needs_marking(make_call):
    call = make_call()
    watch = Watch()
    db.session.execute(text("UPDATE calls SET agenda = 'x' WHERE id = :id"), {"id": call.id})
    mark_feeds_changed(db.session)
    db.session.commit()
    assert watch.bumped() == {"all"}


def test_rollback_keeps_the_stamps_and_a_savepoint_keeps_what_came_before(make_call):
    call = make_call()
    watch = Watch()
    call.title = "Not saved"
    db.session.flush()
    db.session.rollback()
    db.session.commit()  # nothing at all
    assert watch.bumped() == set()
    call = db.session.get(Call, call.id)
    call.agenda = "Saved"
    db.session.flush()
    with db.session.begin_nested() as savepoint:
        call.title = "Rolled back"
        db.session.flush()
        savepoint.rollback()
    db.session.commit()
    assert "calls" in watch.bumped()


def test_stamps_are_written_by_the_outer_commit_not_a_savepoint(make_call, count_queries):
    """Written once, in one statement, at the end: row locks in one order, held briefly."""
    call = make_call()
    watch = Watch()
    with count_queries() as q:
        call.agenda = "Changed"
        with db.session.begin_nested():
            call.title = "Changed too"
        assert pending_scopes(db.session) >= {"calls"}
        db.session.commit()
    writes = [s for s in q.statements if "feed_stamps" in s]
    assert len(writes) == 1
    assert q.statements.index(writes[0]) > max(
        i for i, s in enumerate(q.statements) if "SAVEPOINT" in s
    )
    assert watch.bumped() == {"public", "calls", f"partner:{call.host_organisation_id}"}


def test_an_unclassified_table_bumps_everything(app, make_call, monkeypatch):
    from convene.calendar import feed_tables

    call = make_call()
    monkeypatch.delitem(feed_tables.SHOWN, "calls")
    watch = Watch()
    call = db.session.get(Call, call.id)
    call.agenda = "Changed"
    db.session.commit()
    assert watch.bumped() == {"all"}


@pytest.mark.postgres_only
def test_concurrent_writers_all_commit_and_each_bumps(app, make_call):
    """Many transactions changing calls at once (each bumping public, calls and a partner,
    in one order): none deadlocks or fails, and the stamps move."""
    calls = [make_call(day=utcnow().date() + timedelta(days=i + 1)) for i in range(6)]
    ids = [c.id for c in calls]
    watch = Watch()
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
    assert {"public", "calls"} <= watch.bumped()
    assert all(db.session.get(Call, i).revision == 1 for i in ids)
