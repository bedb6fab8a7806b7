import re
from datetime import UTC, date, datetime, time

import pytest
from flask_login import login_user

from convene.extensions import db
from convene.zones import (
    US_GROUP,
    ZoneError,
    canonical_zone,
    format_instant,
    in_person_time,
    member_zone_name,
    to_utc,
    venue_city,
    viewer_zone_name,
    zone_city,
    zone_label,
    zone_names,
    zone_picker,
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


# --- in-person times: the venue's first, the reader's when it differs --------------------


def _at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


DINNER = _at(2027, 4, 14, 0, 0)  # 19:00 CDT on Tue 13 April in Chicago


def test_a_chicago_dinner_for_a_honolulu_reader():
    assert in_person_time(DINNER, "America/Chicago", "Pacific/Honolulu") == (
        "Tue 13 Apr 2027, 19:00 CDT in Chicago, 14:00 HST for you"
    )
    assert in_person_time(DINNER, "America/Chicago", "Pacific/Honolulu", style="time") == (
        "19:00 CDT in Chicago, 14:00 HST for you"
    )
    assert in_person_time(DINNER, "America/Chicago", "America/Chicago") == (
        "Tue 13 Apr 2027, 19:00 CDT in Chicago"
    )


def test_phoenix_keeps_standard_time_all_year():
    summer, winter = DINNER, _at(2027, 1, 13, 1, 0)  # 19:00 in Chicago both times
    assert in_person_time(summer, "America/Chicago", "America/Phoenix", style="short") == (
        "Tue 13 Apr, 19:00 CDT in Chicago, 17:00 MST for you"
    )
    assert in_person_time(winter, "America/Chicago", "America/Phoenix", style="short") == (
        "Tue 12 Jan, 19:00 CST in Chicago, 18:00 MST for you"
    )
    # A Phoenix venue and a Denver reader: the same clock in winter, an hour apart in summer.
    assert in_person_time(winter, "America/Phoenix", "America/Denver", style="time") == (
        "18:00 MST in Phoenix"
    )
    assert in_person_time(summer, "America/Phoenix", "America/Denver", style="time") == (
        "17:00 MST in Phoenix, 18:00 MDT for you"
    )


def test_new_yorks_repeated_hour_is_told_apart_by_its_zone():
    first, second = _at(2027, 11, 7, 5, 30), _at(2027, 11, 7, 6, 30)
    assert in_person_time(first, "America/New_York", "America/New_York", style="time") == (
        "01:30 EDT in New York"
    )
    assert in_person_time(second, "America/New_York", "America/New_York", style="time") == (
        "01:30 EST in New York"
    )
    # Chicago is still on CDT at 06:30 UTC: the same clock as New York's EST, so said once.
    assert in_person_time(first, "America/New_York", "America/Chicago", style="time") == (
        "01:30 EDT in New York, 00:30 CDT for you"
    )
    assert in_person_time(second, "America/New_York", "America/Chicago", style="time") == (
        "01:30 EST in New York"
    )


def test_the_readers_day_is_named_when_it_is_another():
    late = _at(2027, 4, 13, 6, 0)  # 20:00 HST on Mon 12 April
    assert in_person_time(late, "Pacific/Honolulu", "America/New_York", "Waikiki") == (
        "Mon 12 Apr 2027, 20:00 HST in Waikiki, Tue 13 Apr, 02:00 EDT for you"
    )


def test_in_person_time_never_raises_on_stored_values():
    assert in_person_time(None, "America/Chicago", "Pacific/Honolulu") == ""
    assert in_person_time(DINNER, "Mars/Olympus", "Pacific/Honolulu", style="time") == (
        "00:00 UTC, Tue 13 Apr, 14:00 HST for you"
    )
    assert in_person_time(DINNER, "America/Chicago", "../../etc/passwd", style="time") == (
        "19:00 CDT in Chicago"
    )


def test_venue_city_reads_a_us_address_else_the_zone():
    assert venue_city("151 East Wacker Drive, Chicago, IL 60601", "America/Chicago") == "Chicago"
    assert venue_city("1 Main Street, Boston, MA", "America/New_York") == "Boston"
    assert venue_city("Hall 3, Austin, TX 78701-1234") == "Austin"
    assert venue_city("The Pier", "America/Los_Angeles") == "Los Angeles"
    assert venue_city(None, "America/Argentina/Buenos_Aires") == "Buenos Aires"
    assert zone_city("America/Indiana/Indianapolis") == "Indianapolis"


# --- the zone picker: US zones first under plain names, no aliases -------------------------


def _options(html: str) -> list[tuple[str, str, bool]]:
    return [
        (value, label, "selected" in attrs)
        for attrs, value, label in re.findall(
            r'<option([^>]*?)value="([^"]*)"[^>]*>([^<]*)</option>', html
        )
    ]


def test_us_zones_come_first_under_plain_names(app):
    from convene.accounts.forms import OrganisationForm

    with app.test_request_context():
        options = _options(str(OrganisationForm().zone()))
    first = [label for _value, label, _selected in options[:9]]
    assert first == [
        "Eastern — New York",
        "Eastern — Louisville",
        "Central — Chicago",
        "Mountain — Denver",
        "Mountain — Boise",
        "Mountain, no daylight saving — Phoenix",
        "Pacific — Los Angeles",
        "Alaska — Anchorage",
        "Hawaii — Honolulu",
    ]
    assert [value for value, _label, _selected in options[:3]] == [
        "America/New_York",
        "America/Kentucky/Louisville",
        "America/Chicago",
    ]


def test_every_demo_city_zone_is_in_the_first_group(app):
    from convene.accounts.demo import CITIES, PARTNERS, PROGRAMME

    first_group = [value for group, value, _label in zone_picker() if group == US_GROUP]
    for _name, *_rest, zone_name in CITIES + PARTNERS + [PROGRAMME]:
        assert zone_name in first_group


def test_the_rest_is_grouped_by_region_and_leaves_out_aliases(app):
    from convene.accounts.forms import OrganisationForm

    with app.test_request_context():
        html = str(OrganisationForm().zone())
    groups = re.findall(r'<optgroup label="([^"]+)">', html)
    assert groups[:2] == [US_GROUP, "United States: other zones"]
    assert {"Europe", "Asia", "Americas", "Africa", "Pacific", "Australia"} <= set(groups)
    values = [value for value, _label, _selected in _options(html)]
    assert len(values) == len(set(values)) < 450  # was 518 (519 with the profile's blank)
    for alias in ("US/Eastern", "US/Pacific", "EST5EDT", "Etc/GMT+5", "GB", "UTC",
                  "America/Indianapolis", "Asia/Calcutta", "Canada/Eastern"):  # fmt: skip
        assert alias not in values
    assert not [v for v in values if v.startswith(("Etc/", "US/", "SystemV/"))]
    assert "Detroit" in html and "Indianapolis, Indiana" in html  # other US zones, later
    assert "London (Europe)" in html and "Kolkata (Asia)" in html
    assert "Buenos Aires, Argentina (Americas)" in html


def test_the_profile_picker_offers_the_organisation_zone_first(app, make_member, make_org):
    from convene.accounts.forms import ProfileForm

    member = make_member(organisation=make_org("city", zone="America/Chicago"))
    with app.test_request_context():
        html = str(ProfileForm(obj=member, organisation_zone="America/Chicago").zone())
    value, label, _selected = _options(html)[0]
    assert value == ""  # first, so shown when the member has no zone of their own
    assert label == "Same as my organisation (Central — Chicago)"
    assert html.index('value=""') < html.index("<optgroup")  # not inside a group


@pytest.mark.parametrize(
    ("stored", "label"),
    [
        ("US/Eastern", "Eastern — New York"),
        ("America/Indianapolis", "Eastern — Indianapolis, Indiana"),
        ("Asia/Calcutta", "Kolkata (Asia)"),
    ],
)
def test_a_stored_alias_still_shows_selected_and_is_kept(
    app, make_member, client_for, stored, label
):
    member = make_member()
    member.zone = stored
    db.session.commit()
    client = client_for(member)
    page = client.get("/account").get_data(as_text=True)
    selected = [(v, lab) for v, lab, s in _options(page) if s]
    assert selected == [(stored, label)]
    assert page.count(f">{label}</option>") == 1  # in its zone's place, not twice
    # Saving the form unchanged keeps the stored value as it was.
    response = client.post("/account", data={"name": member.name, "zone": stored})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.zone == stored


def test_a_stored_zone_the_picker_lacks_stays_as_an_extra_option(app, make_org):
    from convene.accounts.forms import OrganisationForm

    organisation = make_org("partner", zone="UTC")
    with app.test_request_context():
        html = str(OrganisationForm(obj=organisation).zone())
    assert _options(html)[0] == ("UTC", "UTC", True)


def test_other_packages_forms_get_the_picker(app):
    from werkzeug.datastructures import MultiDict

    from convene.convenings.forms import MoveForm, SeriesForm
    from convene.summit.forms import SummitForm

    with app.test_request_context():
        for form in (SeriesForm([]), MoveForm(), SummitForm()):
            html = str(form.zone())
            assert '<optgroup label="United States">' in html
            assert "US/Eastern" not in html
        # Their choice check takes a picked zone, keeps an alias posted, refuses the unknown.
        for posted, error in [("America/Chicago", None), ("US/Eastern", None),
                              ("Moon/Base", "is not an IANA time zone")]:  # fmt: skip
            form = MoveForm(formdata=MultiDict({"zone": posted}))
            form.validate()
            errors = " ".join(form.zone.errors)
            assert (error in errors) if error else not errors, (posted, errors)


def test_zone_labels_are_the_same_everywhere():
    assert zone_label("America/New_York") == "Eastern — New York"
    assert zone_label("US/Eastern") == "Eastern — New York"
    assert zone_label("America/Phoenix") == "Mountain, no daylight saving — Phoenix"
    assert zone_label("Pacific/Honolulu") == "Hawaii — Honolulu"
    assert zone_label("America/Adak") == "Hawaii–Aleutian — Adak"
    assert zone_label("Pacific/Guam") == "Chamorro — Guam"
    assert zone_label("Europe/London") == "London (Europe)"
    assert zone_label("UTC") == "UTC"
    assert zone_label(None) == ""
    assert canonical_zone("US/Pacific") == "America/Los_Angeles"
    assert canonical_zone("Moon/Base") is None
    assert (
        format_instant(
            datetime(2026, 1, 15, 17, 0, tzinfo=UTC), "America/Phoenix", style="labelled"
        )
        == "Thu 15 Jan 2026, 10:00 MST (Mountain, no daylight saving — Phoenix)"
    )


def test_the_organisations_and_people_pages_name_zones_by_their_labels(
    make_member, make_org, client_for
):
    city = make_org("city", zone="America/Kentucky/Louisville")
    admin = client_for(make_member("admin"))
    for path in ("/admin/organisations", f"/organisations/{city.slug}/people"):
        page = admin.get(path).get_data(as_text=True)
        assert "Eastern — Louisville" in page and "America/Kentucky" not in page, path
