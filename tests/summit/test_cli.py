from datetime import UTC, datetime

from convene.extensions import db
from convene.summit import seating


def test_seat_and_report_commands(app, make_summit, make_member, make_registration, make_session):
    summit = make_summit()
    for _ in range(4):
        make_registration(summit, make_member())
    session = make_session(summit, kind="assigned", title="Mixer")
    seating.add_slot(
        session,
        "Slot",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=2,
        seats=2,
    )
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["summit", "seat", str(session.id), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "seated 4 of 4 seats" in result.output
    result = runner.invoke(args=["summit", "report", str(session.id)])
    assert "colleague pairs 0" in result.output and "problem" not in result.output
    result = runner.invoke(args=["summit", "seat", "999"])
    assert result.exit_code != 0 and "No social session 999" in result.output


def test_seat_keeps_the_best_draft_when_no_seating_keeps_must_not_pairs_apart(
    app, make_summit, make_member, make_registration, make_session, monkeypatch
):
    summit = make_summit()
    members = [make_member() for _ in range(4)]
    for m in members:
        make_registration(summit, m)
    a, b = members[0], members[1]
    seating.add_must_not_pair(summit, a, b)
    session = make_session(summit, kind="assigned", title="Mixer")
    slot = seating.add_slot(
        session,
        "Slot",
        datetime(2027, 4, 12, 23, tzinfo=UTC),
        datetime(2027, 4, 13, 1, tzinfo=UTC),
        tables=2,
        seats=2,
    )
    db.session.commit()

    def planner_out_of_time(attendees, slots, met_before, must_not, seed):
        (plain,) = slots
        first, second = (t.id for t in plain.tables)
        tables = {plain.id: {first: [a.id, b.id], second: [m.id for m in members[2:]]}}
        best = seating.mixer.Seating(
            tables=tables, report=seating.mixer.seating_report(attendees, slots, tables)
        )
        raise seating.mixer.SeatingNotFound("not found", best=best, pairs_together=1)

    monkeypatch.setattr(seating.mixer, "plan_seating", planner_out_of_time)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["summit", "seat", str(session.id), "--seed", "5"])

    assert result.exit_code == 1
    assert "the best one found is shown below with 1 pair together" in result.output
    assert "seated 4 of 4 seats" in result.output
    assert "must not sit together" in result.output
    db.session.rollback()  # what the command committed stays
    db.session.expire_all()
    tables = seating.current_tables(seating._load_slots(session))
    assert sorted(sorted(p) for p in tables[slot.id].values()) == sorted(
        [sorted([a.id, b.id]), sorted(m.id for m in members[2:])]
    )
    assert session.seed == 5
