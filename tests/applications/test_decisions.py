"""Deciding: a decision waits for its letter; letters are built when sent and never
contradict each other; accepting makes one city and invites its champion."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member, MemberToken, Organisation, Role, TokenPurpose
from convene.applications import decisions, letters
from convene.applications.models import (
    ApplicationStatus,
    Decision,
    DecisionLetter,
    Outcome,
)
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage


def _actions(kind, application) -> list[Action]:
    return list(
        db.session.scalars(
            select(Action).where(Action.kind == kind, Action.application_id == application.id)
        )
    )


def _mail_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)))


@pytest.fixture
def admin(make_member):
    return make_member("admin", name="Ada Admin")


def test_a_decision_waits_until_its_letter_is_sent(make_application, admin):
    application = make_application(city="Mesa", state="AZ")
    decision = decisions.decide(application, Outcome.DECLINE, admin)
    db.session.commit()
    assert decision.letter_id is None and decision.decided_by_id == admin.id
    assert application.status == ApplicationStatus.SUBMITTED
    assert _mail_to(application.email) == []
    again = decisions.decide(application, Outcome.ACCEPT, admin)  # changed before sending
    db.session.commit()
    assert again.id == decision.id and again.outcome == Outcome.ACCEPT
    assert db.session.scalar(select(func.count(Decision.id))) == 1
    assert [d.id for d in decisions.pending()] == [decision.id]


def test_a_draft_cannot_be_decided(make_application, admin):
    draft = make_application(status="draft")
    with pytest.raises(decisions.DecisionError, match="still a draft"):
        decisions.decide(draft, Outcome.ACCEPT, admin)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Decision.id))) == 0


def test_the_letter_is_built_from_the_template_as_it_is_when_sent(make_application, admin):
    application = make_application(city="Dayton", state="OH", contact_name="Pat Clerk")
    decisions.decide(application, Outcome.DECLINE, admin)
    db.session.commit()
    letters.save_template(Outcome.DECLINE, "No, {city}", "Dear {contact_name}: not {city_label}.")
    db.session.commit()
    report = decisions.send_pending(admin)
    assert report.refused == [] and len(report.sent) == 1
    letter = db.session.scalar(select(DecisionLetter))
    assert (letter.subject, letter.body) == ("No, Dayton", "Dear Pat Clerk: not Dayton, OH.\n")
    db.session.refresh(application)
    assert application.status == ApplicationStatus.DECIDED
    assert application.decided_at == letter.sent_at
    assert application.organisation_id is None  # a decline makes no city
    (mail,) = _mail_to(application.email)
    assert mail.subject == "No, Dayton" and "Dear Pat Clerk: not Dayton, OH." in mail.body_text
    (action,) = _actions(ActionKind.LETTER_SENT, application)
    assert action.message_ids == [mail.id] and action.after["outcome"] == "decline"


def test_accepting_makes_the_city_and_invites_its_champion(make_application, admin):
    application = make_application(
        city="Mesa",
        state="AZ",
        population=504_258,
        zone="America/Phoenix",
        latitude=33.42,
        longitude=-111.83,
        champion_name="Chris Champion",
        champion_email="Chris@Mesa.example.gov",
        champion_title="Chief of Staff",
    )
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    report = decisions.send_pending(admin)
    assert "Chris Champion is invited as its champion" in report.sent[0]
    db.session.refresh(application)
    city = application.organisation
    assert (city.kind.value, city.name, city.slug, city.state) == ("city", "Mesa", "mesa-az", "AZ")
    assert (city.population, city.zone, city.latitude) == (504_258, "America/Phoenix", 33.42)
    champion = db.session.scalar(select(Member).where(Member.email == "chris@mesa.example.gov"))
    assert champion.organisation_id == city.id and champion.role == Role.CHAMPION
    assert champion.password_hash is None
    assert champion.title == "Chief of Staff"
    token = db.session.scalar(select(MemberToken).where(MemberToken.member_id == champion.id))
    assert token.purpose == TokenPurpose.INVITATION and token.used_at is None
    (invitation,) = _mail_to("chris@mesa.example.gov")
    assert "/invitation/" in invitation.body_text
    (accepted,) = _actions(ActionKind.APPLICATION_ACCEPTED, application)
    told = set(db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.id.in_(accepted.message_ids))
    ))  # fmt: skip
    assert told == {admin.email}


def test_a_sent_acceptance_stands(make_application, admin):
    application = make_application(city="Mesa", state="AZ")
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    decisions.send_pending(admin)
    with pytest.raises(decisions.DecisionError) as refused:
        decisions.decide(application, Outcome.DECLINE, admin)
    db.session.rollback()
    day = decisions.day_of(datetime.now(UTC), application.zone)
    assert (
        str(refused.value)
        == f"A letter accepting Mesa, AZ was sent on {day}; that decision stands."
    )
    assert day == f"{datetime.now(UTC):%-d %B}" or day.count(" ") == 1
    assert db.session.scalar(select(func.count(DecisionLetter.id))) == 1


def test_a_hold_can_become_an_acceptance_and_both_letters_go(make_application, admin):
    application = make_application(city="Erie", state="PA")
    decisions.decide(application, Outcome.HOLD, admin)
    db.session.commit()
    decisions.send_pending(admin)
    decision = decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    assert decision.letter_id is None  # pending again
    report = decisions.send_pending(admin)
    assert report.refused == []
    outcomes = db.session.scalars(select(DecisionLetter.outcome).order_by(DecisionLetter.id))
    assert list(outcomes) == [Outcome.HOLD, Outcome.ACCEPT]
    assert len(_mail_to(application.email)) == 2


def test_a_second_final_letter_is_refused_and_nothing_more_is_sent(make_application, admin):
    """Whatever path leads there, the applicant never gets an acceptance after a decline."""
    application = make_application()
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.add(
        DecisionLetter(
            application_id=application.id, outcome=Outcome.DECLINE, subject="No", body=""
        )
    )
    db.session.commit()
    report = decisions.send_pending(admin)
    assert report.sent == []
    assert "A letter declining" in report.refused[0] and "that decision stands" in report.refused[0]
    assert db.session.scalar(select(func.count(Organisation.id)).where(
        Organisation.name == application.city_name)) == 0  # fmt: skip
    assert _mail_to(application.email) == []


def test_only_the_chosen_pending_letters_are_sent(make_application, admin):
    first, second = make_application(), make_application()
    one = decisions.decide(first, Outcome.DECLINE, admin)
    decisions.decide(second, Outcome.DECLINE, admin)
    db.session.commit()
    report = decisions.send_pending(admin, ids=[one.id])
    assert len(report.sent) == 1
    assert [d.application_id for d in decisions.pending()] == [second.id]


def test_a_champion_with_an_account_is_not_made_twice(make_application, make_member, admin):
    someone = make_member(email="lee@elsewhere.example.org", name="Lee Elsewhere")
    application = make_application(champion_email="LEE@elsewhere.example.org")
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    report = decisions.send_pending(admin)
    assert "lee@elsewhere.example.org already has an account" in report.sent[0]
    assert db.session.scalar(select(func.count(Member.id)).where(
        Member.email == someone.email)) == 1  # fmt: skip
    db.session.refresh(application)
    assert application.organisation is not None
    assert someone.organisation_id != application.organisation_id


def test_a_city_named_like_another_takes_its_state_in_its_name(make_application, make_org, admin):
    make_org("city", name="Springfield", slug="springfield-mo", state="MO", population=160_000)
    application = make_application(city="Springfield", state="IL")
    decisions.decide(application, Outcome.ACCEPT, admin)
    db.session.commit()
    decisions.send_pending(admin)
    db.session.refresh(application)
    assert application.organisation.name == "Springfield, IL"
    assert application.organisation.slug == "springfield-il"


def test_a_pending_decision_can_be_taken_back(make_application, admin):
    application = make_application()
    decisions.decide(application, Outcome.DECLINE, admin)
    db.session.commit()
    decisions.withdraw(application)
    db.session.commit()
    assert decisions.pending() == []
    with pytest.raises(decisions.DecisionError, match="no pending decision"):
        decisions.withdraw(application)
    db.session.rollback()


def test_a_decision_changed_since_the_sender_looked_is_not_sent(make_application, admin):
    application = make_application(city="Reno", state="NV")
    decision = decisions.decide(application, Outcome.DECLINE, admin)
    db.session.commit()
    report = decisions.send_pending(admin, seen={decision.id: Outcome.ACCEPT})
    assert report.sent == [] and "changed meanwhile (it is now declining)" in report.refused[0]
    assert db.session.scalar(select(func.count(DecisionLetter.id))) == 0
