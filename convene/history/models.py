"""An action: one change, as recorded when it was made.

What an action is about is held as nullable foreign keys, one per kind of object, rather
than one (subject_type, subject_id) pair: a change is often about several objects at once
(a topic chosen for a call shows on the topic's page and the call's; a registration's
changes also belong to its summit's list; a seat moved belongs to its session and summit),
each key is checked by the database and indexed for the page that lists it, and SET NULL
keeps the record when an object is deleted. The people are kept the same way: `member` is
whom it concerns (the person who answered, registered, lost a place), `former_member` the
person something passed from (the previous delegate of a substitution).
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from convene.accounts.models import Member
from convene.extensions import db
from convene.types import UTCDateTime, enum_type, utcnow


class ActionKind(enum.StrEnum):
    # calls
    CALL_MOVED = "call.moved"
    CALL_CANCELLED = "call.cancelled"
    CALL_REINSTATED = "call.reinstated"
    CALL_HOST_REASSIGNED = "call.host_reassigned"
    CALL_HOST_SWAPPED = "call.host_swapped"
    CALL_AGENDA_SET = "call.agenda_set"
    CALL_HELD = "call.held"
    RSVP_COMING = "rsvp.coming"
    RSVP_DECLINED = "rsvp.declined"
    SWAP_REQUESTED = "swap.requested"
    SWAP_ANSWERED = "swap.answered"
    # topics
    TOPIC_SCHEDULED = "topic.scheduled"
    TOPIC_UNSCHEDULED = "topic.unscheduled"
    TOPIC_DECLINED = "topic.declined"
    TOPIC_MERGED = "topic.merged"
    TOPIC_HELD = "topic.held"
    # the summit
    REGISTRATION_CONFIRMED = "registration.confirmed"
    REGISTRATION_WAITLISTED = "registration.waitlisted"
    REGISTRATION_PROMOTED = "registration.promoted"
    REGISTRATION_CANCELLED = "registration.cancelled"
    REGISTRATION_SUBSTITUTED = "registration.substituted"
    REGISTRATION_MOVED = "registration.moved"  # on the waitlist, by hand
    REGISTRATION_REMOVED = "registration.removed"  # from the waitlist, by hand
    SESSION_PLACE_GAINED = "session.place_gained"
    SESSION_PROMOTED = "session.promoted"
    SESSION_PLACE_LOST = "session.place_lost"
    SESSION_WAITLISTED = "session.waitlisted"
    SESSION_WAITLIST_LEFT = "session.waitlist_left"
    SEATING_PUBLISHED = "seating.published"
    SEAT_MOVED = "seating.seat_moved"
    SEAT_LOST = "seating.seat_lost"
    SUMMIT_CHANGED = "summit.changed"
    AGENDA_ITEM_MOVED = "agenda_item.moved"
    AGENDA_ITEM_CANCELLED = "agenda_item.cancelled"
    # accounts
    PASSWORD_CHANGED = "member.password_changed"
    EMAIL_CHANGE_ASKED = "member.new_email_asked"
    EMAIL_CHANGED = "member.email_changed"
    CHAMPION_HANDED_OVER = "champion.handed_over"
    # peer visits
    VISIT_REQUESTED = "visit.requested"
    VISIT_ACCEPTED = "visit.accepted"
    VISIT_DECLINED = "visit.declined"
    VISIT_DATES_PROPOSED = "visit.dates_proposed"
    VISIT_APPROVED = "visit.approved"
    VISIT_MOVED = "visit.moved"
    VISIT_CANCELLED = "visit.cancelled"
    VISIT_REINSTATED = "visit.reinstated"
    VISIT_HELD = "visit.held"
    VISIT_REPORTED = "visit.reported"
    VISIT_ITINERARY_CHANGED = "visit.itinerary_changed"
    VISIT_PERSON_NAMED = "visit.person_named"
    VISIT_PERSON_REMOVED = "visit.person_removed"

    BREAKOUTS_PLANNED = "breakout.rooms_planned"
    BREAKOUT_ROOM_CHANGED = "breakout.room_changed"

    APPLICATION_SUBMITTED = "application.submitted"
    APPLICATION_UNDER_REVIEW = "application.under_review"
    REVIEWER_ASSIGNED = "application.reviewer_assigned"
    MEETING_SCHEDULED = "application.meeting_scheduled"
    MEETING_MOVED = "application.meeting_moved"
    MEETING_CANCELLED = "application.meeting_cancelled"
    LETTER_SENT = "application.letter_sent"
    APPLICATION_ACCEPTED = "application.accepted"


def _subject(table: str) -> Mapped[int | None]:
    return mapped_column(sa.ForeignKey(f"{table}.id", ondelete="SET NULL"), index=True)


class Action(db.Model):
    __tablename__ = "actions"
    __table_args__ = (sa.Index("ix_actions_happened_at", "happened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ActionKind] = mapped_column(enum_type(ActionKind, name="action_kind"))
    # Who made the change: None for the system (a command, a cascade with nobody signed in).
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    happened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What it is about.
    call_id: Mapped[int | None] = _subject("calls")
    topic_id: Mapped[int | None] = _subject("topics")
    summit_id: Mapped[int | None] = _subject("summits")
    registration_id: Mapped[int | None] = _subject("summit_registrations")
    social_session_id: Mapped[int | None] = _subject("summit_social_sessions")
    agenda_item_id: Mapped[int | None] = _subject("summit_agenda_items")
    visit_id: Mapped[int | None] = _subject("visits")
    application_id: Mapped[int | None] = _subject("applications")
    # Whom it concerns.
    member_id: Mapped[int | None] = _subject("members")
    former_member_id: Mapped[int | None] = _subject("members")
    # What changed: the values before and after (JSON-plain: ISO dates, ids and names).
    before: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    after: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # The outbox messages queued for it: whom it reached.
    message_ids: Mapped[list] = mapped_column(sa.JSON, default=list)

    actor: Mapped[Member | None] = relationship(foreign_keys=[actor_id])
    member: Mapped[Member | None] = relationship(foreign_keys=[member_id])
    former_member: Mapped[Member | None] = relationship(foreign_keys=[former_member_id])
    call = relationship("Call")
    topic = relationship("Topic")
    summit = relationship("Summit")
    registration = relationship("Registration")
    social_session = relationship("SocialSession")
    agenda_item = relationship("AgendaItem")
    visit = relationship("Visit")

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.kind}>"
