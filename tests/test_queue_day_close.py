"""A ticket is for its day: after local midnight the housekeeper lets go of the visitors still in
line from the day before (worked by hand, on SQLite and PostgreSQL).

Left waiting, yesterday's "001" would stand beside today's and be the first one a Free hands out
in the morning (the office-day simulator found it). Called visitors stay with their operator,
and a caller still on the line is left to the line agent.
"""

from __future__ import annotations

from sqlalchemy import select

from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.db.models.queue import QueueTicket
from hub.services.queue import calls
from hub.services.queue import operators as queue_operators
from hub.services.queue.core import CALLED, CANCELLED, WAITING
from hub.services.stats import summary
from tests.test_queue import KYIV, at, drain, issue
from tests.test_queue_calls import LINE, finish, join, setup, taken

MIDNIGHT = 15 * 60  # minutes from 09:00 on 30 November to local midnight


def states(hub: Hub) -> dict[int, tuple[str, str | None]]:
    with hub.read_sessions() as session:
        rows = session.execute(select(QueueTicket.id, QueueTicket.state, QueueTicket.note))
        return {row.id: (row.state, row.note) for row in rows}


def test_after_midnight_yesterdays_line_is_let_go_and_the_morning_starts_afresh(
    hub: Hub,
) -> None:
    service, anna, bohdan = setup(hub)
    called = issue(hub, service, 0).ticket.id
    walk_in = issue(hub, service, 1).ticket.id
    on_line = join(hub, service, 2, "call-1", "0501112233")
    to_call_back = join(hub, service, 3, "call-2", "0501112244")
    with transaction(hub.sessions) as session:
        calls.callback(session, at(3.5), line=LINE, call_id="call-2")
        calls.left(session, at(3.6), line=LINE, call_id="call-2")
    assert taken(hub, bohdan, 4, "2", "panel-b") == called  # he went home with it in hand
    drain(hub)

    # Late in the evening, still the same day: nothing is let go.
    with transaction(hub.sessions) as session:
        late = queue_operators.expire_overdue(session, at(MIDNIGHT - 1).now, tz=KYIV)
    assert late.day_closed == []
    # Five past midnight: the walk-in and the callback still waiting are let go, once.
    with transaction(hub.sessions) as session:
        night = queue_operators.expire_overdue(session, at(MIDNIGHT + 5).now, tz=KYIV)
    assert sorted(night.day_closed) == sorted([walk_in, to_call_back])
    with transaction(hub.sessions) as session:
        again = queue_operators.expire_overdue(session, at(MIDNIGHT + 6).now, tz=KYIV)
    assert again.day_closed == []
    now = states(hub)
    assert now[walk_in] == (CANCELLED, queue_operators.DAY_CLOSED)
    assert now[to_call_back][0] == CANCELLED
    assert now[called][0] == CALLED  # in Bohdan's hands: he closes it
    assert now[on_line][0] == WAITING  # a live call: the line agent ends it
    assert any(m.topic.endswith("/board") for m in drain(hub))  # the board drops them

    # The morning: Bohdan (no phone, so never the caller) closes yesterday's visitor, and his
    # Free gets today's first, not yesterday's.
    morning = MIDNIGHT + 9 * 60
    today = issue(hub, service, morning).ticket
    assert today.number.endswith("001")
    finish(hub, bohdan, morning + 1, called)
    assert taken(hub, bohdan, morning + 2, "2", "panel-b") == today.id
    assert taken(hub, anna, morning + 3, "1", "panel-1") == on_line  # the live call, on her phone

    # The statistics moved with them: the stored summary equals the one from the facts.
    with hub.engine.connect() as connection:
        kept, again_summed = summary.stored(connection), summary.recomputed(connection)
    assert kept == again_summed
