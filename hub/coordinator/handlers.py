"""What the hub does for each device message: plain functions over a Session (DESIGN.md, Q-1..Q-6).

The MQTT adapter (``hub.coordinator.service``) decodes a payload, checks that its topic belongs to
a registered device of the right role, opens the transaction and calls one of these. They call
the same queue services as the REST API and raise DomainError for a person to read; anything
to publish besides the reply goes to the outbox in the caller's transaction.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from hub.db.models import Device, Employee, User, UserStatus
from hub.db.models.queue import QueueOperator, QueueTicket
from hub.db.refcache import cached
from hub.errors import AccessDenied, Conflict, Invalid
from hub.protocol.devices import PrinterResult
from hub.protocol.messages import (
    CallerCard,
    CallTicket,
    CheckIn,
    Finish,
    IssueTicket,
    KioskReply,
    KioskRequest,
    ListServices,
    Login,
    Logout,
    NoShow,
    OperatorInfo,
    PanelAssignment,
    PanelReply,
    PanelRequest,
    PhoneBook,
    PhoneBookEntry,
    ReadNotices,
    Recall,
    ServiceInfo,
    ServiceRef,
    SetStatus,
    Start,
    StatusInfo,
    TicketInfo,
)
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.services.common.security import Hasher
from hub.services.mail import inapp
from hub.services.phone import calls
from hub.services.queue import assign as queue_assign
from hub.services.queue import card as queue_card
from hub.services.queue import core as queue
from hub.services.queue import links, printing
from hub.services.queue import operators as queue_operators
from hub.services.queue import publish as queue_publish
from hub.services.queue import tickets as queue_tickets
from hub.services.queue.core import Assignment, IssueResult, QueueContext
from hub.services.queue.tickets import ClientDetails
from hub.services.queue.work import Work
from hub.services.stats import facts

# A freshly logged-in operator is present but not yet taking visitors: Free starts that.
LOGGED_IN_STATUS = "break"
OFFLINE_STATUS = "offline"


@dataclass(frozen=True)
class Speaker:
    """The registered device a message came from, as the coordinator checked it."""

    id: str
    role: str
    site: str
    window: int | None = None
    printer_id: str | None = None

    @classmethod
    def of(cls, device: Device) -> Speaker:
        """A detached copy of the registry row."""
        role = "line" if device.line else device.role
        return cls(device.id, role, device.site, device.window, device.printer_id)


def registered(session: Session, device_id: str) -> Speaker | None:
    """The device as registered, None when unknown or revoked (kept in ``hub.db.refcache``)."""
    return cached(session, ("device", device_id), partial(_registered, device_id=device_id))


def _registered(session: Session, device_id: str) -> Speaker | None:
    device = session.get(Device, device_id)
    return None if device is None or device.revoked_at is not None else Speaker.of(device)


# ---- kiosks -------------------------------------------------------------------------------


def handle_kiosk(
    session: Session, ctx: QueueContext, kiosk: Speaker, request: KioskRequest
) -> KioskReply:
    """List services, issue a walk-in ticket or check a booking in; the ticket is printed."""
    if isinstance(request, ListServices):
        services = [
            ServiceInfo(
                id=row.id,
                name=row.name,
                waiting=row.waiting,
                estimated_wait_s=row.estimated_wait_s,
                estimated_wait_low_s=row.estimated_wait_low_s,
                estimated_wait_high_s=row.estimated_wait_high_s,
            )
            for row in queue.list_services(session, ctx)
        ]
        return KioskReply(request_id=request.request_id, ok=True, services=services)
    if isinstance(request, IssueTicket):
        client = None
        if request.client is not None:
            client = ClientDetails(
                name=request.client.name,
                phone=request.client.phone,
                companies=request.client.companies or 1,
            )
        result = queue_tickets.issue_ticket(
            session, ctx, service_id=request.service_id, client=client
        )
    else:
        result = queue_tickets.check_in(session, ctx, code=request.booking_code)
    printed = print_ticket(session, ctx, kiosk, result, request)
    info = result.ticket
    ticket = TicketInfo(
        id=info.id,
        number=info.number,
        service_id=info.service_id,
        position=info.position or 0,
        estimated_wait_s=info.estimated_wait_s,
        estimated_wait_low_s=info.estimated_wait_low_s,
        estimated_wait_high_s=info.estimated_wait_high_s,
        printed=printed,
        page_url=links.page_url(ctx, result.page_token),
    )
    return KioskReply(request_id=request.request_id, ok=True, ticket=ticket)


def print_ticket(
    session: Session,
    ctx: QueueContext,
    kiosk: Speaker,
    result: IssueResult,
    request: IssueTicket | CheckIn,
) -> bool | None:
    """Send the ticket to the kiosk's printer: None (job sent, no answer yet) or False (none)."""
    printer = session.get(Device, kiosk.printer_id) if kiosk.printer_id else None
    if printer is None or printer.revoked_at is not None or printer.role != "printer":
        return False
    printing.send(
        session,
        ctx,
        ticket_id=result.ticket.id,
        printer_id=printer.id,
        lang=request.lang,
        kiosk_id=kiosk.id,
        request_id=request.request_id,
        page_token=result.page_token,
    )
    return None


def record_print_result(
    session: Session, ctx: QueueContext, printer: Speaker, result: PrinterResult
) -> bool:
    """Store a printer's answer to one of its own jobs; False for a job it was never sent."""
    return printing.record_result(session, ctx, printer.id, result)


# ---- operators' panels ----------------------------------------------------------------------


def operator_at(session: Session, panel: Speaker) -> QueueOperator | None:
    """The operator logged in at this panel, if any."""
    return session.scalars(_OPERATOR_AT, {"device": panel.id}).first()


_OPERATOR_AT = select(QueueOperator).where(QueueOperator.device_id == bindparam("device")).limit(1)


def _window(panel: Speaker) -> str:
    if panel.window is None:
        raise Invalid("queue_window_required", field="window")
    return str(panel.window)


def _operator_reply(
    session: Session,
    request_id: uuid.UUID,
    row: QueueOperator,
    *,
    assignment: Assignment | None = None,
    ctx: QueueContext | None = None,
) -> PanelReply:
    user = access.person(session, row.user_id)
    if user is None:  # pragma: no cover - the row's foreign key cascades
        raise Conflict("queue_no_session")
    reason = None
    if assignment is not None and ctx is not None:
        reason = queue_publish.reason_text(assignment.reason, ctx, user.lang)
    # The payload is the JSON the panel's topic gets (times as text): validated as JSON is.
    payload = queue_publish.assignment_payload(
        session,
        row,
        reason=reason,
        now=ctx_now(ctx),
        office_url=ctx.office_url if ctx is not None else None,
    )
    state = PanelAssignment.model_validate_json(json.dumps(payload, ensure_ascii=False))
    return PanelReply(
        request_id=request_id,
        ok=True,
        operator=OperatorInfo(
            username=user.username,
            name=user.name[:200] if user.name else None,
            status=row.status,
            lang="en" if user.lang == "en" else "uk",
            statuses=_statuses(session, user.id, user.lang),
            services=[
                ServiceRef(id=service_id, name=name[:200] or str(service_id))
                for service_id, name in queue.operator_services(session, user.id)
            ],
        ),
        assignment=state,
    )


def ctx_now(ctx: QueueContext | None) -> datetime | None:
    """The operation's clock, when there is one (overdue tasks on the client's card)."""
    return ctx.now if ctx is not None else None


def _statuses(session: Session, user_id: int, lang: str) -> list[StatusInfo]:
    """The user statuses the panel offers this operator (SET-4), in the operator's language."""
    return [
        StatusInfo(
            code=row.code,
            name=(row.name_en if lang == "en" else row.name_uk)[:200] or row.code,
            color=row.color,
        )
        for row in queue_operators.offered_statuses(session, user_id, panel=True)
    ]


def _logged_in(session: Session, panel: Speaker) -> tuple[QueueOperator, AccessProfile]:
    row = operator_at(session, panel)
    user = access.person(session, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise Conflict("panel_not_logged_in")
    return row, user.profile


def panel_language(session: Session, panel: Speaker) -> str:
    """The language of the operator at the panel (Ukrainian when nobody is logged in)."""
    row = operator_at(session, panel)
    user = access.person(session, row.user_id) if row is not None else None
    return user.lang if user is not None else "uk"


def handle_panel(
    session: Session,
    ctx: QueueContext,
    panel: Speaker,
    request: PanelRequest,
    *,
    hasher: Hasher,
) -> PanelReply:
    """An operator's action at a panel; the operator is whoever logged in at this device."""
    if isinstance(request, Login):
        return _login(session, ctx, panel, request, hasher)
    row, profile = _logged_in(session, panel)
    rid = request.request_id
    if isinstance(request, Logout):
        return _logout(session, ctx, panel, row, rid)
    if isinstance(request, CallerCard):
        user = access.person(session, row.user_id)
        lang = user.lang if user is not None else "uk"
        # The number as the SIP peer gave it: sip:0501234567@pbx is 0501234567.
        number = calls.number_of(request.number)
        card = queue_card.caller_card(session, number, profile=profile, lang=lang, now=ctx.now)
        return PanelReply(request_id=rid, ok=True, card=queue_publish.protocol_card(card))
    if isinstance(request, ReadNotices):
        # One's own notifications only (another's ids change nothing); the panel is told.
        if request.all:
            inapp.mark_all_read(session, user_id=row.user_id, now=ctx.now)
        else:
            inapp.mark_read(session, user_id=row.user_id, ids=request.ids, now=ctx.now)
        return PanelReply(request_id=rid, ok=True)
    if isinstance(request, PhoneBook):
        user = access.person(session, row.user_id)
        book = phone_book(session, user.lang if user is not None else "uk")
        return PanelReply(request_id=rid, ok=True, phone_book=book)
    if isinstance(request, SetStatus):
        if request.status == queue.FREE:
            access.require(profile, Action.CREATE, DocType.TASK)
        result = queue_operators.set_status(
            session,
            ctx,
            profile=profile,
            status=request.status,
            window=_window(panel),
            device_id=panel.id,
        )
        return _operator_reply(session, rid, row, assignment=result.assignment, ctx=ctx)
    if isinstance(request, Start):
        access.require(profile, Action.CHANGE, DocType.TASK)
        queue_operators.start_serving(session, ctx, profile=profile, ticket_id=request.ticket_id)
        session.refresh(row)
        return _operator_reply(session, rid, row, ctx=ctx)
    if isinstance(request, CallTicket):
        access.require(profile, Action.CREATE, DocType.TASK)
        assignment = queue_assign.call_ticket(
            session,
            ctx,
            profile=profile,
            ticket_id=request.ticket_id,
            window=_window(panel),
            device_id=panel.id,
        )
        return _operator_reply(session, rid, row, assignment=assignment, ctx=ctx)
    access.require(profile, Action.CHANGE, DocType.TASK)
    if isinstance(request, Finish):
        work = Work(minutes=request.time_spent_minutes, percent=request.percent_done)
        queue_operators.done(
            session, ctx, profile=profile, ticket_id=request.ticket_id, note=request.note, work=work
        )
    elif isinstance(request, NoShow):
        queue_operators.no_show(
            session, ctx, profile=profile, ticket_id=request.ticket_id, note=request.note
        )
    elif isinstance(request, Recall):
        queue_operators.recall(session, ctx, profile=profile, ticket_id=request.ticket_id)
    else:
        target_user_id = None
        if request.target_user is not None:
            target = users.find_user(session, request.target_user)
            if target is None or not target.is_active:
                raise Invalid("panel_unknown_user", field="target_user", name=request.target_user)
            target_user_id = target.id
        queue_operators.transfer(
            session,
            ctx,
            profile=profile,
            ticket_id=request.ticket_id,
            target_service_id=request.target_service_id,
            target_user_id=target_user_id,
            front=request.to_front,
            reason=request.note,
        )
    session.refresh(row)
    return _operator_reply(session, rid, row, ctx=ctx)


def _login(
    session: Session, ctx: QueueContext, panel: Speaker, request: Login, hasher: Hasher
) -> PanelReply:
    if request.password is None:
        raise Invalid("panel_pin_unsupported", field="pin")
    window = _window(panel)
    user = users.authenticate(
        session, hasher=hasher, username=request.username, password=request.password
    )
    profile = access.load_profile(session, user)
    if not profile.can(Action.CHANGE, DocType.TASK):
        raise AccessDenied("panel_not_an_operator", right="task:change")
    previous = operator_at(session, panel)
    if previous is not None and previous.user_id != user.id:
        if previous.ticket_id is not None:
            other = session.get(User, previous.user_id)
            raise Conflict("panel_in_use", name=other.username if other else "?")
        previous.device_id = None
        facts.status_changed(session, ctx, previous, OFFLINE_STATUS)
    row = queue_assign.lock_operator(
        session, ctx, user.id, status=LOGGED_IN_STATUS, window=window, device_id=panel.id
    )
    if row.status == OFFLINE_STATUS:
        facts.status_changed(session, ctx, row, LOGGED_IN_STATUS)
    session.flush()
    queue_publish.publish_assignment(session, ctx, row)
    inapp.send_to_panel(session, site=ctx.site, device_id=panel.id, user_id=user.id, now=ctx.now)
    return _operator_reply(session, request.request_id, row, ctx=ctx)


def _logout(
    session: Session,
    ctx: QueueContext,
    panel: Speaker,
    row: QueueOperator,
    request_id: uuid.UUID,
) -> PanelReply:
    if row.ticket_id is not None:
        held = session.get(QueueTicket, row.ticket_id)
        if held is not None and held.state in queue.IN_HAND:
            raise Conflict("queue_operator_has_ticket", number=held.number)
    facts.status_changed(session, ctx, row, OFFLINE_STATUS, restart=True)
    row.ticket_id = None
    session.flush()
    # The panel's retained assignment says "nobody here" before the panel is unbound.
    queue_publish.publish_assignment(session, ctx, row)
    # ... and no one's notifications are left on it.
    inapp.send_to_panel(session, site=ctx.site, device_id=panel.id, user_id=None, now=ctx.now)
    reply = _operator_reply(session, request_id, row, ctx=ctx)
    row.device_id = None
    session.flush()
    return reply


# ---- the phone area of a panel (PH-3, PH-5) ---------------------------------------------------

PHONE_BOOK_SIZE = 500


def phone_book(session: Session, lang: str) -> list[PhoneBookEntry]:
    """Active users with a SIP number, by name, with their status named in ``lang`` (PH-5)."""
    names = {
        row.code: (row.name_en if lang == "en" else row.name_uk)[:200] or row.code
        for row in session.scalars(select(UserStatus))
    }
    rows = session.execute(
        select(User.username, Employee.full_name, Employee.sip_number, QueueOperator.status)
        .join(Employee, Employee.id == User.employee_id)
        .outerjoin(QueueOperator, QueueOperator.user_id == User.id)
        .where(User.is_active, Employee.sip_number.is_not(None), Employee.sip_number != "")
        .order_by(Employee.full_name, User.username)
        .limit(PHONE_BOOK_SIZE)
    )
    book = []
    for username, full_name, sip_number, status in rows:
        code = status or OFFLINE_STATUS
        book.append(
            PhoneBookEntry(
                username=username[:100],
                name=(full_name or "").strip()[:200] or username[:200],
                sip_number=str(sip_number)[:64],
                status=code,
                status_name=names.get(code, code),
            )
        )
    return book
