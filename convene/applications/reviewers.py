"""Marking reviewers, and their conflicts of interest.

Only admins and partner staff may review (permissions.can_be_reviewer). A conflict declared
after an assignment takes the reviewer off that application at once, their review with it
(a conflicted score must not count); the next assignment run gives it someone else.
"""

import sqlalchemy as sa
from flask import has_request_context, request

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.applications.models import (
    Application,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
)
from convene.applications.permissions import CACHE_KEY, can_be_reviewer
from convene.extensions import db


class ReviewerError(ValueError):
    """A reviewer change that cannot be made; the message says why."""


def _forget_cached(member: Member) -> None:
    if has_request_context():
        request.environ.pop(CACHE_KEY, None)


def mark_reviewer(member: Member) -> Reviewer:
    if not can_be_reviewer(member):
        raise ReviewerError(
            f"{member.name} cannot review applications: only admins and partner staff can."
        )
    reviewer = db.session.scalar(sa.select(Reviewer).where(Reviewer.member_id == member.id))
    if reviewer is None:
        reviewer = Reviewer(member_id=member.id)
        db.session.add(reviewer)
    reviewer.active = True
    db.session.flush()
    _forget_cached(member)
    return reviewer


def unmark_reviewer(member: Member) -> int:
    """No longer a reviewer: their assignments without a submitted review go (the next run
    gives those applications someone else); submitted reviews stay. Returns how many went."""
    reviewer = db.session.scalar(sa.select(Reviewer).where(Reviewer.member_id == member.id))
    if reviewer is None or not reviewer.active:
        raise ReviewerError(f"{member.name} is not a reviewer.")
    reviewer.active = False
    submitted = sa.select(Review.application_id).where(
        Review.member_id == member.id, Review.submitted_at.is_not(None)
    )
    open_assignments = list(
        db.session.scalars(
            sa.select(ReviewAssignment).where(
                ReviewAssignment.member_id == member.id,
                ReviewAssignment.application_id.not_in(submitted),
            )
        )
    )
    for assignment in open_assignments:
        _remove_assignment(assignment.application_id, member.id)
    db.session.flush()
    _forget_cached(member)
    return len(open_assignments)


def _remove_assignment(application_id: int, member_id: int) -> bool:
    """The assignment and its review (deleted here, not left to the database's cascade, so
    the session and the feeds see both go)."""
    for model in (Review, ReviewAssignment):
        row = db.session.scalar(
            sa.select(model).where(
                model.application_id == application_id, model.member_id == member_id
            )
        )
        if row is None and model is ReviewAssignment:
            return False
        if row is not None:
            db.session.delete(row)
            db.session.flush()
    return True


def declare_conflict(application: Application, member: Member, reason: str | None) -> bool:
    """Record the conflict (once) and take the reviewer off the application. True when an
    assignment was removed."""
    exists = db.session.scalar(
        sa.select(ReviewerConflict.id).where(
            ReviewerConflict.application_id == application.id,
            ReviewerConflict.member_id == member.id,
        )
    )
    if exists is None:
        db.session.add(
            ReviewerConflict(application_id=application.id, member_id=member.id, reason=reason)
        )
    return _remove_assignment(application.id, member.id)


def has_conflict(application_id: int, member_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(ReviewerConflict.id).where(
                ReviewerConflict.application_id == application_id,
                ReviewerConflict.member_id == member_id,
            )
        )
        is not None
    )


def reviewer_rows() -> list[Reviewer]:
    """Every reviewer, active first, by name (members loaded with them)."""
    return list(
        db.session.scalars(
            sa.select(Reviewer)
            .join(Member, Member.id == Reviewer.member_id)
            .options(sa.orm.selectinload(Reviewer.member).selectinload(Member.organisation))
            .order_by(Reviewer.active.desc(), Member.name, Member.id)
        )
    )


def active_reviewer_ids() -> list[int]:
    """Member ids of the active reviewers who may still review (admins, partner staff)."""
    partners = sa.select(Organisation.id).where(Organisation.kind == OrganisationKind.PARTNER)
    from_partner_or_admin = sa.or_(Member.role == Role.ADMIN, Member.organisation_id.in_(partners))
    return list(
        db.session.scalars(
            sa.select(Reviewer.member_id)
            .join(Member, Member.id == Reviewer.member_id)
            .where(Reviewer.active.is_(True), Member.active.is_(True), from_partner_or_admin)
            .order_by(Reviewer.member_id)
        )
    )
