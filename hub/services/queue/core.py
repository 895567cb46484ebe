"""The electronic queue's shared parts (Q-1..Q-6): context, results, lines, positions, estimates.

The queue's operations live beside this module: ``queue_tickets`` (issue, book, check in),
``queue_assign`` (Free, call by hand), ``queue_operators`` (status, recall, no-show, transfer,
done, automatic expiry) and ``queue_publish`` (what displays and panels are sent). Every function
takes a Session inside the caller's transaction and returns plain dataclasses, so the REST API
and the MQTT coordinator call the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import Project, ProjectMember
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.refcache import cached
from hub.errors import Conflict, Invalid, NotFound
from hub.services.settings.parameters import QueueParameters, get_global

WALK_IN, BOOKING = "walk_in", "booking"
BOOKED, WAITING, CALLED, SERVING = "booked", "waiting", "called", "serving"
DONE, NO_SHOW, EXPIRED, CANCELLED = "done", "no_show", "expired", "cancelled"
IN_HAND = frozenset({CALLED, SERVING})
FRONT, NORMAL = 0, 1
FREE, BUSY = "free", "busy"
# Operators counted as serving a service for estimates.
ACTIVE_STATUSES = frozenset({FREE, BUSY})


@dataclass(frozen=True)
class QueueContext:
    """When and where an operation happens: the clock, the site's time zone and its id, the
    back-office's base URL that links sent to devices start with (None: no links), and the base
    of visitors' live ticket pages (None: no page links)."""

    now: datetime
    tz: tzinfo = UTC
    site: str = "main"
    office_url: str | None = None
    visitor_url: str | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("QueueContext.now must be timezone-aware")

    @property
    def today(self) -> date:
        """The site's local day."""
        return self.now.astimezone(self.tz).date()

    def day_start(self, day: date | None = None) -> datetime:
        """Local midnight starting ``day`` (today by default), as an aware time."""
        return datetime.combine(day or self.today, time(0), tzinfo=self.tz)

    def day_end(self, day: date | None = None) -> datetime:
        """Local midnight ending ``day`` (today by default), as an aware time."""
        return self.day_start((day or self.today) + timedelta(days=1))


@dataclass(frozen=True)
class TicketInfo:
    """A ticket as kiosks, panels and the REST API show it."""

    id: int
    event_id: int
    number: str
    service_id: int
    service_name: str
    kind: str
    state: str
    effective_at: datetime
    booked_at: datetime | None
    arrived_at: datetime | None
    called_at: datetime | None
    operator_id: int | None
    window: str | None
    task_id: int | None
    recalls: int
    client_name: str | None
    phone: str | None
    companies: int
    front: bool
    target_operator_id: int | None
    position: int | None = None
    estimated_wait_s: int | None = None
    booking_code: str | None = None
    # The estimate's range (``queue_estimate``): about an 80 % interval around it.
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None
    remote_seen_at: datetime | None = None
    late_until: datetime | None = None
    # A caller on an office line (hub.services.queue.calls), not a visitor in the hall.
    caller: bool = False


@dataclass(frozen=True)
class Reason:
    """Why Free gave this ticket: its effective time and service, the front lane, a transfer."""

    effective_at: datetime
    service_id: int
    service_name: str
    front: bool
    for_this_operator: bool
    by_hand: bool = False
    # The calling rule that chose it (``queue_calling.RULE_*``): nearest, booking due, waited...
    rule: str = "nearest"


@dataclass(frozen=True)
class Assignment:
    """A ticket called to an operator's window with the task made for it (Q-5)."""

    ticket: TicketInfo
    operator_id: int
    window: str
    task_id: int
    reason: Reason


@dataclass(frozen=True)
class OperatorInfo:
    """An operator's session: user status, window, device and the ticket in hand."""

    user_id: int
    status: str
    status_since: datetime
    window: str | None
    device_id: str | None
    ticket_id: int | None


@dataclass(frozen=True)
class IssueResult:
    """A new or checked-in ticket, and the free operator it went to at once, if any."""

    ticket: TicketInfo
    assignment: Assignment | None = None
    # The token of the ticket's live page minted with it (only the issuing transaction knows it).
    page_token: str | None = None


@dataclass(frozen=True)
class FreeResult:
    """Free's outcome: the operator's state and the assignment (None with nothing waiting)."""

    operator: OperatorInfo
    assignment: Assignment | None = None


@dataclass(frozen=True)
class ServiceInfo:
    """A service (a project using the queue) with its line."""

    id: int
    name: str
    waiting: int
    operators: int
    estimated_wait_s: int
    estimated_wait_low_s: int | None = None
    estimated_wait_high_s: int | None = None


@dataclass(frozen=True)
class ExpiryResult:
    """What ``expire_overdue`` changed."""

    expired: list[int] = field(default_factory=list)
    no_shows: list[int] = field(default_factory=list)
    back_in_line: list[int] = field(default_factory=list)
    day_closed: list[int] = field(default_factory=list)


def params(session: Session) -> QueueParameters:
    """The queue's global parameters."""
    return get_global(session).queue


def get_ticket(session: Session, ticket_id: int) -> QueueTicket:
    """One ticket; 404 when there is none."""
    ticket = session.get(QueueTicket, ticket_id)
    if ticket is None:
        raise NotFound("not_found", what=f"queue ticket {ticket_id}")
    return ticket


@dataclass(frozen=True)
class Service:
    """A project as the queue sees it (kept in ``hub.db.refcache``)."""

    id: int
    name: str
    journal_id: int | None
    uses_queue: bool
    calling_mode: str = "nearest"


def queue_service(session: Session, project_id: int, *, field: str = "service_id") -> Service:
    """A project that uses the electronic queue (PRJ-8); 422 naming ``field`` otherwise."""
    found = service_info(session, project_id) if 0 < project_id <= 2**31 - 1 else None
    if found is None:
        raise Invalid("queue_service_unknown", field=field, id=project_id)
    if not found.uses_queue:
        raise Invalid("queue_service_off", field=field, name=found.name)
    return found


def service_info(session: Session, project_id: int) -> Service | None:
    """The project, queue or not, None when there is none."""
    return cached(session, ("service", project_id), partial(_service, project_id=project_id))


def _service(session: Session, project_id: int) -> Service | None:
    project = session.get(Project, project_id)
    if project is None:
        return None
    return Service(
        project.id, project.name, project.journal_id, project.uses_queue, project.calling_mode
    )


def operator_services(session: Session, user_id: int) -> list[tuple[int, str]]:
    """The queue services whose work group has this operator (Q-1, Q-5): id and name, by id."""
    return list(cached(session, ("operator_services", user_id), partial(_services, user=user_id)))


def _services(session: Session, user: int) -> tuple[tuple[int, str], ...]:
    rows = core_connection(session).execute(_OPERATOR_SERVICES, {"user": user})
    return tuple((row.id, row.name) for row in rows)


def operator_projects(session: Session, user_id: int) -> list[int]:
    """The ids of ``operator_services``."""
    return [service_id for service_id, _name in operator_services(session, user_id)]


def service_members(session: Session, project_id: int) -> list[int]:
    """The operators of one service's work group."""
    return list(cached(session, ("members", project_id), partial(_members, project=project_id)))


def _members(session: Session, project: int) -> tuple[int, ...]:
    return tuple(core_connection(session).execute(_MEMBERS, {"project": project}).scalars())


def line_order() -> tuple[object, ...]:
    """The order waiting tickets are served in: the front lane, then effective time, then id."""
    return (QueueTicket.lane, QueueTicket.effective_at, QueueTicket.id)


# Statements every ticket and Free runs (place in line, estimate, work groups), built once in Core
# and run on the session's connection.
_T = table_of(QueueTicket).c
_O = table_of(QueueOperator).c
_M = table_of(ProjectMember).c
_AHEAD = select(func.count(_T.id)).where(
    _T.project_id == bindparam("project"),
    _T.state == WAITING,
    _T.id != bindparam("ticket"),
    or_(
        _T.lane < bindparam("lane"),
        and_(
            _T.lane == bindparam("lane"),
            or_(
                _T.effective_at < bindparam("at"),
                and_(_T.effective_at == bindparam("at"), _T.id < bindparam("ticket")),
            ),
        ),
    ),
)
_AT_WORK = (
    select(_O.status, _O.ticket_id)
    .join_from(
        table_of(QueueOperator),
        table_of(ProjectMember),
        _M.user_id == _O.user_id,
    )
    .where(_M.project_id == bindparam("project"), _O.status.in_(sorted(ACTIVE_STATUSES)))
)


_P = table_of(Project).c
_OPERATOR_SERVICES = (
    select(_P.id, _P.name)
    .join_from(table_of(Project), table_of(ProjectMember), _M.project_id == _P.id)
    .where(_M.user_id == bindparam("user"), _P.uses_queue.is_(True))
    .order_by(_P.id)
)
_MEMBERS = select(_M.user_id).where(_M.project_id == bindparam("project"))


def position(session: Session, ticket: QueueTicket) -> int | None:
    """1 for the next in line of the ticket's service; None when the ticket is not waiting."""
    if ticket.state != WAITING:
        return None
    where = {
        "project": ticket.project_id,
        "ticket": ticket.id,
        "lane": ticket.lane,
        "at": ticket.effective_at,
    }
    ahead = core_connection(session).execute(_AHEAD, where).scalar()
    return int(ahead or 0) + 1


def operators_now(session: Session, project_id: int) -> tuple[int, int]:
    """(operators of the service at work, of whom free with empty hands)."""
    rows = list(core_connection(session).execute(_AT_WORK, {"project": project_id}))
    free = sum(1 for status, ticket_id in rows if status == FREE and ticket_id is None)
    return len(rows), free


def describe(
    session: Session,
    ticket: QueueTicket,
    *,
    ctx: QueueContext | None = None,
    with_estimate: bool = True,
    with_code: bool = False,
) -> TicketInfo:
    """The ticket as a TicketInfo, with its place in line while waiting, and its estimated wait
    when the context (the moment it is estimated from) is given."""
    # The estimate reads this module's parts: imported here, not at the top.
    from hub.services.queue import waits

    project = service_info(session, ticket.project_id)
    place = position(session, ticket) if with_estimate else None
    wait = waits.for_ticket(session, ctx, ticket) if place is not None and ctx else None
    return TicketInfo(
        id=ticket.id,
        event_id=ticket.event_id,
        number=ticket.number,
        service_id=ticket.project_id,
        service_name=project.name if project is not None else "",
        kind=ticket.kind,
        state=ticket.state,
        effective_at=ticket.effective_at,
        booked_at=ticket.booked_at,
        arrived_at=ticket.arrived_at,
        called_at=ticket.called_at,
        operator_id=ticket.operator_id,
        window=ticket.window,
        task_id=ticket.task_id,
        recalls=ticket.recalls,
        client_name=ticket.client_name,
        phone=ticket.phone,
        companies=ticket.companies,
        front=ticket.lane == FRONT,
        target_operator_id=ticket.target_operator_id,
        position=place,
        estimated_wait_s=wait.seconds if wait else None,
        estimated_wait_low_s=wait.low_s if wait else None,
        estimated_wait_high_s=wait.high_s if wait else None,
        booking_code=ticket.booking_code if with_code else None,
        remote_seen_at=ticket.remote_seen_at,
        late_until=ticket.late_until,
        caller=ticket.line_device is not None,
    )


def waiting_tickets(
    session: Session, project_id: int, ctx: QueueContext | None = None, *, limit: int = 200
) -> list[TicketInfo]:
    """The waiting tickets of one service in the order they will be served, with their
    estimates when the context is given."""
    from hub.services.queue import waits

    queue_service(session, project_id, field="service_id")
    rows = session.scalars(
        select(QueueTicket)
        .where(QueueTicket.project_id == project_id, QueueTicket.state == WAITING)
        .order_by(*line_order())  # type: ignore[arg-type]
        .limit(max(1, min(limit, 1000)))
    )
    estimates = waits.for_line(session, ctx, project_id) if ctx is not None else {}
    result = []
    for place, row in enumerate(rows, start=1):
        info = replace(describe(session, row, with_estimate=False), position=place)
        found = estimates.get(row.id)
        if found is not None:
            info = replace(
                info,
                estimated_wait_s=found.seconds,
                estimated_wait_low_s=found.low_s,
                estimated_wait_high_s=found.high_s,
            )
        result.append(info)
    return result


def waiting_counts(session: Session, *, callers: bool = False) -> dict[int, int]:
    """How many tickets wait in each service (every service using the queue, zeros included);
    with ``callers``, only the callers on the office lines."""
    counts = {
        project_id: 0
        for project_id in session.scalars(select(Project.id).where(Project.uses_queue.is_(True)))
    }
    query = (
        select(QueueTicket.project_id, func.count(QueueTicket.id))
        .where(QueueTicket.state == WAITING)
        .group_by(QueueTicket.project_id)
    )
    if callers:
        query = query.where(QueueTicket.line_device.is_not(None))
    for project_id, count in session.execute(query):
        if project_id in counts:
            counts[project_id] = int(count)
    return counts


def list_services(session: Session, ctx: QueueContext) -> list[ServiceInfo]:
    """Every service using the queue, by name, with its line, operators and the wait of a
    visitor who would join it now."""
    from hub.services.queue import waits

    counts = waiting_counts(session)
    projects = session.scalars(
        select(Project).where(Project.uses_queue.is_(True)).order_by(Project.name, Project.id)
    ).all()
    estimates = waits.for_new_visitors(session, ctx, [project.id for project in projects])
    result = []
    for project in projects:
        working, _free = operators_now(session, project.id)
        wait = estimates[project.id]
        result.append(
            ServiceInfo(
                id=project.id,
                name=project.name,
                waiting=counts.get(project.id, 0),
                operators=working,
                estimated_wait_s=wait.seconds,
                estimated_wait_low_s=wait.low_s,
                estimated_wait_high_s=wait.high_s,
            )
        )
    return result


def get_operator(session: Session, user_id: int) -> QueueOperator:
    """An operator's session; 409 when the operator has not opened one."""
    row = session.get(QueueOperator, user_id)
    if row is None:
        raise Conflict("queue_no_session")
    return row


def operator_info(row: QueueOperator) -> OperatorInfo:
    """The operator's session as a dataclass."""
    return OperatorInfo(
        user_id=row.user_id,
        status=row.status,
        status_since=row.status_since,
        window=row.window,
        device_id=row.device_id,
        ticket_id=row.ticket_id,
    )
