"""City applications to the programme, their review by a committee, and the decisions.

An application is written by someone without an account: they reach their draft and their
status page through emailed links (ApplicationLink, only a hash of the secret stored). A
review belongs to an assignment (the composite key says so), so only an assigned reviewer
can score; a decision is one row per application, and its letter is built when it is sent.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow
from convene.visits.models import PracticeArea

SCORE_MIN = 1
SCORE_MAX = 5


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    MEETING = "meeting"  # meeting with the city's leadership
    DECIDED = "decided"  # a decision letter has been sent


# The path an applicant follows on their status page (a draft is not on it yet).
PIPELINE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.MEETING,
    ApplicationStatus.DECIDED,
)

STATUS_LABELS = {
    ApplicationStatus.DRAFT: "Draft",
    ApplicationStatus.SUBMITTED: "Submitted",
    ApplicationStatus.UNDER_REVIEW: "Under review",
    ApplicationStatus.MEETING: "Meeting with leadership",
    ApplicationStatus.DECIDED: "Decided",
}


class Seniority(enum.StrEnum):
    """How senior the proposed champion is; the committee prefers senior champions."""

    ELECTED = "elected"  # mayor, council member
    EXECUTIVE = "executive"  # city manager, chief of staff, department head, CIO/CDO
    SENIOR_MANAGER = "senior_manager"
    MANAGER = "manager"
    STAFF = "staff"


SENIORITY_LABELS = {
    Seniority.ELECTED: "Elected official (mayor, council member)",
    Seniority.EXECUTIVE: "Executive (city manager, chief of staff, department head)",
    Seniority.SENIOR_MANAGER: "Senior manager",
    Seniority.MANAGER: "Manager",
    Seniority.STAFF: "Staff",
}


class Outcome(enum.StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    HOLD = "hold"


# Once one of these letters has gone, no other decision letter may follow it.
FINAL_OUTCOMES = (Outcome.ACCEPT, Outcome.DECLINE)


class LinkPurpose(enum.StrEnum):
    DRAFT = "draft"  # continue writing the application (expires)
    STATUS = "status"  # follow the application once submitted


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (
        sa.CheckConstraint("population IS NULL OR population > 0", name="population_positive"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "status = 'draft' OR submitted_at IS NOT NULL", name="submitted_has_time"
        ),
        sa.Index("ix_applications_status_submitted_at", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)  # "APP-7K3Q9M"
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus), default=ApplicationStatus.DRAFT
    )
    email: Mapped[str] = mapped_column(sa.String(254))  # the applicant's, for every letter
    contact_name: Mapped[str | None] = mapped_column(sa.String(120))
    city_name: Mapped[str] = mapped_column(sa.String(120))
    state: Mapped[str] = mapped_column(sa.String(2))
    population: Mapped[int | None]
    # Where the city is, from the gazetteer when it knows the city (zone for calendars,
    # coordinates for distances between cities), set when it is submitted.
    zone: Mapped[str | None] = mapped_column(sa.String(64))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]

    champion_name: Mapped[str | None] = mapped_column(sa.String(120))
    champion_title: Mapped[str | None] = mapped_column(sa.String(120))
    champion_email: Mapped[str | None] = mapped_column(sa.String(254))
    champion_seniority: Mapped[Seniority | None] = mapped_column(enum_type(Seniority))
    data_history: Mapped[str | None] = mapped_column(sa.Text)  # what it has done with data
    resources: Mapped[str | None] = mapped_column(sa.Text)  # what it will commit
    help_wanted: Mapped[str | None] = mapped_column(sa.Text)  # in its own words

    # The mayor's letter: a PDF stored outside the static folder under a random name.
    letter_file: Mapped[str | None] = mapped_column(sa.String(80))
    letter_filename: Mapped[str | None] = mapped_column(sa.String(200))  # as uploaded
    letter_bytes: Mapped[int | None]
    letter_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its letter sent
    # The city made from an accepted application: unique, so accepting twice makes one city.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), unique=True
    )

    organisation: Mapped[Organisation | None] = relationship()
    areas: Mapped[list[PracticeArea]] = relationship(
        secondary="application_areas", order_by="PracticeArea.name"
    )

    @property
    def city_label(self) -> str:
        return f"{self.city_name}, {self.state}"


class ApplicationArea(db.Model):
    """What a city wants help with, in the network's practice areas."""

    __tablename__ = "application_areas"

    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    practice_area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_areas.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ApplicationLink(db.Model):
    """An emailed link to a draft or a status page; only a hash of the secret is stored."""

    __tablename__ = "application_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[LinkPurpose] = mapped_column(enum_type(LinkPurpose))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: never
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    application: Mapped[Application] = relationship()


class Reviewer(db.Model):
    """An admin or a partner's staff member marked as a reviewer of applications."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), unique=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class ReviewerConflict(db.Model):
    """A reviewer's declared conflict of interest: they are never assigned that application."""

    __tablename__ = "reviewer_conflicts"
    __table_args__ = (sa.UniqueConstraint("application_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()


class ReviewAssignment(db.Model):
    __tablename__ = "review_assignments"
    __table_args__ = (sa.UniqueConstraint("application_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    application: Mapped[Application] = relationship()


class Criterion(db.Model):
    """One line of the rubric; admins set the criteria and their weights."""

    __tablename__ = "review_criteria"
    __table_args__ = (
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    guidance: Mapped[str | None] = mapped_column(sa.String(500))
    weight: Mapped[float] = mapped_column(default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Review(db.Model):
    """A reviewer's scores and comments; others' scores show only once theirs is submitted."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "member_id"),
        sa.ForeignKeyConstraint(
            ["application_id", "member_id"],
            ["review_assignments.application_id", "review_assignments.member_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(index=True)
    member_id: Mapped[int] = mapped_column(index=True)
    comments: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: a draft
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(
        primaryjoin=lambda: Member.id == sa.orm.foreign(Review.member_id), viewonly=True
    )
    scores: Mapped[list["ReviewScore"]] = relationship(
        back_populates="review", cascade="all, delete-orphan"
    )


class ReviewScore(db.Model):
    __tablename__ = "review_scores"
    __table_args__ = (
        sa.UniqueConstraint("review_id", "criterion_id"),
        sa.CheckConstraint(f"score BETWEEN {SCORE_MIN} AND {SCORE_MAX}", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_criteria.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[int]

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class LeadershipMeeting(db.Model):
    """A meeting with the mayor's office; it goes into the reviewers' calendars."""

    __tablename__ = "leadership_meetings"
    __table_args__ = (sa.CheckConstraint("duration_minutes > 0", name="duration_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    zone: Mapped[str] = mapped_column(sa.String(64))  # the city's: where the mayor's office is
    duration_minutes: Mapped[int] = mapped_column(default=60)
    location: Mapped[str | None] = mapped_column(sa.String(300))  # a place or a video link
    notes: Mapped[str | None] = mapped_column(sa.Text)
    cancelled: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)  # iTIP SEQUENCE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    application: Mapped[Application] = relationship()


class Decision(db.Model):
    """The committee's current decision; pending until its letter is sent.

    A hold that was sent can still become an acceptance or a decline (a new pending
    decision); once an accept or decline letter has gone, the decision stands.
    """

    __tablename__ = "application_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome))
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    letter_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision_letters.id", ondelete="SET NULL"), unique=True
    )  # None: pending, not sent yet

    application: Mapped[Application] = relationship()
    decided_by: Mapped[Member | None] = relationship()
    letter: Mapped["DecisionLetter | None"] = relationship()


class DecisionLetter(db.Model):
    """A letter as it was sent, built from its template at that moment.

    At most one accept-or-decline letter per application: the partial unique index makes two
    contradicting final letters impossible, whoever sends them and however they race.
    """

    __tablename__ = "decision_letters"
    __table_args__ = (
        sa.Index(
            "uq_decision_letters_one_final",
            "application_id",
            unique=True,
            sqlite_where=sa.text("outcome IN ('accept', 'decline')"),
            postgresql_where=sa.text("outcome IN ('accept', 'decline')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))


class LetterTemplate(db.Model):
    """The editable letter for each outcome; a letter is built from it when it is sent."""

    __tablename__ = "letter_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome: Mapped[Outcome] = mapped_column(enum_type(Outcome), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
