"""E-mail: the mail outbox, letters received into events, mailboxes' health, sealed mail
passwords, in-system notifications, and the booking reminder's mark (EVT-7, SET-8, TSK-7,
CLI-4, Q-2a)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, hub.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at", nullable=False),
        _at("claimed_at"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        _at("created_at", nullable=False),
        _at("sent_at"),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_mail_outbox_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_outbox_key")),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["state", "next_attempt_at", "id"])
    op.create_table(
        "mail_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_mail_secrets")),
    )
    op.create_table(
        "mailbox_states",
        sa.Column("mailbox", sa.String(length=64), nullable=False),
        _at("last_ok_at"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        _at("last_error_at"),
        sa.Column("failures", sa.Integer(), nullable=False),
        _at("next_try_at"),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_mailbox_states")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        _at("created_at", nullable=False),
        _at("read_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_key")),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at", "id"])
    op.create_table(
        "mail_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("mailbox", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        _at("received_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_mail_letters_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_letters")),
        sa.UniqueConstraint(
            "message_key", "recipient", name=op.f("uq_mail_letters_message_key_recipient")
        ),
    )
    op.create_index(op.f("ix_mail_letters_event_id"), "mail_letters", ["event_id"])
    with op.batch_alter_table("booking_contacts", schema=None) as batch_op:
        batch_op.add_column(_at("reminded_at"))


def downgrade() -> None:
    with op.batch_alter_table("booking_contacts", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    op.drop_index(op.f("ix_mail_letters_event_id"), table_name="mail_letters")
    op.drop_table("mail_letters")
    op.drop_index("ix_notifications_user", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("mailbox_states")
    op.drop_table("mail_secrets")
    op.drop_index("ix_mail_outbox_due", table_name="mail_outbox")
    op.drop_table("mail_outbox")
