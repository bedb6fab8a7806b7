"""Meetings with a city's leadership in feeds: one timed event in the city's zone, in the
personal feed of each reviewer assigned the application (one query per feed).

The event is private (the city's application is not public): no public or partner feed
shows it. A cancelled meeting stays, cancelled, for CANCELLED_DAYS so calendars drop it.
"""

from datetime import timedelta

import sqlalchemy as sa

from convene.applications.models import Application, LeadershipMeeting, ReviewAssignment
from convene.calendar.events import FeedEvent
from convene.calendar.invitations import invitation
from convene.calendar.sources import (
    CANCELLED_DAYS,
    FeedKind,
    FeedScope,
    built,
    link_pattern,
    or_none,
    uid_domain,
)
from convene.extensions import db
from convene.zones import zone_city


def application_link(application_id: int) -> str:
    return link_pattern("reviews.application", "application_id", "/applications/{}").format(
        application_id
    )


@or_none("leadership meeting")
def meeting_event(
    meeting: LeadershipMeeting, application: Application, alarm: int | None = None
) -> FeedEvent:
    link = application_link(application.id)
    lines = [
        f"Meeting with the mayor's office of {application.city_label} about its application "
        f"({application.reference}).",
        f"Times are in {zone_city(meeting.zone)}.",
    ]
    if meeting.cancelled:
        lines.append("This meeting is cancelled.")
    if meeting.location:
        lines.append(f"Where: {meeting.location}")
    lines += ["", f"The application: {link}"]
    return FeedEvent(
        uid=f"leadership-meeting-{meeting.id}@{uid_domain()}",
        sequence=meeting.sequence,
        summary=f"Leadership meeting: {application.city_label}",
        last_modified=meeting.updated_at,
        starts_at=meeting.starts_at,
        ends_at=meeting.starts_at + timedelta(minutes=meeting.duration_minutes),
        zone=meeting.zone,
        is_cancelled=meeting.cancelled,
        description="\n".join(lines),
        location=meeting.location or application.city_label,
        url=link,
        alarm_minutes=alarm,
        categories=("Application",),
    )


def meeting_events(scope: FeedScope) -> list[FeedEvent]:
    """A member's feed: the meetings of the applications they are assigned."""
    if scope.kind != FeedKind.MEMBER or scope.member_id is None:
        return []
    assigned = sa.select(ReviewAssignment.application_id).where(
        ReviewAssignment.member_id == scope.member_id
    )
    query = (
        sa.select(LeadershipMeeting, Application)
        .join(Application, Application.id == LeadershipMeeting.application_id)
        .where(
            LeadershipMeeting.application_id.in_(assigned),
            LeadershipMeeting.starts_at >= scope.since,
            sa.or_(
                LeadershipMeeting.cancelled.is_(False),
                LeadershipMeeting.updated_at >= scope.now - timedelta(days=CANCELLED_DAYS),
            ),
        )
        .order_by(LeadershipMeeting.id)
    )
    rows = db.session.execute(query).all()
    alarm = scope.reminder_minutes
    return built("leadership meeting", rows, lambda row: meeting_event(*row, alarm=alarm))


def meeting_invitation(action, member, context: dict, method: str):
    """For the who-hears-what table: the meeting of the action (details["meeting_id"]) as
    the reviewers' feeds show it; a cancelled one goes as a CANCEL."""
    meeting = db.session.get(LeadershipMeeting, (action.details or {}).get("meeting_id") or 0)
    if meeting is None:
        return None
    events = context.setdefault("_events", {})
    if "meeting" not in events:
        events["meeting"] = meeting_event(meeting, meeting.application)
    return invitation(events["meeting"], member, method)
