"""Which cities may apply: US cities (a state or DC) within a population band.

The band is configuration (APPLICATION_MIN_POPULATION, APPLICATION_MAX_POPULATION: the
programme works with mid-sized cities of 100,000 to 1,000,000 people); both ends are in it.
A city that may not apply is told why before it writes anything.
"""

from dataclasses import dataclass

from flask import current_app

from convene.applications.places import is_state

# A number this far from the gazetteer's (either way, as a ratio) is worth a second look.
POPULATION_DOUBT_RATIO = 1.5


@dataclass(frozen=True)
class Band:
    minimum: int
    maximum: int


def configured_band() -> Band:
    config = current_app.config
    return Band(config["APPLICATION_MIN_POPULATION"], config["APPLICATION_MAX_POPULATION"])


def eligibility_problem(state: str | None, population: int | None, band: Band) -> str | None:
    """Why a city may not apply, in words for the applicant, or None if it may."""
    if not is_state(state):
        return "The programme is for cities in the 50 US states and the District of Columbia."
    if population is None:
        return "Give the city's population."
    if population < band.minimum:
        return (
            f"The programme is for cities of {band.minimum:,} people or more; "
            f"{population:,} is below that."
        )
    if population > band.maximum:
        return (
            f"The programme is for cities of up to {band.maximum:,} people; "
            f"{population:,} is above that."
        )
    return None


def population_doubt(typed: int | None, known: int | None) -> bool:
    """Whether a typed population is far from the gazetteer's (never a reason to refuse)."""
    if not typed or not known:
        return False
    return max(typed, known) / min(typed, known) >= POPULATION_DOUBT_RATIO
