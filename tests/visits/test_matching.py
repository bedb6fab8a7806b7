"""The ranking of host cities: a plain function, tested on its own."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convene.visits.matching import (
    STRONG_TIE,
    City,
    haversine_km,
    hours_ahead,
    suggest_hosts,
)
from convene.visits.strengths import Evidence, Presentation

ON = date(2027, 3, 20)

# Real places: the distances below are well known.
LOUISVILLE = City(1, "Louisville", "America/Kentucky/Louisville", "louisville", 38.2527, -85.7585)
BOSTON = City(2, "Boston", "America/New_York", "boston", 42.3601, -71.0589)
DENVER = City(3, "Denver", "America/Denver", "denver", 39.7392, -104.9903)
SEATTLE = City(4, "Seattle", "America/Los_Angeles", "seattle", 47.6062, -122.3321)
KANSAS_CITY = City(5, "Kansas City", "America/Chicago", "kansas-city", 39.0997, -94.5786)


def presented(*days: date, title: str = "Open data policy") -> Evidence:
    return Evidence(calls=[Presentation(d, title) for d in sorted(days, reverse=True)])


def rank(asking, candidates, evidence, **kw):
    return suggest_hosts(asking, candidates, evidence, "Open data", ON, **kw)


# --- geometry ---------------------------------------------------------------------------------


def test_haversine_matches_known_distances():
    assert haversine_km(BOSTON.coordinates, LOUISVILLE.coordinates) == pytest.approx(1330, abs=15)
    assert haversine_km(DENVER.coordinates, SEATTLE.coordinates) == pytest.approx(1640, abs=20)
    assert haversine_km(BOSTON.coordinates, BOSTON.coordinates) == 0


def test_hours_ahead_follows_each_zone_on_the_day():
    assert hours_ahead("America/New_York", "America/Los_Angeles", ON) == 3
    assert hours_ahead("America/Los_Angeles", "America/New_York", ON) == -3
    # Phoenix keeps standard time: an hour behind Denver in summer, level in winter.
    assert hours_ahead("America/Phoenix", "America/Denver", date(2027, 7, 1)) == -1
    assert hours_ahead("America/Phoenix", "America/Denver", date(2027, 1, 15)) == 0


# --- what is suggested and why ----------------------------------------------------------------


def test_each_suggestion_says_why_in_plain_words():
    [s] = rank(BOSTON, [BOSTON, LOUISVILLE], {LOUISVILLE.id: presented(date(2027, 3, 12))})
    assert s.city is LOUISVILLE
    assert s.why.startswith(
        "presented on Open data on the 12 March call; 1,330 km; no visit hosted this year"
    )
    assert "1 hour" not in s.why  # Louisville keeps Eastern time, as Boston does
    assert "a new tie: your cities have not met yet" in s.why


def test_reasons_name_listing_topics_load_and_zone():
    seattle = replace(SEATTLE, hosted_this_year=1, cap=3)
    evidence = {seattle.id: Evidence(listed=True, topics=["Open data portal"])}
    [s] = rank(BOSTON, [seattle], evidence)
    assert s.reasons[0] == "lists Open data among its strengths"
    assert "1 of 3 visits hosted this year" in s.reasons
    assert "3 hours behind" in s.reasons
    denver = replace(DENVER, hosted_this_year=2)
    [s] = rank(SEATTLE, [denver], {denver.id: Evidence(topics=["Open data portal"])})
    assert s.reasons[0] == "offered to share on Open data (“Open data portal”)"
    assert "2 visits hosted this year" in s.reasons and "1 hour ahead" in s.reasons


def test_a_call_from_another_year_names_its_year_and_more_calls_are_counted():
    evidence = {LOUISVILLE.id: presented(date(2026, 11, 5), date(2026, 9, 1), date(2026, 6, 2))}
    [s] = rank(BOSTON, [LOUISVILLE], evidence)
    assert s.reasons[0] == "presented on Open data on the 5 November 2026 call (and 2 more calls)"


def test_the_asking_city_and_cities_without_strength_are_never_suggested():
    evidence = {BOSTON.id: presented(ON), LOUISVILLE.id: Evidence()}
    assert rank(BOSTON, [BOSTON, LOUISVILLE, DENVER], evidence) == []


def test_unknown_coordinates_are_said_and_rank_after_known_ones_on_equal_score():
    nowhere = replace(DENVER, latitude=None, longitude=None, id=9, name="Aardvark")
    evidence = {nowhere.id: Evidence(listed=True), KANSAS_CITY.id: Evidence(listed=True)}
    ranked = rank(replace(KANSAS_CITY, id=10), [nowhere, KANSAS_CITY], evidence, virtual=True)
    assert "distance not known" in ranked[[s.city.id for s in ranked].index(9)].reasons


def test_a_city_at_its_cap_is_listed_last_as_full():
    strong = replace(LOUISVILLE, cap=2, hosted_this_year=2)
    evidence = {
        strong.id: presented(date(2027, 3, 12), date(2027, 2, 1)),
        DENVER.id: Evidence(listed=True),
    }
    ranked = rank(BOSTON, [strong, DENVER], evidence)
    assert [s.city.name for s in ranked] == ["Denver", "Louisville"]
    assert ranked[-1].is_full and "hosts no more visits this year (2 of 2 hosted)" in ranked[-1].why
    zero = replace(DENVER, cap=0)
    assert rank(BOSTON, [zero], {zero.id: Evidence(listed=True)})[0].is_full


def test_a_city_not_visited_before_and_not_yet_met_comes_first_on_equal_strength():
    a, b = replace(DENVER, id=20, name="A"), replace(DENVER, id=21, name="B")
    evidence = {a.id: Evidence(listed=True), b.id: Evidence(listed=True)}
    assert [s.city.name for s in rank(BOSTON, [a, b], evidence, visited={a.id})] == ["B", "A"]
    ties = {frozenset((BOSTON.id, a.id)): STRONG_TIE}
    ranked = rank(BOSTON, [a, b], evidence, ties=ties)
    assert [s.city.name for s in ranked] == ["B", "A"]
    assert "already strongly tied to your city" in ranked[1].reasons


def test_distance_counts_for_a_site_visit_and_zones_for_a_virtual_one():
    # From Kansas City: Denver is nearer but an hour behind; Louisville farther, an hour ahead.
    evidence = {DENVER.id: Evidence(listed=True), BOSTON.id: Evidence(listed=True)}
    site = rank(KANSAS_CITY, [BOSTON, DENVER], evidence)
    assert [s.city.name for s in site] == ["Denver", "Boston"]
    # Virtually, Boston is an hour ahead and Denver an hour behind: distance no longer counts.
    virtual = rank(KANSAS_CITY, [BOSTON, DENVER], evidence, virtual=True)
    assert virtual[0].score == virtual[1].score
    assert [s.city.name for s in virtual] == ["Denver", "Boston"]  # the nearer on a tie


# --- properties -------------------------------------------------------------------------------

ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]

cities_strategy = st.lists(
    st.builds(
        City,
        id=st.integers(1, 40),
        name=st.sampled_from(["Austin", "Boise", "Chula Vista", "Dallas", "Everett"]),
        zone=st.sampled_from(ZONES),
        slug=st.just("x"),
        latitude=st.one_of(st.none(), st.floats(-60, 70)),
        longitude=st.floats(-170, 170),
        cap=st.one_of(st.none(), st.integers(0, 4)),
        hosted_this_year=st.integers(0, 5),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda c: c.id,
)
evidence_strategy = st.builds(
    Evidence,
    listed=st.booleans(),
    calls=st.lists(
        st.builds(Presentation, st.dates(date(2024, 1, 1), ON), st.just("A call")), max_size=4
    ),
    topics=st.lists(st.just("A topic"), max_size=3),
)


@st.composite
def networks(draw):
    cities = draw(cities_strategy)
    evidence = {c.id: draw(evidence_strategy) for c in cities if draw(st.booleans())}
    asking = draw(st.sampled_from(cities))
    visited = {c.id for c in cities if draw(st.booleans())}
    ties = {
        frozenset((asking.id, c.id)): draw(st.floats(0, 30)) for c in cities if draw(st.booleans())
    }
    virtual = draw(st.booleans())
    return asking, cities, evidence, visited, ties, virtual


def _run(asking, cities, evidence, visited, ties, virtual):
    return rank(asking, cities, evidence, visited=visited, ties=ties, virtual=virtual)


@settings(max_examples=150, deadline=None)
@given(networks(), st.randoms())
def test_the_order_is_the_same_whatever_order_the_facts_come_in(network, rnd):
    asking, cities, evidence, visited, ties, virtual = network
    shuffled = list(cities)
    rnd.shuffle(shuffled)
    first = _run(asking, cities, evidence, visited, ties, virtual)
    again = _run(asking, shuffled, evidence, visited, ties, virtual)
    assert [s.city.id for s in first] == [s.city.id for s in again]


@settings(max_examples=150, deadline=None)
@given(networks())
def test_only_strong_other_cities_are_suggested_and_full_ones_come_last(network):
    asking, cities, evidence, visited, ties, virtual = network
    ranked = _run(asking, cities, evidence, visited, ties, virtual)
    ids = [s.city.id for s in ranked]
    assert asking.id not in ids and len(ids) == len(set(ids))
    assert all(s.city.id in evidence for s in ranked)
    strong = {
        c.id
        for c in cities
        if c.id != asking.id
        and c.id in evidence
        and (evidence[c.id].listed or evidence[c.id].calls or evidence[c.id].topics)
    }
    assert set(ids) == strong
    fulls = [s.is_full for s in ranked]
    assert fulls == sorted(fulls)  # every open city before every full one
    open_scores = [s.score for s in ranked if not s.is_full]
    assert open_scores == sorted(open_scores, reverse=True)
    for s in ranked:
        assert s.why and ";;" not in s.why and "  " not in s.why


def _score_of(city_id, *args):
    return next(s.score for s in _run(*args) if s.city.id == city_id)


@settings(max_examples=150, deadline=None)
@given(networks(), st.data())
def test_more_strength_never_lowers_a_city_and_more_load_or_an_old_tie_never_raises_it(
    network, data
):
    asking, cities, evidence, visited, ties, virtual = network
    strong = [
        c
        for c in cities
        if c.id != asking.id
        and c.id in evidence
        and (evidence[c.id].listed or evidence[c.id].calls or evidence[c.id].topics)
    ]
    if not strong:
        return
    city = data.draw(st.sampled_from(strong))
    base = _score_of(city.id, asking, cities, evidence, visited, ties, virtual)

    stronger = dict(evidence)
    stronger[city.id] = replace(evidence[city.id], listed=True)
    assert _score_of(city.id, asking, cities, stronger, visited, ties, virtual) >= base

    busier = [
        replace(c, hosted_this_year=c.hosted_this_year + 1) if c.id == city.id else c
        for c in cities
    ]
    assert _score_of(city.id, asking, busier, evidence, visited, ties, virtual) <= base

    assert _score_of(city.id, asking, cities, evidence, visited | {city.id}, ties, virtual) <= base

    pair = frozenset((asking.id, city.id))
    tied = dict(ties) | {pair: ties.get(pair, 0.0) + data.draw(st.floats(0.1, 20))}
    assert _score_of(city.id, asking, cities, evidence, visited, tied, virtual) <= base


@settings(max_examples=100, deadline=None)
@given(st.floats(-80, 80), st.floats(-179, 179), st.floats(-80, 80), st.floats(-179, 179))
def test_haversine_is_a_symmetric_bounded_distance(lat1, lon1, lat2, lon2):
    d = haversine_km((lat1, lon1), (lat2, lon2))
    assert d == pytest.approx(haversine_km((lat2, lon2), (lat1, lon1)), abs=1e-6)
    assert 0 <= d <= 20_016  # half the Earth's circumference
