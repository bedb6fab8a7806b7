"""Fixtures shared by the visits tests."""

from tests.visits.scheduling import scene  # noqa: F401
