"""A host chooses the topic of a call; a held call holds its topic.

The call is locked before its topic changes, so two hosts choosing at once are served one
after the other; the unique `topics.call_id` keeps one topic per call in any case.
"""

from flask import current_app
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from convene.accounts.models import Member
from convene.convenings.models import Call, CallStatus
from convene.convenings.rescheduling import lock_call
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.topics.errors import TopicError
from convene.topics.models import Topic, TopicStatus
from convene.urls import external_url


def topic_for_call(call_id: int, session: Session | None = None, lock: bool = False):
    stmt = select(Topic).where(Topic.call_id == call_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (session or db.session).scalar(stmt)


def call_page_url(call: Call, external: bool = False) -> str | None:
    """The call's page, once the calls pages exist in this app."""
    if "convenings.call" not in current_app.view_functions:
        return None
    if external:
        return external_url("convenings.call", call_id=call.id)
    from flask import url_for

    return url_for("convenings.call", call_id=call.id)


def _lock_call(call_id: int) -> Call:
    call = lock_call(call_id)
    if call is None:
        raise TopicError("That call does not exist.")
    return call


def _release(topic: Topic, call: Call) -> None:
    topic.status = TopicStatus.OPEN
    topic.call = None
    call.title = None
    call.bump_revision()


def schedule_topic(topic: Topic, call: Call, actor: Member | None = None) -> Topic:
    """Make `topic` the theme of `call`; a topic the call had before goes back to open.
    Recorded, which sends those coming the retitled call and tells the topic's supporters."""
    call = _lock_call(call.id)
    if call.status in (CallStatus.CANCELLED, CallStatus.HELD):
        raise TopicError(f"This call is {call.status.value}: choose a topic for an upcoming call.")
    current = topic_for_call(call.id, lock=True)
    if current is not None and current.id == topic.id:
        return current
    topic = db.session.scalar(
        select(Topic)
        .where(Topic.id == topic.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if topic is None or topic.status != TopicStatus.OPEN:
        status = topic.status.value if topic is not None else "gone"
        raise TopicError(f"Only open topics can be chosen; this one is {status}.")
    previous_title = call.title
    if current is not None:
        _release(current, call)
        db.session.flush()  # free the call before another topic takes it
        record_action(
            ActionKind.TOPIC_UNSCHEDULED, actor, current, call,
            before={"status": TopicStatus.SCHEDULED}, after={"status": current.status},
            replaced_by_id=topic.id, replaced_by=topic.title,
        )  # fmt: skip
    topic.status = TopicStatus.SCHEDULED
    topic.call = call
    call.title = topic.title
    call.bump_revision()
    db.session.flush()
    record_action(
        ActionKind.TOPIC_SCHEDULED, actor, topic, call,
        before={"status": TopicStatus.OPEN, "call_title": previous_title,
                "topic_id": current.id if current is not None else None},
        after={"status": topic.status, "call_title": call.title},
    )  # fmt: skip
    return topic


def unschedule_topic(call: Call, actor: Member | None = None) -> Topic:
    """Take the topic off the call: it is open again, with its votes."""
    call = _lock_call(call.id)
    topic = topic_for_call(call.id, lock=True)
    if topic is None:
        raise TopicError("This call has no topic.")
    if topic.status != TopicStatus.SCHEDULED:
        raise TopicError(f"The topic is {topic.status.value}: it stays with the call.")
    _release(topic, call)
    record_action(
        ActionKind.TOPIC_UNSCHEDULED, actor, topic, call,
        before={"status": TopicStatus.SCHEDULED, "call_title": topic.title},
        after={"status": topic.status, "call_title": call.title},
    )  # fmt: skip
    return topic


def mark_topic_held_for_call(call: Call, session: Session | None = None) -> Topic | None:
    """The call took place: its scheduled topic is held."""
    topic = topic_for_call(call.id, session=session)
    if topic is not None and topic.status == TopicStatus.SCHEDULED:
        topic.status = TopicStatus.HELD
    return topic


def release_topic_of_cancelled_call(call: Call, session: Session | None = None) -> Topic | None:
    """A cancelled call gives its topic back to the network, open with its votes."""
    topic = topic_for_call(call.id, session=session)
    if topic is not None and topic.status == TopicStatus.SCHEDULED:
        topic.status = TopicStatus.OPEN
        topic.call = None
    return topic


@event.listens_for(Session, "before_flush")
def _follow_call_status(session: Session, _flush_context, _instances) -> None:
    """Whoever changes a call's status (a page, a command, a test), its topic follows."""
    for obj in list(session.dirty):
        if not isinstance(obj, Call) or obj.id is None:
            continue
        if not inspect(obj).attrs.status.history.has_changes():
            continue
        with session.no_autoflush:
            if obj.status == CallStatus.HELD:
                mark_topic_held_for_call(obj, session)
            elif obj.status == CallStatus.CANCELLED:
                release_topic_of_cancelled_call(obj, session)
