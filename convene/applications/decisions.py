"""Deciding on applications: a decision waits until its letter is sent, and an accepted
city joins the network in the step that sends its letter.

The committee decides (accept, decline, hold) and may keep decisions pending to send them
together. Each letter is sent in its own transaction, under the application's row lock: the
letter is built from its template at that moment, and the partial unique index on
decision_letters refuses a second accept-or-decline letter however two admins race, so an
applicant never holds two letters that contradict each other. A hold that went can still
become an acceptance or a decline; a sent acceptance or decline stands.

Accepting makes the city an organisation (its zone and coordinates from where the city is)
and invites its proposed champion, in the acceptance letter's transaction: the unique
applications.organisation_id means a second acceptance can never make a second city.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from convene.accounts.invitations import AccountError, invite_member
from convene.accounts.models import Member, Organisation, OrganisationKind, Role, normalise_email
from convene.applications import places
from convene.applications.letters import build_letter
from convene.applications.models import (
    FINAL_OUTCOMES,
    Application,
    ApplicationStatus,
    Decision,
    DecisionLetter,
    Outcome,
)
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.types import utcnow
from convene.visits.areas import slugify
from convene.zones import localize

# What can be decided: a draft has not been sent to the committee yet.
DECIDABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.MEETING,
    ApplicationStatus.DECIDED,  # a hold that went can still be turned into a final decision
)

_VERBS = {Outcome.ACCEPT: "accepting", Outcome.DECLINE: "declining", Outcome.HOLD: "holding"}


class DecisionError(ValueError):
    """A decision or a letter the rules refuse; nothing was changed."""


@dataclass(frozen=True)
class Acceptance:
    """The city made from an accepted application, and what became of its champion."""

    organisation: Organisation
    champion: Member | None  # invited as the city's champion
    existing: Member | None  # the champion's address already had an account: not invited

    @property
    def note(self) -> str:
        city = self.organisation.label
        if self.champion is not None:
            return f"{city} joined the network; {self.champion.name} is invited as its champion."
        if self.existing is not None:
            return (
                f"{city} joined the network. {self.existing.email} already has an account "
                f"({self.existing.name}, {self.existing.organisation.name}), so no invitation "
                f"was sent: make the city's champion from its people page."
            )
        return f"{city} joined the network; it has no champion to invite yet."


@dataclass
class SendReport:
    """What sending pending letters did: one line per letter sent or refused."""

    sent: list[str]
    refused: list[str]


def lock_application(application_id: int) -> Application | None:
    """The application, re-read under its row lock until the transaction ends: two admins
    deciding or sending at once take turns, and the second sees what the first did."""
    return db.session.scalar(
        sa.select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def final_letter(application_id: int) -> DecisionLetter | None:
    """The accept or decline letter already sent, if any."""
    return db.session.scalar(
        sa.select(DecisionLetter).where(
            DecisionLetter.application_id == application_id,
            DecisionLetter.outcome.in_(FINAL_OUTCOMES),
        )
    )


def day_of(instant, zone: str | None) -> str:
    """ "3 March" in the city's zone (with the year when it is not this year's)."""
    zone = zone or current_app.config["PROGRAMME_ZONE"]
    day = localize(instant, zone)
    return f"{day:%-d %B}" if day.year == localize(utcnow(), zone).year else f"{day:%-d %B %Y}"


def _stands(application: Application, letter: DecisionLetter) -> str:
    """ "A letter accepting Mesa, AZ was sent on 3 March; that decision stands." """
    day = day_of(letter.sent_at, application.zone)
    verb = _VERBS[letter.outcome]
    return f"A letter {verb} {application.city_label} was sent on {day}; that decision stands."


def decision_of(application_id: int) -> Decision | None:
    return db.session.scalar(
        sa.select(Decision)
        .where(Decision.application_id == application_id)
        .execution_options(populate_existing=True)
    )


def decide(application: Application, outcome: Outcome, actor: Member | None) -> Decision:
    """Record the committee's decision, pending until its letter is sent; deciding again
    before then changes it."""
    outcome = Outcome(outcome)
    locked = lock_application(application.id)
    if locked is None:
        raise DecisionError("That application is no longer there.")
    if locked.status not in DECIDABLE:
        raise DecisionError(
            f"The application from {locked.city_label} is still a draft: it can be decided "
            "once it is submitted."
        )
    letter = final_letter(locked.id)
    if letter is not None:
        raise DecisionError(_stands(locked, letter))
    decision = decision_of(locked.id)
    if decision is None:
        decision = Decision(application_id=locked.id)
        db.session.add(decision)
    decision.outcome = outcome
    decision.decided_by_id = actor.id if actor is not None else None
    decision.decided_at = utcnow()
    decision.letter_id = None  # a sent hold becomes a new pending decision
    db.session.flush()
    return decision


def withdraw(application: Application) -> None:
    """Take back a pending decision (a sent letter cannot be taken back)."""
    locked = lock_application(application.id)
    decision = decision_of(application.id) if locked is not None else None
    if decision is None or decision.letter_id is not None:
        raise DecisionError("There is no pending decision to take back: nothing changed.")
    db.session.delete(decision)
    db.session.flush()


def pending() -> list[Decision]:
    """Decisions whose letters have not gone, oldest first, with their applications."""
    return list(
        db.session.scalars(
            sa.select(Decision)
            .where(Decision.letter_id.is_(None))
            .options(joinedload(Decision.application), joinedload(Decision.decided_by))
            .order_by(Decision.decided_at, Decision.id)
        )
    )


@dataclass(frozen=True)
class DecisionPanel:
    """What the application's page shows of its decision."""

    decision: Decision | None
    letters: list[DecisionLetter]
    stands: str | None  # why it can no longer be decided, once a final letter went

    @property
    def is_pending(self) -> bool:
        return self.decision is not None and self.decision.letter_id is None


def decision_panel(application: Application) -> DecisionPanel:
    """The application's decision and the letters it was sent (two queries)."""
    sent = list(
        db.session.scalars(
            sa.select(DecisionLetter)
            .where(DecisionLetter.application_id == application.id)
            .order_by(DecisionLetter.sent_at, DecisionLetter.id)
        )
    )
    decision = db.session.scalar(
        sa.select(Decision)
        .where(Decision.application_id == application.id)
        .options(joinedload(Decision.decided_by))
    )
    final = next((letter for letter in sent if letter.outcome in FINAL_OUTCOMES), None)
    return DecisionPanel(decision, sent, _stands(application, final) if final else None)


def send_letter(
    decision_id: int, actor: Member | None, seen: Outcome | None = None
) -> tuple[DecisionLetter, Acceptance | None]:
    """Send one pending decision's letter (and, for an acceptance, make the city); the
    caller commits. DecisionError when it has gone already, another letter stands, or it is
    no longer the decision the sender saw (`seen`)."""
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        raise DecisionError("That decision was taken back: no letter was sent.")
    application = lock_application(decision.application_id)
    decision = decision_of(decision.application_id)  # as it is now, under the lock
    if application is None or decision is None or decision.id != decision_id:
        raise DecisionError("That decision was changed or taken back: no letter was sent.")
    if decision.letter_id is not None:
        raise DecisionError(f"The letter to {application.city_label} has already been sent.")
    if seen is not None and decision.outcome != seen:
        now = _VERBS[decision.outcome]
        raise DecisionError(
            f"The decision was changed meanwhile (it is now {now}): no letter was sent. "
            "Look at it again before sending."
        )
    standing = final_letter(application.id)
    if standing is not None:
        raise DecisionError(_stands(application, standing))
    built = build_letter(application, decision.outcome)
    letter = DecisionLetter(
        application_id=application.id,
        outcome=decision.outcome,
        subject=built.subject,
        body=built.body,
        sent_at=utcnow(),
        sent_by_id=actor.id if actor is not None else None,
    )
    db.session.add(letter)
    db.session.flush()  # the partial unique index refuses a second final letter here
    decision.letter_id = letter.id
    application.decided_at = letter.sent_at
    application.status = ApplicationStatus.DECIDED
    acceptance = accept(application, actor) if decision.outcome == Outcome.ACCEPT else None
    record_action(
        ActionKind.LETTER_SENT,
        actor,
        application_id=application.id,
        after={"outcome": decision.outcome, "subject": letter.subject},
        letter_id=letter.id,
        city=application.city_label,
    )
    return letter, acceptance


def send_pending(actor: Member | None, ids=None, seen: dict | None = None) -> SendReport:
    """Send every pending letter (or the chosen ones), each in its own transaction, so one
    refused letter never holds back the others. `seen` maps decision ids to the outcome the
    sender was shown: a decision changed since is not sent. Commits."""
    query = sa.select(Decision.id, Application.city_name, Application.state).join(Application)
    query = query.where(Decision.letter_id.is_(None)).order_by(Decision.decided_at, Decision.id)
    if ids is not None:
        query = query.where(Decision.id.in_([int(i) for i in ids]))
    chosen = list(db.session.execute(query))
    db.session.commit()  # each letter starts a transaction of its own
    report = SendReport(sent=[], refused=[])
    for decision_id, city_name, state in chosen:
        city = f"{city_name}, {state}"
        try:
            letter, acceptance = send_letter(decision_id, actor, (seen or {}).get(decision_id))
            line = f"Letter sent to {city}: {letter.subject}."
            if acceptance is not None:
                line += " " + acceptance.note
            db.session.commit()
        except (DecisionError, AccountError) as exc:
            db.session.rollback()
            report.refused.append(f"{city}: {exc}")
        except IntegrityError:
            db.session.rollback()
            report.refused.append(
                f"{city}: another letter was sent at the same moment; nothing more was sent."
            )
        else:
            report.sent.append(line)
    return report


# --- accepting: the city joins ---------------------------------------------------------------


def _free(column, wanted: list[str]) -> str:
    """The first of the wanted values no organisation has yet (then numbered)."""
    taken = set(db.session.scalars(sa.select(column).where(column.in_(wanted))))
    for value in wanted:
        if value not in taken:
            return value
    base, n = wanted[-1], 2
    while db.session.scalar(sa.select(column).where(column == f"{base}-{n}")) is not None:
        n += 1
    return f"{base}-{n}"


def _where(application: Application) -> tuple[str, float | None, float | None, int | None]:
    """The city's zone, coordinates and gazetteer population: as found when it applied,
    else looked up now, else its state's main zone."""
    if application.zone:
        return application.zone, application.latitude, application.longitude, None
    place = places.place_of(application.city_name, application.state)
    if place is not None:
        return place.zone, place.latitude, place.longitude, place.population
    return places.state_zone(application.state), None, None, None


def accept(application: Application, actor: Member | None) -> Acceptance:
    """Make the city and invite its champion (the caller holds the application's lock)."""
    if application.organisation is not None:
        return Acceptance(application.organisation, None, None)
    zone, latitude, longitude, gazetteer_population = _where(application)
    population = application.population or gazetteer_population
    if population is None:
        raise DecisionError(
            f"{application.city_label} gave no population and the gazetteer does not know "
            "it: add it to the application before accepting."
        )
    name = _free(Organisation.name, [application.city_name, application.city_label])
    slug = _free(Organisation.slug, [slugify(f"{application.city_name} {application.state}")])
    city = Organisation(
        kind=OrganisationKind.CITY,
        name=name,
        slug=slug,
        state=application.state,
        population=population,
        zone=zone,
        latitude=latitude if longitude is not None else None,
        longitude=longitude if latitude is not None else None,
    )
    db.session.add(city)
    db.session.flush()
    application.organisation_id = city.id
    application.organisation = city
    db.session.flush()  # unique: a second acceptance cannot make a second city
    champion = existing = None
    email = normalise_email(application.champion_email or "")
    if email:
        existing = db.session.scalar(sa.select(Member).where(Member.email == email))
        if existing is None:
            if actor is None:
                raise DecisionError("Sign in as an admin to invite the city's champion.")
            champion = invite_member(
                actor,
                city,
                email,
                application.champion_name or email,
                Role.CHAMPION,
                application.champion_title,
            )
    record_action(
        ActionKind.APPLICATION_ACCEPTED,
        actor,
        application_id=application.id,
        member=champion,
        after={"organisation": city.name, "organisation_id": city.id, "slug": city.slug},
        city=application.city_label,
        champion=application.champion_name,
        champion_existing=existing.email if existing is not None else None,
    )
    return Acceptance(city, champion, existing)
