from datetime import UTC, date, datetime, time, timedelta

import pytest

from convene.convenings.models import Call, CallStatus, Series
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


@pytest.fixture
def make_call(app, make_org):
    """A call of a series, hosted by the given partner, two weeks ahead unless told."""
    counter = iter(range(1, 10_000))
    state = {}

    def factory(host=None, starts_at: datetime | None = None, **fields) -> Call:
        n = next(counter)
        if "series" not in state:
            state["series"] = Series(
                name="Network call",
                first_date=date(2026, 1, 6),
                local_time=time(13, 0),
                zone="America/New_York",
            )
            db.session.add(state["series"])
        host = host or make_org("partner")
        starts_at = starts_at or datetime.now(UTC).replace(microsecond=0) + timedelta(days=14 * n)
        call = Call(
            series=state["series"],
            slot_date=starts_at.date(),
            starts_at=starts_at,
            duration_minutes=60,
            zone="America/New_York",
            host_organisation_id=host.id,
            status=fields.pop("status", CallStatus.SCHEDULED),
            **fields,
        )
        db.session.add(call)
        db.session.commit()
        return call

    return factory
