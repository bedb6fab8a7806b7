"""The meeting with the city's leadership (the mayor's office): schedule, move, cancel, notes.

One meeting at a time per application: scheduling locks the application, so two admins
scheduling at once make one meeting. Its time is entered in the city's zone (where the
mayor's office is) and stored in UTC; every change a calendar shows raises its SEQUENCE,
so the reviewers' invitations and feeds replace the old copy. Notes from the meeting are
the application's record and change no calendar.
"""

from datetime import date, time, timedelta

import sqlalchemy as sa

from convene.applications.models import Application, ApplicationStatus, LeadershipMeeting
from convene.applications.places import state_zone
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.summit.registration import lock_row
from convene.types import utcnow
from convene.zones import ZoneError, is_zone, to_utc

DURATION_MAX = 8 * 60

# A meeting may be scheduled while an application is reviewed, and moved or cancelled until
# it is decided.
SCHEDULABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.UNDER_REVIEW,
    ApplicationStatus.MEETING,
)


class MeetingError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def city_zone(application: Application) -> str:
    """Where the mayor's office is: the city's zone, else its state's."""
    if application.zone and is_zone(application.zone):
        return application.zone
    return state_zone(application.state)


def current_meeting(application_id: int) -> LeadershipMeeting | None:
    """The meeting not cancelled, else the latest cancelled one (the page shows it)."""
    return db.session.scalar(
        sa.select(LeadershipMeeting)
        .where(LeadershipMeeting.application_id == application_id)
        .order_by(LeadershipMeeting.cancelled, LeadershipMeeting.starts_at.desc())
        .limit(1)
    )


def _starts_at(day: date, wall: time, zone: str, duration: int):
    if not 0 < duration <= DURATION_MAX:
        raise MeetingError(f"Give a length from 1 to {DURATION_MAX} minutes.", "duration_minutes")
    try:
        starts_at = to_utc(day, wall, zone)
    except ZoneError as exc:
        raise MeetingError(str(exc), "starts_time") from None
    if starts_at < utcnow() - timedelta(minutes=5):
        raise MeetingError("Give a time that has not passed.", "day")
    return starts_at


def _locked(application: Application) -> Application:
    locked = lock_row(Application, application.id)
    if locked is None:
        raise MeetingError("That application no longer exists.")
    return locked


def schedule_meeting(
    application: Application,
    day: date,
    wall: time,
    duration: int,
    location: str | None,
    actor=None,
) -> LeadershipMeeting:
    """A new meeting, at `wall` on `day` in the city's zone; the application moves to the
    meeting stage."""
    application = _locked(application)
    if application.status not in SCHEDULABLE:
        raise MeetingError("This application is decided: no meeting can be scheduled.")
    existing = current_meeting(application.id)
    if existing is not None and not existing.cancelled:
        raise MeetingError("A meeting is already scheduled: move it instead.")
    zone = city_zone(application)
    meeting = LeadershipMeeting(
        application_id=application.id,
        starts_at=_starts_at(day, wall, zone, duration),
        zone=zone,
        duration_minutes=duration,
        location=location or None,
        sequence=0,
    )
    db.session.add(meeting)
    before = application.status
    application.status = ApplicationStatus.MEETING
    db.session.flush()
    record_action(
        ActionKind.MEETING_SCHEDULED,
        actor,
        application,
        before={"status": before},
        after={"status": application.status, "starts_at": meeting.starts_at, "zone": zone},
        meeting_id=meeting.id,
    )
    return meeting


def _lock_meeting(meeting: LeadershipMeeting) -> LeadershipMeeting:
    _locked(meeting.application)
    meeting = lock_row(LeadershipMeeting, meeting.id)
    if meeting is None:
        raise MeetingError("That meeting no longer exists.")
    if meeting.cancelled:
        raise MeetingError("That meeting is cancelled.")
    return meeting


def move_meeting(
    meeting: LeadershipMeeting,
    day: date,
    wall: time,
    duration: int,
    location: str | None,
    actor=None,
) -> LeadershipMeeting:
    meeting = _lock_meeting(meeting)
    starts_at = _starts_at(day, wall, meeting.zone, duration)
    location = location or None
    before = {
        "starts_at": meeting.starts_at,
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
    }
    after = {"starts_at": starts_at, "duration_minutes": duration, "location": location}
    if before == after:
        raise MeetingError("That is when and where the meeting already is.")
    meeting.starts_at, meeting.duration_minutes, meeting.location = starts_at, duration, location
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.session.flush()
    record_action(
        ActionKind.MEETING_MOVED,
        actor,
        meeting.application,
        before=before,
        after=after,
        meeting_id=meeting.id,
    )
    return meeting


def cancel_meeting(meeting: LeadershipMeeting, actor=None) -> LeadershipMeeting:
    """Cancelled for everyone (calendars drop it); the application goes back to review."""
    meeting = _lock_meeting(meeting)
    meeting.cancelled = True
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    application = meeting.application
    if application.status == ApplicationStatus.MEETING:
        application.status = ApplicationStatus.UNDER_REVIEW
    db.session.flush()
    record_action(
        ActionKind.MEETING_CANCELLED,
        actor,
        application,
        before={"status": ApplicationStatus.MEETING, "starts_at": meeting.starts_at},
        after={"status": application.status},
        meeting_id=meeting.id,
    )
    return meeting


def save_notes(meeting: LeadershipMeeting, notes: str | None) -> LeadershipMeeting:
    """The meeting's notes, kept with the application (no calendar shows them)."""
    meeting = lock_row(LeadershipMeeting, meeting.id)
    if meeting is None:
        raise MeetingError("That meeting no longer exists.")
    meeting.notes = notes or None
    db.session.flush()
    return meeting
