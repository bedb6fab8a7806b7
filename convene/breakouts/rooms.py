"""Who sits in which breakout room: plain data in, plain data out, no database.

Over a year every city should have talked with every other, a few people at a time. A plan
is judged by one cost, summed over each pair of people in a room; the weights keep the
priorities apart, most important first:

1. two people who shared a room at the last call each of them attended (RECENT);
2. colleagues from one organisation (COLLEAGUES);
3. two partner people in one room while another room has none (PARTNERS: a cost per pair
   of partner people in a room, which is least when they are spread);
4. two cities that have met already: (m + 1)^2 - m^2 = 2m + 1 for a pair that met m
   (tie strength), so an unmet pair is the cheapest and meetings even out over a year;
5. a person moved away from the room they had (MOVE), so a re-plan changes little.

Rooms are filled greedily, hardest people first, then improved by local search: swaps of
two people between rooms and moves from a bigger room to a smaller one, each judged by its
change in cost alone, restarted from a few perturbed plans; the best plan wins. Everything
random comes from one seeded generator, so a plan is the same for the same input.

The benchmark (bench/bench_breakouts.py) and the database glue (planning.py) both call
these functions and nothing else.
"""

import math
import random
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

RECENT = 1_000_000.0
COLLEAGUES = 100_000.0
PARTNERS = 10_000.0
MOVE = 1.0

ROUNDS = 6  # perturbed restarts of the local search
KICK = 0.15  # share of people swapped at random before each restart


class Person(NamedTuple):
    id: int
    organisation_id: int
    is_partner: bool = False


Pair = frozenset[int]


def room_count(people: int, *, count: int | None = None, size: int | None = None,
               most: int = 100) -> int:  # fmt: skip
    """The number of rooms for `people`: the host's count, or enough rooms of `size`; at
    least one, at most `most`."""
    if count is not None:
        return max(1, min(most, count))
    if not size:
        return 1
    return max(1, min(most, math.ceil(people / size)))


def pair_cost(a: Person, b: Person, met: Mapping[Pair, float], recent: Collection[Pair]) -> float:
    """What putting `a` and `b` in one room costs."""
    cost = 0.0
    if frozenset((a.id, b.id)) in recent:
        cost += RECENT
    if a.organisation_id == b.organisation_id:
        return cost + COLLEAGUES
    if a.is_partner and b.is_partner:
        cost += PARTNERS
    if a.is_partner or b.is_partner:
        return cost  # partners run the rooms; only cities count as meeting
    m = met.get(frozenset((a.organisation_id, b.organisation_id)), 0.0)
    return cost + 2 * m + 1


class _Plan:
    """The working state of one plan: rooms as lists of people's indices."""

    def __init__(self, people, count, met, recent, current, fixed):
        self.people = people
        self.n = len(people)
        self.count = count
        index = {p.id: i for i, p in enumerate(people)}
        self.cost = [[0.0] * self.n for _ in range(self.n)]
        for i, a in enumerate(people):
            row = self.cost[i]
            for j in range(i + 1, self.n):
                row[j] = self.cost[j][i] = pair_cost(a, people[j], met, recent)
        self.home = [current.get(p.id) for p in people]  # the room each had, if any
        self.fixed = [fixed.get(p.id) for p in people]
        self.index = index

    def move_cost(self, i: int, room: int) -> float:
        home = self.home[i]
        return MOVE if home is not None and home != room else 0.0

    def total(self, rooms: list[list[int]]) -> float:
        total = 0.0
        for r, members in enumerate(rooms):
            for x, i in enumerate(members):
                total += self.move_cost(i, r)
                row = self.cost[i]
                for j in members[x + 1 :]:
                    total += row[j]
        return total

    def with_room(self, i: int, members: list[int], without: int = -1) -> float:
        row = self.cost[i]
        return sum(row[j] for j in members if j != i and j != without)


def _greedy(plan: _Plan, rng: random.Random) -> list[list[int]]:
    """Fixed people first, then each in the cheapest room with space: people who had a room
    first (they keep it unless another is cheaper), then partners and people of big
    organisations (the most to avoid), the rest in a seeded order."""
    count, n = plan.count, plan.n
    rooms: list[list[int]] = [[] for _ in range(count)]
    free = []
    for i in range(n):
        if plan.fixed[i] is not None and plan.fixed[i] < count:
            rooms[plan.fixed[i]].append(i)
        else:
            free.append(i)
    org_size: dict[int, int] = {}
    for p in plan.people:
        org_size[p.organisation_id] = org_size.get(p.organisation_id, 0) + 1
    rng.shuffle(free)
    free.sort(
        key=lambda i: (
            plan.home[i] is None,
            not plan.people[i].is_partner,
            -org_size[plan.people[i].organisation_id],
        )
    )
    # Sizes q or q + 1, `extra` rooms of q + 1; which rooms are the bigger is left open.
    q, extra = divmod(n, count)
    for i in free:
        bigger = sum(1 for room in rooms if len(room) > q)
        open_rooms = [
            r for r in range(count)
            if len(rooms[r]) < q or (len(rooms[r]) == q and bigger < extra)
        ]  # fmt: skip
        if not open_rooms:  # fixed people overfilled some rooms: the emptiest take the rest
            least = min(len(room) for room in rooms)
            open_rooms = [r for r in range(count) if len(rooms[r]) == least]
        best = min(open_rooms, key=lambda r: plan.with_room(i, rooms[r]) + plan.move_cost(i, r))
        rooms[best].append(i)
    return rooms


def _improve(plan: _Plan, rooms: list[list[int]]) -> None:
    """Moves and swaps while any lowers the cost (first improvement, in a fixed order)."""
    count, cost, move_cost = plan.count, plan.cost, plan.move_cost
    where = [0] * plan.n
    for r, members in enumerate(rooms):
        for i in members:
            where[i] = r
    movable = [i for i in range(plan.n) if plan.fixed[i] is None or plan.fixed[i] >= count]
    # Each person's cost with each room's people, kept up to date as people move.
    with_room = [[plan.with_room(i, rooms[r]) for r in range(count)] for i in range(plan.n)]

    def shift(i: int, src: int, dst: int) -> None:
        rooms[src].remove(i)
        rooms[dst].append(i)
        where[i] = dst
        row = cost[i]
        for k in range(plan.n):
            c = row[k]
            if c:
                with_room[k][src] -= c
                with_room[k][dst] += c

    improved = True
    while improved:
        improved = False
        for x, i in enumerate(movable):
            a = where[i]
            wi = with_room[i]
            moved = False
            for b in range(count):
                gap = len(rooms[a]) - len(rooms[b])
                if b == a or gap < 1:
                    continue
                # From a bigger room to a smaller keeps sizes within one; a gap of two or
                # more (rooms overfilled by hand) is closed whatever it costs.
                if gap >= 2 or wi[b] + move_cost(i, b) < wi[a] + move_cost(i, a) - 1e-9:
                    shift(i, a, b)
                    moved = improved = True
                    break
            if moved:
                continue
            for j in movable[x + 1 :]:
                b = where[j]
                if b == a:
                    continue
                cij = cost[i][j]
                wj = with_room[j]
                delta = (
                    wi[b] - cij + move_cost(i, b) + wj[a] - cij + move_cost(j, a)
                    - wi[a] - move_cost(i, a) - wj[b] - move_cost(j, b)
                )  # fmt: skip
                if delta < -1e-9:
                    shift(i, a, b)
                    shift(j, b, a)
                    improved = True
                    a = b


def _kick(plan: _Plan, rooms: list[list[int]], rng: random.Random) -> list[list[int]]:
    """A copy with a share of movable people swapped at random, to leave a local minimum."""
    rooms = [list(r) for r in rooms]
    count = plan.count
    if count < 2:
        return rooms
    movable = {i for i in range(plan.n) if plan.fixed[i] is None or plan.fixed[i] >= count}
    for _ in range(max(1, int(plan.n * KICK))):
        a, b = rng.sample(range(count), 2)
        left = [i for i in rooms[a] if i in movable]
        right = [i for i in rooms[b] if i in movable]
        if not left or not right:
            continue
        i, j = rng.choice(left), rng.choice(right)
        rooms[a][rooms[a].index(i)] = j
        rooms[b][rooms[b].index(j)] = i
    return rooms


def plan_rooms(
    people: Sequence[Person],
    room_count: int,
    met: Mapping[Pair, float],
    recent_pairs: Collection[Pair],
    seed: int = 0,
    *,
    current: Mapping[int, int] | None = None,
    fixed: Mapping[int, int] | None = None,
    rounds: int = ROUNDS,
) -> list[list[int]]:
    """The rooms for one call, as lists of people's ids (room i + 1 at index i).

    `met` is how often two cities met (by organisation ids), `recent_pairs` the people who
    shared a room at their previous call. `current` is the room index each person has now,
    if any (a re-plan moves as few as it can); `fixed` the rooms people were put in by hand,
    which they keep."""
    people = [Person(*p) for p in people]
    room_count = max(1, room_count)
    if not people:
        return [[] for _ in range(room_count)]
    rng = random.Random(seed)
    plan = _Plan(people, room_count, met, recent_pairs, current or {}, fixed or {})
    rooms = _greedy(plan, rng)
    _improve(plan, rooms)
    best, best_cost = [list(r) for r in rooms], plan.total(rooms)
    for _ in range(rounds):
        if best_cost < 1e-9 or room_count < 2:
            break
        rooms = _kick(plan, best, rng)
        _improve(plan, rooms)
        cost = plan.total(rooms)
        if cost < best_cost - 1e-9:
            best, best_cost = [list(r) for r in rooms], cost
    return [sorted((people[i].id for i in room), key=lambda pid: plan.index[pid]) for room in best]


def cost_of(person: Person, room: Sequence[Person], met, recent_pairs) -> float:
    """What `person` costs with the people of `room` (themselves aside)."""
    return sum(pair_cost(person, p, met, recent_pairs) for p in room if p.id != person.id)


def place_late(
    rooms: Sequence[Sequence[Person]],
    person: Person,
    met: Mapping[Pair, float],
    recent_pairs: Collection[Pair],
) -> int:
    """The room (index) a late arrival joins: the cheapest of the smallest rooms, so sizes
    stay within one and nobody else moves."""
    person = Person(*person)
    smallest = min(len(r) for r in rooms)
    candidates = [r for r, room in enumerate(rooms) if len(room) == smallest]
    return min(candidates, key=lambda r: (cost_of(person, rooms[r], met, recent_pairs), r))


def leave(
    rooms: Sequence[Sequence[Person]],
    person_id: int,
    met: Mapping[Pair, float] | None = None,
    recent_pairs: Collection[Pair] = (),
    fixed: Collection[int] = (),
) -> list[tuple[int, int, int]]:
    """The moves, (person id, from room, to room), that keep sizes within one once
    `person_id` leaves: none, or one person from a biggest room to the room left short,
    the one who costs least there. People in `fixed` (placed by hand) are not moved."""
    met = met or {}
    sizes = [len([p for p in room if p.id != person_id]) for room in rooms]
    if not sizes or max(sizes) - min(sizes) <= 1:
        return []
    short = min(range(len(rooms)), key=lambda r: (sizes[r], r))
    target = [p for p in rooms[short] if p.id != person_id]
    best = None
    for r, room in enumerate(rooms):
        if sizes[r] != max(sizes):
            continue
        for p in room:
            if p.id == person_id or p.id in fixed:
                continue
            p = Person(*p)
            gain = cost_of(p, target, met, recent_pairs) - cost_of(p, room, met, recent_pairs)
            key = (gain, r, p.id)
            if best is None or key < best[0]:
                best = (key, p.id, r)
    if best is None:
        return []
    return [(best[1], best[2], short)]
