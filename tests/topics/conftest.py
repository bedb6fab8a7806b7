import pytest

from convene.extensions import db
from convene.topics.models import Topic, TopicStatus, TopicVote


@pytest.fixture
def make_topic(app, make_member):
    """A topic (open unless told), proposed by the given member or a new city member."""
    counter = iter(range(1, 100_000))

    def factory(title: str | None = None, proposer=None, **fields) -> Topic:
        n = next(counter)
        topic = Topic(
            title=title or f"Topic {n}",
            proposer=proposer or make_member(),
            status=fields.pop("status", TopicStatus.OPEN),
            **fields,
        )
        db.session.add(topic)
        db.session.commit()
        return topic

    return factory


@pytest.fixture
def add_votes(app):
    def factory(topic: Topic, *members) -> None:
        db.session.add_all(TopicVote(topic_id=topic.id, member_id=m.id) for m in members)
        db.session.commit()

    return factory
