"""The public booking API (Q-2a) for sites with their own form: no login, limited per address.

It lives under ``/api/v1/public`` (and, for sites written against the first release, under
``/api/public/v1`` too, left out of the OpenAPI document): nothing here needs credentials.
Bookings and cancellations are counted per address and per phone (in the database, so every
hub replica counts together) and refused with 429 beyond the limits. A booking is reached only
by its unguessable code.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub.api.deps import HubDep, SessionDep
from hub.api.schemas.common import IsoDate, PathId
from hub.api.schemas.public import (
    OpeningDayRead,
    PublicBooking,
    PublicBookingIn,
    PublicService,
    PublicSlot,
)
from hub.bootstrap import Hub
from hub.db.engine import transaction
from hub.services.phone.numbers import digits
from hub.services.queue import booking, hours
from hub.services.queue import core as queue
from hub.services.queue.core import QueueContext, TicketInfo
from hub.services.queue.slots import slot_rule

routes = APIRouter(tags=["public booking"])

Code = Annotated[str, "a booking code"]

PREFIX = "/api/v1/public"
OLD_PREFIX = "/api/public/v1"


def _context(request: Request) -> QueueContext:
    # The app's clock if one is set (as the web pages do), so both agree on "now".
    hub: Hub = request.app.state.hub
    clock = getattr(request.app.state, "clock", None) or hub.clock.now
    return QueueContext(
        now=clock(),
        tz=hub.settings.tz,
        site=hub.settings.site,
        office_url=hub.settings.office_url,
        visitor_url=hub.settings.ticket_page_url,
    )


def _count(request: Request, kind: str, value: str, limit: booking.Limit) -> None:
    # Committed on its own, before the request's transaction: refused requests count too.
    hub: Hub = request.app.state.hub
    with transaction(hub.sessions) as session:
        booking.hit(session, _context(request).now, booking.rate_key(kind, value), limit)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _view(session: SessionDep, ticket: TicketInfo) -> PublicBooking:
    starts = ticket.booked_at or ticket.effective_at
    code = ticket.booking_code or ""
    return PublicBooking(
        booking_code=code,
        number=ticket.number,
        service_id=ticket.service_id,
        service_name=ticket.service_name,
        state=ticket.state,
        starts_at=starts,
        ends_at=starts + slot_rule(session, ticket.service_id).length(ticket.companies),
        companies=ticket.companies,
        page_url=f"/book/{code}",
        qr_url=f"/book/{code}/qr.svg",
    )


@routes.get("/services", summary="Services that take bookings", response_model=list[PublicService])
def services(session: SessionDep, request: Request) -> list[PublicService]:
    result = []
    for service in queue.list_services(session, _context(request)):
        week = hours.opening_hours(session, service.id)
        result.append(
            PublicService(
                id=service.id,
                name=service.name,
                days=[OpeningDayRead.model_validate(day) for day in week.days],
                weekdays=week.weekdays,
                opens=min(day.opens for day in week.days),
                closes=max(day.closes for day in week.days),
            )
        )
    return result


@routes.get(
    "/services/{service_id:int}/slots",
    summary="Free times of a service on a day",
    response_model=list[PublicSlot],
)
def slots(
    request: Request,
    session: SessionDep,
    service_id: PathId,
    day: Annotated[IsoDate, Query(alias="date", description="The day, YYYY-MM-DD")],
    companies: Annotated[int, Query(ge=1, le=booking.MAX_COMPANIES)] = 1,
) -> list[PublicSlot]:
    found = booking.free_slots(
        session, _context(request), service_id=service_id, day=day, companies=companies
    )
    return [PublicSlot(starts_at=slot.starts_at, ends_at=slot.ends_at) for slot in found]


@routes.post(
    "/bookings",
    status_code=201,
    summary="Book a free time",
    response_model=PublicBooking,
    responses={429: {"description": "Too many bookings from this address or for this phone"}},
)
def book(request: Request, hub: HubDep, body: PublicBookingIn) -> PublicBooking:
    _count(request, "address", _address(request), booking.ADDRESS_LIMIT)
    contact = booking.check_contact(body.name, body.phone, body.email)
    if contact.phone:
        _count(request, "phone", digits(contact.phone) or "", booking.PHONE_LIMIT)
    with transaction(hub.sessions) as session:
        ticket = booking.book(
            session,
            _context(request),
            service_id=body.service_id,
            starts_at=body.starts_at,
            companies=body.companies,
            contact=contact,
            lang=body.lang,
        )
        return _view(session, ticket)


@routes.get("/bookings/{code}", summary="A booking by its code", response_model=PublicBooking)
def get_booking(session: SessionDep, code: str) -> PublicBooking:
    return _view(session, booking.find(session, code[:40]))


@routes.post(
    "/bookings/{code}/cancel",
    summary="Cancel a booking by its code",
    response_model=PublicBooking,
    responses={429: {"description": "Too many cancellations from this address"}},
)
def cancel(request: Request, hub: HubDep, code: str) -> PublicBooking:
    _count(request, "address", _address(request), booking.ADDRESS_LIMIT)
    with transaction(hub.sessions) as session:
        booking.cancel(session, _context(request), code=code[:40])
        return _view(session, booking.find(session, code[:40]))


router = APIRouter()
router.include_router(routes, prefix=PREFIX)
router.include_router(routes, prefix=OLD_PREFIX, include_in_schema=False)
