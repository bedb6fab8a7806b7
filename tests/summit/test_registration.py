from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.summit.models import Registration, RegistrationStatus
from convene.summit.registration import (
    Answers,
    RegistrationError,
    cancel,
    register,
    substitute,
    waitlist_position,
)
from convene.types import utcnow
from tests.conftest import body_of


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_confirmed_while_seats_are_left_then_waitlisted(make_summit, make_member):
    summit = make_summit(capacity=2)
    first, second, third = (make_member() for _ in range(3))
    assert register(summit, first).status == RegistrationStatus.CONFIRMED
    assert register(summit, second).status == RegistrationStatus.CONFIRMED
    waiting = register(summit, third)
    db.session.commit()
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert waitlist_position(waiting) == 1
    subjects = [m.subject for m in db.session.scalars(select(OutboxMessage))]
    assert sum("confirmed" in s for s in subjects) == 2
    assert any("waitlist" in s for s in subjects)


def test_answers_are_kept(make_summit, make_member):
    summit = make_summit()
    member = make_member()
    answers = Answers("Vegetarian", "Step-free access", date(2027, 4, 11), date(2027, 4, 14))
    registration = register(summit, member, answers)
    db.session.commit()
    assert registration.dietary_needs == "Vegetarian"
    assert registration.departs_on == date(2027, 4, 14)


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [(1, 5, "not opened"), (-5, -1, "closed")],
)
def test_outside_the_window_is_refused_and_changes_nothing(
    make_summit, make_member, opens, closes, message
):
    now = utcnow()
    summit = make_summit(
        registration_opens_at=now + timedelta(days=opens),
        registration_closes_at=now + timedelta(days=closes),
    )
    member = make_member()
    with pytest.raises(RegistrationError, match=message):
        register(summit, member)
    db.session.rollback()
    assert _count(Registration) == 0
    assert _count(OutboxMessage) == 0


def test_second_registration_of_the_same_member_is_refused(make_summit, make_member):
    summit = make_summit()
    member = make_member()
    register(summit, member)
    db.session.commit()
    with pytest.raises(RegistrationError, match="already registered"):
        register(summit, member)
    db.session.rollback()
    assert _count(Registration) == 1


def test_delegation_limit_counts_confirmed_and_waitlisted(make_summit, make_member, make_org):
    summit = make_summit(capacity=1, delegation_limit=2)
    city = make_org()
    a, b, c = (make_member(organisation=city) for _ in range(3))
    assert register(summit, a).status == RegistrationStatus.CONFIRMED
    assert register(summit, b).status == RegistrationStatus.WAITLISTED
    db.session.commit()
    with pytest.raises(RegistrationError, match="already has 2 people"):
        register(summit, c)
    db.session.rollback()
    assert _count(Registration) == 2
    # A cancelled place no longer counts against the city.
    cancel(db.session.get(Registration, 2))
    db.session.commit()
    assert register(summit, c).status == RegistrationStatus.WAITLISTED


def test_cancelling_promotes_the_first_waitlisted_and_emails_them(
    make_summit, make_member, deliver_mail
):
    summit = make_summit(capacity=1)
    holder, waiting = make_member(), make_member()
    place = register(summit, holder)
    queued = register(summit, waiting)
    db.session.commit()
    deliver_mail()
    promoted = cancel(place, actor=holder)
    db.session.commit()
    assert promoted == [queued]
    assert queued.status == RegistrationStatus.CONFIRMED
    assert place.status == RegistrationStatus.CANCELLED
    messages = deliver_mail()
    to_waiting = [m for m in messages if waiting.email in m["To"]]
    assert len(to_waiting) == 1, [(m["To"], m["Subject"]) for m in messages]
    assert "confirmed" in to_waiting[0]["Subject"]
    assert summit.name in body_of(to_waiting[0])
    assert any(holder.email in m["To"] and "cancelled" in m["Subject"] for m in messages)


def test_promotion_prefers_a_city_with_nobody_confirmed(make_summit, make_member, make_org):
    summit = make_summit(capacity=2)
    represented, newcomer_city = make_org(), make_org()
    a1, a2, a3 = (make_member(organisation=represented) for _ in range(3))
    newcomer = make_member(organisation=newcomer_city)
    register(summit, a1)
    other = register(summit, make_member())
    early = register(summit, a2)  # waitlisted first, but their city is represented
    late = register(summit, newcomer)  # waitlisted later, their city has nobody confirmed
    db.session.commit()
    assert waitlist_position(late) == 1
    assert waitlist_position(early) == 2
    cancel(other)
    db.session.commit()
    assert late.status == RegistrationStatus.CONFIRMED
    assert early.status == RegistrationStatus.WAITLISTED
    assert a3 is not None


def test_cancelling_a_waitlisted_place_promotes_nobody(make_summit, make_member):
    summit = make_summit(capacity=1)
    register(summit, make_member())
    second = register(summit, make_member())
    third = register(summit, make_member())
    db.session.commit()
    assert cancel(second) == []
    db.session.commit()
    assert third.status == RegistrationStatus.WAITLISTED
    assert waitlist_position(third) == 1


def test_cancelling_twice_is_refused(make_summit, make_member):
    summit = make_summit()
    registration = register(summit, make_member())
    cancel(registration)
    db.session.commit()
    with pytest.raises(RegistrationError, match="already cancelled"):
        cancel(registration)


def test_registering_again_after_cancelling_joins_the_back(make_summit, make_member):
    summit = make_summit(capacity=1)
    member = make_member()
    first = register(summit, member)
    cancel(first)
    db.session.commit()
    again = register(summit, member)
    db.session.commit()
    assert again.id != first.id
    assert again.status == RegistrationStatus.CONFIRMED
    assert _count(Registration) == 2


def test_substitute_keeps_the_seat(make_summit, make_member, make_org):
    summit = make_summit(capacity=1)
    city = make_org()
    holder, colleague = make_member(organisation=city), make_member(organisation=city)
    champion = make_member("champion", organisation=city)
    registration = register(summit, holder)
    waiting = register(summit, make_member())
    db.session.commit()
    substitute(registration, colleague, actor=champion)
    db.session.commit()
    assert registration.member_id == colleague.id
    assert registration.status == RegistrationStatus.CONFIRMED
    assert waiting.status == RegistrationStatus.WAITLISTED  # nobody else got the seat
    subjects = {m.recipient: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert "passed to" in subjects[holder.email]
    assert "now yours" in subjects[colleague.email]


def test_substitute_refuses_someone_from_another_city(make_summit, make_member):
    summit = make_summit()
    registration = register(summit, make_member())
    db.session.commit()
    stranger = make_member()
    with pytest.raises(RegistrationError, match="not from"):
        substitute(registration, stranger)
    db.session.rollback()
    assert db.session.get(Registration, registration.id).member_id != stranger.id


@pytest.mark.parametrize(
    ("arrives", "departs", "message"),
    [
        (date(2027, 4, 14), date(2027, 4, 13), "before the arrival"),
        (date(2027, 3, 1), None, "Arrive between"),
        (None, date(2027, 5, 30), "Leave between"),
    ],
)
def test_travel_dates_must_fit_the_summit(make_summit, make_member, arrives, departs, message):
    summit = make_summit()  # 12 to 14 April 2027
    with pytest.raises(RegistrationError, match=message):
        register(summit, make_member(), Answers(arrives_on=arrives, departs_on=departs))
    db.session.rollback()
    assert _count(Registration) == 0
