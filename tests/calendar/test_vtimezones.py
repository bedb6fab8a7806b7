"""VTIMEZONEs as yearly rules: read back by an independent parser (dateutil's tzical), they
give the same UTC offset as the zone database at every hour of the years feeds cover."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz

from convene.calendar.vtimezones import vtimezone

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Europe/London",
    "Australia/Sydney",
    "America/Mexico_City",  # gave up DST in 2022: the fallback form
]


@pytest.mark.parametrize("zone_name", ZONES)
def test_vtimezone_matches_the_zone_database(zone_name):
    data = vtimezone(zone_name).to_ical().decode()
    parsed = tz.tzical(StringIO(data)).get(zone_name)
    zone = ZoneInfo(zone_name)
    instant = datetime(2015, 1, 1, 0, 30, tzinfo=UTC)
    end = datetime(2030, 1, 1, tzinfo=UTC)
    mismatches = []
    while instant < end:
        expected = instant.astimezone(zone).utcoffset()
        # dateutil converts from UTC through fromutc, as a reader placing an event does.
        seen = instant.astimezone(parsed).utcoffset()
        if seen != expected:
            mismatches.append(instant)
        instant += timedelta(hours=7)
    assert mismatches == []


def test_us_zones_use_rules_not_date_lists():
    data = vtimezone("America/Chicago").to_ical()
    assert b"RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in data
    assert b"RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11" in data
    assert b"DTSTART:20140309T020000" in data
    assert b"RDATE" not in data
