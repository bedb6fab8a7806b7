"""Where an applying city is: the gazetteer's zone and coordinates, else its state's zone."""

import pytest

from convene.applications.places import (
    STATE_ZONES,
    name_key,
    place_of,
    state_zone,
    states,
    zone_and_position,
)
from convene.zones import is_zone


def test_mesa_arizona_keeps_no_daylight_saving():
    place = place_of("Mesa", "AZ")
    assert place is not None and place.zone == "America/Phoenix"
    assert 33 < place.latitude < 34 and -112 < place.longitude < -111
    assert 300_000 < place.population < 1_000_000


def test_honolulu_is_in_hawaii_time():
    assert place_of("Honolulu", "HI").zone == "Pacific/Honolulu"


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("st. louis", "MO"),  # the gazetteer writes "St. Louis"
        ("Saint Louis", "MO"),
        ("  NEW YORK ", "NY"),  # "New York City" in the gazetteer
        ("City of Mesa", "AZ"),
        ("Oklahoma", "OK"),  # "Oklahoma City"
        ("Winston Salem", "NC"),
    ],
)
def test_names_are_found_as_people_write_them(typed, state):
    assert place_of(typed, state) is not None


def test_the_state_matters():
    assert place_of("Mesa", "AZ").zone != place_of("Louisville", "KY").zone
    assert place_of("Louisville", "KY").population > 500_000  # not Louisville, Colorado
    assert place_of("Mesa", "TX") is None


def test_a_city_the_gazetteer_does_not_know_gets_its_state_zone():
    assert place_of("Nowhereville", "AK") is None
    assert zone_and_position("Nowhereville", "AK") == ("America/Anchorage", None, None)
    assert zone_and_position("Nowhereville", "HI") == ("Pacific/Honolulu", None, None)
    zone, latitude, longitude = zone_and_position("Mesa", "AZ")
    assert zone == "America/Phoenix" and latitude and longitude


def test_unknown_states_and_empty_names_find_nothing():
    assert place_of("San Juan", "PR") is None
    assert place_of("", "AZ") is None
    assert place_of("Mesa", "") is None
    assert state_zone("PR") == "America/New_York"  # never raises: a zone for any input


def test_every_state_and_dc_has_a_real_zone_and_a_name():
    assert len(STATE_ZONES) == 51
    assert all(is_zone(zone) for zone in STATE_ZONES.values())
    codes = [code for code, _ in states()]
    assert sorted(codes) == sorted(STATE_ZONES)
    names = [name for _, name in states()]
    assert names == sorted(names) and "District of Columbia" in names
    assert state_zone("az") == "America/Phoenix" and state_zone("AK") == "America/Anchorage"


def test_name_key():
    assert name_key("Ft. Worth") == name_key("Fort Worth") == "fort worth"
    assert name_key("Coeur d’Alène") == "coeur d alene"
