"""Who reviews which application: at least two reviewers each, never a conflicted one,
loads kept even.

`assign` is the decision, over plain ids; `assign_reviewers` reads the database for it,
writes the new assignments and records them (each reviewer hears of theirs; an application
that gets its first reviewers is under review, and its applicant hears that).
"""

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from convene.accounts.models import Member
from convene.applications.models import (
    Application,
    ApplicationStatus,
    ReviewAssignment,
    ReviewerConflict,
)
from convene.applications.reviewers import active_reviewer_ids
from convene.extensions import db
from convene.history.actions import record_action, record_actions
from convene.history.models import ActionKind
from convene.types import utcnow

PER_APPLICATION = 2

# Applications still being reviewed: the assignment keeps them staffed.
OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.MEETING,
)


class Plan(dict):
    """application id -> its reviewers (those it had, then those added), with `added` (the
    new pairs, by application) and `short` (applications below the quota: how many they
    have) for the ones too few reviewers without a conflict could staff."""

    def __init__(self):
        super().__init__()
        self.added: dict[int, list[int]] = {}
        self.short: dict[int, int] = {}

    @property
    def new_pairs(self) -> list[tuple[int, int]]:
        return [(a, r) for a, reviewers in self.added.items() for r in reviewers]


def assign(
    applications: Iterable[int],
    reviewers: Iterable[int],
    conflicts: Iterable[tuple[int, int]],
    existing: dict[int, list[int]],
    per_application: int = PER_APPLICATION,
) -> Plan:
    """Keep every existing assignment and add reviewers until each application has
    `per_application`: the least loaded reviewer first (ties: the lowest id), never one
    with a conflict, never one twice. Deterministic for the same input.

    Loads count every existing assignment given, so a reviewer busy with earlier
    applications is asked last. An application that cannot reach the quota is in
    `plan.short` with what it could get; nothing fails.
    """
    reviewers = sorted(set(reviewers))
    conflicted = defaultdict(set)
    for application_id, reviewer_id in conflicts:
        conflicted[application_id].add(reviewer_id)
    load = dict.fromkeys(reviewers, 0)
    for assigned in existing.values():
        for reviewer_id in assigned:
            if reviewer_id in load:
                load[reviewer_id] += 1
    plan = Plan()
    for application_id in applications:
        assigned = list(dict.fromkeys(existing.get(application_id, ())))
        needed = per_application - len(assigned)
        if needed > 0:
            taken = set(assigned) | conflicted[application_id]
            candidates = [r for r in reviewers if r not in taken]
            chosen = sorted(candidates, key=lambda r: (load[r], r))[:needed]
            for reviewer_id in chosen:
                load[reviewer_id] += 1
            if chosen:
                plan.added[application_id] = chosen
            assigned += chosen
            if len(assigned) < per_application:
                plan.short[application_id] = len(assigned)
        plan[application_id] = assigned
    return plan


def plan_assignments(per_application: int = PER_APPLICATION) -> Plan:
    """The plan for every open application, in the order they were submitted (four queries
    however many there are)."""
    applications = list(
        db.session.scalars(
            sa.select(Application.id)
            .where(Application.status.in_(OPEN_STATUSES))
            .order_by(Application.submitted_at, Application.id)
        )
    )
    open_ids = sa.select(Application.id).where(Application.status.in_(OPEN_STATUSES))
    existing: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(ReviewAssignment.application_id, ReviewAssignment.member_id)
        .where(ReviewAssignment.application_id.in_(open_ids))
        .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
    )
    for application_id, member_id in rows:
        existing[application_id].append(member_id)
    conflicts = db.session.execute(
        sa.select(ReviewerConflict.application_id, ReviewerConflict.member_id).where(
            ReviewerConflict.application_id.in_(open_ids)
        )
    ).all()
    return assign(applications, active_reviewer_ids(), conflicts, existing, per_application)


def _lock_open_applications() -> None:
    """One assignment run at a time: a second waits for the first to commit, then plans
    from its assignments (so no application gets four reviewers from two clicks)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("UPDATE applications SET id = id WHERE id = -1"))
        db.session.execute(sa.text("UPDATE review_assignments SET id = id WHERE id = -1"))
        return
    db.session.execute(
        sa.select(Application.id)
        .where(Application.status.in_(OPEN_STATUSES))
        .order_by(Application.id)
        .with_for_update()
    ).all()


MOVED_TO = {"status": ApplicationStatus.UNDER_REVIEW.value}


def assign_reviewers(actor=None, per_application: int = PER_APPLICATION) -> Plan:
    """Write the plan in a fixed number of statements, whatever its size: the new
    assignments; for each reviewer, one REVIEWER_ASSIGNED naming all their new applications
    (they hear once a run, not once an application); and submitted applications that now
    have reviewers move to under review (for the history and the applicant's status page).
    The caller commits."""
    _lock_open_applications()
    plan = plan_assignments(per_application)
    if not plan.added:
        return plan
    db.session.execute(
        sa.insert(ReviewAssignment),
        [{"application_id": a, "member_id": r, "assigned_at": utcnow()} for a, r in plan.new_pairs],
    )
    moved = list(
        db.session.scalars(
            sa.update(Application)
            .where(
                Application.id.in_(list(plan.added)),
                Application.status == ApplicationStatus.SUBMITTED,
            )
            .values(status=ApplicationStatus.UNDER_REVIEW)
            .returning(Application.id)
        )
    )
    record_actions(
        ActionKind.APPLICATION_UNDER_REVIEW,
        actor,
        [
            {
                "application_id": a,
                "before": {"status": "submitted"},
                "after": {"status": "under_review"},
            }
            for a in sorted(moved)
        ],
    )
    by_reviewer: dict[int, list[int]] = defaultdict(list)
    for application_id, reviewer_id in plan.new_pairs:
        by_reviewer[reviewer_id].append(application_id)
    members = db.session.scalars(sa.select(Member).where(Member.id.in_(list(by_reviewer))))
    for member in sorted(members, key=lambda m: m.id):
        ids = sorted(by_reviewer[member.id])
        record_action(
            ActionKind.REVIEWER_ASSIGNED,
            actor,
            member=member,
            application_id=ids[0] if len(ids) == 1 else None,
            applications=ids,
        )
    return plan


def summary(plan: Plan, per_application: int = PER_APPLICATION) -> str:
    """ "38 applications have two reviewers; 2 could not: too few reviewers without a
    conflict" (what the admin reads after a run)."""
    staffed = len(plan) - len(plan.short)
    count = {2: "two", 3: "three"}.get(per_application, str(per_application))
    noun = "application has" if staffed == 1 else "applications have"
    line = f"{staffed} {noun} {count} reviewers"
    added = len(plan.new_pairs)
    line += f" ({added} new assignment{'s' if added != 1 else ''})" if added else ""
    if plan.short:
        line += f"; {len(plan.short)} could not: too few reviewers without a conflict"
    return line + "."
