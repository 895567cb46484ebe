"""The controlled clock of a bench hub: read it, move it forward (administrators only).

Mounted only when the hub was started with ``clock = "controlled"`` (which needs ``bench_mode``):
a hub in service has no such route at all.
"""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import AdminUser, HubDep
from hub.api.schemas.bench import ClockRead, ClockSet
from hub.clock import ClockError, ControlledClock
from hub.errors import Conflict, Invalid

router = APIRouter(prefix="/api/v1/bench", tags=["bench"])


def _controlled(hub: HubDep) -> ControlledClock:
    if not isinstance(hub.clock, ControlledClock):
        raise Conflict("bench_clock_not_controlled")
    return hub.clock


@router.get("/clock", summary="The hub's time (bench hubs only)")
def read_clock(hub: HubDep, principal: AdminUser) -> ClockRead:
    """Now, as the queue, its statistics and housekeeping see it."""
    return ClockRead(now=hub.clock.now())


@router.put("/clock", summary="Move the hub's time forward (bench hubs only)")
def set_clock(hub: HubDep, principal: AdminUser, body: ClockSet) -> ClockRead:
    """Set now to ``now`` (never back after the first move); the hub's housekeeper is woken to
    look at the new time (bookings past their window expire...)."""
    try:
        moved = _controlled(hub).set(body.now)
    except ClockError:
        raise Invalid("bench_clock_backwards", field="now") from None
    return ClockRead(now=moved)
