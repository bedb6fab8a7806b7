"""Benchmark of application reviewing at the programme's scale: run by hand, prints timings.

    python bench/bench_applications.py             # SQLite in a temporary folder
    python bench/bench_applications.py --postgres postgresql://postgres@127.0.0.1/convene_bench

1,000 submitted applications and 20 reviewers (half admins, half partner staff), a few
conflicts. Timed: the plain assignment over plain ids; planning from the database; the first
assignment run with its writes (2,000 assignments, one notice a reviewer naming all of
theirs, the applications moved to under review, each recorded); the board as an admin and
as a reviewer, after both reviewers of half of the applications have submitted theirs.

Target: the board and the assignment under 1 s each.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import sqlalchemy as sa  # noqa: E402

from convene import create_app  # noqa: E402
from convene.accounts.models import Member, Organisation, OrganisationKind, Role  # noqa: E402
from convene.applications.assignment import (  # noqa: E402
    assign,
    assign_reviewers,
    plan_assignments,
)
from convene.applications.board import build_board  # noqa: E402
from convene.applications.models import (  # noqa: E402
    Application,
    ApplicationStatus,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
    ReviewScore,
)
from convene.applications.rubric import active_criteria  # noqa: E402
from convene.extensions import db  # noqa: E402

APPLICATIONS, REVIEWERS, CONFLICTS = 1_000, 20, 30
STATES = ["OH", "TX", "CA", "AZ", "CO", "NY", "FL", "WA", "MI", "NC"]


def timed(label: str, runs: int, work):
    best = float("inf")
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<52} {best * 1000:8.1f} ms")
    return result


def populate(rng: random.Random) -> list[Member]:
    programme = Organisation(
        kind=OrganisationKind.PROGRAMME, name="Programme", slug="programme", zone="America/New_York"
    )
    partner = Organisation(
        kind=OrganisationKind.PARTNER, name="Partner", slug="partner", zone="America/New_York"
    )
    db.session.add_all([programme, partner])
    reviewers = [
        Member(
            organisation=programme if n % 2 == 0 else partner,
            role=Role.ADMIN if n % 2 == 0 else Role.HOST,
            email=f"reviewer{n}@bench.example.org",
            name=f"Reviewer {n}",
            password_hash="x",
        )
        for n in range(REVIEWERS)
    ]
    db.session.add_all(reviewers)
    db.session.flush()
    db.session.add_all(Reviewer(member_id=m.id) for m in reviewers)
    now = datetime.now(UTC)
    db.session.execute(
        sa.insert(Application),
        [
            {
                "reference": f"APP-B{n:05d}",
                "status": ApplicationStatus.SUBMITTED,
                "email": f"clerk{n}@city{n}.example.gov",
                "city_name": f"City {n}",
                "state": rng.choice(STATES),
                "population": rng.randint(100_000, 1_000_000),
                "zone": "America/New_York",
                "submitted_at": now - timedelta(minutes=n),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(APPLICATIONS)
        ],
    )
    ids = list(db.session.scalars(sa.select(Application.id)))
    pairs = {(rng.choice(ids), rng.choice(reviewers).id) for _ in range(CONFLICTS)}
    db.session.add_all(ReviewerConflict(application_id=a, member_id=m) for a, m in pairs)
    db.session.commit()
    return reviewers


def submit_half(rng: random.Random) -> None:
    """Both reviewers of every other application submit their review (bulk, as rows)."""
    criteria = active_criteria()
    db.session.commit()
    assignments = db.session.execute(
        sa.select(ReviewAssignment.application_id, ReviewAssignment.member_id)
    ).all()
    now = datetime.now(UTC)
    chosen = [(a, m) for a, m in assignments if a % 2 == 0]
    db.session.execute(
        sa.insert(Review),
        [
            {"application_id": a, "member_id": m, "submitted_at": now, "updated_at": now}
            for a, m in chosen
        ],
    )
    reviews = db.session.execute(sa.select(Review.id)).scalars().all()
    db.session.execute(
        sa.insert(ReviewScore),
        [
            {"review_id": r, "criterion_id": c.id, "score": rng.randint(1, 5)}
            for r in reviews
            for c in criteria
        ],
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL to use")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="convene-bench-")
    url = args.postgres or f"sqlite:///{folder}/bench.sqlite"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_SUPPRESS_SEND": True,
            "BASE_URL": "http://convene.bench",
            "RATELIMIT_STORAGE_URI": "memory://",
            "APPLICATION_UPLOADS": folder,
        }
    )
    rng = random.Random(1)
    with app.app_context():
        db.drop_all()
        db.create_all()
        reviewers = populate(rng)
        print(f"{APPLICATIONS} applications, {REVIEWERS} reviewers, on {url.split(':')[0]}")
        ids = list(range(APPLICATIONS))
        timed(
            "assign() over plain ids",
            5,
            lambda: assign(ids, range(REVIEWERS), [(i, i % REVIEWERS) for i in ids[:30]], {}),
        )
        timed("plan_assignments() (reads, no writes)", 5, plan_assignments)
        plan = timed("assign_reviewers(): first run, writes and mail", 1, assign_reviewers)
        db.session.commit()
        print(f"  {len(plan.new_pairs)} assignments made, {len(plan.short)} short")
        timed("assign_reviewers(): a run with nothing to add", 3, assign_reviewers)
        db.session.rollback()
        submit_half(rng)
        admin = reviewers[0]
        partner = reviewers[1]
        board = timed("build_board() as an admin", 5, lambda: build_board(admin))
        print(f"  {len(board.rows)} rows, {sum(r.disagreement for r in board.rows)} flagged")
        timed("build_board() as a partner reviewer", 5, lambda: build_board(partner))


if __name__ == "__main__":
    main()
