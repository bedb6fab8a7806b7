"""Time zones: which zone a viewer sees, how a local wall time becomes a UTC instant, and
how a zone is named to people (the picker and its plain labels)."""

import re
import zoneinfo
from datetime import UTC, date, datetime, time
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import current_app
from flask_login import current_user


class ZoneError(ValueError):
    pass


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name, or a ZoneError with a message fit for a form.

    The name is looked up in the zone list before any file is opened, so a path-like or
    huge value is an unknown zone, never an OSError.
    """
    if not isinstance(name, str) or name not in _known_zones():
        shown = name if isinstance(name, str) and len(name) <= 64 else "That"
        raise ZoneError(f"“{shown}” is not an IANA time zone, such as America/Chicago.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise ZoneError(f"“{name}” is not an IANA time zone, such as America/Chicago.") from exc


def is_zone(name: str | None) -> bool:
    try:
        zone(name or "")
    except ZoneError:
        return False
    return True


def member_zone_name(member) -> str:
    """Their own zone, else their organisation's, else the programme's."""
    if member is not None and getattr(member, "is_authenticated", False):
        if member.zone:
            return member.zone
        if member.organisation is not None and member.organisation.zone:
            return member.organisation.zone
    return current_app.config["PROGRAMME_ZONE"]


def viewer_zone_name() -> str:
    return member_zone_name(current_user)


def localize(instant: datetime, zone_name: str | None = None) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime given where an instant was expected")
    return instant.astimezone(zone(zone_name or viewer_zone_name()))


def to_utc(day: date, wall: time, zone_name: str) -> datetime:
    """The UTC instant of a local wall-clock time, refusing times a DST change skips.

    An ambiguous time (the repeated hour in autumn) takes its first occurrence.
    """
    tz = zone(zone_name)
    local = datetime.combine(day, wall).replace(tzinfo=tz, fold=0)
    round_trip = local.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ZoneError(
            f"{wall:%H:%M} does not exist on {day:%-d %B %Y} in {zone_name}: "
            "the clocks skip that hour."
        )
    return local.astimezone(UTC)


def format_instant(instant: datetime | None, zone_name: str | None = None, style: str = "full"):
    """An instant as a viewer reads it, with the zone named (abbreviation and IANA name, or
    with `style="labelled"` the zone's plain label)."""
    if instant is None:
        return ""
    name = zone_name or viewer_zone_name()
    local = localize(instant, name)
    abbrev = local.tzname()
    if style == "time":
        return f"{local:%H:%M} {abbrev}"
    if style == "date":
        return f"{local:%a %-d %b %Y}"
    if style == "short":
        return f"{local:%a %-d %b, %H:%M} {abbrev}"
    if style == "labelled":  # the zone by its plain name, as the zone picker shows it
        return f"{local:%a %-d %b %Y, %H:%M} {abbrev} ({zone_label(name)})"
    return f"{local:%a %-d %b %Y, %H:%M} {abbrev} ({name})"


# --- the picker: canonical zones under plain names -------------------------------------------

# The zones most of the network lives in, first and in this order, under the names people
# use ("Eastern — New York"), then the other zones the demo's cities use.
US_ZONES = [
    ("America/New_York", "Eastern", "New York"),
    ("America/Kentucky/Louisville", "Eastern", "Louisville"),
    ("America/Chicago", "Central", "Chicago"),
    ("America/Denver", "Mountain", "Denver"),
    ("America/Boise", "Mountain", "Boise"),
    ("America/Phoenix", "Mountain, no daylight saving", "Phoenix"),
    ("America/Los_Angeles", "Pacific", "Los Angeles"),
    ("America/Anchorage", "Alaska", "Anchorage"),
    ("Pacific/Honolulu", "Hawaii", "Honolulu"),
]
US_GROUP = "United States"
MORE_US_GROUP = "United States: other zones"
# The states and territories whose zones are named like the US ones.
US_COUNTRIES = {"US", "PR", "VI", "GU", "AS", "MP"}
# A US zone's plain name by its standard offset (hours) and whether it keeps daylight saving.
_US_ZONE_NAMES = {
    (-4, False): "Atlantic",
    (-5, True): "Eastern",
    (-6, True): "Central",
    (-7, True): "Mountain",
    (-7, False): "Mountain, no daylight saving",
    (-8, True): "Pacific",
    (-9, True): "Alaska",
    (-10, True): "Hawaii–Aleutian",
    (-10, False): "Hawaii",
    (-11, False): "Samoa",
    (10, False): "Chamorro",
}
# The picker's groups for the rest of the world, by the first part of the IANA name.
REGIONS = {
    "America": "Americas",
    "Europe": "Europe",
    "Africa": "Africa",
    "Asia": "Asia",
    "Australia": "Australia",
    "Pacific": "Pacific",
    "Atlantic": "Atlantic",
    "Indian": "Indian Ocean",
    "Antarctica": "Antarctica",
    "Arctic": "Arctic",
}


def _tz_text(name: str) -> str | None:
    """A file of the tz database (zone.tab, tzdata.zi), from where zoneinfo reads zones:
    the system's folders first, then the tzdata package."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return (resources.files("tzdata") / "zoneinfo" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


@lru_cache(maxsize=1)
def _zone_tab() -> dict[str, str]:
    """Each canonical zone of zone.tab (one or more per country, named by a city, no
    backward-compatibility aliases) and its country code; zones zoneinfo cannot open are
    left out. Without zone.tab, every region's zone (the old list) with no country."""
    text = _tz_text("zone.tab")
    if text is None:
        return {name: "" for name in zone_names()}
    zones = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3 and fields[2] in _known_zones():
            zones[fields[2]] = fields[0]
    return zones


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Alias to zone, from the link lines of tzdata.zi ("L America/New_York US/Eastern")."""
    links = {}
    for line in (_tz_text("tzdata.zi") or "").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    return links


def canonical_zone(name: str | None) -> str | None:
    """The picker's zone for a stored name: itself, or the zone an alias (US/Eastern,
    America/Indianapolis) stands for; None when the picker has no such zone."""
    picker = _zone_tab()
    seen = set()
    while name and name not in picker and name not in seen:
        seen.add(name)
        name = _links().get(name)
    return name if name in picker else None


def _offsets(name: str) -> tuple[int, bool]:
    """Standard offset in whole hours, and whether the zone keeps daylight saving."""
    tz = ZoneInfo(name)
    january, july = (datetime(2026, m, 15, 12, tzinfo=UTC).astimezone(tz) for m in (1, 7))
    offsets = sorted(d.utcoffset().total_seconds() for d in (january, july))
    return int(offsets[0] // 3600), offsets[0] != offsets[1]


def _place(name: str) -> str:
    """ "Knox, Indiana" for America/Indiana/Knox, "Chicago" for America/Chicago."""
    parts = [p.replace("_", " ") for p in name.split("/")[1:]] or [name]
    return ", ".join(reversed(parts))


@lru_cache(maxsize=1)
def _labels() -> dict[str, tuple[str, str]]:
    """Every zone of the picker: its group and its plain label, in the picker's order."""
    picker = _zone_tab()
    labels: dict[str, tuple[str, str]] = {}
    for name, kind, city in US_ZONES:
        if name in picker:
            labels[name] = (US_GROUP, f"{kind} — {city}")
    more_us, rest = [], []
    for name, country in picker.items():
        if name in labels:
            continue
        if country in US_COUNTRIES:
            offset, dst = _offsets(name)
            kind = _US_ZONE_NAMES.get((offset, dst), f"UTC{offset:+03d}:00")
            # East to west, with Guam and Saipan (across the date line) last.
            west = offset if offset <= 0 else offset - 24
            more_us.append((-west, kind, _place(name), name))
        else:
            region = REGIONS.get(name.split("/", 1)[0], "Other")
            rest.append((region, _place(name), name))
    for _order, kind, place, name in sorted(more_us):
        labels[name] = (MORE_US_GROUP, f"{kind} — {place}")
    for region, place, name in sorted(rest):
        labels[name] = (region, f"{place} ({region})")
    return labels


def zone_label(name: str | None) -> str:
    """A zone as people read it, the same on every page: "Eastern — New York" for US zones,
    "London (Europe)" for others; an alias reads as its zone, anything else as its name."""
    if not name:
        return ""
    canonical = canonical_zone(name)
    if canonical is not None:
        return _labels()[canonical][1]
    return str(name).replace("_", " ")


def zone_picker(current: str | None = None) -> list[tuple[str | None, str, str]]:
    """The picker's options as (group, value, label): US zones first, then every other
    canonical zone grouped by region; no aliases. A stored alias keeps its value under its
    zone's label, so it shows selected and saving leaves it as it was; a known zone the
    picker lacks (UTC, EST) comes first, ungrouped, so it is never lost on save."""
    options = [(group, name, label) for name, (group, label) in _labels().items()]
    if current and current not in _labels() and is_zone(current):
        canonical = canonical_zone(current)
        if canonical is None:
            return [(None, current, zone_label(current))] + options
        options = [(g, current if v == canonical else v, label) for g, v, label in options]
    return options


def zone_city(zone_name: str | None) -> str:
    """The city part of an IANA name ("America/Argentina/Buenos_Aires": "Buenos Aires")."""
    return str(zone_name or "UTC").rsplit("/", 1)[-1].replace("_", " ")


# The end of a US address: ", ST" or ", ST 12345" (or ZIP+4).
_STATE_AND_ZIP = re.compile(r"[A-Z]{2}(?:\s+\d{5}(?:-\d{4})?)?")


def venue_city(address: str | None, zone_name: str | None = None) -> str:
    """The city of a venue, for "19:00 CDT in Chicago": the part before the state in a US
    address ("151 East Wacker Drive, Chicago, IL 60601"), else the zone's city part (which
    may be another city in the same zone, so the address comes first)."""
    parts = [p.strip() for p in str(address or "").split(",")]
    if len(parts) >= 2 and parts[-2] and _STATE_AND_ZIP.fullmatch(parts[-1]):
        return parts[-2]
    return zone_city(zone_name)


def in_person_time(
    instant: datetime | None,
    venue_zone: str | None,
    reader_zone: str | None,
    venue_place: str | None = None,
    style: str = "full",
) -> str:
    """A time at a venue as a reader elsewhere needs it: the venue's wall time first (what
    the programme, the signs and the taxi go by), then the reader's own when it differs.

    "Tue 13 Apr 2027, 19:00 CDT in Chicago, 14:00 HST for you"; the reader's date is added
    when it is another day. `style` is "full", "short" (no year) or "time" (no date).
    Unknown zones never raise: the venue's falls back to UTC, the reader's is left out.
    """
    if instant is None:
        return ""
    if not is_zone(venue_zone):
        venue_zone, venue_place = "UTC", venue_place or "UTC"
    venue = localize(instant, venue_zone)
    place = venue_place or zone_city(venue_zone)
    formats = {"time": "%H:%M", "short": "%a %-d %b, %H:%M"}
    where = f" in {place}" if place != venue.tzname() else ""  # not "00:00 UTC in UTC"
    text = f"{venue:{formats.get(style, '%a %-d %b %Y, %H:%M')}} {venue.tzname()}{where}"
    if not is_zone(reader_zone):
        return text
    reader = localize(instant, reader_zone)
    if reader.utcoffset() == venue.utcoffset():
        return text
    when = "%H:%M" if reader.date() == venue.date() else "%a %-d %b, %H:%M"
    return f"{text}, {reader:{when}} {reader.tzname()} for you"
