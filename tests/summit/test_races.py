"""Real races: threads, each with its own app context, session and connection (PostgreSQL for
the big ones; SQLite serialises writers and is raced once too)."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.summit import sessions as session_rules
from convene.summit.models import (
    AgendaPick,
    Registration,
    RegistrationStatus,
    SessionSignup,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.summit.registration import RegistrationError, cancel, register
from convene.summit.sessions import join_session
from tests.summit.http_races import race_requests, racing_apps, status_codes


def _race(app, jobs):
    """Run every job at once (after a barrier), each in its own thread and app context."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []
    lock = threading.Lock()

    def run(job):
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                outcome = job()
                db.session.commit()
                with lock:
                    results.append(outcome)
            except Exception as exc:  # a refusal, or anything unexpected: the test reads it
                db.session.rollback()
                with lock:
                    errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread never finished"
    return results, errors


@pytest.fixture
def racing_app(make_app):
    # Fewer connections than threads: threads queue for one, so the race needs no more
    # connections than a shared PostgreSQL allows.
    return make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 0, "pool_timeout": 120}
    )


@pytest.mark.postgres_only
def test_100_concurrent_registrations_for_the_last_10_seats(
    app, racing_app, make_summit, make_member, make_org, make_registration
):
    summit = make_summit(capacity=30, delegation_limit=3)
    for _ in range(20):
        make_registration(summit, make_member())
    orgs = [make_org() for _ in range(50)]
    member_ids = [make_member(organisation=orgs[i % 50]).id for i in range(100)]
    summit_id = summit.id

    def job_for(member_id):
        def job():
            member = db.session.get(Member, member_id)
            return register(db.session.get(Summit, summit_id), member).status

        return job

    results, errors = _race(racing_app, [job_for(m) for m in member_ids])
    assert errors == []
    assert results.count(RegistrationStatus.CONFIRMED) == 10
    assert results.count(RegistrationStatus.WAITLISTED) == 90
    db.session.expire_all()
    confirmed = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.summit_id == summit_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    assert confirmed == 30


@pytest.mark.postgres_only
def test_concurrent_cancellations_promote_each_waitlisted_person_once(
    app, racing_app, make_summit, make_member, make_registration
):
    summit = make_summit(capacity=10, delegation_limit=3)
    holders = [make_registration(summit, make_member()) for _ in range(10)]
    waiting = [make_registration(summit, make_member(), status="waitlisted") for _ in range(15)]
    holder_ids = [r.id for r in holders]
    # Every holder cancelled by two racing requests at once (a double click, two tabs).
    jobs = []
    for registration_id in holder_ids * 2:

        def job(registration_id=registration_id):
            return [r.id for r in cancel(db.session.get(Registration, registration_id))]

        jobs.append(job)
    results, errors = _race(racing_app, jobs)
    assert len(results) == 10  # one cancellation per holder went through
    assert len(errors) == 10
    assert all(isinstance(e, RegistrationError) and "already cancelled" in str(e) for e in errors)
    promoted_ids = [i for promoted in results for i in promoted]
    assert len(promoted_ids) == len(set(promoted_ids)) == 10
    db.session.expire_all()
    statuses = {
        r.id: r.status
        for r in db.session.scalars(select(Registration).where(Registration.summit_id == summit.id))
    }
    assert sum(s == RegistrationStatus.CONFIRMED for s in statuses.values()) == 10
    assert sum(s == RegistrationStatus.WAITLISTED for s in statuses.values()) == 5
    emails = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject.like("A place opened up%"))
    ).all()
    assert len(emails) == len(set(emails)) == 10
    assert {w.id for w in waiting[:10]} == set(promoted_ids)


@pytest.mark.postgres_only
def test_concurrent_sign_ups_never_exceed_an_open_session(
    app, racing_app, make_summit, make_member, make_registration, make_session
):
    summit = make_summit(capacity=100)
    session = make_session(summit, capacity=5)
    member_ids = [make_registration(summit, make_member()).member_id for _ in range(30)]
    session_id = session.id

    def job_for(member_id):
        def job():
            return join_session(
                db.session.get(SocialSession, session_id), db.session.get(Member, member_id)
            ).status

        return job

    results, errors = _race(racing_app, [job_for(m) for m in member_ids])
    assert errors == []
    assert results.count(SignupStatus.SIGNED_UP) == 5
    db.session.expire_all()
    assert (
        db.session.scalar(
            select(func.count(SessionSignup.id)).where(
                SessionSignup.status == SignupStatus.SIGNED_UP
            )
        )
        == 5
    )


def test_concurrent_registrations_on_either_backend(
    app, racing_app, make_summit, make_member, make_org, make_registration
):
    """SQLite has no row locks: the summit lock's first write serialises writers instead."""
    summit = make_summit(capacity=8, delegation_limit=3)
    for _ in range(3):
        make_registration(summit, make_member())
    member_ids = [make_member(organisation=make_org()).id for _ in range(24)]
    summit_id = summit.id

    def job_for(member_id):
        def job():
            member = db.session.get(Member, member_id)
            return register(db.session.get(Summit, summit_id), member).status

        return job

    results, errors = _race(racing_app, [job_for(m) for m in member_ids])
    assert errors == []
    assert results.count(RegistrationStatus.CONFIRMED) == 5
    assert results.count(RegistrationStatus.WAITLISTED) == 19


# --- double submits over HTTP: no 500, and the state the person asked for ---------------------


def _picks(member_id: int, item_id: int) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(AgendaPick.id)).where(
            AgendaPick.member_id == member_id, AgendaPick.agenda_item_id == item_id
        )
    )


@pytest.mark.postgres_only
def test_six_simultaneous_picks_leave_one_pick_and_six_redirects(
    app, make_app, make_summit, make_member, make_registration, make_agenda_item
):
    summit = make_summit()
    member = make_member()
    make_registration(summit, member)
    item = make_agenda_item(summit, kind="breakout", title="Data inventories")
    apps = racing_apps(make_app, 3)
    url = f"/summit/{summit.slug}/agenda/{item.id}"

    answers = race_requests(apps, [(member, "POST", f"{url}/pick")] * 6)
    assert status_codes(answers) == [302] * 6
    assert _picks(member.id, item.id) == 1  # on, not flipped off by an even number of clicks

    answers = race_requests(apps, [(member, "POST", f"{url}/unpick")] * 6)
    assert status_codes(answers) == [302] * 6
    assert _picks(member.id, item.id) == 0


@pytest.mark.postgres_only
def test_joining_two_overlapping_sessions_at_once_leaves_one(
    monkeypatch, app, make_app, make_summit, make_member, make_registration, make_session
):
    """Each member clicks Join on a reception and a walking tour at the same hour (twice
    each, as a double click) and on a later dinner, all at the same moment.

    Each member has their own reception and tour, so that the sessions' own locks do not
    queue the members one after another; and the overlap check is slowed down, so that
    without a lock on the member both joins would pass it before either wrote its signup.
    """
    check = session_rules.overlapping_commitment

    def slow_check(*args, **kwargs):
        clash = check(*args, **kwargs)
        time.sleep(0.2)
        return clash

    monkeypatch.setattr(session_rules, "overlapping_commitment", slow_check)
    summit = make_summit(capacity=100)
    members = [make_member() for _ in range(5)]
    pairs = {}
    for m in members:
        make_registration(summit, m)
        pairs[m.id] = (
            make_session(summit, capacity=10, title=f"Reception {m.id}").id,
            make_session(summit, capacity=10, title=f"Walking tour {m.id}").id,  # same time
        )
    first = db.session.get(SocialSession, pairs[members[0].id][0])
    dinner = make_session(
        summit,
        capacity=100,
        title="Dinner",
        starts_at=first.ends_at,
        ends_at=first.ends_at + timedelta(hours=2),
    )
    url = f"/summit/{summit.slug}/sessions"
    requests = [
        (m, "POST", f"{url}/{session_id}/join")
        for m in members
        for session_id in (*pairs[m.id], *pairs[m.id], dinner.id)
    ]
    answers = race_requests(racing_apps(make_app, 4), requests)
    assert status_codes(answers) == [302] * len(requests)
    db.session.expire_all()
    held = {m.id: set() for m in members}
    for signup in db.session.scalars(select(SessionSignup)):
        held[signup.member_id].add(signup.session_id)
    for member_id, (reception_id, tour_id) in pairs.items():
        assert held[member_id] in ({reception_id, dinner.id}, {tour_id, dinner.id})


@pytest.mark.postgres_only
def test_cancelling_while_joining_leaves_no_place_behind(
    monkeypatch, app, make_app, make_summit, make_member, make_registration, make_session
):
    """Cancel the registration and join a session at one moment: the join waits for the
    cancel (and is refused) or the cancel waits for the join (and releases the place)."""
    check = session_rules.overlapping_commitment

    def slow_check(*args, **kwargs):
        clash = check(*args, **kwargs)
        time.sleep(0.2)
        return clash

    monkeypatch.setattr(session_rules, "overlapping_commitment", slow_check)
    summit = make_summit(capacity=100)
    requests = []
    for _ in range(4):
        member = make_member()
        registration = make_registration(summit, member)
        session = make_session(summit, capacity=10, title=f"Reception {member.id}")
        requests += [
            (member, "POST", f"/summit/{summit.slug}/registrations/{registration.id}/cancel"),
            (member, "POST", f"/summit/{summit.slug}/sessions/{session.id}/join"),
        ]
    answers = race_requests(racing_apps(make_app, 4), requests)
    assert status_codes(answers) == [302] * len(requests)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(SessionSignup.id))) == 0
    assert (
        db.session.scalar(
            select(func.count(Registration.id)).where(
                Registration.status == RegistrationStatus.CANCELLED
            )
        )
        == 4
    )


@pytest.mark.postgres_only
def test_leaving_twice_at_once_frees_one_place_once(
    app, make_app, make_summit, make_member, make_registration, make_session
):
    summit = make_summit(capacity=100)
    holder, *waiting = [make_member() for _ in range(3)]
    for m in (holder, *waiting):
        make_registration(summit, m)
    session = make_session(summit, capacity=1)
    for m in (holder, *waiting):
        join_session(session, m)
        db.session.commit()
    url = f"/summit/{summit.slug}/sessions/{session.id}/leave"
    confirmed = {"confirm_loss": "yes"}  # past the warning that others are waiting
    answers = race_requests(racing_apps(make_app, 2), [(holder, "POST", url, confirmed)] * 4)
    assert status_codes(answers) == [302] * 4
    db.session.expire_all()
    signups = {
        s.member_id: s.status
        for s in db.session.scalars(
            select(SessionSignup).where(SessionSignup.session_id == session.id)
        )
    }
    assert signups == {
        waiting[0].id: SignupStatus.SIGNED_UP,
        waiting[1].id: SignupStatus.WAITLISTED,
    }
