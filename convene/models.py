"""Every model, imported once so that Alembic and create_all see the whole schema."""

from convene.accounts.models import Member, MemberToken, Organisation  # noqa: F401
from convene.applications.models import (  # noqa: F401
    Application,
    ApplicationArea,
    ApplicationLink,
    Criterion,
    Decision,
    DecisionLetter,
    LeadershipMeeting,
    LetterTemplate,
    Review,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
    ReviewScore,
)
from convene.breakouts import planning  # noqa: F401  (late RSVPs find a room)
from convene.breakouts.models import BreakoutRoom, BreakoutSetup, RoomPresence, RoomSeat  # noqa: F401
from convene.calendar.models import CalendarSubscription, FeedStamp  # noqa: F401
from convene.convenings.models import (  # noqa: F401
    Attendance,
    Call,
    CallResource,
    Rsvp,
    Series,
    SeriesHost,
    SeriesSkip,
    SwapRequest,
)
from convene.history.models import Action  # noqa: F401
from convene.notifications.models import OutboxMessage  # noqa: F401
from convene.summit.models import (  # noqa: F401
    AgendaItem,
    AgendaPick,
    MustNotPair,
    Registration,
    SeatAssignment,
    SessionSignup,
    SessionSlot,
    SessionTable,
    SlotAbsence,
    SocialSession,
    Summit,
)
from convene.topics import scheduling  # noqa: F401  (a held call holds its topic)
from convene.topics.models import Topic, TopicSettings, TopicVote  # noqa: F401
from convene.visits.models import (  # noqa: F401
    CityStrength,
    ItineraryItem,
    PracticeArea,
    ProgrammeBudget,
    Visit,
    VisitCity,
    VisitParticipant,
    VisitReport,
)
