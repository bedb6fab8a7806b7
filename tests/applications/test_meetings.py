"""Leadership meetings: entered in the city's zone, in the assigned reviewers' feeds and
invitations with a rising SEQUENCE, cancelled for everyone; two admins scheduling at once
make one meeting, two assignment runs at once give each application two reviewers."""

import base64
import time
from datetime import date, timedelta
from datetime import time as wall

import pytest
import sqlalchemy as sa

from convene.applications import assignment as assignment_rules
from convene.applications import meetings as meeting_rules
from convene.applications.meetings import (
    MeetingError,
    cancel_meeting,
    move_meeting,
    save_notes,
    schedule_meeting,
)
from convene.applications.models import ApplicationStatus, LeadershipMeeting, ReviewAssignment
from convene.calendar.sources import FeedKind, FeedScope, events_for
from convene.extensions import db
from convene.notifications.models import OutboxMessage
from tests.summit.http_races import race_requests, racing_apps, status_codes

SOON = date.today() + timedelta(days=20)


@pytest.fixture
def reviewed(make_application, make_reviewer):
    """An application in Denver's zone with two assigned reviewers, and a third not."""
    application = make_application(city="Denver", state="CO", zone="America/Denver")
    a, b, other = make_reviewer("partner"), make_reviewer("partner"), make_reviewer("partner")
    for member in (a, b):
        db.session.add(ReviewAssignment(application_id=application.id, member_id=member.id))
    db.session.commit()
    return application, a, b, other


def _meeting_events(member):
    events = events_for(FeedScope(FeedKind.MEMBER, member_id=member.id))
    return [e for e in events if e.uid.startswith("leadership-meeting-")]


def _invitations(member) -> list[str]:
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    ).all()
    return [
        base64.b64decode(a["data"]).decode()
        for row in rows
        for a in row.attachments
        if a["content_type"].startswith("text/calendar")
    ]


def test_schedule_in_the_city_zone_into_reviewers_feeds_and_invitations(reviewed):
    application, a, b, other = reviewed
    meeting = schedule_meeting(application, SOON, wall(10, 0), 45, "City Hall, room 3")
    db.session.commit()
    assert meeting.zone == "America/Denver"
    assert meeting.starts_at.hour in (16, 17)  # 10:00 in Denver is 16:00 or 17:00 UTC
    assert application.status == ApplicationStatus.MEETING
    for member in (a, b):
        (event,) = _meeting_events(member)
        assert event.summary == "Leadership meeting: Denver, CO"
        assert event.zone == "America/Denver" and event.sequence == 0
        (ics,) = _invitations(member)
        assert "METHOD:REQUEST" in ics and "SEQUENCE:0" in ics
    assert _meeting_events(other) == []
    with pytest.raises(MeetingError, match="already scheduled"):
        schedule_meeting(application, SOON, wall(11, 0), 45, None)


def test_moving_raises_the_sequence_and_cancelling_removes_it(reviewed):
    application, a, _b, _other = reviewed
    meeting = schedule_meeting(application, SOON, wall(10, 0), 60, None)
    db.session.commit()
    move_meeting(meeting, SOON, wall(14, 30), 60, None)
    db.session.commit()
    (event,) = _meeting_events(a)
    assert event.sequence == 1
    assert "SEQUENCE:1" in _invitations(a)[-1]
    with pytest.raises(MeetingError, match="already is"):
        move_meeting(meeting, SOON, wall(14, 30), 60, None)
    db.session.rollback()
    save_notes(meeting, "The mayor will chair the steering group.")
    db.session.commit()
    assert _meeting_events(a)[0].sequence == 1  # notes change no calendar
    cancel_meeting(meeting)
    db.session.commit()
    (event,) = _meeting_events(a)
    assert event.is_cancelled and event.sequence == 2
    assert "METHOD:CANCEL" in _invitations(a)[-1]
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_bad_times_change_nothing(reviewed):
    application = reviewed[0]
    with pytest.raises(MeetingError, match="has not passed"):
        schedule_meeting(application, date.today() - timedelta(days=3), wall(10, 0), 60, None)
    with pytest.raises(MeetingError, match="minutes"):
        schedule_meeting(application, SOON, wall(10, 0), 0, None)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(LeadershipMeeting.id))) == 0


def test_without_a_known_zone_the_state_zone_is_used(make_application):
    application = make_application(state="AZ", zone=None)
    assert meeting_rules.city_zone(application) == "America/Phoenix"


@pytest.fixture
def slow_record(monkeypatch):
    """Each step holds its lock a little longer, so racing requests meet at the lock."""
    for module in (meeting_rules, assignment_rules):
        real = module.record_action

        def slow(*args, _real=real, **kwargs):
            time.sleep(0.2)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, "record_action", slow)


@pytest.mark.postgres_only
def test_two_admins_scheduling_at_once_make_one_meeting(
    reviewed, make_member, make_app, slow_record
):
    application = reviewed[0]
    admins = [make_member(role="admin"), make_member(role="admin")]
    url = f"/applications/{application.id}/meeting"
    data = {
        "meeting-day": SOON.isoformat(),
        "meeting-starts_time": "10:00",
        "meeting-duration_minutes": "60",
    }
    answers = race_requests(racing_apps(make_app, 2), [(m, "POST", url, data) for m in admins])
    assert sorted(status_codes(answers)) == [302, 400]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(LeadershipMeeting.id))) == 1


@pytest.mark.postgres_only
def test_two_assignment_runs_at_once_give_two_reviewers_each(
    make_application, make_reviewer, make_member, make_app, slow_record
):
    applications = [make_application() for _ in range(3)]
    for _ in range(4):
        make_reviewer("partner")
    admins = [make_member(role="admin"), make_member(role="admin")]
    requests = [(m, "POST", "/applications/assign", {}) for m in admins]
    answers = race_requests(racing_apps(make_app, 2), requests)
    assert status_codes(answers) == [302, 302]
    db.session.expire_all()
    counts = dict(
        db.session.execute(
            sa.select(ReviewAssignment.application_id, sa.func.count()).group_by(
                ReviewAssignment.application_id
            )
        ).all()
    )
    assert counts == {a.id: 2 for a in applications}
