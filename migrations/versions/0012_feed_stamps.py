"""feed_stamps: one stamp per feed scope instead of one for every feed

Revision ID: 0012_feed_stamps
Revises: 0011_mail_preferences
Create Date: 2026-12-05 09:00:00.000000

A commit used to give every feed a new stamp, so a sign-in, a vote or one member's RSVP made
every instance rebuild every feed. Each scope (public, partner:<id>, summit:<id>,
member:<id>, calls, summits, all: see convene/calendar/feed_tables.py) now has its own row,
bumped only by the writes its feeds show. The table starts empty: a scope with no row was
never bumped, and the instances restarted by the upgrade have nothing cached.
"""
import uuid
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0012_feed_stamps"
down_revision = "0011_mail_preferences"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feed_stamps",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("changed_at", convene.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_feed_stamps")),
    )
    op.drop_table("feed_state")


def downgrade():
    op.create_table(
        "feed_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.Column("changed_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_feed_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_state")),
    )
    feed_state = sa.table(
        "feed_state",
        sa.column("id", sa.Integer),
        sa.column("stamp", sa.String),
        sa.column("changed_at", sa.DateTime),
    )
    op.bulk_insert(
        feed_state,
        [{"id": 1, "stamp": uuid.uuid4().hex,
          "changed_at": datetime.now(timezone.utc).replace(tzinfo=None)}],
    )
    op.drop_table("feed_stamps")
