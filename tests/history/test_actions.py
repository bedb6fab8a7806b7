"""Recording actions: what an action is about, who made it, and what it was before."""

from datetime import timedelta

from sqlalchemy import select

from convene.convenings import rescheduling
from convene.extensions import db
from convene.history.actions import history_of, plain, record_action
from convene.history.models import Action, ActionKind
from convene.summit.registration import register
from convene.topics.models import Topic, TopicStatus


def _only(kind: ActionKind) -> Action:
    (action,) = db.session.scalars(select(Action).where(Action.kind == kind)).all()
    return action


def test_a_move_records_who_when_and_the_time_before_and_after(make_call, make_member):
    call = make_call()
    host = make_member("host")
    was = call.starts_at
    rescheduling.move_call(call, was + timedelta(days=7), 90, actor=host)
    db.session.commit()
    action = _only(ActionKind.CALL_MOVED)
    assert (action.actor_id, action.call_id) == (host.id, call.id)
    assert action.before == {"starts_at": was.isoformat(), "duration_minutes": 60}
    assert action.after["starts_at"] == (was + timedelta(days=7)).isoformat()
    assert action.after["duration_minutes"] == 90 and action.after["status"] == "moved"
    assert action.happened_at.tzinfo is not None


def test_a_call_action_is_filed_under_its_topic_even_when_cancelling_frees_it(
    make_call, make_member
):
    call = make_call()
    topic = Topic(title="Open budgets", proposer=make_member(), status=TopicStatus.SCHEDULED)
    topic.call = call
    db.session.add(topic)
    db.session.commit()
    rescheduling.cancel_call(call, "Holiday")
    db.session.commit()
    action = _only(ActionKind.CALL_CANCELLED)
    assert action.topic_id == topic.id  # read before the flush released the topic
    assert db.session.get(Topic, topic.id).status == TopicStatus.OPEN
    assert action.actor_id is None  # no one signed in: the system
    assert action.after == {"status": "cancelled", "reason": "Holiday"}


def test_a_registration_is_filed_under_its_summit_and_member(make_summit, make_member):
    summit, member = make_summit(), make_member()
    registration = register(summit, member)
    db.session.commit()
    action = _only(ActionKind.REGISTRATION_CONFIRMED)
    assert (action.registration_id, action.summit_id, action.member_id) == (
        registration.id,
        summit.id,
        member.id,
    )
    assert history_of(summit_id=summit.id) == [action]
    assert history_of(summit_id=summit.id, prefix="call.") == []
    assert len(action.message_ids) == 1  # the confirmation it queued


def test_the_actor_is_whoever_is_signed_in_when_a_flow_names_none(
    make_call, make_member, client_for
):
    call = make_call()
    host = make_member("host", organisation=call.host_organisation)
    response = client_for(host).post(f"/calls/{call.id}/cancel", data={"reason": "Holiday"})
    assert response.status_code == 302
    assert _only(ActionKind.CALL_CANCELLED).actor_id == host.id


def test_values_are_stored_as_plain_json():
    from datetime import UTC, date, datetime

    assert plain(
        {"at": datetime(2027, 4, 12, 9, tzinfo=UTC), "on": date(2027, 4, 12), "s": {1}}
    ) == {"at": "2027-04-12T09:00:00+00:00", "on": "2027-04-12", "s": [1]}
    assert plain(ActionKind.CALL_MOVED) == "call.moved"


def test_a_kind_with_no_audience_is_recorded_and_sends_nothing(make_call):
    call = make_call()
    action = record_action(ActionKind.CALL_HELD, None, call)
    db.session.commit()
    assert action.message_ids == [] and action.call_id == call.id
