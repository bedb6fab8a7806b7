"""The who-hears-what table, walked: each kind of action is made through its domain flow
(or the admin's page), the outbox is delivered to the SMTP server, and exactly the people
written down here get exactly one email each for it, with the calendar method written down
here, and nobody else does. The expectations are written by hand, not read from the table.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from convene.accounts import champions, credentials
from convene.accounts.models import Member
from convene.applications import assignment, decisions, intake, meetings, reviewers
from convene.applications.models import Application, ApplicationStatus, Outcome, Seniority
from convene.breakouts import lookup, planning
from convene.convenings import record, rescheduling, rsvps, swaps
from convene.convenings.models import Rsvp, RsvpAnswer
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications import who_hears_what
from convene.notifications.who_hears_what import TABLE, as_markdown
from convene.summit import registration as registrations
from convene.summit import seating, sessions
from convene.summit.models import (
    AgendaItem,
    AgendaKind,
    AgendaPick,
    Registration,
    RegistrationStatus,
    SessionKind,
    SessionSignup,
    SignupStatus,
    SocialSession,
    Summit,
)
from convene.topics import proposals, scheduling
from convene.topics.models import Topic, TopicStatus, TopicVote
from convene.types import utcnow
from convene.visits.models import PracticeArea
from tests.conftest import PASSWORD, load_demo_network

K = ActionKind
REQUEST, CANCEL = "REQUEST", "CANCEL"
DOC = Path(__file__).parents[2] / "docs" / "who-hears-what.md"


@dataclass
class World:
    """A call hosted by partner A with a scheduled topic and three answers, another call
    hosted by partner B, a summit with room for three, and people to tell."""

    admin: Member
    host_a: Member
    host_b: Member
    call: object
    other_call: object
    topic: Topic
    proposer: Member
    voter: Member
    yes: Member
    maybe: Member
    no: Member
    bystander: Member
    summit: Summit
    make_member: object
    make_call: object
    client_for: object


@pytest.fixture
def world(make_member, make_org, make_call, make_series, client_for):
    partner_a, partner_b = make_org("partner", name="Partner A"), make_org("partner")
    series = make_series(partners=[partner_a, partner_b])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    call = make_call(series=series, starts_at=start, host=partner_a)
    other = make_call(series=series, starts_at=start + timedelta(days=14), host=partner_b)
    proposer, voter = make_member(), make_member()
    topic = Topic(title="Open budgets", proposer=proposer, status=TopicStatus.SCHEDULED)
    topic.call = call
    call.title = topic.title
    db.session.add(topic)
    db.session.flush()
    db.session.add(TopicVote(topic_id=topic.id, member_id=voter.id))
    yes, maybe, no = make_member(), make_member(), make_member()
    for member, answer in ((yes, "yes"), (maybe, "maybe"), (no, "no")):
        db.session.add(Rsvp(call=call, member=member, answer=RsvpAnswer(answer)))
    now = utcnow()
    summit = Summit(
        name="Summit 2027",
        slug="summit-2027",
        starts_on=date(2027, 4, 12),
        ends_on=date(2027, 4, 14),
        venue="Hyatt Regency Chicago",
        address="151 East Wacker Drive, Chicago, IL 60601",
        zone="America/Chicago",
        capacity=3,
        registration_opens_at=now - timedelta(days=1),
        registration_closes_at=now + timedelta(days=30),
        delegation_limit=3,
    )
    db.session.add(summit)
    db.session.commit()
    return World(
        admin=make_member("admin"),
        host_a=make_member("host", organisation=partner_a),
        host_b=make_member("host", organisation=partner_b),
        call=call,
        other_call=other,
        topic=topic,
        proposer=proposer,
        voter=voter,
        yes=yes,
        maybe=maybe,
        no=no,
        bystander=make_member(),
        summit=summit,
        make_member=make_member,
        make_call=make_call,
        client_for=client_for,
    )


def _registered(w: World, status="confirmed", member=None) -> Registration:
    member = member or w.make_member()
    registration = Registration(
        summit=w.summit,
        member=member,
        organisation_id=member.organisation_id,
        status=RegistrationStatus(status),
        registered_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def _open_session(w: World, capacity=1) -> SocialSession:
    session = SocialSession(
        summit=w.summit,
        kind=SessionKind.OPEN,
        title="Riverwalk tour",
        place="Hotel lobby",
        capacity=capacity,
        starts_at=datetime(2027, 4, 13, 12, tzinfo=UTC),
        ends_at=datetime(2027, 4, 13, 14, tzinfo=UTC),
    )
    db.session.add(session)
    db.session.flush()
    return session


def _dinner(w: World, published: bool):
    """One sitting, two tables of two; two confirmed attendees from two cities."""
    x, y = _registered(w).member, _registered(w).member
    dinner = SocialSession(summit=w.summit, kind=SessionKind.ASSIGNED, title="Dinner")
    db.session.add(dinner)
    db.session.flush()
    start = datetime(2027, 4, 13, 0, tzinfo=UTC)
    seating.add_slot(dinner, "Night 1", start, start + timedelta(hours=2), 2, 2)
    seating.run_assignment(dinner, seed=1)
    if published:
        seating.publish(dinner)
    db.session.commit()
    return dinner, x, y


def _item(w: World, kind=AgendaKind.PLENARY) -> AgendaItem:
    item = AgendaItem(
        summit=w.summit,
        kind=kind,
        title="Opening plenary" if kind == AgendaKind.PLENARY else "Open data",
        starts_at=datetime(2027, 4, 12, 14, tzinfo=UTC),
        ends_at=datetime(2027, 4, 12, 15, tzinfo=UTC),
        room="Ballroom",
    )
    db.session.add(item)
    db.session.flush()
    return item


def _edit_item(w: World, item: AgendaItem, **changes) -> None:
    data = {
        "kind": item.kind.value,
        "title": item.title,
        "day": "2027-04-12",
        "starts": "09:00",
        "ends": "10:00",
        "room": item.room,
        "is_public": "y",
    } | changes
    response = w.client_for(w.admin).post(
        f"/summit/{w.summit.slug}/agenda/{item.id}/edit", data=data
    )
    assert response.status_code == 302


# --- one change per kind: made here, and who must hear it (member -> calendar method) --------

CASES = {}


def case(kind):
    def register(make):
        CASES[kind] = make
        return make

    return register


@case(K.CALL_MOVED)
def _call_moved(w):
    yield
    rescheduling.move_call(w.call, w.call.starts_at + timedelta(days=1), 60, actor=w.host_a)
    yield {w.yes: REQUEST, w.maybe: REQUEST, w.no: None, w.proposer: None, w.voter: None,
           w.host_a: None}  # fmt: skip


@case(K.CALL_CANCELLED)
def _call_cancelled(w):
    yield
    rescheduling.cancel_call(w.call, "Holiday", actor=w.host_a)
    yield {w.yes: CANCEL, w.maybe: CANCEL, w.no: CANCEL, w.proposer: None, w.voter: None,
           w.host_a: None}  # fmt: skip


@case(K.CALL_REINSTATED)
def _call_reinstated(w):
    rescheduling.cancel_call(w.call, "Holiday")
    yield
    rescheduling.reinstate_call(w.call, w.admin)
    yield {w.yes: REQUEST, w.maybe: REQUEST, w.no: None, w.proposer: None, w.voter: None,
           w.host_a: None}  # fmt: skip


@case(K.CALL_HOST_REASSIGNED)
def _call_host_reassigned(w):
    yield
    rescheduling.reassign_host(w.call, w.host_b.organisation, actor=w.admin)
    yield {w.yes: REQUEST, w.maybe: REQUEST, w.host_a: None, w.host_b: None}


@case(K.CALL_HOST_SWAPPED)
def _call_host_swapped(w):
    other_coming = w.make_member()
    rsvps.answer_rsvp(w.other_call, other_coming, "yes")
    swap = swaps.request_swap(w.host_a, w.call, w.other_call)
    yield
    swaps.answer_swap(w.host_b, swap.id, accept=True)
    yield {w.yes: REQUEST, w.maybe: REQUEST, other_coming: REQUEST}


@case(K.SWAP_REQUESTED)
def _swap_requested(w):
    yield
    swaps.request_swap(w.host_a, w.call, w.other_call, "Our director is away")
    yield {w.host_a: None, w.host_b: None}


@case(K.SWAP_ANSWERED)
def _swap_answered(w):
    swap = swaps.request_swap(w.host_a, w.call, w.other_call)
    yield
    swaps.answer_swap(w.host_b, swap.id, accept=False)
    yield {w.host_a: None, w.host_b: None}


@case(K.CALL_AGENDA_SET)
def _call_agenda_set(w):
    yield
    record.save_agenda(w.call, w.call.title, "1. Introductions\n2. Budgets", actor=w.host_a)
    yield {w.yes: REQUEST, w.maybe: REQUEST}


def _hold(w):
    past = w.make_call(starts_at=utcnow() - timedelta(hours=2))
    topic = Topic(title="Held topic", proposer=w.proposer, status=TopicStatus.SCHEDULED)
    topic.call = past
    db.session.add(topic)
    db.session.flush()
    db.session.add(TopicVote(topic_id=topic.id, member_id=w.voter.id))
    yield
    record.record_call(past, "Notes", [], [w.yes.id], actor=w.host_a)


@case(K.CALL_HELD)
def _call_held(w):
    yield from _hold(w)
    yield {}  # the record only


@case(K.TOPIC_HELD)
def _topic_held(w):
    yield from _hold(w)
    yield {w.proposer: None, w.voter: None}


@case(K.RSVP_COMING)
def _rsvp_coming(w):
    yield
    rsvps.answer_rsvp(w.call, w.bystander, "maybe")
    yield {w.bystander: REQUEST}


@case(K.RSVP_DECLINED)
def _rsvp_declined(w):
    yield
    rsvps.answer_rsvp(w.call, w.yes, "no")
    yield {w.yes: CANCEL}


def _open_topic(w, title="Participatory budgeting"):
    proposer, voter = w.make_member(), w.make_member()
    topic = proposals.propose_topic(proposer, title)
    db.session.add(TopicVote(topic_id=topic.id, member_id=voter.id))
    db.session.flush()
    return topic, proposer, voter


@case(K.TOPIC_SCHEDULED)
def _topic_scheduled(w):
    topic, proposer, voter = _open_topic(w)
    yield
    scheduling.schedule_topic(topic, w.call, actor=w.host_a)
    yield {w.yes: REQUEST, w.maybe: REQUEST, proposer: None, voter: None}


@case(K.TOPIC_UNSCHEDULED)
def _topic_unscheduled(w):
    yield
    scheduling.unschedule_topic(w.call, actor=w.host_a)
    yield {w.yes: REQUEST, w.maybe: REQUEST, w.proposer: None, w.voter: None}


@case(K.TOPIC_DECLINED)
def _topic_declined(w):
    topic, proposer, voter = _open_topic(w)
    yield
    proposals.decline_topic(topic, "Covered last month", actor=w.admin)
    yield {proposer: None, voter: None}


@case(K.TOPIC_MERGED)
def _topic_merged(w):
    duplicate, proposer, voter = _open_topic(w, "Budgets the public can read")
    survivor, _proposer, _voter = _open_topic(w, "Open budgets for residents")
    yield
    proposals.merge_topics(duplicate, survivor, actor=w.admin)
    yield {proposer: None, voter: None}


@case(K.REGISTRATION_CONFIRMED)
def _registration_confirmed(w):
    yield
    registrations.register(w.summit, w.bystander)
    yield {w.bystander: REQUEST}


@case(K.REGISTRATION_WAITLISTED)
def _registration_waitlisted(w):
    for _ in range(3):
        _registered(w)
    yield
    registrations.register(w.summit, w.bystander)
    yield {w.bystander: None}


@case(K.REGISTRATION_PROMOTED)
def _registration_promoted(w):
    leaving = _registered(w)
    for _ in range(2):
        _registered(w)
    waiting = _registered(w, "waitlisted")
    yield
    registrations.cancel(leaving, actor=w.admin)
    yield {waiting.member: REQUEST}


@case(K.REGISTRATION_CANCELLED)
def _registration_cancelled(w):
    registration = _registered(w)
    yield
    registrations.cancel(registration, actor=registration.member)
    yield {registration.member: CANCEL}


@case(K.REGISTRATION_SUBSTITUTED)
def _registration_substituted(w):
    registration = _registered(w)
    previous = registration.member
    colleague = w.make_member(organisation=previous.organisation)
    yield
    registrations.substitute(registration, colleague, actor=previous)
    yield {previous: CANCEL, colleague: REQUEST}


@case(K.REGISTRATION_MOVED)
def _registration_moved(w):
    from convene.summit.waitlist_decisions import move_on_waitlist

    first, second = _registered(w, "waitlisted"), _registered(w, "waitlisted")
    second.registered_at = first.registered_at + timedelta(minutes=1)
    yield
    move_on_waitlist(second, w.admin, "Speaks at the opening plenary", -1)
    yield {second.member: None}


@case(K.REGISTRATION_REMOVED)
def _registration_removed(w):
    from convene.summit.waitlist_decisions import remove_from_waitlist

    waiting = _registered(w, "waitlisted")
    yield
    remove_from_waitlist(waiting, w.admin, "Registered twice", tell_reason=True)
    yield {waiting.member: None}


@case(K.SESSION_PLACE_GAINED)
def _session_place_gained(w):
    session = _open_session(w)
    member = _registered(w).member
    yield
    sessions.join_session(session, member)
    yield {member: REQUEST}


@case(K.SESSION_PROMOTED)
def _session_promoted(w):
    session = _open_session(w)
    holder, waiting = _registered(w).member, _registered(w).member
    db.session.add(SessionSignup(session=session, member=holder, status=SignupStatus.SIGNED_UP))
    db.session.add(SessionSignup(session=session, member=waiting, status=SignupStatus.WAITLISTED))
    db.session.flush()
    signup = session.signups[0]
    yield
    sessions.leave_session(signup, holder)
    yield {waiting: REQUEST}


@case(K.SESSION_PLACE_LOST)
def _session_place_lost(w):
    session = _open_session(w)
    member = _registered(w).member
    signup = sessions.join_session(session, member)
    yield
    sessions.leave_session(signup, member)
    yield {member: CANCEL}


@case(K.SESSION_WAITLISTED)
def _session_waitlisted(w):
    session = _open_session(w)
    sessions.join_session(session, _registered(w).member)
    member = _registered(w).member
    yield
    sessions.join_session(session, member)
    yield {member: None}


@case(K.SESSION_WAITLIST_LEFT)
def _session_waitlist_left(w):
    session = _open_session(w)
    sessions.join_session(session, _registered(w).member)
    member = _registered(w).member
    signup = sessions.join_session(session, member)
    yield
    sessions.leave_session(signup, member)
    yield {}  # the record only


@case(K.SEATING_PUBLISHED)
def _seating_published(w):
    dinner, x, y = _dinner(w, published=False)
    yield
    seating.publish(dinner, actor=w.admin)
    yield {x: REQUEST, y: REQUEST}


@case(K.SEAT_MOVED)
def _seat_moved(w):
    dinner, x, _y = _dinner(w, published=True)
    slot = dinner.slots[0]
    tables = seating.current_tables([slot])[slot.id]
    elsewhere = next(t for t in slot.tables if x.id not in tables[t.id])
    yield
    seating.move_attendee(dinner, slot, x.id, elsewhere, actor=w.admin)
    yield {x: REQUEST}


@case(K.SEAT_LOST)
def _seat_lost(w):
    dinner, x, _y = _dinner(w, published=True)
    registration = db.session.scalar(select(Registration).where(Registration.member_id == x.id))
    yield
    registrations.cancel(registration, actor=x)
    yield {x: CANCEL}


@case(K.SUMMIT_CHANGED)
def _summit_changed(w):
    confirmed = [_registered(w).member for _ in range(3)]  # full: nobody is promoted
    waiting = _registered(w, "waitlisted").member
    _registered(w, "cancelled")
    yield
    summit = w.summit
    response = w.client_for(w.admin).post(
        f"/summit/{summit.slug}/edit",
        data={
            "name": summit.name,
            "slug": summit.slug,
            "starts_on": "2027-04-19",
            "ends_on": "2027-04-21",
            "venue": "Palmer House",
            "address": "17 East Monroe Street, Chicago, IL 60603",
            "zone": summit.zone,
            "capacity": summit.capacity,
            "delegation_limit": summit.delegation_limit,
            "registration_opens": summit.registration_opens_at.strftime("%Y-%m-%dT%H:%M"),
            "registration_closes": summit.registration_closes_at.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    yield {confirmed[0]: REQUEST, confirmed[1]: REQUEST, confirmed[2]: REQUEST, waiting: None}


@case(K.AGENDA_ITEM_MOVED)
def _agenda_item_moved(w):
    breakout = _item(w, AgendaKind.BREAKOUT)
    picked, _not_picked = _registered(w).member, _registered(w).member
    db.session.add(AgendaPick(agenda_item_id=breakout.id, member_id=picked.id))
    yield
    _edit_item(w, breakout, starts="11:00", ends="12:00")
    yield {picked: REQUEST}


@case(K.AGENDA_ITEM_CANCELLED)
def _agenda_item_cancelled(w):
    plenary = _item(w)
    one, other = _registered(w).member, _registered(w).member
    _registered(w, "waitlisted")
    yield
    _edit_item(w, plenary, is_cancelled="y")
    yield {one: CANCEL, other: CANCEL}


# --- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OldAddress:
    """A member as they were before their address changed: told there."""

    id: int
    email: str


@case(K.PASSWORD_CHANGED)
def _password_changed(w):
    member = w.make_member()
    yield
    credentials.change_password(member, PASSWORD, "a brand new password")
    yield {member: None}


@case(K.EMAIL_CHANGE_ASKED)
def _email_change_asked(w):
    member = w.make_member()
    yield
    credentials.ask_email_change(member, PASSWORD, "new.address@city.example.org")
    yield {member: None}  # at the address they have (the link goes to the new one)


@case(K.EMAIL_CHANGED)
def _email_changed(w):
    member = w.make_member()
    old = OldAddress(member.id, member.email)
    yield
    change = credentials.EmailChange(member, "new.address@city.example.org")
    credentials.confirm_email_change(change)
    yield {old: None}


@case(K.CHAMPION_HANDED_OVER)
def _champion_handed_over(w):
    member = w.make_member()
    city = member.organisation
    champion = w.make_member("champion", organisation=city)
    w.make_member(organisation=city)  # a colleague hears nothing
    yield
    champions.hand_over_champion(w.admin, city, member)
    yield {member: None, champion: None}


# --- peer visits: asking, answering, approving ----------------------------------------------


@dataclass
class VisitScene:
    host_champion: Member
    asking_champion: Member
    request: object


def _visit_scene(w: World) -> VisitScene:
    """Louisville is asked by Boston (each with a champion; colleagues hear nothing)."""
    from convene.visits.areas import add_area
    from convene.visits.requests import NewRequest, VisitFormat

    host_champion, asking_champion = w.make_member("champion"), w.make_member("champion")
    w.make_member(organisation=host_champion.organisation)
    w.make_member(organisation=asking_champion.organisation)
    first = date.today() + timedelta(days=40)
    request = NewRequest(
        asking=asking_champion.organisation,
        host=host_champion.organisation,
        area=add_area("Open data"),
        visit_format=VisitFormat.SITE_VISIT,
        starts_on=first,
        ends_on=first + timedelta(days=1),
        problem="Open 311 data.",
        intended_use="Publish ours.",
    )
    return VisitScene(host_champion, asking_champion, request)


def _asked(w: World):
    from convene.visits.requests import request_visit

    scene = _visit_scene(w)
    return scene, request_visit(scene.asking_champion, scene.request)


@case(K.VISIT_REQUESTED)
def _visit_requested(w):
    from convene.visits.requests import request_visit

    scene = _visit_scene(w)
    yield
    request_visit(scene.asking_champion, scene.request)
    yield {scene.host_champion: None}


@case(K.VISIT_ACCEPTED)
def _visit_accepted(w):
    from convene.visits.requests import answer_request

    scene, visit = _asked(w)
    yield
    answer_request(scene.host_champion, visit.id, "accept")
    yield {scene.asking_champion: None}


@case(K.VISIT_DECLINED)
def _visit_declined(w):
    from convene.visits.requests import answer_request

    scene, visit = _asked(w)
    yield
    answer_request(scene.host_champion, visit.id, "decline", reason="Our team is away.")
    yield {scene.asking_champion: None}


@case(K.VISIT_DATES_PROPOSED)
def _visit_dates_proposed(w):
    from convene.visits.requests import answer_request

    scene, visit = _asked(w)
    first = visit.starts_on + timedelta(days=14)
    yield
    answer_request(scene.host_champion, visit.id, "propose", starts_on=first, ends_on=first)
    yield {scene.asking_champion: None}


@case(K.VISIT_APPROVED)
def _visit_approved(w):
    from convene.visits.models import VisitParticipant, VisitSide
    from convene.visits.requests import answer_request, approve_visit

    scene, visit = _asked(w)
    answer_request(scene.host_champion, visit.id, "accept")
    going = w.make_member(organisation=scene.asking_champion.organisation)
    db.session.add(VisitParticipant(visit_id=visit.id, member_id=going.id, side=VisitSide.VISITOR))
    yield
    approve_visit(w.admin, visit.id, None)
    yield {going: REQUEST, scene.asking_champion: None, scene.host_champion: None}


# --- peer visits: after the visit ------------------------------------------------------------


def _visit_over(w: World):
    """A visit Boston paid Louisville, approved and over, with a traveller named on it."""
    from convene.types import utcnow
    from convene.visits.areas import add_area
    from convene.visits.models import (
        Visit,
        VisitCity,
        VisitFormat,
        VisitParticipant,
        VisitSide,
        VisitStatus,
    )

    scene = _visit_scene(w)
    host, asking = scene.host_champion.organisation, scene.asking_champion.organisation
    traveller = w.make_member(organisation=asking)
    last = date.today() - timedelta(days=3)
    visit = Visit(
        title="Open data in Louisville", problem="p", intended_use="u",
        format=VisitFormat.SITE_VISIT, status=VisitStatus.APPROVED, approved_at=utcnow(),
        starts_on=last, ends_on=last, zone=host.zone, practice_area=add_area("311 data"),
        requesting_organisation_id=asking.id,
        cities=[VisitCity(organisation=host, side=VisitSide.HOST),
                VisitCity(organisation=asking, side=VisitSide.VISITOR)],
        participants=[VisitParticipant(member=traveller, side=VisitSide.VISITOR)],
    )  # fmt: skip
    db.session.add(visit)
    db.session.flush()
    return scene, visit, traveller


@case(K.VISIT_HELD)
def _visit_held(w):
    from convene.visits.reports import save_report

    scene, visit, traveller = _visit_over(w)
    yield
    save_report(visit, traveller.organisation, "Shown.", None, None, False, traveller)
    yield {}  # history only


@case(K.VISIT_REPORTED)
def _visit_reported(w):
    from convene.visits.reports import save_report

    scene, visit, traveller = _visit_over(w)
    host = scene.host_champion.organisation
    yield
    save_report(visit, host, "Our dashboard.", None, None, True, scene.host_champion)
    # The other side: its champion and its people on the visit; not the host city's.
    yield {scene.asking_champion: None, traveller: None}


# --- peer visits: its people, itinerary, moves and cancellations -----------------------------


def _visit_scheduled(w: World, named: bool = True):
    """Boston's approved visit to Louisville, with one person of each city named on it
    (or not yet); the champions of both cities hear of moves and cancellations."""
    from convene.visits.models import VisitParticipant, VisitSide
    from tests.visits.scheduling import make_visit

    scene = _visit_scene(w)
    host, asking = scene.host_champion.organisation, scene.asking_champion.organisation
    visit = make_visit(host, asking, date.today() + timedelta(days=40))
    guest, local = w.make_member(organisation=asking), w.make_member(organisation=host)
    if named:
        db.session.add_all(
            [
                VisitParticipant(visit=visit, member=guest, side=VisitSide.VISITOR),
                VisitParticipant(visit=visit, member=local, side=VisitSide.HOST),
            ]
        )
        db.session.flush()
    return scene, visit, guest, local


@case(K.VISIT_PERSON_NAMED)
def _visit_person_named(w):
    from convene.visits.participants import name_person

    scene, visit, guest, _local = _visit_scheduled(w, named=False)
    yield
    name_person(visit, guest, scene.asking_champion)
    yield {guest: REQUEST}


@case(K.VISIT_PERSON_REMOVED)
def _visit_person_removed(w):
    from convene.visits.participants import remove_person

    scene, visit, guest, _local = _visit_scheduled(w)
    yield
    remove_person(visit, guest, scene.asking_champion)
    yield {guest: CANCEL}


@case(K.VISIT_ITINERARY_CHANGED)
def _visit_itinerary_changed(w):
    from datetime import time

    from convene.visits.itinerary import ItemInput, add_item

    scene, visit, guest, local = _visit_scheduled(w)
    yield
    add_item(visit, ItemInput(visit.starts_on, time(9), time(10), "Tour"), scene.host_champion)
    yield {guest: REQUEST, local: REQUEST}


@case(K.VISIT_MOVED)
def _visit_moved(w):
    from convene.visits.changes import move_visit

    scene, visit, guest, local = _visit_scheduled(w)
    later = visit.starts_on + timedelta(days=7)
    yield
    move_visit(visit, later, later, scene.host_champion, date.today())
    yield {guest: REQUEST, local: REQUEST, scene.host_champion: None, scene.asking_champion: None}


@case(K.VISIT_CANCELLED)
def _visit_cancelled(w):
    from convene.visits.changes import cancel_visit

    scene, visit, guest, local = _visit_scheduled(w)
    yield
    cancel_visit(visit, "Our data team is away.", scene.host_champion)
    yield {guest: CANCEL, local: CANCEL, scene.host_champion: None, scene.asking_champion: None}


@case(K.VISIT_REINSTATED)
def _visit_reinstated(w):
    from convene.visits.changes import cancel_visit, reinstate_visit

    scene, visit, guest, local = _visit_scheduled(w)
    cancel_visit(visit, "Our data team is away.", scene.host_champion)
    yield
    reinstate_visit(visit, w.admin, date.today())
    yield {guest: REQUEST, local: REQUEST, scene.host_champion: None, scene.asking_champion: None}


# --- breakout rooms --------------------------------------------------------------------------


@case(K.BREAKOUTS_PLANNED)
def _breakouts_planned(w):
    yield
    planning.set_up_rooms(w.call, room_count=2, actor=w.host_a)
    yield {}  # each person finds their room on the call's page, feed and reminder


@case(K.BREAKOUT_ROOM_CHANGED)
def _breakout_room_changed(w):
    planning.set_up_rooms(w.call, room_count=2, actor=w.host_a)
    mine = lookup.room_of(w.call.id, w.yes.id)[0].number
    yield
    planning.move_by_hand(w.call, w.yes.id, 3 - mine, actor=w.host_a)
    yield {w.yes: None}


def test_a_room_change_names_the_new_room_and_the_roommates(world, deliver_mail):
    planning.set_up_rooms(world.call, room_count=2, actor=world.host_a)
    db.session.commit()
    deliver_mail()
    theirs = lookup.room_of(world.call.id, world.maybe.id)[0].number
    planning.move_by_hand(world.call, world.yes.id, theirs, actor=world.host_a)
    db.session.commit()
    (mail,) = [m for m in deliver_mail() if world.yes.email in m["To"]]
    assert mail["Subject"] == f"Your breakout room for {world.call.label}: Room {theirs}"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    maybe = f"{world.maybe.name} ({world.maybe.organisation.name})"
    assert f"is now Room {theirs}, with {maybe}." in body
    assert f"/calls/{world.call.id}" in body


# --- city applications: the applicant has no account and is told by address -------------


@dataclass(frozen=True)
class Applicant:
    """The person who applied, as the expectations name them: by address."""

    email: str


APPLICANT = Applicant("clerk@dayton.example.gov")


def _application(w, status=ApplicationStatus.SUBMITTED) -> Application:
    area = db.session.scalar(select(PracticeArea).where(PracticeArea.slug == "open-data"))
    application = Application(
        reference="APP-WALK23",
        status=status,
        email=APPLICANT.email,
        contact_name="Pat Clerk",
        city_name="Dayton",
        state="OH",
        population=137_644,
        zone="America/New_York",
        champion_name="Sam Champion",
        champion_title="Chief of Staff",
        champion_email="sam@dayton.example.gov",
        champion_seniority=Seniority.EXECUTIVE,
        data_history="A 311 dashboard.",
        resources="Two analysts.",
        help_wanted="Performance management.",
        letter_file="letter.pdf",
        submitted_at=None if status == ApplicationStatus.DRAFT else utcnow(),
    )
    application.areas = [area or PracticeArea(name="Open data", slug="open-data")]
    db.session.add(application)
    db.session.flush()
    return application


def _assigned(w) -> Application:
    """Submitted, and given to its two reviewers: partner A's host and the admin."""
    application = _application(w)
    reviewers.mark_reviewer(w.host_a)
    reviewers.mark_reviewer(w.admin)
    return application


def _meeting(w, application):
    day = (utcnow() + timedelta(days=10)).date()
    return meetings.schedule_meeting(application, day, time(10), 60, "City Hall", actor=w.admin)


@case(K.APPLICATION_SUBMITTED)
def _application_submitted(w):
    application = _application(w, ApplicationStatus.DRAFT)
    yield
    intake.submit_application(application)
    yield {APPLICANT: None, w.admin: None}


@case(K.APPLICATION_UNDER_REVIEW)
def _application_under_review(w):
    _assigned(w)
    yield
    assignment.assign_reviewers(w.admin)
    yield {}  # the status page shows it; the confirmation said so


@case(K.REVIEWER_ASSIGNED)
def _reviewer_assigned(w):
    _assigned(w)
    yield
    assignment.assign_reviewers(w.admin)
    yield {w.host_a: None, w.admin: None}


@case(K.MEETING_SCHEDULED)
def _meeting_scheduled(w):
    application = _assigned(w)
    assignment.assign_reviewers(w.admin)
    yield
    _meeting(w, application)
    yield {w.host_a: REQUEST, w.admin: REQUEST, APPLICANT: None}


@case(K.MEETING_MOVED)
def _meeting_moved(w):
    application = _assigned(w)
    assignment.assign_reviewers(w.admin)
    meeting = _meeting(w, application)
    yield
    day = (utcnow() + timedelta(days=11)).date()
    meetings.move_meeting(meeting, day, time(11), 60, "City Hall", actor=w.admin)
    yield {w.host_a: REQUEST, w.admin: REQUEST, APPLICANT: None}


@case(K.MEETING_CANCELLED)
def _meeting_cancelled(w):
    application = _assigned(w)
    assignment.assign_reviewers(w.admin)
    meeting = _meeting(w, application)
    yield
    meetings.cancel_meeting(meeting, actor=w.admin)
    yield {w.host_a: CANCEL, w.admin: CANCEL, APPLICANT: None}


@case(K.LETTER_SENT)
def _letter_sent(w):
    application = _application(w)
    decisions.decide(application, Outcome.HOLD, w.admin)
    yield
    decisions.send_pending(w.admin)
    yield {APPLICANT: None}


@case(K.APPLICATION_ACCEPTED)
def _application_accepted(w):
    application = _application(w)
    decisions.decide(application, Outcome.ACCEPT, w.admin)
    yield
    decisions.send_pending(w.admin)
    yield {w.admin: None}  # (the champion's invitation is the accounts' own mail)


def test_the_applicant_receives_the_letter_and_the_status_link_once(world, deliver_mail):
    application = _application(world, ApplicationStatus.DRAFT)
    db.session.commit()
    intake.submit_application(application)
    db.session.commit()
    (confirmation,) = [m for m in deliver_mail() if APPLICANT.email in m["To"]]
    body = confirmation.get_body(preferencelist=("plain",)).get_content()
    assert "APP-WALK23" in body and "/apply/status/" in body
    assert "status" not in str(db.session.scalar(
        select(Action.details).where(Action.kind == K.APPLICATION_SUBMITTED)))  # fmt: skip
    decisions.decide(application, Outcome.DECLINE, world.admin)
    db.session.commit()
    decisions.send_pending(world.admin)
    (letter,) = [m for m in deliver_mail() if APPLICANT.email in m["To"]]
    assert letter["Subject"] == "What Works Cities: your application for Dayton, OH"
    assert "Dear Pat Clerk" in letter.get_body(preferencelist=("plain",)).get_content()


# --- the walk ------------------------------------------------------------------------------


def _method(message) -> str | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method")
    return None


def test_every_kind_of_action_is_in_the_table_and_walked_here():
    assert set(TABLE) == set(ActionKind)
    assert set(CASES) == set(ActionKind)


@pytest.mark.parametrize("kind", list(ActionKind), ids=lambda k: k.value)
def test_exactly_the_audience_hears_once_with_the_right_method(kind, world, deliver_mail):
    steps = CASES[kind](world)
    next(steps)  # the scene
    db.session.commit()
    deliver_mail()  # what setting the scene sent is not this change's
    last_id = db.session.scalar(select(db.func.max(Action.id))) or 0
    expected = next(steps)  # the change
    db.session.commit()
    delivered = deliver_mail()

    actions = db.session.scalars(
        select(Action).where(Action.id > last_id, Action.kind == kind)
    ).all()
    assert actions, f"no {kind.value} action was recorded"
    ours = {str(i) for a in actions for i in a.message_ids}
    heard = [m for m in delivered if str(m["X-Convene-Outbox-Id"]) in ours]
    assert len(heard) == len(ours)  # every message the actions queued went out
    got = {}
    for message in heard:
        address = message["To"].addresses[0].addr_spec
        assert address not in got, f"{address} heard twice of one {kind.value}"
        got[address] = _method(message)
    assert got == {member.email: method for member, method in expected.items()}

    # Each row of the table reached someone, with its own calendar method.
    told: set[str] = set()
    for row in TABLE[kind]:
        reached = {m.email for a in actions for m in row.audience(a)} - told
        assert reached, f"{kind.value}: the row for {row.audience.__name__} reached nobody"
        for member in expected:
            if member.email in reached:
                assert expected[member] == row.calendar, (kind.value, member.email)
        told |= reached


def test_a_person_in_two_audiences_hears_once(world, deliver_mail):
    """The voter also said yes: one email (the one with the invitation), not two."""
    db.session.add(Rsvp(call=world.call, member=world.voter, answer=RsvpAnswer.YES))
    db.session.commit()
    rescheduling.move_call(world.call, world.call.starts_at + timedelta(hours=2), 60)
    db.session.commit()
    mine = [m for m in deliver_mail() if world.voter.email in m["To"]]
    assert len(mine) == 1 and _method(mine[0]) == REQUEST


def test_moving_a_call_tells_the_supporters_of_its_topic(world, deliver_mail):
    rescheduling.move_call(world.call, world.call.starts_at + timedelta(days=7), 60)
    db.session.commit()
    (mail,) = [m for m in deliver_mail() if world.voter.email in m["To"]]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert "A topic you voted for" in body and "has moved" in body and "Was:" in body


def test_the_outgoing_delegate_is_never_told_their_place_is_confirmed(world, deliver_mail):
    registration = _registered(world)
    previous = registration.member
    colleague = world.make_member(organisation=previous.organisation)
    db.session.commit()
    registrations.substitute(registration, colleague)
    db.session.commit()
    (mail,) = [m for m in deliver_mail() if previous.email in m["To"]]
    assert _method(mail) == CANCEL
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            assert "confirmed" not in part.get_content().lower()


def test_the_docs_table_is_written_from_the_code():
    with open(DOC, encoding="utf-8") as f:
        assert f.read() == as_markdown(), (
            "docs/who-hears-what.md is out of date: "
            "python -m convene.notifications.who_hears_what > docs/who-hears-what.md"
        )
    for kind in ActionKind:
        assert f"`{kind.value}`" in as_markdown()
    assert who_hears_what.__doc__


def test_the_demo_mail_folder_holds_an_email_of_every_kind(app, tmp_path, monkeypatch):
    """`make run` loads the demo and its mail worker writes the outbox to a folder: every
    kind of action the table tells someone of is in it at least once."""
    import email
    import email.policy

    from convene.notifications.outbox import deliver_all

    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", "folder")
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path))
    load_demo_network()
    sent, failed = deliver_all()
    assert sent and not failed
    written = set()
    for path in tmp_path.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        written.add(str(message["X-Convene-Outbox-Id"]))
    by_kind = {kind: 0 for kind, rows in TABLE.items() if rows}
    for action in db.session.scalars(select(Action)):
        if action.kind in by_kind:
            by_kind[action.kind] += len({str(i) for i in action.message_ids} & written)
    assert {kind.value for kind, count in by_kind.items() if not count} == set()
