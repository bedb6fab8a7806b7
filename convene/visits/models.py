"""Peer visits between cities: practice areas, what each city can share, and the visits.

A visit is asked for by one city and hosted by another; more cities may join it, so the
cities taking part are rows (VisitCity, each a host or a visitor) rather than two columns.
`requesting_organisation` is the city that asked (also a visitor row). Rows a calendar reads
carry `updated_at` and `sequence` (iTIP SEQUENCE), bumped with anything a calendar shows.
"""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member, Organisation
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class PracticeArea(db.Model):
    """A field cities learn from each other about ("Open data", "311 data").

    `keywords` (comma-separated, optional) are other words that name the area in topics and
    calls, used to suggest strengths (strengths.py); the name itself always counts.
    """

    __tablename__ = "practice_areas"
    __table_args__ = (
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
        sa.CheckConstraint("length(trim(slug)) > 0", name="slug_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    keywords: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def terms(self) -> list[str]:
        """The area's name and keywords, lower-cased, longest first."""
        words = [self.name, *(self.keywords or "").split(",")]
        terms = {w.strip().lower() for w in words if w and w.strip()}
        return sorted(terms, key=lambda t: (-len(t), t))

    def __repr__(self) -> str:
        return f"<PracticeArea {self.slug}>"


class StrengthSource(enum.StrEnum):
    CHAMPION = "champion"  # ticked by the city's champion (or an admin) with no other evidence
    TOPIC = "topic"  # its people proposed a topic in the area and offered to share
    CALL = "call"  # it presented on a call in the area


class CityStrength(db.Model):
    """An area a city can share. The list is the champion's: suggestions are only stored
    once ticked (or pre-filled by the demo); `source` says what first put it there."""

    __tablename__ = "city_strengths"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "practice_area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # RESTRICT: an area some city lists cannot be removed.
    practice_area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_areas.id", ondelete="RESTRICT"), index=True
    )
    source: Mapped[StrengthSource] = mapped_column(enum_type(StrengthSource))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    practice_area: Mapped[PracticeArea] = relationship()
    confirmed_by: Mapped[Member | None] = relationship()


class VisitFormat(enum.StrEnum):
    SITE_VISIT = "site_visit"
    WORKSHOP = "workshop"
    VIRTUAL = "virtual"


FORMAT_LABELS = {
    VisitFormat.SITE_VISIT: "Site visit",
    VisitFormat.WORKSHOP: "Workshop",
    VisitFormat.VIRTUAL: "Virtual exchange",
}


class VisitStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the host city's champion
    DATES_PROPOSED = "dates_proposed"  # the host proposed other dates; the asking city answers
    ACCEPTED = "accepted"  # the host said yes; waiting for a programme admin
    DECLINED = "declined"  # the host said no
    APPROVED = "approved"  # scheduled: approved by a programme admin
    HELD = "held"
    CANCELLED = "cancelled"


# Visits that count against the programme's budget (approved by an admin).
COMMITTED_STATUSES = (VisitStatus.APPROVED, VisitStatus.HELD)
# Visits that count against a host city's yearly cap: those it has agreed to host.
HOSTING_STATUSES = (VisitStatus.ACCEPTED, VisitStatus.APPROVED, VisitStatus.HELD)
# Visits still on the way to being scheduled, or scheduled.
LIVE_STATUSES = (
    VisitStatus.REQUESTED,
    VisitStatus.DATES_PROPOSED,
    VisitStatus.ACCEPTED,
    VisitStatus.APPROVED,
    VisitStatus.HELD,
)


class VisitSide(enum.StrEnum):
    HOST = "host"
    VISITOR = "visitor"


class Visit(db.Model):
    """A peer visit: one city learning from another about one practice area, on given days."""

    __tablename__ = "visits"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_starts"),
        sa.CheckConstraint(
            "(proposed_starts_on IS NULL) = (proposed_ends_on IS NULL)",
            name="proposed_dates_paired",
        ),
        sa.CheckConstraint(
            "proposed_ends_on IS NULL OR proposed_ends_on >= proposed_starts_on",
            name="proposed_ends_after_starts",
        ),
        sa.CheckConstraint(
            "status != 'dates_proposed' OR proposed_starts_on IS NOT NULL",
            name="dates_proposed_has_dates",
        ),
        sa.CheckConstraint(
            "travel_budget_cents IS NULL OR travel_budget_cents >= 0",
            name="travel_budget_not_negative",
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'held') OR approved_at IS NOT NULL",
            name="approved_has_time",
        ),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        sa.Index("ix_visits_status_starts_on", "status", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    problem: Mapped[str] = mapped_column(sa.Text)  # what the visitors want to learn about
    intended_use: Mapped[str] = mapped_column(sa.Text)  # how they will use what they learn
    format: Mapped[VisitFormat] = mapped_column(enum_type(VisitFormat))
    status: Mapped[VisitStatus] = mapped_column(
        enum_type(VisitStatus), default=VisitStatus.REQUESTED
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # Other dates the host city proposed (status dates_proposed), until the asking city answers.
    proposed_starts_on: Mapped[date | None]
    proposed_ends_on: Mapped[date | None]
    # The host city's IANA zone: itinerary times are shown and entered in it.
    zone: Mapped[str] = mapped_column(sa.String(64))
    practice_area_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_areas.id", ondelete="RESTRICT"), index=True
    )
    requesting_organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    travel_budget_cents: Mapped[int | None]
    is_public: Mapped[bool] = mapped_column(default=False)
    answer_note: Mapped[str | None] = mapped_column(sa.String(500))  # the host's words, if any
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(300))
    sequence: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    practice_area: Mapped[PracticeArea] = relationship()
    requesting_organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[Member | None] = relationship(foreign_keys=[created_by_id])
    answered_by: Mapped[Member | None] = relationship(foreign_keys=[answered_by_id])
    approved_by: Mapped[Member | None] = relationship(foreign_keys=[approved_by_id])
    cities: Mapped[list["VisitCity"]] = relationship(
        back_populates="visit", order_by="VisitCity.id", cascade="all, delete-orphan"
    )
    participants: Mapped[list["VisitParticipant"]] = relationship(
        back_populates="visit", order_by="VisitParticipant.id", cascade="all, delete-orphan"
    )
    itinerary: Mapped[list["ItineraryItem"]] = relationship(
        back_populates="visit", order_by="ItineraryItem.starts_at", cascade="all, delete-orphan"
    )
    reports: Mapped[list["VisitReport"]] = relationship(
        back_populates="visit", order_by="VisitReport.id", cascade="all, delete-orphan"
    )

    @property
    def hosts(self) -> list[Organisation]:
        return [c.organisation for c in self.cities if c.side == VisitSide.HOST]

    @property
    def visitors(self) -> list[Organisation]:
        return [c.organisation for c in self.cities if c.side == VisitSide.VISITOR]

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS[VisitFormat(self.format)]

    @property
    def is_scheduled(self) -> bool:
        return self.status in COMMITTED_STATUSES

    @property
    def year(self) -> int:
        """The programme year it counts in: the year it starts."""
        return self.starts_on.year

    def bump_sequence(self) -> None:
        """Call after any change a calendar must pick up (dates, title, cancellation)."""
        self.sequence = (self.sequence or 0) + 1
        self.updated_at = utcnow()

    def __repr__(self) -> str:
        return f"<Visit {self.id} {self.status}>"


class VisitCity(db.Model):
    """A city taking part in a visit, as a host or a visitor."""

    __tablename__ = "visit_cities"
    __table_args__ = (sa.UniqueConstraint("visit_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    side: Mapped[VisitSide] = mapped_column(enum_type(VisitSide))

    visit: Mapped[Visit] = relationship(back_populates="cities")
    organisation: Mapped[Organisation] = relationship()


class VisitParticipant(db.Model):
    """A named person going (visitor) or receiving (host): they get the visit in their feed."""

    __tablename__ = "visit_participants"
    __table_args__ = (sa.UniqueConstraint("visit_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(
        sa.ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    side: Mapped[VisitSide] = mapped_column(enum_type(VisitSide))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="participants")
    member: Mapped[Member] = relationship()


class ItineraryItem(db.Model):
    """A timed part of a visit (instants in UTC; shown in the host city's zone)."""

    __tablename__ = "visit_itinerary_items"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_starts"),
        sa.CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("visits.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(sa.String(200))
    place: Mapped[str | None] = mapped_column(sa.String(300))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="itinerary")


class VisitReport(db.Model):
    """One city's account of a visit after it (one per city); shared with the network once
    published."""

    __tablename__ = "visit_reports"
    __table_args__ = (sa.UniqueConstraint("visit_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    side: Mapped[VisitSide] = mapped_column(enum_type(VisitSide))
    shown: Mapped[str | None] = mapped_column(sa.Text)  # what was shown
    will_try: Mapped[str | None] = mapped_column(sa.Text)  # what the visitors will try
    resources: Mapped[str | None] = mapped_column(sa.Text)  # links, one a line
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="reports")
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[Member | None] = relationship()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ProgrammeBudget(db.Model):
    """The programme's travel budget for one year; approved visits' budgets count against it.

    Approving locks this row (SELECT ... FOR UPDATE), so concurrent approvals queue.
    """

    __tablename__ = "programme_budgets"
    __table_args__ = (
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_cents: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
