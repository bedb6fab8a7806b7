"""The network's ranking of topics: one city, one voice.

Topics are ordered by how many distinct organisations have members supporting them, then by
votes, then oldest first, so a large delegation cannot outvote a small city. Only active
members' votes count. Every function here runs a fixed number of queries, however many
topics there are.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Organisation, OrganisationKind
from convene.extensions import db
from convene.text import plural
from convene.topics.models import Topic, TopicStatus, TopicVote


@dataclass(frozen=True)
class Support:
    organisations: int = 0
    cities: int = 0
    partners: int = 0
    votes: int = 0

    @property
    def label(self) -> str:
        """'N cities, M partners (V votes)'."""
        return (
            f"{plural(self.cities, 'city', 'cities')}, "
            f"{plural(self.partners, 'partner', 'partners')} "
            f"({plural(self.votes, 'vote', 'votes')})"
        )

    def as_dict(self) -> dict:
        return {
            "organisations": self.organisations,
            "cities": self.cities,
            "partners": self.partners,
            "votes": self.votes,
            "label": self.label,
        }


@dataclass(frozen=True)
class RankedTopic:
    topic: Topic
    support: Support


def support_query():
    """Per topic: distinct supporting organisations (all, cities, partners) and votes."""

    def distinct_of(kind: OrganisationKind):
        return func.count(distinct(sa.case((Organisation.kind == kind, Organisation.id))))

    return (
        select(
            TopicVote.topic_id.label("topic_id"),
            func.count(distinct(Organisation.id)).label("organisations"),
            distinct_of(OrganisationKind.CITY).label("cities"),
            distinct_of(OrganisationKind.PARTNER).label("partners"),
            func.count(TopicVote.id).label("votes"),
        )
        .join(Member, Member.id == TopicVote.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.active.is_(True))
        .group_by(TopicVote.topic_id)
    )


def support_for(topic_ids: list[int]) -> dict[int, Support]:
    """Support for each of these topics (topics without votes get an empty Support)."""
    found = {tid: Support() for tid in topic_ids}
    if not topic_ids:
        return found
    rows = db.session.execute(support_query().where(TopicVote.topic_id.in_(topic_ids)))
    for row in rows:
        found[row.topic_id] = Support(row.organisations, row.cities, row.partners, row.votes)
    return found


def _matching(stmt, words: str):
    """Every word must appear in the title or the description."""
    for word in (words or "").lower().split()[:8]:
        like = f"%{word}%"
        stmt = stmt.where(
            func.lower(Topic.title).like(like)
            | func.lower(func.coalesce(Topic.description, "")).like(like)
        )
    return stmt


def ranked_topics(
    statuses: tuple[TopicStatus, ...] | None = (TopicStatus.OPEN,),
    words: str = "",
    limit: int | None = None,
) -> list[RankedTopic]:
    """Topics with these statuses (None: every status but merged), best supported first."""
    support = support_query().subquery()
    organisations = func.coalesce(support.c.organisations, 0)
    votes = func.coalesce(support.c.votes, 0)
    stmt = (
        select(
            Topic,
            organisations,
            func.coalesce(support.c.cities, 0),
            func.coalesce(support.c.partners, 0),
            votes,
        )
        .outerjoin(support, support.c.topic_id == Topic.id)
        .options(
            selectinload(Topic.proposer).selectinload(Member.organisation),
            selectinload(Topic.call),
        )
        .order_by(organisations.desc(), votes.desc(), Topic.created_at, Topic.id)
    )
    if statuses is None:
        stmt = stmt.where(Topic.status != TopicStatus.MERGED)
    else:
        stmt = stmt.where(Topic.status.in_(statuses))
    stmt = _matching(stmt, words)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        RankedTopic(topic, Support(orgs, cities, partners, n))
        for topic, orgs, cities, partners, n in db.session.execute(stmt)
    ]


def supporting_organisations(topic_id: int) -> list[Organisation]:
    """The organisations whose active members support a topic, by name."""
    return list(
        db.session.scalars(
            select(Organisation)
            .join(Member, Member.organisation_id == Organisation.id)
            .join(TopicVote, TopicVote.member_id == Member.id)
            .where(TopicVote.topic_id == topic_id, Member.active.is_(True))
            .distinct()
            .order_by(Organisation.name)
        )
    )
