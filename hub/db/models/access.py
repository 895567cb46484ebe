"""Access rights of the Access Control module (ACC-1, ACC-2, ACC-4)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base


class DocRight(Base):
    """A user's rights on one document type (ACC-1)."""

    __tablename__ = "doc_rights"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    doc_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    can_create: Mapped[bool] = mapped_column(default=False)
    can_change: Mapped[bool] = mapped_column(default=False)
    can_delete: Mapped[bool] = mapped_column(default=False)


class JournalRight(Base):
    """A user's rights on the documents of one journal (ACC-2)."""

    __tablename__ = "journal_rights"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    journal_id: Mapped[int] = mapped_column(
        ForeignKey("journals.id", ondelete="CASCADE"), primary_key=True
    )
    can_create: Mapped[bool] = mapped_column(default=False)
    can_change: Mapped[bool] = mapped_column(default=False)
    can_delete: Mapped[bool] = mapped_column(default=False)


class SettingsTabAccess(Base):
    """A settings tab marked as visible for a user; no rows at all means every tab (ACC-4)."""

    __tablename__ = "settings_tab_access"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    tab: Mapped[str] = mapped_column(String(48), primary_key=True)
