from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from convene.convenings.models import Attendance, Call, CallStatus, Rsvp, Series
from convene.extensions import db
from tests.conftest import load_demo_network


def test_demo_series_has_a_past_and_a_future(app, client):
    load_demo_network()
    series = db.session.scalar(select(Series).where(Series.name == "Network call"))
    now = datetime.now(UTC)
    began = datetime.combine(series.first_date, series.local_time, tzinfo=UTC)
    assert now - timedelta(weeks=19) < began < now - timedelta(weeks=15)
    assert len(series.rotation) == 5 and len(series.skips) == 1
    calls = db.session.scalars(select(Call).order_by(Call.starts_at)).all()
    held = [c for c in calls if c.status == CallStatus.HELD]
    assert len(held) >= 7 and all(c.starts_at < now for c in held)
    assert {"Open data policy", "Performance dashboards", "311 data"} <= {c.title for c in held}
    assert all(c.notes for c in held if c.title)
    assert db.session.scalar(select(func.count(Attendance.id))) > 50
    upcoming = [c for c in calls if c.starts_at > now]
    # The scene's moved and cancelled calls, and those of the changes made at the end.
    assert sum(c.status == CallStatus.MOVED and c.is_time_by_hand for c in upcoming) >= 1
    cancelled = [c for c in upcoming if c.status == CallStatus.CANCELLED]
    assert cancelled and all(c.cancel_reason for c in cancelled)
    assert db.session.scalar(select(func.count(Rsvp.id))) > 5
    assert series.skips[0].day not in {c.slot_date for c in calls}
    assert client.get("/calls").status_code == 200
    assert b"311 data" in client.get("/calls/archive?q=311").data
