"""The demo series: "Network call", begun about four months ago, with a record of held calls.

Dates are computed from today, so the demo always has a past and a future.
"""

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from convene.accounts.models import Member, Organisation, OrganisationKind, Role
from convene.convenings import record, rescheduling, rotation, rsvps, swaps
from convene.convenings.models import (
    Attendance,
    Call,
    CallResource,
    CallStatus,
    Rsvp,
    RsvpAnswer,
    Series,
    SeriesHost,
    SeriesSkip,
)
from convene.extensions import db

ROTATION = ["govex", "gpl", "sunlight", "bit", "rfa"]

# Held calls, oldest first: (title, notes in Markdown, resources).
HELD = [
    (
        "Welcome to the network",
        "Introductions from every city and partner, and how the calls work: one theme a "
        "call, partners host in turn, topics chosen by the network.",
        [],
    ),
    (
        "Open data policy",
        "Cities compared open data policies: who signs them, and what keeps them alive "
        "after the first release.\n\n- Tie the policy to an executive order *and* a "
        "council resolution.\n- Publish an inventory before the portal.\n- Name a data "
        "coordinator in every department.",
        [("Open data policy guidelines", "https://sunlightfoundation.com/opendataguidelines/")],
    ),
    (
        "Performance dashboards",
        "What makes a dashboard used rather than admired.\n\n1. Start from the questions "
        "the mayor asks weekly.\n2. Show trends, not single numbers.\n3. Review it in a "
        "standing meeting (a *Stat* session).",
        [("Stat programmes: a field guide", "https://govex.jhu.edu/")],
    ),
    (
        "311 data",
        "Using 311 requests to find where services fall short.\n\n- Clean the categories "
        "first.\n- Map response times by neighbourhood.\n- Share back with residents.",
        [("Open311 specification", "https://www.open311.org/")],
    ),
    (
        "Results-driven contracting",
        "Writing outcomes into procurement: define the result, pay for it, and review "
        "vendors monthly with data.",
        [("Results-driven contracting", "https://govlab.hks.harvard.edu/")],
    ),
    (
        "Behavioural nudges in city letters",
        "Small changes to letters (deadlines up front, social norms, plain words) raised "
        "on-time payments in two pilot cities.",
        [
            (
                "EAST framework",
                "https://www.bi.team/publications/east-four-simple-ways-to-apply-behavioural-insights/",
            )
        ],  # noqa: E501
    ),
    (
        "Data governance committees",
        "Who decides which data is shared, and how quickly: charters, membership and "
        "meeting cadence.",
        [],
    ),
    (
        "Communicating with data",
        "A communications strategy around data and improved performance: stories first, "
        "charts second, and one number per message.",
        [("What Works Cities certification", "https://whatworkscities.bloomberg.org/")],
    ),
]

UPCOMING_TITLES = ["Budgeting for outcomes", None, "Evaluating pilots", None]

AGENDA = (
    "1. Round of introductions (5 min)\n2. Two cities share what they tried (25 min)\n"
    "3. Questions and discussion (20 min)\n4. What we will try next (10 min)"
)


def load(rng: random.Random) -> None:
    partners = {
        o.slug: o
        for o in db.session.scalars(
            select(Organisation).where(Organisation.kind == OrganisationKind.PARTNER)
        )
    }
    now = datetime.now(UTC)
    today = now.date()
    # Thursdays, from about four months (17 weeks) ago.
    first = rotation.first_on_weekday(today - timedelta(weeks=17), 3)
    slots_so_far = [first + timedelta(weeks=2 * n) for n in range(20)]
    holiday = slots_so_far[4]  # one date in the past is a holiday: no call, no turn used

    series = Series(
        name="Network call",
        first_date=first,
        local_time=time(13, 0),
        zone="America/New_York",
        interval_weeks=2,
        duration_minutes=60,
        horizon_weeks=26,
        video_url="https://meet.example.org/network-call",
        dial_in_number="+1 646 555 0100",
        dial_in_code="482 913 7705",
        description="The network's call every other week, hosted by each partner in turn.",
    )
    series.rotation = [
        SeriesHost(position=i, organisation=partners[slug]) for i, slug in enumerate(ROTATION)
    ]
    series.skips = [SeriesSkip(day=holiday, reason="Holiday")]
    db.session.add(series)
    db.session.flush()
    rotation.materialise(series, rotation.horizon(series, today))
    db.session.flush()

    calls = db.session.scalars(
        select(Call).where(Call.series_id == series.id).order_by(Call.starts_at)
    ).all()
    past = [c for c in calls if c.ends_at <= now]
    future = [c for c in calls if c.starts_at > now]

    city_people = db.session.scalars(
        select(Member)
        .join(Organisation)
        .where(Organisation.kind == OrganisationKind.CITY, Member.active.is_(True))
        .order_by(Member.id)
    ).all()
    partner_hosts = db.session.scalars(
        select(Member).where(Member.role == Role.HOST).order_by(Member.id)
    ).all()

    # The most recent held calls get the most recent themes; any older ones stay untitled.
    for call, (title, notes, resources) in zip(reversed(past), reversed(HELD), strict=False):
        call.title = title
        call.agenda = AGENDA
        call.notes = notes
        call.status = CallStatus.HELD
        call.revision = 1
        call.resources = [
            CallResource(position=i, title=t, url=u) for i, (t, u) in enumerate(resources)
        ]
        hosts = [m for m in partner_hosts if m.organisation_id == call.host_organisation_id]
        attendees = rng.sample(city_people, k=min(len(city_people), rng.randint(9, 18)))
        call.attendances = [Attendance(member=m, recorded_at=call.ends_at) for m in hosts[:1]]
        call.attendances += [Attendance(member=m, recorded_at=call.ends_at) for m in attendees]

    for n, (call, title) in enumerate(zip(future, UPCOMING_TITLES, strict=False)):
        if title:
            call.title = title
            call.agenda = AGENDA if n else None  # the next call still needs its agenda
            call.bump_revision()
        for member in rng.sample(city_people, k=min(len(city_people), rng.randint(3, 8))):
            answer = rng.choice([RsvpAnswer.YES, RsvpAnswer.YES, RsvpAnswer.MAYBE, RsvpAnswer.NO])
            call.rsvps.append(Rsvp(member=member, answer=answer, answered_at=now))

    if len(future) >= 3:
        moved = future[1]  # an hour later than the series' time, set by its host
        moved.starts_at = moved.starts_at + timedelta(hours=1)
        moved.status = CallStatus.MOVED
        moved.is_time_by_hand = True
        moved.bump_revision()
        cancelled = future[2]
        cancelled.status = CallStatus.CANCELLED
        cancelled.cancel_reason = "Clashes with the national league of cities conference."
        cancelled.bump_revision()
    db.session.flush()
    changes(future, partner_hosts)


def _demo_account(role: Role) -> Member | None:
    return db.session.scalar(
        select(Member).where(Member.email == f"{role.value}@demo.convene.test")
    ) or db.session.scalar(select(Member).where(Member.role == role).order_by(Member.id))


def changes(future: list[Call], hosts: list[Member]) -> None:
    """Changes made now through the calls' own flows, as hosts and admins make them: each is
    recorded (the calls' history pages show them) and told, so the demo's mail folder holds
    an email of each kind (the mail worker of `make run` writes them to instance/mail)."""
    if len(future) < 10:
        return
    admin, member = _demo_account(Role.ADMIN), _demo_account(Role.MEMBER)
    champion = _demo_account(Role.CHAMPION)

    def host_of(call: Call) -> Member:
        return next(m for m in hosts if m.organisation_id == call.host_organisation_id)

    for call in future[3:10]:  # someone is coming to each call changed below
        rsvps.answer_rsvp(call, member, RsvpAnswer.YES)
    rsvps.answer_rsvp(future[3], champion, RsvpAnswer.YES)
    rsvps.answer_rsvp(future[3], champion, RsvpAnswer.NO)  # a no after a yes
    record.save_agenda(
        future[3], future[3].title, AGENDA + "\n5. Close (2 min)", actor=host_of(future[3])
    )
    moving = future[4]
    rescheduling.move_call(
        moving,
        moving.starts_at + timedelta(days=1),
        moving.duration_minutes,
        confirm_conflicts=True,
        actor=host_of(moving),
    )
    rescheduling.cancel_call(
        future[5], "Most cities are at their budget hearings that week.", actor=host_of(future[5])
    )
    rescheduling.cancel_call(future[6], "Booked twice by mistake.", actor=admin)
    rescheduling.reinstate_call(future[6], admin)
    other = next(
        m.organisation for m in hosts if m.organisation_id != future[7].host_organisation_id
    )
    rescheduling.reassign_host(future[7], other, actor=admin)
    swap = swaps.request_swap(
        host_of(future[8]), future[8], future[9], "Our director is away that week."
    )
    swaps.answer_swap(host_of(future[9]), swap.id, accept=True)
