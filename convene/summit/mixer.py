"""Seating for assigned social sessions (cross-city dinners, peer mixers).

Plain data in, plain data out: the summit views, the CLI and the tests share one implementation,
and the admin can recompute the report after moving people by hand.

How it decides, most important first:

1. hard constraints: seats, absences, must-not pairs (never broken; `AssignmentImpossible`);
2. colleagues apart: same-organisation pairs at a table, as few as the numbers allow;
3. new faces: every pair meets at most once (met-before pairs count as met), otherwise the
   repeats spread evenly: the cost of a pair is the square of its meetings;
4. new cities: each attendee meets as many distinct organisations as possible;
5. tables as evenly filled as possible.

Each slot is seated in order by a greedy construction and then improved by moves and swaps
between tables, with costs updated incrementally so that thousands of attendees stay fast.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AssignmentImpossible",
    "Attendee",
    "Seating",
    "SeatingReport",
    "SeatingTables",
    "Slot",
    "Table",
    "plan_seating",
    "seating_report",
    "validate_seating",
]

# Weights keep the priorities lexicographic in practice: one must-not pair outweighs any
# number of colleagues together, one colleague pair outweighs any realistic repeat count.
_W_MUST = 10**15
_W_ORG = 10**9
_W_PAIR = 10**4
_W_CITY = 1

# slot id -> table id -> attendee ids
SeatingTables = dict[Hashable, dict[Hashable, list[Hashable]]]


class AssignmentImpossible(ValueError):
    """The hard constraints (seats, absences, must-not pairs) cannot all be met."""


@dataclass(frozen=True)
class Attendee:
    id: Hashable
    organisation_id: Hashable  # None: belongs to no organisation, never a colleague of anyone


@dataclass(frozen=True)
class Table:
    id: Hashable
    seats: int


@dataclass(frozen=True)
class Slot:
    id: Hashable
    tables: Sequence[Table]
    absent: frozenset[Hashable] = frozenset()  # attendee ids not there for this slot

    def __post_init__(self) -> None:
        object.__setattr__(self, "tables", tuple(self.tables))
        object.__setattr__(self, "absent", frozenset(self.absent))

    @property
    def seats(self) -> int:
        return sum(t.seats for t in self.tables)


@dataclass
class SeatingReport:
    """Figures for the admin, each beside a bound where one is easy to state."""

    slots: int
    attendees: int  # present in at least one slot
    seats: int  # summed over slots
    seated: int  # summed over slots
    new_pairs: int  # pairs from different organisations who sat together and had not met before
    distinct_orgs_met: dict[Hashable, int]  # attendee id -> other organisations met at tables
    distinct_orgs_met_mean: float
    distinct_orgs_met_min: int
    distinct_orgs_met_mean_upper_bound: float
    max_pair_meetings: int  # a met-before pair counts one meeting already
    repeat_meetings: int  # sum over pairs of meetings beyond the first
    same_org_pairs: int
    same_org_pairs_lower_bound: int
    same_org_pairs_by_table: dict[Hashable, dict[Hashable, int]]  # slot id -> table id -> pairs
    empty_seats: int
    empty_seats_lower_bound: int
    empty_seats_by_slot: dict[Hashable, int]


@dataclass
class Seating:
    tables: SeatingTables
    report: SeatingReport


@dataclass
class _Problem:
    ids: list[Hashable]
    index: dict[Hashable, int]
    org: list[int]  # attendee index -> organisation index
    org_ids: list[Hashable]
    slots: list[Slot]
    present: list[list[int]] = field(default_factory=list)  # per slot, attendee indexes


def _pair_key(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


def _problem(attendees: Iterable[Attendee], slots: Iterable[Slot]) -> _Problem:
    ids: list[Hashable] = []
    index: dict[Hashable, int] = {}
    org: list[int] = []
    org_ids: list[Hashable] = []
    org_index: dict[Hashable, int] = {}
    for attendee in attendees:
        if attendee.id in index:
            raise ValueError(f"attendee {attendee.id!r} is listed twice")
        index[attendee.id] = len(ids)
        ids.append(attendee.id)
        key = attendee.organisation_id
        if key is None:
            org_ids.append(None)
            org.append(len(org_ids) - 1)
            continue
        if key not in org_index:
            org_index[key] = len(org_ids)
            org_ids.append(key)
        org.append(org_index[key])
    slot_list = list(slots)
    seen: set[Hashable] = set()
    for slot in slot_list:
        if slot.id in seen:
            raise ValueError(f"slot {slot.id!r} is listed twice")
        seen.add(slot.id)
        table_ids: set[Hashable] = set()
        for table in slot.tables:
            if table.id in table_ids:
                raise ValueError(f"slot {slot.id!r}: table {table.id!r} is listed twice")
            table_ids.add(table.id)
            if table.seats < 0:
                raise ValueError(f"slot {slot.id!r}: table {table.id!r} has negative seats")
    problem = _Problem(ids, index, org, org_ids, slot_list)
    for slot in slot_list:
        absent = {index[x] for x in slot.absent if x in index}
        problem.present.append([i for i in range(len(ids)) if i not in absent])
    return problem


def _pairs(
    pairs: Iterable[Sequence[Hashable]], index: Mapping[Hashable, int], what: str
) -> list[tuple[int, int]]:
    """Pairs as index pairs; people not attending are dropped, since history outlives rosters."""
    out: dict[tuple[int, int], None] = {}
    for pair in pairs:
        x, y = pair
        if x == y:
            if what == "must-not":
                raise ValueError(f"must-not pair pairs {x!r} with themselves")
            continue
        if x in index and y in index:
            out[_pair_key(index[x], index[y])] = None
    return list(out)


def _even_pairs(n: int, tables: int) -> int:
    """Fewest pairs when n people spread over `tables` tables: sizes as even as possible."""
    if n < 2:
        return 0
    if tables <= 0:
        return n * (n - 1) // 2
    q, r = divmod(n, tables)
    return r * (q + 1) * q // 2 + (tables - r) * q * (q - 1) // 2


class _SlotSearch:
    """One slot's tables with the counters that make a move's cost change O(table size)."""

    def __init__(
        self,
        present: list[int],
        caps: list[int],
        org: list[int],
        n_orgs: int,
        extra: list[dict[int, int]],
        rng: random.Random,
    ) -> None:
        self.present = present
        self.caps = caps
        self.org = org
        self.n_orgs = n_orgs
        self.extra = extra  # symmetric pair costs beyond the base cost of any meeting
        self.rng = rng
        self.n_tables = len(caps)
        self.table_of: dict[int, int] = {}
        self._reset()

    def _reset(self) -> None:
        n_tables = self.n_tables
        self.seats: list[list[int]] = [[] for _ in range(n_tables)]
        self.size = [0] * n_tables
        self.org_count = [[0] * self.n_orgs for _ in range(n_tables)]
        self.org_pairs = 0
        # conn[a][t]: summed pair costs between a and the people at table t
        self.conn: dict[int, list[int]] = {a: [0] * n_tables for a in self.present}
        self.table_of = {}

    def _place(self, a: int, t: int) -> None:
        self.seats[t].append(a)
        self.size[t] += 1
        self.org_pairs += self.org_count[t][self.org[a]]
        self.org_count[t][self.org[a]] += 1
        self.table_of[a] = t
        conn = self.conn
        for b, e in self.extra[a].items():
            conn[b][t] += e

    def _move(self, a: int, source: int, target: int) -> None:
        self.seats[source].remove(a)
        self.seats[target].append(a)
        self.size[source] -= 1
        self.size[target] += 1
        oa = self.org[a]
        self.org_count[source][oa] -= 1
        self.org_pairs += self.org_count[target][oa] - self.org_count[source][oa]
        self.org_count[target][oa] += 1
        self.table_of[a] = target
        conn = self.conn
        for b, e in self.extra[a].items():
            cb = conn[b]
            cb[source] -= e
            cb[target] += e

    def _apply(self, a: int, t: int, b: int) -> None:
        ta = self.table_of[a]
        self._move(a, ta, t)
        if b >= 0:
            self._move(b, t, ta)

    def cost(self) -> int:
        total = 0
        for t in range(self.n_tables):
            total += _W_PAIR * self.size[t] * (self.size[t] - 1) // 2
            total += _W_ORG * sum(c * (c - 1) // 2 for c in self.org_count[t] if c > 1)
        twice = sum(self.conn[a][t] for a, t in self.table_of.items())
        return total + twice // 2

    def conflicted(self, a: int, colleagues: bool = True) -> bool:
        """Sits with a must-not partner, someone already met or (if `colleagues`) a colleague."""
        t = self.table_of[a]
        return (colleagues and self.org_count[t][self.org[a]] > 1) or self.conn[a][t] >= _W_PAIR

    # -- construction ----------------------------------------------------------------------

    def construct(self, must_degree: Mapping[int, int], fixed: Mapping[int, int] = {}) -> None:
        """Hardest people first, each at the table where they add least cost; people in
        `fixed` (a seating of the must-not pairs known to keep them apart) go there first."""
        for a, t in fixed.items():
            self._place(a, t)
        org, rng = self.org, self.rng
        org_size = [0] * self.n_orgs
        for a in self.present:
            org_size[org[a]] += 1
        org_rank = list(range(self.n_orgs))
        rng.shuffle(org_rank)
        tie = {a: rng.random() for a in self.present}
        order = sorted(
            (a for a in self.present if a not in fixed),
            key=lambda a: (-must_degree.get(a, 0), -org_size[org[a]], org_rank[org[a]], tie[a]),
        )
        tables = [t for t in range(self.n_tables) if self.caps[t] > 0]
        rng.shuffle(tables)
        size, caps, org_count, conn = self.size, self.caps, self.org_count, self.conn
        n = len(tables)
        for k, a in enumerate(order):
            oa, ca = org[a], conn[a]
            best, best_t = None, -1
            start = k % n if n else 0
            for t in tables[start:] + tables[:start]:
                st = size[t]
                if st >= caps[t]:
                    continue
                c = _W_ORG * org_count[t][oa] + _W_PAIR * st + ca[t]
                if best is None or c < best:
                    best, best_t = c, t
            self._place(a, best_t)

    # -- improvement -----------------------------------------------------------------------

    def _best_move(self, a: int, tables: Iterable[int]) -> tuple[int, int, int]:
        """Best strictly improving move or swap for a: (delta, table, partner or -1)."""
        org, org_count, conn, seats, size, caps = (
            self.org,
            self.org_count,
            self.conn,
            self.seats,
            self.size,
            self.caps,
        )
        ta = self.table_of[a]
        oa, ca, ea = org[a], conn[a], self.extra[a]
        oc_a = org_count[ta]
        stay = _W_ORG * (oc_a[oa] - 1) + ca[ta]
        stay_move = stay + _W_PAIR * (size[ta] - 1)
        best, best_t, best_b = 0, -1, -1
        w_org, w_org2 = _W_ORG, 2 * _W_ORG
        for t in tables:
            if t == ta:
                continue
            oc_t = org_count[t]
            join = w_org * oc_t[oa] + ca[t]
            st = size[t]
            if st < caps[t]:
                d = join + _W_PAIR * st - stay_move
                if d < best:
                    best, best_t, best_b = d, t, -1
            base = join - stay + w_org
            for b in seats[t]:
                ob = org[b]
                cb = conn[b]
                d = base + w_org * (oc_a[ob] - oc_t[ob]) + cb[ta] - cb[t]
                if ob == oa:
                    d -= w_org2
                e = ea.get(b)
                if e:
                    d -= 2 * e
                if d < best:
                    best, best_t, best_b = d, t, b
        return best, best_t, best_b

    def descend(
        self, max_passes: int, sample: int, sample_conflicted: int, org_pairs_floor: int = 0
    ) -> int:
        """Apply improving moves until none is found; return the cost change.

        Each attendee looks at `sample` random tables (more when in conflict, and sitting
        with a colleague is a conflict only while colleague pairs exceed the floor), so that
        a pass stays affordable with thousands of people."""
        rng = self.rng
        n_tables = self.n_tables
        all_tables = list(range(n_tables))
        order = list(self.present)
        total = 0
        for _ in range(max_passes):
            rng.shuffle(order)
            gained = 0
            for a in order:
                colleagues = self.org_pairs > org_pairs_floor
                k = sample_conflicted if self.conflicted(a, colleagues) else sample
                tables = rng.sample(all_tables, k) if k < n_tables else all_tables
                d, t, b = self._best_move(a, tables)
                if d < 0:
                    self._apply(a, t, b)
                    gained += d
            total += gained
            if gained == 0 or (sample < self.n_tables and -gained < _W_PAIR // 2):
                break
        return total

    def _best_any(
        self, a: int, tabu: dict[tuple[int, int], int], step: int, slack: int
    ) -> tuple[int, int, int]:
        """Best move or swap for a, worsening allowed, skipping tabu ones unless they beat
        the best cost seen (slack = current cost - best cost)."""
        org, org_count, conn, seats, size, caps = (
            self.org,
            self.org_count,
            self.conn,
            self.seats,
            self.size,
            self.caps,
        )
        ta = self.table_of[a]
        oa, ca, ea = org[a], conn[a], self.extra[a]
        oc_a = org_count[ta]
        stay = _W_ORG * (oc_a[oa] - 1) + ca[ta]
        stay_move = stay + _W_PAIR * (size[ta] - 1)
        best, best_t, best_b = None, -1, -1
        ties = 0
        rng = self.rng
        for t in range(self.n_tables):
            if t == ta:
                continue
            a_tabu = tabu.get((a, t), -1) > step
            oc_t = org_count[t]
            join = _W_ORG * oc_t[oa] + ca[t]
            st = size[t]
            if st < caps[t]:
                d = join + _W_PAIR * st - stay_move
                if not a_tabu or d < -slack:
                    if best is None or d < best:
                        best, best_t, best_b, ties = d, t, -1, 1
                    elif d == best:
                        ties += 1
                        if rng.random() * ties < 1:
                            best_t, best_b = t, -1
            base = join - stay + _W_ORG
            for b in seats[t]:
                ob = org[b]
                cb = conn[b]
                d = base + _W_ORG * (oc_a[ob] - oc_t[ob]) + cb[ta] - cb[t]
                if ob == oa:
                    d -= 2 * _W_ORG
                e = ea.get(b)
                if e:
                    d -= 2 * e
                if (a_tabu or tabu.get((b, ta), -1) > step) and d >= -slack:
                    continue
                if best is None or d < best:
                    best, best_t, best_b, ties = d, t, b, 1
                elif d == best:
                    ties += 1
                    if rng.random() * ties < 1:
                        best_t, best_b = t, b
        return (0 if best is None else best), best_t, best_b

    def tabu_search(self, max_steps: int, org_pairs_floor: int) -> None:
        """Escape local minima while conflicts remain; keep the best seating seen.

        Colleagues together count as a conflict only while there are more of them than the
        numbers force: with a few large organisations everyone sits with a colleague, and
        chasing those would spend the whole budget for nothing."""
        rng = self.rng
        colleagues = self.org_pairs > org_pairs_floor
        conflicted = {a for a in self.present if self.conflicted(a, colleagues)}
        if not conflicted or max_steps <= 0:
            return
        current = self.cost()
        best_cost, best_at = current, dict(self.table_of)
        tabu: dict[tuple[int, int], int] = {}
        step = 0
        while step < max_steps and conflicted:
            if colleagues != (self.org_pairs > org_pairs_floor):
                colleagues = not colleagues
                conflicted = {a for a in self.present if self.conflicted(a, colleagues)}
                continue
            a = rng.choice(sorted(conflicted))
            if not self.conflicted(a, colleagues):
                conflicted.discard(a)
                continue
            d, t, b = self._best_any(a, tabu, step, current - best_cost)
            step += 1
            if t < 0:
                continue
            ta = self.table_of[a]
            tabu[(a, ta)] = step + 7 + rng.randrange(8)
            if b >= 0:
                tabu[(b, t)] = step + 7 + rng.randrange(8)
            self._apply(a, t, b)
            current += d
            for x in self.seats[ta] + self.seats[t]:
                if self.conflicted(x, colleagues):
                    conflicted.add(x)
            if current < best_cost:
                best_cost, best_at = current, dict(self.table_of)
        if current > best_cost:
            self._reset()
            for a in self.present:
                self._place(a, best_at[a])

    def anneal(self, steps: int, hot: float, cold: float) -> None:
        """Random swaps at temperatures far below one repeat's cost: reshuffles who meets
        which cities without giving back anything more important."""
        present, n = self.present, len(self.present)
        if steps <= 0 or n < 2 or self.n_tables < 2:
            return
        rng = self.rng
        rand, randrange, exp = rng.random, rng.randrange, math.exp
        org, org_count, conn, extra, table_of = (
            self.org,
            self.org_count,
            self.conn,
            self.extra,
            self.table_of,
        )
        if not any(conn[a][t] for a, t in table_of.items()):
            return  # nobody sits with anyone they have history with: nothing to gain
        start = self.cost()
        saved = dict(table_of)
        current = start
        temp = hot
        cool = (cold / hot) ** (1.0 / steps)
        w_org = _W_ORG
        for _ in range(steps):
            temp *= cool
            a = present[randrange(n)]
            b = present[randrange(n)]
            ta, tb = table_of[a], table_of[b]
            if ta == tb:
                continue
            oa, ob = org[a], org[b]
            ca, cb = conn[a], conn[b]
            oc_a, oc_b = org_count[ta], org_count[tb]
            d = ca[tb] - ca[ta] + cb[ta] - cb[tb] - 2 * extra[a].get(b, 0)
            if oa != ob:
                d += w_org * (oc_b[oa] - oc_a[oa] + oc_a[ob] - oc_b[ob] + 2)
            if d > 0 and (d > 30 * temp or rand() >= exp(-d / temp)):
                continue
            self._move(a, ta, tb)
            self._move(b, tb, ta)
            current += d
        if current > start:
            self._reset()
            for a in present:
                self._place(a, saved[a])

    def must_not_together(self) -> list[tuple[int, int]]:
        out = []
        for t, people in enumerate(self.seats):
            for i, a in enumerate(people):
                if self.conn[a][t] < _W_MUST:
                    continue
                ea = self.extra[a]
                out.extend(_pair_key(a, b) for b in people[i + 1 :] if ea.get(b, 0) >= _W_MUST)
        return out


def plan_seating(
    attendees: Iterable[Attendee],
    slots: Iterable[Slot],
    met_before: Iterable[Sequence[Hashable]] = (),
    must_not: Iterable[Sequence[Hashable]] = (),
    seed: int = 0,
    effort: float = 1.0,
) -> Seating:
    """Seat every present attendee in every slot, in slot order.

    `met_before` and `must_not` are pairs of attendee ids; pairs naming someone not in
    `attendees` are ignored. The result depends only on the input, `seed` and `effort`
    (no clock), so a plan can be reproduced; `effort` scales the search budget: more time,
    fewer leftover repeats on hard instances.

    Raises `AssignmentImpossible` when a hard constraint cannot hold, and ValueError for
    malformed input (an id listed twice, negative seats).
    """
    problem = _problem(attendees, slots)
    met_pairs = _pairs(met_before, problem.index, "met-before")
    must_pairs = _pairs(must_not, problem.index, "must-not")
    n = len(problem.ids)
    org = problem.org
    n_orgs = len(problem.org_ids)

    for slot, present in zip(problem.slots, problem.present, strict=True):
        seats = slot.seats
        if len(present) > seats:
            raise AssignmentImpossible(
                f"slot {slot.id!r}: {len(present)} attendees present but only {seats} seats"
            )
        if sum(1 for t in slot.tables if t.seats > 0) == 1:
            here = set(present)
            for i, j in must_pairs:
                if i in here and j in here:
                    raise AssignmentImpossible(
                        f"slot {slot.id!r} has a single table but {problem.ids[i]!r} and "
                        f"{problem.ids[j]!r} must not sit together"
                    )

    rng = random.Random(seed)
    met: list[dict[int, int]] = [{} for _ in range(n)]
    for i, j in met_pairs:
        met[i][j] = 1
        met[j][i] = 1
    cities_met: list[dict[int, int]] = [{} for _ in range(n)]  # other-org people met, per org
    must_degree: dict[int, int] = {}
    for i, j in must_pairs:
        must_degree[i] = must_degree.get(i, 0) + 1
        must_degree[j] = must_degree.get(j, 0) + 1

    result: SeatingTables = {}
    for slot, present in zip(problem.slots, problem.present, strict=True):
        caps = [t.seats for t in slot.tables]
        extra = _extra_costs(present, org, met, cities_met, must_pairs, n)
        search = _SlotSearch(present, caps, org, n_orgs, extra, rng)
        if present:
            _search_slot(search, present, caps, must_degree, effort)
        bad = search.must_not_together()
        if bad:
            names = ", ".join(f"{problem.ids[i]!r} and {problem.ids[j]!r}" for i, j in bad[:5])
            raise AssignmentImpossible(
                f"slot {slot.id!r}: could not keep must-not pairs apart with "
                f"{len(slot.tables)} tables ({names})"
            )
        result[slot.id] = {
            table.id: [problem.ids[a] for a in search.seats[t]]
            for t, table in enumerate(slot.tables)
        }
        for people in search.seats:
            for x, a in enumerate(people):
                for b in people[x + 1 :]:
                    met[a][b] = met[a].get(b, 0) + 1
                    met[b][a] = met[b].get(a, 0) + 1
                    oa, ob = org[a], org[b]
                    if oa != ob:
                        cities_met[a][ob] = cities_met[a].get(ob, 0) + 1
                        cities_met[b][oa] = cities_met[b].get(oa, 0) + 1

    report = _report(problem, result, met_pairs)
    return Seating(tables=result, report=report)


def _extra_costs(
    present: list[int],
    org: list[int],
    met: list[dict[int, int]],
    cities_met: list[dict[int, int]],
    must_pairs: list[tuple[int, int]],
    n: int,
) -> list[dict[int, int]]:
    """Per attendee, the cost above a first meeting of sitting with each other person."""
    here = [False] * n
    members: dict[int, list[int]] = {}
    for a in present:
        here[a] = True
        members.setdefault(org[a], []).append(a)
    extra: list[dict[int, int]] = [{} for _ in range(n)]
    for a in present:
        ea = extra[a]
        # (m + 1)^2 - m^2 - 1: the marginal cost of one more meeting, above a first one
        for b, m in met[a].items():
            if here[b]:
                ea[b] = ea.get(b, 0) + 2 * m * _W_PAIR
        met_orgs = cities_met[a]
        if sum(1 for o in met_orgs if o in members) >= len(members) - 1:
            continue  # has met every organisation here already: no new city to gain
        for o, k in met_orgs.items():
            for b in members.get(o, ()):
                w = _W_CITY * k
                ea[b] = ea.get(b, 0) + w
                eb = extra[b]
                eb[a] = eb.get(a, 0) + w
    for i, j in must_pairs:
        if here[i] and here[j]:
            extra[i][j] = extra[i].get(j, 0) + _W_MUST
            extra[j][i] = extra[j].get(i, 0) + _W_MUST
    return extra


def _search_slot(
    search: _SlotSearch,
    present: list[int],
    caps: list[int],
    must_degree: Mapping[int, int],
    effort: float,
) -> None:
    n = len(present)
    usable = sum(1 for c in caps if c > 0)
    counts: dict[int, int] = {}
    for a in present:
        counts[search.org[a]] = counts.get(search.org[a], 0) + 1
    org_floor = sum(_even_pairs(k, usable) for k in counts.values())
    # Budgets in seats looked at, so that run time grows about linearly with attendees.
    per_table = max(1, n // max(1, usable))
    looks = max(200, int(effort * 400_000) // n)
    sample = min(len(caps), max(2, looks // per_table))
    sample_conflicted = min(len(caps), max(8, 4 * looks // per_table))
    passes = max(2, int(30 * effort))
    steps = int(effort * max(500, min(30 * n, 3_000_000 // n)))
    search.construct(must_degree)
    search.descend(passes, sample, sample_conflicted, org_floor)
    search.tabu_search(steps, org_floor)
    search.descend(passes, sample, sample_conflicted, org_floor)
    search.anneal(int(effort * min(300 * n, 100_000)), hot=2.0, cold=0.2)
    search.descend(passes, sample, sample_conflicted, org_floor)


def _report(
    problem: _Problem, tables: Mapping[Hashable, Mapping[Hashable, Sequence[Hashable]]], met_pairs
) -> SeatingReport:
    index, org = problem.index, problem.org
    met_before = set(met_pairs)
    meetings: dict[tuple[int, int], int] = {}
    cities: list[set[int]] = [set() for _ in problem.ids]
    by_table: dict[Hashable, dict[Hashable, int]] = {}
    same_org = same_floor = seats = seated = empty = empty_floor = 0
    empty_by_slot: dict[Hashable, int] = {}
    in_any = set()
    upper = [0] * len(problem.ids)
    n_orgs_present: set[int] = set()
    for slot, present in zip(problem.slots, problem.present, strict=True):
        in_any.update(present)
        n_orgs_present.update(org[a] for a in present)
        caps = {t.id: t.seats for t in slot.tables}
        usable = sum(1 for c in caps.values() if c > 0)
        counts: dict[int, int] = {}
        for a in present:
            counts[org[a]] = counts.get(org[a], 0) + 1
        same_floor += sum(_even_pairs(k, usable) for k in counts.values())
        largest = max(caps.values(), default=0)
        for a in present:
            upper[a] += max(0, min(largest, len(present)) - 1)
        slot_tables = tables.get(slot.id, {})
        slot_seated = 0
        by_table[slot.id] = {}
        for table in slot.tables:
            people = [index[x] for x in slot_tables.get(table.id, ()) if x in index]
            slot_seated += len(people)
            org_counts: dict[int, int] = {}
            for a in people:
                org_counts[org[a]] = org_counts.get(org[a], 0) + 1
            pairs = sum(c * (c - 1) // 2 for c in org_counts.values())
            by_table[slot.id][table.id] = pairs
            same_org += pairs
            for x, a in enumerate(people):
                for b in people[x + 1 :]:
                    key = _pair_key(a, b)
                    meetings[key] = meetings.get(key, 0) + 1
                    if org[a] != org[b]:
                        cities[a].add(org[b])
                        cities[b].add(org[a])
        seats += slot.seats
        seated += slot_seated
        empty_by_slot[slot.id] = max(0, slot.seats - slot_seated)
        empty += empty_by_slot[slot.id]
        empty_floor += max(0, slot.seats - len(present))

    new_pairs = sum(1 for (a, b) in meetings if (a, b) not in met_before and org[a] != org[b])
    totals = [m + (1 if key in met_before else 0) for key, m in meetings.items()]
    max_meetings = max(totals, default=0)
    if met_before and not max_meetings:
        max_meetings = 1
    repeats = sum(m - 1 for m in totals if m > 1)
    people = sorted(in_any)
    distinct = {problem.ids[a]: len(cities[a]) for a in people}
    bounds = []
    for a in people:
        others = len(n_orgs_present) - (1 if org[a] in n_orgs_present else 0)
        bounds.append(min(others, upper[a]))
    return SeatingReport(
        slots=len(problem.slots),
        attendees=len(people),
        seats=seats,
        seated=seated,
        new_pairs=new_pairs,
        distinct_orgs_met=distinct,
        distinct_orgs_met_mean=(sum(distinct.values()) / len(people)) if people else 0.0,
        distinct_orgs_met_min=min(distinct.values(), default=0),
        distinct_orgs_met_mean_upper_bound=(sum(bounds) / len(bounds)) if bounds else 0.0,
        max_pair_meetings=max_meetings,
        repeat_meetings=repeats,
        same_org_pairs=same_org,
        same_org_pairs_lower_bound=same_floor,
        same_org_pairs_by_table=by_table,
        empty_seats=empty,
        empty_seats_lower_bound=empty_floor,
        empty_seats_by_slot=empty_by_slot,
    )


def seating_report(
    attendees: Iterable[Attendee],
    slots: Iterable[Slot],
    tables: Mapping[Hashable, Mapping[Hashable, Sequence[Hashable]]],
    met_before: Iterable[Sequence[Hashable]] = (),
) -> SeatingReport:
    """The report for any seating, such as one the admin changed by hand.

    People or tables the slots do not know are left out of the figures;
    `validate_seating` names them.
    """
    problem = _problem(attendees, slots)
    return _report(problem, tables, _pairs(met_before, problem.index, "met-before"))


def validate_seating(
    attendees: Iterable[Attendee],
    slots: Iterable[Slot],
    tables: Mapping[Hashable, Mapping[Hashable, Sequence[Hashable]]],
    must_not: Iterable[Sequence[Hashable]] = (),
) -> list[str]:
    """Broken hard constraints, in words an admin can act on; empty when the seating holds."""
    problem = _problem(attendees, slots)
    must = set(_pairs(must_not, problem.index, "must-not"))
    ids = problem.ids
    problems: list[str] = []
    known_slots = {slot.id for slot in problem.slots}
    for slot_id in tables:
        if slot_id not in known_slots:
            problems.append(f"unknown slot {slot_id!r}")
    for slot, present in zip(problem.slots, problem.present, strict=True):
        slot_tables = tables.get(slot.id, {})
        caps = {t.id: t.seats for t in slot.tables}
        absent = {problem.index[x] for x in slot.absent if x in problem.index}
        seen: dict[int, Hashable] = {}
        for table_id, people_ids in slot_tables.items():
            where = f"slot {slot.id!r}, table {table_id!r}"
            if table_id not in caps:
                problems.append(f"{where}: unknown table")
            elif len(people_ids) > caps[table_id]:
                problems.append(
                    f"{where}: {len(people_ids)} seated but only {caps[table_id]} seats"
                )
            people = []
            for x in people_ids:
                if x not in problem.index:
                    problems.append(f"{where}: unknown attendee {x!r}")
                    continue
                a = problem.index[x]
                if a in seen:
                    problems.append(
                        f"slot {slot.id!r}: {x!r} is seated twice "
                        f"(tables {seen[a]!r} and {table_id!r})"
                    )
                    continue
                seen[a] = table_id
                people.append(a)
                if a in absent:
                    problems.append(f"{where}: {x!r} is seated but absent from this slot")
            for i, a in enumerate(people):
                for b in people[i + 1 :]:
                    if _pair_key(a, b) in must:
                        problems.append(f"{where}: {ids[a]!r} and {ids[b]!r} must not sit together")
        for a in present:
            if a not in seen:
                problems.append(f"slot {slot.id!r}: {ids[a]!r} is present but not seated")
    return problems
