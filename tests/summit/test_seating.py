from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from convene.extensions import db
from convene.notifications.models import OutboxMessage
from convene.summit import seating
from convene.summit.agenda import personal_agenda
from convene.summit.models import SeatAssignment, SlotAbsence


@pytest.fixture
def dinner(make_summit, make_member, make_org, make_registration, make_session):
    """Six attendees from three cities, a dinner of two nights with two tables of three."""
    summit = make_summit(capacity=50)
    cities = [make_org() for _ in range(3)]
    members = [make_member(organisation=cities[i % 3]) for i in range(6)]
    for m in members:
        make_registration(summit, m)
    session = make_session(summit, kind="assigned", title="Cross-city dinners")
    for night in (1, 2):
        seating.add_slot(
            session,
            f"Night {night}",
            datetime(2027, 4, 11 + night, 23, 0, tzinfo=UTC),
            datetime(2027, 4, 12 + night, 1, 0, tzinfo=UTC),
            tables=2,
            seats=3,
        )
    db.session.commit()
    return summit, session, members


def _seats(session):
    tables = seating.current_tables(seating._load_slots(session))
    return {
        slot: [sorted(people) for people in by_table.values()] for slot, by_table in tables.items()
    }


def test_run_seats_everyone_with_colleagues_apart(dinner):
    _summit, session, members = dinner
    report = seating.run_assignment(session, seed=3)
    db.session.commit()
    assert report.same_org_pairs == 0
    assert report.seated == 12
    for tables in _seats(session).values():
        assert sorted(m for people in tables for m in people) == sorted(m.id for m in members)
        for people in tables:
            orgs = [db.session.get(type(members[0]), m).organisation_id for m in people]
            assert len(set(orgs)) == len(orgs)
    assert session.seed == 3


def test_the_same_seed_gives_the_same_seating(dinner):
    _summit, session, _members = dinner
    seating.run_assignment(session, seed=7)
    first = _seats(session)
    seating.run_assignment(session, seed=7)
    assert _seats(session) == first


def test_must_not_pairs_and_travel_dates_are_respected(dinner, make_registration):
    summit, session, members = dinner
    a, b = members[0], members[1]
    seating.add_must_not_pair(summit, a, b, "conflict")
    late = members[2]
    registration = db.session.scalar(
        select(seating.Registration).where(seating.Registration.member_id == late.id)
    )
    registration.arrives_on = date(2027, 4, 13)  # misses night 1 (12 April, local time)
    db.session.commit()
    seating.run_assignment(session, seed=1)
    db.session.commit()
    slots = seating._load_slots(session)
    tables = seating.current_tables(slots)
    night1 = [m for people in tables[slots[0].id].values() for m in people]
    assert late.id not in night1
    for by_table in tables.values():
        for people in by_table.values():
            assert not (a.id in people and b.id in people)


def test_met_before_comes_from_earlier_published_seatings(
    dinner, make_summit, make_session, make_registration
):
    summit, session, members = dinner
    earlier = make_summit(starts_on=date(2016, 4, 18), ends_on=date(2016, 4, 19))
    old = make_session(earlier, kind="assigned", title="2016 dinner")
    slot = seating.add_slot(
        old,
        "Night",
        datetime(2016, 4, 18, 23, tzinfo=UTC),
        datetime(2016, 4, 19, 1, tzinfo=UTC),
        tables=1,
        seats=4,
    )
    table = slot.tables[0]
    for m in members[:3]:
        db.session.add(SeatAssignment(slot_id=slot.id, table_id=table.id, member_id=m.id))
    db.session.commit()
    assert seating.met_before_pairs(summit) == set()  # not published yet
    old.is_published = True
    db.session.commit()
    ids = sorted(m.id for m in members[:3])
    assert seating.met_before_pairs(summit) == {
        (ids[0], ids[1]),
        (ids[0], ids[2]),
        (ids[1], ids[2]),
    }
    assert seating.met_before_pairs(earlier) == set()  # only earlier summits count


def test_move_refuses_a_full_table_a_must_not_pair_and_an_absence(dinner):
    summit, session, members = dinner
    seating.run_assignment(session, seed=1)
    db.session.commit()
    slot = seating._load_slots(session)[0]
    tables = seating.current_tables([slot])[slot.id]
    (t1, people1), (t2, people2) = tables.items()
    table1 = db.session.get(seating.SessionTable, t1)
    table2 = db.session.get(seating.SessionTable, t2)
    mover = people1[0]
    with pytest.raises(seating.SeatingError, match="full"):
        seating.move_attendee(session, slot, mover, table2)
    # Make room, then forbid the mover from sitting with someone there.
    db.session.execute(
        SeatAssignment.__table__.delete().where(
            SeatAssignment.member_id == people2[0], SeatAssignment.slot_id == slot.id
        )
    )
    seating.add_must_not_pair(
        summit, db.session.get(seating.Member, mover), db.session.get(seating.Member, people2[1])
    )
    db.session.commit()
    with pytest.raises(seating.SeatingError, match="must not sit together"):
        seating.move_attendee(session, slot, mover, table2)
    db.session.add(SlotAbsence(slot_id=slot.id, member_id=people1[1]))
    db.session.commit()
    with pytest.raises(seating.SeatingError, match="absent"):
        seating.move_attendee(session, slot, people1[1], table2)
    # A move that breaks nothing goes through.
    seating.move_attendee(session, slot, people2[0], table1 if len(people1) < 3 else table2)
    db.session.commit()
    assert (
        db.session.scalar(
            select(func.count(SeatAssignment.id)).where(
                SeatAssignment.member_id == people2[0], SeatAssignment.slot_id == slot.id
            )
        )
        == 1
    )


def test_publish_emails_each_attendee_their_tables(dinner, deliver_mail):
    summit, session, members = dinner
    seating.run_assignment(session, seed=2)
    db.session.commit()
    assert seating.publish(session) == 6
    db.session.commit()
    messages = deliver_mail()
    assert len(messages) == 12  # one message per night: one event per message
    mine = [m for m in messages if members[0].email in m["To"]]
    assert all("Cross-city dinners" in m["Subject"] for m in mine)
    from tests.conftest import body_of

    bodies = sorted(body_of(m) for m in mine)
    assert "Night 1" in bodies[0] and "Night 2" in bodies[1] and "Table" in bodies[0]
    agenda = personal_agenda(members[0], summit)
    tables = [e.table_name for e in agenda if e.kind == "assigned"]
    assert len(tables) == 2 and all(t.startswith("Table") for t in tables)


def test_publish_refuses_an_empty_seating(dinner):
    _summit, session, _members = dinner
    with pytest.raises(seating.SeatingError, match="Nobody is seated"):
        seating.publish(session)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_review_colours_each_city_and_lists_the_unseated(dinner, make_member, make_registration):
    summit, session, members = dinner
    seating.run_assignment(session, seed=2)
    db.session.commit()
    newcomer = make_member()
    make_registration(summit, newcomer)
    review = seating.review(session)
    assert len(review.legend) == 4
    assert len(set(review.colours.values())) == 4
    assert all(newcomer.id in people for people in review.unseated.values())
    assert any(newcomer.name in p and "present but not seated" in p for p in review.problems)
    assert all("slot Night" in p for p in review.problems)


def test_cities_at_one_table_get_different_colours():
    org_of = {n: f"org{n % 12}" for n in range(24)}
    tables = {"night": {t: [t * 2, t * 2 + 1] for t in range(12)}}  # org k sits with org k+1
    colours = seating.table_colours(sorted(set(org_of.values())), org_of, tables)
    for people in tables["night"].values():
        assert colours[org_of[people[0]]] != colours[org_of[people[1]]]
    assert set(colours.values()) <= set(range(seating.COLOURS))


def test_a_seating_not_found_in_time_is_kept_as_a_draft_with_its_problems(dinner, monkeypatch):
    summit, session, members = dinner
    a, b = members[0], members[1]
    seating.add_must_not_pair(summit, a, b)
    db.session.commit()
    real_plan = seating.mixer.plan_seating

    def planner_out_of_time(attendees, slots, met_before, must_not, seed):
        best = real_plan(attendees, slots, met_before=met_before, seed=seed)
        for by_table in best.tables.values():  # put the pair together at the first table
            first, *_ = by_table
            for people in by_table.values():
                for m in (a.id, b.id):
                    if m in people:
                        people.remove(m)
            by_table[first] = [a.id, b.id] + by_table[first][:1]
            rest = [t for t in by_table if t != first]
            for m in [m.id for m in members]:
                if not any(m in p for p in by_table.values()):
                    by_table[rest[0]].append(m)
        raise seating.mixer.SeatingNotFound("not found", best=best, pairs_together=2)

    monkeypatch.setattr(seating.mixer, "plan_seating", planner_out_of_time)

    with pytest.raises(seating.SeatingNotFound, match="with 2 pairs together") as raised:
        seating.run_assignment(session, seed=4)
    assert "Try again, or move people by hand." in str(raised.value)
    db.session.commit()
    review = seating.review(session)
    assert session.seed == 4
    assert not session.is_published
    assert len([p for p in review.problems if "must not sit together" in p]) == 2
