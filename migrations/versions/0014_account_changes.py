"""account changes: the actions' kind accepts password and email changes and handovers

Revision ID: 0014_account_changes
Revises: 0013_waitlist_decisions
Create Date: 2026-12-07 09:00:00.000000

A member's password change, a change of email address asked for and made, and a city's
champion role handed to another member are recorded as actions (and told by email), so the
CHECK constraint on actions.kind accepts four new kinds. No table or column changes: the
confirmation link of a new address is a signed token, not a stored row.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014_account_changes"
down_revision = "0013_waitlist_decisions"
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
)
NEW_KINDS = (
    "member.password_changed",
    "member.new_email_asked",
    "member.email_changed",
    "champion.handed_over",
)


def _kind_check(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _set_kinds(kinds) -> None:
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_actions_action_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_actions_action_kind"), sa.text(_kind_check(kinds)))


def upgrade():
    _set_kinds(KINDS + NEW_KINDS)


def downgrade():
    op.execute(
        sa.text("DELETE FROM actions WHERE kind IN (" + ", ".join(f"'{k}'" for k in NEW_KINDS) + ")")
    )
    _set_kinds(KINDS)
