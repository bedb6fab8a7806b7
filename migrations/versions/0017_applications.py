"""applications: cities apply, a committee reviews, decisions are sent as letters

Revision ID: 0017_applications
Revises: 0016_breakouts
Create Date: 2026-12-01 11:05:00.000000

New tables: applications (with the areas a city wants help with and the emailed links to
its draft and status page), reviewers and their declared conflicts, review assignments,
the rubric's criteria, reviews (a composite key to their assignment) and their scores,
leadership meetings, decisions and the letters sent (at most one accept-or-decline letter
per application: a partial unique index), and the editable letter templates. actions gains
application_id, its kind accepts the applications' kinds and widens to 29 characters (the
longest new kind).
"""

from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0017_applications"
down_revision = "0016_breakouts"
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
    "breakout.rooms_planned",
    "breakout.room_changed",
)
NEW_KINDS = (
    "application.submitted",
    "application.under_review",
    "application.reviewer_assigned",
    "application.meeting_scheduled",
    "application.meeting_moved",
    "application.meeting_cancelled",
    "application.letter_sent",
    "application.accepted",
)


def _kind_check(kinds) -> sa.TextClause:
    return sa.text("kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")")


def upgrade():
    op.create_table(
        "letter_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accept",
                "decline",
                "hold",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_templates")),
        sa.UniqueConstraint("outcome", name=op.f("uq_letter_templates_outcome")),
    )
    op.create_table(
        "review_criteria",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("guidance", sa.String(length=500), nullable=True),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "length(trim(name)) > 0", name=op.f("ck_review_criteria_name_not_blank")
        ),
        sa.CheckConstraint("weight > 0", name=op.f("ck_review_criteria_weight_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_criteria")),
        sa.UniqueConstraint("name", name=op.f("uq_review_criteria_name")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "under_review",
                "meeting",
                "decided",
                name="applicationstatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("contact_name", sa.String(length=120), nullable=True),
        sa.Column("city_name", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("champion_name", sa.String(length=120), nullable=True),
        sa.Column("champion_title", sa.String(length=120), nullable=True),
        sa.Column("champion_email", sa.String(length=254), nullable=True),
        sa.Column(
            "champion_seniority",
            sa.Enum(
                "elected",
                "executive",
                "senior_manager",
                "manager",
                "staff",
                name="seniority",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("data_history", sa.Text(), nullable=True),
        sa.Column("resources", sa.Text(), nullable=True),
        sa.Column("help_wanted", sa.Text(), nullable=True),
        sa.Column("letter_file", sa.String(length=80), nullable=True),
        sa.Column("letter_filename", sa.String(length=200), nullable=True),
        sa.Column("letter_bytes", sa.Integer(), nullable=True),
        sa.Column("letter_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("decided_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status = 'draft' OR submitted_at IS NOT NULL",
            name=op.f("ck_applications_submitted_has_time"),
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_applications_email_lowercase")),
        sa.CheckConstraint(
            "population IS NULL OR population > 0", name=op.f("ck_applications_population_positive")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_applications_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("organisation_id", name=op.f("uq_applications_organisation_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_applications_reference")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_status_submitted_at", ["status", "submitted_at"], unique=False
        )

    op.create_table(
        "application_areas",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("practice_area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_areas_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["practice_area_id"],
            ["practice_areas.id"],
            name=op.f("fk_application_areas_practice_area_id_practice_areas"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "application_id", "practice_area_id", name=op.f("pk_application_areas")
        ),
    )
    with op.batch_alter_table("application_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_areas_practice_area_id"), ["practice_area_id"], unique=False
        )

    op.create_table(
        "application_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "draft", "status", name="linkpurpose", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("retired_at", convene.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_links_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_application_links_token_hash")),
    )
    with op.batch_alter_table("application_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_links_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "decision_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accept",
                "decline",
                "hold",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_decision_letters_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["members.id"],
            name=op.f("fk_decision_letters_sent_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_letters")),
    )
    with op.batch_alter_table("decision_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_letters_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            "uq_decision_letters_one_final",
            ["application_id"],
            unique=True,
            sqlite_where=sa.text("outcome IN ('accept', 'decline')"),
            postgresql_where=sa.text("outcome IN ('accept', 'decline')"),
        )

    op.create_table(
        "leadership_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0", name=op.f("ck_leadership_meetings_duration_positive")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_leadership_meetings_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leadership_meetings")),
    )
    with op.batch_alter_table("leadership_meetings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_leadership_meetings_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_review_assignments_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_review_assignments_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint(
            "application_id", "member_id", name=op.f("uq_review_assignments_application_id")
        ),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_assignments_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_assignments_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "reviewer_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("declared_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_reviewer_conflicts_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reviewer_conflicts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_conflicts")),
        sa.UniqueConstraint(
            "application_id", "member_id", name=op.f("uq_reviewer_conflicts_application_id")
        ),
    )
    with op.batch_alter_table("reviewer_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviewer_conflicts_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reviewer_conflicts_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "reviewers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_reviewers_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewers")),
        sa.UniqueConstraint("member_id", name=op.f("uq_reviewers_member_id")),
    )
    op.create_table(
        "application_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "accept",
                "decline",
                "hold",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_decisions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["members.id"],
            name=op.f("fk_application_decisions_decided_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["decision_letters.id"],
            name=op.f("fk_application_decisions_letter_id_decision_letters"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_decisions")),
        sa.UniqueConstraint("application_id", name=op.f("uq_application_decisions_application_id")),
        sa.UniqueConstraint("letter_id", name=op.f("uq_application_decisions_letter_id")),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("submitted_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id", "member_id"],
            ["review_assignments.application_id", "review_assignments.member_id"],
            name=op.f("fk_reviews_application_id_review_assignments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("application_id", "member_id", name=op.f("uq_reviews_application_id")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reviews_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reviews_member_id"), ["member_id"], unique=False)

    op.create_table(
        "review_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_review_scores_score_range")),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["review_criteria.id"],
            name=op.f("fk_review_scores_criterion_id_review_criteria"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_scores_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_scores")),
        sa.UniqueConstraint("review_id", "criterion_id", name=op.f("uq_review_scores_review_id")),
    )
    with op.batch_alter_table("review_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_scores_criterion_id"), ["criterion_id"], unique=False
        )

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=24),
            type_=sa.String(length=29),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            op.f("ck_actions_action_kind"), _kind_check(KINDS + NEW_KINDS)
        )
        batch_op.create_index(
            batch_op.f("ix_actions_application_id"), ["application_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_actions_application_id_applications"),
            "applications",
            ["application_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    op.execute(sa.text("DELETE FROM actions WHERE kind LIKE 'application.%'"))
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_actions_application_id_applications"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_actions_application_id"))
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=sa.String(length=29),
            type_=sa.String(length=24),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(op.f("ck_actions_action_kind"), _kind_check(KINDS))
        batch_op.drop_column("application_id")

    with op.batch_alter_table("review_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_scores_criterion_id"))

    op.drop_table("review_scores")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_member_id"))
        batch_op.drop_index(batch_op.f("ix_reviews_application_id"))

    op.drop_table("reviews")
    op.drop_table("application_decisions")
    op.drop_table("reviewers")
    with op.batch_alter_table("reviewer_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_conflicts_member_id"))
        batch_op.drop_index(batch_op.f("ix_reviewer_conflicts_application_id"))

    op.drop_table("reviewer_conflicts")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignments_member_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_application_id"))

    op.drop_table("review_assignments")
    with op.batch_alter_table("leadership_meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leadership_meetings_application_id"))

    op.drop_table("leadership_meetings")
    with op.batch_alter_table("decision_letters", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_decision_letters_one_final",
            sqlite_where=sa.text("outcome IN ('accept', 'decline')"),
            postgresql_where=sa.text("outcome IN ('accept', 'decline')"),
        )
        batch_op.drop_index(batch_op.f("ix_decision_letters_application_id"))

    op.drop_table("decision_letters")
    with op.batch_alter_table("application_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_links_application_id"))

    op.drop_table("application_links")
    with op.batch_alter_table("application_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_areas_practice_area_id"))

    op.drop_table("application_areas")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_status_submitted_at")

    op.drop_table("applications")
    op.drop_table("review_criteria")
    op.drop_table("letter_templates")
