"""The demo's visits foundation: where each city is, the practice areas, what cities can share.

Runs after the topics' demo. A city whose person proposed a held call's topic is taken to
have presented on it (the offer to share is ticked), so the areas the topics and held calls
suggest are on each city's list (as a champion would have kept them), plus a few each
champion added by hand.
It draws from its own random source, so the loaders after it draw as they did before.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.extensions import db
from convene.topics.models import Topic, TopicStatus
from convene.visits.areas import add_area
from convene.visits.budget import set_budget
from convene.visits.changes import cancel_visit, move_visit, reinstate_visit
from convene.visits.itinerary import ItemInput, add_item
from convene.visits.models import (
    CityStrength,
    ItineraryItem,
    PracticeArea,
    StrengthSource,
    Visit,
    VisitCity,
    VisitFormat,
    VisitParticipant,
    VisitSide,
    VisitStatus,
)
from convene.visits.participants import name_person, remove_person
from convene.visits.reports import save_report
from convene.visits.requests import (
    Answer,
    NewRequest,
    answer_request,
    approve_visit,
    request_visit,
    visit_title,
)
from convene.visits.strengths import prefill_strengths
from convene.zones import to_utc

# City centres, (latitude, longitude), by the demo's city slug.
COORDINATES = {
    "anchorage-ak": (61.2181, -149.9003),
    "honolulu-hi": (21.3069, -157.8583),
    "mesa-az": (33.4152, -111.8315),
    "scottsdale-az": (33.4942, -111.9261),
    "tempe-az": (33.4255, -111.9400),
    "boston-ma": (42.3601, -71.0589),
    "cambridge-ma": (42.3736, -71.1097),
    "chattanooga-tn": (35.0456, -85.3097),
    "knoxville-tn": (35.9606, -83.9207),
    "nashville-tn": (36.1627, -86.7816),
    "kansas-city-mo": (39.0997, -94.5786),
    "independence-mo": (39.0911, -94.4155),
    "louisville-ky": (38.2527, -85.7585),
    "lexington-ky": (38.0406, -84.5037),
    "new-orleans-la": (29.9511, -90.0715),
    "baton-rouge-la": (30.4515, -91.1871),
    "jackson-ms": (32.2988, -90.1848),
    "seattle-wa": (47.6062, -122.3321),
    "tacoma-wa": (47.2529, -122.4443),
    "tulsa-ok": (36.1540, -95.9928),
    "las-vegas-nv": (36.1699, -115.1398),
    "denver-co": (39.7392, -104.9903),
    "albuquerque-nm": (35.0844, -106.6504),
    "boise-id": (43.6150, -116.2023),
    "lincoln-ne": (40.8136, -96.7026),
    "providence-ri": (41.8240, -71.4128),
    "syracuse-ny": (43.0481, -76.1474),
}

# (name, other words that name it in topics and calls)
AREAS = [
    ("Open data", "data portal, open-data, transparency"),
    ("Performance management", "performance, dashboard, stat, KPI"),
    ("Programme evaluation", "evaluation, evaluating, pilot, randomised, randomized"),
    ("Results-driven contracting", "contracting, procurement, vendor"),
    ("311 data", "311, service requests"),
    ("Data governance", "governance, data sharing, data inventory"),
    ("Behavioural insights", "behavioural, behavioral, nudge"),
    ("Budgeting for outcomes", "budgeting, outcome budget"),
    ("Communicating with data", "communicating, communications, storytelling"),
]

# Cities that host at most so many visits a year (the rest: no limit).
CAPS = {"boston-ma": 3, "louisville-ky": 2, "kansas-city-mo": 2, "seattle-wa": 4}


def load(rng: random.Random) -> None:
    del rng  # its own source instead (module docstring)
    local = random.Random(2016)
    cities = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY)
        .order_by(Organisation.id)
    ).all()
    for city in cities:
        city.latitude, city.longitude = COORDINATES.get(city.slug, (None, None))
        city.visits_hosted_cap = CAPS.get(city.slug)
    areas = [add_area(name, keywords) for name, keywords in AREAS]
    # A city whose person proposed a held call's topic presented its experience on the call.
    held = db.session.scalars(
        sa.select(Topic)
        .join(Member, Member.id == Topic.proposer_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Topic.status == TopicStatus.HELD, Organisation.kind == OrganisationKind.CITY)
    ).all()
    for topic in held:
        topic.will_share_experience = True
    db.session.flush()
    prefill_strengths()
    listed = set(
        db.session.execute(
            sa.select(CityStrength.organisation_id, CityStrength.practice_area_id)
        ).all()
    )
    # Each city's champion adds one to three areas of their own.
    for city in cities:
        for area in local.sample(areas, local.randint(1, 3)):
            if (city.id, area.id) not in listed:
                listed.add((city.id, area.id))
                db.session.add(
                    CityStrength(
                        organisation_id=city.id,
                        practice_area_id=area.id,
                        source=StrengthSource.CHAMPION,
                    )
                )
    db.session.flush()
    load_visits()


# --- visits: past ones with their reports, and coming ones at every stage -------------------

# (host slug, visiting slugs, area, days ago it ended, format, budget in dollars, reports by)
PAST_VISITS = [
    ("louisville-ky", ["mesa-az"], "Performance management", 150, "site_visit", 2400, "both"),
    ("boston-ma", ["providence-ri", "syracuse-ny"], "311 data", 260, "site_visit", 3100, "both"),
    ("kansas-city-mo", ["tulsa-ok"], "Open data", 95, "workshop", 1200, "host"),
    ("seattle-wa", ["tacoma-wa", "boise-id"], "Data governance", 330, "site_visit", 2800, "both"),
    ("nashville-tn", ["chattanooga-tn"], "Results-driven contracting", 60, "site_visit", 900,
     "visitors"),
    ("denver-co", ["albuquerque-nm"], "Programme evaluation", 200, "virtual", 0, "both"),
    ("new-orleans-la", ["baton-rouge-la", "jackson-ms"], "311 data", 40, "workshop", 1800,
     "both"),
    ("lexington-ky", ["knoxville-tn"], "Communicating with data", 20, "site_visit", 700, None),
]  # fmt: skip

# What each side wrote, by area: (shown, will try, links)
REPORT_TEXT = {
    "Performance management": (
        "Their monthly **LouieStat** sessions: how a department prepares, the five measures "
        "the mayor's office asks about every time, and the follow-up list that is read out "
        "at the start of the next session.",
        "Run our own monthly review with two departments first (fleet and permits), using "
        "the same follow-up list.",
        "LouieStat overview | https://louiestat.louisvilleky.gov\n"
        "Follow-up list template | https://example.org/louisville/follow-up-template",
    ),
    "311 data": (
        "How service requests become a public dashboard overnight, and how the categories "
        "were cleaned up with the departments before anything was published.",
        "Clean our 40 request categories down to the 15 residents use, then publish weekly.",
        "Open 311 dashboard | https://example.org/311/dashboard\n"
        "Category clean-up checklist | https://example.org/311/categories",
    ),
    "Open data": (
        "The open data policy, the inventory every department keeps, and the release "
        "calendar that keeps the portal from going stale.",
        "Write an inventory of our datasets before choosing a portal.",
        "Open data policy | https://example.org/open-data/policy",
    ),
    "Data governance": (
        "The data governance board: who sits on it, what it decides, and the data-sharing "
        "agreement template the county and the city both sign.",
        "Set up a data-sharing agreement with our county for homelessness data.",
        "Data-sharing agreement template | https://example.org/governance/agreement",
    ),
    "Results-driven contracting": (
        "How two procurements were rewritten around outcomes, and the vendor meetings that "
        "now happen every quarter.",
        "Rewrite the next street-resurfacing contract around outcomes.",
        "Contract outcomes worksheet | https://example.org/contracting/worksheet",
    ),
    "Programme evaluation": (
        "A low-cost randomised evaluation of reminder letters for utility bills, from design "
        "to the council briefing.",
        "Test two versions of our parking-ticket letter.",
        "Evaluation design notes | https://example.org/evaluation/letters",
    ),
}

DEMO_TODAY_LEAD = 30  # coming visits start a month or more ahead (past the lead time)


def _champion(city: Organisation) -> Member | None:
    return next((m for m in city.members if m.role == Role.CHAMPION and m.active), None)


def _colleague(city: Organisation) -> Member | None:
    """A member of the city (the demo's member account where it is theirs)."""
    members = [m for m in city.members if m.role == Role.MEMBER and m.active]
    members.sort(key=lambda m: not m.email.startswith("member@"))
    return members[0] if members else None


def _past_visit(by_slug, areas, admin, spec, today: date) -> None:
    host_slug, visiting, area_name, ended_ago, visit_format, dollars, reporters = spec
    host, visitors = by_slug[host_slug], [by_slug[s] for s in visiting]
    area = areas[area_name]
    ends_on = today - timedelta(days=ended_ago)
    starts_on = ends_on - timedelta(days=0 if visit_format == "virtual" else 1)
    approved_at = datetime.combine(starts_on - timedelta(days=30), time(15), UTC)
    visit = Visit(
        title=visit_title(area, host, VisitFormat(visit_format)),
        problem=f"How {host.name} runs {area_name.lower()}, and what it would do again.",
        intended_use=f"Start {area_name.lower()} work of our own this year.",
        format=VisitFormat(visit_format),
        status=VisitStatus.APPROVED,
        starts_on=starts_on,
        ends_on=ends_on,
        zone=host.zone,
        practice_area_id=area.id,
        requesting_organisation_id=visitors[0].id,
        travel_budget_cents=dollars * 100 or None,
        is_public=visit_format != "virtual",
        created_by=_champion(visitors[0]),
        answered_by=_champion(host),
        answered_at=approved_at - timedelta(days=5),
        approved_by=admin,
        approved_at=approved_at,
        created_at=approved_at - timedelta(days=12),
    )
    visit.cities = [VisitCity(organisation=host, side=VisitSide.HOST)] + [
        VisitCity(organisation=v, side=VisitSide.VISITOR) for v in visitors
    ]
    for city, side in [(host, VisitSide.HOST)] + [(v, VisitSide.VISITOR) for v in visitors]:
        for person in filter(None, (_champion(city), _colleague(city))):
            visit.participants.append(VisitParticipant(member=person, side=side))
    for day in sorted({starts_on, ends_on}):
        for starts, ends, title in (
            (time(9), time(12), "Walk-through"),
            (time(13), time(16), "Working session"),
        ):
            visit.itinerary.append(
                ItineraryItem(
                    starts_at=to_utc(day, starts, host.zone),
                    ends_at=to_utc(day, ends, host.zone),
                    title=f"{title}: {area_name}",
                    place=f"{host.name} City Hall",
                )
            )
    db.session.add(visit)
    db.session.flush()
    shown, will_try, links = REPORT_TEXT.get(area_name, REPORT_TEXT["Open data"])
    writers = {"both": [host, *visitors], "host": [host], "visitors": visitors}.get(reporters)
    for city in writers or []:
        author = _colleague(city) or _champion(city)
        save_report(
            visit, city,
            shown if city is host else f"{host.name} showed us: {shown[0].lower()}{shown[1:]}",
            will_try if city is not host else f"We suggested: {will_try[0].lower()}{will_try[1:]}",
            links, publish=True, actor=author,
            now=datetime.combine(ends_on + timedelta(days=4), time(18), UTC),
        )  # fmt: skip


def _coming_visits(by_slug, areas, admin, today: date) -> None:
    """Requests at every stage, through the flows people use (so their mail is sent)."""

    def ask(asking, host, area, weeks, days=2, visit_format="site_visit", public=False):
        starts_on = today + timedelta(days=DEMO_TODAY_LEAD + 7 * weeks)
        asked = NewRequest(
            asking=by_slug[asking],
            host=by_slug[host],
            area=areas[area],
            visit_format=VisitFormat(visit_format),
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=days - 1),
            problem=f"We want to learn how {by_slug[host].name} approaches {area.lower()}.",
            intended_use="Brief the mayor's office and start a pilot within six months.",
            is_public=public,
        )
        return request_visit(_champion(by_slug[asking]), asked, today)

    def accept(visit):
        host = visit.hosts[0]
        return answer_request(_champion(host), visit.id, Answer.ACCEPT, today=today)

    def approve(visit, dollars):
        return approve_visit(admin, visit.id, dollars * 100, today=today)

    def name_both_sides(visit):
        for city in [*visit.hosts, *visit.visitors]:
            for person in filter(None, (_champion(city), _colleague(city))):
                name_person(visit, person, _champion(city))

    # Waiting for the host city.
    ask("scottsdale-az", "denver-co", "Performance management", 2)
    ask("lincoln-ne", "kansas-city-mo", "Open data", 4, visit_format="workshop")
    # The host proposed other dates.
    proposed = ask("independence-mo", "tulsa-ok", "Budgeting for outcomes", 3)
    answer_request(
        _champion(by_slug["tulsa-ok"]), proposed.id, Answer.PROPOSE,
        reason="Our budget office is in the middle of its hearings then.",
        starts_on=proposed.starts_on + timedelta(days=14),
        ends_on=proposed.ends_on + timedelta(days=14), today=today,
    )  # fmt: skip
    # Accepted, waiting for programme staff.
    accept(ask("anchorage-ak", "seattle-wa", "311 data", 5))
    # Declined.
    declined = ask("honolulu-hi", "las-vegas-nv", "Behavioural insights", 6)
    answer_request(
        _champion(by_slug["las-vegas-nv"]), declined.id, Answer.DECLINE,
        reason="Our team is moving offices that month; ask us again in the spring.", today=today,
    )  # fmt: skip
    # Approved, with its people named and an itinerary: the demo champion's city visits the
    # demo member's (public), and one more.
    mesa = ask("mesa-az", "louisville-ky", "Data governance", 1, days=2, public=True)
    approve(accept(mesa), 2600)
    name_both_sides(mesa)
    for day, (starts, ends, title, place) in zip(
        (mesa.starts_on, mesa.starts_on, mesa.ends_on),
        [
            (time(9), time(11, 30), "Welcome and the data governance board", "Metro Hall"),
            (time(13), time(16), "The data-sharing agreement, clause by clause", "Metro Hall"),
            (
                time(9),
                time(12),
                "What Mesa will try: working session",
                "Louisville Free Public Library",
            ),
        ],
        strict=True,
    ):
        add_item(
            mesa, ItemInput(day, starts, ends, title, place), _champion(by_slug["louisville-ky"])
        )
    cambridge = ask("cambridge-ma", "boston-ma", "Open data", 7)
    approve(accept(cambridge), 400)
    name_both_sides(cambridge)
    add_item(
        cambridge,
        ItemInput(
            cambridge.starts_on, time(10), time(15), "The open data portal team", "Boston City Hall"
        ),
        _champion(by_slug["boston-ma"]),
    )
    # Then changed: one moved a week later, one person taken off, one cancelled.
    moved = ask("lexington-ky", "nashville-tn", "Results-driven contracting", 8)
    approve(accept(moved), 800)
    name_both_sides(moved)
    move_visit(
        moved, moved.starts_on + timedelta(days=7), moved.ends_on + timedelta(days=7),
        _champion(by_slug["nashville-tn"]), today,
    )  # fmt: skip
    colleague = _colleague(by_slug["lexington-ky"])
    if colleague is not None:
        remove_person(moved, colleague, _champion(by_slug["lexington-ky"]))
    cancelled = ask("providence-ri", "chattanooga-tn", "Programme evaluation", 9)
    approve(accept(cancelled), 1100)
    cancel_visit(cancelled, "Our evaluation lead has left; we will ask again.", admin)
    # Cancelled by mistake, and brought back: its people hear it is back on.
    back = ask("syracuse-ny", "providence-ri", "Open data", 10)
    approve(accept(back), 500)
    name_both_sides(back)
    cancel_visit(back, "Cancelled by mistake.", admin)
    reinstate_visit(back, admin, today)


def load_visits(today: date | None = None) -> None:
    """The visits of the demo network: past ones with reports, coming ones at every stage,
    and a travel budget for each year they fall in."""
    today = today or date.today()
    cities = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY)
        .options(selectinload(Organisation.members))
    ).all()
    by_slug = {c.slug: c for c in cities}
    areas = {a.name: a for a in db.session.scalars(sa.select(PracticeArea))}
    admin = db.session.scalar(
        sa.select(Member).where(Member.role == Role.ADMIN).order_by(Member.id).limit(1)
    )
    for year in (today.year - 1, today.year, today.year + 1):
        set_budget(year, 40_000_00)
    for spec in PAST_VISITS:
        _past_visit(by_slug, areas, admin, spec, today)
    _coming_visits(by_slug, areas, admin, today)
    db.session.flush()
