"""visits: peer visits between cities, practice areas and what each city can share

Revision ID: 0015_visits
Revises: 0014_account_changes
Create Date: 2026-12-08 09:00:00.000000

New tables: practice_areas, city_strengths (the areas a city can share), visits with the
cities (host or visitor) and people taking part, their itinerary and reports, and
programme_budgets (the travel budget per year). organisations gains latitude and longitude
(for distances between cities; both or neither) and visits_hosted_cap (the most visits a
city hosts a year; NULL for no limit), all NULL on upgrade. actions gains visit_id (the
visit an action is about) and its kind accepts the visit flow's kinds.
"""

from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0015_visits"
down_revision = "0014_account_changes"
branch_labels = None
depends_on = None

KINDS = (
    "call.moved",
    "call.cancelled",
    "call.reinstated",
    "call.host_reassigned",
    "call.host_swapped",
    "call.agenda_set",
    "call.held",
    "rsvp.coming",
    "rsvp.declined",
    "swap.requested",
    "swap.answered",
    "topic.scheduled",
    "topic.unscheduled",
    "topic.declined",
    "topic.merged",
    "topic.held",
    "registration.confirmed",
    "registration.waitlisted",
    "registration.promoted",
    "registration.cancelled",
    "registration.substituted",
    "session.place_gained",
    "session.promoted",
    "session.place_lost",
    "session.waitlisted",
    "session.waitlist_left",
    "seating.published",
    "seating.seat_moved",
    "seating.seat_lost",
    "summit.changed",
    "agenda_item.moved",
    "agenda_item.cancelled",
    "registration.moved",
    "registration.removed",
    "member.password_changed",
    "member.new_email_asked",
    "member.email_changed",
    "champion.handed_over",
)
NEW_KINDS = (
    "visit.requested",
    "visit.accepted",
    "visit.declined",
    "visit.dates_proposed",
    "visit.approved",
    "visit.moved",
    "visit.cancelled",
    "visit.reinstated",
    "visit.held",
    "visit.reported",
    "visit.itinerary_changed",
    "visit.person_named",
    "visit.person_removed",
)
ORGANISATION_CHECKS = (
    ("latitude_range", "latitude IS NULL OR latitude BETWEEN -90 AND 90"),
    ("longitude_range", "longitude IS NULL OR longitude BETWEEN -180 AND 180"),
    ("coordinates_paired", "(latitude IS NULL) = (longitude IS NULL)"),
    ("visits_cap_not_negative", "visits_hosted_cap IS NULL OR visits_hosted_cap >= 0"),
)


def _kind_check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _set_kinds(kinds) -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_actions_action_kind"), sa.text(_kind_check(kinds))
        )


REMINDER_KINDS = ("call", "summit", "agenda_item", "social_session", "session_slot")


def _set_reminder_kinds(kinds) -> None:
    """Reminders before a peer visit are a kind of their own."""
    with op.batch_alter_table("sent_reminders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sent_reminders_reminder_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_sent_reminders_reminder_kind"),
            sa.text("kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"),
        )


def upgrade():
    op.create_table(
        "practice_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("keywords", sa.String(length=300), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(trim(name)) > 0", name=op.f("ck_practice_areas_name_not_blank")),
        sa.CheckConstraint("length(trim(slug)) > 0", name=op.f("ck_practice_areas_slug_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_areas")),
        sa.UniqueConstraint("name", name=op.f("uq_practice_areas_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_practice_areas_slug")),
    )
    op.create_table(
        "programme_budgets",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_programme_budgets_amount_not_negative")
        ),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_programme_budgets_year_range")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_programme_budgets")),
    )
    op.create_table(
        "city_strengths",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("practice_area_id", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "champion",
                "topic",
                "call",
                name="strengthsource",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["members.id"],
            name=op.f("fk_city_strengths_confirmed_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_city_strengths_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_area_id"],
            ["practice_areas.id"],
            name=op.f("fk_city_strengths_practice_area_id_practice_areas"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_city_strengths")),
        sa.UniqueConstraint(
            "organisation_id", "practice_area_id", name=op.f("uq_city_strengths_organisation_id")
        ),
    )
    with op.batch_alter_table("city_strengths", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_city_strengths_practice_area_id"), ["practice_area_id"], unique=False
        )

    op.create_table(
        "visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("intended_use", sa.Text(), nullable=False),
        sa.Column(
            "format",
            sa.Enum(
                "site_visit",
                "workshop",
                "virtual",
                name="visitformat",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "dates_proposed",
                "accepted",
                "declined",
                "approved",
                "held",
                "cancelled",
                name="visitstatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("proposed_starts_on", sa.Date(), nullable=True),
        sa.Column("proposed_ends_on", sa.Date(), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("practice_area_id", sa.Integer(), nullable=False),
        sa.Column("requesting_organisation_id", sa.Integer(), nullable=False),
        sa.Column("travel_budget_cents", sa.Integer(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("answer_note", sa.String(length=500), nullable=True),
        sa.Column("cancel_reason", sa.String(length=300), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status != 'dates_proposed' OR proposed_starts_on IS NOT NULL",
            name=op.f("ck_visits_dates_proposed_has_dates"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'held') OR approved_at IS NOT NULL",
            name=op.f("ck_visits_approved_has_time"),
        ),
        sa.CheckConstraint(
            "(proposed_starts_on IS NULL) = (proposed_ends_on IS NULL)",
            name=op.f("ck_visits_proposed_dates_paired"),
        ),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_visits_ends_after_starts")),
        sa.CheckConstraint("length(trim(title)) > 0", name=op.f("ck_visits_title_not_blank")),
        sa.CheckConstraint(
            "proposed_ends_on IS NULL OR proposed_ends_on >= proposed_starts_on",
            name=op.f("ck_visits_proposed_ends_after_starts"),
        ),
        sa.CheckConstraint("sequence >= 0", name=op.f("ck_visits_sequence_not_negative")),
        sa.CheckConstraint(
            "travel_budget_cents IS NULL OR travel_budget_cents >= 0",
            name=op.f("ck_visits_travel_budget_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["members.id"],
            name=op.f("fk_visits_answered_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["members.id"],
            name=op.f("fk_visits_approved_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_visits_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_area_id"],
            ["practice_areas.id"],
            name=op.f("fk_visits_practice_area_id_practice_areas"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["requesting_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_visits_requesting_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visits_practice_area_id"), ["practice_area_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_visits_requesting_organisation_id"),
            ["requesting_organisation_id"],
            unique=False,
        )
        batch_op.create_index("ix_visits_status_starts_on", ["status", "starts_on"], unique=False)

    op.create_table(
        "visit_cities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("host", "visitor", name="visitside", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_visit_cities_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_cities_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_cities")),
        sa.UniqueConstraint("visit_id", "organisation_id", name=op.f("uq_visit_cities_visit_id")),
    )
    with op.batch_alter_table("visit_cities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_cities_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "visit_itinerary_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_visit_itinerary_items_ends_after_starts")
        ),
        sa.CheckConstraint(
            "length(trim(title)) > 0", name=op.f("ck_visit_itinerary_items_title_not_blank")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_itinerary_items_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_itinerary_items")),
    )
    with op.batch_alter_table("visit_itinerary_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_itinerary_items_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "visit_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("host", "visitor", name="visitside", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_visit_participants_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_participants_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_participants")),
        sa.UniqueConstraint("visit_id", "member_id", name=op.f("uq_visit_participants_visit_id")),
    )
    with op.batch_alter_table("visit_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_participants_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "visit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("host", "visitor", name="visitside", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("shown", sa.Text(), nullable=True),
        sa.Column("will_try", sa.Text(), nullable=True),
        sa.Column("resources", sa.Text(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("published_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["members.id"],
            name=op.f("fk_visit_reports_author_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_visit_reports_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
            name=op.f("fk_visit_reports_visit_id_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_reports")),
        sa.UniqueConstraint("visit_id", "organisation_id", name=op.f("uq_visit_reports_visit_id")),
    )
    with op.batch_alter_table("visit_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_reports_organisation_id"), ["organisation_id"], unique=False
        )

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_actions_visit_id"), ["visit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_actions_visit_id_visits"),
            "visits",
            ["visit_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with _foreign_keys_off(op.get_bind()), op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("visits_hosted_cap", sa.Integer(), nullable=True))
        for name, check in ORGANISATION_CHECKS:
            batch_op.create_check_constraint(op.f(f"ck_organisations_{name}"), sa.text(check))
    _set_kinds(KINDS + NEW_KINDS)
    _set_reminder_kinds(REMINDER_KINDS + ("visit",))


def downgrade():
    op.execute(sa.text("DELETE FROM sent_reminders WHERE kind = 'visit'"))
    _set_reminder_kinds(REMINDER_KINDS)
    op.execute(
        sa.text(
            "DELETE FROM actions WHERE kind IN (" + ", ".join(f"'{k}'" for k in NEW_KINDS) + ")"
        )
    )
    _set_kinds(KINDS)
    with _foreign_keys_off(op.get_bind()), op.batch_alter_table("organisations") as batch_op:
        for name, _check in ORGANISATION_CHECKS:
            batch_op.drop_constraint(op.f(f"ck_organisations_{name}"), type_="check")
        batch_op.drop_column("visits_hosted_cap")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_actions_visit_id_visits"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_actions_visit_id"))
        batch_op.drop_column("visit_id")

    with op.batch_alter_table("visit_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_reports_organisation_id"))

    op.drop_table("visit_reports")
    with op.batch_alter_table("visit_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_participants_member_id"))

    op.drop_table("visit_participants")
    with op.batch_alter_table("visit_itinerary_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_itinerary_items_visit_id"))

    op.drop_table("visit_itinerary_items")
    with op.batch_alter_table("visit_cities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_cities_organisation_id"))

    op.drop_table("visit_cities")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_status_starts_on")
        batch_op.drop_index(batch_op.f("ix_visits_requesting_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_visits_practice_area_id"))

    op.drop_table("visits")
    with op.batch_alter_table("city_strengths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_city_strengths_practice_area_id"))

    op.drop_table("city_strengths")
    op.drop_table("programme_budgets")
    op.drop_table("practice_areas")


@contextmanager
def _foreign_keys_off(bind):
    """SQLite rebuilds `organisations` to add its checks: it drops the old table, and with
    foreign keys on that drop refuses (or cascades to) every row that points at an
    organisation. As in 0006: what came before is committed, the rebuilt table is checked,
    then foreign keys are back on. PostgreSQL alters in place."""
    if bind.dialect.name != "sqlite":
        yield
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        raw.commit()
        problems = raw.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise RuntimeError(f"foreign keys broken by the rebuild of organisations: {problems}")
    finally:
        raw.commit()
        raw.execute("PRAGMA foreign_keys=ON")
