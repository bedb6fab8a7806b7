"""A reviewer's scores and comments, and who sees whose.

Only an assigned reviewer scores (the review's key is its assignment's). A draft may be
partial; a submitted review scores every criterion in use and is final. Reviewers judge
independently: a reviewer sees others' scores of an application only once their own review
of it is submitted; admins see every submitted review. `review_panel` builds what the page
shows, so the rule holds wherever the page data comes from.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.applications.models import (
    SCORE_MAX,
    SCORE_MIN,
    Application,
    Criterion,
    Review,
    ReviewAssignment,
    ReviewScore,
)
from convene.applications.permissions import sees_all_scores
from convene.applications.rubric import active_criteria, weighted_score
from convene.extensions import db
from convene.types import utcnow


class ReviewError(ValueError):
    """A review that cannot be saved; `field` names the criterion or field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def assignment_of(application_id: int, member_id: int, lock: bool = False):
    query = sa.select(ReviewAssignment).where(
        ReviewAssignment.application_id == application_id,
        ReviewAssignment.member_id == member_id,
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def review_of(application_id: int, member_id: int) -> Review | None:
    return db.session.scalar(
        sa.select(Review)
        .where(Review.application_id == application_id, Review.member_id == member_id)
        .options(selectinload(Review.scores))
        .execution_options(populate_existing=True)
    )


def save_review(
    application: Application,
    member: Member,
    scores: Mapping[int, int | None],
    comments: str | None,
    submit: bool,
) -> Review:
    """Save the reviewer's draft, or submit it. Scores are by criterion id, 1 to 5 (None: not
    scored yet); criteria not in use are ignored."""
    if assignment_of(application.id, member.id, lock=True) is None:
        raise ReviewError("You are not assigned this application, so you cannot review it.")
    review = review_of(application.id, member.id)
    if review is not None and review.submitted_at is not None:
        raise ReviewError("Your review is submitted; it can no longer be changed.")
    criteria = active_criteria()
    given: dict[int, int] = {}
    for criterion in criteria:
        value = scores.get(criterion.id)
        if value is None:
            if submit:
                raise ReviewError(f"Score {criterion.name} before submitting.", criterion.id)
            continue
        if not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
            raise ReviewError(
                f"Score {criterion.name} from {SCORE_MIN} to {SCORE_MAX}.", criterion.id
            )
        given[criterion.id] = value
    if review is None:
        review = Review(application_id=application.id, member_id=member.id)
        db.session.add(review)
    review.comments = comments or None
    active_ids = {c.id for c in criteria}
    kept = {s.criterion_id: s for s in review.scores if s.criterion_id not in active_ids}
    current = {s.criterion_id: s for s in review.scores if s.criterion_id in active_ids}
    review.scores = list(kept.values())
    for criterion_id, value in given.items():
        row = current.get(criterion_id) or ReviewScore(criterion_id=criterion_id)
        row.score = value
        review.scores.append(row)
    review.updated_at = utcnow()
    if submit:
        review.submitted_at = utcnow()
    db.session.flush()
    return review


@dataclass
class ShownReview:
    reviewer: Member
    scores: dict[int, int]
    comments: str | None
    weighted: float | None
    submitted_at: object


@dataclass
class ReviewPanel:
    """What the application page shows of reviews to one viewer."""

    criteria: list[Criterion]
    assigned: bool  # the viewer is assigned: they get the form
    own: Review | None
    own_scores: dict[int, int]
    submitted: bool  # the viewer's own review is submitted
    may_see_others: bool
    others: list[ShownReview] = field(default_factory=list)
    hidden_count: int = 0  # submitted reviews the viewer may not see yet
    reviewers: list[Member] = field(default_factory=list)  # who is assigned


def review_panel(application: Application, viewer: Member) -> ReviewPanel:
    """The viewer's own review, and others' submitted reviews only when the viewer is an
    admin or has submitted their own."""
    criteria = active_criteria()
    assignments = list(
        db.session.scalars(
            sa.select(ReviewAssignment)
            .where(ReviewAssignment.application_id == application.id)
            .options(selectinload(ReviewAssignment.member))
            .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
        )
    )
    reviews = list(
        db.session.scalars(
            sa.select(Review)
            .where(Review.application_id == application.id)
            .options(selectinload(Review.scores), selectinload(Review.member))
            .order_by(Review.submitted_at, Review.id)
        )
    )
    own = next((r for r in reviews if r.member_id == viewer.id), None)
    submitted = own is not None and own.submitted_at is not None
    may_see = sees_all_scores(viewer) or submitted
    others = [r for r in reviews if r.member_id != viewer.id and r.submitted_at is not None]
    panel = ReviewPanel(
        criteria=criteria,
        assigned=any(a.member_id == viewer.id for a in assignments),
        own=own,
        own_scores={s.criterion_id: s.score for s in own.scores} if own else {},
        submitted=submitted,
        may_see_others=may_see,
        reviewers=[a.member for a in assignments],
    )
    if may_see:
        for review in others:
            scores = {s.criterion_id: s.score for s in review.scores}
            panel.others.append(
                ShownReview(
                    review.member,
                    scores,
                    review.comments,
                    weighted_score(scores, criteria),
                    review.submitted_at,
                )
            )
    else:
        panel.hidden_count = len(others)
    return panel
