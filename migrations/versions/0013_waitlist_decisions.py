"""waitlist decisions: places set by hand on a summit's waitlist, and their actions

Revision ID: 0013_waitlist_decisions
Revises: 0012_feed_stamps
Create Date: 2026-12-06 09:00:00.000000

Programme staff may promote, move or take off someone on a summit's waitlist, each with a
reason kept in the record of actions. summit_registrations.waitlist_rank holds the order
staff gave the front of the waitlist (NULL for everyone else, as every row is on upgrade),
and the actions' kind accepts the two new kinds (registration.moved and
registration.removed; a promotion by hand is a registration.promoted with its reason).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0013_waitlist_decisions"
down_revision = "0012_feed_stamps"
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
NEW_KINDS = ("registration.moved", "registration.removed")


def _kind_check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _set_kinds(kinds) -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_actions_action_kind"), sa.text(_kind_check(kinds)))


def upgrade():
    with op.batch_alter_table("summit_registrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waitlist_rank", sa.Integer(), nullable=True))
    _set_kinds(KINDS + NEW_KINDS)


def downgrade():
    op.execute(
        sa.text("DELETE FROM actions WHERE kind IN ('registration.moved', 'registration.removed')")
    )
    _set_kinds(KINDS)
    with op.batch_alter_table("summit_registrations", schema=None) as batch_op:
        batch_op.drop_column("waitlist_rank")
