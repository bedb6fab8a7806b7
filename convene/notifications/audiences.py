"""Who an action reaches, and the calendar event each person's mail carries.

The who-hears-what table names these functions: each audience takes the recorded action
and returns the members it concerns (active ones; the dispatcher tells each person once),
each invitation builds the one event a message carries for one member.

Someone without an account (a city applying to join) is told by address: an audience may
return an `Addressee`, which has what the dispatcher and the mail templates read of a member
(`email`, `name`, `zone`, `active`) and no id. It is told like anyone else, once per action,
its mail always essential (there is no account to hold a choice of topics).
"""

from dataclasses import dataclass

from sqlalchemy import or_, select

from convene.accounts.models import Member, Role
from convene.applications.models import Application, LeadershipMeeting, ReviewAssignment
from convene.breakouts.lookup import room_of
from convene.calendar.invitations import ACCEPTED, DECLINED, TENTATIVE, call_event, invitation
from convene.calendar.meeting_events import meeting_invitation  # noqa: F401  (the table's)
from convene.calendar.summit_events import (
    agenda_item_event,
    registration_event,
    slot_event,
    social_session_event,
)
from convene.convenings.models import Rsvp, RsvpAnswer, SwapRequest
from convene.extensions import db
from convene.history.models import Action
from convene.summit.models import (
    AgendaKind,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SeatAssignment,
    SessionSlot,
    SessionTable,
)
from convene.topics.models import Topic, TopicVote
from convene.visits.models import Visit, VisitCity, VisitParticipant, VisitSide

_active = Member.active.is_(True)


def _members(query) -> list[Member]:
    return list(db.session.scalars(query.where(_active).order_by(Member.id)))


def _answered(action: Action, answers) -> list[Member]:
    if action.call_id is None:
        return []
    return _members(
        select(Member)
        .join(Rsvp, Rsvp.member_id == Member.id)
        .where(Rsvp.call_id == action.call_id, Rsvp.answer.in_(answers))
    )


# --- calls --------------------------------------------------------------------------------


def coming(action: Action) -> list[Member]:
    """Those who said yes or maybe to the call."""
    return _answered(action, [RsvpAnswer.YES, RsvpAnswer.MAYBE])


def not_coming(action: Action) -> list[Member]:
    """Those who said no to the call."""
    return _answered(action, [RsvpAnswer.NO])


def answered(action: Action) -> list[Member]:
    """Everyone who answered the call's RSVP, whatever they answered."""
    return _answered(action, list(RsvpAnswer))


def coming_unless_replaced(action: Action) -> list[Member]:
    """Those coming to the call, unless another topic took this one's place (the call's
    new topic tells them)."""
    return [] if action.details.get("replaced_by_id") else coming(action)


def _hosts_of(organisation_ids) -> list[Member]:
    ids = [i for i in organisation_ids if i is not None]
    if not ids:
        return []
    return _members(select(Member).where(Member.organisation_id.in_(ids), Member.role == Role.HOST))


def call_hosts(action: Action) -> list[Member]:
    """The hosts of the partner hosting the call."""
    host_id = action.call.host_organisation_id if action.call is not None else None
    return _hosts_of([host_id])


def new_partner_hosts(action: Action) -> list[Member]:
    """The hosts of the partner the call was given to."""
    return _hosts_of([action.after.get("host_id")])


def previous_partner_hosts(action: Action) -> list[Member]:
    """The hosts of the partner that hosted the call before."""
    return _hosts_of([action.before.get("host_id")])


def _swap(action: Action) -> SwapRequest | None:
    swap_id = action.details.get("swap_id")
    return db.session.get(SwapRequest, swap_id) if swap_id else None


def asked_partner_hosts(action: Action) -> list[Member]:
    """The hosts of the partner asked to swap (they answer)."""
    swap = _swap(action)
    return _hosts_of([swap.to_organisation_id]) if swap else []


def asking_partner_hosts(action: Action) -> list[Member]:
    """The hosts of the partner asking to swap."""
    swap = _swap(action)
    return _hosts_of([swap.from_organisation_id]) if swap else []


def both_partners_hosts(action: Action) -> list[Member]:
    """The hosts of both partners of the swap."""
    swap = _swap(action)
    return _hosts_of([swap.from_organisation_id, swap.to_organisation_id]) if swap else []


def rsvp_member_if_was_coming(action: Action) -> list[Member]:
    """The member who answered no, if they had said yes or maybe (the call is in their
    calendar); a first "no" needs no mail."""
    was = action.before.get("answer")
    if was not in (RsvpAnswer.YES.value, RsvpAnswer.MAYBE.value) or action.member is None:
        return []
    return [action.member]


# --- topics -------------------------------------------------------------------------------


def _supporters_of(topic_ids) -> list[Member]:
    ids = [i for i in topic_ids if i is not None]
    if not ids:
        return []
    voters = select(TopicVote.member_id).where(TopicVote.topic_id.in_(ids))
    proposers = select(Topic.proposer_id).where(Topic.id.in_(ids))
    return _members(select(Member).where(or_(Member.id.in_(voters), Member.id.in_(proposers))))


def supporters(action: Action) -> list[Member]:
    """The topic's proposer and everyone who voted for it (for a call: its topic's)."""
    return _supporters_of([action.topic_id])


def former_supporters(action: Action) -> list[Member]:
    """The merged topic's proposer and those who had voted for it before the merge (their
    votes now count for the other topic)."""
    ids = set(action.before.get("supporter_ids") or [])
    if action.topic is not None:
        ids.add(action.topic.proposer_id)
    return _members(select(Member).where(Member.id.in_(ids))) if ids else []


# --- the summit ---------------------------------------------------------------------------


def the_member(action: Action) -> list[Member]:
    """The person it concerns (who answered, registered, holds the place or the seat)."""
    return [action.member] if action.member is not None else []


def former_member(action: Action) -> list[Member]:
    """The person the place passed from."""
    return [action.former_member] if action.former_member is not None else []


# --- accounts -----------------------------------------------------------------------------


def account_holder(action: Action) -> list[Member]:
    """The member whose account it is, at the address it had when the change was recorded."""
    return the_member(action)


def new_champion(action: Action) -> list[Member]:
    """The member who became the city's champion."""
    return the_member(action)


def former_champion(action: Action) -> list[Member]:
    """The champion who became a member of the city (none if it had no champion)."""
    return former_member(action)


def seated_member_if_published(action: Action) -> list[Member]:
    """The person moved, once the seating is published (a draft tells nobody)."""
    return the_member(action) if action.details.get("published") else []


def _registered(action: Action, statuses) -> list[Member]:
    if action.summit_id is None:
        return []
    return _members(
        select(Member)
        .join(Registration, Registration.member_id == Member.id)
        .where(Registration.summit_id == action.summit_id, Registration.status.in_(statuses))
    )


def confirmed_attendees(action: Action) -> list[Member]:
    """Everyone confirmed for the summit."""
    return _registered(action, [RegistrationStatus.CONFIRMED])


def waitlisted_registrants(action: Action) -> list[Member]:
    """Everyone on the summit's waitlist."""
    return _registered(action, [RegistrationStatus.WAITLISTED])


def item_attendees(action: Action) -> list[Member]:
    """For a plenary, everyone confirmed; for a breakout or site visit, the confirmed
    attendees who put it on their agenda."""
    item = action.agenda_item
    if item is None:
        return []
    if item.kind == AgendaKind.PLENARY:
        return confirmed_attendees(action)
    picked = select(AgendaPick.member_id).where(AgendaPick.agenda_item_id == item.id)
    return [m for m in confirmed_attendees(action) if m.id in set(db.session.scalars(picked))]


def seated(action: Action) -> list[Member]:
    """Everyone seated at a table of the session."""
    if action.social_session_id is None:
        return []
    slots = select(SessionSlot.id).where(SessionSlot.session_id == action.social_session_id)
    seats = select(SeatAssignment.member_id).where(SeatAssignment.slot_id.in_(slots))
    return _members(select(Member).where(Member.id.in_(seats)))


# --- the event each message carries -------------------------------------------------------


def _partstat(action: Action, member: Member) -> str:
    if action.call_id is None:
        return ACCEPTED
    answer = db.session.scalar(
        select(Rsvp.answer).where(Rsvp.call_id == action.call_id, Rsvp.member_id == member.id)
    )
    return {RsvpAnswer.MAYBE: TENTATIVE, RsvpAnswer.NO: DECLINED}.get(answer, ACCEPTED)


def call_invitation(action: Action, member: Member, context: dict, method: str):
    """The call as feeds show it (join details included), with the member's answer."""
    events = context["_events"]
    if "call" not in events:
        events["call"] = call_event(action.call_id, with_join_details=True)
    return invitation(events["call"], member, method=method, partstat=_partstat(action, member))


def registration_invitation(action: Action, member: Member, context: dict, method: str):
    """The member's place at the summit, as one all-day event."""
    registration = action.registration
    if registration is None:
        return None
    return invitation(registration_event(registration, registration.summit), member, method)


def summit_registration_invitation(action: Action, member: Member, context: dict, method: str):
    """Each attendee's own place at the summit (its dates or venue changed)."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.summit_id == action.summit_id,
            Registration.member_id == member.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )
    if registration is None:
        return None
    return invitation(registration_event(registration, registration.summit), member, method)


def session_invitation(action: Action, member: Member, context: dict, method: str):
    """The open social session."""
    session = action.social_session
    if session is None:
        return None
    return invitation(social_session_event(session, session.summit), member, method)


def slot_invitation(action: Action, member: Member, context: dict, method: str):
    """One sitting of an assigned session, naming the member's table."""
    session = action.social_session
    slot, table = context.get("slot"), context.get("table")
    if session is None or slot is None:
        return None
    return invitation(slot_event(slot, session, session.summit, table=table), member, method)


def agenda_item_invitation(action: Action, member: Member, context: dict, method: str):
    """The agenda item (plenary, breakout or site visit)."""
    item = action.agenda_item
    if item is None:
        return None
    events = context["_events"]
    if "item" not in events:
        events["item"] = agenda_item_event(item, item.summit)
    return invitation(events["item"], member, method)


# --- one message per slot -----------------------------------------------------------------


def each_seat(action: Action, member: Member) -> list[dict]:
    """One message per slot they sit in."""
    rows = db.session.execute(
        select(SessionSlot, SessionTable)
        .join(SeatAssignment, SeatAssignment.slot_id == SessionSlot.id)
        .join(SessionTable, SessionTable.id == SeatAssignment.table_id)
        .where(
            SessionSlot.session_id == action.social_session_id,
            SeatAssignment.member_id == member.id,
        )
        .order_by(SessionSlot.position)
    ).all()
    letters = []
    for slot, table in rows:
        mates = _members(
            select(Member)
            .join(SeatAssignment, SeatAssignment.member_id == Member.id)
            .where(SeatAssignment.table_id == table.id, Member.id != member.id)
        )
        letters.append({"slot": slot, "table": table, "assignments": [(slot, table, mates)]})
    return letters


def each_lost_seat(action: Action, member: Member) -> list[dict]:
    """One message per sitting they lost."""
    ids = action.details.get("slot_ids") or []
    slots = db.session.scalars(
        select(SessionSlot).where(SessionSlot.id.in_(ids)).order_by(SessionSlot.position)
    )
    return [{"slot": slot, "table": None} for slot in slots]


# --- breakout rooms -------------------------------------------------------------------------


def each_room(action: Action, member: Member) -> list[dict]:
    """One message with the room they are in now and their roommates (read when it is
    sent, so a message written after a whole plan names the plan's final rooms)."""
    found = room_of(action.call_id, member.id) if action.call_id is not None else None
    if found is None:
        return [{"room": None, "roommates": [], "room_label": "no room"}]
    room, mates = found
    return [{"room": room, "roommates": mates, "room_label": room.name}]


# --- peer visits: asking, answering, approving ----------------------------------------------


def _visit_city_ids(action: Action, side=None) -> list[int]:
    if action.visit_id is None:
        return []
    query = select(VisitCity.organisation_id).where(VisitCity.visit_id == action.visit_id)
    if side is not None:
        query = query.where(VisitCity.side == side)
    return list(db.session.scalars(query))


def _champions_of(organisation_ids) -> list[Member]:
    if not organisation_ids:
        return []
    return _members(
        select(Member).where(
            Member.organisation_id.in_(list(organisation_ids)), Member.role == Role.CHAMPION
        )
    )


def _asking_city_id(action: Action) -> list[int]:
    if action.visit_id is None:
        return []
    asking = db.session.scalar(
        select(Visit.requesting_organisation_id).where(Visit.id == action.visit_id)
    )
    return [asking] if asking is not None else []


def visit_host_champions(action: Action) -> list[Member]:
    """The champions of the city asked to host the visit."""
    return _champions_of(_visit_city_ids(action, VisitSide.HOST))


def visit_asking_champions(action: Action) -> list[Member]:
    """The champion of the city that asked for the visit."""
    return _champions_of(_asking_city_id(action))


def visit_other_side_champions(action: Action) -> list[Member]:
    """The champions of the side that did not answer (the asking city's when the host
    accepted, the host city's when the asking city took the dates the host proposed)."""
    if (action.details or {}).get("side") == VisitSide.VISITOR:
        return visit_host_champions(action)
    return visit_asking_champions(action)


def visit_named_people(action: Action) -> list[Member]:
    """The people named on the visit, visiting or hosting."""
    if action.visit_id is None:
        return []
    return _members(
        select(Member)
        .join(VisitParticipant, VisitParticipant.member_id == Member.id)
        .where(VisitParticipant.visit_id == action.visit_id)
    )


def visit_champions(action: Action) -> list[Member]:
    """The champions of every city taking part in the visit."""
    return _champions_of(set(_visit_city_ids(action)) | set(_asking_city_id(action)))


def visit_report_readers(action: Action) -> list[Member]:
    """The champions and the named people of the visit's other cities (not the city whose
    report it is)."""
    if action.visit_id is None:
        return []
    reporting = (action.details or {}).get("organisation_id")
    others = [c for c in _visit_city_ids(action) if c != reporting]
    named = select(VisitParticipant.member_id).where(VisitParticipant.visit_id == action.visit_id)
    return _members(
        select(Member).where(
            Member.organisation_id.in_(others),
            or_(Member.role == Role.CHAMPION, Member.id.in_(named)),
        )
    )


def visit_approved_invitation(action: Action, member: Member, context: dict, method: str):
    """The visit over its days, as its people's feeds show it."""
    from convene.calendar.visit_events import visit_event

    visit = action.visit
    if visit is None:
        return None
    events = context["_events"]
    if "visit" not in events:
        events["visit"] = visit_event(visit)
    if events["visit"] is None:
        return None
    return invitation(events["visit"], member, method)


def visit_person(action: Action) -> list[Member]:
    """The person named on the visit, or taken off it."""
    return the_member(action)


# --- city applications (the applicant has no account: told by address) -----------------------


@dataclass(frozen=True)
class Addressee:
    """Someone told by address alone (see the module's docstring)."""

    email: str
    name: str
    zone: str | None = None
    id: None = None
    active: bool = True


def _application(action: Action) -> Application | None:
    if action.application_id is None:
        return None
    return db.session.get(Application, action.application_id)


def applicant(action: Action) -> list[Addressee]:
    """The person who applied for the city, at the application's address."""
    application = _application(action)
    if application is None or not application.email:
        return []
    name = application.contact_name or f"{application.city_label} applicant"
    return [Addressee(email=application.email, name=name, zone=application.zone)]


def admins(action: Action) -> list[Member]:
    """The programme's admins."""
    return _members(select(Member).where(Member.role == Role.ADMIN))


def assigned_reviewer(action: Action) -> list[Member]:
    """The reviewer given the application."""
    return the_member(action)


def reviewers_and_admins(action: Action) -> list[Member]:
    """The application's assigned reviewers, then the programme's admins."""
    if action.application_id is None:
        return []
    reviewers = _members(
        select(Member)
        .join(ReviewAssignment, ReviewAssignment.member_id == Member.id)
        .where(ReviewAssignment.application_id == action.application_id)
    )
    seen = {m.id for m in reviewers}
    return reviewers + [m for m in admins(action) if m.id not in seen]


def meeting_of(action: Action) -> LeadershipMeeting | None:
    """The leadership meeting the action is about (its id in the details, else the
    application's latest)."""
    meeting_id = action.details.get("meeting_id")
    if meeting_id:
        return db.session.get(LeadershipMeeting, meeting_id)
    if action.application_id is None:
        return None
    return db.session.scalar(
        select(LeadershipMeeting)
        .where(LeadershipMeeting.application_id == action.application_id)
        .order_by(LeadershipMeeting.id.desc())
        .limit(1)
    )
