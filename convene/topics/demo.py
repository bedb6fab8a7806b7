"""Demo topics: about thirty, in every status, with votes spread across cities.

When the calls demo has already run, held topics go to held calls and scheduled topics to
upcoming calls; otherwise held topics stand alone and would-be scheduled ones stay open.
"""

import random
from datetime import timedelta

from sqlalchemy import func, select

from convene.accounts.models import Member, Role
from convene.convenings import record
from convene.convenings.models import Call, CallStatus
from convene.extensions import db
from convene.topics import proposals, scheduling
from convene.topics.models import DEFAULT_VOTE_BUDGET, Topic, TopicSettings, TopicStatus, TopicVote
from convene.types import utcnow

# (title, description, popularity weight)
OPEN = [
    (
        "Open data policy: from executive order to ordinance",
        "Several of us have an executive order; a few have an ordinance. What made the council "
        "agree, and what changed once the policy was law?",
        9,
    ),
    (
        "Performance dashboards the public actually uses",
        "Our dashboard gets a few hundred visits a month. Which cities have dashboards residents "
        "and reporters use, and what did they stop publishing?",
        8,
    ),
    (
        "Evaluating a programme with a randomised trial",
        "How to run a **randomised trial** of a city programme on a small budget: lotteries, "
        "staggered roll-outs, and explaining it to council.",
        7,
    ),
    (
        "Procurement for results: writing outcome-based contracts",
        "Moving a contract from paying for activity to paying for outcomes, with examples from "
        "workforce and homeless services.",
        7,
    ),
    (
        "Using 311 data to find where services fall short",
        "311 calls show where potholes, missed pickups and streetlights cluster. How do we turn "
        "that into service standards without rewarding the loudest neighbourhoods?",
        8,
    ),
    (
        "Building a data inventory in a year",
        "A practical plan for listing every dataset the city holds, who owns it, and what can be "
        "published.",
        5,
    ),
    ("Data governance committees that make decisions", "", 4),
    (
        "Behavioral nudges in utility bill collection",
        "Letters, texts and due-date reminders that cut late payments.",
        4,
    ),
    ("Predictive analytics for building inspections", "", 5),
    ("Hiring and keeping data analysts on a city salary", "", 6),
    (
        "Stat meetings: running CitiStat without blame",
        "Keeping monthly performance meetings useful: agendas, follow-ups, and tone.",
        5,
    ),
    ("Sharing data with the county and the school district", "", 3),
    ("Measuring equity in city services by neighbourhood", "", 6),
    ("Privacy impact assessments for new data projects", "", 3),
    ("Publishing budget data residents can follow", "", 3),
    ("Community engagement on what the city should measure", "", 2),
    ("Cleaning up address data across departments", "", 2),
    ("Pay for success: is a social impact bond worth it?", "", 2),
]
SCHEDULED = [
    (
        "A communications strategy around data and improved performance",
        "Telling residents and staff what the numbers show, including when they are bad.",
        6,
    ),
    ("Results-driven contracting for homeless services", "", 5),
]
HELD = [
    ("Getting started with an open data portal", "", 6),
    ("Setting goals and targets the council agrees with", "", 4),
    ("Low-cost A/B tests in city letters", "", 5),
    ("What to measure in a performance management programme", "", 5),
    ("Using data to target code enforcement", "", 4),
]
DECLINED = [
    (
        "Choosing a vendor for a business intelligence tool",
        "We do not compare vendors on calls; the partners can share a neutral buyer's guide.",
    ),
    (
        "Smart city sensors everywhere",
        "Outside this year's focus on data and evidence; the summit has a session on it.",
    ),
    (
        "Cybersecurity incident response",
        "Another network covers this well; we will share their recordings.",
    ),
]
# (duplicate title, index of the surviving open topic)
MERGED = [("Open-data policies", 0), ("Performance dashboard for the mayor", 1)]


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """k items without replacement, likelier with weight (Efraimidis–Spirakis)."""
    keyed = sorted(items, key=lambda i: rng.random() ** (1.0 / weights[items.index(i)]))
    return keyed[-k:] if k else []


def load(rng: random.Random) -> None:
    members = db.session.scalars(
        select(Member).where(Member.active.is_(True)).order_by(Member.id)
    ).all()
    proposers = [m for m in members if m.role in (Role.MEMBER, Role.CHAMPION, Role.HOST)]
    now = utcnow()
    db.session.add(TopicSettings(id=1, vote_budget=DEFAULT_VOTE_BUDGET))

    def topic(title, description, status, days_ago) -> Topic:
        t = Topic(
            title=title,
            description=description or None,
            status=status,
            proposer=rng.choice(proposers),
            will_share_experience=rng.random() < 0.3,
            created_at=now - timedelta(days=days_ago, hours=rng.randint(0, 23)),
        )
        db.session.add(t)
        return t

    held_calls = db.session.scalars(
        select(Call).where(Call.status == CallStatus.HELD).order_by(Call.starts_at.desc())
    ).all()
    upcoming_calls = db.session.scalars(
        select(Call)
        .where(Call.status == CallStatus.SCHEDULED, Call.starts_at > now)
        .order_by(Call.starts_at)
    ).all()

    def attach(specs, calls, status, days):
        """Topics for calls: a call the calls demo titled keeps its title; an untitled one
        takes the next spec. Specs left over stand alone (returned unplaced)."""
        specs = list(specs)
        placed, weights = [], []
        for call in calls:
            if call.title:
                spec = next((x for x in specs if x[0] == call.title), (call.title, "", 5))
            elif specs:
                spec = specs[0]
            else:
                continue
            if spec in specs:
                specs.remove(spec)
            t = topic(spec[0], spec[1], status, rng.randint(*days))
            t.call = call
            if call.title != t.title:
                call.title = t.title
                call.bump_revision()
            placed.append(t)
            weights.append(spec[2])
        return placed, weights, specs

    held, held_weights, held_left = attach(HELD, held_calls, TopicStatus.HELD, (120, 240))
    if not held_calls:  # no calls demo: held topics stand alone
        held += [topic(t, d, TopicStatus.HELD, rng.randint(120, 240)) for t, d, _w in held_left]
        held_weights += [w for _t, _d, w in held_left]
    scheduled, scheduled_weights, unplaced = attach(
        SCHEDULED, upcoming_calls[:3], TopicStatus.SCHEDULED, (40, 90)
    )
    open_specs = OPEN + unplaced
    opened = [topic(t, d, TopicStatus.OPEN, rng.randint(1, 100)) for t, d, _w in open_specs]
    for title, reason in DECLINED:
        t = topic(title, "", TopicStatus.DECLINED, rng.randint(30, 150))
        t.decline_reason = reason
    for title, survivor in MERGED:
        t = topic(title, "", TopicStatus.MERGED, rng.randint(1, 60))
        t.merged_into = opened[survivor]
    db.session.flush()

    # Votes: each member supports up to their budget of open topics, likelier the popular
    # ones, and some supported topics that have since been scheduled or held.
    open_weights = [w for _t, _d, w in open_specs]
    closed = held + scheduled
    closed_weights = held_weights + scheduled_weights
    votes = []
    for member in members:
        if member.role == Role.ADMIN:
            continue
        for t in _weighted_sample(rng, opened, open_weights, rng.randint(0, DEFAULT_VOTE_BUDGET)):
            votes.append(TopicVote(topic_id=t.id, member_id=member.id))
        for t in _weighted_sample(rng, closed, closed_weights, rng.randint(0, 2)):
            votes.append(TopicVote(topic_id=t.id, member_id=member.id))
    db.session.add_all(votes)
    db.session.flush()
    if held_calls and len(opened) >= 6 and scheduled:
        changes(opened, scheduled, held)


def _demo_account(role: Role) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.email == f"{role.value}@demo.convene.test")
    ) or db.session.scalar(select(Member).where(Member.role == role).order_by(Member.id))


def _votes_to_spare(topic: Topic) -> bool:
    """Every supporter of `topic` has fewer open votes than the budget."""
    voters = select(TopicVote.member_id).where(TopicVote.topic_id == topic.id)
    used = db.session.execute(
        select(func.count(TopicVote.id))
        .join(Topic, Topic.id == TopicVote.topic_id)
        .where(Topic.status == TopicStatus.OPEN, TopicVote.member_id.in_(voters))
        .group_by(TopicVote.member_id)
    ).scalars()
    return all(n < DEFAULT_VOTE_BUDGET for n in used)


def changes(opened: list[Topic], scheduled: list[Topic], held: list[Topic]) -> None:
    """Changes made now through the topics' own flows, as hosts and admins make them: each
    is recorded (the topics' pages show their history) and told to the proposer and
    supporters, so the demo's mail folder holds an email of each kind."""
    admin = _demo_account(Role.ADMIN)
    hosts = db.session.scalars(select(Member).where(Member.role == Role.HOST)).all()

    def host_of(call: Call) -> Member:
        return next(m for m in hosts if m.organisation_id == call.host_organisation_id)

    # The last call's record is written only now: its topic is held with it.
    last = held[0]
    call = last.call
    call.status, last.status = CallStatus.SCHEDULED, TopicStatus.SCHEDULED
    db.session.flush()
    record.record_call(
        call,
        call.notes,
        [record.Resource(r.title, r.url) for r in call.resources],
        [a.member_id for a in call.attendances],
        actor=host_of(call),
    )
    # A host takes a topic off their call, and gives the call an open one instead. The topic
    # taken off is open again, so its votes count against budgets: one whose supporters
    # have a vote to spare, so nobody holds more open votes than the budget allows.
    taken = next((t for t in scheduled if _votes_to_spare(t)), None)
    if taken is not None:
        call = taken.call
        scheduling.unschedule_topic(call, actor=host_of(call))
        scheduling.schedule_topic(opened[2], call, actor=host_of(call))
    proposals.decline_topic(
        opened[-1], "A city-by-city survey fits the newsletter better than a call.", actor=admin
    )
    proposals.merge_topics(opened[-2], opened[3], actor=admin)
