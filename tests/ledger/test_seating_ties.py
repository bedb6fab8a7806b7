"""The summit's seating reads the ledger: people from strongly tied cities count as having met."""

from datetime import UTC, date, datetime

import pytest

from convene.extensions import db
from convene.summit import seating
from convene.summit.models import Registration, RegistrationStatus, SessionKind, SocialSession


@pytest.fixture
def mixer_dinner(make_city, make_member, make_ledger_summit):
    """Eight attendees, two from each of four cities, and a dinner of four tables of two."""
    summit = make_ledger_summit(starts_on=date(2027, 4, 12))
    cities = {n: make_city(n) for n in ("Mesa", "Tulsa", "Boise", "Lincoln")}
    people = {n: [make_member(organisation=c) for _ in range(2)] for n, c in cities.items()}
    for member in (m for pair in people.values() for m in pair):
        db.session.add(
            Registration(
                summit=summit,
                member=member,
                organisation_id=member.organisation_id,
                status=RegistrationStatus.CONFIRMED,
            )
        )
    session = SocialSession(summit=summit, kind=SessionKind.ASSIGNED, title="Dinner")
    db.session.add(session)
    db.session.flush()
    seating.add_slot(
        session,
        "Night 1",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=4,
        seats=2,
    )
    db.session.commit()
    return summit, session, cities, people


def city_pairs_at_tables(session, people):
    city_of = {m.id: name for name, pair in people.items() for m in pair}
    tables = seating.current_tables(seating._load_slots(session))
    return {
        frozenset(city_of[m] for m in seated)
        for by_table in tables.values()
        for seated in by_table.values()
    }


def test_people_from_cities_tied_by_a_visit_count_as_having_met(mixer_dinner, make_visit):
    summit, session, cities, people = mixer_dinner
    assert seating.seating_problem(session).met_before == set()
    untied = []
    for seed in range(6):
        seating.run_assignment(session, seed=seed)
        db.session.commit()
        untied.append(frozenset({"Mesa", "Tulsa"}) in city_pairs_at_tables(session, people))
    assert any(untied)  # with no tie, the seating is free to put them together
    make_visit(cities["Mesa"], [cities["Tulsa"]], status="held", starts_on=date(2026, 5, 4))
    problem = seating.seating_problem(session)
    expected = {tuple(sorted((a.id, b.id))) for a in people["Mesa"] for b in people["Tulsa"]}
    assert problem.met_before == expected
    for seed in range(6):
        seating.run_assignment(session, seed=seed)
        db.session.commit()
        together = city_pairs_at_tables(session, people)
        assert frozenset({"Mesa", "Tulsa"}) not in together, seed


def test_a_weak_tie_or_one_made_after_the_summit_opens_does_not(
    mixer_dinner, make_visit, held_call
):
    summit, session, cities, people = mixer_dinner
    held_call([people["Boise"][0], people["Lincoln"][0]])  # one call: a weak tie
    make_visit(cities["Mesa"], [cities["Tulsa"]], starts_on=date(2027, 5, 3))  # after it
    assert seating.seating_problem(session).met_before == set()
