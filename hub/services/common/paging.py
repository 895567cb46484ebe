"""Keyset pagination: registries page by an opaque cursor, never by OFFSET, never loading a table.

A page is ordered by one or more columns ending with the primary key (unique, so the order is
total). The cursor carries the last row's values; the next page starts strictly after them:
``(a, b, id) > (a0, b0, id0)`` written out as nested ORs so that any database uses the index.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, false, literal, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.errors import Invalid

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class SortKey:
    """One column of the order; ``descending`` flips it."""

    column: InstrumentedAttribute[Any]
    descending: bool = False


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of rows and the cursor of the next page (None on the last one)."""

    items: list[T]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "n" in value:
            return Decimal(value["n"])
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor for the row with these sort values."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> list[Any]:
    """The sort values inside a cursor; Invalid if it was not made by ``encode_cursor``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != width:
            raise ValueError("wrong width")
        return [_decode_value(v) for v in values]
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Invalid("bad_cursor", field="cursor") from None


def _nullable(key: SortKey) -> bool:
    return bool(getattr(key.column.property, "columns", [None])[0].nullable)


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> Any:
    """Rows strictly after ``values`` in the order of ``keys`` (NULLs sort last)."""
    directions = {key.descending for key in keys}
    if len(directions) == 1 and None not in values and not any(map(_nullable, keys)):
        # A row-value comparison: one index range scan on SQLite and PostgreSQL alike.
        left = tuple_(*(key.column for key in keys))
        right = tuple_(*(literal(value) for value in values))
        return left < right if keys[0].descending else left > right
    clauses = []
    for index, key in enumerate(keys):
        value = values[index]
        if value is None:
            continue  # nothing sorts after NULL but NULL itself, which the next keys decide
        step = key.column < value if key.descending else key.column > value
        if _nullable(key):
            step = or_(step, key.column.is_(None))
        clauses.append(and_(*(_equal(keys[i].column, values[i]) for i in range(index)), step))
    return or_(*clauses) if clauses else false()


def _order(key: SortKey) -> Any:
    """ORDER BY for one key. NULLS LAST only where NULLs can occur: PostgreSQL reads
    ``DESC NULLS LAST`` from no ordinary index, so on a NOT NULL column it would sort the whole
    table (a million events: 140 ms) instead of scanning the index backwards (under 1 ms).
    """
    column = key.column.desc() if key.descending else key.column.asc()
    return column.nulls_last() if _nullable(key) else column


def paginate(
    session: Session,
    query: Select[Any],
    keys: Sequence[SortKey],
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    row_values: Callable[[Any], Sequence[Any]] | None = None,
) -> Page[Any]:
    """One page of ``query`` ordered by ``keys`` (the last key must be unique, e.g. the id)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("bad_limit", field="limit", max=MAX_LIMIT)
    if cursor:
        query = query.where(_after(keys, decode_cursor(cursor, len(keys))))
    order = [_order(key) for key in keys]
    rows = list(session.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        values = row_values(last) if row_values else [getattr(last, k.column.key) for k in keys]
        next_cursor = encode_cursor(values)
    return Page(items=rows, next_cursor=next_cursor)
