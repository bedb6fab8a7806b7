from datetime import UTC, date, datetime, time

import pytest
from flask_login import login_user

from convene.zones import (
    ZoneError,
    format_instant,
    member_zone_name,
    to_utc,
    viewer_zone_name,
    zone_names,
)


def test_viewer_zone_is_their_own_else_their_organisations_else_the_programmes(
    app, make_member, make_org
):
    city = make_org("city", zone="America/Denver")
    member = make_member(organisation=city)
    assert member_zone_name(member) == "America/Denver"
    member.zone = "Pacific/Honolulu"
    assert member_zone_name(member) == "Pacific/Honolulu"
    assert member_zone_name(None) == app.config["PROGRAMME_ZONE"] == "America/New_York"
    with app.test_request_context():
        assert viewer_zone_name() == "America/New_York"  # nobody signed in
        login_user(member)
        assert viewer_zone_name() == "Pacific/Honolulu"


def test_programme_zone_is_configurable(make_app):
    app = make_app(PROGRAMME_ZONE="America/Chicago")
    with app.test_request_context():
        assert viewer_zone_name() == "America/Chicago"


def test_to_utc_converts_a_wall_time():
    assert to_utc(date(2026, 7, 1), time(12, 0), "America/New_York") == datetime(
        2026, 7, 1, 16, 0, tzinfo=UTC
    )


def test_to_utc_refuses_a_time_the_clocks_skip():
    with pytest.raises(ZoneError, match="does not exist"):
        to_utc(date(2026, 3, 8), time(2, 30), "America/New_York")


def test_to_utc_takes_the_first_of_a_repeated_hour():
    # 1:30 happens twice on 1 November 2026 in New York: first in EDT (UTC-4).
    assert to_utc(date(2026, 11, 1), time(1, 30), "America/New_York") == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )


def test_to_utc_refuses_an_unknown_zone():
    with pytest.raises(ZoneError, match="is not an IANA time zone"):
        to_utc(date(2026, 1, 1), time(9, 0), "Atlantis/Capital")


def test_format_names_the_zone(app):
    instant = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
    assert (
        format_instant(instant, "America/Chicago") == "Thu 15 Jan 2026, 11:00 CST (America/Chicago)"
    )
    assert format_instant(instant, "America/Chicago", "short") == "Thu 15 Jan, 11:00 CST"
    assert format_instant(instant, "America/Chicago", "time") == "11:00 CST"
    assert format_instant(instant, "Pacific/Honolulu", "date") == "Thu 15 Jan 2026"
    assert format_instant(None) == ""
    with pytest.raises(ValueError):
        format_instant(datetime(2026, 1, 15, 17, 0), "America/Chicago")


def test_phoenix_and_new_york_move_apart_on_1_november_2026(app):
    before = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    after = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    assert format_instant(before, "America/New_York", "time") == "12:00 EDT"
    assert format_instant(before, "America/Phoenix", "time") == "09:00 MST"
    assert format_instant(after, "America/New_York", "time") == "11:00 EST"
    assert format_instant(after, "America/Phoenix", "time") == "09:00 MST"
    # The same New York wall time is a different instant across the change; Phoenix's is not.
    ny = [to_utc(d, time(12, 0), "America/New_York") for d in (before.date(), after.date())]
    az = [to_utc(d, time(12, 0), "America/Phoenix") for d in (before.date(), after.date())]
    assert [i.hour for i in ny] == [16, 17]
    assert [i.hour for i in az] == [19, 19]


def test_instant_filter_uses_the_viewer_zone(app, make_member, make_org):
    member = make_member(organisation=make_org("city", zone="America/Anchorage"))
    with app.test_request_context():
        login_user(member)
        rendered = app.jinja_env.from_string("{{ t|instant }}").render(
            t=datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
        )
    assert rendered == "Thu 15 Jan 2026, 08:00 AKST (America/Anchorage)"


def test_zone_names_are_iana_regions():
    names = zone_names()
    assert "America/Phoenix" in names and "Pacific/Honolulu" in names
    assert not any(n.startswith("Etc/") for n in names)
