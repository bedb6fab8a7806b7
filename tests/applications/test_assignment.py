"""Who reviews which application: the plain decision, then its database glue."""

import sqlalchemy as sa

from convene.applications.assignment import assign, assign_reviewers, plan_assignments, summary
from convene.applications.models import ApplicationStatus, Review, ReviewAssignment
from convene.applications.reviewers import declare_conflict, mark_reviewer, unmark_reviewer
from convene.extensions import db
from convene.history.models import Action, ActionKind

# --- the plain function ----------------------------------------------------------------------


def test_each_application_gets_two_reviewers_with_even_loads():
    plan = assign(range(1, 11), [7, 8, 9, 10], [], {})
    assert all(len(plan[a]) == 2 and len(set(plan[a])) == 2 for a in range(1, 11))
    loads = [sum(r in rs for rs in plan.values()) for r in (7, 8, 9, 10)]
    assert loads == [5, 5, 5, 5]
    assert not plan.short


def test_a_conflicted_reviewer_is_never_assigned():
    plan = assign([1, 2, 3], [10, 20, 30], [(1, 10), (2, 20), (2, 30)], {})
    assert 10 not in plan[1]
    assert plan[2] == [10]
    assert plan.short == {2: 1}


def test_existing_assignments_are_kept_and_count_as_load():
    plan = assign([1, 2], [10, 20, 30], [], {1: [30, 20]})
    assert plan[1] == [30, 20]
    assert 1 not in plan.added
    # 10 has no load, then 20 and 30 tie at one: the lowest id.
    assert plan[2] == [10, 20]
    assert plan.added == {2: [10, 20]}


def test_deterministic_for_the_same_input():
    args = (list(range(50)), [5, 3, 9, 1], [(4, 3), (7, 9)], {2: [5]})
    assert assign(*args) == assign(*args)
    assert assign(*args).added == assign(*args).added


def test_no_reviewers_is_reported_not_failed():
    plan = assign([1, 2], [], [], {})
    assert plan == {1: [], 2: []}
    assert plan.short == {1: 0, 2: 0}
    assert (
        summary(plan)
        == "0 applications have two reviewers; 2 could not: too few reviewers without a conflict."
    )


# --- the glue --------------------------------------------------------------------------------


def _kinds(kind):
    return db.session.scalars(sa.select(Action).where(Action.kind == kind)).all()


def test_assigning_records_each_assignment_and_moves_to_under_review(
    make_application, make_reviewer
):
    first, second = make_application(), make_application()
    reviewers = [make_reviewer("admin"), make_reviewer("partner"), make_reviewer("partner")]
    plan = assign_reviewers()
    db.session.commit()
    assert len(plan.new_pairs) == 4 and not plan.short
    assert summary(plan) == "2 applications have two reviewers (4 new assignments)."
    for application in (first, second):
        db.session.refresh(application)
        assert application.status == ApplicationStatus.UNDER_REVIEW
    # Each reviewer is told once, of all the applications they were given.
    assigned = _kinds(ActionKind.REVIEWER_ASSIGNED)
    given = {a.member_id: a.details["applications"] for a in assigned}
    assert len(assigned) == len(given) <= 3 and set(given) <= {r.id for r in reviewers}
    assert sorted(i for ids in given.values() for i in ids) == sorted([first.id, second.id] * 2)
    moved = _kinds(ActionKind.APPLICATION_UNDER_REVIEW)
    assert {a.application_id for a in moved} == {first.id, second.id}
    assert all(a.after == {"status": "under_review"} for a in moved)
    # A second run changes nothing and records nothing.
    again = assign_reviewers()
    db.session.commit()
    assert not again.added
    assert len(_kinds(ActionKind.REVIEWER_ASSIGNED)) == len(assigned)


def test_a_conflict_after_assignment_removes_it_and_the_next_run_replaces_it(
    make_application, make_reviewer
):
    application = make_application()
    a, b, c = make_reviewer("partner"), make_reviewer("partner"), make_reviewer("partner")
    assign_reviewers()
    db.session.commit()
    first_two = {r.member_id for r in db.session.scalars(sa.select(ReviewAssignment))}
    assert first_two == {a.id, b.id}
    db.session.add(Review(application_id=application.id, member_id=a.id, comments="draft"))
    db.session.commit()
    assert declare_conflict(application, a, "My brother is the mayor.")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
    plan = assign_reviewers()
    db.session.commit()
    assert plan.added == {application.id: [c.id]}
    assert set(plan[application.id]) == {b.id, c.id}


def test_a_reviewer_taken_off_releases_their_open_assignments(make_application, make_reviewer):
    make_application()
    a = make_reviewer("partner")
    make_reviewer("admin")
    assign_reviewers()
    db.session.commit()
    assert unmark_reviewer(a) == 1
    db.session.commit()
    plan = plan_assignments()
    assert list(plan.short.values()) == [1]
    mark_reviewer(a)
    db.session.commit()
    assert not plan_assignments().short


def test_planning_reads_a_fixed_number_of_queries(make_application, make_reviewer, count_queries):
    for _ in range(3):
        make_reviewer("partner")
    counts, made = [], 0
    for n in (10, 40):
        while made < n:
            make_application()
            made += 1
        with count_queries() as q:
            plan = plan_assignments()
        assert len(plan) == n
        counts.append(q.count)
    assert counts[0] == counts[1]


def test_an_assignment_run_writes_in_a_fixed_number_of_queries(
    make_application, make_reviewer, count_queries
):
    """However many applications a run assigns, with the same reviewers: the same queries
    (one notice for each reviewer, the rest in bulk)."""
    for _ in range(3):
        make_reviewer("partner")
    counts = []
    for n in (10, 40):
        for _ in range(n):
            make_application()
        with count_queries() as q:
            plan = assign_reviewers()
        db.session.commit()
        assert len(plan.added) == n and not plan.short
        counts.append(q.count)
    assert counts[0] == counts[1]
