"""breakouts: breakout rooms on calls, and the address a member uses for video calls

Revision ID: 0016_breakouts
Revises: 0015_visits
Create Date: 2026-12-01 10:36:31.337932

New tables: breakout_setups (a call's number or size of rooms), breakout_rooms,
breakout_seats (who is placed in which room before the call) and breakout_presences (who
the host recorded in each room after it). Seats and presences are unique per call and
member, and their composite foreign key (room_id, call_id) keeps a room on its own call.
members gains video_email (NULL: the sign-in address). actions' kind accepts the two
breakout kinds.
"""

from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0016_breakouts"
down_revision = "0015_visits"
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
)
NEW_KINDS = ("breakout.rooms_planned", "breakout.room_changed")


def _set_kinds(kinds) -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_actions_action_kind"),
            sa.text("kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"),
        )


def upgrade():
    op.create_table(
        "breakout_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.CheckConstraint("number BETWEEN 1 AND 100", name=op.f("ck_breakout_rooms_number_range")),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_breakout_rooms_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breakout_rooms")),
        sa.UniqueConstraint("call_id", "number", name=op.f("uq_breakout_rooms_call_id")),
        sa.UniqueConstraint("id", "call_id", name=op.f("uq_breakout_rooms_id")),
    )
    with op.batch_alter_table("breakout_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breakout_rooms_call_id"), ["call_id"], unique=False)

    op.create_table(
        "breakout_setups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("room_count", sa.Integer(), nullable=True),
        sa.Column("room_size", sa.Integer(), nullable=True),
        sa.Column("planned_at", convene.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(room_count IS NULL) <> (room_size IS NULL)",
            name=op.f("ck_breakout_setups_count_or_size"),
        ),
        sa.CheckConstraint(
            "room_count IS NULL OR room_count BETWEEN 1 AND 100",
            name=op.f("ck_breakout_setups_room_count_range"),
        ),
        sa.CheckConstraint(
            "room_size IS NULL OR room_size BETWEEN 2 AND 50",
            name=op.f("ck_breakout_setups_room_size_range"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_breakout_setups_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breakout_setups")),
        sa.UniqueConstraint("call_id", name=op.f("uq_breakout_setups_call_id")),
    )
    op.create_table(
        "breakout_presences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_breakout_presences_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_breakout_presences_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id", "call_id"],
            ["breakout_rooms.id", "breakout_rooms.call_id"],
            name=op.f("fk_breakout_presences_room_id_breakout_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breakout_presences")),
        sa.UniqueConstraint("call_id", "member_id", name=op.f("uq_breakout_presences_call_id")),
    )
    with op.batch_alter_table("breakout_presences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breakout_presences_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breakout_presences_room_id"), ["room_id"], unique=False
        )

    op.create_table(
        "breakout_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("by_hand", sa.Boolean(), nullable=False),
        sa.Column("placed_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_breakout_seats_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_breakout_seats_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id", "call_id"],
            ["breakout_rooms.id", "breakout_rooms.call_id"],
            name=op.f("fk_breakout_seats_room_id_breakout_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breakout_seats")),
        sa.UniqueConstraint("call_id", "member_id", name=op.f("uq_breakout_seats_call_id")),
    )
    with op.batch_alter_table("breakout_seats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breakout_seats_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_breakout_seats_room_id"), ["room_id"], unique=False)

    op.add_column("members", sa.Column("video_email", sa.String(length=254), nullable=True))
    _set_kinds(KINDS + NEW_KINDS)


def downgrade():
    op.execute(
        sa.text(
            "DELETE FROM actions WHERE kind IN (" + ", ".join(f"'{k}'" for k in NEW_KINDS) + ")"
        )
    )
    _set_kinds(KINDS)
    op.drop_column("members", "video_email")

    with op.batch_alter_table("breakout_seats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breakout_seats_room_id"))
        batch_op.drop_index(batch_op.f("ix_breakout_seats_member_id"))

    op.drop_table("breakout_seats")
    with op.batch_alter_table("breakout_presences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breakout_presences_room_id"))
        batch_op.drop_index(batch_op.f("ix_breakout_presences_member_id"))

    op.drop_table("breakout_presences")
    op.drop_table("breakout_setups")
    with op.batch_alter_table("breakout_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breakout_rooms_call_id"))

    op.drop_table("breakout_rooms")
