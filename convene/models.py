"""Every model, imported once so that Alembic and create_all see the whole schema."""

from convene.accounts.models import Member, MemberToken, Organisation  # noqa: F401
from convene.calendar.models import CalendarSubscription, FeedState  # noqa: F401
from convene.convenings.models import Call, Rsvp, Series, SeriesHost, SeriesSkip  # noqa: F401
from convene.notifications.models import OutboxMessage  # noqa: F401
