"""Recording a change: `record_action` writes the action and has it told.

Every domain flow that changes something people rely on calls `record_action` once per
change, after making it and in the same transaction. The action is flushed and handed to
the dispatcher at once, so the mail it causes is in the outbox with the change (sent only
if the change commits), and its audience is read while the change is fresh (a merged
topic's supporters, say, before anything else moves them).
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.dispatch import dispatch
from convene.notifications.who_hears_what import TABLE
from convene.types import utcnow

# The subject columns, by the table of the object passed.
_SUBJECT_COLUMNS = {
    "calls": "call_id",
    "topics": "topic_id",
    "summits": "summit_id",
    "summit_registrations": "registration_id",
    "summit_social_sessions": "social_session_id",
    "summit_agenda_items": "agenda_item_id",
    "visits": "visit_id",
    "applications": "application_id",
}

# Topics build on calls, not the other way round: a call's topic is read by table name.
_topics = sa.table("topics", sa.column("id", sa.Integer), sa.column("call_id", sa.Integer))


def plain(value):
    """A value as JSON can hold it: instants and dates in ISO 8601, enums by value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def signed_in_member() -> Member | None:
    """The member signed in for the current request, if any (None in a command)."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, Member) and user.is_authenticated else None


def record_action(
    kind: ActionKind,
    actor: Member | None,
    *subjects,
    member: Member | None = None,
    former_member: Member | None = None,
    application_id: int | None = None,
    private: dict | None = None,
    before: dict | None = None,
    after: dict | None = None,
    **details,
) -> Action:
    """Record one change and queue the mail the who-hears-what table gives it.

    `subjects` are the objects it is about (a call, topic, summit, registration, social
    session or agenda item); a registration, session or agenda item also files it under its
    summit, and a call under the topic it has now (an application may be passed as a subject
    or by `application_id`). `actor` None means whoever is signed in for this request, else
    the system (a command, the demo). `private` goes to the mail only, never into the record:
    a one-time link's secret (`{"links": {"status": url}}` makes the mail's `links.status`).
    """
    action = Action(
        kind=ActionKind(kind),
        actor=actor if actor is not None else signed_in_member(),
        happened_at=utcnow(),
        member=member,
        former_member=former_member,
        application_id=application_id,
        before=plain(before or {}),
        after=plain(after or {}),
        details=plain(details),
    )
    subjects = [s for s in subjects if s is not None]
    with db.session.no_autoflush:  # a flush would let a cancelled call drop its topic first
        calls = [s.id for s in subjects if s.__tablename__ == "calls"]
        if calls and not any(s.__tablename__ == "topics" for s in subjects):
            action.topic_id = db.session.scalar(
                sa.select(_topics.c.id).where(_topics.c.call_id == calls[0])
            )
    if any(s.id is None for s in subjects):
        db.session.flush()
    for subject in subjects:
        setattr(action, _SUBJECT_COLUMNS[subject.__tablename__], subject.id)
        summit_id = getattr(subject, "summit_id", None)
        if summit_id is not None and action.summit_id is None:
            action.summit_id = summit_id
    db.session.add(action)
    db.session.flush()
    dispatch(action, private)
    return action


def record_actions(kind: ActionKind, actor: Member | None, subjects: list[dict]) -> int:
    """Record many changes of one kind at once, each as its own action (`subjects` are
    their subject columns, `{"application_id": 7}`), in one statement.

    Only for kinds the who-hears-what table keeps for the history: it tells nobody, so there
    is nothing to dispatch (ValueError otherwise, so no notice can be skipped this way)."""
    if TABLE.get(ActionKind(kind)):
        raise ValueError(f"{kind} tells people: record it with record_action, one at a time")
    if not subjects:
        return 0
    actor = actor if actor is not None else signed_in_member()
    now = utcnow()
    rows = [
        {
            "kind": ActionKind(kind),
            "actor_id": actor.id if actor is not None else None,
            "happened_at": now,
            "before": {},
            "after": {},
            "details": {},
            "message_ids": [],
            **subject,
        }
        for subject in subjects
    ]
    db.session.execute(sa.insert(Action), rows)
    return len(rows)


def history_of(limit: int = 200, prefix: str | tuple = (), **subject) -> list[Action]:
    """The actions about one object, newest first: `history_of(call_id=3)`; several keys
    give the actions about any of them, and `prefix` narrows to kinds starting with it
    ("registration.", or a tuple of such)."""
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    kinds = [k for k in ActionKind if k.value.startswith(prefixes)] if prefixes else None
    conditions = [getattr(Action, column) == value for column, value in subject.items()]
    query = (
        sa.select(Action)
        .where(sa.or_(*conditions))
        .order_by(Action.happened_at.desc(), Action.id.desc())
        .limit(limit)
        .options(selectinload(Action.actor), selectinload(Action.member))
    )
    if kinds:
        query = query.where(Action.kind.in_(list(kinds)))
    return list(db.session.scalars(query))
