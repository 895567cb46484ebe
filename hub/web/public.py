"""The public booking pages (Q-2a): choose a service, a day and a time, leave a contact, cancel.

Plain forms that work without JavaScript: step one is a GET (the choice is in the address, so
"back" works), booking and cancelling are POSTs with a CSRF token, each followed by a redirect.
Every POST is counted per address, and a booking per phone too, in the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.engine import transaction
from hub.db.models import Project
from hub.errors import DomainError, Invalid
from hub.services.phone.numbers import digits
from hub.services.queue import booking, links, ticket_page
from hub.services.queue.core import QueueContext
from hub.web.common import (
    SECURITY_HEADERS,
    check_csrf,
    client_address,
    context,
    error_text,
    hub_of,
    page_lang,
    render,
)
from hub.web.qr import qr_svg

router = APIRouter(include_in_schema=False)

Field = Annotated[str, Form()]
Optional = Annotated[str | None, Form()]


def _services(request: Request) -> list[Project]:
    with hub_of(request).sessions() as session:
        query = select(Project).where(Project.uses_queue.is_(True)).order_by(Project.name)
        return list(session.scalars(query))


def _int(value: str | None, field: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Invalid("booking_slot_invalid", field=field) from None


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise Invalid("booking_date_invalid", field="date") from None


def _slots(request: Request, ctx: QueueContext, form: dict[str, str]) -> list[booking.Slot]:
    with hub_of(request).sessions() as session:
        return booking.free_slots(
            session,
            ctx,
            service_id=_int(form.get("service"), "service"),
            day=_day(form.get("date")),
            companies=_int(form.get("companies"), "companies"),
        )


def _form_page(
    request: Request,
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Step one always; step two (times and contact) once a service, day and size are valid."""
    lang = page_lang(request)
    ctx = context(request)
    errors = dict(errors or {})
    slots: list[booking.Slot] | None = None
    if form.get("service") and form.get("date"):
        try:
            slots = _slots(request, ctx, form)
        except DomainError as error:
            errors.setdefault(str(error.params.get("field", "form")), error_text(lang, error))
    return render(
        request,
        "book.html",
        {
            "services": _services(request),
            "form": form,
            "errors": errors,
            "slots": slots,
            "today": ctx.today.isoformat(),
            "max_companies": booking.MAX_COMPANIES,
        },
        status=status,
        lang=lang,
    )


@router.get("/book", response_class=HTMLResponse)
def book_page(request: Request) -> HTMLResponse:
    """The booking form; with ``service``, ``date`` and ``companies``, the free times too."""
    form = {
        key: request.query_params.get(key, "")[:200] for key in ("service", "date", "companies")
    }
    form["companies"] = form["companies"] or "1"
    form["date"] = form["date"] or context(request).today.isoformat()
    return _form_page(request, form)


def _count(request: Request, kind: str, value: str, limit: booking.Limit) -> None:
    # Its own transaction: a refused or failed request still counts.
    with transaction(hub_of(request).sessions) as session:
        booking.hit(session, context(request).now, booking.rate_key(kind, value), limit)


@router.post("/book", response_model=None)
def book(
    request: Request,
    csrf: Optional = None,
    service: Optional = None,
    day: Annotated[str | None, Form(alias="date")] = None,
    companies: Optional = None,
    starts_at: Optional = None,
    name: Optional = None,
    phone: Optional = None,
    email: Optional = None,
) -> Response:
    """Book the chosen time; on success go to the confirmation, else show the form again."""
    lang = page_lang(request)
    form = {
        "service": service or "",
        "date": day or "",
        "companies": companies or "1",
        "starts_at": starts_at or "",
        "name": name or "",
        "phone": phone or "",
        "email": email or "",
    }
    form = {key: value[:300] for key, value in form.items()}
    try:
        check_csrf(request, csrf)
        _count(request, "address", client_address(request), booking.ADDRESS_LIMIT)
        contact = booking.check_contact(name, phone, email)
        if contact.phone:
            _count(request, "phone", digits(contact.phone) or "", booking.PHONE_LIMIT)
        try:
            moment = datetime.fromisoformat(form["starts_at"])
        except ValueError:
            raise Invalid("booking_slot_invalid", field="starts_at") from None
        with transaction(hub_of(request).sessions) as session:
            ticket = booking.book(
                session,
                context(request),
                service_id=_int(form["service"], "service"),
                starts_at=moment,
                companies=_int(form["companies"], "companies"),
                contact=contact,
                lang=lang,
            )
            # The live page's link, made with the booking and shown once on its confirmation.
            token = ticket_page.new_link(session, context(request), ticket.id)
    except DomainError as error:
        field = str(error.params.get("field", "form"))
        return _form_page(
            request, form, errors={field: error_text(lang, error)}, status=error.status
        )
    return RedirectResponse(f"/book/{ticket.booking_code}?live={token}", status_code=303)


@router.get("/book/cancel", response_class=HTMLResponse)
def cancel_page(request: Request) -> HTMLResponse:
    """A form to cancel a booking with its code."""
    code = request.query_params.get("code", "")[:40]
    asked = None
    if code:
        # Coming from the confirmation: ask once more, naming the booking.
        with hub_of(request).sessions() as session:
            try:
                found = booking.find(session, code)
            except DomainError:
                found = None
        asked = found if found is not None and found.state == "booked" else None
    values: dict[str, Any] = {"code": code, "errors": {}, "cancelled": None, "asked": asked}
    return render(request, "cancel.html", values)


@router.post("/book/cancel", response_class=HTMLResponse)
def cancel(request: Request, csrf: Optional = None, code: Optional = None) -> HTMLResponse:
    """Cancel a booking; the same answer for every unknown code."""
    lang = page_lang(request)
    clean = (code or "")[:40]
    try:
        check_csrf(request, csrf)
        _count(request, "address", client_address(request), booking.ADDRESS_LIMIT)
        with transaction(hub_of(request).sessions) as session:
            ticket = booking.cancel(session, context(request), code=clean)
    except DomainError as error:
        return render(
            request,
            "cancel.html",
            {
                "code": clean,
                "errors": {"code": error_text(lang, error)},
                "cancelled": None,
                "asked": None,
            },
            status=error.status,
        )
    values = {"code": "", "errors": {}, "cancelled": ticket, "asked": None}
    return render(request, "cancel.html", values)


@router.get("/book/{code}", response_class=HTMLResponse)
def confirmation(request: Request, code: str) -> HTMLResponse:
    """The booking: its number, time, code and QR code, to print or save."""
    ctx = context(request)
    try:
        with hub_of(request).sessions() as session:
            ticket = booking.find(session, code[:40])
            live = _live_link(session, ctx, ticket.id, request.query_params.get("live", ""))
    except DomainError as error:
        values: dict[str, Any] = {"message": error_text(page_lang(request), error)}
        return render(request, "missing.html", values, status=error.status)
    return render(
        request,
        "booked.html",
        {
            "ticket": ticket,
            "qr": qr_svg(ticket.booking_code or ""),
            "live": live,
            "live_qr": qr_svg(live) if live else "",
        },
    )


def _live_link(session: Session, ctx: QueueContext, ticket_id: int, token: str) -> str | None:
    """The live page's public address when ``token`` opens this booking's ticket."""
    if not token:
        return None
    try:
        opened = links.find(session, ctx, token[:64])
    except DomainError:
        return None
    return links.page_url(ctx, token) if opened.id == ticket_id else None


@router.post("/book/{code}/live", response_model=None)
def new_live_link(request: Request, code: str, csrf: Optional = None) -> Response:
    """A fresh link to the booking's live page (the first is shown only once)."""
    try:
        check_csrf(request, csrf)
        _count(request, "address", client_address(request), booking.ADDRESS_LIMIT)
        with transaction(hub_of(request).sessions) as session:
            found = booking.find(session, code[:40])
            token = ticket_page.new_link(session, context(request), found.id)
    except DomainError as error:
        values: dict[str, Any] = {"message": error_text(page_lang(request), error)}
        return render(request, "missing.html", values, status=error.status)
    return RedirectResponse(f"/t/{token}", status_code=303)


@router.get("/book/{code}/qr.svg", response_class=Response)
def qr_image(request: Request, code: str) -> Response:
    """The QR code alone, for saving (what the kiosk's scanner reads: the booking code)."""
    with hub_of(request).sessions() as session:
        try:
            ticket = booking.find(session, code[:40])
        except DomainError:
            return Response(status_code=404, headers=SECURITY_HEADERS)
    return Response(
        qr_svg(ticket.booking_code or ""), media_type="image/svg+xml", headers=SECURITY_HEADERS
    )
