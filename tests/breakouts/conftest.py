"""Shared fixtures for breakout rooms: an upcoming call with people from several cities and
a partner who said yes or maybe, and one who said no."""

from dataclasses import dataclass, field

import pytest

from convene.accounts.models import Member, Organisation
from convene.convenings.models import Call, Rsvp, RsvpAnswer
from convene.extensions import db


@dataclass
class BreakoutCall:
    call: Call
    cities: list[Organisation]
    people: dict[int, list[Member]]  # city id -> its people who said yes or maybe
    partner: Member  # a partner's person who said yes
    declined: Member  # a city person who said no
    everyone: list[Member] = field(default_factory=list)  # yes or maybe, partner included


@pytest.fixture
def answer(app):
    """answer(call, member, "yes"): an RSVP written as a row, as the demo does."""

    def factory(call: Call, member: Member, value: str = "yes") -> Rsvp:
        rsvp = Rsvp(call_id=call.id, member_id=member.id, answer=RsvpAnswer(value))
        db.session.add(rsvp)
        db.session.commit()
        return rsvp

    return factory


@pytest.fixture
def make_breakout_call(app, make_org, make_member, make_call):
    """make_breakout_call(cities=5, per_city=2): a call two days ahead; each city's people
    say yes (the last of each city maybe), one partner person says yes, one city person no."""

    def factory(cities: int = 5, per_city: int = 2, call: Call | None = None) -> BreakoutCall:
        call = call or make_call()
        orgs = [make_org("city") for _ in range(cities)]
        people: dict[int, list[Member]] = {}
        for org in orgs:
            people[org.id] = [make_member(organisation=org) for _ in range(per_city)]
            for n, member in enumerate(people[org.id]):
                value = RsvpAnswer.MAYBE if n == per_city - 1 and per_city > 1 else RsvpAnswer.YES
                db.session.add(Rsvp(call_id=call.id, member_id=member.id, answer=value))
        partner = make_member(role="host", organisation=call.host_organisation)
        declined = make_member(organisation=orgs[0])
        db.session.add(Rsvp(call_id=call.id, member_id=partner.id, answer=RsvpAnswer.YES))
        db.session.add(Rsvp(call_id=call.id, member_id=declined.id, answer=RsvpAnswer.NO))
        db.session.commit()
        everyone = [m for org in orgs for m in people[org.id]] + [partner]
        return BreakoutCall(call, orgs, people, partner, declined, everyone)

    return factory


@pytest.fixture
def breakout_call(make_breakout_call) -> BreakoutCall:
    return make_breakout_call()
