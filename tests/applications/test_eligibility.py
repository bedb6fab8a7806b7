"""Which cities may apply: a US state or DC, and a population within the configured band."""

import pytest

from convene.applications.eligibility import (
    Band,
    configured_band,
    eligibility_problem,
    population_doubt,
)
from convene.config import Config, load_config

BAND = Band(100_000, 1_000_000)


@pytest.mark.parametrize(
    ("population", "eligible"),
    [(99_999, False), (100_000, True), (1_000_000, True), (1_000_001, False)],
)
def test_both_ends_of_the_band_are_in_it(population, eligible):
    assert (eligibility_problem("OH", population, BAND) is None) is eligible


def test_the_applicant_is_told_why():
    assert "100,000 people or more" in eligibility_problem("OH", 99_999, BAND)
    assert "up to 1,000,000 people" in eligibility_problem("OH", 1_000_001, BAND)
    for state in ("PR", "GU", "", None, "ZZ", "oh"):
        assert "50 US states" in eligibility_problem(state, 250_000, BAND)
    assert eligibility_problem("DC", 690_000, BAND) is None
    assert eligibility_problem("OH", None, BAND) == "Give the city's population."


def test_the_band_is_configuration(make_app, monkeypatch):
    assert (Config.APPLICATION_MIN_POPULATION, Config.APPLICATION_MAX_POPULATION) == (
        100_000,
        1_000_000,
    )
    app = make_app(APPLICATION_MIN_POPULATION=50_000, APPLICATION_MAX_POPULATION=2_000_000)
    with app.app_context():
        band = configured_band()
    assert band == Band(50_000, 2_000_000)
    assert eligibility_problem("OH", 60_000, band) is None
    assert eligibility_problem("OH", 1_500_000, band) is None
    assert eligibility_problem("OH", 49_999, band) is not None
    monkeypatch.setenv("APPLICATION_MIN_POPULATION", "75000")
    assert load_config("development")["APPLICATION_MIN_POPULATION"] == 75_000


def test_a_population_far_from_the_gazetteers_is_doubted():
    assert population_doubt(150_000, 471_825)
    assert population_doubt(900_000, 471_825)
    assert not population_doubt(480_000, 471_825)
    assert not population_doubt(150_000, None) and not population_doubt(None, 150_000)
