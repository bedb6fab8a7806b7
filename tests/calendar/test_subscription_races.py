"""First visits to the Subscribe page at the same moment (two tabs, a double click, several
app instances): one subscription, one feed address, and no 500."""

import pytest
from sqlalchemy import func, select

from convene.calendar.models import CalendarSubscription
from convene.extensions import db
from tests.summit.http_races import race_requests, racing_apps, status_codes

pytestmark = pytest.mark.postgres_only


def test_eight_first_visits_at_once_make_one_subscription(app, make_app, make_member):
    member = make_member()
    answers = race_requests(racing_apps(make_app, 4), [(member, "GET", "/calendar/subscribe")] * 8)
    assert status_codes(answers) == [200] * 8
    db.session.expire_all()
    (subscription,) = db.session.scalars(
        select(CalendarSubscription).where(CalendarSubscription.member_id == member.id)
    ).all()
    assert all(subscription.token in a.body for a in answers)  # every page shows the one URL


def test_first_visits_of_many_members_at_once(app, make_app, make_member):
    members = [make_member() for _ in range(6)]
    requests = [(m, "GET", "/calendar/subscribe") for m in members for _ in range(3)]
    answers = race_requests(racing_apps(make_app, 3), requests)
    assert status_codes(answers) == [200] * len(requests)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(CalendarSubscription.id))) == len(members)
