"""Every model, imported once so that Alembic and create_all see the whole schema."""

from convene.accounts.models import Member, MemberToken, Organisation  # noqa: F401
from convene.convenings.models import Call, Rsvp, Series, SeriesHost, SeriesSkip  # noqa: F401
from convene.notifications.models import OutboxMessage  # noqa: F401
from convene.topics import scheduling  # noqa: F401  (a held call holds its topic)
from convene.topics.models import Topic, TopicSettings, TopicVote  # noqa: F401
