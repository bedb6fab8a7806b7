"""Proposing, editing, declining and merging topics."""

from sqlalchemy import delete, select, update

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.text import render_markdown
from convene.topics.errors import TopicError
from convene.topics.models import TITLE_MAX, Topic, TopicStatus, TopicVote
from convene.topics.similarity import Match, most_similar

DESCRIPTION_MAX = 10_000
REASON_MAX = 300


def clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if len(title) < 3:
        raise TopicError("Give the topic a title of at least 3 characters.")
    if len(title) > TITLE_MAX:
        raise TopicError(
            f"Keep the title to {TITLE_MAX} characters (it has {len(title)}); "
            "the details go in the description."
        )
    return title


def clean_description(description: str | None) -> str | None:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise TopicError(f"Keep the description to {DESCRIPTION_MAX:,} characters.")
    # Stored as written; rendered through the sanitising Markdown filter. Checked here so
    # that text which renders to nothing is not kept as a description.
    if description and not str(render_markdown(description)).strip():
        return None
    return description or None


def similar_topics(title: str, exclude_id: int | None = None, limit: int = 5) -> list[tuple]:
    """(Match, status) for existing topics (not merged ones) whose titles are close."""
    rows = db.session.execute(
        select(Topic.id, Topic.title, Topic.status).where(Topic.status != TopicStatus.MERGED)
    ).all()
    status = {row.id: row.status for row in rows}
    candidates = [(row.id, row.title) for row in rows if row.id != exclude_id]
    matches: list[Match] = most_similar(title, candidates, limit=limit)
    return [(m, status[m.id]) for m in matches]


def propose_topic(
    member: Member, title: str, description: str | None = None, will_share_experience=False
) -> Topic:
    if not member.active:
        raise TopicError("This account is deactivated: it cannot propose topics.")
    topic = Topic(
        title=clean_title(title),
        description=clean_description(description),
        will_share_experience=bool(will_share_experience),
        proposer=member,
        status=TopicStatus.OPEN,
    )
    db.session.add(topic)
    db.session.flush()
    return topic


def edit_topic(topic: Topic, title: str, description: str | None, will_share_experience) -> Topic:
    if topic.status != TopicStatus.OPEN:
        raise TopicError(f"This topic is {topic.status.value}: it can no longer be edited.")
    topic.title = clean_title(title)
    topic.description = clean_description(description)
    topic.will_share_experience = bool(will_share_experience)
    return topic


def _lock_topics(*topic_ids: int) -> dict[int, Topic]:
    """Lock topics in id order, so that two merges never wait on each other in a circle."""
    topics = db.session.scalars(
        select(Topic)
        .where(Topic.id.in_(topic_ids))
        .order_by(Topic.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {t.id: t for t in topics}


def decline_topic(topic: Topic, reason: str | None, actor: Member | None = None) -> Topic:
    """Decline an open topic with a reason, which its proposer and supporters are sent."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise TopicError("Give a reason: the proposer and voters will read it.")
    if len(reason) > REASON_MAX:
        raise TopicError(f"Keep the reason to {REASON_MAX} characters.")
    topic = _lock_topics(topic.id)[topic.id]
    if topic.status != TopicStatus.OPEN:
        raise TopicError(f"Only open topics can be declined; this one is {topic.status.value}.")
    topic.status = TopicStatus.DECLINED
    topic.decline_reason = reason
    record_action(
        ActionKind.TOPIC_DECLINED, actor, topic,
        before={"status": TopicStatus.OPEN}, after={"status": topic.status, "reason": reason},
    )  # fmt: skip
    return topic


def merge_topics(duplicate: Topic, survivor: Topic, actor: Member | None = None) -> int:
    """Fold a duplicate into a surviving topic; returns how many votes moved.

    A member who supported both keeps one vote, on the survivor. The action keeps who
    supported the duplicate (their votes move), so they can be told where it went.
    """
    if duplicate.id == survivor.id:
        raise TopicError("A topic cannot be merged into itself.")
    locked = _lock_topics(duplicate.id, survivor.id)
    duplicate, survivor = locked[duplicate.id], locked[survivor.id]
    if duplicate.status != TopicStatus.OPEN:
        raise TopicError(f"Only open topics can be merged; this one is {duplicate.status.value}.")
    if survivor.status not in (TopicStatus.OPEN, TopicStatus.SCHEDULED):
        raise TopicError(
            f"“{survivor.title}” is {survivor.status.value}: merge into an open or scheduled topic."
        )
    supporter_ids = list(
        db.session.scalars(
            select(TopicVote.member_id)
            .where(TopicVote.topic_id == duplicate.id)
            .order_by(TopicVote.member_id)
        )
    )
    both = select(TopicVote.member_id).where(TopicVote.topic_id == survivor.id)
    db.session.execute(
        delete(TopicVote)
        .where(TopicVote.topic_id == duplicate.id, TopicVote.member_id.in_(both))
        .execution_options(synchronize_session=False)
    )
    moved = db.session.execute(
        update(TopicVote)
        .where(TopicVote.topic_id == duplicate.id)
        .values(topic_id=survivor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Topics merged earlier into the duplicate now point at the survivor directly.
    db.session.execute(
        update(Topic)
        .where(Topic.merged_into_id == duplicate.id)
        .values(merged_into_id=survivor.id)
        .execution_options(synchronize_session=False)
    )
    duplicate.status = TopicStatus.MERGED
    duplicate.merged_into = survivor
    db.session.flush()
    db.session.expire_all()
    record_action(
        ActionKind.TOPIC_MERGED, actor, duplicate,
        before={"status": TopicStatus.OPEN, "supporter_ids": supporter_ids},
        after={"status": TopicStatus.MERGED, "merged_into_id": survivor.id,
               "merged_into": survivor.title},
        votes_moved=moved,
    )  # fmt: skip
    return moved
