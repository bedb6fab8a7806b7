"""VTIMEZONE components written as yearly rules, the form every client reads.

icalendar's `Timezone.from_tzid` lists each change as an RDATE. Some readers (dateutil's
tzical, and so vobject; older Outlook builds) ignore RDATEs in a VTIMEZONE and put every
event an hour off for half the year. Where a zone has followed one yearly rule over the
whole span, the component here carries that rule as RRULE (as in RFC 5545's examples),
checked against every transition in the span; otherwise it falls back to icalendar's form.

Even that form is misread near each change (dateutil puts the hour after it an hour off),
so feeds write events in such zones in UTC: see `has_yearly_rules`.
"""

import calendar as month_calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

# A year before the first events the network has, so that the first rule begins earlier.
SPAN_FIRST = date(2014, 1, 1)
SPAN_LAST = date(2038, 1, 1)
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass(frozen=True)
class Transition:
    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str

    @property
    def onset(self) -> datetime:
        """The local wall time of the change, read on the clock before it (RFC 5545)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    @property
    def is_daylight(self) -> bool:
        return self.offset_to > self.offset_from


def transitions(zone_name: str) -> list[Transition]:
    zone = ZoneInfo(zone_name)
    found = []
    instant = datetime.combine(SPAN_FIRST, datetime.min.time(), UTC)
    end = datetime.combine(SPAN_LAST, datetime.min.time(), UTC)
    previous = instant.astimezone(zone).utcoffset()
    step = timedelta(days=1)
    while instant < end:
        following = instant + step
        offset = following.astimezone(zone).utcoffset()
        if offset != previous:
            low, high = instant, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == previous:
                    low = middle
                else:
                    high = middle
            found.append(Transition(high, previous, offset, high.astimezone(zone).tzname()))
            previous = offset
        instant = following
    return found


def _yearly_rule(group: list[Transition]) -> dict | None:
    """BYMONTH/BYDAY for transitions that follow one rule every year of the span, else None."""
    onsets = [t.onset for t in group]
    years = [o.year for o in onsets]
    if years != list(range(years[0], years[0] + len(years))) or years[-1] < SPAN_LAST.year - 1:
        return None
    if len({(o.month, o.weekday(), o.time()) for o in onsets}) != 1:
        return None
    ordinals = {(o.day - 1) // 7 + 1 for o in onsets}
    lasts = {o.day + 7 > month_calendar.monthrange(o.year, o.month)[1] for o in onsets}
    if len(ordinals) == 1:
        ordinal = ordinals.pop()
    elif lasts == {True}:
        ordinal = -1
    else:
        return None
    first = onsets[0]
    return {
        "freq": "yearly",
        "bymonth": first.month,
        "byday": f"{ordinal}{WEEKDAYS[first.weekday()]}",
    }


@lru_cache(maxsize=256)
def vtimezone(zone_name: str) -> Timezone:
    return _in_yearly_rules(zone_name) or Timezone.from_tzid(
        zone_name, first_date=SPAN_FIRST, last_date=SPAN_LAST
    )


def has_yearly_rules(zone_name: str) -> bool:
    """Whether the zone's VTIMEZONE is in the form every reader tested reads alike."""
    return _in_yearly_rules(zone_name) is not None


@lru_cache(maxsize=256)
def _in_yearly_rules(zone_name: str) -> Timezone | None:
    zone = ZoneInfo(zone_name)
    found = transitions(zone_name)
    component = Timezone()
    component.add("tzid", zone_name)
    if not found:
        noon = datetime.combine(SPAN_FIRST, datetime.min.time(), UTC).astimezone(zone)
        standard = TimezoneStandard()
        standard.add("dtstart", datetime.combine(SPAN_FIRST, datetime.min.time()))
        standard.add("tzoffsetfrom", noon.utcoffset())
        standard.add("tzoffsetto", noon.utcoffset())
        standard.add("tzname", noon.tzname())
        component.add_component(standard)
        return component
    groups: dict[tuple, list[Transition]] = {}
    for transition in found:
        key = (transition.offset_from, transition.offset_to, transition.name)
        groups.setdefault(key, []).append(transition)
    if len(groups) != 2:
        return None
    parts = []
    for group in groups.values():
        rule = _yearly_rule(group)
        if rule is None:
            return None
        first = group[0]
        part = TimezoneDaylight() if first.is_daylight else TimezoneStandard()
        part.add("dtstart", first.onset)
        part.add("rrule", rule)
        part.add("tzoffsetfrom", first.offset_from)
        part.add("tzoffsetto", first.offset_to)
        part.add("tzname", first.name)
        parts.append((first.at, part))
    for _at, part in sorted(parts, key=lambda item: item[0]):
        component.add_component(part)
    return component


def describes(instant: datetime) -> bool:
    """Whether an instant lies in the years every VTIMEZONE here describes in full."""
    return SPAN_FIRST.year < instant.year < SPAN_LAST.year


def has_clear_wall_time(instant: datetime, zone: ZoneInfo) -> bool:
    """False in the repeated hour (a fold): that wall time names two instants. A skipped
    wall time (a gap) fails the same test, should one ever be given."""
    local = instant.astimezone(zone)
    return local.replace(fold=1 - local.fold).utcoffset() == local.utcoffset()
