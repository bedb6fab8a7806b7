"""How strongly two cities are tied: the ledger's answer to "which cities have met, how, when".

Tie strength is the sum of the weights of the occasions two cities shared:

- a visit weighs 8: days spent together on one problem, arranged on purpose;
- a summit table weighs 3: a meal at one table of six to ten people;
- a breakout room weighs 2: a quarter of an hour's talk in a room of four or five people,
  on video, recorded by the host as having happened;
- a social session weighs 1.5: a reception or a tour both signed up to, in person but in a crowd;
- a call weighs 1: an hour on video among a dozen cities.

So a visit outweighs two shared tables, and a table outweighs two calls. Two cities are
*strongly tied* from STRONG_TIE up: a visit, or for instance two tables and two calls. The
summit's seating counts people from strongly tied cities as having met already, and visit
suggestions favour cities with weaker ties.

Calls, breakout rooms, tables and social sessions count once they have started, visits once
held (marked so, or their last day over). Tables and sessions still ahead are listed on a
city's page as planned, and weigh nothing yet; a visit still ahead is not shown at all (its
details are its cities' until it has happened), but `city_ties`, which only the visit
suggestions and the seating read, counts it from its approval, so a city is not steered to a
tie it is making.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import sqlalchemy as sa

from convene.accounts.models import Organisation, OrganisationKind
from convene.extensions import db
from convene.ledger.sources import (
    SOURCES,
    Interaction,
    Kind,
    count_kind,
    day_of,
    describe,
    occasions_with,
    pair_counts,
    presence_rows,
)
from convene.types import utcnow
from convene.zones import localize

WEIGHTS: dict[Kind, float] = {
    Kind.VISIT: 8.0,
    Kind.TABLE: 3.0,
    Kind.BREAKOUT: 2.0,
    Kind.SOCIAL: 1.5,
    Kind.CALL: 1.0,
}
STRONG_TIE = 8.0  # a visit's weight; visit suggestions count a tie's bonus down to it

# The kinds in the order a tie is told: the strongest kind first.
ORDER = sorted(WEIGHTS, key=lambda k: -WEIGHTS[k])

Pair = frozenset[int]


def _instant(at: datetime | date) -> datetime:
    """An occasion's start as an instant: visits are days, read at noon UTC."""
    return at if isinstance(at, datetime) else datetime.combine(at, time(12), UTC)


NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Tie:
    """Two cities and what they shared, counted by kind; built with `add`."""

    cities: Pair
    counts: dict[Kind, int] = field(default_factory=dict)
    strength: float = 0.0
    last_at: datetime | date | None = None  # when the latest occasion started
    zone_name: str = "UTC"  # where `last_on` is read

    def add(self, kind: Kind, n: int = 1, at: datetime | date | None = None) -> "Tie":
        self.counts[kind] = self.counts.get(kind, 0) + n
        self.strength += WEIGHTS[kind] * n
        if at is not None and (self.last_at is None or _instant(at) > _instant(self.last_at)):
            self.last_at = at
        return self

    @property
    def last_on(self) -> date | None:
        return None if self.last_at is None else day_of(self.last_at, self.zone_name)

    @property
    def last_instant(self) -> datetime:
        return NEVER if self.last_at is None else _instant(self.last_at)

    @property
    def how(self) -> str:
        """ "1 visit, 2 summit tables, 3 calls" """
        return ", ".join(count_kind(k, self.counts[k]) for k in ORDER if self.counts.get(k))


def network_ties(
    zone_name: str,
    before: datetime | None = None,
    now: datetime | None = None,
    planned_visits: bool = False,
) -> dict[Pair, Tie]:
    """Every tie in the network, from one aggregate query per kind of occasion: what has
    happened by `now`. With `planned_visits`, approved visits still ahead count too; with
    `before`, only occasions that started before it (approved visits included)."""
    now = now or utcnow()
    today = localize(now, zone_name).date()
    ties: dict[Pair, Tie] = {}
    for kind in SOURCES:
        if before is not None:
            query = pair_counts(kind, before)
        elif kind == Kind.VISIT:
            query = pair_counts(kind, held_by=None if planned_visits else today)
        else:
            query = pair_counts(kind, now)
        for low, high, n, last in db.session.execute(query):
            pair = frozenset((low, high))
            tie = ties.get(pair)
            if tie is None:
                tie = ties[pair] = Tie(cities=pair, zone_name=zone_name)
            tie.add(kind, n, last)
    return ties


def city_ties(before: datetime | None = None) -> dict[Pair, float]:
    """Each pair of cities that has met, with its tie strength: what visit suggestions and the
    summit's seating read (approved visits count from their approval: they are arranged).
    Only occasions that started before `before` count, if given."""
    ties = network_ties("UTC", before=before, planned_visits=True)
    return {pair: tie.strength for pair, tie in ties.items()}


def strongest(ties: Iterable[Tie], limit: int | None = None) -> list[Tie]:
    """Strongest first; ties of equal strength by their most recent meeting, then by ids."""
    ordered = sorted(ties, key=lambda t: sorted(t.cities))
    ordered.sort(key=lambda t: (t.strength, t.last_instant), reverse=True)  # stable
    return ordered if limit is None else ordered[:limit]


def cities() -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrganisationKind.CITY)
            .order_by(Organisation.name)
        )
    )


# --- one city's ledger ---------------------------------------------------------------------


@dataclass
class Connection:
    """Another city and everything this city shared with it, most recent first."""

    city: Organisation
    interactions: list[Interaction]

    @property
    def tie(self) -> Tie:
        tie = Tie(cities=frozenset((self.city.id,)))
        for i in self.interactions:
            if i.counts:
                tie.add(i.kind, 1, i.on)
        return tie

    @property
    def strength(self) -> float:
        return self.tie.strength


@dataclass
class CityLedger:
    city: Organisation
    connections: list[Connection]  # by city name
    strongest: list[Connection]  # the few strongest ties
    never: list[Organisation]  # cities it has shared nothing with yet (plans aside)


STRONGEST_SHOWN = 5


def interactions(
    zone_name: str,
    city_id: int | None = None,
    now: datetime | None = None,
    names: Mapping[int, str] | None = None,
) -> dict[Pair, list[Interaction]]:
    """Each pair of cities with every occasion it shared, most recent first: a query per kind
    of occasion, for the whole network or (with `city_id`) the pairs of one city. Visits are
    those held; tables and sessions still ahead are listed as planned and do not count."""
    now = now or utcnow()
    today = localize(now, zone_name).date()
    found: dict[Pair, list[Interaction]] = defaultdict(list)
    for kind in SOURCES:
        query = (
            occasions_with(kind, city_id, held_by=today)
            if city_id is not None
            else presence_rows(kind, held_by=today)
        )
        by_occasion: dict[int, list] = defaultdict(list)
        for row in db.session.execute(query):
            by_occasion[row.occasion].append(row)
        for occasion, present in by_occasion.items():
            hosts = [r.org for r in present if getattr(r, "side", None) == "host"]
            first = present[0]
            on = day_of(first.at, zone_name)
            interaction = Interaction(
                kind=kind,
                on=on,
                what=describe(kind, first, names, hosts),
                occasion_id=occasion,
                is_planned=on > today,
                counts=kind == Kind.VISIT or first.at < now,
            )
            orgs = sorted({r.org for r in present})
            for i, one in enumerate(orgs):
                for other in orgs[i + 1 :]:
                    if city_id is None or city_id in (one, other):
                        found[frozenset((one, other))].append(interaction)
    for shared in found.values():
        shared.sort(key=lambda i: (i.on, i.what), reverse=True)
    return dict(found)


def city_ledger(
    city: Organisation, zone_name: str, now: datetime | None = None, all_cities=None
) -> CityLedger:
    """One city's connections: a query per kind of occasion, plus the list of cities."""
    everyone = all_cities if all_cities is not None else cities()
    by_id = {c.id: c for c in everyone}
    names = {c.id: c.name for c in everyone}
    found = {
        next(iter(pair - {city.id})): shared
        for pair, shared in interactions(zone_name, city.id, now, names).items()
    }
    connections = [
        Connection(city=by_id[other], interactions=shared)
        for other, shared in found.items()
        if other in by_id
    ]
    connections.sort(key=lambda c: c.city.name)
    ranked = sorted(connections, key=lambda c: c.city.name)
    ranked.sort(key=lambda c: (c.strength, c.tie.last_instant), reverse=True)
    met = {other for other, shared in found.items() if any(i.counts for i in shared)}
    never = [c for c in everyone if c.id != city.id and c.id not in met]
    return CityLedger(
        city=city,
        connections=connections,
        strongest=ranked[:STRONGEST_SHOWN],
        never=never,
    )


# --- the summit's seating ------------------------------------------------------------------


def people_from_tied_cities(
    people: Iterable[tuple[int, int]],
    ties: Mapping[Pair, float],
    threshold: float = STRONG_TIE,
) -> set[tuple[int, int]]:
    """Pairs of people (lower id first) whose cities are strongly tied, given (person id,
    city id) pairs: the seating counts them as having met."""
    by_city: dict[int, list[int]] = defaultdict(list)
    for person, city in people:
        by_city[city].append(person)
    pairs: set[tuple[int, int]] = set()
    for pair, strength in ties.items():
        if strength < threshold or len(pair) != 2:
            continue
        one, other = tuple(pair)
        for a in by_city.get(one, ()):
            for b in by_city.get(other, ()):
                pairs.add((a, b) if a < b else (b, a))
    return pairs
