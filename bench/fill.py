"""Fill a Cherga database with a large, realistic-looking CRM for the registry benchmarks.

Rows are written with bulk Core inserts in batches (not through the domain services, which would
take hours for a million events); the shapes follow the models and every foreign key is valid.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, insert, select

from hub.db.base import utcnow
from hub.db.models import (
    Client,
    Contact,
    ContactPhone,
    Event,
    EventType,
    Project,
    ProjectMember,
    SettlementDocument,
    Task,
    TaskExecutor,
    TaskStatus,
    User,
)

BATCH = 10_000
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 3 * 365


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind to make."""

    events: int = 1_000_000
    tasks: int = 200_000
    clients: int = 50_000
    contacts_per_client: int = 2
    documents: int = 200_000
    users: int = 60
    projects: int = 100


def _batches(rows: Iterator[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _write(
    engine: Engine,
    table: Table,
    rows: Iterator[dict[str, Any]],
    label: str,
    say: Callable[[str], None],
) -> None:
    started = time.monotonic()
    count = 0
    for batch in _batches(rows):
        with engine.begin() as connection:
            connection.execute(insert(table), batch)
        count += len(batch)
    say(f"  {label}: {count:,} rows in {time.monotonic() - started:.1f} s")


OPERATORS = ("50", "63", "66", "67", "68", "73", "93", "97")


def _phone(rng: random.Random) -> str:
    return f"+380{rng.choice(OPERATORS)}{rng.randrange(10**7):07d}"


def reset_sequences(engine: Engine) -> None:
    """On PostgreSQL, move each id sequence past the ids inserted by hand."""
    if engine.dialect.name != "postgresql":
        return
    tables = (
        "users",
        "clients",
        "contacts",
        "contact_phones",
        "projects",
        "settlement_documents",
        "events",
        "tasks",
        "task_executors",
    )
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def fill(engine: Engine, sizes: Sizes, say: Callable[[str], None], seed: int = 42) -> None:
    """Insert ``sizes`` worth of users, projects, clients, contacts, documents, events, tasks."""
    rng = random.Random(seed)
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    with engine.connect() as connection:
        type_ids = list(connection.scalars(select(EventType.id)))
        statuses = {
            code: sid for sid, code in connection.execute(select(TaskStatus.id, TaskStatus.code))
        }
        first_user = connection.scalar(select(User.id).order_by(User.id.desc())) or 0
    user_ids = list(range(first_user + 1, first_user + 1 + sizes.users))
    _write(
        engine,
        User.__table__,
        (
            {
                "id": uid,
                "username": f"bench{uid}",
                "password_hash": None,
                "is_active": True,
                "is_admin": False,
                "crm_access": True,
                "full_access": False,
                "deny_task_status_change": False,
                "lang": "uk",
                **stamps,
            }
            for uid in user_ids
        ),
        "users",
        say,
    )
    _write(
        engine,
        Client.__table__,
        (
            {
                "id": cid,
                "parent_id": None,
                "name": f"ТОВ «Клієнт {cid:05d}»",
                "name_folded": f"тов «клієнт {cid:05d}»",
                "vat_status": "unknown",
                "tax_number": f"{rng.randrange(10**8):08d}",
                "phone": (p := _phone(rng)),
                "phone_digits": p[-9:],
                "deleted_at": None,
                **stamps,
            }
            for cid in range(1, sizes.clients + 1)
        ),
        "clients",
        say,
    )
    contact_total = sizes.clients * sizes.contacts_per_client

    def contacts() -> Iterator[dict[str, Any]]:
        for index in range(1, contact_total + 1):
            birthday = date(1960 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 29))
            yield {
                "id": index,
                "client_id": (index - 1) // sizes.contacts_per_client + 1,
                "full_name": f"Контакт {index}",
                "full_name_folded": f"контакт {index}",
                "birthday": birthday,
                "birth_month": birthday.month,
                "birth_day": birthday.day,
                "deleted_at": None,
                **stamps,
            }

    _write(engine, Contact.__table__, contacts(), "contacts", say)
    _write(
        engine,
        ContactPhone.__table__,
        (
            {"contact_id": index, "phone": (p := _phone(rng)), "digits": p[-9:], "kind": "work"}
            for index in range(1, contact_total + 1)
        ),
        "contact phones",
        say,
    )
    _write(
        engine,
        Project.__table__,
        (
            {
                "id": pid,
                "number": f"{pid:05d}",
                "name": f"Проект {pid}",
                "name_folded": f"проект {pid}",
                "uses_queue": pid % 10 == 0,
                "manager_id": rng.choice(user_ids),
                **stamps,
            }
            for pid in range(1, sizes.projects + 1)
        ),
        "projects",
        say,
    )
    _write(
        engine,
        ProjectMember.__table__,
        (
            {"project_id": pid, "user_id": uid, "added_at": now}
            for pid in range(1, sizes.projects + 1)
            for uid in rng.sample(user_ids, 5)
        ),
        "work groups",
        say,
    )

    def documents() -> Iterator[dict[str, Any]]:
        kinds = ["invoice", "payment", "act", "waybill", "tax_invoice", "contract"]
        for index in range(1, sizes.documents + 1):
            kind = rng.choice(kinds)
            yield {
                "id": index,
                "client_id": rng.randrange(1, sizes.clients + 1),
                "kind": kind,
                "number": f"{kind[:2].upper()}-{index}",
                "doc_date": (START + timedelta(days=rng.randrange(SPAN_DAYS))).date(),
                "direction": "in" if kind in ("invoice", "act", "waybill") else "out",
                "amount": Decimal(rng.randrange(100, 10_000_000)) / 100,
                "currency": "UAH" if rng.random() < 0.9 else "EUR",
                "affects_balance": kind != "contract",
                **stamps,
            }

    _write(engine, SettlementDocument.__table__, documents(), "settlement documents", say)

    def events() -> Iterator[dict[str, Any]]:
        for index in range(1, sizes.events + 1):
            starts = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            client = rng.randrange(1, sizes.clients + 1) if rng.random() < 0.8 else None
            phone = _phone(rng)
            yield {
                "id": index,
                "number": f"{index:07d}",
                "type_id": rng.choice(type_ids),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=rng.randrange(1, 90)),
                "responsible_type": "employee",
                "responsible_id": rng.choice(user_ids),
                "client_id": client,
                "phone": phone,
                "phone_digits": phone[-9:],
                "project_id": rng.randrange(1, sizes.projects + 1) if rng.random() < 0.7 else None,
                "content": "Розмова з клієнтом",
                "archived_at": None,
                **stamps,
            }

    _write(engine, Event.__table__, events(), "events", say)
    status_pool = [statuses["assigned"]] * 6 + [statuses["done"]] * 3 + [statuses["suspended"]]

    def tasks() -> Iterator[dict[str, Any]]:
        for index in range(1, sizes.tasks + 1):
            starts = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            yield {
                "id": index,
                "number": f"{index:07d}",
                "name": f"Задача {index}",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=rng.randrange(1, 96)),
                "status_id": rng.choice(status_pool),
                "priority": "normal",
                "percent_done": 0,
                "time_spent_minutes": 0,
                "author_id": rng.choice(user_ids),
                "project_id": rng.randrange(1, sizes.projects + 1) if rng.random() < 0.6 else None,
                "client_id": rng.randrange(1, sizes.clients + 1) if rng.random() < 0.5 else None,
                "recurrence_interval": 1,
                "custom_fields": {},
                **stamps,
            }

    _write(engine, Task.__table__, tasks(), "tasks", say)

    def executors() -> Iterator[dict[str, Any]]:
        for index in range(1, sizes.tasks + 1):
            for uid in rng.sample(user_ids, rng.choice((1, 1, 2))):
                yield {
                    "task_id": index,
                    "user_id": uid,
                    "status_id": statuses["assigned"],
                    "time_spent_minutes": 0,
                }

    _write(engine, TaskExecutor.__table__, executors(), "task executors", say)
    reset_sequences(engine)
