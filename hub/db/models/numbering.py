"""Automatic numbering of documents (SET-6): rules and their counters."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, TimestampMixin


class NumberingRule(TimestampMixin, Base):
    """How numbers of a document type are made; a project's own rule overrides the general one."""

    __tablename__ = "numbering_rules"
    __table_args__ = (
        Index(
            "uq_numbering_rules_general",
            "doc_type",
            unique=True,
            sqlite_where=text("project_id IS NULL"),
            postgresql_where=text("project_id IS NULL"),
        ),
        Index(
            "uq_numbering_rules_project",
            "doc_type",
            "project_id",
            unique=True,
            sqlite_where=text("project_id IS NOT NULL"),
            postgresql_where=text("project_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    # The projects table arrives with the CRM core; until then this is a plain project id.
    project_id: Mapped[int | None]
    prefix: Mapped[str] = mapped_column(String(16), default="")
    width: Mapped[int] = mapped_column(default=6)
    start: Mapped[int] = mapped_column(default=1)
    per_project: Mapped[bool] = mapped_column(default=False)
    daily_reset: Mapped[bool] = mapped_column(default=False)


class Counter(Base):
    """The last number given for one rule, project scope and day."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("rule_id", "project_key", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("numbering_rules.id", ondelete="CASCADE"))
    # 0 when the rule does not count per project; a day "YYYY-MM-DD" or "" when it never restarts.
    project_key: Mapped[int] = mapped_column(default=0)
    period: Mapped[str] = mapped_column(String(10), default="")
    value: Mapped[int] = mapped_column(default=0)
