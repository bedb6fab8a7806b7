"""The summit's factories, for reminders before summit items."""

from tests.summit.conftest import (  # noqa: F401
    make_agenda_item,
    make_registration,
    make_session,
    make_summit,
)
