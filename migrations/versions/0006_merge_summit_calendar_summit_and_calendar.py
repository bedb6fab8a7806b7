"""summit and calendar

Revision ID: 0006_merge_summit_calendar
Revises: 0004_summit, 0005_calendar
Create Date: 2026-11-27 20:47:53.759881

"""
from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = '0006_merge_summit_calendar'
down_revision = ('0004_summit', '0005_calendar')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
