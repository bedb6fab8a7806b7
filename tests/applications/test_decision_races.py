"""Real races on PostgreSQL: two admins sending the same pending letters at once (one letter
goes, one city is made, one champion invited), and one admin sending an acceptance while
another changes it to a decline (the applicant gets one letter, and it agrees with the city
made or not made)."""

import time

import pytest
from sqlalchemy import func, select

from convene.accounts.models import Member, Organisation
from convene.applications import decisions
from convene.applications.models import Application, Decision, DecisionLetter, Outcome
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage
from tests.summit.http_races import race_requests, racing_apps, status_codes

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def slow_letters(monkeypatch):
    """Each letter holds the application's lock a little longer, so the racing requests
    surely meet at the lock rather than one after the other."""
    real = decisions.build_letter

    def slow(*args, **kwargs):
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "build_letter", slow)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_admins_sending_at_once_send_one_letter_and_make_one_city(
    make_member, make_application, make_app, slow_letters
):
    first, second = make_member("admin"), make_member("admin")
    application = make_application(city="Mesa", state="AZ", champion_email="chris@mesa.example.gov")
    decisions.decide(application, Outcome.ACCEPT, first)
    db.session.commit()
    requests = [
        (admin, "POST", "/applications/decisions/send", {"which": "all"})
        for admin in (first, second, first)
    ]
    answers = race_requests(racing_apps(make_app, 3), requests)
    assert status_codes(answers) == [302, 302, 302]
    db.session.expire_all()
    assert _count(DecisionLetter, DecisionLetter.application_id == application.id) == 1
    assert _count(Organisation, Organisation.name == "Mesa") == 1
    assert _count(Member, Member.email == "chris@mesa.example.gov") == 1
    assert _count(Action, Action.kind == ActionKind.APPLICATION_ACCEPTED) == 1
    assert _count(OutboxMessage, OutboxMessage.recipient == application.email) == 1
    assert db.session.get(Application, application.id).organisation_id is not None


def test_sending_an_acceptance_while_it_is_changed_to_a_decline_sends_one_agreeing_letter(
    make_member, make_application, make_app, slow_letters
):
    first, second = make_member("admin"), make_member("admin")
    application = make_application(city="Tucson", state="AZ")
    decision = decisions.decide(application, Outcome.ACCEPT, first)
    db.session.commit()
    seen = {"which": "all", f"seen-{decision.id}": "accept"}  # as the pending page showed it
    requests = [
        (first, "POST", "/applications/decisions/send", seen),
        (second, "POST", f"/applications/{application.id}/decision", {"outcome": "decline"}),
    ]
    answers = race_requests(racing_apps(make_app, 2), requests)
    assert status_codes(answers) == [302, 302]
    db.session.expire_all()
    letters = list(db.session.scalars(select(DecisionLetter)))
    city = db.session.get(Application, application.id).organisation_id
    decision = db.session.scalar(select(Decision))
    if letters:  # the acceptance went first: the decline was refused, the decision stands
        (letter,) = letters
        assert letter.outcome == Outcome.ACCEPT and city is not None
        assert decision.outcome == Outcome.ACCEPT and decision.letter_id == letter.id
    else:  # the change went first: the acceptance the sender saw is not sent; no city
        assert decision.outcome == Outcome.DECLINE and decision.letter_id is None
        assert city is None
    assert _count(OutboxMessage, OutboxMessage.recipient == application.email) == len(letters)
