"""Demo summits: the first one (New York, April 2016) with its published dinner seating, and
an upcoming one with about 120 registrations, a short waitlist, open social sessions and a
three-night dinner series seated as a draft for the admin to review and publish."""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from convene.accounts.demo import CITY_TITLES, FIRST, LAST, slugify
from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.extensions import db
from convene.summit import seating
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
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.id)).all()
    members = db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.id)
    ).all()
    _top_up_cities(rng, orgs, members)
    db.session.flush()
    members = db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.id)
    ).all()
    past = _past_summit(rng, members)
    db.session.flush()
    _upcoming_summit(rng, members, past)


def _top_up_cities(rng, orgs, members) -> None:
    """Every city gets at least four people, so delegations can fill up."""
    password_hash = members[0].password_hash
    names = {m.name for m in members}
    for org in orgs:
        if org.kind != OrganisationKind.CITY:
            continue
        have = sum(1 for m in members if m.organisation_id == org.id)
        for _ in range(UPCOMING_PER_CITY + 1 - have):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            while name in names:
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            names.add(name)
            db.session.add(
                Member(
                    email=f"{slugify(name).replace('-', '.')}@{org.slug}.example.org",
                    name=name,
                    organisation=org,
                    role=Role.MEMBER,
                    title=rng.choice(CITY_TITLES),
                    password_hash=password_hash,
                )
            )


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
