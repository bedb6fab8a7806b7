"""Which writes change which feeds: every table is listed here, as shown or quiet.

A feed is cached with the stamps of the scopes it depends on (see freshness.py), and a
commit bumps exactly the scopes its writes touch:

    public          the public feed: every call (no join details), summits, public agenda
    partner:<id>    one partner's feed: the calls it hosts
    summit:<id>     one summit's feed: the summit, its public agenda, its social sessions
    member:<id>     what only that member's personal feed shows: their subscription, RSVPs,
                    registrations, agenda picks, session sign-ups and seats
    calls           calls as any personal feed shows them (with join details); every
                    personal feed depends on it, so a call change reaches every subscriber
    summits         the summit programme as personal feeds show it (plenaries, picked
                    breakouts, sessions, slots, table names); every personal feed depends on it
    all             everything: every feed depends on it (raw SQL, bulk writes, tables not
                    classified yet)

A table is QUIET when no feed reads it (sign-ins, sessions, mail, the action log, votes...):
writing it bumps nothing. A SHOWN table names the columns feeds show and, for one changed
row, the scopes it bumps. A table in neither is treated as shown everywhere (it bumps `all`):
a feed that silently went stale would be wrong, while an extra rebuild only costs time; and
tests/calendar/test_feed_scopes.py fails until the table is classified here.
"""

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

log = logging.getLogger(__name__)

ALL = "all"
PUBLIC = "public"
CALLS = "calls"
SUMMITS = "summits"


def partner(organisation_id) -> str:
    return f"partner:{organisation_id}"


def summit(summit_id) -> str:
    return f"summit:{summit_id}"


def member(member_id) -> str:
    return f"member:{member_id}"


# What each feed depends on (the scopes whose stamps it is cached under).
def public_scopes() -> tuple[str, ...]:
    return (ALL, PUBLIC)


def partner_scopes(organisation_id) -> tuple[str, ...]:
    return (ALL, partner(organisation_id))


def summit_scopes(summit_id) -> tuple[str, ...]:
    return (ALL, summit(summit_id))


# Every personal feed depends on these, and on its member's own scope.
MEMBER_SHARED = (ALL, CALLS, SUMMITS)


def member_scopes(member_id) -> tuple[str, ...]:
    return (*MEMBER_SHARED, member(member_id))


class Unknown(Exception):
    """A value a rule needs was not loaded: the write bumps the table's broad scopes."""


EVERY_COLUMN = None  # every column is shown (an `updated_at` that moves on any change, say)


@dataclass(frozen=True)
class Shown:
    """A table feeds read.

    `scopes(row)` names the scopes a row is shown in (asked of the row before the write and
    after it); `columns` are the columns whose change shows (None: every one) and `quiet`
    the others; `also` adds scopes when a given column changes (an insert or delete changes
    every column). `lookups` compute values a rule needs that are not columns of the row.
    """

    scopes: Callable[["Row"], Iterable[str]]
    columns: frozenset[str] | None = EVERY_COLUMN
    quiet: frozenset[str] = frozenset()
    also: Mapping[str, frozenset[str]] = field(default_factory=dict)
    lookups: Mapping[str, Callable[["Row", sa.Connection], object]] = field(default_factory=dict)
    # Columns that only decide whether the row is shown, not how (an RSVP's answer): a
    # change of them alone bumps only the scopes the row enters or leaves.
    membership: frozenset[str] = frozenset()
    # False for a row no feed shows until another row refers to it (a new organisation or
    # member): that other row's write bumps what it shows.
    inserts_show: bool = True
    # For writes whose rows are unknown (bulk UPDATE/DELETE, a value not loaded).
    broad: frozenset[str] = frozenset({ALL})

    def shows_any(self, changed: Iterable[str]) -> bool:
        return self.columns is None or any(c in self.columns for c in changed)


class Row:
    """A row's values before or after a write; a value that is not known raises Unknown."""

    def __init__(self, values: dict, rule: Shown, connection: Callable[[], sa.Connection]):
        self._values = values
        self._rule = rule
        self._connection = connection

    def __getattr__(self, name: str):
        value = self._values.get(name, Unknown)
        if value is Unknown and name in self._rule.lookups:
            value = self._rule.lookups[name](self, self._connection())
            self._values[name] = Unknown if value is None else value
        if value is Unknown:
            raise Unknown(name)
        return value


def _columns(*names: str) -> frozenset[str]:
    return frozenset(names)


def _answered(row) -> set[str]:
    # Only yes and maybe put a call in a member's feed (sources._call_query).
    return {member(row.member_id)} if str(row.answer) in ("yes", "maybe") else set()


def _agenda_item(row) -> set[str]:
    return {SUMMITS} | ({PUBLIC, summit(row.summit_id)} if row.is_public else set())


def _social_session(row) -> set[str]:
    shown_in_summit_feed = str(row.kind) == "open" or row.is_published
    return {SUMMITS} | ({summit(row.summit_id)} if shown_in_summit_feed else set())


def _own(row) -> set[str]:
    return {member(row.member_id)}


_SESSIONS = sa.table("summit_social_sessions", sa.column("id"), sa.column("summit_id"))


def _summit_of_slot(row, connection) -> int | None:
    query = sa.select(_SESSIONS.c.summit_id).where(_SESSIONS.c.id == row.session_id)
    return connection.execute(query).scalar()


_VISITS = sa.table("visits", sa.column("id"), sa.column("is_public"))
_VISIT_PARTICIPANTS = sa.table("visit_participants", sa.column("visit_id"), sa.column("member_id"))


def _visit_public(row, connection) -> bool | None:
    query = sa.select(_VISITS.c.is_public).where(_VISITS.c.id == row.visit_id)
    return connection.execute(query).scalar()


def _participants(visit_id, connection) -> tuple[int, ...]:
    query = sa.select(_VISIT_PARTICIPANTS.c.member_id).where(
        _VISIT_PARTICIPANTS.c.visit_id == visit_id
    )
    return tuple(connection.execute(query).scalars())


def _visit_members(row, connection) -> tuple[int, ...]:
    return _participants(row.id, connection)


def _members_of_its_visit(row, connection) -> tuple[int, ...]:
    return _participants(row.visit_id, connection)


def _visit(row) -> set[str]:
    """A peer visit is in its named participants' feeds, and the public feed if public."""
    return ({PUBLIC} if row.is_public else set()) | {member(m) for m in row.member_ids}


def _part_of_visit(row) -> set[str]:
    """A visit's city, participant or itinerary item shows where the visit does."""
    return ({PUBLIC} if row.visit_public else set()) | {member(m) for m in row.member_ids}


def _visit_participant(row) -> set[str]:
    return _part_of_visit(row) | {member(row.member_id)}


_VISIT_LOOKUPS = {"visit_public": _visit_public, "member_ids": _members_of_its_visit}

_ASSIGNMENTS = sa.table("review_assignments", sa.column("application_id"), sa.column("member_id"))


def _assigned_reviewers(row, connection) -> tuple[int, ...]:
    query = sa.select(_ASSIGNMENTS.c.member_id).where(
        _ASSIGNMENTS.c.application_id == row.application_id
    )
    return tuple(connection.execute(query).scalars())


def _reviewers_of_application(row, connection) -> tuple[int, ...]:
    query = sa.select(_ASSIGNMENTS.c.member_id).where(_ASSIGNMENTS.c.application_id == row.id)
    return tuple(connection.execute(query).scalars())


def _meeting(row) -> set[str]:
    """A leadership meeting is in the feeds of the reviewers assigned its application."""
    return {member(m) for m in row.reviewer_ids}


_SEATS = sa.table("breakout_seats", sa.column("room_id"), sa.column("member_id"))


def _roommates(row, connection) -> tuple[int, ...]:
    """Who is in the seat's room as the write leaves it."""
    query = sa.select(_SEATS.c.member_id).where(_SEATS.c.room_id == row.room_id)
    return tuple(connection.execute(query).scalars())


def _seat(row) -> set[str]:
    return {member(row.member_id)} | {member(m) for m in row.roommate_ids}


SHOWN: dict[str, Shown] = {
    # Calls: every column, since updated_at (in every feed) moves with any change.
    "calls": Shown(lambda r: {PUBLIC, CALLS, partner(r.host_organisation_id)}),
    # The series' name labels calls without a topic everywhere; join details and
    # updated_at show in personal feeds only.
    "series": Shown(
        lambda r: {CALLS},
        also={"name": frozenset({ALL})},
        columns=_columns("id", "name", "video_url", "dial_in_number", "dial_in_code", "updated_at"),
        quiet=_columns(
            "first_date",
            "local_time",
            "zone",
            "interval_weeks",
            "duration_minutes",
            "horizon_weeks",
            "description",
            "created_at",
        ),
    ),
    # A host's name is in its calls; a partner's slug and kind find its feed.
    "organisations": Shown(
        lambda r: {PUBLIC, CALLS, partner(r.id)},
        columns=_columns("id", "name", "slug", "kind"),
        quiet=_columns(
            "state",
            "population",
            "zone",
            "website",
            "created_at",
            "latitude",
            "longitude",
            "visits_hosted_cap",
        ),
        inserts_show=False,
    ),
    # `active` matters to their own feed (a deactivated member's feed answers 404); the
    # name and organisation show in roommates' feeds, as "with Ana Ortiz (Mesa)" in a call's
    # breakout room (rare changes: every personal feed is rebuilt).
    "members": Shown(
        lambda r: {member(r.id)},
        columns=_columns("id", "active", "name", "organisation_id"),
        also={"name": frozenset({CALLS}), "organisation_id": frozenset({CALLS})},
        quiet=_columns(
            "email",
            "title",
            "role",
            "zone",
            "video_email",
            "password_hash",
            "created_at",
            "last_sign_in_at",
            "session_token",
        ),
        inserts_show=False,
    ),
    "calendar_subscriptions": Shown(_own),
    "rsvps": Shown(
        _answered,
        columns=_columns("id", "call_id", "member_id", "answer"),
        quiet=_columns("answered_at"),
        membership=_columns("answer"),  # yes and maybe show the same event
        broad=frozenset({CALLS}),
    ),
    "summits": Shown(lambda r: {PUBLIC, SUMMITS, summit(r.id)}),
    "summit_agenda_items": Shown(_agenda_item),
    "summit_social_sessions": Shown(_social_session),
    # A slot's summit is its session's (`summit_id` is not a column: looked up).
    "summit_session_slots": Shown(
        lambda r: {SUMMITS, summit(r.summit_id)}, lookups={"summit_id": _summit_of_slot}
    ),
    "summit_session_tables": Shown(
        lambda r: {SUMMITS},
        columns=_columns("id", "slot_id", "name"),
        quiet=_columns("position", "seats"),
    ),
    # Rows only personal feeds show; a bulk write (re-seating a slot, say) bumps them all.
    # A place set by hand on the waitlist (waitlist_rank) shows in no feed.
    "summit_registrations": Shown(
        _own, broad=frozenset({SUMMITS}), quiet=_columns("waitlist_rank")
    ),
    "summit_agenda_picks": Shown(_own, broad=frozenset({SUMMITS})),
    "summit_session_signups": Shown(_own, broad=frozenset({SUMMITS})),
    "summit_seat_assignments": Shown(_own, broad=frozenset({SUMMITS})),
    # Peer visits: the request's workflow and money are quiet; dates, title, status show.
    "visits": Shown(
        _visit,
        lookups={"member_ids": _visit_members},
        columns=_columns(
            "id",
            "title",
            "problem",
            "format",
            "status",
            "starts_on",
            "ends_on",
            "zone",
            "is_public",
            "cancel_reason",
            "sequence",
            "updated_at",
        ),
        quiet=_columns(
            "intended_use",
            "proposed_starts_on",
            "proposed_ends_on",
            "practice_area_id",
            "requesting_organisation_id",
            "travel_budget_cents",
            "answer_note",
            "created_by_id",
            "answered_by_id",
            "answered_at",
            "approved_by_id",
            "approved_at",
            "created_at",
        ),
        membership=_columns("is_public"),
        broad=frozenset({ALL}),
    ),
    "visit_cities": Shown(_part_of_visit, lookups=_VISIT_LOOKUPS),
    "visit_participants": Shown(
        _visit_participant, lookups=_VISIT_LOOKUPS, quiet=_columns("created_at")
    ),
    "visit_itinerary_items": Shown(_part_of_visit, lookups=_VISIT_LOOKUPS),
    # Breakout rooms: a call's event in a personal feed names the member's room and
    # roommates. A seat shows in its member's feed and in those of everyone in its room
    # (before and after the write: their roommates changed). Rooms and setups are deleted
    # with database cascades the session never sees, so their inserts and deletes bump
    # every personal feed; a setup's numbers show only through the seats they lead to.
    "breakout_setups": Shown(
        lambda r: {CALLS},
        columns=_columns("id", "call_id"),
        quiet=_columns("room_count", "room_size", "planned_at", "created_at", "updated_at"),
        broad=frozenset({CALLS}),
    ),
    "breakout_rooms": Shown(lambda r: {CALLS}, broad=frozenset({CALLS})),
    "breakout_seats": Shown(
        _seat,
        lookups={"roommate_ids": _roommates},
        columns=_columns("id", "call_id", "room_id", "member_id"),
        quiet=_columns("by_hand", "placed_at"),
        broad=frozenset({CALLS}),
    ),
    # City applications: only a leadership meeting reaches calendars, in the personal feeds
    # of the reviewers assigned its application (an assignment brings it in or takes it
    # out). Its notes are the application's record, not the event's. Everything else about
    # applications is quiet but the city's name and reference, which the event shows.
    "applications": Shown(
        _meeting,
        lookups={"reviewer_ids": _reviewers_of_application},
        columns=_columns("id", "reference", "city_name", "state"),
        quiet=_columns(
            "status",
            "email",
            "contact_name",
            "population",
            "zone",
            "latitude",
            "longitude",
            "champion_name",
            "champion_title",
            "champion_email",
            "champion_seniority",
            "data_history",
            "resources",
            "help_wanted",
            "letter_file",
            "letter_filename",
            "letter_bytes",
            "letter_sha256",
            "created_at",
            "updated_at",
            "submitted_at",
            "decided_at",
            "organisation_id",
        ),
        inserts_show=False,
    ),
    "leadership_meetings": Shown(
        _meeting,
        lookups={"reviewer_ids": _assigned_reviewers},
        columns=_columns(
            "id",
            "application_id",
            "starts_at",
            "zone",
            "duration_minutes",
            "location",
            "cancelled",
            "sequence",
            "updated_at",
        ),
        quiet=_columns("notes", "created_at"),
        broad=frozenset({ALL}),
    ),
    "review_assignments": Shown(
        _own,
        columns=_columns("id", "application_id", "member_id"),
        quiet=_columns("assigned_at"),
    ),
}

# Tables no feed reads. Writing them never moves a feed's Last-Modified.
QUIET: frozenset[str] = frozenset(
    {
        "feed_stamps",
        "member_tokens",  # sign-in links, invitations, password resets
        "outbox_messages",
        "mail_digests",
        "digest_items",
        "mail_preferences",
        "sent_reminders",
        "invitation_sequences",  # per-person iTIP bookkeeping; feeds carry the calls' own
        "actions",  # the history of changes: the changed rows themselves bump the feeds
        "topics",  # a scheduled topic is copied into its call's title
        "topic_votes",
        "topic_settings",
        "series_hosts",  # the rotation decides hosts of calls not made yet
        "series_skips",
        "skipped_calls",
        "swap_requests",  # an accepted swap changes the calls' hosts
        "call_attendances",
        "call_resources",
        "summit_must_not_pairs",  # seating inputs; the seats themselves are shown
        "summit_slot_absences",
        "practice_areas",  # a visit's event names its cities and title, not its area
        "city_strengths",
        "visit_reports",  # published to the network's pages, not to calendars
        "programme_budgets",
        "breakout_presences",  # who was really in a room: the ledger's, not the feeds'
        "application_areas",
        "application_links",
        "reviewers",  # assignments, not the reviewer list, put meetings in feeds
        "reviewer_conflicts",  # a conflict removes an assignment, which is shown
        "review_criteria",
        "reviews",
        "review_scores",
        "application_decisions",
        "decision_letters",
        "letter_templates",
    }
)

_warned: set[str] = set()


def rule_for(table_name: str) -> Shown | None:
    """The table's rule; None if it is quiet. An unclassified table bumps everything."""
    if table_name in QUIET:
        return None
    rule = SHOWN.get(table_name)
    if rule is None:
        if table_name not in _warned:
            _warned.add(table_name)
            log.warning("feeds: table %s is not classified in feed_tables.py", table_name)
        return UNCLASSIFIED
    return rule


UNCLASSIFIED = Shown(lambda r: {ALL})
