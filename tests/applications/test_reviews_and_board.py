"""The rubric, reviews (others' scores hidden until one's own is submitted) and the board."""

import pytest
import sqlalchemy as sa

from convene.applications.assignment import assign_reviewers
from convene.applications.board import BoardFilters, build_board
from convene.applications.models import Criterion, ReviewAssignment
from convene.applications.reviews import ReviewError, review_panel, save_review
from convene.applications.rubric import (
    CriterionError,
    active_criteria,
    add_criterion,
    update_criterion,
    weighted_score,
)
from convene.extensions import db


def _assign(application, *members):
    for member in members:
        db.session.add(ReviewAssignment(application_id=application.id, member_id=member.id))
    db.session.commit()


def _score_all(application, member, value, submit=True, **by_name):
    scores = {c.id: by_name.get(c.name, value) for c in active_criteria()}
    review = save_review(application, member, scores, "Comments.", submit)
    db.session.commit()
    return review


# --- rubric ----------------------------------------------------------------------------------


def test_the_default_criteria_come_from_the_committee(app):
    names = [c.name for c in active_criteria()]
    assert names == [
        "Prior use of data",
        "Leadership buy-in",
        "Seniority of the champion",
        "Resources committed",
        "Need for help not available elsewhere",
    ]


def test_weighted_score_over_active_criteria(app):
    a = Criterion(name="A", weight=2.0)
    b = Criterion(name="B", weight=1.0)
    c = Criterion(name="C", weight=5.0, active=False)
    db.session.add_all([a, b, c])
    db.session.flush()
    assert weighted_score({a.id: 5, b.id: 2, c.id: 1}, [a, b, c]) == 4.0
    assert weighted_score({}, [a, b]) is None


def test_criteria_refuse_bad_weights_and_duplicate_names(app):
    active_criteria()
    with pytest.raises(CriterionError, match="above 0"):
        add_criterion("Equity", None, 0)
    with pytest.raises(CriterionError, match="already"):
        add_criterion("leadership BUY-IN", None, 1)
    criterion = add_criterion("Equity", "Who benefits.", 1.5)
    update_criterion(criterion, "Equity", None, 3, active=False)
    assert "Equity" not in [c.name for c in active_criteria()]


# --- reviews ---------------------------------------------------------------------------------


def test_only_an_assigned_reviewer_scores(make_application, make_reviewer):
    application = make_application()
    with pytest.raises(ReviewError, match="not assigned"):
        save_review(application, make_reviewer("partner"), {}, None, submit=False)


def test_a_draft_may_be_partial_a_submission_may_not_and_is_final(make_application, make_reviewer):
    application, reviewer = make_application(), make_reviewer("partner")
    _assign(application, reviewer)
    first = active_criteria()[0]
    save_review(application, reviewer, {first.id: 4}, "So far.", submit=False)
    db.session.commit()
    with pytest.raises(ReviewError, match="before submitting"):
        save_review(application, reviewer, {first.id: 4}, "So far.", submit=True)
    with pytest.raises(ReviewError, match="from 1 to 5"):
        save_review(application, reviewer, {first.id: 9}, None, submit=False)
    db.session.rollback()
    _score_all(application, reviewer, 3)
    with pytest.raises(ReviewError, match="no longer be changed"):
        _score_all(application, reviewer, 5)


def test_others_scores_show_only_after_submitting_ones_own(
    make_application, make_reviewer, make_member
):
    application = make_application()
    a, b = make_reviewer("partner"), make_reviewer("partner")
    admin = make_member(role="admin")
    _assign(application, a, b)
    _score_all(application, a, 5)
    panel = review_panel(application, b)
    assert not panel.may_see_others and panel.others == [] and panel.hidden_count == 1
    assert [r.reviewer.id for r in review_panel(application, admin).others] == [a.id]
    save_review(application, b, {}, "draft", submit=False)
    db.session.commit()
    assert review_panel(application, b).others == []
    _score_all(application, b, 2)
    seen = review_panel(application, b).others
    assert [(r.reviewer.id, r.weighted) for r in seen] == [(a.id, 5.0)]


# --- the board -------------------------------------------------------------------------------


def test_board_ranks_flags_and_hides(make_application, make_reviewer, make_member):
    strong = make_application(city="Dayton", state="OH", population=137_000)
    split = make_application(city="Tulsa", state="OK", population=410_000)
    unscored = make_application(city="Mesa", state="AZ", population=510_000)
    a, b = make_reviewer("partner"), make_reviewer("partner")
    admin = make_member(role="admin")
    for application in (strong, split, unscored):
        _assign(application, a, b)
    _score_all(strong, a, 5)
    _score_all(strong, b, 4)
    _score_all(split, a, 5)
    _score_all(split, b, 2)
    rows = build_board(admin).rows
    assert [r.id for r in rows] == [strong.id, split.id, unscored.id]
    assert [r.score for r in rows] == [4.5, 3.5, None]
    assert [r.disagreement for r in rows] == [False, True, False]
    assert rows[1].spread == 3.0
    # b has submitted both: sees both; a new reviewer with nothing submitted sees none.
    c = make_reviewer("partner")
    _assign(strong, c)
    for_c = {r.id: r for r in build_board(c).rows}
    assert for_c[strong.id].score is None and for_c[strong.id].scores_hidden
    assert for_c[strong.id].mine == "to do"
    assert not for_c[split.id].disagreement and for_c[split.id].scores_hidden


def test_board_filters(make_application, make_member):
    admin = make_member(role="admin")
    small = make_application(state="OH", population=120_000)
    middle = make_application(state="TX", population=300_000)
    large = make_application(state="TX", population=1_000_000, status="under_review")
    make_application(status="draft")

    def ids(**args):
        return {r.id for r in build_board(admin, BoardFilters.from_args(args)).rows}

    assert ids() == {small.id, middle.id, large.id}
    assert ids(state="tx") == {middle.id, large.id}
    assert ids(band="100k-250k") == {small.id}
    assert ids(band="500k-1m") == {large.id}
    assert ids(status="under_review") == {large.id}
    assert ids(state="TX", band="250k-500k") == {middle.id}
    assert ids(band="nonsense", status="nope") == {small.id, middle.id, large.id}


def test_board_runs_a_fixed_number_of_queries(
    make_application, make_reviewer, make_member, count_queries
):
    admin = make_member(role="admin")
    reviewers = [make_reviewer("partner") for _ in range(3)]
    counts, made = [], []
    for n in (10, 40):
        while len(made) < n:
            made.append(make_application())
        assign_reviewers()
        db.session.commit()
        for application in made[: n // 2]:  # half of them scored by their first reviewer
            first = db.session.scalar(
                sa.select(ReviewAssignment.member_id)
                .where(ReviewAssignment.application_id == application.id)
                .order_by(ReviewAssignment.id)
                .limit(1)
            )
            member = next(r for r in reviewers if r.id == first)
            if not review_panel(application, member).submitted:
                _score_all(application, member, 3)
        with count_queries() as q:
            board = build_board(admin)
        assert len(board.rows) == n
        assert sum(r.score is not None for r in board.rows) == n // 2
        counts.append(q.count)
    assert counts[0] == counts[1]
