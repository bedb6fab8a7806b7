import random
from datetime import timedelta

from sqlalchemy import func, select

from convene.accounts import demo as accounts_demo
from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.convenings.models import CallStatus
from convene.extensions import db
from convene.topics import demo as topics_demo
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.types import utcnow
from tests.conftest import load_demo_network


def _open_votes_per_member() -> list[int]:
    return db.session.scalars(
        select(func.count(TopicVote.id))
        .join(Topic, Topic.id == TopicVote.topic_id)
        .where(Topic.status == TopicStatus.OPEN)
        .group_by(TopicVote.member_id)
    ).all()


def test_demo_topics_without_calls(app):
    load_demo_network()
    statuses = dict(
        db.session.execute(select(Topic.status, func.count()).group_by(Topic.status)).all()
    )
    assert 28 <= sum(statuses.values()) <= 36  # "around 30"
    assert {TopicStatus.OPEN, TopicStatus.HELD, TopicStatus.DECLINED, TopicStatus.MERGED} <= set(
        statuses
    )
    assert db.session.scalar(
        select(func.count()).where(
            Topic.title == "Using 311 data to find where services fall short"
        )
    )
    assert max(_open_votes_per_member()) <= 5
    cities = db.session.scalar(
        select(func.count(func.distinct(Organisation.id)))
        .join(Member, Member.organisation_id == Organisation.id)
        .join(TopicVote, TopicVote.member_id == Member.id)
        .where(Organisation.kind == OrganisationKind.CITY)
    )
    assert cities >= 20


def test_demo_topics_attach_to_demo_calls(app, make_call):
    rng = random.Random(2016)
    accounts_demo.load(rng)
    db.session.flush()
    partner = db.session.scalar(select(Organisation).where(Organisation.slug == "govex"))
    now = utcnow()
    held = [make_call(host=partner, starts_at=now - timedelta(days=14 * i), status=CallStatus.HELD)
            for i in range(1, 4)]  # fmt: skip
    upcoming = [make_call(host=partner, starts_at=now + timedelta(days=14 * i)) for i in (1, 2)]
    topics_demo.load(rng)
    db.session.commit()
    statuses = {t.status for t in db.session.scalars(select(Topic))}
    assert statuses == set(TopicStatus)
    for call in held + upcoming:
        topic = db.session.scalar(select(Topic).where(Topic.call_id == call.id))
        assert topic is not None and call.title == topic.title
    assert {
        t.status for t in db.session.scalars(select(Topic).where(Topic.call_id.is_not(None)))
    } == {
        TopicStatus.HELD,
        TopicStatus.SCHEDULED,
    }
    assert max(_open_votes_per_member()) <= 5
