"""The other operators' statuses on each panel (SET-4 "view users' statuses"), pushed, not polled.

After any change of an operator's session (log in or out, a status, a ticket taken or let go)
every panel whose operator may view statuses (the per-user parameter ``view_user_statuses``, off
by default) is sent, retained on ``panel/{d}/operators``, the list of the other operators at
work: name, status named in that operator's language, window and ticket. The panel of the
operator whose session changed gets ``enabled: false`` when that operator may not view them (or
has logged out), which also clears a list retained there earlier. The
messages go through the outbox in the change's transaction, so a panel sees only committed state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import User, UserParameter, UserStatus
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.protocol import topics
from hub.protocol.cards import MAX_OPERATORS, OperatorPresence, PanelOperators
from hub.services.common import outbox
from hub.services.queue.core import QueueContext
from hub.services.settings.parameters import UserParameters

VIEW_KEY = "view_user_statuses"
OFFLINE = "offline"


@dataclass(frozen=True)
class Present:
    """One operator at work, with both names of their status."""

    user_id: int
    username: str
    name: str
    status: str
    names: tuple[str, str]
    color: str | None
    window: str | None
    ticket: str | None
    since: datetime


def _window_key(window: str | None) -> tuple[int, int, str]:
    if window is None:
        return (1, 0, "")
    return (0, int(window), "") if window.isdigit() else (0, 10**6, window)


def present(session: Session) -> list[Present]:
    """The operators at work (every session not offline), by window then name."""
    statuses = {row.code: row for row in session.scalars(select(UserStatus))}
    rows = session.execute(
        select(QueueOperator, User, QueueTicket.number)
        .join(User, User.id == QueueOperator.user_id)
        .outerjoin(QueueTicket, QueueTicket.id == QueueOperator.ticket_id)
        .where(QueueOperator.status != OFFLINE, User.is_active.is_(True))
        .order_by(QueueOperator.user_id)
        .limit(MAX_OPERATORS + 1)
    ).all()
    result = []
    for operator, user, number in rows:
        status = statuses.get(operator.status)
        full = user.employee.full_name if user.employee is not None else ""
        result.append(
            Present(
                user_id=user.id,
                username=user.username[:100],
                name=(full.strip() or user.username)[:200],
                status=operator.status,
                names=(
                    (status.name_uk or status.code)[:200] if status else operator.status,
                    (status.name_en or status.code)[:200] if status else operator.status,
                ),
                color=status.color if status is not None else None,
                window=operator.window,
                ticket=number,
                since=operator.status_since,
            )
        )
    result.sort(key=lambda p: (_window_key(p.window), p.name.casefold(), p.user_id))
    return result


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def operators_message(
    people: list[Present], *, viewer: int, lang: str, at: datetime
) -> PanelOperators:
    """The list one panel shows: everyone at work but its own operator."""
    others = [p for p in people if p.user_id != viewer]
    return PanelOperators(
        enabled=True,
        operators=[
            OperatorPresence(
                username=p.username,
                name=p.name,
                status=p.status,
                status_name=p.names[1] if lang == "en" else p.names[0],
                color=p.color,
                window=p.window,
                ticket=p.ticket,
                since=_aware(p.since),
            )
            for p in others[:MAX_OPERATORS]
        ],
        total=len(others),
        at=at,
    )


_O, _U, _P = table_of(QueueOperator).c, table_of(User).c, table_of(UserParameter).c
# One query, built once (every status change runs it): the panels, their operators' language
# and "view users' statuses".
_PANELS = (
    select(_O.user_id, _O.device_id, _O.status, _U.lang, _P.value)
    .join_from(table_of(QueueOperator), table_of(User), _U.id == _O.user_id)
    .outerjoin(table_of(UserParameter), and_(_P.user_id == _O.user_id, _P.key == VIEW_KEY))
    .where(_O.device_id.is_not(None))
    .order_by(_O.device_id)
)


def publish_operators(
    session: Session, ctx: QueueContext, changed: QueueOperator | None = None
) -> None:
    """Queue, for every panel whose operator may view statuses, the others' statuses; and
    ``enabled: false`` to the panel of ``changed`` (the operator whose session changed) when
    that operator may not, so a list retained there earlier is cleared. Without ``changed``
    (a resynchronisation) every panel is told."""
    panels = core_connection(session).execute(_PANELS).all()
    if not panels:
        return
    default = bool(UserParameters.model_fields[VIEW_KEY].default)
    allowed = {row[0] for row in panels if bool(default if row[4] is None else row[4])}
    people = present(session) if allowed else []
    for user_id, device_id, status, lang, _value in panels:
        if user_id in allowed and status != OFFLINE:
            message = operators_message(people, viewer=user_id, lang=lang, at=ctx.now)
        elif changed is None or changed.user_id == user_id:
            message = PanelOperators(enabled=False, at=ctx.now)
        else:
            continue  # told when its own operator's session last changed
        payload = message.model_dump(mode="json", exclude_none=True)
        topic = topics.panel_operators(ctx.site, str(device_id))
        outbox.enqueue(session, topic, payload, True)
