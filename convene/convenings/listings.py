"""The queries behind the call lists: a fixed number of statements however many calls.

Each list loads its calls with their host and series eagerly, then counts RSVPs and
attendance with one grouped query each, never one query per call.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from convene.accounts.models import Member
from convene.convenings.models import Attendance, Call, CallStatus, Rsvp, RsvpAnswer
from convene.extensions import db
from convene.search import matching, search_terms
from convene.types import utcnow

# No call lasts longer than this (the duration CHECK): a call that started this long ago
# has ended, so "still upcoming or running" needs no per-row arithmetic in SQL.
LONGEST_CALL = timedelta(minutes=480)


def upcoming_calls(now: datetime | None = None, host_organisation_id: int | None = None):
    """Calls that have not ended yet, soonest first (cancelled ones included, marked)."""
    now = now or utcnow()
    stmt = (
        sa.select(Call)
        .where(Call.starts_at > now - LONGEST_CALL)
        .options(selectinload(Call.host_organisation), selectinload(Call.series))
        .order_by(Call.starts_at, Call.id)
    )
    if host_organisation_id is not None:
        stmt = stmt.where(Call.host_organisation_id == host_organisation_id)
    return [c for c in db.session.scalars(stmt) if c.ends_at > now]


def hosted_calls(organisation_id: int, now: datetime | None = None, recent: int = 10):
    """A partner's calls for its page: those not ended yet, soonest first, and its `recent`
    latest past ones, newest first (two queries, with host and series)."""
    now = now or utcnow()
    upcoming = upcoming_calls(now, host_organisation_id=organisation_id)
    past = db.session.scalars(
        sa.select(Call)
        .where(Call.host_organisation_id == organisation_id, Call.starts_at <= now)
        .options(selectinload(Call.host_organisation), selectinload(Call.series))
        .order_by(Call.starts_at.desc(), Call.id.desc())
        .limit(recent + len(upcoming))
    )
    shown = {c.id for c in upcoming}
    return upcoming, [c for c in past if c.id not in shown][:recent]


def archive_query(search: str | None = None, now: datetime | None = None):
    """Past calls, newest first, optionally matching every word of `search` in the title or
    notes (convene/search.py: the rule visit reports share)."""
    now = now or utcnow()
    stmt = (
        sa.select(Call)
        .where(Call.starts_at <= now)
        .options(
            selectinload(Call.host_organisation),
            selectinload(Call.series),
            selectinload(Call.resources),
        )
        .order_by(Call.starts_at.desc(), Call.id.desc())
    )
    for condition in matching((Call.title, Call.notes), search_terms(search)):
        stmt = stmt.where(condition)
    return stmt


def rsvp_counts(call_ids: list[int]) -> dict[int, dict[RsvpAnswer, int]]:
    counts: dict[int, dict[RsvpAnswer, int]] = defaultdict(lambda: dict.fromkeys(RsvpAnswer, 0))
    if call_ids:
        rows = db.session.execute(
            sa.select(Rsvp.call_id, Rsvp.answer, sa.func.count(Rsvp.id))
            .where(Rsvp.call_id.in_(call_ids))
            .group_by(Rsvp.call_id, Rsvp.answer)
        )
        for call_id, answer, count in rows:
            counts[call_id][answer] = count
    return counts


def answers_of(member, call_ids: list[int]) -> dict[int, RsvpAnswer]:
    if not call_ids or member is None or not member.is_authenticated:
        return {}
    rows = db.session.execute(
        sa.select(Rsvp.call_id, Rsvp.answer).where(
            Rsvp.member_id == member.id, Rsvp.call_id.in_(call_ids)
        )
    )
    return dict(rows.all())


def attendance_counts(call_ids: list[int]) -> dict[int, int]:
    if not call_ids:
        return {}
    rows = db.session.execute(
        sa.select(Attendance.call_id, sa.func.count(Attendance.id))
        .where(Attendance.call_id.in_(call_ids))
        .group_by(Attendance.call_id)
    )
    return dict(rows.all())


def rsvps_by_organisation(call: Call) -> dict[RsvpAnswer, list[tuple]]:
    """For the call page: who answered, grouped by organisation, per answer."""
    rsvps = db.session.scalars(
        sa.select(Rsvp)
        .where(Rsvp.call_id == call.id)
        .options(selectinload(Rsvp.member).selectinload(Member.organisation))
    ).all()
    grouped: dict[RsvpAnswer, dict] = {answer: defaultdict(list) for answer in RsvpAnswer}
    for rsvp in rsvps:
        grouped[rsvp.answer][rsvp.member.organisation].append(rsvp.member)
    return {
        answer: sorted(
            ((org, sorted(people, key=lambda m: m.name)) for org, people in orgs.items()),
            key=lambda pair: pair[0].name,
        )
        for answer, orgs in grouped.items()
    }


def host_flags(calls, now: datetime | None = None, within=timedelta(weeks=3)) -> dict[int, list]:
    """What a host still has to prepare for calls starting within three weeks."""
    now = now or utcnow()
    flags = {}
    for call in calls:
        if call.status == CallStatus.CANCELLED or call.starts_at > now + within:
            continue
        missing = [label for label, value in (("topic", call.title), ("agenda", call.agenda))
                   if not value]  # fmt: skip
        if missing:
            flags[call.id] = missing
    return flags


# Topics build on calls: a call's chosen topic is read by table name, not through its model.
_topics = sa.table(
    "topics",
    sa.column("id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("call_id", sa.Integer),
)


@dataclass(frozen=True)
class CallTopic:
    """What a call is about, as every page shows it.

    A host may write the topic on the call (the agenda form) or choose a proposed topic
    (which writes its title on the call): the call's own title is the one truth, and the
    proposed topic, when one is chosen, adds a link to its page.
    """

    title: str | None
    topic_id: int | None = None


def topics_of(calls) -> dict[int, CallTopic]:
    """Each call's topic (one query, whatever the number of calls)."""
    calls = list(calls)
    chosen = {}
    if calls:
        rows = db.session.execute(
            sa.select(_topics.c.call_id, _topics.c.id, _topics.c.title).where(
                _topics.c.call_id.in_([c.id for c in calls])
            )
        )
        chosen = {call_id: (topic_id, title) for call_id, topic_id, title in rows}
    topics = {}
    for call in calls:
        topic_id, title = chosen.get(call.id, (None, None))
        topics[call.id] = CallTopic(call.title or title, topic_id)
    return topics
