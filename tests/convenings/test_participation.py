from datetime import UTC, datetime, timedelta

from convene.convenings.models import Attendance, CallStatus
from convene.convenings.participation import participation_by_city
from convene.extensions import db


def test_counts_calls_and_people_by_city_over_6_and_12_months(make_org, make_member, make_call):
    boston, tulsa = make_org("city", name="Boston"), make_org("city", name="Tulsa")
    now = datetime.now(UTC).replace(microsecond=0)
    recent = make_call(starts_at=now - timedelta(days=30), status=CallStatus.HELD)
    older = make_call(starts_at=now - timedelta(days=250), status=CallStatus.HELD)
    ancient = make_call(starts_at=now - timedelta(days=500), status=CallStatus.HELD)
    b1, b2, t1 = (
        make_member(organisation=boston),
        make_member(organisation=boston),
        make_member(organisation=tulsa),
    )
    for call, people in [(recent, [b1, b2]), (older, [b1, t1]), (ancient, [t1])]:
        for person in people:
            db.session.add(Attendance(call=call, member=person))
    db.session.commit()
    rows = {r.organisation.name: r for r in participation_by_city(now)}
    assert (rows["Boston"].calls_6, rows["Boston"].calls_12) == (1, 2)
    assert (rows["Boston"].people_6, rows["Boston"].people_12) == (2, 3)
    assert (rows["Tulsa"].calls_6, rows["Tulsa"].calls_12) == (0, 1)
    assert rows["Tulsa"].people_12 == 1
