"""Call-centre lines: callers wait in the services' queues as phone tickets

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 19:10:00

- ``devices.line``: a phone agent that takes the office's numbers (the "line" role of the MQTT
  contract). A flag rather than a new value of ``devices.role``: changing that CHECK would make
  SQLite copy the devices table, and dropping the old copy cascades into print jobs and calls.
- ``queue_tickets.line_device`` / ``line_call``: a caller's ticket, by the line agent and its call
  (unique: a join delivered twice makes one ticket); ``call_outcome`` (``answered``,
  ``abandoned``) and ``answered_at`` for the phone event (PH-8). A caller's ticket keeps the
  ticket kinds and states of a walk-in (an abandoned call is ``cancelled``), for the same reason.
- ``projects.callers_first`` and ``projects.caller_share_percent``: a service may put callers at
  the front of its line, or cap the share of callers among the visitors it calls (off by default).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both databases: a batch copy of projects or devices
    # on SQLite would have to drop the old table, which the rows referring to it forbid.
    op.add_column(
        "devices", sa.Column("line", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "projects",
        sa.Column("callers_first", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("projects", sa.Column("caller_share_percent", sa.Integer(), nullable=True))
    op.add_column("queue_tickets", sa.Column("line_device", sa.String(length=64), nullable=True))
    op.add_column("queue_tickets", sa.Column("line_call", sa.String(length=128), nullable=True))
    op.add_column("queue_tickets", sa.Column("call_outcome", sa.String(length=16), nullable=True))
    op.add_column(
        "queue_tickets",
        sa.Column("answered_at", hub.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_queue_tickets_line_call", "queue_tickets", ["line_device", "line_call"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_queue_tickets_line_call", table_name="queue_tickets")
    # SQLite (3.35+) drops plain columns in place; a batch copy of projects or devices would
    # have to drop the old table, which the rows referring to it forbid.
    for table, column in (
        ("queue_tickets", "answered_at"),
        ("queue_tickets", "call_outcome"),
        ("queue_tickets", "line_call"),
        ("queue_tickets", "line_device"),
        ("projects", "caller_share_percent"),
        ("projects", "callers_first"),
        ("devices", "line"),
    ):
        op.drop_column(table, column)
