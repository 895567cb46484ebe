"""What a history group (SET-2) may gather: the field names the change log of tasks and events
records, as the task and event services write them (``audit.record``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub.errors import Invalid
from hub.services.events.events import AUDITED as EVENT_CARD
from hub.services.tasks.tasks import CARD_FIELDS as TASK_CARD

# Besides the cards' fields, what the log's other records of a task name: its executors (all of
# them on creation, those added, replaced, removed or changed, their common status), a
# dependency, a reminder.
TASK_OTHERS = (
    "executors",
    "executors_status_id",
    "user_ids",
    "user_id",
    "depends_on_id",
    "reminder_id",
    "remind_at",
)
# ...and of an event: a linked document, and what the queue records of a ticket's event (its
# check-in, cancellation, transfer).
EVENT_OTHERS = ("document_id", "kind", "effective_at", "state", "operator", "front")
MAX_FIELDS = 64


@dataclass(frozen=True)
class KnownField:
    """A field name of the change log, and whether tasks, events or both record it."""

    name: str
    task: bool
    event: bool


def known_fields() -> tuple[KnownField, ...]:
    """Every field name a history group may list: the event card's, the task card's, then the
    names of the log's other records."""
    tasks = {*TASK_CARD, *TASK_OTHERS}
    events = {*EVENT_CARD, *EVENT_OTHERS}
    order = dict.fromkeys((*EVENT_CARD, *TASK_CARD, *TASK_OTHERS, *EVENT_OTHERS))
    return tuple(KnownField(name, name in tasks, name in events) for name in order)


def check_fields(fields: Sequence[str] | None) -> list[str] | None:
    """The group's fields without repeats, in their order; Invalid naming the first unknown."""
    if fields is None:
        return None
    known = {field.name for field in known_fields()}
    for name in fields:
        if name not in known:
            raise Invalid("history_field_unknown", field="fields", name=str(name)[:64])
    unique = list(dict.fromkeys(fields))
    if len(unique) > MAX_FIELDS:
        raise Invalid("history_fields_too_many", field="fields", max=MAX_FIELDS)
    return unique
