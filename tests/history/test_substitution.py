"""A substitution keeps both people in the record and takes the new delegate's own answers."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.summit import seating
from convene.summit.models import Registration
from convene.summit.registration import Answers, RegistrationError, register, substitute


@pytest.fixture
def place(make_summit, make_member, make_org):
    summit = make_summit()  # 12 to 14 April 2027
    city = make_org()
    previous = make_member(organisation=city, name="Dana Delegate")
    colleague = make_member(organisation=city, name="Sam Substitute")
    registration = register(
        summit,
        previous,
        Answers(
            dietary_needs="Vegan",
            arrives_on=date(2027, 4, 13),
            departs_on=date(2027, 4, 13),
        ),
    )
    db.session.commit()
    return summit, registration, previous, colleague


def test_the_record_holds_both_delegates_and_their_dates(place, make_member):
    summit, registration, previous, colleague = place
    champion = make_member("champion", organisation=previous.organisation)
    substitute(
        registration,
        colleague,
        actor=champion,
        answers=Answers(arrives_on=date(2027, 4, 11), departs_on=date(2027, 4, 15)),
    )
    db.session.commit()
    action = db.session.scalars(
        select(Action).where(Action.kind == ActionKind.REGISTRATION_SUBSTITUTED)
    ).one()
    assert (action.former_member_id, action.member_id, action.actor_id) == (
        previous.id,
        colleague.id,
        champion.id,
    )
    assert action.before["member"] == "Dana Delegate"
    assert action.before["arrives_on"] == "2027-04-13"
    assert action.after["member"] == "Sam Substitute"
    assert action.after["arrives_on"] == "2027-04-11"
    assert (action.registration_id, action.summit_id) == (registration.id, summit.id)


def test_the_new_delegate_takes_their_own_dates_not_the_previous_ones(place):
    _summit, registration, _previous, colleague = place
    substitute(registration, colleague)
    db.session.commit()
    registration = db.session.get(Registration, registration.id)
    assert registration.member_id == colleague.id
    assert (registration.arrives_on, registration.departs_on) == (None, None)
    assert registration.dietary_needs is None


def test_the_seating_reads_the_new_delegates_dates(place, make_session):
    summit, registration, _previous, colleague = place
    dinner = make_session(summit, kind="assigned", title="Dinners")
    first = datetime(2027, 4, 12, 23, tzinfo=UTC)  # the evening of 12 April in New York
    slot = seating.add_slot(dinner, "Night 1", first, first + timedelta(hours=2), 1, 4)
    db.session.commit()
    absent = seating.seating_problem(dinner).slots[0].absent
    assert registration.member_id in absent  # Dana arrives on the 13th
    substitute(registration, colleague, answers=Answers(arrives_on=date(2027, 4, 12)))
    db.session.commit()
    assert colleague.id not in seating.seating_problem(dinner).slots[0].absent
    assert slot.id


def test_the_new_delegates_dates_must_fit_the_summit(place):
    _summit, registration, previous, colleague = place
    with pytest.raises(RegistrationError, match="Arrive between"):
        substitute(registration, colleague, answers=Answers(arrives_on=date(2027, 1, 1)))
    db.session.rollback()
    assert db.session.get(Registration, registration.id).member_id == previous.id


def test_the_substitute_form_asks_the_new_delegates_dates(place, make_member, client_for):
    summit, registration, previous, colleague = place
    champion = make_member("champion", organisation=previous.organisation)
    url = f"/summit/{summit.slug}/registrations/{registration.id}/substitute"
    page = client_for(champion).get(url).get_data(as_text=True)
    assert 'name="arrives_on"' in page and 'name="departs_on"' in page
    response = client_for(champion).post(
        url,
        data={"member_id": colleague.id, "arrives_on": "2027-04-11", "departs_on": "2027-04-14"},
    )
    assert response.status_code == 302
    registration = db.session.get(Registration, registration.id)
    assert registration.member_id == colleague.id
    assert (registration.arrives_on, registration.departs_on) == (
        date(2027, 4, 11),
        date(2027, 4, 14),
    )
