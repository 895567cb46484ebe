"""Automatic numbering (SET-6): unique, consecutive numbers per document type, project and day.

The counter is advanced with one atomic ``UPDATE ... RETURNING`` inside the caller's transaction:
PostgreSQL holds the row lock until commit and SQLite holds its write lock, so concurrent callers
(threads, processes, several hubs on one PostgreSQL) queue on the row, and a rolled-back document
gives its number back. No in-process lock is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from hub.db.base import core_connection, dialect_insert, table_of
from hub.db.models import Counter, NumberingRule, Project
from hub.db.refcache import cached
from hub.errors import Conflict, Invalid, NotFound

MAX_WIDTH = 12


@dataclass(frozen=True)
class IssuedNumber:
    """A number taken from a counter."""

    value: int
    text: str
    rule_id: int
    period: str


def format_number(prefix: str, width: int, value: int) -> str:
    """``prefix`` followed by ``value`` padded with zeros to ``width`` digits."""
    return f"{prefix}{value:0{width}d}"


@dataclass(frozen=True)
class Rule:
    """What a numbering rule says, detached from any session (kept in ``hub.db.refcache``)."""

    id: int
    project_id: int | None
    prefix: str
    width: int
    start: int
    per_project: bool
    daily_reset: bool


def find_rule(session: Session, doc_type: str, project_id: int | None = None) -> Rule:
    """The project's own rule for ``doc_type`` if it has one, else the general rule."""
    rule = cached(
        session, ("numbering_rule", doc_type, project_id), _rule_loader(doc_type, project_id)
    )
    if rule is None:
        raise NotFound("numbering_not_configured", doc_type=doc_type)
    return rule


def _rule_loader(doc_type: str, project_id: int | None) -> Callable[[Session], Rule | None]:
    def load(session: Session) -> Rule | None:
        general = NumberingRule.project_id.is_(None)
        mine = (
            general if project_id is None else or_(NumberingRule.project_id == project_id, general)
        )
        # One query: the project's rule sorts first (false before true), the general one after.
        query = select(NumberingRule).where(NumberingRule.doc_type == doc_type, mine)
        row = session.scalar(query.order_by(general).limit(1))
        if row is None:
            return None
        return Rule(
            row.id,
            row.project_id,
            row.prefix,
            row.width,
            row.start,
            row.per_project,
            row.daily_reset,
        )

    return load


def _scope(rule: Rule, project_id: int | None, on: date) -> tuple[int, str]:
    # Numbers grow past the width rather than refusing a visitor a ticket.
    per_project = rule.per_project or rule.project_id is not None
    return ((project_id or 0) if per_project else 0), (on.isoformat() if rule.daily_reset else "")


_COUNTERS = table_of(Counter).c
_BUMP = (
    update(table_of(Counter))
    .where(
        _COUNTERS.rule_id == bindparam("b_rule"),
        _COUNTERS.project_key == bindparam("b_key"),
        _COUNTERS.period == bindparam("b_period"),
    )
    .values(value=_COUNTERS.value + 1)
    .returning(_COUNTERS.value)
)


def next_number(
    session: Session, *, doc_type: str, on: date, project_id: int | None = None
) -> IssuedNumber:
    """Take the next number for ``doc_type`` (of ``project_id``) on the local day ``on``."""
    rule = find_rule(session, doc_type, project_id)
    project_key, period = _scope(rule, project_id, on)
    # Built once, run on the session's connection: a number is taken for every ticket and task.
    counter = core_connection(session)
    bump = {"b_rule": rule.id, "b_key": project_key, "b_period": period}
    value = counter.execute(_BUMP, bump).scalar()
    if value is None:
        inserted = session.scalar(
            dialect_insert(session, Counter)
            .values(rule_id=rule.id, project_key=project_key, period=period, value=rule.start)
            .on_conflict_do_nothing()
            .returning(Counter.value)
        )
        # None: someone created the counter between our UPDATE and INSERT; now it exists.
        value = inserted if inserted is not None else counter.execute(_BUMP, bump).scalar()
    if value is None:  # pragma: no cover - the row exists by now on every database
        raise RuntimeError("numbering counter vanished")
    return IssuedNumber(
        value=value,
        text=format_number(rule.prefix, rule.width, value),
        rule_id=rule.id,
        period=period,
    )


def peek_next(session: Session, *, doc_type: str, on: date, project_id: int | None = None) -> str:
    """The number the next call would give, without taking it."""
    rule = find_rule(session, doc_type, project_id)
    project_key, period = _scope(rule, project_id, on)
    current = session.scalar(
        select(Counter.value).where(
            Counter.rule_id == rule.id, Counter.project_key == project_key, Counter.period == period
        )
    )
    value = rule.start if current is None else current + 1
    return format_number(rule.prefix, rule.width, value)


def list_rules(session: Session) -> list[NumberingRule]:
    """Every numbering rule, general ones first."""
    return list(
        session.scalars(
            select(NumberingRule).order_by(
                NumberingRule.doc_type,
                NumberingRule.project_id.is_not(None),
                NumberingRule.project_id,
            )
        )
    )


@dataclass(frozen=True)
class RuleLine:
    """A rule as the Numbering page lists it: what it says, its project's name, and the number
    it gives next (None for a general rule counting per project: that depends on the project)."""

    id: int
    doc_type: str
    project_id: int | None
    project_name: str | None
    prefix: str
    width: int
    start: int
    per_project: bool
    daily_reset: bool
    next_number: str | None


def rule_lines(session: Session, *, on: date) -> list[RuleLine]:
    """Every rule with its project's name and its next number on the local day ``on``."""
    rules = list_rules(session)
    wanted = {rule.project_id for rule in rules if rule.project_id is not None}
    names: dict[int, str] = {}
    if wanted:
        query = select(Project.id, Project.name).where(Project.id.in_(wanted))
        names = {ident: name for ident, name in session.execute(query)}
    lines = []
    for rule in rules:
        preview = None
        if not rule.per_project or rule.project_id is not None:
            preview = peek_next(session, doc_type=rule.doc_type, on=on, project_id=rule.project_id)
        lines.append(
            RuleLine(
                id=rule.id,
                doc_type=rule.doc_type,
                project_id=rule.project_id,
                project_name=names.get(rule.project_id) if rule.project_id else None,
                prefix=rule.prefix,
                width=rule.width,
                start=rule.start,
                per_project=rule.per_project,
                daily_reset=rule.daily_reset,
                next_number=preview,
            )
        )
    return lines


def get_rule(session: Session, rule_id: int) -> NumberingRule:
    """One rule, or NotFound."""
    rule = session.get(NumberingRule, rule_id)
    if rule is None:
        raise NotFound("not_found", what=f"numbering rule {rule_id}")
    return rule


def _check_rule_values(values: dict[str, Any]) -> None:
    width = values.get("width")
    if width is not None and not 1 <= width <= MAX_WIDTH:
        raise Invalid("validation_error", details=f"width 1..{MAX_WIDTH}", field="width")


def create_rule(session: Session, values: dict[str, Any]) -> NumberingRule:
    """Add a rule, usually a project's own rule (its prefix, such as "A-")."""
    _check_rule_values(values)
    project_id = values.get("project_id")
    if project_id is not None and session.get(Project, project_id) is None:
        raise Invalid("not_found", what=f"project {project_id}", field="project_id")
    existing = session.scalar(
        select(NumberingRule.id).where(
            NumberingRule.doc_type == values["doc_type"],
            NumberingRule.project_id.is_(None)
            if values.get("project_id") is None
            else NumberingRule.project_id == values["project_id"],
        )
    )
    if existing is not None:
        raise Conflict("numbering_rule_exists", doc_type=values["doc_type"])
    rule = NumberingRule(**values)
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, rule_id: int, changes: dict[str, Any]) -> NumberingRule:
    """Change a rule's prefix, width, start, per-project or daily-restart setting."""
    _check_rule_values(changes)
    rule = get_rule(session, rule_id)
    for field, value in changes.items():
        setattr(rule, field, value)
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    """Delete a project's own rule (the general rules stay)."""
    rule = get_rule(session, rule_id)
    if rule.project_id is None:
        raise Conflict("system_entry_delete", name=rule.doc_type)
    session.delete(rule)
    session.flush()
