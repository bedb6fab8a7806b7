"""mail preferences, reminders sent, daily digests; outbox rows name their member and topic

Revision ID: 0011_mail_preferences
Revises: 0010_invitation_sequences
Create Date: 2026-12-04 12:00:00.000000

- mail_preferences: a member's choice (immediately, digest, never) per topic of optional
  mail; no row means immediately, so existing members keep getting everything.
- sent_reminders: one row per reminder, unique on (member, kind, thing, start): the key that
  makes a reminder go once however many workers run.
- mail_digests (unique member and day) and digest_items (optional mail held for the digest).
- outbox_messages.member_id, .topic and .is_digest: what the one-click unsubscribe headers
  (RFC 8058) are built from. Existing rows are essential mail (no topic, not a digest).
"""
from alembic import op
import sqlalchemy as sa

import convene.types


# revision identifiers, used by Alembic.
revision = "0011_mail_preferences"
down_revision = "0010_invitation_sequences"
branch_labels = None
depends_on = None

TOPICS = ("rsvp_receipts", "topic_news", "vote_updates", "reminders")
CHOICES = ("immediately", "digest", "never")
REMINDER_KINDS = ("call", "summit", "agenda_item", "social_session", "session_slot")


def _enum(values, name):
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
    )


def upgrade():
    op.create_table(
        "mail_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("topic", _enum(TOPICS, "mail_topic"), nullable=False),
        sa.Column("choice", _enum(CHOICES, "mail_choice"), nullable=False),
        sa.Column("updated_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_mail_preferences_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_preferences")),
        sa.UniqueConstraint("member_id", "topic", name=op.f("uq_mail_preferences_member_id")),
    )
    op.create_table(
        "sent_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum(REMINDER_KINDS, "reminder_kind"), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_sent_reminders_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_reminders")),
        sa.UniqueConstraint(
            "member_id", "kind", "thing_id", "starts_at",
            name=op.f("uq_sent_reminders_member_id"),
        ),
    )
    with op.batch_alter_table("sent_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_sent_reminders_kind_thing", ["kind", "thing_id"], unique=False)
    op.create_table(
        "mail_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_mail_digests_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_digests")),
        sa.UniqueConstraint("member_id", "day", name=op.f("uq_mail_digests_member_id")),
    )
    op.create_table(
        "digest_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("topic", _enum(TOPICS, "mail_topic"), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["digest_id"], ["mail_digests.id"], name=op.f("fk_digest_items_digest_id_mail_digests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_digest_items_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_items")),
    )
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_digest_items_member_held", ["member_id", "digest_id"], unique=False
        )

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("member_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("topic", _enum(TOPICS, "mail_topic"), nullable=True))
        batch_op.add_column(
            sa.Column("is_digest", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_member_id_members"), "members", ["member_id"], ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_member_id_members"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("ck_outbox_messages_mail_topic"), type_="check")
        batch_op.drop_column("is_digest")
        batch_op.drop_column("topic")
        batch_op.drop_column("member_id")
    with op.batch_alter_table("digest_items", schema=None) as batch_op:
        batch_op.drop_index("ix_digest_items_member_held")
    op.drop_table("digest_items")
    op.drop_table("mail_digests")
    with op.batch_alter_table("sent_reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_sent_reminders_kind_thing")
    op.drop_table("sent_reminders")
    op.drop_table("mail_preferences")
