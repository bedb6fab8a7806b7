from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from convene.convenings.models import CallStatus
from convene.extensions import db
from convene.notifications.outbox import deliver_pending
from convene.topics.errors import TopicError
from convene.topics.models import Topic, TopicStatus
from convene.topics.scheduling import (
    mark_topic_held_for_call,
    schedule_topic,
    topic_for_call,
    unschedule_topic,
)
from convene.topics.voting import open_votes_used
from tests.conftest import body_of


def test_scheduling_titles_the_call_and_mails_supporters(
    make_member, make_topic, make_call, add_votes, make_app, smtp
):
    proposer = make_member(name="Paula Proposer")
    topic = make_topic("Open data policy", proposer=proposer, will_share_experience=True)
    voters = [make_member(), make_member()]
    gone = make_member()
    add_votes(topic, *voters, gone)
    gone.active = False
    db.session.commit()
    call = make_call()
    schedule_topic(topic, call)
    db.session.commit()
    assert topic.status == TopicStatus.SCHEDULED and topic.call_id == call.id
    assert call.title == "Open data policy" and call.revision == 1
    assert open_votes_used(voters[0].id) == 0  # the vote is back in the budget
    assert deliver_pending() == (3, 0)
    messages = smtp.wait_for(3)
    recipients = sorted(m["To"] for m in messages)
    assert recipients == sorted([proposer.email] + [v.email for v in voters])
    day = call.starts_at.astimezone(ZoneInfo("America/New_York"))
    for message in messages:
        assert message["Subject"].startswith("Your topic is on the call on ")
        assert f"{day:%-d %b %Y}" in message["Subject"]
    proposer_mail = next(m for m in messages if m["To"] == proposer.email)
    assert "The topic you proposed" in body_of(proposer_mail)
    assert "http://convene.test/topics/" in body_of(proposer_mail)


def test_choosing_another_topic_puts_the_first_back(make_topic, make_call):
    first, second = make_topic("First"), make_topic("Second")
    call = make_call()
    schedule_topic(first, call)
    db.session.commit()
    schedule_topic(second, call)
    db.session.commit()
    assert db.session.get(Topic, first.id).status == TopicStatus.OPEN
    assert topic_for_call(call.id).id == second.id
    assert call.title == "Second" and call.revision == 3


def test_unscheduling_reopens_the_topic_with_its_votes(
    make_member, make_topic, make_call, add_votes
):
    topic = make_topic()
    voter = make_member()
    add_votes(topic, voter)
    call = make_call()
    schedule_topic(topic, call)
    db.session.commit()
    unschedule_topic(call)
    db.session.commit()
    assert topic.status == TopicStatus.OPEN and topic.call_id is None
    assert call.title is None and call.revision == 2
    assert open_votes_used(voter.id) == 1


def test_only_open_topics_on_upcoming_calls(make_topic, make_call):
    declined = make_topic(status=TopicStatus.DECLINED, decline_reason="No")
    with pytest.raises(TopicError, match="Only open topics"):
        schedule_topic(declined, make_call())
    db.session.rollback()
    cancelled = make_call(status=CallStatus.CANCELLED)
    with pytest.raises(TopicError, match="cancelled"):
        schedule_topic(make_topic(), cancelled)
    db.session.rollback()
    assert cancelled.title is None


def test_one_topic_per_call_in_the_database(make_topic, make_call):
    call = make_call()
    make_topic(status=TopicStatus.SCHEDULED, call=call)
    db.session.add(Topic(title="Other", proposer=db.session.get(Topic, 1).proposer,
                         status=TopicStatus.SCHEDULED, call=call))  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_held_call_holds_its_topic_whoever_holds_it(make_topic, make_call):
    topic = make_topic()
    call = make_call()
    schedule_topic(topic, call)
    db.session.commit()
    call.status = CallStatus.HELD  # as the calls pages would do it
    db.session.commit()
    assert db.session.get(Topic, topic.id).status == TopicStatus.HELD


def test_mark_topic_held_for_call_directly(make_topic, make_call):
    call = make_call()
    topic = make_topic(status=TopicStatus.SCHEDULED, call=call)
    assert mark_topic_held_for_call(call) is topic
    assert topic.status == TopicStatus.HELD


def test_a_cancelled_call_gives_its_topic_back(make_topic, make_call):
    topic = make_topic()
    call = make_call()
    schedule_topic(topic, call)
    db.session.commit()
    call.status = CallStatus.CANCELLED
    db.session.commit()
    topic = db.session.get(Topic, topic.id)
    assert topic.status == TopicStatus.OPEN and topic.call_id is None
