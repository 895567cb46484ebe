"""Statistics (STAT-1, STAT-2): visits, operators' time, a target per service, local days

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-11 10:00:00

``queue_visits`` keeps each stay of a ticket in a service (a transfer ends one and begins
another) and ``operator_spans`` the seconds operators spent in each user status per local hour;
both are written by the queue's functions in the transaction of the change. A service gets its
service-level target (``projects.target_wait_s``, 15 minutes by default); calls get the office's
local day and hour. Existing tickets and calls are carried over in the time zone named by
``CHERGA_TIMEZONE`` (the hub's setting; Europe/Kyiv when unset): one visit per ticket that
arrived, as its row shows it now.
"""

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = hub.db.base.UTCDateTime(timezone=True)
OUTCOMES = "outcome IN ('open', 'done', 'no_show', 'transferred', 'cancelled')"


def _tz() -> ZoneInfo:
    return ZoneInfo(os.environ.get("CHERGA_TIMEZONE") or "Europe/Kyiv")


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target_wait_s", sa.Integer(), server_default="900", nullable=False)
        )
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("local_hour", sa.SmallInteger(), nullable=True))
        batch_op.create_index("ix_phone_calls_day", ["local_day", "device_id"], unique=False)
    op.create_index(
        "ix_queue_tickets_day", "queue_tickets", ["service_day", "origin_project_id"], unique=False
    )
    visits = op.create_table(
        "queue_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("joined_at", WHEN, nullable=False),
        sa.Column("called_at", WHEN, nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("window", sa.String(length=16), nullable=True),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("service_s", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_queue_visits_hour")),
        sa.CheckConstraint(OUTCOMES, name=op.f("ck_queue_visits_outcome")),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["users.id"],
            name=op.f("fk_queue_visits_operator_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["projects.id"],
            name=op.f("fk_queue_visits_service_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["queue_tickets.id"],
            name=op.f("fk_queue_visits_ticket_id_queue_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_visits")),
    )
    op.create_index("ix_queue_visits_day", "queue_visits", ["day", "service_id"], unique=False)
    op.create_index("ix_queue_visits_ticket", "queue_visits", ["ticket_id", "outcome"])
    op.create_index("ix_queue_visits_called", "queue_visits", ["called_at"], unique=False)
    op.create_table(
        "operator_spans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name=op.f("ck_operator_spans_hour")),
        sa.CheckConstraint("seconds >= 0", name=op.f("ck_operator_spans_seconds")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_operator_spans_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_spans")),
    )
    op.create_index("ix_operator_spans_day", "operator_spans", ["day", "user_id"], unique=False)
    _carry_over(visits)


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _carry_over(visits: sa.Table) -> None:
    """One visit per ticket that arrived, and the local day of every call, in ``_tz()``."""
    bind, tz = op.get_bind(), _tz()
    tickets = sa.table(
        "queue_tickets",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", sa.Integer()),
                ("project_id", sa.Integer()),
                ("kind", sa.String()),
                ("state", sa.String()),
                ("operator_id", sa.Integer()),
                ("window", sa.String()),
                ("recalls", sa.Integer()),
            )
        ),
        *(
            sa.column(name, WHEN)
            for name in ("effective_at", "arrived_at", "called_at", "started_at", "finished_at")
        ),
    )
    rows = bind.execute(sa.select(tickets).where(tickets.c.arrived_at.is_not(None))).all()
    outcomes = {"done": "done", "no_show": "no_show", "cancelled": "cancelled"}
    values = []
    for row in rows:
        arrived, effective = _aware(row.arrived_at), _aware(row.effective_at)
        joined = max(arrived, effective) if arrived and effective else arrived
        assert joined is not None
        local = joined.astimezone(tz)
        called, started, ended = (
            _aware(row.called_at),
            _aware(row.started_at),
            _aware(row.finished_at),
        )
        outcome = outcomes.get(row.state, "open")
        values.append(
            {
                "ticket_id": row.id,
                "service_id": row.project_id,
                "kind": row.kind,
                "day": local.date(),
                "hour": local.hour,
                "joined_at": joined,
                "called_at": called,
                "started_at": started,
                "ended_at": ended if outcome != "open" else None,
                "operator_id": row.operator_id,
                "window": row.window,
                "recalls": row.recalls,
                "wait_s": _seconds(called, joined),
                "service_s": _seconds(ended, started or called) if outcome == "done" else None,
                "outcome": outcome,
            }
        )
    if values:
        op.bulk_insert(visits, values)
    calls = sa.table(
        "phone_calls",
        sa.column("id", sa.Integer()),
        sa.column("started_at", WHEN),
        sa.column("local_day", sa.Date()),
        sa.column("local_hour", sa.SmallInteger()),
    )
    update = (
        sa.update(calls)
        .where(calls.c.id == sa.bindparam("call"))
        .values(local_day=sa.bindparam("day"), local_hour=sa.bindparam("hour"))
    )
    changes = []
    for call_id, started in bind.execute(sa.select(calls.c.id, calls.c.started_at)).all():
        local = _aware(started).astimezone(tz)  # type: ignore[union-attr]
        changes.append({"call": call_id, "day": local.date(), "hour": local.hour})
    if changes:
        bind.execute(update, changes)


def downgrade() -> None:
    op.drop_index("ix_operator_spans_day", table_name="operator_spans")
    op.drop_table("operator_spans")
    op.drop_index("ix_queue_visits_called", table_name="queue_visits")
    op.drop_index("ix_queue_visits_ticket", table_name="queue_visits")
    op.drop_index("ix_queue_visits_day", table_name="queue_visits")
    op.drop_table("queue_visits")
    op.drop_index("ix_queue_tickets_day", table_name="queue_tickets")
    with op.batch_alter_table("phone_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_phone_calls_day")
        batch_op.drop_column("local_hour")
        batch_op.drop_column("local_day")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("target_wait_s")
