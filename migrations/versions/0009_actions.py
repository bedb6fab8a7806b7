"""actions: the record of every change, which the notifications are driven from

Revision ID: 0009_actions
Revises: 0008_rotation_turns
Create Date: 2026-12-03 12:00:00.000000

One row per change: its kind, who made it and when, the objects it is about (nullable
foreign keys, SET NULL so the record outlives them), the people it concerns, what it was
before and after (JSON), and the outbox messages it queued. The table starts empty: changes
made before the upgrade have no record.
"""

from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0009_actions"
down_revision = "0008_rotation_turns"
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
)

SUBJECTS = (
    ("call_id", "calls"),
    ("topic_id", "topics"),
    ("summit_id", "summits"),
    ("registration_id", "summit_registrations"),
    ("social_session_id", "summit_social_sessions"),
    ("agenda_item_id", "summit_agenda_items"),
    ("member_id", "members"),
    ("former_member_id", "members"),
)


def upgrade():
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *KINDS,
                name="action_kind",
                native_enum=False,
                create_constraint=True,
                length=max(len(k) for k in KINDS),
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("happened_at", convene.types.UTCDateTime(), nullable=False),
        *(sa.Column(column, sa.Integer(), nullable=True) for column, _table in SUBJECTS),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("message_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["members.id"],
            name=op.f("fk_actions_actor_id_members"),
            ondelete="SET NULL",
        ),
        *(
            sa.ForeignKeyConstraint(
                [column],
                [f"{table}.id"],
                name=op.f(f"fk_actions_{column}_{table}"),
                ondelete="SET NULL",
            )
            for column, table in SUBJECTS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index("ix_actions_happened_at", ["happened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_actor_id"), ["actor_id"], unique=False)
        for column, _table in SUBJECTS:
            batch_op.create_index(batch_op.f(f"ix_actions_{column}"), [column], unique=False)


def downgrade():
    with op.batch_alter_table("actions", schema=None) as batch_op:
        for column, _table in reversed(SUBJECTS):
            batch_op.drop_index(batch_op.f(f"ix_actions_{column}"))
        batch_op.drop_index(batch_op.f("ix_actions_actor_id"))
        batch_op.drop_index("ix_actions_happened_at")
    op.drop_table("actions")
