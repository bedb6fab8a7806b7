"""Every email the summit sends, one function per event, queued in the caller's transaction.

Mails about a place, a social session or tables carry the event as an .ics invitation
(REQUEST, or CANCEL once cancelled) with the UID and SEQUENCE the calendar feeds use.
"""

from convene.calendar.invitations import CANCEL, invitation
from convene.calendar.summit_events import registration_event, slot_event, social_session_event
from convene.notifications.outbox import queue_email
from convene.urls import external_url
from convene.zones import member_zone_name


def _summit_url(summit) -> str:
    return external_url("summit.show", slug=summit.slug)


def _registration_invitation(registration, member=None, method=None):
    event = registration_event(registration, registration.summit)
    return (invitation(event, member or registration.member, method),)


def registration_confirmed(registration):
    summit = registration.summit
    return queue_email(
        registration.member.email,
        f"Your place at {summit.name} is confirmed",
        "summit/registration_confirmed",
        attachments=_registration_invitation(registration),
        registration=registration,
        summit=summit,
        url=external_url("summit.my_agenda", slug=summit.slug),
    )


def registration_waitlisted(registration, position: int | None):
    summit = registration.summit
    return queue_email(
        registration.member.email,
        f"You are on the waitlist for {summit.name}",
        "summit/registration_waitlisted",
        registration=registration,
        summit=summit,
        position=position,
        url=_summit_url(summit),
    )


def promoted_from_waitlist(registration):
    summit = registration.summit
    return queue_email(
        registration.member.email,
        f"A place opened up: you are confirmed for {summit.name}",
        "summit/promoted_from_waitlist",
        attachments=_registration_invitation(registration),
        registration=registration,
        summit=summit,
        url=external_url("summit.my_agenda", slug=summit.slug),
    )


def registration_cancelled(registration, actor=None):
    summit = registration.summit
    return queue_email(
        registration.member.email,
        f"Your registration for {summit.name} is cancelled",
        "summit/registration_cancelled",
        attachments=_registration_invitation(registration),
        registration=registration,
        summit=summit,
        actor=actor if actor is not None and actor.id != registration.member_id else None,
        url=_summit_url(summit),
    )


def registration_substituted(registration, previous):
    summit = registration.summit
    queue_email(
        previous.email,
        f"Your place at {summit.name} has passed to {registration.member.name}",
        "summit/place_passed_on",
        attachments=_registration_invitation(registration, previous, CANCEL),
        registration=registration,
        summit=summit,
        previous=previous,
        url=_summit_url(summit),
    )
    return queue_email(
        registration.member.email,
        f"{previous.name}'s place at {summit.name} is now yours",
        "summit/place_received",
        attachments=_registration_invitation(registration),
        registration=registration,
        summit=summit,
        previous=previous,
        url=external_url("summit.my_agenda", slug=summit.slug),
    )


def session_place_freed(signup):
    session = signup.session
    return queue_email(
        signup.member.email,
        f"You have a place at {session.title}",
        "summit/session_place_freed",
        attachments=(invitation(social_session_event(session, session.summit), signup.member),),
        session=session,
        member=signup.member,
        zone=member_zone_name(signup.member),
        url=external_url("summit.my_agenda", slug=session.summit.slug),
    )


def tables_published(member, assignments):
    """`assignments`: (slot, table, tablemates) for each slot the member is seated in."""
    session = assignments[0][0].session
    invitations = tuple(
        invitation(slot_event(slot, session, session.summit, table=table), member)
        for slot, table, _mates in assignments
    )
    return queue_email(
        member.email,
        f"Your tables for {session.title}",
        "summit/tables_published",
        attachments=invitations,
        member=member,
        session=session,
        assignments=assignments,
        zone=member_zone_name(member),
        url=external_url("summit.my_agenda", slug=session.summit.slug),
    )
