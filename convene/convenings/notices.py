"""Every email the calls capability sends, one function per event.

Each queues mail in the caller's transaction (sent only if the change commits) and shows
times in the recipient's own zone. Calendar attachments can be added here, per event.
"""

from datetime import datetime

from sqlalchemy import select

from convene.accounts.models import Member, Organisation, Role
from convene.calendar.invitations import ACCEPTED, CANCEL, TENTATIVE, call_event, invitation
from convene.convenings.models import Call, Rsvp, RsvpAnswer, SwapRequest, SwapStatus
from convene.extensions import db
from convene.notifications.outbox import queue_email
from convene.urls import external_url
from convene.zones import member_zone_name


def partner_hosts(organisation_id: int) -> list[Member]:
    """The active hosts of a partner: the people who run its calls."""
    return list(
        db.session.scalars(
            select(Member)
            .where(
                Member.organisation_id == organisation_id,
                Member.role == Role.HOST,
                Member.active.is_(True),
            )
            .order_by(Member.id)
        )
    )


def respondents(call: Call) -> list[Member]:
    """Everyone who answered the call's RSVP, whatever they answered."""
    return list(
        db.session.scalars(
            select(Member)
            .join(Rsvp, Rsvp.member_id == Member.id)
            .where(Rsvp.call_id == call.id, Member.active.is_(True))
            .order_by(Member.id)
        )
    )


def _send(members, subject: str, template: str, invitations=None, **context) -> int:
    """`invitations`, if given, maps a member to the calendar attachments of their mail."""
    sent = set()
    for member in members:
        if member.email in sent:
            continue
        sent.add(member.email)
        queue_email(
            member.email,
            subject,
            f"convenings/{template}",
            attachments=invitations(member) if invitations else (),
            member=member,
            zone=member_zone_name(member),
            **context,
        )
    return len(sent)


def _call_invitations(call: Call):
    """The call as an .ics invitation for each respondent: REQUEST (accepted or tentative)
    for a yes or maybe, CANCEL for everyone once cancelled, nothing for a no."""
    event = call_event(call.id, with_join_details=True)
    rows = db.session.execute(select(Rsvp.member_id, Rsvp.answer).where(Rsvp.call_id == call.id))
    answers = {member_id: answer for member_id, answer in rows}

    def for_member(member: Member):
        answer = answers.get(member.id)
        if event is None or (answer in (None, RsvpAnswer.NO) and not event.is_cancelled):
            return ()
        partstat = TENTATIVE if answer == RsvpAnswer.MAYBE else ACCEPTED
        return (invitation(event, member, partstat=partstat),)

    return for_member


def _link(call: Call) -> str:
    return external_url("convenings.call", call_id=call.id)


def rsvp_recorded(rsvp: Rsvp, previous: RsvpAnswer | None = None) -> int:
    """A confirmation when someone says they will (or may) come. A first "no" gets nothing;
    a "no" after a yes or maybe gets a CANCEL, so the call leaves their calendar."""
    call = rsvp.call
    if rsvp.answer == RsvpAnswer.NO:
        if previous not in (RsvpAnswer.YES, RsvpAnswer.MAYBE):
            return 0
        event = call_event(call.id, with_join_details=False)
        return _send(
            [rsvp.member],
            f"You answered no: {call.label}",
            "rsvp_recorded",
            invitations=lambda member: (
                (invitation(event, member, method=CANCEL, partstat="DECLINED"),)
                if event is not None
                else ()
            ),
            call=call,
            rsvp=rsvp,
            link=_link(call),
        )
    return _send(
        [rsvp.member],
        f"You answered {rsvp.answer.value}: {call.label}",
        "rsvp_recorded",
        invitations=_call_invitations(call),
        call=call,
        rsvp=rsvp,
        link=_link(call),
    )


def call_moved(call: Call, previous_start: datetime, previous_duration: int | None = None) -> int:
    return _send(
        respondents(call),
        f"Call moved: {call.label}",
        "call_moved",
        invitations=_call_invitations(call),
        call=call,
        previous_start=previous_start,
        previous_duration=previous_duration,
        link=_link(call),
    )


def call_cancelled(call: Call) -> int:
    return _send(
        respondents(call),
        f"Call cancelled: {call.label}",
        "call_cancelled",
        invitations=_call_invitations(call),
        call=call,
        link=_link(call),
    )


def swap_requested(swap: SwapRequest) -> int:
    """To the other partner's hosts (who answer it) and to the asking partner's hosts."""
    context = {
        "swap": swap,
        "link": external_url("convenings.host_dashboard"),
        "call_link": _link(swap.call),
        "other_link": _link(swap.other_call),
    }
    count = _send(
        partner_hosts(swap.to_organisation_id),
        f"{swap.from_organisation.name} asks to swap a call with you",
        "swap_requested",
        asking=False,
        **context,
    )
    count += _send(
        partner_hosts(swap.from_organisation_id),
        f"Swap request sent to {swap.to_organisation.name}",
        "swap_requested",
        asking=True,
        **context,
    )
    return count


def attendees_host_changed(call: Call) -> int:
    """Those coming (yes or maybe) get the call again with its new host and SEQUENCE."""
    coming = db.session.scalars(
        select(Member)
        .join(Rsvp, Rsvp.member_id == Member.id)
        .where(
            Rsvp.call_id == call.id,
            Rsvp.answer.in_([RsvpAnswer.YES, RsvpAnswer.MAYBE]),
            Member.active.is_(True),
        )
        .order_by(Member.id)
    ).all()
    return _send(
        coming,
        f"New host for {call.label}: {call.host_organisation.name}",
        "attendees_host_changed",
        invitations=_call_invitations(call),
        call=call,
        link=_link(call),
    )


def swap_answered(swap: SwapRequest) -> int:
    """Both partners hear the answer (accepted, declined or withdrawn); after a swap, those
    coming to either call get its updated invitation."""
    verb = {
        SwapStatus.ACCEPTED: "accepted",
        SwapStatus.DECLINED: "declined",
        SwapStatus.WITHDRAWN: "withdrawn",
    }[swap.status]
    members = partner_hosts(swap.from_organisation_id) + partner_hosts(swap.to_organisation_id)
    if swap.status == SwapStatus.ACCEPTED:
        attendees_host_changed(swap.call)
        attendees_host_changed(swap.other_call)
    return _send(
        members,
        f"Call swap {verb}: {swap.from_organisation.name} and {swap.to_organisation.name}",
        "swap_answered",
        swap=swap,
        verb=verb,
        call_link=_link(swap.call),
        other_link=_link(swap.other_call),
    )


def host_reassigned(call: Call, previous_host: Organisation) -> int:
    """An admin gave the call to another partner: both partners' hosts are told, and those
    coming get the updated invitation."""
    attendees_host_changed(call)
    members = partner_hosts(previous_host.id) + partner_hosts(call.host_organisation_id)
    return _send(
        members,
        f"Call reassigned to {call.host_organisation.name}: {call.label}",
        "host_reassigned",
        call=call,
        previous_host=previous_host,
        link=_link(call),
    )
