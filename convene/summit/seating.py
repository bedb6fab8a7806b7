"""Between the database and the seating planner (`mixer`): plain data out, seats back in.

The planner knows nothing of models; this module builds its input from a summit's confirmed
registrations, slots, tables, absences, must-not pairs, earlier summits' published seatings
and the ledger's strong ties between cities, and writes its answer back as seat assignments.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from convene.accounts.models import Member
from convene.extensions import db
from convene.history.actions import record_action
from convene.history.models import ActionKind
from convene.ledger.ties import STRONG_TIE, city_ties, people_from_tied_cities
from convene.summit import mixer
from convene.summit.models import (
    MustNotPair,
    Registration,
    RegistrationStatus,
    SeatAssignment,
    SessionSlot,
    SessionTable,
    SlotAbsence,
    SocialSession,
    Summit,
)
from convene.types import utcnow
from convene.zones import localize

COLOURS = 10  # org-c0 .. org-c9 in style.css


class SeatingError(ValueError):
    """The seating cannot be changed that way; nothing was changed."""


class SeatingNotFound(SeatingError):
    """The planner found no seating keeping every must-not pair apart in the time allowed,
    though none is proved impossible: its best one is stored as the draft (so the admin can
    try again or move people by hand), and this says so. Callers that treat it as any
    SeatingError (and do not commit) keep the previous draft."""

    def __init__(self, report: mixer.SeatingReport, pairs_together: int) -> None:
        self.report = report
        self.pairs_together = pairs_together
        pairs = "1 pair" if pairs_together == 1 else f"{pairs_together} pairs"
        super().__init__(
            "No seating that keeps every must-not pair apart was found in the time allowed; "
            f"the best one found is shown below with {pairs} together. Try again, or move "
            "people by hand."
        )


@dataclass
class SeatingProblem:
    """A session's seating question as the planner reads it, plus the members behind ids."""

    attendees: list[mixer.Attendee]
    slots: list[mixer.Slot]
    met_before: set[tuple[int, int]]
    must_not: list[tuple[int, int]]
    members: dict[int, Member] = field(default_factory=dict)


def _load_slots(session: SocialSession) -> list[SessionSlot]:
    return list(
        db.session.scalars(
            select(SessionSlot)
            .where(SessionSlot.session_id == session.id)
            .order_by(SessionSlot.position)
            .options(
                selectinload(SessionSlot.tables),
                selectinload(SessionSlot.absences),
            )
        )
    )


def confirmed_attendees(summit_id: int) -> list[Member]:
    return list(
        db.session.scalars(
            select(Member)
            .join(Registration, Registration.member_id == Member.id)
            .where(
                Registration.summit_id == summit_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Member.id)
            .options(selectinload(Member.organisation))
        )
    )


def met_before_pairs(summit: Summit) -> set[tuple[int, int]]:
    """Pairs of members who shared a table in a published seating of an earlier summit."""
    a, b = aliased(SeatAssignment), aliased(SeatAssignment)
    rows = db.session.execute(
        select(a.member_id, b.member_id)
        .join(b, (a.table_id == b.table_id) & (a.member_id < b.member_id))
        .join(SessionSlot, a.slot_id == SessionSlot.id)
        .join(SocialSession, SessionSlot.session_id == SocialSession.id)
        .join(Summit, SocialSession.summit_id == Summit.id)
        .where(SocialSession.is_published.is_(True), Summit.starts_on < summit.starts_on)
        .distinct()
    )
    return {(x, y) for x, y in rows}


def tied_city_pairs(summit: Summit, members: Iterable[Member]) -> set[tuple[int, int]]:
    """Pairs of members whose cities the ledger counts as strongly tied before the summit
    opens (a visit, several tables...): they have met in all but name, so the seating treats
    them as having met and gives the table to someone new."""
    opens = datetime.combine(summit.starts_on, time(0), tzinfo=ZoneInfo(summit.zone))
    return people_from_tied_cities(
        ((m.id, m.organisation_id) for m in members), city_ties(before=opens), STRONG_TIE
    )


def must_not_pairs(summit_id: int) -> list[tuple[int, int]]:
    return [
        (p.member_a_id, p.member_b_id)
        for p in db.session.scalars(select(MustNotPair).where(MustNotPair.summit_id == summit_id))
    ]


def add_must_not_pair(summit: Summit, one: Member, other: Member, reason: str | None = None):
    if one.id == other.id:
        raise SeatingError("Choose two different people.")
    low, high = sorted((one.id, other.id))
    exists = db.session.scalar(
        select(MustNotPair.id).where(
            MustNotPair.summit_id == summit.id,
            MustNotPair.member_a_id == low,
            MustNotPair.member_b_id == high,
        )
    )
    if exists:
        raise SeatingError(f"{one.name} and {other.name} are already kept apart.")
    pair = MustNotPair(summit_id=summit.id, member_a_id=low, member_b_id=high, reason=reason)
    db.session.add(pair)
    return pair


def _travel_absent(slot: SessionSlot, registrations: dict[int, Registration], zone: str):
    """Members whose arrival or departure dates leave this slot's evening out."""
    day = localize(slot.starts_at, zone).date()
    return {
        member_id
        for member_id, r in registrations.items()
        if (r.arrives_on and day < r.arrives_on) or (r.departs_on and day > r.departs_on)
    }


def seating_problem(session: SocialSession, slots: list[SessionSlot] | None = None):
    summit = session.summit
    slots = slots if slots is not None else _load_slots(session)
    members = {m.id: m for m in confirmed_attendees(summit.id)}
    registrations = {
        r.member_id: r
        for r in db.session.scalars(
            select(Registration).where(
                Registration.summit_id == summit.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
    }
    plain_slots = []
    for slot in slots:
        absent = {a.member_id for a in slot.absences} | _travel_absent(
            slot, registrations, summit.zone
        )
        plain_slots.append(
            mixer.Slot(
                id=slot.id,
                tables=[mixer.Table(id=t.id, seats=t.seats) for t in slot.tables],
                absent=frozenset(absent),
            )
        )
    return SeatingProblem(
        attendees=[
            mixer.Attendee(id=m.id, organisation_id=m.organisation_id) for m in members.values()
        ],
        slots=plain_slots,
        met_before=met_before_pairs(summit) | tied_city_pairs(summit, members.values()),
        must_not=must_not_pairs(summit.id),
        members=members,
    )


def current_tables(slots: list[SessionSlot]) -> dict[int, dict[int, list[int]]]:
    """The stored seating, in the planner's shape (every table, empty ones too)."""
    tables: dict[int, dict[int, list[int]]] = {s.id: {t.id: [] for t in s.tables} for s in slots}
    slot_ids = [s.id for s in slots]
    if not slot_ids:
        return tables
    for seat in db.session.scalars(
        select(SeatAssignment)
        .where(SeatAssignment.slot_id.in_(slot_ids))
        .order_by(SeatAssignment.id)
    ):
        tables[seat.slot_id].setdefault(seat.table_id, []).append(seat.member_id)
    return tables


def _store(slots: list[SessionSlot], tables: dict) -> None:
    slot_ids = [s.id for s in slots]
    db.session.execute(delete(SeatAssignment).where(SeatAssignment.slot_id.in_(slot_ids)))
    rows = [
        {"slot_id": slot_id, "table_id": table_id, "member_id": member_id}
        for slot_id, by_table in tables.items()
        for table_id, member_ids in by_table.items()
        for member_id in member_ids
    ]
    if rows:
        db.session.execute(SeatAssignment.__table__.insert(), rows)
    db.session.expire_all()


def run_assignment(session: SocialSession, seed: int = 0) -> mixer.SeatingReport:
    """Plan the whole session afresh and store it as a draft (not yet published).

    Raises SeatingNotFound, after storing the planner's best draft, when that draft still
    seats a must-not pair together."""
    if not session.is_assigned:
        raise SeatingError("Only assigned sessions have tables to plan.")
    if session.is_published:
        raise SeatingError("The seating is published: move people by hand instead.")
    slots = _load_slots(session)
    if not slots or not any(s.tables for s in slots):
        raise SeatingError("Add at least one slot with tables first.")
    problem = seating_problem(session, slots)
    try:
        seating = mixer.plan_seating(
            problem.attendees,
            problem.slots,
            met_before=problem.met_before,
            must_not=problem.must_not,
            seed=seed,
        )
    except mixer.AssignmentImpossible as exc:
        raise SeatingError(f"No seating fits: {exc}.") from exc
    except mixer.SeatingNotFound as exc:
        _store(slots, exc.best.tables)
        session.seed = seed
        raise SeatingNotFound(exc.best.report, exc.pairs_together) from exc
    _store(slots, seating.tables)
    session.seed = seed
    return seating.report


def readable_problems(problem: SeatingProblem, slots: list[SessionSlot], tables) -> list[str]:
    """The planner's check of a seating, with people, slots and tables named for the admin."""
    names: dict[int, str] = {}
    seen: set[str] = set()
    for member in problem.members.values():
        name = f"{member.name} ({member.organisation.name})"
        names[member.id] = name if name not in seen else f"{name} #{member.id}"
        seen.add(names[member.id])
    slot_names = {
        s.id: s.label
        if s.label not in {o.label for o in slots if o is not s}
        else f"{s.label} #{s.id}"
        for s in slots
    }
    table_names = {t.id: t.name for s in slots for t in s.tables}

    def who(member_id):
        return names.get(member_id, f"member #{member_id}")

    plain_slots = [
        mixer.Slot(
            id=slot_names[plain.id],
            tables=[mixer.Table(id=table_names[t.id], seats=t.seats) for t in plain.tables],
            absent=frozenset(who(m) for m in plain.absent),
        )
        for plain in problem.slots
    ]
    named_tables = {
        slot_names.get(slot_id, f"slot #{slot_id}"): {
            table_names.get(table_id, f"table #{table_id}"): [who(m) for m in people]
            for table_id, people in by_table.items()
        }
        for slot_id, by_table in tables.items()
    }
    problems = mixer.validate_seating(
        [
            mixer.Attendee(id=who(a.id), organisation_id=a.organisation_id)
            for a in problem.attendees
        ],
        plain_slots,
        named_tables,
        [(who(a), who(b)) for a, b in problem.must_not],
    )
    return [p.replace("'", "") for p in problems]


def table_colours(org_ids: list, org_of: dict, tables) -> dict:
    """A colour index per organisation, so that cities sharing a table differ in colour where
    the ten colours allow: greedy, busiest organisation first, least clash, then least used."""
    together: dict = defaultdict(lambda: defaultdict(int))
    for by_table in tables.values():
        for people in by_table.values():
            here = {org_of[m] for m in people if m in org_of}
            for a in here:
                for b in here:
                    if a != b:
                        together[a][b] += 1
    order = sorted(org_ids, key=lambda o: (-len(together[o]), str(o)))
    chosen: dict = {}
    used = [0] * COLOURS
    for org_id in order:
        clash = [0] * COLOURS
        for other, times in together[org_id].items():
            if other in chosen:
                clash[chosen[other]] += times
        chosen[org_id] = min(range(COLOURS), key=lambda c: (clash[c], used[c], c))
        used[chosen[org_id]] += 1
    return chosen


@dataclass
class Review:
    """What the admin sees: the report, broken constraints, and who sits where."""

    report: object
    problems: list[str]
    slots: list[SessionSlot]
    tables: dict[int, dict[int, list[int]]]
    members: dict[int, Member]
    colours: dict[int, str]  # organisation id -> css class
    legend: list[tuple[object, str]]  # (organisation, css class)
    unseated: dict[int, list[int]]  # slot id -> present members with no seat


def review(session: SocialSession) -> Review:
    slots = _load_slots(session)
    problem = seating_problem(session, slots)
    tables = current_tables(slots)
    report = mixer.seating_report(problem.attendees, problem.slots, tables, problem.met_before)
    problems = readable_problems(problem, slots, tables)
    orgs = sorted({m.organisation for m in problem.members.values()}, key=lambda o: o.name)
    org_of = {m.id: m.organisation_id for m in problem.members.values()}
    colours = {
        org_id: f"org-c{c}"
        for org_id, c in table_colours([o.id for o in orgs], org_of, tables).items()
    }
    unseated = {}
    for plain in problem.slots:
        seated = {m for people in tables.get(plain.id, {}).values() for m in people}
        unseated[plain.id] = [
            m for m in problem.members if m not in seated and m not in plain.absent
        ]
    return Review(
        report=report,
        problems=problems,
        slots=slots,
        tables=tables,
        members=problem.members,
        colours=colours,
        legend=[(org, colours[org.id]) for org in orgs],
        unseated=unseated,
    )


def move_attendee(
    session: SocialSession,
    slot: SessionSlot,
    member_id: int,
    table: SessionTable,
    actor: Member | None = None,
) -> None:
    """Seat a member at another table in one slot, refusing a move that breaks seats,
    absences or must-not pairs. After publishing, the move is a change they hear of (an
    updated invitation naming the new table)."""
    if slot.session_id != session.id or table.slot_id != slot.id:
        raise SeatingError("That table is not in this session's slot.")
    slots = _load_slots(session)
    problem = seating_problem(session, slots)
    member = problem.members.get(member_id)
    if member is None:
        raise SeatingError("Only confirmed attendees can be seated.")
    plain = next(p for p in problem.slots if p.id == slot.id)
    if member_id in plain.absent:
        raise SeatingError(f"{member.name} is absent from {slot.label}.")
    tables = current_tables(slots)
    there = [m for m in tables[slot.id][table.id] if m != member_id]
    if member_id in tables[slot.id][table.id]:
        raise SeatingError(f"{member.name} already sits at {table.name}.")
    if len(there) >= table.seats:
        raise SeatingError(f"{table.name} is full ({table.seats} seats) for {slot.label}.")
    apart = set(problem.must_not)
    for other in there:
        if (min(member_id, other), max(member_id, other)) in apart:
            raise SeatingError(
                f"{member.name} and {problem.members[other].name} must not sit together."
            )
    was_at = next(
        (slot_table for slot_table, people in tables[slot.id].items() if member_id in people),
        None,
    )
    db.session.execute(
        delete(SeatAssignment).where(
            SeatAssignment.slot_id == slot.id, SeatAssignment.member_id == member_id
        )
    )
    db.session.add(SeatAssignment(slot_id=slot.id, table_id=table.id, member_id=member_id))
    if session.is_published:
        session.revision += 1  # attendees' calendars show their table
    db.session.flush()
    previous = db.session.get(SessionTable, was_at) if was_at is not None else None
    record_action(
        ActionKind.SEAT_MOVED, actor, session, member=member,
        before={"table_id": was_at, "table": previous.name if previous else None},
        after={"table_id": table.id, "table": table.name},
        slot_id=slot.id, slot=slot.label, published=session.is_published,
    )  # fmt: skip


def release_seats(member: Member, slot_ids, actor: Member | None = None) -> int:
    """Take the member's seats in these slots (a list, or a select of ids) away: their
    place at the summit ended, or they will be absent. A seat in a published seating was
    in their calendar, so losing it is a change they hear of, one sitting per message.
    Returns how many seats went."""
    rows = db.session.execute(
        select(SeatAssignment.slot_id, SocialSession)
        .join(SessionSlot, SessionSlot.id == SeatAssignment.slot_id)
        .join(SocialSession, SocialSession.id == SessionSlot.session_id)
        .where(SeatAssignment.member_id == member.id, SeatAssignment.slot_id.in_(slot_ids))
        .order_by(SessionSlot.position)
    ).all()
    if not rows:
        return 0
    db.session.execute(
        delete(SeatAssignment).where(
            SeatAssignment.member_id == member.id,
            SeatAssignment.slot_id.in_([slot_id for slot_id, _session in rows]),
        )
    )
    lost: dict[int, tuple[SocialSession, list[int]]] = {}
    for slot_id, session in rows:
        if session.is_published:
            lost.setdefault(session.id, (session, []))[1].append(slot_id)
    for session, lost_slots in lost.values():
        record_action(ActionKind.SEAT_LOST, actor, session, member=member, slot_ids=lost_slots)
    return len(rows)


def mark_absent(slot: SessionSlot, member: Member, actor: Member | None = None) -> bool:
    """Note that a member will miss one slot, and free their seat in it; False (nothing
    changed) if it was noted already."""
    try:
        with db.session.begin_nested():
            db.session.add(SlotAbsence(slot_id=slot.id, member_id=member.id))
    except IntegrityError:
        return False
    release_seats(member, [slot.id], actor)
    return True


def publish(
    session: SocialSession, now: datetime | None = None, actor: Member | None = None
) -> int:
    """Publish the seating, which sends each seated attendee one invitation per slot
    naming their table; returns how many attendees are seated."""
    slots = _load_slots(session)
    problem = seating_problem(session, slots)
    tables = current_tables(slots)
    if not any(people for by_table in tables.values() for people in by_table.values()):
        raise SeatingError("Nobody is seated yet: run the assignment first.")
    problems = readable_problems(problem, slots, tables)
    if problems:
        raise SeatingError("Fix the seating before publishing: " + "; ".join(problems) + ".")
    session.is_published = True
    session.published_at = now or utcnow()
    session.revision += 1
    seated = {m for by_table in tables.values() for people in by_table.values() for m in people}
    db.session.flush()
    record_action(ActionKind.SEATING_PUBLISHED, actor, session, seated=len(seated))
    return len(seated)


def add_slot(
    session: SocialSession,
    label: str,
    starts_at: datetime,
    ends_at: datetime,
    tables: int,
    seats: int,
    place: str | None = None,
) -> SessionSlot:
    """A slot with `tables` tables of `seats` seats, named Table 1, Table 2, ..."""
    if ends_at <= starts_at:
        raise SeatingError("A slot must end after it starts.")
    position = 1 + max((s.position for s in session.slots), default=0)
    slot = SessionSlot(
        session=session,
        position=position,
        label=label,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
    )
    for n in range(1, tables + 1):
        slot.tables.append(SessionTable(position=n, name=f"Table {n}", seats=seats))
    db.session.add(slot)
    db.session.flush()
    return slot
