"""invitation_sequences: each member's last invitation SEQUENCE per event

Revision ID: 0010_invitation_sequences
Revises: 0009_actions
Create Date: 2026-12-04 10:00:00.000000

A CANCEL that takes one person off an event must go above the REQUEST they hold, and a
REQUEST after it above the CANCEL (RFC 5546), though the feeds' SEQUENCE does not move. The
table starts empty: an event nobody remembers is sent at the feeds' SEQUENCE, and a CANCEL
for one person one above it, where the REQUESTs sent before the upgrade were.
"""
from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0010_invitation_sequences"
down_revision = "0009_actions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitation_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=512), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "REQUEST", "CANCEL", name="itip_method", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("sequence_offset", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sent_at", convene.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "sequence >= 0", name=op.f("ck_invitation_sequences_sequence_not_negative")
        ),
        sa.CheckConstraint(
            "sequence_offset >= 0", name=op.f("ck_invitation_sequences_offset_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_invitation_sequences_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_sequences")),
        sa.UniqueConstraint("member_id", "uid", name=op.f("uq_invitation_sequences_member_id")),
    )


def downgrade():
    op.drop_table("invitation_sequences")
