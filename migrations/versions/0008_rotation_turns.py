"""rotation as a queue of turns: skipped_calls, series_hosts in queue order

Revision ID: 0008_rotation_turns
Revises: 0006_session_tokens
Create Date: 2026-12-03 10:00:00.000000

Hosts used to follow from a call's index among the series' dates, so every skip shifted the
host of every later call. The rotation is now a queue: `series_hosts.position` 0 hosts the
next new call, and `skipped_calls` records the calls a series edit cancelled and the turn
each owes its partner.

The upgrade puts each rotation in queue order: the partner the old rule gave the next slot
after the last call comes first, so the order of turns goes on as before. A partner listed
twice keeps its first place only. Calls the old edit cancelled because their date left the
series are recorded (no turn owed: nobody lost one then), so removing that skip brings them
back.
"""
from datetime import datetime, time, timezone

from alembic import op
import sqlalchemy as sa
from dateutil.rrule import WEEKLY, rrule, rruleset

import convene.types


# revision identifiers, used by Alembic.
revision = "0008_rotation_turns"
down_revision = "0006_session_tokens"
branch_labels = None
depends_on = None

VANISHED_REASON = "The series changed: there is no call on this date any more."

series = sa.table(
    "series",
    sa.column("id", sa.Integer),
    sa.column("first_date", sa.Date),
    sa.column("interval_weeks", sa.Integer),
)
hosts = sa.table(
    "series_hosts",
    sa.column("id", sa.Integer),
    sa.column("series_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("organisation_id", sa.Integer),
)
skips = sa.table("series_skips", sa.column("series_id", sa.Integer), sa.column("day", sa.Date))
calls = sa.table(
    "calls",
    sa.column("id", sa.Integer),
    sa.column("series_id", sa.Integer),
    sa.column("slot_date", sa.Date),
    sa.column("host_organisation_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("cancel_reason", sa.String),
)


def upgrade():
    op.create_table(
        "skipped_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "turn",
            sa.Enum(
                "owed", "repaid", "forfeited",
                name="turn_state", native_enum=False, create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", convene.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"],
            name=op.f("fk_skipped_calls_call_id_calls"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_skipped_calls_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"],
            name=op.f("fk_skipped_calls_series_id_series"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skipped_calls")),
        sa.UniqueConstraint("call_id", name=op.f("uq_skipped_calls_call_id")),
    )
    with op.batch_alter_table("skipped_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skipped_calls_series_id"), ["series_id"], unique=False)

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    for series_id, first_date, interval_weeks in bind.execute(
        sa.select(series.c.id, series.c.first_date, series.c.interval_weeks)
    ).all():
        _queue_order(bind, series_id, first_date, interval_weeks)
        records = bind.execute(
            sa.select(calls.c.id, calls.c.host_organisation_id).where(
                calls.c.series_id == series_id,
                calls.c.status == "cancelled",
                calls.c.cancel_reason == VANISHED_REASON,
            )
        ).all()
        if records:
            op.bulk_insert(
                sa.table(
                    "skipped_calls",
                    sa.column("series_id", sa.Integer),
                    sa.column("call_id", sa.Integer),
                    sa.column("organisation_id", sa.Integer),
                    sa.column("turn", sa.String),
                    sa.column("created_at", convene.types.UTCDateTime),
                ),
                [
                    {"series_id": series_id, "call_id": call_id, "organisation_id": host_id,
                     "turn": "forfeited", "created_at": now}
                    for call_id, host_id in records
                ],
            )


def _queue_order(bind, series_id, first_date, interval_weeks):
    rows = bind.execute(
        sa.select(hosts.c.id, hosts.c.organisation_id, hosts.c.position)
        .where(hosts.c.series_id == series_id)
        .order_by(hosts.c.position)
    ).all()
    seen, order = set(), []
    for host_id, organisation_id, _position in rows:
        if organisation_id in seen:
            bind.execute(hosts.delete().where(hosts.c.id == host_id))
        else:
            seen.add(organisation_id)
            order.append(host_id)
    if not order:
        return
    last = bind.execute(
        sa.select(sa.func.max(calls.c.slot_date)).where(calls.c.series_id == series_id)
    ).scalar()
    used = 0
    if last is not None and last >= first_date:
        rules = rruleset()
        rules.rrule(
            rrule(
                WEEKLY,
                interval=interval_weeks,
                dtstart=datetime.combine(first_date, time()),
                until=datetime.combine(last, time()),
            )
        )
        for (day,) in bind.execute(sa.select(skips.c.day).where(skips.c.series_id == series_id)):
            rules.exdate(datetime.combine(day, time()))
        used = sum(1 for _ in rules)  # the slots the old rule had handed out
    # Positions are unique per series: park every row past them first.
    parked = max(position for _, _, position in rows) + len(rows) + 1
    for place, host_id in enumerate(order):
        bind.execute(hosts.update().where(hosts.c.id == host_id).values(position=parked + place))
    for place, host_id in enumerate(order):
        bind.execute(
            hosts.update()
            .where(hosts.c.id == host_id)
            .values(position=(place - used) % len(order))
        )


def downgrade():
    with op.batch_alter_table("skipped_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skipped_calls_series_id"))

    op.drop_table("skipped_calls")
