"""Who hears what: every kind of action, whom it reaches, and how.

This table is the only place that decides recipients. For each kind of action it lists the
audiences in order; each audience is a named function of the action (see `audiences`), told
by email through a template, with the event as a calendar invitation (REQUEST or CANCEL)
or none, and a mail topic (None: essential, it always goes). A person in two audiences of one
action hears once, through the first. A kind with no audience is kept for the history only.

`docs/who-hears-what.md` is written from this table by `as_markdown` (a test keeps the two
equal): run `python -m convene.notifications.who_hears_what > docs/who-hears-what.md`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from convene.calendar.invitations import CANCEL, REQUEST
from convene.history.models import ActionKind as K
from convene.notifications import audiences as a
from convene.notifications.preferences import MailTopic


@dataclass(frozen=True)
class Told:
    """One audience of a kind of action, and how it is told."""

    audience: Callable
    template: str  # mail/<template>.txt (and .html when present)
    subject: str  # str.format over the mail's context
    calendar: str | None = None  # REQUEST, CANCEL, or None for no invitation
    invitation: Callable | None = None  # (action, member, context, method) -> Attachment
    topic: MailTopic | None = None  # None: essential mail
    link: str = "call"  # which page the mail links to (see dispatch.LINKS)
    each: Callable | None = None  # (action, member) -> contexts: one message each
    extra: dict = field(default_factory=dict)  # fixed context for the template


NEWS = MailTopic.TOPIC_NEWS
RECEIPT = MailTopic.RSVP_RECEIPTS

CALL_INVITE = {"invitation": a.call_invitation}

TABLE: dict[K, tuple[Told, ...]] = {
    # --- calls ----------------------------------------------------------------------------
    K.CALL_MOVED: (
        Told(a.coming, "convenings/call_moved", "Call moved: {call.label}", REQUEST, **CALL_INVITE),
        Told(a.not_coming, "convenings/call_moved", "Call moved: {call.label}"),
        Told(a.supporters, "convenings/call_changed_for_supporters",
             "Call moved: {call.label}", topic=NEWS),
        Told(a.call_hosts, "convenings/call_changed_for_hosts", "Call moved: {call.label}"),
    ),
    K.CALL_CANCELLED: (
        Told(a.answered, "convenings/call_cancelled", "Call cancelled: {call.label}", CANCEL,
             **CALL_INVITE),
        Told(a.supporters, "convenings/call_changed_for_supporters",
             "Call cancelled: {call.label}", topic=NEWS),
        Told(a.call_hosts, "convenings/call_changed_for_hosts", "Call cancelled: {call.label}"),
    ),
    K.CALL_REINSTATED: (
        Told(a.coming, "convenings/call_reinstated", "Call back on: {call.label}", REQUEST,
             extra={"coming": True}, **CALL_INVITE),
        Told(a.not_coming, "convenings/call_reinstated", "Call back on: {call.label}",
             extra={"coming": False}),
        Told(a.supporters, "convenings/call_changed_for_supporters",
             "Call back on: {call.label}", topic=NEWS),
        Told(a.call_hosts, "convenings/call_changed_for_hosts", "Call back on: {call.label}"),
    ),
    K.CALL_HOST_REASSIGNED: (
        Told(a.coming, "convenings/attendees_host_changed",
             "New host for {call.label}: {call.host_organisation.name}", REQUEST, **CALL_INVITE),
        Told(a.new_partner_hosts, "convenings/host_reassigned",
             "Call reassigned to {call.host_organisation.name}: {call.label}"),
        Told(a.previous_partner_hosts, "convenings/host_reassigned",
             "Call reassigned to {call.host_organisation.name}: {call.label}"),
    ),
    K.CALL_HOST_SWAPPED: (
        Told(a.coming, "convenings/attendees_host_changed",
             "New host for {call.label}: {call.host_organisation.name}", REQUEST, **CALL_INVITE),
    ),
    K.CALL_AGENDA_SET: (
        Told(a.coming, "convenings/agenda_set", "Agenda for {call.label}", REQUEST,
             **CALL_INVITE),
    ),
    K.CALL_HELD: (),
    K.RSVP_COMING: (
        Told(a.the_member, "convenings/rsvp_recorded",
             "You answered {rsvp.answer.value}: {call.label}", REQUEST, topic=RECEIPT,
             **CALL_INVITE),
    ),
    K.RSVP_DECLINED: (
        Told(a.rsvp_member_if_was_coming, "convenings/rsvp_recorded",
             "You answered no: {call.label}", CANCEL, topic=RECEIPT, **CALL_INVITE),
    ),
    K.SWAP_REQUESTED: (
        Told(a.asked_partner_hosts, "convenings/swap_requested",
             "{swap.from_organisation.name} asks to swap a call with you", link="hosting",
             extra={"asking": False}),
        Told(a.asking_partner_hosts, "convenings/swap_requested",
             "Swap request sent to {swap.to_organisation.name}", link="hosting",
             extra={"asking": True}),
    ),
    K.SWAP_ANSWERED: (
        Told(a.both_partners_hosts, "convenings/swap_answered",
             "Call swap {verb}: {swap.from_organisation.name} and {swap.to_organisation.name}",
             link="hosting"),
    ),
    # --- breakout rooms (each person sees their room on the call's page, in their feed
    # and in the call's reminder: a plan tells nobody, a change tells the person moved) ---
    K.BREAKOUTS_PLANNED: (),
    K.BREAKOUT_ROOM_CHANGED: (
        Told(a.the_member, "breakouts/room_changed",
             "Your breakout room for {call.label}: {room_label}", each=a.each_room),
    ),
    # --- topics ---------------------------------------------------------------------------
    K.TOPIC_SCHEDULED: (
        Told(a.coming, "convenings/call_topic_changed",
             "The call on {call_date} has its topic: {call_topic.title}", REQUEST, **CALL_INVITE),
        Told(a.supporters, "topics/scheduled", "Your topic is on the call on {call_date}",
             topic=NEWS, link="topic"),
    ),
    K.TOPIC_UNSCHEDULED: (
        Told(a.coming_unless_replaced, "convenings/call_topic_changed",
             "The call on {call_date} no longer has its topic", REQUEST, **CALL_INVITE),
        Told(a.supporters, "topics/unscheduled", "Your topic is open again: {call_topic.title}",
             topic=NEWS, link="topic"),
    ),
    K.TOPIC_DECLINED: (
        Told(a.supporters, "topics/declined", "Topic declined: {call_topic.title}", topic=NEWS,
             link="topic"),
    ),
    K.TOPIC_MERGED: (
        Told(a.former_supporters, "topics/merged",
             "Topic merged into “{merged_into.title}”", topic=NEWS, link="merged_into"),
    ),
    K.TOPIC_HELD: (
        Told(a.supporters, "topics/held", "Your topic was discussed: {call_topic.title}",
             topic=NEWS, link="call"),
    ),
    # --- the summit -----------------------------------------------------------------------
    K.REGISTRATION_CONFIRMED: (
        Told(a.the_member, "summit/registration_confirmed",
             "Your place at {summit.name} is confirmed", REQUEST,
             invitation=a.registration_invitation, link="agenda"),
    ),
    K.REGISTRATION_WAITLISTED: (
        Told(a.the_member, "summit/registration_waitlisted",
             "You are on the waitlist for {summit.name}", link="summit"),
    ),
    K.REGISTRATION_PROMOTED: (
        Told(a.the_member, "summit/promoted_from_waitlist",
             "A place opened up: you are confirmed for {summit.name}", REQUEST,
             invitation=a.registration_invitation, link="agenda"),
    ),
    K.REGISTRATION_CANCELLED: (
        Told(a.the_member, "summit/registration_cancelled",
             "Your registration for {summit.name} is cancelled", CANCEL,
             invitation=a.registration_invitation, link="summit"),
    ),
    K.REGISTRATION_SUBSTITUTED: (
        Told(a.former_member, "summit/place_passed_on",
             "Your place at {summit.name} has passed to {registration.member.name}", CANCEL,
             invitation=a.registration_invitation, link="summit"),
        Told(a.the_member, "summit/place_received",
             "{previous.name}'s place at {summit.name} is now yours", REQUEST,
             invitation=a.registration_invitation, link="agenda"),
    ),
    K.REGISTRATION_MOVED: (
        Told(a.the_member, "summit/waitlist_moved",
             "You are now number {after[position]} on the waitlist for {summit.name}",
             link="summit"),
    ),
    K.REGISTRATION_REMOVED: (
        Told(a.the_member, "summit/removed_from_waitlist",
             "You are off the waitlist for {summit.name}", link="summit"),
    ),
    K.SESSION_PLACE_GAINED: (
        Told(a.the_member, "summit/session_place_gained", "You have a place at {session.title}",
             REQUEST, invitation=a.session_invitation, link="agenda"),
    ),
    K.SESSION_PROMOTED: (
        Told(a.the_member, "summit/session_place_freed", "You have a place at {session.title}",
             REQUEST, invitation=a.session_invitation, link="agenda"),
    ),
    K.SESSION_PLACE_LOST: (
        Told(a.the_member, "summit/session_place_lost", "Your place at {session.title} is gone",
             CANCEL, invitation=a.session_invitation, link="summit"),
    ),
    K.SESSION_WAITLISTED: (
        Told(a.the_member, "summit/session_waitlisted",
             "You are on the waitlist for {session.title}", link="summit"),
    ),
    K.SESSION_WAITLIST_LEFT: (),
    K.SEATING_PUBLISHED: (
        Told(a.seated, "summit/tables_published", "Your table for {session.title}: {slot.label}",
             REQUEST, invitation=a.slot_invitation, link="agenda", each=a.each_seat),
    ),
    K.SEAT_MOVED: (
        Told(a.seated_member_if_published, "summit/seat_moved",
             "Your new table for {session.title}: {slot.label}", REQUEST,
             invitation=a.slot_invitation, link="agenda"),
    ),
    K.SEAT_LOST: (
        Told(a.the_member, "summit/seat_lost", "Your seat at {session.title}: {slot.label}",
             CANCEL, invitation=a.slot_invitation, link="summit", each=a.each_lost_seat),
    ),
    K.SUMMIT_CHANGED: (
        Told(a.confirmed_attendees, "summit/summit_changed", "{summit.name} has changed",
             REQUEST, invitation=a.summit_registration_invitation, link="summit",
             extra={"waitlisted": False}),
        Told(a.waitlisted_registrants, "summit/summit_changed", "{summit.name} has changed",
             link="summit", extra={"waitlisted": True}),
    ),
    K.AGENDA_ITEM_MOVED: (
        Told(a.item_attendees, "summit/agenda_item_changed", "Agenda change: {item.title}", REQUEST,
             invitation=a.agenda_item_invitation, link="item"),
    ),
    K.AGENDA_ITEM_CANCELLED: (
        Told(a.item_attendees, "summit/agenda_item_changed", "Cancelled: {item.title}", CANCEL,
             invitation=a.agenda_item_invitation, link="item"),
    ),
    # --- accounts -------------------------------------------------------------------------
    K.PASSWORD_CHANGED: (
        Told(a.account_holder, "accounts/password_changed", "Your Convene password was changed"),
    ),
    K.EMAIL_CHANGE_ASKED: (
        Told(a.account_holder, "accounts/email_change_asked",
             "A change of your Convene email address was asked for"),
    ),
    K.EMAIL_CHANGED: (
        Told(a.account_holder, "accounts/email_changed",
             "Your Convene email address is now {after[email]}"),
    ),
    K.CHAMPION_HANDED_OVER: (
        Told(a.new_champion, "accounts/champion_received",
             "You are now the champion of {details[organisation]}"),
        Told(a.former_champion, "accounts/champion_handed_over",
             "{after[champion]} is now the champion of {details[organisation]}"),
    ),
    # --- peer visits: asking, answering, approving ----------------------------------------
    K.VISIT_REQUESTED: (
        Told(a.visit_host_champions, "visits/request_received",
             "{visit.requesting_organisation.name} asks to visit: {visit.practice_area.name}",
             link="visit"),
    ),
    K.VISIT_ACCEPTED: (
        Told(a.visit_other_side_champions, "visits/answer_accepted",
             "Visit accepted, waiting for approval: {visit.title}", link="visit"),
    ),
    K.VISIT_DECLINED: (
        Told(a.visit_asking_champions, "visits/answer_declined", "Visit declined: {visit.title}",
             link="visit"),
    ),
    K.VISIT_DATES_PROPOSED: (
        Told(a.visit_asking_champions, "visits/answer_dates_proposed",
             "Other dates proposed: {visit.title}", link="visit"),
    ),
    K.VISIT_APPROVED: (
        Told(a.visit_named_people, "visits/visit_approved", "Visit approved: {visit.title}",
             REQUEST, invitation=a.visit_approved_invitation, link="visit"),
        Told(a.visit_champions, "visits/visit_approved", "Visit approved: {visit.title}",
             link="visit"),
    ),
    # --- peer visits: its people, itinerary, moves and cancellations ---------------------
    K.VISIT_PERSON_NAMED: (
        Told(a.visit_person, "visits/person_named", "You are named on a visit: {visit.title}",
             REQUEST, invitation=a.visit_approved_invitation, link="visit"),
    ),
    K.VISIT_PERSON_REMOVED: (
        Told(a.visit_person, "visits/person_removed", "You are off the visit: {visit.title}",
             CANCEL, invitation=a.visit_approved_invitation, link="visit"),
    ),
    K.VISIT_ITINERARY_CHANGED: (
        Told(a.visit_named_people, "visits/itinerary_changed", "Itinerary changed: {visit.title}",
             REQUEST, invitation=a.visit_approved_invitation, link="visit"),
    ),
    K.VISIT_MOVED: (
        Told(a.visit_named_people, "visits/visit_moved", "Visit moved: {visit.title}", REQUEST,
             invitation=a.visit_approved_invitation, link="visit"),
        Told(a.visit_champions, "visits/visit_moved", "Visit moved: {visit.title}",
             link="visit"),
    ),
    K.VISIT_CANCELLED: (
        Told(a.visit_named_people, "visits/visit_cancelled", "Visit cancelled: {visit.title}",
             CANCEL, invitation=a.visit_approved_invitation, link="visit"),
        Told(a.visit_champions, "visits/visit_cancelled", "Visit cancelled: {visit.title}",
             link="visit"),
    ),
    K.VISIT_REINSTATED: (
        Told(a.visit_named_people, "visits/visit_reinstated", "Visit back on: {visit.title}",
             REQUEST, invitation=a.visit_approved_invitation, link="visit"),
        Told(a.visit_champions, "visits/visit_reinstated", "Visit back on: {visit.title}",
             link="visit"),
    ),
    # --- peer visits: after the visit (visits/reports.py) -----------------------------------
    K.VISIT_HELD: (),  # the first report marks it held: nobody is told twice
    K.VISIT_REPORTED: (
        Told(a.visit_report_readers, "visits/report_published",
             "{details[organisation]} published its report: {visit.title}", topic=NEWS,
             link="report"),
    ),
    # --- city applications: the applicant has no account and is told by address ----------
    K.APPLICATION_SUBMITTED: (
        Told(a.applicant, "applications/submitted",
             "We have your application for {application.city_label} ({application.reference})",
             link="status"),
        Told(a.admins, "applications/new_application",
             "New application: {application.city_label}", link="application"),
    ),
    # The applicant follows this step on the status page (their confirmation says so, and
    # what comes next is written to them): a run that assigns a thousand applications
    # records the step for each in one statement.
    K.APPLICATION_UNDER_REVIEW: (),
    # One message a run for each reviewer, naming every application they were given.
    K.REVIEWER_ASSIGNED: (
        Told(a.assigned_reviewer, "applications/reviewer_assigned",
             "Please review: {reviewing}", link="applications"),
    ),
    K.MEETING_SCHEDULED: (
        Told(a.reviewers_and_admins, "applications/meeting_for_committee",
             "Meeting with {application.city_label}'s leadership", REQUEST,
             invitation=a.meeting_invitation, link="application"),
        Told(a.applicant, "applications/meeting_for_applicant",
             "A meeting about your application for {application.city_label}", link="status"),
    ),
    K.MEETING_MOVED: (
        Told(a.reviewers_and_admins, "applications/meeting_for_committee",
             "Meeting moved: {application.city_label}'s leadership", REQUEST,
             invitation=a.meeting_invitation, link="application"),
        Told(a.applicant, "applications/meeting_for_applicant",
             "The meeting about your application for {application.city_label} has moved",
             link="status"),
    ),
    K.MEETING_CANCELLED: (
        Told(a.reviewers_and_admins, "applications/meeting_for_committee",
             "Meeting cancelled: {application.city_label}'s leadership", CANCEL,
             invitation=a.meeting_invitation, link="application"),
        Told(a.applicant, "applications/meeting_for_applicant",
             "The meeting about your application for {application.city_label} is cancelled",
             link="status"),
    ),
    K.LETTER_SENT: (
        Told(a.applicant, "applications/letter", "{letter.subject}", link="status"),
    ),
    K.APPLICATION_ACCEPTED: (
        Told(a.admins, "applications/city_accepted",
             "{application.city_label} has joined the network", link="city"),
    ),
}  # fmt: skip


def _first_line(function: Callable) -> str:
    """The first paragraph of the docstring, on one line, as the docs name an audience."""
    paragraph = (function.__doc__ or function.__name__).strip().split("\n\n")[0]
    return " ".join(paragraph.split()).rstrip(".")


def as_markdown() -> str:
    """The table as the docs show it."""
    lines = [
        "# Who hears what",
        "",
        "Generated from `convene/notifications/who_hears_what.py` by `as_markdown()`; a test "
        "keeps the two",
        "equal. Each change is recorded as an action; each row is one audience of that kind of "
        "action. A",
        "person in two audiences of one action hears once, through the first row. *Essential* "
        "mail always",
        "goes; other mail follows the member's choice for its topic. Every message carries "
        "one event at most.",
        "",
        "| Action | Who hears | Calendar | Mail template | Mail topic |",
        "|---|---|---|---|---|",
    ]
    for kind, rows in TABLE.items():
        if not rows:
            lines.append(f"| `{kind.value}` | nobody (history only) | | | |")
        for told in rows:
            calendar = told.calendar or "none"
            if told.each is not None:
                calendar += f" ({_first_line(told.each).lower()})"
            topic = f"`{told.topic.value}`" if told.topic else "essential"
            lines.append(
                f"| `{kind.value}` | {_first_line(told.audience)} | {calendar} "
                f"| `mail/{told.template}.txt` | {topic} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(as_markdown(), end="")
