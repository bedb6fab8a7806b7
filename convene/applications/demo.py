"""The demo's applications: forty cities at every step, made through the real flows.

Drafts, submissions without reviewers yet, applications under review (some with reviews),
leadership meetings (one moved, one cancelled), decided ones (accepted cities made and their
champions invited, declines, holds) and two decisions whose letters wait to be sent. Two
admins and two partner staff review. So the demo's mail folder holds each application
notice. Loaded last: the cities it accepts change no other loader's choices.
"""

import io
import random
from datetime import time, timedelta

from pypdf import PdfWriter
from sqlalchemy import select

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.applications import (
    assignment,
    decisions,
    intake,
    letters,
    meetings,
    reviewers,
    reviews,
    rubric,
    uploads,
)
from convene.applications.models import (
    Application,
    ApplicationStatus,
    Outcome,
    ReviewAssignment,
    Seniority,
)
from convene.extensions import db
from convene.types import utcnow
from convene.visits.models import PracticeArea

# (city, state, population), real mid-sized cities not in the demo network.
CITIES = [
    ("Akron", "OH", 197_597), ("Dayton", "OH", 140_489), ("Toledo", "OH", 279_789),
    ("Fort Wayne", "IN", 260_326), ("South Bend", "IN", 101_190), ("Grand Rapids", "MI", 195_097),
    ("Madison", "WI", 248_951), ("Des Moines", "IA", 210_330), ("Wichita", "KS", 389_965),
    ("Sioux Falls", "SD", 171_544), ("Fargo", "ND", 118_523), ("Rochester", "MN", 112_225),
    ("Durham", "NC", 257_636), ("Greensboro", "NC", 285_342), ("Richmond", "VA", 220_289),
    ("Norfolk", "VA", 246_393), ("Savannah", "GA", 145_674), ("Tallahassee", "FL", 189_907),
    ("Orlando", "FL", 270_934), ("Birmingham", "AL", 212_461), ("Little Rock", "AR", 197_992),
    ("Shreveport", "LA", 197_204), ("El Paso", "TX", 681_124), ("Corpus Christi", "TX", 324_074),
    ("Charleston", "SC", 132_609), ("Spokane", "WA", 213_272), ("Eugene", "OR", 163_460),
    ("Salem", "OR", 164_549), ("Fresno", "CA", 520_052), ("Riverside", "CA", 319_504),
    ("Reno", "NV", 241_445), ("Salt Lake City", "UT", 192_672), ("Tucson", "AZ", 531_641),
    ("Colorado Springs", "CO", 456_568), ("Worcester", "MA", 184_508), ("New Haven", "CT", 130_322),
    ("Yonkers", "NY", 200_667), ("Buffalo", "NY", 258_959), ("Allentown", "PA", 120_443),
    ("Manchester", "NH", 110_378),
]  # fmt: skip

# How many applications reach each step, in the order of CITIES.
PLAN = (
    ("accepted", 6),
    ("declined", 4),
    ("held", 2),
    ("pending", 2),  # decided, letter not sent yet
    ("meeting", 3),
    ("meeting_cancelled", 1),  # back under review
    ("under_review", 8),
    ("submitted", 8),
    ("draft", 6),
)

FIRST = ["Alex", "Jordan", "Casey", "Morgan", "Riley", "Taylor", "Jamie", "Avery", "Quinn", "Drew"]
LAST = ["Nguyen", "Okafor", "Silva", "Kowalski", "Haddad", "Lindqvist", "Moreno", "Park"]
TITLES = ["Chief of Staff", "Chief Data Officer", "Director of Performance", "City Manager"]
COMMENTS = [
    "A strong record with its 311 data; the champion is close to the mayor.",
    "Committed leadership, but few staff to give to the work.",
    "Clear need and a convincing letter; data work is only starting.",
    "Good open data portal; wants help with evaluation.",
]


def letter_pdf(city: str) -> bytes:
    """A one-page PDF standing in for the mayor's letter."""
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": f"Letter of commitment: {city}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _reviewers() -> tuple[Member, list[Member]]:
    """Two admins and two partner staff, marked as reviewers; the first admin decides."""
    admins = list(
        db.session.scalars(select(Member).where(Member.role == Role.ADMIN).order_by(Member.id))
    )[:2]
    partner_staff = list(
        db.session.scalars(
            select(Member)
            .join(Organisation)
            .where(Organisation.kind == OrganisationKind.PARTNER, Member.role == Role.HOST)
            .order_by(Member.id)
        )
    )[:2]
    for member in admins + partner_staff:
        reviewers.mark_reviewer(member)
    return admins[0], admins + partner_staff


def _draft(rng, city, state, population, n, areas) -> Application:
    contact = _person(rng)
    domain = f"{_slug(city)}.example.gov"
    application, _secret = intake.start_application(
        f"{contact.split()[0].lower()}@{domain}", contact, city, state, population
    )
    champion = _person(rng)
    intake.save_draft(
        application,
        {
            "champion_name": champion,
            "champion_title": rng.choice(TITLES),
            "champion_email": f"{champion.split()[0].lower()}.{n}@{domain}",
            "champion_seniority": rng.choice(list(Seniority)).value,
            "data_history": "An open data portal and a monthly performance review.",
            "resources": "Two analysts half time, and the mayor's chief of staff.",
            "help_wanted": "Turning our 311 data into decisions about services.",
        },
        rng.sample(areas, 2),
    )
    return application


def _submitted(rng, city, state, population, n, areas) -> Application:
    application = _draft(rng, city, state, population, n, areas)
    uploads.store_letter(db.session, application, letter_pdf(city), "mayor-letter.pdf")
    db.session.flush()
    intake.submit_application(application)
    return application


def _review(rng, application: Application, member: Member, criteria) -> None:
    scores = {c.id: rng.randint(2, 5) for c in criteria}
    reviews.save_review(application, member, scores, rng.choice(COMMENTS), submit=True)


def load(rng: random.Random) -> None:
    rubric.ensure_criteria()
    letters.templates()
    decider, panel = _reviewers()
    db.session.flush()
    areas = list(db.session.scalars(select(PracticeArea).order_by(PracticeArea.id)))
    steps = [step for step, count in PLAN for _ in range(count)]
    cities = list(zip(steps, CITIES, strict=True))
    reviewed_steps = {"accepted", "declined", "held", "pending", "meeting", "meeting_cancelled"}

    # Everything the committee has seen is submitted first, then given to its reviewers.
    made: dict[str, list[Application]] = {}
    for n, (step, (city, state, population)) in enumerate(cities):
        if step in reviewed_steps or step == "under_review":
            made.setdefault(step, []).append(_submitted(rng, city, state, population, n, areas))
    db.session.flush()
    assignment.assign_reviewers(decider)
    criteria = rubric.active_criteria()
    assigned = {}
    for row in db.session.scalars(select(ReviewAssignment).order_by(ReviewAssignment.id)):
        assigned.setdefault(row.application_id, []).append(row.member)
    for step, applications in made.items():
        for i, application in enumerate(applications):
            people = assigned.get(application.id, [])
            # Under review: some have a first review in; the rest are fully reviewed.
            count = (i % 3) if step == "under_review" else len(people)
            for member in people[:count]:
                _review(rng, application, member, criteria)

    soon = (utcnow() + timedelta(days=7)).date()
    for i, application in enumerate(made["meeting"] + made["meeting_cancelled"]):
        meeting = meetings.schedule_meeting(
            application, soon + timedelta(days=i), time(10), 60, "City Hall", actor=decider
        )
        if i == 1:
            meetings.move_meeting(
                meeting, soon + timedelta(days=i + 1), time(14), 45, "City Hall", actor=decider
            )
        if application in made["meeting_cancelled"]:
            meetings.cancel_meeting(meeting, actor=decider)

    outcomes = {"accepted": Outcome.ACCEPT, "declined": Outcome.DECLINE, "held": Outcome.HOLD}
    for step, outcome in outcomes.items():
        for application in made[step]:
            decision = decisions.decide(application, outcome, decider)
            decisions.send_letter(decision.id, decider)
    waiting = (Outcome.ACCEPT, Outcome.DECLINE)
    for application, outcome in zip(made["pending"], waiting, strict=True):
        decisions.decide(application, outcome, decider)

    # Applications that came in since the reviewers were assigned, and drafts.
    for n, (step, (city, state, population)) in enumerate(cities):
        if step == "submitted":
            _submitted(rng, city, state, population, n, areas)
        elif step == "draft":
            _draft(rng, city, state, population, n, areas)
    db.session.flush()
    _spread_over_weeks(rng)


def _spread_over_weeks(rng: random.Random) -> None:
    """Rolling applications over the last three months, decisions weeks after: the
    dashboard's time to a decision reads as it would in use."""
    now = utcnow()
    for application in db.session.scalars(select(Application).order_by(Application.id)):
        if application.status == ApplicationStatus.DRAFT:
            continue
        application.submitted_at = now - timedelta(
            days=rng.randint(20, 90), hours=rng.randint(0, 23)
        )
        if application.decided_at is not None:
            application.decided_at = application.submitted_at + timedelta(days=rng.randint(14, 45))
            application.decided_at = min(application.decided_at, now)
