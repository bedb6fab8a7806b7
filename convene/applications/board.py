"""The review board: applications ranked by their reviewers' scores, large disagreements
flagged, filtered by state, population band and status.

An application's score is the mean of its submitted reviews' weighted scores. Reviewers
disagree when their weighted scores of one application are DISAGREEMENT_SPREAD points or
more apart (highest minus lowest): the committee should talk before trusting the mean.
Admins see every score; a reviewer sees an application's score (and the flag) only once
their own review of it is submitted, so the board cannot lead their judgement.

A fixed number of queries whatever the number of applications.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from convene.accounts.models import Member
from convene.applications.models import (
    STATUS_LABELS,
    Application,
    ApplicationStatus,
    Review,
    ReviewAssignment,
    ReviewScore,
)
from convene.applications.permissions import sees_all_scores
from convene.applications.rubric import active_criteria, weighted_score
from convene.extensions import db

DISAGREEMENT_SPREAD = 1.5
DISAGREEMENT_RULE = (
    f"Reviewers disagree when their weighted scores are {DISAGREEMENT_SPREAD:g} points or "
    "more apart."
)

# (key, label, lowest, highest): the programme's population bands.
BANDS = (
    ("100k-250k", "100,000 to 250,000", 100_000, 250_000),
    ("250k-500k", "250,000 to 500,000", 250_000, 500_000),
    ("500k-1m", "500,000 to 1 million", 500_000, 1_000_000),
)
BAND_KEYS = {key: (low, high) for key, _label, low, high in BANDS}
TOP = BANDS[-1][3]

# The board shows submitted applications onwards (a draft is the applicant's).
BOARD_STATUSES = tuple(s for s in ApplicationStatus if s != ApplicationStatus.DRAFT)


@dataclass(frozen=True)
class BoardFilters:
    state: str | None = None
    band: str | None = None
    status: str | None = None

    @classmethod
    def from_args(cls, args) -> "BoardFilters":
        """Unknown values are ignored (a hand-edited address shows the whole board)."""
        state = (args.get("state") or "").strip().upper()
        band = args.get("band") or None
        status = args.get("status") or None
        return cls(
            state=state if len(state) == 2 and state.isalpha() else None,
            band=band if band in BAND_KEYS else None,
            status=status if status in {s.value for s in BOARD_STATUSES} else None,
        )


@dataclass
class BoardRow:
    id: int
    reference: str
    city_label: str
    state: str
    population: int | None
    status: ApplicationStatus
    submitted_at: datetime | None
    assigned: int = 0
    submitted_reviews: int = 0
    mine: str | None = None  # the viewer's: None (not assigned), "to do", "draft", "submitted"
    score: float | None = None  # None also when the viewer may not see it yet
    spread: float | None = None
    disagreement: bool = False
    scores_hidden: bool = False

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class Board:
    rows: list[BoardRow]
    filters: BoardFilters
    states: list[str] = field(default_factory=list)
    rule: str = DISAGREEMENT_RULE


def _filtered(filters: BoardFilters):
    query = sa.select(
        Application.id,
        Application.reference,
        Application.city_name,
        Application.state,
        Application.population,
        Application.status,
        Application.submitted_at,
    ).where(Application.status.in_(BOARD_STATUSES))
    if filters.state:
        query = query.where(Application.state == filters.state)
    if filters.band:
        low, high = BAND_KEYS[filters.band]
        # The top band includes a city of exactly one million (the programme's limit).
        below = Application.population <= high if high == TOP else Application.population < high
        query = query.where(Application.population >= low, below)
    if filters.status:
        query = query.where(Application.status == ApplicationStatus(filters.status))
    return query


def build_board(viewer: Member, filters: BoardFilters | None = None) -> Board:
    """The ranked rows for this viewer: best score first, unscored after, oldest first."""
    filters = filters or BoardFilters()
    criteria = active_criteria()
    listed = _filtered(filters).subquery()
    rows = {
        r.id: BoardRow(
            id=r.id,
            reference=r.reference,
            city_label=f"{r.city_name}, {r.state}",
            state=r.state,
            population=r.population,
            status=r.status,
            submitted_at=r.submitted_at,
        )
        for r in db.session.execute(sa.select(listed).order_by(listed.c.submitted_at, listed.c.id))
    }
    for application_id, member_id in db.session.execute(
        sa.select(ReviewAssignment.application_id, ReviewAssignment.member_id).join(
            listed, listed.c.id == ReviewAssignment.application_id
        )
    ):
        rows[application_id].assigned += 1
        if member_id == viewer.id:
            rows[application_id].mine = "to do"
    scores: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for application_id, member_id, submitted_at, criterion_id, score in db.session.execute(
        sa.select(
            Review.application_id,
            Review.member_id,
            Review.submitted_at,
            ReviewScore.criterion_id,
            ReviewScore.score,
        )
        .join(listed, listed.c.id == Review.application_id)
        .outerjoin(ReviewScore, ReviewScore.review_id == Review.id)
    ):
        if member_id == viewer.id:
            rows[application_id].mine = "submitted" if submitted_at else "draft"
        if submitted_at is not None:
            review = scores[(application_id, member_id)]
            if criterion_id is not None:
                review[criterion_id] = score
    weighted: dict[int, list[float]] = defaultdict(list)
    for (application_id, _member_id), review in scores.items():
        rows[application_id].submitted_reviews += 1
        value = weighted_score(review, criteria)
        if value is not None:
            weighted[application_id].append(value)
    sees_all = sees_all_scores(viewer)
    for row in rows.values():
        if not (sees_all or row.mine == "submitted"):
            row.scores_hidden = row.submitted_reviews > 0
            continue
        values = weighted.get(row.id)
        if values:
            row.score = round(sum(values) / len(values), 2)
            row.spread = round(max(values) - min(values), 2)
            row.disagreement = row.spread >= DISAGREEMENT_SPREAD
    ranked = sorted(
        rows.values(),
        key=lambda r: (
            r.score is None,
            -(r.score or 0),
            r.submitted_at.timestamp() if r.submitted_at else float("inf"),
            r.id,
        ),
    )
    states = list(
        db.session.scalars(
            sa.select(Application.state)
            .where(Application.status.in_(BOARD_STATUSES))
            .distinct()
            .order_by(Application.state)
        )
    )
    return Board(rows=ranked, filters=filters, states=states)
