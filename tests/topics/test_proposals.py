import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.topics.errors import TopicError
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.topics.proposals import (
    decline_topic,
    edit_topic,
    merge_topics,
    propose_topic,
    similar_topics,
)
from convene.topics.ranking import support_for


def test_propose_cleans_the_title(make_member):
    topic = propose_topic(make_member(), "  Open   data policy ", "Why **now**", True)
    db.session.commit()
    assert topic.title == "Open data policy"
    assert topic.status == TopicStatus.OPEN and topic.will_share_experience


@pytest.mark.parametrize("title", ["", "   ", "ab", "x" * 500])
def test_bad_titles_are_refused_and_nothing_is_written(make_member, title):
    member = make_member()
    with pytest.raises(TopicError):
        propose_topic(member, title)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Topic.id))) == 0


def test_a_deactivated_member_cannot_propose(make_member):
    member = make_member(active=False)
    with pytest.raises(TopicError):
        propose_topic(member, "Open data policy")


def test_editing_stops_once_scheduled(make_topic, make_call):
    topic = make_topic("Open data")
    edit_topic(topic, "Open data policy", "More", False)
    db.session.commit()
    assert topic.title == "Open data policy"
    topic.status, topic.call = TopicStatus.SCHEDULED, make_call()
    db.session.commit()
    with pytest.raises(TopicError, match="no longer be edited"):
        edit_topic(topic, "Something else", "", False)


def test_decline_needs_a_reason(make_topic):
    topic = make_topic()
    with pytest.raises(TopicError, match="reason"):
        decline_topic(topic, "   ")
    db.session.rollback()
    decline_topic(topic, "Covered at the summit")
    db.session.commit()
    assert topic.status == TopicStatus.DECLINED
    assert topic.decline_reason == "Covered at the summit"


def test_merge_moves_votes_and_counts_double_supporters_once(make_member, make_topic, add_votes):
    survivor, duplicate = make_topic("Open data policy"), make_topic("Open-data policies")
    both, only_dup, only_survivor = make_member(), make_member(), make_member()
    add_votes(survivor, both, only_survivor)
    add_votes(duplicate, both, only_dup)
    moved = merge_topics(duplicate, survivor)
    db.session.commit()
    assert moved == 1
    duplicate = db.session.get(Topic, duplicate.id)
    assert duplicate.status == TopicStatus.MERGED and duplicate.merged_into_id == survivor.id
    assert support_for([survivor.id])[survivor.id].votes == 3
    voters = set(
        db.session.scalars(select(TopicVote.member_id).where(TopicVote.topic_id == survivor.id))
    )
    assert voters == {both.id, only_dup.id, only_survivor.id}
    assert db.session.scalar(select(func.count()).where(TopicVote.topic_id == duplicate.id)) == 0


def test_merge_refuses_itself_and_closed_targets(make_topic):
    topic = make_topic()
    declined = make_topic(status=TopicStatus.DECLINED, decline_reason="No")
    with pytest.raises(TopicError):
        merge_topics(topic, topic)
    with pytest.raises(TopicError, match="declined"):
        merge_topics(topic, declined)
    db.session.rollback()
    assert db.session.get(Topic, topic.id).status == TopicStatus.OPEN


def test_similar_topics_skip_merged_ones(make_topic):
    kept = make_topic("Open-data policies")
    make_topic("Open data policies", status=TopicStatus.MERGED, merged_into=kept)
    found = similar_topics("open data policy")
    assert [(m.id, status) for m, status in found] == [(kept.id, TopicStatus.OPEN)]
