"""Applying: start an application, save its draft, submit it; and where it stands.

The applicant has no account. Starting an application (only for an eligible city) makes a
draft and mails its link; submitting it (only when every part is there, the mayor's letter
included) retires the draft links, gives a status link and records the step, whose mail
(the confirmation, with the reference and that link) the who-hears-what table sends.
Functions change the session and never commit.

Nothing here tells one applicant about another: a city that has applied before starts a
new application like any other, and the committee sees both.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from convene.accounts.models import normalise_email
from convene.applications.eligibility import configured_band, eligibility_problem
from convene.applications.links import issue_link, retire_links
from convene.applications.models import (
    PIPELINE,
    STATUS_LABELS,
    Application,
    ApplicationStatus,
    DecisionLetter,
    LeadershipMeeting,
    LinkPurpose,
    ReviewAssignment,
    Seniority,
)
from convene.applications.places import zone_and_position
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.notifications.outbox import queue_email
from convene.summit.registration import lock_row
from convene.types import utcnow
from convene.urls import external_url
from convene.visits.models import PracticeArea

# Unambiguous read aloud or copied by hand: no 0/O, 1/I/L, nor U (V).
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_LENGTH = 6
REFERENCE_PREFIX = "APP-"

# The parts of an application a submission needs, in the form's order, with what to say.
REQUIRED = (
    ("contact_name", "Give your name."),
    ("city_name", "Give the city's name."),
    ("state", "Choose the city's state."),
    ("population", "Give the city's population."),
    ("letter_file", "Upload the mayor's letter of commitment (a PDF)."),
    ("champion_name", "Give the champion's name."),
    ("champion_title", "Give the champion's title."),
    ("champion_email", "Give the champion's email address."),
    ("champion_seniority", "Choose how senior the champion is."),
    ("data_history", "Say what the city has done with data so far."),
    ("resources", "Say what resources the city will commit."),
    ("areas", "Tick at least one area the city wants help with."),
    ("help_wanted", "Say what the city wants help with."),
)

# What a draft's form may change (the applicant's email is where the links go: fixed).
DRAFT_FIELDS = (
    "contact_name",
    "city_name",
    "state",
    "population",
    "champion_name",
    "champion_title",
    "champion_email",
    "champion_seniority",
    "data_history",
    "resources",
    "help_wanted",
)


class IntakeError(ValueError):
    """A step the applicant cannot take, in their words; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def new_reference() -> str:
    """An unused reference such as "APP-7K3Q9M" (the unique column settles a race)."""
    for _ in range(20):
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        reference = REFERENCE_PREFIX + code
        taken = db.session.scalar(
            sa.select(Application.id).where(Application.reference == reference)
        )
        if taken is None:
            return reference
    raise RuntimeError("no unused application reference after 20 tries")


def start_application(
    email: str, contact_name: str, city_name: str, state: str, population: int | None
) -> tuple[Application, str]:
    """A new draft for an eligible city, its link mailed; returns it and the link's secret.

    IntakeError (nothing changed) if the city may not apply.
    """
    problem = eligibility_problem(state, population, configured_band())
    if problem is not None:
        raise IntakeError(problem, "population" if state and population is not None else None)
    application = Application(
        reference=new_reference(),
        status=ApplicationStatus.DRAFT,
        email=normalise_email(email),
        contact_name=contact_name,
        city_name=city_name,
        state=state,
        population=population,
    )
    db.session.add(application)
    db.session.flush()
    secret = issue_link(application, LinkPurpose.DRAFT)
    queue_email(
        application.email,
        f"Your application to {current_app.config['PROGRAMME_NAME']}: your draft",
        "applications/applicant_draft",
        application=application,
        link=external_url("apply.draft", token=secret),
        days=current_app.config["APPLICATION_DRAFT_DAYS"],
    )
    return application, secret


def send_links_again(email: str) -> int:
    """Fresh links to every application made from this address, in one email: a draft's
    (its old links keep working until they expire) or a status page's. Returns how many;
    the page says the same whatever the number, so it tells nobody who has applied."""
    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.email == normalise_email(email))
        .order_by(Application.created_at, Application.id)
    ).all()
    if not applications:
        return 0
    links = []
    for application in applications:
        if application.status == ApplicationStatus.DRAFT:
            secret = issue_link(application, LinkPurpose.DRAFT)
            links.append((application, "draft", external_url("apply.draft", token=secret)))
        else:
            secret = issue_link(application, LinkPurpose.STATUS)
            links.append((application, "status", external_url("apply.status", token=secret)))
    queue_email(
        applications[0].email,
        f"Your applications to {current_app.config['PROGRAMME_NAME']}: your links",
        "applications/applicant_links",
        links=links,
        days=current_app.config["APPLICATION_DRAFT_DAYS"],
    )
    return len(links)


def _require_draft(application: Application) -> None:
    if application.status != ApplicationStatus.DRAFT:
        raise IntakeError("This application has been submitted: it can no longer be changed.")


def lock_draft(application: Application) -> Application:
    """The application's row locked and re-read, still a draft (else IntakeError): a save
    and a submission of one draft, from two tabs, happen one after the other."""
    locked = lock_row(Application, application.id)
    _require_draft(locked)
    return locked


def save_draft(application: Application, values: dict, areas: list[PracticeArea]) -> None:
    """Keep whatever the applicant has written so far (a draft may be partial)."""
    _require_draft(application)
    for name in DRAFT_FIELDS:
        if name in values:
            value = values[name]
            if isinstance(value, str):
                value = value.strip() or None
            if name == "champion_email" and value:
                value = normalise_email(value)
            if name == "champion_seniority" and value:
                value = Seniority(value)
            if name in ("city_name", "state") and not value:
                continue  # not null: the city stays what it was
            setattr(application, name, value)
    application.areas = sorted(areas, key=lambda area: area.name)


def missing_parts(application: Application) -> list[tuple[str, str]]:
    """(field, message) for each part a submission still needs, in the form's order."""
    return [(name, message) for name, message in REQUIRED if not getattr(application, name)]


def submit_application(application: Application) -> str:
    """Submit a complete draft; returns the status link's secret.

    IntakeError (nothing changed) if it was submitted already, a part is missing, or the
    city may not apply. The row is locked first, so two submissions at once make one.
    """
    locked = lock_draft(application)
    missing = missing_parts(locked)
    if missing:
        field, message = missing[0]
        raise IntakeError(message, field)
    problem = eligibility_problem(locked.state, locked.population, configured_band())
    if problem is not None:
        raise IntakeError(problem, "population")
    locked.zone, locked.latitude, locked.longitude = zone_and_position(
        locked.city_name, locked.state
    )
    locked.status = ApplicationStatus.SUBMITTED
    locked.submitted_at = utcnow()
    retire_links(locked, LinkPurpose.DRAFT)
    secret = issue_link(locked, LinkPurpose.STATUS)
    # The applicant's confirmation (reference and status link) and the admins' notice are
    # the who-hears-what table's; the link's secret goes to the mail only, never the record.
    record_action(
        ActionKind.APPLICATION_SUBMITTED,
        None,
        locked,
        after={"status": ApplicationStatus.SUBMITTED.value},
        private={"links": {"status": external_url("apply.status", token=secret)}},
        reference=locked.reference,
        city=locked.city_label,
    )
    return secret


# --- where it stands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    status: ApplicationStatus
    label: str
    reached_at: datetime | None  # None: not reached yet (or reached without a date)
    is_done: bool
    is_current: bool


def step_dates(application: Application) -> dict[ApplicationStatus, datetime | None]:
    """When each step of the path was reached: from the rows that mark it (two queries)."""
    first_assigned, first_meeting = db.session.execute(
        sa.select(
            sa.select(sa.func.min(ReviewAssignment.assigned_at))
            .where(ReviewAssignment.application_id == application.id)
            .scalar_subquery(),
            sa.select(sa.func.min(LeadershipMeeting.created_at))
            .where(LeadershipMeeting.application_id == application.id)
            .scalar_subquery(),
        )
    ).one()
    return {
        ApplicationStatus.SUBMITTED: application.submitted_at,
        ApplicationStatus.UNDER_REVIEW: first_assigned,
        ApplicationStatus.MEETING: first_meeting,
        ApplicationStatus.DECIDED: application.decided_at,
    }


def status_steps(application: Application) -> list[Step]:
    """The path an applicant follows, each step done, current or still ahead."""
    if application.status not in PIPELINE:
        return []
    current = PIPELINE.index(application.status)
    dates = step_dates(application)
    return [
        Step(
            status=status,
            label=STATUS_LABELS[status],
            reached_at=dates[status] if index <= current else None,
            # The last step, once reached, is done too: nothing is left to wait for.
            is_done=index < current or index == current == len(PIPELINE) - 1,
            is_current=index == current,
        )
        for index, status in enumerate(PIPELINE)
    ]


def letters_sent(application: Application) -> list[DecisionLetter]:
    """The decision letters sent to the applicant, oldest first (a hold, then the outcome)."""
    return list(
        db.session.scalars(
            sa.select(DecisionLetter)
            .where(DecisionLetter.application_id == application.id)
            .order_by(DecisionLetter.sent_at, DecisionLetter.id)
        )
    )
