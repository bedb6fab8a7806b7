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

Must-not pairs are checked first: "impossible" only with a proof (too few seats, one table,
a must-not clique larger than the tables, or an exhausted exact colouring); a search that
merely fails says so (`SeatingNotFound`) and hands back its best seating. A first seating comes
slot by slot (a resolvable design's round where the shape allows one: affine, or developed from
base rounds by a cyclic group; else a greedy construction improved by moves and swaps), then a
tabu search over the whole schedule removes the conflicts left, with costs updated
incrementally so that thousands of attendees stay fast.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AssignmentImpossible",
    "SeatingNotFound",
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


class SeatingNotFound(ValueError):
    """No seating keeping every must-not pair apart was found within the effort allowed,
    though none was proved impossible either; `best` is the best seating found."""

    def __init__(self, message: str, best: Seating, pairs_together: int) -> None:
        super().__init__(message)
        self.best = best
        self.pairs_together = pairs_together


def _names(ids: Sequence[Hashable], people: Iterable[int], most: int = 8) -> str:
    people = sorted(people)
    named = ", ".join(repr(ids[a]) for a in people[:most])
    more = len(people) - most
    return named + (f" and {more} others" if more > 0 else "")


def _clique(graph: Mapping[int, set[int]]) -> list[int]:
    """A large clique, greedily: a must-not clique bigger than the tables proves no seating."""
    best: list[int] = []
    for v in sorted(graph, key=lambda v: (-len(graph[v]), v)):
        if len(graph[v]) < len(best):
            break
        clique = [v]
        for u in sorted(graph[v], key=lambda u: (-len(graph[u]), u)):
            if all(u in graph[w] for w in clique):
                clique.append(u)
        if len(clique) > len(best):
            best = clique
    return best


def _colour(graph: Mapping[int, set[int]], caps: list[int], budget: int) -> dict[int, int] | None:
    """Tables for the people in `graph` keeping neighbours apart within capacities, by
    DSATUR-style backtracking; None when proved impossible; raises _OutOfBudget."""
    people = sorted(graph)
    if not people:
        return {}
    tables = range(len(caps))
    load = [0] * len(caps)
    seen = {v: [0] * len(caps) for v in people}  # neighbours already at each table
    colour: dict[int, int] = {}
    nodes = 0

    def pick() -> int:
        best, best_key = -1, None
        for v in people:
            if v in colour:
                continue
            sv = seen[v]
            key = (sum(1 for t in tables if sv[t]), len(graph[v]), -v)
            if best_key is None or key > best_key:
                best, best_key = v, key
        return best

    def options(v: int) -> list[int]:
        out, empty_caps = [], set()
        for t in tables:
            if seen[v][t] or load[t] >= caps[t]:
                continue
            if load[t] == 0:  # empty tables of one size are interchangeable
                if caps[t] in empty_caps:
                    continue
                empty_caps.add(caps[t])
            out.append(t)
        return out

    def assign(v: int, t: int, sign: int) -> None:
        load[t] += sign
        for u in graph[v]:
            seen[u][t] += sign

    stack: list[tuple[int, list[int], int]] = []
    v = pick()
    stack.append((v, options(v), 0))
    while stack:
        v, opts, k = stack[-1]
        if v in colour:
            assign(v, colour.pop(v), -1)
        if k >= len(opts):
            stack.pop()
            continue
        nodes += 1
        if nodes > budget:
            raise _OutOfBudget
        stack[-1] = (v, opts, k + 1)
        colour[v] = opts[k]
        assign(v, opts[k], 1)
        if len(colour) == len(people):
            return colour
        u = pick()
        stack.append((u, options(u), 0))
    return None


class _OutOfBudget(Exception):
    pass


def _must_not_seatings(
    problem: _Problem, must_pairs: list[tuple[int, int]], effort: float
) -> list[dict[int, int] | None]:
    """Per slot, tables for the people in must-not pairs that keep every pair apart (None
    when the search ran out of budget). Raises AssignmentImpossible only with a proof."""
    out: list[dict[int, int] | None] = []
    ids = problem.ids
    budget = max(1000, int(effort * 50_000))
    for slot, present in zip(problem.slots, problem.present, strict=True):
        seats = slot.seats
        if len(present) > seats:
            raise AssignmentImpossible(
                f"slot {slot.id!r}: {len(present)} attendees present but only {seats} seats"
            )
        here = set(present)
        graph: dict[int, set[int]] = {}
        for i, j in must_pairs:
            if i in here and j in here:
                graph.setdefault(i, set()).add(j)
                graph.setdefault(j, set()).add(i)
        if not graph:
            out.append({})
            continue
        usable = [t for t, table in enumerate(slot.tables) if table.seats > 0]
        if len(usable) == 1:
            i, j = min(_pair_key(a, b) for a in graph for b in graph[a])
            raise AssignmentImpossible(
                f"slot {slot.id!r} has a single table but {ids[i]!r} and {ids[j]!r} "
                "must not sit together"
            )
        clique = _clique(graph)
        if len(clique) > len(usable):
            raise AssignmentImpossible(
                f"slot {slot.id!r}: {_names(ids, clique)} are must-not pairs with one "
                f"another, each needing a table of their own, but there are only "
                f"{len(usable)} tables"
            )
        caps = [slot.tables[t].seats for t in usable]
        try:
            colour = _colour(graph, caps, budget)
        except _OutOfBudget:
            out.append(None)
            continue
        if colour is None:
            # name the smallest group of people that cannot be kept apart on its own
            culprits = sorted(graph)
            for part in _components(graph):
                try:
                    alone = _colour({v: graph[v] for v in part}, caps, budget)
                except _OutOfBudget:
                    continue
                if alone is None and len(part) < len(culprits):
                    culprits = sorted(part)
            raise AssignmentImpossible(
                f"slot {slot.id!r}: with {len(usable)} tables there is no way to keep every "
                f"must-not pair among {_names(ids, culprits)} apart"
            )
        out.append({a: usable[t] for a, t in colour.items()})
    return out


def _components(graph: Mapping[int, set[int]]) -> list[set[int]]:
    left, parts = set(graph), []
    for v in sorted(graph):
        if v not in left:
            continue
        part, todo = {v}, [v]
        left.discard(v)
        while todo:
            for u in graph[todo.pop()]:
                if u in left:
                    left.discard(u)
                    part.add(u)
                    todo.append(u)
        parts.append(part)
    return parts


def _field(q: int) -> tuple[list[list[int]], list[list[int]]] | None:
    """Addition and multiplication tables of the finite field of order q (q a prime power
    up to 64), or None: elements are polynomials over GF(p) written in base p."""
    if q < 2 or q > 64:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    k, rest = 0, q
    while rest % p == 0:
        rest //= p
        k += 1
    if rest != 1:
        return None

    def digits(x: int) -> list[int]:
        return [(x // p**i) % p for i in range(k)]

    def number(ds: Sequence[int]) -> int:
        return sum(d * p**i for i, d in enumerate(ds))

    add = [
        [number([(x + y) % p for x, y in zip(digits(a), digits(b), strict=True)]) for b in range(q)]
        for a in range(q)
    ]
    for low in range(q):  # monic x^k + low(x): keep the first that gives a field
        modulus = digits(low)
        mul = [[0] * q for _ in range(q)]
        for a in range(q):
            for b in range(q):
                prod = [0] * (2 * k)
                for i, x in enumerate(digits(a)):
                    for j, y in enumerate(digits(b)):
                        prod[i + j] = (prod[i + j] + x * y) % p
                for i in range(2 * k - 1, k - 1, -1):  # x^k = -low(x)
                    c, prod[i] = prod[i], 0
                    for j, m in enumerate(modulus):
                        prod[i - k + j] = (prod[i - k + j] - c * m) % p
                mul[a][b] = number(prod[:k])
        if all(any(mul[a][b] == 1 for b in range(1, q)) for a in range(1, q)):
            return add, mul
    return None


def _cyclic_design(g: int, s: int, w: int, budget: int) -> list[list[int]] | None:
    """w rounds (person -> table) of g tables of s where no pair meets twice, developed from
    b base rounds by the cyclic group of order m = w / b: people are c classes of m points
    plus f fixed ones, and shift r adds r (mod m) to every point but the fixed. A
    backtracking search looks for base rounds whose differences make each pair meet at most
    once; None when none is found within `budget` nodes per shape tried."""
    n = g * s
    if w < 2 or s < 2:
        return None
    for b in range(1, w + 1):
        m = w // b
        if w % b or m < 2:
            continue
        for f in range(g + 1):
            if (n - f) % m:
                continue
            c = (n - f) // m
            base = _base_rounds(c, m, f, g, s, b, budget)
            if base is None:
                continue
            rounds = []
            for tables in base:
                for r in range(m):
                    where = [0] * n
                    for t, people in enumerate(tables):
                        for p in people:
                            where[p if p >= c * m else p - p % m + (p % m + r) % m] = t
                    rounds.append(where)
            return rounds
    return None


def _base_rounds(
    c: int, m: int, f: int, g: int, s: int, b: int, budget: int
) -> list[list[list[int]]] | None:
    n = c * m + f

    def key(p: int, q: int) -> tuple | None:
        """What pair p < q uses up in the base rounds (None: may never share a table)."""
        if q >= c * m:
            return None if p >= c * m else ("fixed", q, p // m)
        i, x = divmod(p, m)
        j, y = divmod(q, m)
        if i == j:
            d = (y - x) % m
            return None if 2 * d % m == 0 else ("same", i, min(d, m - d))
        return ("across", i, j, (y - x) % m)

    used: set[tuple] = set()
    rounds: list[list[list[int]]] = [[] for _ in range(b)]
    placed = [[False] * n for _ in range(b)]
    nodes = 0

    def fill(r: int) -> bool:
        nonlocal nodes
        if r == b:
            return True
        tables, here = rounds[r], placed[r]
        if len(tables) == g and len(tables[-1]) == s:
            return fill(r + 1)
        if not tables or len(tables[-1]) == s:
            first = here.index(False)  # each table starts with the first person left
            here[first] = True
            tables.append([first])
            if fill(r):
                return True
            tables.pop()
            here[first] = False
            return False
        table = tables[-1]
        for q in range(table[-1] + 1, n):
            if here[q]:
                continue
            keys = [key(p, q) for p in table]
            if any(k is None or k in used for k in keys) or len(set(keys)) < len(keys):
                continue
            nodes += 1
            if nodes > budget:
                raise _OutOfBudget
            used.update(keys)
            here[q] = True
            table.append(q)
            if fill(r):
                return True
            table.pop()
            here[q] = False
            used.difference_update(keys)
        return False

    try:
        return rounds if fill(0) else None
    except _OutOfBudget:
        return None


def _design(problem: _Problem, met_pairs: list, must_pairs: list, effort: float) -> list[list[int]]:
    """Rounds of a design where no pair meets twice, for as many slots as it covers: the
    affine one where it fits, else (nobody with a colleague) the cyclic construction."""
    affine = _affine_design(problem, met_pairs, must_pairs)
    slots, n = problem.slots, len(problem.ids)
    if len(affine) >= len(slots) or met_pairs or must_pairs or len(set(problem.org)) != n:
        return affine
    if any(problem.present[k] != list(range(n)) for k in range(len(slots))):
        return affine
    caps = {t.seats for slot in slots for t in slot.tables}
    g = len(slots[0].tables)
    if len(caps) != 1 or any(len(slot.tables) != g for slot in slots) or n != g * min(caps):
        return affine
    cyclic = _cyclic_design(g, min(caps), len(slots), max(1000, int(effort * 50_000)))
    return cyclic if cyclic is not None else affine


def _affine_design(problem: _Problem, met_pairs: list, must_pairs: list) -> list[list[int]]:
    """Rounds of a resolvable design, person -> table, for g tables of s seats with s <= g
    and g a prime power: in round r, the person in row i, column j sits at table i*r + j
    (field arithmetic), so two people meet at most once; with s = g (or s dividing g and
    no colleagues) one more round seats each row together. Only when every slot has that
    shape, nobody is absent and there is no history or must-not list to respect; empty
    otherwise. Colleagues share a row, so they never meet in the first g rounds."""
    slots = problem.slots
    n = len(problem.ids)
    if (
        not slots
        or met_pairs
        or must_pairs
        or any(problem.present[k] != list(range(n)) for k in range(len(slots)))
    ):
        return []
    caps = {t.seats for slot in slots for t in slot.tables}
    g = len(slots[0].tables)
    if len(caps) != 1 or any(len(slot.tables) != g for slot in slots):
        return []
    s = caps.pop()
    if s < 2 or s > g or n != g * s:
        return []
    field_tables = _field(g)
    if field_tables is None:
        return []
    add, mul = field_tables
    members: dict[int, list[int]] = {}
    for a in range(n):
        members.setdefault(problem.org[a], []).append(a)
    rows: list[list[int]] = [[] for _ in range(s)]
    for group in sorted(members.values(), key=lambda m: (-len(m), m[0])):
        row = min(range(s), key=lambda i: (len(rows[i]), i))
        if len(rows[row]) + len(group) > g:
            return []
        rows[row].extend(group)
    rounds = []
    for r in range(g):
        where = [0] * n
        for i, row in enumerate(rows):
            for j, a in enumerate(row):
                where[a] = add[mul[i][r]][j]
        rounds.append(where)
    if g % s == 0 and all(len(m) == 1 for m in members.values()):
        where = [0] * n
        for i, row in enumerate(rows):
            for j, a in enumerate(row):
                where[a] = (i * g + j) // s
        rounds.append(where)
    return rounds[: len(slots)]


class _Schedule:
    """Every slot at once, Dotú and Van Hentenryck's way for social golfers: swap (or move)
    a person in conflict with anyone at another table of the same slot, best move first,
    recent moves tabu unless they beat the best seating seen, and a restart from the best
    seating with a few random swaps when progress stalls. Pair meetings are counted over the
    whole schedule, so a repeat can be undone in whichever slot is cheapest.

    `conn[k][a][t]` sums, over the people at table t in slot k, what sitting with them
    weighs for a (twice the pair's meetings so far, and the must-not weight): with it any
    swap's cost change takes a few lookups, and a step can weigh every seat of a slot."""

    def __init__(
        self,
        problem: _Problem,
        seatings: list[list[list[int]]],
        met_pairs: list[tuple[int, int]],
        must_pairs: list[tuple[int, int]],
        rng: random.Random,
    ) -> None:
        n = len(problem.ids)
        self.n, self.org, self.rng = n, problem.org, rng
        self.caps = [[t.seats for t in slot.tables] for slot in problem.slots]
        self.present = problem.present
        self.must: list[set[int]] = [set() for _ in range(n)]
        for i, j in must_pairs:
            self.must[i].add(j)
            self.must[j].add(i)
        self.met_pairs = met_pairs
        largest = max((len(p) for p in problem.present), default=0)
        # people in conflict weighed per step: every one of them in small slots
        self.breadth = max(1, 6000 // max(1, largest))
        self.stall_limit = min(1500, 50 + 10 * largest)
        self.tenure, self.tenure_spread = 4, 5
        # restarts in a row that find nothing better before giving up: many when cheap
        self.patience = max(4, 300 // max(1, largest))
        self.floor = []
        for present, caps in zip(problem.present, self.caps, strict=True):
            counts: dict[int, int] = {}
            for a in present:
                counts[self.org[a]] = counts.get(self.org[a], 0) + 1
            usable = sum(1 for c in caps if c > 0)
            self.floor.append(sum(_even_pairs(k, usable) for k in counts.values()))
        self._load(seatings)

    def _load(self, seatings: list[list[list[int]]]) -> None:
        n, org, must = self.n, self.org, self.must
        self.seats = [[list(people) for people in tables] for tables in seatings]
        self.table_of = []
        self.org_count = []
        self.org_pairs = []
        meet: list[dict[int, int]] = [{} for _ in range(n)]
        for i, j in self.met_pairs:
            meet[i][j] = meet[j][i] = 1
        self.meet = meet
        self.cost = 0
        for tables in self.seats:
            where = [-1] * n
            counts = []
            pairs = 0
            for t, people in enumerate(tables):
                oc: dict[int, int] = {}
                for x, a in enumerate(people):
                    where[a] = t
                    pairs += oc.get(org[a], 0)
                    oc[org[a]] = oc.get(org[a], 0) + 1
                    for b in people[x + 1 :]:
                        meet[a][b] = meet[b][a] = meet[a].get(b, 0) + 1
                        if b in must[a]:
                            self.cost += _W_MUST
                counts.append(oc)
            self.table_of.append(where)
            self.org_count.append(counts)
            self.org_pairs.append(pairs)
            self.cost += _W_ORG * pairs
        self.cost += _W_PAIR * sum(m * m for row in meet for m in row.values()) // 2
        self.conn: list[dict[int, list[int]]] = []
        for k, tables in enumerate(self.seats):
            where = self.table_of[k]
            rows = {}
            for a in self.present[k]:
                row = [0] * len(tables)
                for c, m in meet[a].items():
                    if where[c] >= 0:
                        row[where[c]] += 2 * _W_PAIR * m
                for c in must[a]:
                    if where[c] >= 0:
                        row[where[c]] += _W_MUST
                rows[a] = row
            self.conn.append(rows)
        self.candidates: list[int] = []
        self.slot_of_candidate: dict[int, int] = {}
        for k in range(len(self.seats)):
            for a in self.present[k]:
                if self.conflicted(k, a):
                    self._candidate(k, a)

    def _meet(self, a: int, c: int, change: int) -> None:
        """One meeting more or less for a and c, everywhere it weighs."""
        meet = self.meet
        m = meet[a].get(c, 0)
        self.cost += _W_PAIR * (2 * m + 1 if change > 0 else 1 - 2 * m)
        if m + change:
            meet[a][c] = meet[c][a] = m + change
        else:
            del meet[a][c], meet[c][a]
        w = 2 * _W_PAIR * change
        for k, where in enumerate(self.table_of):
            ta, tc = where[a], where[c]
            if ta >= 0 and tc >= 0:
                rows = self.conn[k]
                rows[a][tc] += w
                rows[c][ta] += w
                if m + change == 2 and ta == tc:  # now meeting twice: a conflict there too
                    self._candidate(k, a)
                    self._candidate(k, c)

    def _candidate(self, k: int, a: int) -> None:
        key = k * self.n + a
        if key not in self.slot_of_candidate:
            self.slot_of_candidate[key] = len(self.candidates)
            self.candidates.append(key)

    def _drop(self, key: int) -> None:
        i = self.slot_of_candidate.pop(key)
        last = self.candidates.pop()
        if last != key:
            self.candidates[i] = last
            self.slot_of_candidate[last] = i

    def conflicted(self, k: int, a: int) -> bool:
        """Sits with someone met before (here or elsewhere), a must-not partner, or a
        colleague while the slot has more colleague pairs than the numbers force."""
        t = self.table_of[k][a]
        if self.org_pairs[k] > self.floor[k] and self.org_count[k][t][self.org[a]] > 1:
            return True
        return self.conn[k][a][t] > 2 * _W_PAIR * (len(self.seats[k][t]) - 1)

    def _shift(self, k: int, a: int, source: int, target: int) -> None:
        seats, must_a = self.seats[k], self.must[a]
        seats[source].remove(a)
        for c in seats[source]:
            self._meet(a, c, -1)
            if c in must_a:
                self.cost -= _W_MUST
        where, rows = self.table_of[k], self.conn[k]
        for c, m in self.meet[a].items():
            if where[c] >= 0:
                row = rows[c]
                row[source] -= 2 * _W_PAIR * m
                row[target] += 2 * _W_PAIR * m
        for c in must_a:
            if where[c] >= 0:
                row = rows[c]
                row[source] -= _W_MUST
                row[target] += _W_MUST
        where[a] = target
        oa = self.org[a]
        oc = self.org_count[k]
        oc[source][oa] -= 1
        self.org_pairs[k] -= oc[source][oa]
        self.cost -= _W_ORG * oc[source][oa]
        gained = oc[target].get(oa, 0)
        self.org_pairs[k] += gained
        self.cost += _W_ORG * gained
        oc[target][oa] = gained + 1
        for c in seats[target]:
            self._meet(a, c, 1)
            if c in must_a:
                self.cost += _W_MUST
        seats[target].append(a)

    def apply(self, k: int, a: int, t: int, b: int) -> None:
        ta = self.table_of[k][a]
        above = self.org_pairs[k] > self.floor[k]
        self._shift(k, a, ta, t)
        if b >= 0:
            self._shift(k, b, t, ta)
        if not above and self.org_pairs[k] > self.floor[k]:
            for x in self.present[k]:
                self._candidate(k, x)
        for x in self.seats[k][ta] + self.seats[k][t]:
            self._candidate(k, x)  # checked when drawn

    def _best(self, k: int, a: int, tabu: dict, step: int, slack: int) -> tuple[int, int, int]:
        """The best move or swap for a in slot k, skipping tabu ones unless they beat the best
        cost seen (slack = current cost - best cost): (cost change, table, partner or -1)."""
        seats, caps, where, rows = self.seats[k], self.caps[k], self.table_of[k], self.conn[k]
        org, oc = self.org, self.org_count[k]
        ta = where[a]
        row_a, meet_a, must_a = rows[a], self.meet[a], self.must[a]
        oa = org[a]
        oc_a = oc[ta]
        stay = row_a[ta]
        size_a = len(seats[ta]) - 1
        best, best_t, best_b, ties = None, -1, -1, 0
        rng = self.rng
        w_pair, w_pair2, w_org = _W_PAIR, 2 * _W_PAIR, _W_ORG
        for t in range(len(seats)):
            if t == ta:
                continue
            a_tabu = tabu.get((k, a, t), -1) > step
            oc_t = oc[t]
            people = seats[t]
            st = len(people)
            a_joins = row_a[t] - stay
            org_a = oc_t.get(oa, 0) - oc_a[oa]
            if st < caps[t]:
                d = a_joins + w_pair * (st + size_a) + w_org * (org_a + 1)
                if not a_tabu or d < -slack:
                    if best is None or d < best:
                        best, best_t, best_b, ties = d, t, -1, 1
                    elif d == best:
                        ties += 1
                        if rng.random() * ties < 1:
                            best_t, best_b = t, -1
            base = a_joins + w_pair2 * (size_a + st - 1)
            for b in people:
                row_b = rows[b]
                d = base + row_b[ta] - row_b[t]
                m = meet_a.get(b)
                if m:
                    d -= 2 * w_pair2 * m
                if must_a and b in must_a:
                    d -= 2 * _W_MUST
                ob = org[b]
                if ob != oa:
                    d += w_org * (org_a + oc_a.get(ob, 0) - oc_t[ob] + 2)
                if best is not None and d > best:
                    continue  # most swaps: no need to ask whether they are tabu
                if d >= -slack and (a_tabu or tabu.get((k, b, ta), -1) > step):
                    continue
                if best is None or d < best:
                    best, best_t, best_b, ties = d, t, b, 1
                elif d == best:
                    ties += 1
                    if rng.random() * ties < 1:
                        best_t, best_b = t, b
        return (0 if best is None else best), best_t, best_b

    def search(self, budget: int) -> None:
        """Tabu search until nothing is in conflict or `budget` seats have been weighed; ends
        on the best seating seen."""
        if not self.candidates or budget <= 0:
            return
        rng = self.rng
        best_cost, best_seats = self.cost, [[list(p) for p in tables] for tables in self.seats]
        tabu: dict[tuple[int, int, int], int] = {}
        step = stalled = looked = fruitless = 0
        restarted_at = best_cost
        while looked < budget and self.candidates:
            step += 1
            move = None
            drawn = (
                list(self.candidates)
                if len(self.candidates) <= self.breadth
                else [
                    self.candidates[rng.randrange(len(self.candidates))]
                    for _ in range(self.breadth)
                ]
            )
            for key in drawn:
                if key not in self.slot_of_candidate:
                    continue
                k, a = divmod(key, self.n)
                if not self.conflicted(k, a):
                    self._drop(key)
                    continue
                d, t, b = self._best(k, a, tabu, step, self.cost - best_cost)
                looked += len(self.present[k])
                if t >= 0 and (move is None or d < move[0]):
                    move = (d, k, a, t, b)
            if move is None:
                continue
            d, k, a, t, b = move
            ta = self.table_of[k][a]
            tabu[(k, a, ta)] = step + self.tenure + rng.randrange(self.tenure_spread)
            if b >= 0:
                tabu[(k, b, t)] = step + self.tenure + rng.randrange(self.tenure_spread)
            self.apply(k, a, t, b)
            if self.cost < best_cost:
                best_cost, stalled = self.cost, 0
                best_seats = [[list(p) for p in tables] for tables in self.seats]
            else:
                stalled += 1
            if stalled > self.stall_limit and self.candidates:
                fruitless = fruitless + 1 if best_cost == restarted_at else 0
                if fruitless >= self.patience:
                    break  # restarts keep finding nothing better: leftovers are likely forced
                restarted_at = best_cost
                self._load(best_seats)
                self._shake(min(8, max(2, len(self.candidates) // 4)))
                tabu.clear()
                stalled = 0
        if self.cost > best_cost:
            self._load(best_seats)

    def anneal(self, steps: int, hot: float, cold: float) -> None:
        """Random swaps within a slot, accepted by the Metropolis rule at a temperature that
        falls from `hot` to `cold` repeats' worth; ends on the best seating seen."""
        if steps <= 0 or not self.candidates:
            return
        rng = self.rng
        rand, randrange, exp = rng.random, rng.randrange, math.exp
        slots = [k for k, p in enumerate(self.present) if len(p) > 1 and len(self.seats[k]) > 1]
        if not slots:
            return
        best_cost = self.cost
        best_seats = [[list(p) for p in tables] for tables in self.seats]
        temp = hot * 2 * _W_PAIR
        cool = (cold / hot) ** (1.0 / steps)
        org, meet, must = self.org, self.meet, self.must
        w_pair2, w_org = 2 * _W_PAIR, _W_ORG
        for _ in range(steps):
            temp *= cool
            k = slots[randrange(len(slots))]
            present = self.present[k]
            a = present[randrange(len(present))]
            b = present[randrange(len(present))]
            where = self.table_of[k]
            ta, tb = where[a], where[b]
            if ta == tb:
                continue
            rows = self.conn[k]
            row_a, row_b = rows[a], rows[b]
            seats = self.seats[k]
            d = (
                row_a[tb]
                - row_a[ta]
                + row_b[ta]
                - row_b[tb]
                + w_pair2 * (len(seats[ta]) + len(seats[tb]) - 2 - 2 * meet[a].get(b, 0))
            )
            if b in must[a]:
                d -= 2 * _W_MUST
            oa, ob = org[a], org[b]
            if oa != ob:
                oc_a, oc_b = self.org_count[k][ta], self.org_count[k][tb]
                d += w_org * (oc_b.get(oa, 0) - oc_a[oa] + oc_a.get(ob, 0) - oc_b[ob] + 2)
            if d > 0 and (d > 20 * temp or rand() >= exp(-d / temp)):
                continue
            self.apply(k, a, tb, b)
            if self.cost < best_cost:
                best_cost = self.cost
                best_seats = [[list(p) for p in tables] for tables in self.seats]
        if self.cost > best_cost:
            self._load(best_seats)

    def _shake(self, swaps: int) -> None:
        """Random swaps of people in conflict, to leave a region the search keeps circling."""
        rng = self.rng
        for _ in range(swaps):
            k, a = divmod(self.candidates[rng.randrange(len(self.candidates))], self.n)
            ta = self.table_of[k][a]
            others = [b for b in self.present[k] if self.table_of[k][b] != ta]
            if not others:
                continue
            b = others[rng.randrange(len(others))]
            if not self.must[a] and not self.must[b]:
                self.apply(k, a, self.table_of[k][b], b)

    def must_not_together(self) -> int:
        return sum(
            1
            for tables in self.seats
            for people in tables
            for x, a in enumerate(people)
            for b in people[x + 1 :]
            if b in self.must[a]
        )


def plan_seating(
    attendees: Iterable[Attendee],
    slots: Iterable[Slot],
    met_before: Iterable[Sequence[Hashable]] = (),
    must_not: Iterable[Sequence[Hashable]] = (),
    seed: int = 0,
    effort: float = 1.0,
) -> Seating:
    """Seat every present attendee in every slot, planning all slots together.

    `met_before` and `must_not` are pairs of attendee ids; pairs naming someone not in
    `attendees` are ignored. The result depends only on the input, `seed` and `effort`
    (no clock), so a plan can be reproduced; `effort` scales the search budget: more time,
    fewer leftover repeats on hard instances.

    Raises `AssignmentImpossible` when a hard constraint provably cannot hold,
    `SeatingNotFound` (with the best seating found) when the search kept must-not pairs
    together but nothing proved that unavoidable, and ValueError for malformed input
    (an id listed twice, negative seats).
    """
    problem = _problem(attendees, slots)
    met_pairs = _pairs(met_before, problem.index, "met-before")
    must_pairs = _pairs(must_not, problem.index, "must-not")
    apart = _must_not_seatings(problem, must_pairs, effort)
    design = _design(problem, met_pairs, must_pairs, effort)
    n = len(problem.ids)
    org = problem.org
    n_orgs = len(problem.org_ids)

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

    # A first seating, slot by slot: a design's round where one fits, else a greedy
    # construction improved by moves within the slot.
    seatings: list[list[list[int]]] = []
    for k, (slot, present) in enumerate(zip(problem.slots, problem.present, strict=True)):
        caps = [t.seats for t in slot.tables]
        if k < len(design):
            seats: list[list[int]] = [[] for _ in caps]
            for a in present:
                seats[design[k][a]].append(a)
        else:
            extra = _extra_costs(present, org, met, cities_met, must_pairs, n)
            search = _SlotSearch(present, caps, org, n_orgs, extra, rng)
            if present:
                _search_slot(search, present, caps, must_degree, effort)
                if search.must_not_together() and apart[k]:
                    search = _SlotSearch(present, caps, org, n_orgs, extra, rng)
                    _search_slot(search, present, caps, must_degree, effort, apart[k])
            seats = search.seats
        seatings.append(seats)
        for people in seats:
            for x, a in enumerate(people):
                for b in people[x + 1 :]:
                    met[a][b] = met[a].get(b, 0) + 1
                    met[b][a] = met[b].get(a, 0) + 1
                    oa, ob = org[a], org[b]
                    if oa != ob:
                        cities_met[a][ob] = cities_met[a].get(ob, 0) + 1
                        cities_met[b][oa] = cities_met[b].get(oa, 0) + 1

    # Then the whole schedule at once, while anyone is in a conflict worth removing.
    schedule = _Schedule(problem, seatings, met_pairs, must_pairs, rng)
    schedule.search(_schedule_steps(problem, effort))
    result: SeatingTables = {
        slot.id: {
            table.id: [problem.ids[a] for a in schedule.seats[k][t]]
            for t, table in enumerate(slot.tables)
        }
        for k, slot in enumerate(problem.slots)
    }
    seating = Seating(tables=result, report=_report(problem, result, met_pairs))
    together = schedule.must_not_together()
    if together:
        raise SeatingNotFound(
            "no seating keeping every must-not pair apart was found in the time allowed; "
            f"the best one found has {together} such pair{'s' if together != 1 else ''} "
            "together",
            best=seating,
            pairs_together=together,
        )
    return seating


def _schedule_steps(problem: _Problem, effort: float) -> int:
    """The whole-schedule search's budget, in seats weighed (about a second per 3 million):
    less for small slots, where a leftover conflict is more likely forced."""
    largest = max((len(p) for p in problem.present), default=0)
    return int(effort * min(8_000_000, 100_000 * largest))


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
    fixed: Mapping[int, int] = {},
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
    search.construct(must_degree, fixed)
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
