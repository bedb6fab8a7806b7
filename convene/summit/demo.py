"""Demo summits: the first one (New York, April 2016) with its published dinner seating, and
an upcoming one with about 120 registrations, a short waitlist, open social sessions and a
three-night dinner series seated as a draft for the admin to review and publish."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from convene.accounts.models import Member, Role
from convene.extensions import db
from convene.summit import registration as registrations
from convene.summit import seating, sessions, waitlist_decisions
from convene.summit.agenda import pick_item
from convene.summit.changes import agenda_item_edited, summit_edited, timing, where_and_when
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
from convene.zones import to_utc

UPCOMING_PER_CITY = 4


def load(rng: random.Random) -> None:
    members = db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.id)
    ).all()
    past = _past_summit(rng, members)
    db.session.flush()
    _upcoming_summit(rng, members, past)
    db.session.flush()
    changes()


def _local(summit: Summit, day: date, hour: int, minute: int = 0) -> datetime:
    return to_utc(day, time(hour, minute), summit.zone)


def _agenda(summit: Summit, rows) -> None:
    for day_offset, start, end, kind, title, room, speakers in rows:
        day = summit.starts_on + timedelta(days=day_offset)
        db.session.add(
            AgendaItem(
                summit=summit,
                kind=kind,
                title=title,
                starts_at=_local(summit, day, *start),
                ends_at=_local(summit, day, *end),
                room=room,
                speakers=speakers,
            )
        )


def _register_all(summit: Summit, people: list[Member], start: datetime, rng) -> None:
    """Registrations in arrival order: confirmed up to capacity, then waitlisted."""
    moment = start
    confirmed = 0
    for member in people:
        moment += timedelta(minutes=rng.randint(5, 600))
        has_seat = confirmed < summit.capacity
        confirmed += has_seat
        db.session.add(
            Registration(
                summit=summit,
                member=member,
                organisation_id=member.organisation_id,
                status=RegistrationStatus.CONFIRMED if has_seat else RegistrationStatus.WAITLISTED,
                registered_at=moment,
                confirmed_at=moment if has_seat else None,
                dietary_needs=rng.choice([None, None, None, "Vegetarian", "No nuts", "Halal"]),
                arrives_on=summit.starts_on - timedelta(days=1),
                departs_on=summit.ends_on,
            )
        )


def _delegations(rng, members, per_org: int, first: list[Member]) -> list[Member]:
    """Up to `per_org` people per organisation, the named demo accounts first."""
    chosen, count = [], {}
    for member in first + rng.sample(members, len(members)):
        if member in chosen or count.get(member.organisation_id, 0) >= per_org:
            continue
        count[member.organisation_id] = count.get(member.organisation_id, 0) + 1
        chosen.append(member)
    return chosen


def _dinner(summit: Summit, title: str, nights: int, tables: int, seats: int) -> SocialSession:
    session = SocialSession(
        summit=summit,
        kind=SessionKind.ASSIGNED,
        title=title,
        place="Restaurants near the venue",
        description="Each night you share a table with people from other cities.",
    )
    db.session.add(session)
    for night in range(nights):
        day = summit.starts_on - timedelta(days=1) + timedelta(days=night)
        seating.add_slot(
            session,
            f"Night {night + 1}",
            _local(summit, day, 19),
            _local(summit, day, 21),
            tables=tables,
            seats=seats,
        )
    return session


def _past_summit(rng, members) -> Summit:
    summit = Summit(
        name="What Works Cities Summit 2016",
        slug="what-works-cities-summit-2016",
        starts_on=date(2016, 4, 18),
        ends_on=date(2016, 4, 19),
        venue="The TimesCenter",
        address="242 West 41st Street, New York, NY 10036",
        zone="America/New_York",
        capacity=80,
        delegation_limit=3,
        registration_opens_at=datetime(2016, 1, 11, 14, tzinfo=UTC),
        registration_closes_at=datetime(2016, 4, 1, 21, tzinfo=UTC),
        description="The first gathering of the network: city leaders meet each other and "
        "the partners in person.",
    )
    db.session.add(summit)
    _agenda(
        summit,
        [
            (
                0,
                (9, 0),
                (10, 0),
                AgendaKind.PLENARY,
                "Welcome: why data and evidence",
                "Hall",
                None,
            ),
            (0, (10, 30), (12, 0), AgendaKind.BREAKOUT, "Open data policies", "Room A", None),
            (0, (10, 30), (12, 0), AgendaKind.BREAKOUT, "Performance management", "Room B", None),
            (
                1,
                (9, 0),
                (12, 0),
                AgendaKind.SITE_VISIT,
                "NYC Mayor's Office of Data Analytics",
                "City Hall",
                None,
            ),
            (
                1,
                (14, 0),
                (15, 0),
                AgendaKind.PLENARY,
                "Closing: what we will try next",
                "Hall",
                None,
            ),
        ],
    )
    people = _delegations(rng, members, 2, [])[:60]
    _register_all(summit, people, datetime(2016, 1, 12, 14, tzinfo=UTC), rng)
    session = _dinner(summit, "Cross-city dinners", nights=2, tables=6, seats=10)
    db.session.flush()
    seating.run_assignment(session, seed=2016)
    session.is_published = True
    session.published_at = datetime(2016, 4, 10, 16, tzinfo=UTC)
    return summit


def _upcoming_summit(rng, members, past: Summit) -> None:
    summit = Summit(
        name="What Works Cities Summit 2027",
        slug="what-works-cities-summit-2027",
        starts_on=date(2027, 4, 13),
        ends_on=date(2027, 4, 15),
        venue="Hyatt Regency Chicago",
        address="151 East Wacker Drive, Chicago, IL 60601",
        zone="America/Chicago",
        capacity=114,
        delegation_limit=UPCOMING_PER_CITY,
        registration_opens_at=datetime(2026, 10, 1, 14, tzinfo=UTC),
        registration_closes_at=datetime(2027, 3, 15, 22, tzinfo=UTC),
        description="Three days in Chicago: plenaries, breakouts, site visits, and every "
        "evening a dinner with leaders from other cities.",
    )
    db.session.add(summit)
    _agenda(
        summit,
        [
            (
                0,
                (9, 0),
                (10, 0),
                AgendaKind.PLENARY,
                "Opening plenary",
                "Grand Ballroom",
                "Programme director; a mayor from the network",
            ),
            (
                0,
                (10, 30),
                (12, 0),
                AgendaKind.BREAKOUT,
                "Results-driven contracting",
                "Regency A",
                "Government Performance Lab",
            ),
            (
                0,
                (10, 30),
                (12, 0),
                AgendaKind.BREAKOUT,
                "Open data that gets used",
                "Regency B",
                "Sunlight Foundation",
            ),
            (
                0,
                (14, 0),
                (15, 30),
                AgendaKind.BREAKOUT,
                "Low-cost evaluations",
                "Regency A",
                "Behavioral Insights Team",
            ),
            (
                1,
                (9, 0),
                (12, 0),
                AgendaKind.SITE_VISIT,
                "Chicago's data analytics team",
                "City Hall, 121 N LaSalle St",
                None,
            ),
            (
                1,
                (14, 0),
                (15, 30),
                AgendaKind.BREAKOUT,
                "Stat programmes that last",
                "Regency B",
                "Center for Government Excellence",
            ),
            (2, (9, 0), (10, 30), AgendaKind.PLENARY, "City showcase", "Grand Ballroom", None),
            (
                2,
                (11, 0),
                (12, 0),
                AgendaKind.PLENARY,
                "Closing: commitments for next year",
                "Grand Ballroom",
                "Results for America",
            ),
        ],
    )
    named = db.session.scalars(
        select(Member).where(Member.email.like("%@demo.convene.test")).order_by(Member.id)
    ).all()
    people = _delegations(rng, members, UPCOMING_PER_CITY, list(named))[:120]
    _register_all(summit, people, datetime(2026, 10, 1, 15, tzinfo=UTC), rng)
    db.session.flush()
    confirmed = [p for p in people[: summit.capacity]]
    reception = SocialSession(
        summit=summit,
        kind=SessionKind.OPEN,
        title="Welcome reception",
        place="Riverside terrace",
        capacity=90,
        starts_at=_local(summit, summit.starts_on, 17),
        ends_at=_local(summit, summit.starts_on, 18, 30),
        description="Drinks and snacks before the first dinner.",
    )
    tour = SocialSession(
        summit=summit,
        kind=SessionKind.OPEN,
        title="Architecture walk on the Riverwalk",
        place="Meet at the hotel lobby",
        capacity=20,
        starts_at=_local(summit, summit.starts_on + timedelta(days=1), 7),
        ends_at=_local(summit, summit.starts_on + timedelta(days=1), 8, 30),
    )
    db.session.add_all([reception, tour])
    named_confirmed = [m for m in named if m in confirmed]
    for session, count, capacity in ((reception, 60, 90), (tour, 24, 20)):
        others = [m for m in confirmed if m not in named_confirmed]
        chosen = named_confirmed + rng.sample(others, count - len(named_confirmed))
        for n, member in enumerate(chosen):
            db.session.add(
                SessionSignup(
                    session=session,
                    member=member,
                    status=SignupStatus.SIGNED_UP if n < capacity else SignupStatus.WAITLISTED,
                )
            )
    db.session.flush()
    breakout = next(i for i in summit.agenda_items if i.kind == AgendaKind.BREAKOUT)
    for member in named_confirmed:
        db.session.add(AgendaPick(agenda_item_id=breakout.id, member_id=member.id))
    dinner = _dinner(summit, "Cross-city dinner series", nights=3, tables=12, seats=10)
    db.session.flush()
    seating.run_assignment(dinner, seed=2027)


def _account(role: Role) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.email == f"{role.value}@demo.convene.test")
    )


def changes() -> None:
    """Changes made now through the summit's own flows, as people and admins make them:
    each is recorded (the registrations, summit and session pages show them) and told, so
    the demo's mail folder holds an email of each kind. The upcoming summit keeps a short
    waitlist and its dinner series stays a draft for the admin to publish."""
    summit = db.session.scalar(select(Summit).where(Summit.slug == "what-works-cities-summit-2027"))
    if summit is None:
        return
    admin, champion, member = _account(Role.ADMIN), _account(Role.CHAMPION), _account(Role.MEMBER)
    live = {
        r.member_id: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.summit_id == summit.id, Registration.status.in_(registrations.LIVE)
            )
        )
    }
    unregistered = [
        m
        for m in db.session.scalars(
            select(Member)
            .where(Member.active.is_(True), Member.role != Role.ADMIN)
            .order_by(Member.id)
        )
        if m.id not in live
    ]
    # The demo accounts keep their places.
    keep = {m.id for m in (admin, champion, member, _account(Role.HOST)) if m is not None}
    # A place passes to a colleague who had not registered.
    passing, colleague = next(
        (r, m)
        for r in live.values()
        if r.status == RegistrationStatus.CONFIRMED and r.member_id not in keep
        for m in unregistered
        if m.organisation_id == r.organisation_id
    )
    registrations.substitute(
        passing,
        colleague,
        actor=passing.member,
        answers=registrations.Answers(arrives_on=summit.starts_on, departs_on=summit.ends_on),
    )
    _waitlist_decisions(summit, admin, keep | {colleague.id})
    # A colleague of the demo champion cannot come after all (the waitlist moves up): the
    # city has a free place in its delegation again, to fill or to pass a place on to.
    if champion is not None:
        staying = keep | {colleague.id}
        place = next(
            (
                r
                for r in live.values()
                if r.organisation_id == champion.organisation_id
                and r.member_id not in staying
                and r.status != RegistrationStatus.CANCELLED
            ),
            None,
        )
        if place is not None:
            registrations.cancel(place, actor=place.member)
    # The programme adds seats: the whole waitlist is promoted, and one seat is left, which
    # a newcomer takes. Someone cancels; another newcomer takes that seat; the one who
    # cancelled thinks again, registers anew and joins the waitlist.
    waiting = registrations.waiting_in_order(summit.id)
    summit.capacity = registrations.confirmed_count(summit.id) + len(waiting) + 1
    registrations.promote_waitlisted(summit, actor=admin)
    free = [  # whose city may still send someone
        m
        for m in unregistered
        if m is not colleague
        and registrations.delegation_count(summit.id, m.organisation_id) < summit.delegation_limit
    ]
    if free:
        registrations.register(summit, free[0], actor=free[0])
    leaving = next(
        r
        for r in live.values()
        if r.status == RegistrationStatus.CONFIRMED and r.member_id not in keep | {colleague.id}
    )
    registrations.cancel(leaving, actor=leaving.member)
    if len(free) > 1:
        registrations.register(summit, free[1], actor=free[1])
    registrations.register(summit, leaving.member, actor=leaving.member)
    _session_changes(summit, member)
    _agenda_changes(summit, admin, member)
    # The programme moves the summit to the hotel's other tower.
    before = where_and_when(summit)
    summit.venue = "Hyatt Regency Chicago, East Tower"
    summit.revision += 1
    summit_edited(summit, before, admin)
    _closing_lunch(summit, admin, member)


def _waitlist_decisions(summit: Summit, admin: Member, keep: set[int]) -> None:
    """The programme moves the last person waiting up (she speaks at a breakout) and takes
    someone off (a duplicate of a colleague's registration)."""
    waiting = [r for r in registrations.waiting_in_order(summit.id) if r.member_id not in keep]
    if len(waiting) < 3:
        return
    waitlist_decisions.move_on_waitlist(
        waiting[-1], admin, "Speaks at the breakout on open data; her city pays her travel", -1
    )
    waitlist_decisions.remove_from_waitlist(
        waiting[0], admin, "Registered in error: a colleague holds the city's place"
    )


def _confirmed(summit: Summit) -> list[Member]:
    return seating.confirmed_attendees(summit.id)


def _session_changes(summit: Summit, member: Member) -> None:
    """A place taken at the reception; the full tour: one joins its waitlist, one leaves
    (and the first waiting gets the place)."""
    reception, tour = (
        db.session.scalar(
            select(SocialSession).where(
                SocialSession.summit_id == summit.id, SocialSession.title == title
            )
        )
        for title in ("Welcome reception", "Architecture walk on the Riverwalk")
    )
    holding = {(s.session_id, s.member_id) for s in db.session.scalars(select(SessionSignup))}
    confirmed = [m for m in _confirmed(summit) if m.id != member.id]
    joining = next(m for m in confirmed if (reception.id, m.id) not in holding)
    sessions.join_session(reception, joining)
    waiting = next(m for m in confirmed if (tour.id, m.id) not in holding)
    sessions.join_session(tour, waiting)
    leaving = db.session.scalars(
        select(SessionSignup)
        .where(SessionSignup.session_id == tour.id, SessionSignup.status == SignupStatus.SIGNED_UP)
        .order_by(SessionSignup.id)
    ).first()
    sessions.leave_session(leaving, leaving.member)


def _agenda_changes(summit: Summit, admin: Member, member: Member) -> None:
    """A breakout moves to another room; another, which the member picked, is cancelled."""
    items = {i.title: i for i in summit.agenda_items}
    moved = items["Results-driven contracting"]
    before = timing(moved)
    moved.room = "Columbus Hall"
    moved.revision += 1
    agenda_item_edited(moved, before, admin)
    cancelled = items["Low-cost evaluations"]
    pick_item(cancelled, member)
    before = timing(cancelled)
    cancelled.is_cancelled = True
    cancelled.revision += 1
    agenda_item_edited(cancelled, before, admin)


def _closing_lunch(summit: Summit, admin: Member, member: Member) -> None:
    """A closing lunch seated and published (everyone seated gets their table), then one
    attendee moved to another table after publishing."""
    people = len(_confirmed(summit))
    lunch = SocialSession(
        summit=summit,
        kind=SessionKind.ASSIGNED,
        title="Closing lunch",
        place="Grand Ballroom foyer",
        description="Lunch at mixed tables before everyone heads home.",
    )
    db.session.add(lunch)
    last_day = summit.ends_on
    slot = seating.add_slot(
        lunch,
        "Lunch",
        _local(summit, last_day, 12, 15),
        _local(summit, last_day, 13, 30),
        tables=people // 10 + 2,
        seats=10,
    )
    seating.run_assignment(lunch, seed=2027)
    seating.publish(lunch, actor=admin)
    tables = seating.current_tables([slot])[slot.id]
    moving = next(m for people in tables.values() for m in people)
    for table in slot.tables:
        if moving in tables[table.id] or len(tables[table.id]) >= table.seats:
            continue
        try:
            seating.move_attendee(lunch, slot, moving, table, actor=admin)
        except seating.SeatingError:  # a pair kept apart: try the next table
            continue
        break
    # Another guest leaves before lunch: noted absent, their seat freed.
    leaving = next(m for people in tables.values() for m in people if m != moving)
    seating.mark_absent(slot, db.session.get(Member, leaving), admin)
