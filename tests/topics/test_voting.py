import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from convene.extensions import db
from convene.topics.errors import TopicError
from convene.topics.models import TopicStatus, TopicVote
from convene.topics.voting import (
    open_votes_used,
    set_vote_budget,
    support_topic,
    vote_budget,
    withdraw_support,
)


def votes_on(topic) -> int:
    return db.session.scalar(select(func.count()).where(TopicVote.topic_id == topic.id))


def test_support_and_withdraw_are_idempotent(make_member, make_topic):
    member, topic = make_member(), make_topic()
    assert support_topic(member, topic.id).changed is True
    db.session.commit()
    again = support_topic(member, topic.id)
    db.session.commit()
    assert (again.supported, again.changed) == (True, False)
    assert votes_on(topic) == 1
    assert withdraw_support(member, topic.id).changed is True
    db.session.commit()
    again = withdraw_support(member, topic.id)
    db.session.commit()
    assert (again.supported, again.changed) == (False, False)
    assert votes_on(topic) == 0


def test_the_database_refuses_a_second_vote(make_member, make_topic):
    member, topic = make_member(), make_topic()
    db.session.add(TopicVote(topic_id=topic.id, member_id=member.id))
    db.session.commit()
    db.session.add(TopicVote(topic_id=topic.id, member_id=member.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_budget_defaults_to_five_and_holds(make_member, make_topic):
    member = make_member()
    topics = [make_topic() for _ in range(6)]
    assert vote_budget() == 5
    for topic in topics[:5]:
        support_topic(member, topic.id)
    db.session.commit()
    with pytest.raises(TopicError, match="used all 5 of your votes"):
        support_topic(member, topics[5].id)
    db.session.rollback()
    assert votes_on(topics[5]) == 0
    assert open_votes_used(member.id) == 5


def test_votes_on_closed_topics_return_to_the_budget(make_member, make_topic):
    set_vote_budget(2)
    db.session.commit()
    member = make_member()
    first, second, third = make_topic(), make_topic(), make_topic()
    support_topic(member, first.id)
    support_topic(member, second.id)
    db.session.commit()
    with pytest.raises(TopicError):
        support_topic(member, third.id)
    db.session.rollback()
    first.status = TopicStatus.DECLINED
    first.decline_reason = "Covered elsewhere"
    db.session.commit()
    assert open_votes_used(member.id) == 1
    assert support_topic(member, third.id).changed
    db.session.commit()


def test_budget_range_is_checked(app):
    with pytest.raises(TopicError):
        set_vote_budget(0)
    with pytest.raises(TopicError):
        set_vote_budget(51)
    set_vote_budget(7)
    db.session.commit()
    assert vote_budget() == 7


def test_merged_topic_takes_no_vote(make_member, make_topic):
    survivor = make_topic("Open data policy")
    merged = make_topic("Open-data policies", status=TopicStatus.MERGED, merged_into=survivor)
    with pytest.raises(TopicError, match="merged into “Open data policy”"):
        support_topic(make_member(), merged.id)
    db.session.rollback()
    assert votes_on(merged) == 0


def test_deactivated_member_cannot_vote(make_member, make_topic):
    member, topic = make_member(), make_topic()
    member.active = False
    db.session.commit()
    with pytest.raises(TopicError, match="deactivated"):
        support_topic(member, topic.id)
    db.session.rollback()
    assert votes_on(topic) == 0


def test_withdrawing_from_a_scheduled_topic_is_refused(make_member, make_topic, make_call):
    member = make_member()
    topic = make_topic()
    support_topic(member, topic.id)
    topic.status, topic.call = TopicStatus.SCHEDULED, make_call()
    db.session.commit()
    with pytest.raises(TopicError, match="no longer takes votes"):
        withdraw_support(member, topic.id)
    db.session.rollback()
    assert votes_on(topic) == 1
