"""The per-day summary of the facts (``stats_visit_days``, ``stats_call_days``,
``stats_caller_days``), kept right by the transactions that record the facts.

A visit's or a call's *share* is what its row adds to the summary: one row of counts and sums
under its key (local day, hour, and service, operator, window; or line and operator). When a
fact changes, its old share is taken out and its new one put in, with one
``INSERT ... ON CONFLICT DO UPDATE`` per key that adds to the counts in place, so concurrent
transactions on SQLite and PostgreSQL never lose an update. The reports sum the summary; the
summary is also rebuilt from the facts by ``rebuild`` (the tests' check and the bench; each
migration that fills a summary keeps its own frozen copy of the computation).

A caller's visit (issue 22: a visit of a ticket on an office line) also has a share in the
callers' summary, under (local day, hour, service). It reads the ticket's ``call_outcome`` and
``finished_at`` too, so the visit keeps a copy of both as last counted
(``queue_visits.call_outcome``, ``ticket_finished_at``): the old share is always the visit's
row, and a change of the ticket moves the share of each of its visits
(``hub.services.stats.facts.visit_changed``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, true, update
from sqlalchemy.orm import Session

from hub.db.base import core_connection, dialect_insert, table_of
from hub.db.models.calls import PhoneCallRecord
from hub.db.models.queue import QueueTicket
from hub.db.models.stats import CallDay, CallerDay, QueueVisit, VisitDay

NOBODY, NO_WINDOW = 0, ""
ABANDON_REASONS = ("cancelled", "remote_hangup")
VISIT_KEYS = ("day", "hour", "service_id", "operator_id", "window")
CALL_KEYS = ("day", "hour", "device_id", "user_id")
CALLER_KEYS = ("day", "hour", "service_id")
# A caller's ticket's ``call_outcome``: hung up before an answer, or asked to be called back.
ABANDONED, CALLBACK = "abandoned", "callback"

Key = tuple[Any, ...]
Share = tuple[Key, Counter[str]]
# The summary's rows: key to counts and sums.
Summed = dict[Key, Counter[str]]
# A row of facts by column name (a dict or a row's mapping).
Fact = Mapping[Any, Any]

# ---- visits ------------------------------------------------------------------------------------


def visit_share(visit: Fact) -> Share:
    """What one visit (a row of ``queue_visits`` as a mapping) adds to ``stats_visit_days``."""
    outcome, wait, length = visit["outcome"], visit["wait_s"], visit["service_s"]
    counts: Counter[str] = Counter(
        visits=1,
        served=outcome == "done",
        no_shows=outcome == "no_show",
        transfers=outcome == "transferred",
        recalls=visit["recalls"] or 0,
        cancelled=outcome == "cancelled",
        waiting=outcome == "open" and visit["called_at"] is None,
    )
    if wait is not None:
        counts.update(waits=1, wait_sum_s=wait, within_target=bool(visit["within_target"]))
    if length is not None:
        counts.update(services=1, service_sum_s=length)
    key = (
        visit["day"],
        visit["hour"],
        visit["service_id"],
        visit["operator_id"] or NOBODY,
        visit["window"] or NO_WINDOW,
    )
    return key, counts


def visit_moved(session: Session, before: Fact | None, after: Fact) -> None:
    """Move a visit's share in the summary (and a caller's in the callers' summary) from
    ``before`` (None: a new visit) to ``after``."""
    visits_moved(session, [(before, after)])


def visits_moved(session: Session, moves: Sequence[tuple[Fact | None, Fact]]) -> None:
    """``visit_moved`` for several visits at once (a caller's visits in one service and
    another), every row touched in key order."""
    for model, keys, share in (
        (VisitDay, VISIT_KEYS, visit_share),
        (CallerDay, CALLER_KEYS, caller_share),
    ):
        _move(
            session,
            model,
            keys,
            [share(before) for before, _after in moves if before is not None],
            [share(after) for _before, after in moves],
        )


# ---- callers -----------------------------------------------------------------------------------


def _seconds(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return max(0, round((later - earlier).total_seconds()))


def caller_answered(visit: Fact) -> bool:
    """The operator's phone answered the caller in this visit (its service started, and the
    call neither abandoned nor a callback)."""
    return visit["call_outcome"] not in (ABANDONED, CALLBACK) and visit["started_at"] is not None


def abandon_gone(visit: Fact) -> datetime | None:
    """When an abandoned caller stopped waiting in this visit: called, else the ticket ended,
    else the visit did."""
    gone: datetime | None = visit["called_at"] or visit["ticket_finished_at"] or visit["ended_at"]
    return gone


def caller_share(visit: Fact) -> Share | None:
    """What one caller's visit (a row of ``queue_visits`` with ``caller`` set, as a mapping)
    adds to ``stats_caller_days``; None for a visitor's. The definitions are the call centre's
    (``hub.services.stats.callers``)."""
    if not visit.get("caller"):
        return None
    outcome = visit["call_outcome"]
    answered = caller_answered(visit)
    abandoned, callback = outcome == ABANDONED, outcome == CALLBACK
    counts: Counter[str] = Counter(
        offered=1,
        answered=answered,
        abandoned=abandoned,
        callbacks=callback,
        called_back=callback and visit["called_at"] is not None,
        waiting=visit["outcome"] == "open" and visit["called_at"] is None,
    )
    if answered:
        counts.update(answer_sum_s=_seconds(visit["started_at"], visit["joined_at"]) or 0)
        if visit["outcome"] == "done" and visit["service_s"] is not None:
            counts.update(talks=1, talk_sum_s=visit["service_s"])
    if abandoned:
        waited = _seconds(abandon_gone(visit), visit["joined_at"])
        if waited is not None:
            counts.update(abandon_waits=1, abandon_wait_sum_s=waited)
    return (visit["day"], visit["hour"], visit["service_id"]), counts


# ---- calls -------------------------------------------------------------------------------------


def _ms(later: datetime | None, earlier: datetime | None) -> int | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() * 1000)


def call_share(call: Fact) -> Share | None:
    """What one call (a row of ``phone_calls`` as a mapping) adds to ``stats_call_days``; None
    while it has no local day."""
    if call["local_day"] is None:
        return None
    incoming, outcome = call["direction"] == "in", call["outcome"]
    answered = outcome == "answered"
    unanswered = incoming and outcome == "missed"
    abandoned = unanswered and call["reason"] in ABANDON_REASONS
    counts: Counter[str] = Counter(
        offered=incoming and outcome in ("answered", "missed", "forwarded"),
        answered=incoming and answered,
        missed=unanswered and not abandoned,
        abandoned=abandoned,
        forwarded=incoming and outcome == "forwarded",
        outgoing=call["direction"] == "out" and outcome in ("answered", "missed"),
        callbacks=call["direction"] == "out" and answered and call["answers_event_id"] is not None,
    )
    if incoming and answered:
        delay = _ms(call["answered_at"], call["started_at"])
        if delay is not None:
            counts.update(answers=1, answer_sum_ms=delay)
    if answered:
        duration = call["duration_s"]
        talk = (
            duration * 1000 if duration is not None else _ms(call["ended_at"], call["answered_at"])
        )
        if talk is not None:
            counts.update(talks=1, talk_sum_ms=talk)
    key = (call["local_day"], call["local_hour"], call["device_id"], call["user_id"] or NOBODY)
    return key, counts


CALL_FIELDS = (
    "local_day",
    "local_hour",
    "device_id",
    "user_id",
    "direction",
    "outcome",
    "reason",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_s",
    "answers_event_id",
)


def call_facts(call: PhoneCallRecord) -> dict[str, Any]:
    """The fields of a call the summary reads, as they are now."""
    return {name: getattr(call, name) for name in CALL_FIELDS}


def call_moved(session: Session, before: Fact | None, call: PhoneCallRecord) -> None:
    """Move a call's share from ``before`` (its ``call_facts`` before the change; None: a new
    call) to what the call says now."""
    old = call_share(before) if before is not None else None
    new = call_share(call_facts(call))
    _move(session, CallDay, CALL_KEYS, [old], [new])


# ---- writing -----------------------------------------------------------------------------------


def _move(
    session: Session,
    model: type[Any],
    keys: tuple[str, ...],
    out: Iterable[Share | None],
    into: Iterable[Share | None],
) -> None:
    """Take the shares ``out`` of the summary and put the shares ``into`` it."""
    changes: Summed = {}
    for share in out:
        if share is not None:
            changes.setdefault(share[0], Counter()).subtract(share[1])
    for share in into:
        if share is not None:
            changes.setdefault(share[0], Counter()).update(share[1])
    # In key order, so two transactions moving shares between the same two rows lock them in
    # the same order (PostgreSQL would otherwise be free to deadlock them).
    for key in sorted(changes):
        values = {name: int(value) for name, value in changes[key].items() if value}
        if values:
            _add(session, model, keys, key, values)


def _add(
    session: Session, model: type[Any], keys: tuple[str, ...], key: Key, values: dict[str, int]
) -> None:
    """Add ``values`` to the summary's row ``key`` (made at zero if it is not there)."""
    table = table_of(model)
    statement = dialect_insert(session, model).values(**dict(zip(keys, key, strict=True)), **values)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in values},
    )
    core_connection(session).execute(statement)


# ---- rebuilding --------------------------------------------------------------------------------


def shares_of_visits(rows: Iterable[Fact]) -> Summed:
    """The summary's rows that ``rows`` of visits add up to."""
    result: Summed = {}
    for row in rows:
        key, counts = visit_share(row)
        result.setdefault(key, Counter()).update(counts)
    return result


def shares_of_calls(rows: Iterable[Fact]) -> Summed:
    """The summary's rows that ``rows`` of calls add up to."""
    result: Summed = {}
    for row in rows:
        share = call_share(row)
        if share is not None:
            result.setdefault(share[0], Counter()).update(share[1])
    return result


def shares_of_callers(rows: Iterable[Fact]) -> Summed:
    """The callers' summary's rows that ``rows`` of visits add up to."""
    result: Summed = {}
    for row in rows:
        share = caller_share(row)
        if share is not None:
            result.setdefault(share[0], Counter()).update(share[1])
    return result


def recomputed_callers(connection: Connection) -> Summed:
    """The callers' summary as the facts give it now: the visits joined with their tickets
    (the tickets' own outcome and end, not the visits' copies)."""
    visits, tickets = table_of(QueueVisit), table_of(QueueTicket)
    copied = ("caller", "call_outcome", "ticket_finished_at")
    query = (
        select(
            *(column for column in visits.c if column.name not in copied),
            tickets.c.call_outcome,
            tickets.c.finished_at.label("ticket_finished_at"),
        )
        .join(tickets, tickets.c.id == visits.c.ticket_id)
        .where(tickets.c.line_device.is_not(None))
    )
    return shares_of_callers({**row._mapping, "caller": True} for row in connection.execute(query))


def stored_callers(connection: Connection) -> Summed:
    """The callers' summary as kept (rows of zeros left out)."""
    return _stored(connection, CallerDay, CALLER_KEYS)


def recomputed(connection: Connection) -> tuple[Summed, Summed]:
    """The visits' and the calls' summaries as the facts give them now."""
    visits = table_of(QueueVisit)
    calls = table_of(PhoneCallRecord)
    return (
        shares_of_visits(row._mapping for row in connection.execute(select(visits))),
        shares_of_calls(
            row._mapping
            for row in connection.execute(select(*(calls.c[name] for name in CALL_FIELDS)))
        ),
    )


def stored(connection: Connection) -> tuple[Summed, Summed]:
    """The visits' and the calls' summaries as kept (rows of zeros left out)."""
    return _stored(connection, VisitDay, VISIT_KEYS), _stored(connection, CallDay, CALL_KEYS)


def _stored(connection: Connection, model: type[Any], keys: tuple[str, ...]) -> Summed:
    found: Summed = {}
    for row in connection.execute(select(table_of(model))):
        values = row._mapping
        counts = Counter({name: values[name] for name in count_columns(model) if values[name]})
        if counts:
            found[tuple(values[name] for name in keys)] = counts
    return found


_KEYS_OF: dict[Any, tuple[str, ...]] = {
    VisitDay: VISIT_KEYS,
    CallDay: CALL_KEYS,
    CallerDay: CALLER_KEYS,
}


def count_columns(model: type[Any]) -> list[str]:
    """The names of a summary table's counts and sums (every column but its key), in order."""
    keys = _KEYS_OF[model]
    return [column.name for column in table_of(model).c if column.name not in keys]


def rebuild(connection: Connection) -> None:
    """Write the whole summary again from the facts (the visits' copies of their tickets'
    call outcome and end included)."""
    _copy_tickets(connection)
    visits, calls = recomputed(connection)
    callers = recomputed_callers(connection)
    for model, keys, rows in (
        (VisitDay, VISIT_KEYS, visits),
        (CallDay, CALL_KEYS, calls),
        (CallerDay, CALLER_KEYS, callers),
    ):
        table = table_of(model)
        connection.execute(delete(table))
        names = count_columns(model)
        values = [
            dict(zip(keys, key, strict=True)) | {name: int(counts[name]) for name in names}
            for key, counts in rows.items()
        ]
        if values:
            connection.execute(table.insert(), values)


def _copy_tickets(connection: Connection) -> None:
    """Copy each caller's ticket's line, call outcome and end to its visits."""
    visits, tickets = table_of(QueueVisit), table_of(QueueTicket)

    def of_ticket(column: Any) -> Any:
        return select(column).where(tickets.c.id == visits.c.ticket_id).scalar_subquery()

    caller = (
        select(tickets.c.id)
        .where(tickets.c.id == visits.c.ticket_id, tickets.c.line_device.is_not(None))
        .exists()
    )
    connection.execute(
        update(visits)
        .where(visits.c.caller == true())
        .values(caller=False, call_outcome=None, ticket_finished_at=None)
    )
    connection.execute(
        update(visits)
        .where(caller)
        .values(
            caller=True,
            call_outcome=of_ticket(tickets.c.call_outcome),
            ticket_finished_at=of_ticket(tickets.c.finished_at),
        )
    )
