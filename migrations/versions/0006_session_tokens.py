"""members.session_token: sessions that end

Revision ID: 0006_session_tokens
Revises: 0005_calendar
Create Date: 2026-12-02 10:00:00.000000

Each member's sessions and remember cookies carry this token; replacing it ends them all.
Existing members get a random token each, so the sessions open before the upgrade end.
"""
import secrets
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_session_tokens"
down_revision = "0005_calendar"
branch_labels = None
depends_on = None

members = sa.table("members", sa.column("id", sa.Integer), sa.column("session_token", sa.String))


def upgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))

    bind = op.get_bind()
    for (member_id,) in bind.execute(sa.select(members.c.id)).all():
        bind.execute(
            members.update()
            .where(members.c.id == member_id)
            .values(session_token=secrets.token_urlsafe(32))
        )

    with _foreign_keys_off(bind), op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_members_session_token"), ["session_token"])


def downgrade():
    bind = op.get_bind()
    with _foreign_keys_off(bind), op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_members_session_token"), type_="unique")
        batch_op.drop_column("session_token")


@contextmanager
def _foreign_keys_off(bind):
    """SQLite rebuilds `members` to change a column: it drops the old table, and with foreign
    keys on that drop deletes (cascades) or refuses every row that points at a member.

    The switch is a no-op inside a transaction, so what came before is committed first; the
    rebuilt table is checked before foreign keys are back on. PostgreSQL alters in place.
    """
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
            raise RuntimeError(f"foreign keys broken by the rebuild of members: {problems}")
    finally:
        raw.commit()
        raw.execute("PRAGMA foreign_keys=ON")
