"""Typed parameters (SET-8..SET-12) stored one row per key, globally or per user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, TimestampMixin


class GlobalParameter(TimestampMixin, Base):
    """One system-wide parameter."""

    __tablename__ = "global_parameters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class UserParameter(TimestampMixin, Base):
    """One parameter of one user."""

    __tablename__ = "user_parameters"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
