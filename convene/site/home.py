"""The home page's blocks: what each person has to know or do, in a few sentences.

One plain function per block, each returning a small dataclass for the template. They reuse
the capabilities' own queries (the call lists, the vote budget, the waitlist order, a
member's summit days) and add only the counts no capability has yet. Every block runs a
fixed number of queries, however many calls, topics, votes, registrations, mails or
invitations there are: counts are aggregated in SQL and lists are cut short there.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member, Organisation, Role
from convene.convenings import listings
from convene.convenings.models import (
    Attendance,
    Call,
    CallStatus,
    RsvpAnswer,
    SwapRequest,
    SwapStatus,
)
from convene.extensions import db
from convene.history.models import Action, ActionKind
from convene.notifications.models import OutboxMessage, OutboxStatus
from convene.summit.agenda import AgendaEntry, current_summit, personal_agenda
from convene.summit.models import (
    Registration,
    RegistrationStatus,
    SessionKind,
    SocialSession,
    Summit,
)
from convene.summit.registration import (
    LIVE,
    delegation_count,
    live_registration,
    waiting_in_order,
    waitlist_position,
)
from convene.text import plural as count_words
from convene.topics.models import Topic, TopicVote
from convene.topics.voting import open_votes_used, vote_budget
from convene.zones import format_instant, localize

NEXT_CALLS = 3  # calls listed on the home page; the calls page has the rest
TOPIC_NEWS = 5
NAMES_SHOWN = 5  # invited people named in the champion's block
# A call that took place this long ago and still has no record is no longer asked for.
RECORD_LOOKBACK = timedelta(weeks=26)


plural = partial(count_words, zero="no")  # the home page reads "no votes", not "0 votes"


def day_phrase(instant: datetime, zone_name: str, now: datetime) -> str:
    """ "today", "tomorrow", "Thursday" within the week, else "Thursday 10 December"."""
    day, today = localize(instant, zone_name).date(), localize(now, zone_name).date()
    ahead = (day - today).days
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    if 1 < ahead < 7:
        return f"{day:%A}"
    year = "" if day.year == today.year else f" {day.year}"
    return f"{day:%A %-d %B}{year}"


# --- calls ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallLine:
    call: Call
    answer: RsvpAnswer | None
    is_running: bool


@dataclass(frozen=True)
class NextCalls:
    lines: list[CallLine]
    headline: str


ANSWERED = {
    RsvpAnswer.YES: "you said yes",
    RsvpAnswer.MAYBE: "you said maybe",
    RsvpAnswer.NO: "you said no",
}


def next_calls(
    member: Member | None, zone_name: str, now: datetime, upcoming: list[Call] | None = None
) -> NextCalls:
    """The next few calls that will take place, with the member's answer to each.
    `upcoming`: listings.upcoming_calls(now), when the caller has it already."""
    upcoming = listings.upcoming_calls(now) if upcoming is None else upcoming
    calls = [c for c in upcoming if not c.is_cancelled][:NEXT_CALLS]
    answers = listings.answers_of(member, [c.id for c in calls])
    lines = [CallLine(c, answers.get(c.id), c.has_started(now)) for c in calls]
    if not lines:
        return NextCalls(lines, "No calls are scheduled yet.")
    first = lines[0]
    if first.is_running and member is None:
        headline = "A call is on now."
    elif first.is_running:
        headline = "A call is on now: its page has the video link and dial-in."
    else:
        when = day_phrase(first.call.starts_at, zone_name, now)
        at = format_instant(first.call.starts_at, zone_name, "time")
        if member is None:
            headline = f"The next call is {when} at {at}."
        else:
            said = ANSWERED.get(first.answer, "you have not answered yet")
            headline = f"Your next call is {when} at {at}, {said}."
    return NextCalls(lines, headline)


# --- the summit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SummitView:
    summit: Summit
    window: str  # "upcoming", "open", "closed" or "past"
    window_text: str
    registration: Registration | None = None
    position: int | None = None
    headline: str = ""
    # What the member attends apart from plenaries: sessions, tables, picked items.
    entries: list[AgendaEntry] = field(default_factory=list)
    table_line: str | None = None


def registration_window(summit: Summit, zone_name: str, now: datetime) -> tuple[str, str]:
    """Where the summit stands for registering, as a word for the page and a sentence."""
    if summit.ends_on < localize(now, summit.zone).date():
        return "past", f"{summit.name} took place {_days(summit)}."
    if now < summit.registration_opens_at:
        opens = format_instant(summit.registration_opens_at, zone_name, "date")
        return "upcoming", f"Registration opens on {opens}."
    if now < summit.registration_closes_at:
        closes = format_instant(summit.registration_closes_at, zone_name, "date")
        return "open", f"Registration is open until {closes}."
    return "closed", "Registration has closed."


def _days(summit: Summit) -> str:
    first, last = summit.starts_on, summit.ends_on
    if first == last:
        return f"on {first:%A %-d %B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"from {first:%-d} to {last:%-d %B %Y}"
    return f"from {first:%-d %B} to {last:%-d %B %Y}"


def summit_dates(summit: Summit) -> str:
    """ "12 to 14 April 2027" (a template helper)."""
    return _days(summit).removeprefix("from ").removeprefix("on ")


def summit_for(member: Member | None, zone_name: str, now: datetime) -> SummitView | None:
    """The current summit as this person stands with it (the public view without a member)."""
    summit = current_summit(now)
    if summit is None:
        return None
    window, window_text = registration_window(summit, zone_name, now)
    if member is None or window == "past":
        return SummitView(summit, window, window_text)
    registration = live_registration(summit.id, member.id)
    if registration is None:
        headline = {
            "open": f"You are not registered for {summit.name} yet.",
            "upcoming": f"Registration for {summit.name} has not opened yet.",
        }.get(window, f"You are not registered for {summit.name}.")
        return SummitView(summit, window, window_text, headline=headline)
    if registration.status == RegistrationStatus.WAITLISTED:
        position = waitlist_position(registration)
        headline = f"You are on the waitlist for {summit.name}, at position {position}."
        return SummitView(summit, window, window_text, registration, position, headline)
    entries = [
        e for e in personal_agenda(member, summit) if e.kind != "plenary" and e.ends_at > now
    ]
    return SummitView(
        summit,
        window,
        window_text,
        registration,
        headline=f"You have a place at {summit.name}.",
        entries=entries,
        table_line=_table_line(entries, summit.zone, now),
    )


def _table_line(entries: list[AgendaEntry], venue_zone: str, now: datetime) -> str | None:
    """ "Your table tonight: Table 3", about the next table the member sits at."""
    seat = next((e for e in entries if e.table_name), None)
    if seat is None:
        return None
    local = localize(seat.starts_at, venue_zone)
    if local.date() == localize(now, venue_zone).date():
        when = "tonight" if local.hour >= 17 else "today"
        return f"Your table {when}: {seat.table_name}"
    return f"Your table on {local:%A %-d %B}: {seat.table_name}"


# --- topics --------------------------------------------------------------------------------

NEWS_KINDS = (
    ActionKind.TOPIC_SCHEDULED,
    ActionKind.TOPIC_UNSCHEDULED,
    ActionKind.TOPIC_DECLINED,
    ActionKind.TOPIC_MERGED,
    ActionKind.TOPIC_HELD,
)


@dataclass(frozen=True)
class TopicNews:
    action: Action
    text: str
    is_proposer: bool


@dataclass(frozen=True)
class TopicsView:
    budget: int
    used: int
    votes_line: str
    news: list[TopicNews]

    @property
    def left(self) -> int:
        return max(self.budget - self.used, 0)


def votes_line(budget: int, used: int) -> str:
    """ "2 of your 5 votes are left": only votes on open topics use up the budget."""
    left = max(budget - used, 0)
    if budget == 1:
        return "Your vote is not used yet." if left else "You have used your vote."
    if left == 0:
        return f"You have used all {budget} of your votes."
    if left == budget:
        return f"All {budget} of your votes are left."
    return f"{left} of your {budget} votes {'is' if left == 1 else 'are'} left."


def topics_for(member: Member, zone_name: str) -> TopicsView:
    budget, used = vote_budget(), open_votes_used(member.id)
    return TopicsView(budget, used, votes_line(budget, used), topic_news(member, zone_name))


def topic_news(member: Member, zone_name: str, limit: int = TOPIC_NEWS) -> list[TopicNews]:
    """What happened lately to topics the member proposed or supports (or supports through
    a topic merged into one they support), newest first."""
    supported = sa.select(TopicVote.topic_id).where(TopicVote.member_id == member.id)
    proposed = sa.select(Topic.id).where(Topic.proposer_id == member.id)
    merged_in = sa.select(Topic.id).where(Topic.merged_into_id.in_(supported))
    actions = db.session.scalars(
        sa.select(Action)
        .where(
            Action.kind.in_(NEWS_KINDS),
            sa.or_(
                Action.topic_id.in_(proposed),
                Action.topic_id.in_(supported),
                Action.topic_id.in_(merged_in),
            ),
        )
        .order_by(Action.happened_at.desc(), Action.id.desc())
        .limit(limit)
        .options(selectinload(Action.topic), selectinload(Action.call))
    ).all()
    return [
        TopicNews(a, _news_text(a, zone_name), a.topic.proposer_id == member.id)
        for a in actions
        if a.topic is not None
    ]


def _news_text(action: Action, zone_name: str) -> str:
    """One line of news, from what the record kept when it happened."""
    title = action.topic.title
    kind, after = action.kind, action.after or {}
    on_call = (
        f" on {format_instant(action.call.starts_at, zone_name, 'date')}"
        if action.call is not None
        else ""
    )
    if kind == ActionKind.TOPIC_SCHEDULED:
        return f"“{title}” was chosen as the topic of the call{on_call}."
    if kind == ActionKind.TOPIC_UNSCHEDULED:
        return f"“{title}” was taken off its call: it is open again, with its votes."
    if kind == ActionKind.TOPIC_DECLINED:
        reason = f": {after['reason']}" if after.get("reason") else "."
        return f"“{title}” was declined{reason}"
    if kind == ActionKind.TOPIC_MERGED:
        into = after.get("merged_into") or "another topic"
        return f"“{title}” was merged into “{into}”; its votes went with it."
    return f"“{title}” was discussed on the call{on_call}: its notes are on the call's page."


# --- hosting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostNeed:
    call: Call
    missing: list[str]  # "topic", "agenda", "notes", "attendance"


@dataclass(frozen=True)
class HostingView:
    partner: Organisation | None  # None for admins: every partner's calls
    upcoming: list[HostNeed]  # calls within three weeks missing a topic or agenda
    past: list[HostNeed]  # calls that took place without notes or attendance
    swaps_to_answer: int

    @property
    def lines(self) -> list[str]:
        """ "3 of your calls need notes" (for an admin, "3 calls need notes"), one line per
        kind of need, in the order a call meets them."""
        needs = [("topic", "a topic"), ("agenda", "an agenda"), ("notes", "notes"),
                 ("attendance", "attendance taken")]  # fmt: skip
        lines = []
        for key, what in needs:
            n = sum(key in need.missing for need in self.upcoming + self.past)
            if not n:
                continue
            calls = plural(n, "call") if self.partner is None else f"{n} of your calls"
            lines.append(f"{calls} {'needs' if n == 1 else 'need'} {what}.")
        return lines

    @property
    def is_empty(self) -> bool:
        return not (self.upcoming or self.past or self.swaps_to_answer)


def hosting_for(member: Member, now: datetime, upcoming: list[Call] | None = None) -> HostingView:
    """What the member's partner (every partner, for an admin) still has to do for its calls.
    `upcoming`: every partner's listings.upcoming_calls(now), when the caller has it."""
    partner_id = None if member.is_admin else member.organisation_id
    if upcoming is None:
        calls = listings.upcoming_calls(now, host_organisation_id=partner_id)
    else:
        calls = [c for c in upcoming if partner_id in (None, c.host_organisation_id)]
    flags = listings.host_flags(calls, now)
    return HostingView(
        partner=None if partner_id is None else member.organisation,
        upcoming=[HostNeed(c, flags[c.id]) for c in calls if c.id in flags],
        past=calls_needing_a_record(partner_id, now),
        swaps_to_answer=0 if member.is_admin else swaps_awaiting(partner_id),
    )


def calls_needing_a_record(partner_id: int | None, now: datetime) -> list[HostNeed]:
    """Calls that took place lately (not cancelled) with no notes or nobody marked present."""
    attended = sa.select(Attendance.id).where(Attendance.call_id == Call.id).exists()
    no_notes = sa.func.coalesce(Call.notes, "") == ""
    stmt = (
        sa.select(Call, attended.label("attended"))
        .where(
            Call.starts_at <= now,
            Call.starts_at > now - RECORD_LOOKBACK,
            Call.status != CallStatus.CANCELLED,
            sa.or_(no_notes, ~attended),
        )
        .options(selectinload(Call.series), selectinload(Call.host_organisation))
        .order_by(Call.starts_at.desc(), Call.id.desc())
    )
    if partner_id is not None:
        stmt = stmt.where(Call.host_organisation_id == partner_id)
    needs = []
    for call, has_attendance in db.session.execute(stmt):
        missing = []
        if not call.notes:
            missing.append("notes")
        if not has_attendance:
            missing.append("attendance")
        if missing and call.ends_at <= now:
            needs.append(HostNeed(call, missing))
    return needs


def swaps_awaiting(partner_id: int | None) -> int:
    """Swap requests waiting for an answer: this partner's to give, or anyone's (None)."""
    stmt = sa.select(sa.func.count(SwapRequest.id)).where(SwapRequest.status == SwapStatus.PENDING)
    if partner_id is not None:
        stmt = stmt.where(SwapRequest.to_organisation_id == partner_id)
    return db.session.scalar(stmt)


# --- a champion's city ---------------------------------------------------------------------


@dataclass(frozen=True)
class CityView:
    organisation: Organisation
    people: int  # active members of the city, invited or joined
    invited: int  # invited, not joined yet
    invited_names: list[str]
    summit: Summit | None = None
    used: int = 0
    delegation: list[Registration] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)

    @property
    def seats_left(self) -> int:
        return max(self.summit.delegation_limit - self.used, 0) if self.summit else 0

    @property
    def delegation_line(self) -> str:
        name = self.organisation.name
        left = self.seats_left
        if left == 0:
            return f"{name} has no seats left in its delegation."
        return f"{name} has {plural(left, 'seat')} left in its delegation."

    @property
    def invitations_line(self) -> str:
        if not self.invited:
            return "No invitations are waiting."
        waiting = "is" if self.invited == 1 else "are"
        return f"{plural(self.invited, 'invitation')} {waiting} waiting to be accepted."


def city_for(member: Member, summit: Summit | None) -> CityView:
    """The champion's city: its people, who has not accepted an invitation, its delegation."""
    org = member.organisation
    active = sa.and_(Member.organisation_id == org.id, Member.active.is_(True))
    pending = Member.password_hash.is_(None)
    people, invited = db.session.execute(
        sa.select(sa.func.count(Member.id), sa.func.count(Member.id).filter(pending)).where(active)
    ).one()
    names = list(
        db.session.scalars(
            sa.select(Member.name).where(active, pending).order_by(Member.name).limit(NAMES_SHOWN)
        )
    )
    if summit is None:
        return CityView(org, people, invited, names)
    delegation = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.summit_id == summit.id,
            Registration.organisation_id == org.id,
            Registration.status.in_(LIVE),
        )
        .options(selectinload(Registration.member))
        .order_by(Registration.registered_at, Registration.id)
    ).all()
    waiting = [r for r in delegation if r.status == RegistrationStatus.WAITLISTED]
    positions = {}
    if waiting:
        order = {r.id: n for n, r in enumerate(waiting_in_order(summit.id), start=1)}
        positions = {r.id: order[r.id] for r in waiting if r.id in order}
    return CityView(
        org,
        people,
        invited,
        names,
        summit,
        delegation_count(summit.id, org.id),
        delegation,
        positions,
    )


# --- admins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminView:
    summit: Summit | None
    confirmed: int
    waitlisted: int
    swaps: int
    failed_mail: int
    pending_mail: int
    unpublished: list[SocialSession]

    @property
    def is_empty(self) -> bool:
        return not (self.waitlisted or self.swaps or self.failed_mail or self.unpublished)


def admin_for(summit: Summit | None) -> AdminView:
    """What waits for the programme team: the waitlist, swaps, failed mail, seating."""
    mail = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count(OutboxMessage.id))
            .where(OutboxMessage.status.in_((OutboxStatus.FAILED, OutboxStatus.PENDING)))
            .group_by(OutboxMessage.status)
        ).all()
    )
    confirmed = waitlisted = 0
    unpublished: list[SocialSession] = []
    if summit is not None:
        by_status = dict(
            db.session.execute(
                sa.select(Registration.status, sa.func.count(Registration.id))
                .where(Registration.summit_id == summit.id)
                .group_by(Registration.status)
            ).all()
        )
        confirmed = by_status.get(RegistrationStatus.CONFIRMED, 0)
        waitlisted = by_status.get(RegistrationStatus.WAITLISTED, 0)
        unpublished = list(
            db.session.scalars(
                sa.select(SocialSession)
                .where(
                    SocialSession.summit_id == summit.id,
                    SocialSession.kind == SessionKind.ASSIGNED,
                    SocialSession.is_published.is_(False),
                    SocialSession.is_cancelled.is_(False),
                )
                .order_by(SocialSession.starts_at, SocialSession.id)
            )
        )
    return AdminView(
        summit=summit,
        confirmed=confirmed,
        waitlisted=waitlisted,
        swaps=swaps_awaiting(None),
        failed_mail=mail.get(OutboxStatus.FAILED, 0),
        pending_mail=mail.get(OutboxStatus.PENDING, 0),
        unpublished=unpublished,
    )


# --- the page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    calls: NextCalls
    summit: SummitView | None
    topics: TopicsView | None = None
    hosting: HostingView | None = None
    city: CityView | None = None
    admin: AdminView | None = None


def home_for(member: Member | None, zone_name: str, now: datetime) -> Home:
    """Every block this person sees: the public picture without a member; with one, their
    own, plus a block for each role they hold (has_role: admins hold every role)."""
    if member is None:
        return Home(next_calls(None, zone_name, now), summit_for(None, zone_name, now))
    summit = summit_for(member, zone_name, now)
    # A summit that took place has no delegation, waitlist or seating left to act on.
    coming = summit.summit if summit is not None and summit.window != "past" else None
    upcoming = listings.upcoming_calls(now)  # one list for the calls and the hosting blocks
    return Home(
        calls=next_calls(member, zone_name, now, upcoming),
        summit=summit,
        topics=topics_for(member, zone_name),
        hosting=hosting_for(member, now, upcoming) if member.has_role(Role.HOST) else None,
        city=(
            city_for(member, coming)
            if member.has_role(Role.CHAMPION) and member.organisation.is_city
            else None
        ),
        admin=admin_for(coming) if member.is_admin else None,
    )
