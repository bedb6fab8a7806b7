"""Real races on PostgreSQL: answers to one request sent at the same moment (exactly one
counts, the others get a 409 and change nothing), and approvals that together would spend
more than the year's travel budget (the budget row's lock lets only what fits through)."""

import threading
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from convene.visits import budget as budgets
from convene.visits import requests as request_rules
from convene.visits.models import ProgrammeBudget, Visit, VisitStatus
from tests.summit.http_races import race_requests, racing_apps, status_codes
from tests.visits.request_world import world_fixture  # noqa: F401  (the `world` fixture)

pytestmark = pytest.mark.postgres_only

ANSWERS = (
    ActionKind.VISIT_ACCEPTED,
    ActionKind.VISIT_DECLINED,
    ActionKind.VISIT_DATES_PROPOSED,
)


@pytest.fixture
def slow_record(monkeypatch):
    """Each step holds its lock a little longer (recording is the last thing it does), so
    the racing requests surely meet at the lock rather than one after the other."""
    real = request_rules.record_action

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(request_rules, "record_action", slow)


def _answer_actions(visit_id: int) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action).where(Action.visit_id == visit_id, Action.kind.in_(ANSWERS))
        )
    )


def test_answers_sent_at_once_count_once(world, make_app, slow_record):
    """The host city's champion in two tabs (accept, propose other dates) and an admin
    (decline), at the same moment: one answer wins, the others are told and change nothing."""
    visit = world.ask()
    first = date.today() + timedelta(days=60)
    url = f"/visits/{visit.id}/answer"
    requests = [
        (world.host_champion, "POST", url, {"answer": "accept"}),
        (world.host_champion, "POST", url,
         {"answer": "propose", "starts_on": first.isoformat(), "ends_on": first.isoformat()}),
        (world.admin, "POST", url, {"answer": "decline", "reason": "Not this year."}),
    ]  # fmt: skip
    answers = race_requests(racing_apps(make_app, 3), requests)
    codes = status_codes(answers)
    assert sorted(codes) == [302, 409, 409], codes
    for answer in answers:
        if answer.status == 409:
            assert "Nothing was changed: it has already been" in answer.body or (
                "the host city has already proposed other dates" in answer.body
            )
    db.session.expire_all()
    (action,) = _answer_actions(visit.id)  # one answer recorded, one mail sent for it
    winner = codes.index(302)
    expected = [VisitStatus.ACCEPTED, VisitStatus.DATES_PROPOSED, VisitStatus.DECLINED][winner]
    assert db.session.get(Visit, visit.id).status == expected
    told = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == world.asking_champion.email
        )
    )
    assert told == 1 and len(action.message_ids) == 1


def _accepted_visits(world, count: int) -> list[Visit]:
    visits = []
    for _ in range(count):
        host = world.make_org()
        champion = world.make_member("champion", organisation=host)
        visit = world.ask(host=host)
        request_rules.answer_request(champion, visit.id, "accept")
        db.session.commit()
        visits.append(visit)
    return visits


def test_two_approvals_that_together_overspend_let_one_through(world, make_app, slow_record):
    first, second = _accepted_visits(world, 2)
    year = first.year
    db.session.add(ProgrammeBudget(year=year, amount_cents=500_000))
    db.session.commit()
    other_admin = world.make_member("admin")
    requests = [
        (world.admin, "POST", f"/visits/{first.id}/approve", {"travel_budget": "3000"}),
        (other_admin, "POST", f"/visits/{second.id}/approve", {"travel_budget": "3000"}),
    ]
    answers = race_requests(racing_apps(make_app, 2), requests)
    codes = status_codes(answers)
    assert sorted(codes) == [302, 409], codes
    loser = answers[codes.index(409)]
    assert "$3,000 is more than what is left of the" in loser.body
    assert "$2,000 of $5,000." in loser.body
    db.session.expire_all()
    assert budgets.spent_cents(year) == 300_000
    statuses = sorted(db.session.get(Visit, v.id).status for v in (first, second))
    assert statuses == sorted([VisitStatus.APPROVED, VisitStatus.ACCEPTED])


def test_many_approvals_at_once_never_overspend(world, make_app):
    """Ten approvals of $1,000 each against $4,500 left: four go through, whatever the order."""
    visits = _accepted_visits(world, 10)
    year = visits[0].year
    db.session.add(ProgrammeBudget(year=year, amount_cents=450_000))
    db.session.commit()
    admin_id, ids = world.admin.id, [v.id for v in visits]
    app = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 0, "pool_timeout": 120}
    )
    barrier = threading.Barrier(len(ids))
    outcomes: list = []
    lock = threading.Lock()

    def approve(visit_id):
        from convene.accounts.models import Member

        with app.app_context():
            try:
                barrier.wait(timeout=60)
                admin = db.session.get(Member, admin_id)
                request_rules.approve_visit(admin, visit_id, 100_000)
                db.session.commit()
                outcome = "approved"
            except request_rules.VisitConflict as exc:
                db.session.rollback()
                outcome = str(exc)
            except Exception as exc:  # anything else fails the test below
                db.session.rollback()
                outcome = repr(exc)
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert outcomes.count("approved") == 4, outcomes
    refused = [o for o in outcomes if o != "approved"]
    assert all("is more than what is left" in o for o in refused), refused
    db.session.expire_all()
    assert budgets.spent_cents(year) == 400_000
    approved = db.session.scalar(
        select(func.count(Visit.id)).where(Visit.status == VisitStatus.APPROVED)
    )
    assert approved == 4
