"""Who may do what with topics; used by views and templates alike."""

from convene.accounts.models import Member
from convene.convenings.models import Call
from convene.convenings.permissions import can_host_call
from convene.topics.models import Topic, TopicStatus


def _signed_in(member: Member | None) -> bool:
    return member is not None and member.is_authenticated and member.active


def can_vote(member: Member | None, topic: Topic) -> bool:
    return _signed_in(member) and topic.status == TopicStatus.OPEN


def can_edit_topic(member: Member | None, topic: Topic) -> bool:
    """The proposer, until the topic is scheduled (or closed); admins too."""
    if not _signed_in(member) or topic.status != TopicStatus.OPEN:
        return False
    return member.is_admin or member.id == topic.proposer_id


def can_decline_topic(member: Member | None, topic: Topic) -> bool:
    return _signed_in(member) and topic.status == TopicStatus.OPEN and member.has_role("host")


def can_merge_topics(member: Member | None) -> bool:
    return _signed_in(member) and member.is_admin


def can_choose_topic(member: Member | None, call: Call) -> bool:
    """The call's hosts (and admins) pick its topic."""
    return _signed_in(member) and can_host_call(member, call)
