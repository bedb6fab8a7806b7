"""Who may read applications, score them and decide.

Applications hold a city's plans and its mayor's letter: only programme admins and the
reviewers they mark (admins and partner staff) read them. A reviewer scores only what they
are assigned (the database says so too: a review belongs to its assignment); admins see
every score, a reviewer sees others' scores of an application once theirs is submitted
(reviews.py, board.py).
"""

import sqlalchemy as sa
from flask import has_request_context, request

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.applications.models import Reviewer
from convene.extensions import db

CACHE_KEY = "convene.application_reviewers"  # per request (an app context may outlive it)


def _signed_in(member) -> bool:
    return member is not None and getattr(member, "is_authenticated", False)


def is_admin(member) -> bool:
    return _signed_in(member) and member.is_admin


def is_partner_staff(member) -> bool:
    return _signed_in(member) and member.organisation is not None and member.organisation.is_partner


def can_be_reviewer(member) -> bool:
    """Only admins and partner staff review: a city's own people never weigh another city."""
    return member is not None and member.active and (member.is_admin or is_partner_staff(member))


def is_reviewer(member) -> bool:
    """Marked as an active reviewer, and still an admin or partner staff (one query, the
    same for everyone, remembered for the request: the navigation asks on every page)."""
    if not _signed_in(member):
        return False
    cache = request.environ.setdefault(CACHE_KEY, {}) if has_request_context() else {}
    if member.id not in cache:
        cache[member.id] = bool(
            db.session.scalar(
                sa.select(Reviewer.id)
                .join(Member, Member.id == Reviewer.member_id)
                .join(Organisation, Organisation.id == Member.organisation_id)
                .where(
                    Reviewer.member_id == member.id,
                    Reviewer.active.is_(True),
                    Member.active.is_(True),
                    sa.or_(
                        Member.role == Role.ADMIN,
                        Organisation.kind == OrganisationKind.PARTNER,
                    ),
                )
            )
        )
    return cache[member.id]


def can_review(member) -> bool:
    """May read the board and the applications: admins and active reviewers."""
    return is_admin(member) or is_reviewer(member)


def sees_all_scores(member) -> bool:
    return is_admin(member)


def can_manage_review(member) -> bool:
    """Mark reviewers, set the rubric, run the assignment, schedule meetings: admins."""
    return is_admin(member)


def can_decide(member) -> bool:
    return is_admin(member)
