"""Message catalogues of the CRM modules, one file per module; ``hub.i18n`` merges them.

Each module defines ``MESSAGES: dict[str, tuple[str, str]]`` (code -> Ukrainian, English).
"""

from hub.messages import booking as booking  # public booking and the hall console
from hub.messages import (
    calls,
    clients,
    common,
    coordinator,
    devices,
    events,
    projects,
    queue,
    stats,
    tasks,
)

CATALOGUES: tuple[dict[str, tuple[str, str]], ...] = (
    common.MESSAGES,
    projects.MESSAGES,
    clients.MESSAGES,
    events.MESSAGES,
    tasks.MESSAGES,
    devices.MESSAGES,
    queue.MESSAGES,
    coordinator.MESSAGES,
    booking.MESSAGES,
    calls.MESSAGES,
    stats.MESSAGES,
)
