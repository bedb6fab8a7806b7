import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member
from convene.convenings.models import Call
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow

TITLE_MAX = 150
DEFAULT_VOTE_BUDGET = 5


class TopicStatus(enum.StrEnum):
    OPEN = "open"
    SCHEDULED = "scheduled"
    HELD = "held"
    DECLINED = "declined"
    MERGED = "merged"


class Topic(db.Model):
    """A proposal for a call's theme. Only open topics take votes and use up a budget."""

    __tablename__ = "topics"
    __table_args__ = (
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        sa.CheckConstraint(
            "(status = 'merged') = (merged_into_id IS NOT NULL)", name="merged_has_target"
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id != id", name="not_merged_into_itself"
        ),
        sa.CheckConstraint(
            "status != 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"
        ),
        sa.CheckConstraint("status != 'scheduled' OR call_id IS NOT NULL", name="scheduled_call"),
        sa.CheckConstraint(
            "call_id IS NULL OR status IN ('scheduled', 'held')", name="call_only_when_chosen"
        ),
        sa.Index("ix_topics_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The proposing city (or partner) offers to present its own experience on the call.
    will_share_experience: Mapped[bool] = mapped_column(default=False)
    proposer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[TopicStatus] = mapped_column(enum_type(TopicStatus), default=TopicStatus.OPEN)
    decline_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # A merged duplicate has no life of its own: it goes with the topic it was merged into.
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("topics.id", ondelete="CASCADE"), index=True
    )
    # One topic per call: the database refuses a second.
    call_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("calls.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    proposer: Mapped[Member] = relationship()
    merged_into: Mapped["Topic | None"] = relationship(remote_side=[id])
    call: Mapped[Call | None] = relationship()
    votes: Mapped[list["TopicVote"]] = relationship(
        back_populates="topic", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        return self.status == TopicStatus.OPEN

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.status} {self.title!r}>"


class TopicVote(db.Model):
    """One member's support for one topic."""

    __tablename__ = "topic_votes"
    __table_args__ = (sa.UniqueConstraint("topic_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topics.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    topic: Mapped[Topic] = relationship(back_populates="votes")
    member: Mapped[Member] = relationship()


class TopicSettings(db.Model):
    """The programme's settings for topics: a single row (id 1)."""

    __tablename__ = "topic_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("vote_budget BETWEEN 1 AND 50", name="vote_budget_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    vote_budget: Mapped[int] = mapped_column(default=DEFAULT_VOTE_BUDGET)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
