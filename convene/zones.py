"""Time zones: which zone a viewer sees, and how a local wall time becomes a UTC instant."""

import re
from datetime import UTC, date, datetime, time
from functools import lru_cache
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
    """An instant as a viewer reads it, with the zone named (abbreviation and IANA name)."""
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
    return f"{local:%a %-d %b %Y, %H:%M} {abbrev} ({name})"


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
