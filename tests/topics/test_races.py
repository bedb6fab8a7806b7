"""Real races on PostgreSQL: many threads, each with its own app context and connection."""

import threading

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member
from convene.extensions import db
from convene.topics.errors import TopicError
from convene.topics.models import TopicVote
from convene.topics.voting import support_topic

pytestmark = pytest.mark.postgres_only


def race(app, jobs: list[tuple[int, int]]) -> dict:
    """Run support_topic(member, topic) for every (member_id, topic_id) at the same moment."""
    barrier = threading.Barrier(len(jobs))
    results = {"changed": 0, "unchanged": 0, "refused": 0, "crashed": []}
    lock = threading.Lock()

    def work(member_id: int, topic_id: int):
        with app.app_context():
            try:
                member = db.session.get(Member, member_id)
                barrier.wait(timeout=10)
                outcome = support_topic(member, topic_id)
                db.session.commit()
                key = "changed" if outcome.changed else "unchanged"
            except TopicError:
                db.session.rollback()
                key = "refused"
            except Exception as exc:  # recorded: the test fails on any crash
                db.session.rollback()
                with lock:
                    results["crashed"].append(repr(exc))
                return
            finally:
                db.session.remove()
            with lock:
                results[key] += 1

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def count_votes(**where) -> int:
    stmt = select(func.count(TopicVote.id))
    for column, value in where.items():
        stmt = stmt.where(getattr(TopicVote, column) == value)
    return db.session.scalar(stmt)


def test_fifty_members_vote_on_one_topic_at_once(app, make_member, make_topic):
    topic = make_topic()
    members = [make_member() for _ in range(50)]
    results = race(app, [(m.id, topic.id) for m in members])
    assert results["crashed"] == []
    assert results["changed"] == 50
    assert count_votes(topic_id=topic.id) == 50


def test_one_member_sending_ten_votes_at_once_counts_once(app, make_member, make_topic):
    topic, member = make_topic(), make_member()
    results = race(app, [(member.id, topic.id)] * 10)
    assert results["crashed"] == []
    assert (results["changed"], results["unchanged"]) == (1, 9)
    assert count_votes(topic_id=topic.id, member_id=member.id) == 1


def test_the_budget_holds_under_the_same_race(app, make_member, make_topic):
    member = make_member()
    topics = [make_topic() for _ in range(10)]
    results = race(app, [(member.id, t.id) for t in topics])
    assert results["crashed"] == []
    assert (results["changed"], results["refused"]) == (5, 5)
    assert count_votes(member_id=member.id) == 5


def test_hosts_choosing_at_once_leave_one_topic_on_the_call(app, make_topic, make_call):
    from convene.convenings.models import Call
    from convene.topics.models import Topic, TopicStatus
    from convene.topics.scheduling import schedule_topic

    call = make_call()
    topics = [make_topic(f"Topic {i}") for i in range(8)]
    barrier = threading.Barrier(len(topics))
    crashed = []

    def choose(topic_id: int):
        with app.app_context():
            try:
                topic, target = db.session.get(Topic, topic_id), db.session.get(Call, call.id)
                barrier.wait(timeout=10)
                schedule_topic(topic, target)
                db.session.commit()
            except Exception as exc:  # recorded: the test fails on any crash
                db.session.rollback()
                crashed.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=choose, args=(t.id,)) for t in topics]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert crashed == []
    db.session.expire_all()
    scheduled = db.session.scalars(select(Topic).where(Topic.status == TopicStatus.SCHEDULED)).all()
    assert len(scheduled) == 1 and scheduled[0].call_id == call.id
    assert db.session.get(Call, call.id).title == scheduled[0].title
    assert db.session.get(Call, call.id).revision == 1 + 2 * (len(topics) - 1)
