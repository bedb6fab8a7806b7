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
