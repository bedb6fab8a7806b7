"""Votes: one per member and topic, within each member's budget of open votes.

Both rules hold under concurrent requests: the member's row is locked before their open votes
are counted, so parallel votes by one member queue up behind each other, and the unique
constraint (topic, member) settles a double vote inside a savepoint.
"""

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from convene.accounts.models import Member
from convene.extensions import db
from convene.topics.errors import TopicError
from convene.topics.models import DEFAULT_VOTE_BUDGET, Topic, TopicSettings, TopicStatus, TopicVote


@dataclass(frozen=True)
class VoteOutcome:
    supported: bool  # the member supports the topic after this request
    changed: bool  # this request added or removed the vote


def vote_budget() -> int:
    settings = db.session.get(TopicSettings, 1)
    return settings.vote_budget if settings is not None else DEFAULT_VOTE_BUDGET


def set_vote_budget(budget: int) -> TopicSettings:
    if not 1 <= budget <= 50:
        raise TopicError("The vote budget must be between 1 and 50.")
    settings = db.session.get(TopicSettings, 1)
    if settings is None:
        settings = TopicSettings(id=1)
        db.session.add(settings)
    settings.vote_budget = budget
    return settings


def open_votes_used(member_id: int) -> int:
    """Votes on open topics: votes on scheduled, held, declined or merged ones are free again."""
    return db.session.scalar(
        select(func.count(TopicVote.id))
        .join(Topic, Topic.id == TopicVote.topic_id)
        .where(TopicVote.member_id == member_id, Topic.status == TopicStatus.OPEN)
    )


def supported_topic_ids(member_id: int, topic_ids: list[int] | None = None) -> set[int]:
    stmt = select(TopicVote.topic_id).where(TopicVote.member_id == member_id)
    if topic_ids is not None:
        stmt = stmt.where(TopicVote.topic_id.in_(topic_ids))
    return set(db.session.scalars(stmt))


def _lock_member(member_id: int) -> Member:
    member = db.session.scalar(
        select(Member)
        .where(Member.id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if member is None or not member.active:
        raise TopicError("This account is deactivated: it cannot vote.")
    return member


def _votable_topic(topic_id: int) -> Topic:
    # FOR SHARE: many members vote on one topic at once, but a merge or a schedule waits.
    topic = db.session.scalar(
        select(Topic)
        .where(Topic.id == topic_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    )
    if topic is None:
        raise TopicError("That topic does not exist.")
    if topic.status == TopicStatus.MERGED:
        raise TopicError(
            f"This topic was merged into “{topic.merged_into.title}”: support that one instead."
        )
    if topic.status != TopicStatus.OPEN:
        raise TopicError(f"This topic is {topic.status.value}: it no longer takes votes.")
    return topic


def _has_vote(member_id: int, topic_id: int) -> bool:
    return (
        db.session.scalar(
            select(TopicVote.id).where(
                TopicVote.member_id == member_id, TopicVote.topic_id == topic_id
            )
        )
        is not None
    )


def support_topic(member: Member, topic_id: int) -> VoteOutcome:
    """Add the member's vote. Asking again changes nothing (it never takes a vote away)."""
    member = _lock_member(member.id)
    topic = _votable_topic(topic_id)
    if _has_vote(member.id, topic.id):
        return VoteOutcome(supported=True, changed=False)
    budget = vote_budget()
    if open_votes_used(member.id) >= budget:
        raise TopicError(
            f"You have used all {budget} of your votes. Withdraw your support from another "
            "open topic to support this one."
        )
    try:
        with db.session.begin_nested():
            db.session.add(TopicVote(topic_id=topic.id, member_id=member.id))
    except IntegrityError:  # the same vote, committed by a parallel request
        return VoteOutcome(supported=True, changed=False)
    return VoteOutcome(supported=True, changed=True)


def withdraw_support(member: Member, topic_id: int) -> VoteOutcome:
    """Remove the member's vote. Asking again changes nothing (it never adds a vote)."""
    member = _lock_member(member.id)
    topic = _votable_topic(topic_id)
    result = db.session.execute(
        delete(TopicVote)
        .where(TopicVote.member_id == member.id, TopicVote.topic_id == topic.id)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(topic, ["votes"])
    return VoteOutcome(supported=False, changed=bool(result.rowcount))
