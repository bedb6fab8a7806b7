"""The summit's factories, shared with the summit tests."""

from tests.summit.conftest import (  # noqa: F401
    make_agenda_item,
    make_registration,
    make_session,
    make_summit,
)
