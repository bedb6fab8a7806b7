"""Which cities to suggest as hosts when a city wants to learn about a practice area.

A plain function over facts loaded beforehand (suggestions.py loads them), so the ranking
can be tested on its own. A city is suggested only if it is strong in the area: on its own
list, or having presented or offered to share on it. Among those, the score adds:

- strength: listed 3; each call it presented on 2 (up to three calls); each topic it offered
  to share 1 (up to two) — at most 11, so strength leads;
- a new pair: +2 if the asking city has not visited it before;
- a new tie: up to +2 for cities the asking city has met little (the ledger's tie strength,
  counted down to nothing at a strong tie), so the network grows new ties;
- load: -1 for each visit it hosts this year;
- distance: -1 for each 1,000 km (up to -3), not for a virtual exchange;
- time zones: -0.5 for each hour apart (-1 an hour for a virtual exchange, when people
  must meet on screen at once).

A city at its yearly cap is not suggested: it is listed after the others as full, so the
asking city knows why a strong city is missing. Ties in score go to the nearer city, then
by name, so the order never depends on how the facts were read.
"""

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from convene.ledger.ties import STRONG_TIE
from convene.text import plural
from convene.visits.strengths import Evidence, describe_evidence

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class City:
    """What the ranking needs to know of a city."""

    id: int
    name: str
    zone: str
    slug: str = ""
    latitude: float | None = None
    longitude: float | None = None
    cap: int | None = None  # the most visits it hosts a year; None for no limit
    hosted_this_year: int = 0

    @property
    def coordinates(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @property
    def is_full(self) -> bool:
        return self.cap is not None and self.hosted_this_year >= self.cap


@dataclass(frozen=True)
class Suggestion:
    city: City
    score: float
    reasons: tuple[str, ...]
    distance_km: float | None
    hours_apart: float | None
    is_full: bool
    visited_before: bool
    tie: float

    @property
    def why(self) -> str:
        """ "presented on Open data on the 12 March call; 1,040 km; no visit hosted this year" """
        return "; ".join(self.reasons)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def hours_ahead(zone: str, of: str, on: date) -> float:
    """How many hours `zone` is ahead of `of` at noon on `on` (negative: behind)."""
    noon = datetime.combine(on, time(12))
    offset = noon.replace(tzinfo=ZoneInfo(zone)).utcoffset()
    base = noon.replace(tzinfo=ZoneInfo(of)).utcoffset()
    return (offset - base).total_seconds() / 3600


def strength_score(item: Evidence) -> float:
    return 3.0 * item.listed + 2.0 * min(len(item.calls), 3) + 1.0 * min(len(item.topics), 2)


def _hours(h: float) -> str:
    n = abs(h)
    amount = f"{n:g} hour" if n == 1 else f"{n:g} hours"
    return f"{amount} {'ahead' if h > 0 else 'behind'}"


def _hosting(city: City) -> str:
    if city.is_full:
        return f"hosts no more visits this year ({city.hosted_this_year} of {city.cap} hosted)"
    if city.hosted_this_year == 0:
        return "no visit hosted this year"
    if city.cap is not None:
        return f"{city.hosted_this_year} of {plural(city.cap, 'visit', 'visits')} hosted this year"
    return f"{plural(city.hosted_this_year, 'visit', 'visits')} hosted this year"


def suggest_hosts(
    asking: City,
    candidates: Iterable[City],
    evidence: Mapping[int, Evidence],
    area_name: str,
    on: date,
    visited: Collection[int] = (),
    ties: Mapping[frozenset[int], float] | None = None,
    virtual: bool = False,
    limit: int | None = None,
) -> list[Suggestion]:
    """The cities `asking` could learn `area_name` from, best first, full ones last.

    `evidence` is each candidate's evidence in the area (by city id); `visited` the ids of
    cities `asking` has visited before; `ties` the ledger's tie strength of each pair of
    city ids; `on` the day the visit would start (for time zones and "this year").
    """
    ties = ties or {}
    ranked: list[Suggestion] = []
    for city in candidates:
        item = evidence.get(city.id)
        if city.id == asking.id or item is None:
            continue
        strength = strength_score(item)
        if strength <= 0:
            continue
        if item.listed and not item.calls:
            reasons = [f"lists {area_name} among its strengths"]
        else:
            reasons = [describe_evidence(item, area_name, on.year) or area_name]
        score = strength

        distance = None
        if asking.coordinates and city.coordinates:
            distance = haversine_km(asking.coordinates, city.coordinates)
            reasons.append(f"{round(distance, -1):,.0f} km")
            if not virtual:
                score -= min(distance / 1000.0, 3.0)
        else:
            reasons.append("distance not known")

        reasons.append(_hosting(city))
        score -= city.hosted_this_year

        apart = hours_ahead(city.zone, asking.zone, on)
        if apart:
            reasons.append(_hours(apart))
        score -= abs(apart) * (1.0 if virtual else 0.5)

        visited_before = city.id in visited
        if visited_before:
            reasons.append("you have visited before")
        else:
            score += 2.0
        tie = max(0.0, float(ties.get(frozenset((asking.id, city.id)), 0.0)))
        score += 2.0 * max(0.0, 1.0 - tie / STRONG_TIE)
        if tie == 0:
            reasons.append("a new tie: your cities have not met yet")
        elif tie >= STRONG_TIE:
            reasons.append("already strongly tied to your city")

        ranked.append(
            Suggestion(
                city=city,
                score=round(score, 6),
                reasons=tuple(reasons),
                distance_km=distance,
                hours_apart=apart,
                is_full=city.is_full,
                visited_before=visited_before,
                tie=tie,
            )
        )
    far = float("inf")
    ranked.sort(
        key=lambda s: (
            s.is_full,
            -s.score,
            s.distance_km if s.distance_km is not None else far,
            s.city.name,
            s.city.id,
        )
    )
    return ranked if limit is None else ranked[:limit]
