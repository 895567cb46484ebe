"""What a panel shows beside the ticket: the client's card (Q-5), the other operators (SET-4)
and the operator's in-system notifications (SET-8).

Both are bounded (lengths and item counts) so one busy client or a large hall never makes a
payload a panel cannot hold; the hub cuts texts to these limits before sending.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt, StringConstraints

from hub.protocol.base import Code, Message, Name, Part, Phone, TicketNumber, Window

CARD_EVENTS = 5
CARD_TASKS = 5
CARD_TEXT = 120
MAX_OPERATORS = 100
MAX_NOTICES = 20
NOTICE_TEXT = 500

Short = Annotated[str, StringConstraints(min_length=1, max_length=CARD_TEXT)]


class CardEvent(Part):
    """One of the client's recent events: when, its type's name, a short subject."""

    at: AwareDatetime
    type: Name
    subject: Short | None = None


class CardTask(Part):
    """One of the client's open tasks: its deadline, title and status name."""

    id: PositiveInt
    due: AwareDatetime
    title: Short
    state: Name
    overdue: bool = False


class ClientCard(Part):
    """The CRM client behind a ticket, as far as the operator may see it (ACC-6)."""

    client_id: PositiveInt
    name: Short
    contact: Short | None = None
    contact_phone: Phone | None = None
    events: list[CardEvent] = Field(default_factory=list, max_length=CARD_EVENTS)
    tasks: list[CardTask] = Field(default_factory=list, max_length=CARD_TASKS)
    matched_by: Code | None = None


class OperatorPresence(Part):
    """Another operator as a panel lists them: name, status (code and name), window, ticket."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    name: Name
    status: Code
    status_name: Name
    color: Annotated[str, Field(max_length=16)] | None = None
    window: Window | None = None
    ticket: TicketNumber | None = None
    since: AwareDatetime | None = None


class PanelOperators(Message):
    """Retained on ``panel/{d}/operators``: the other operators at work, when the panel's
    operator may view users' statuses (SET-4); ``enabled`` false clears an older list."""

    enabled: bool
    operators: list[OperatorPresence] = Field(default_factory=list, max_length=MAX_OPERATORS)
    total: NonNegativeInt = 0
    at: AwareDatetime | None = None


class PanelNotice(Part):
    """One unread in-system notification of the operator (a task, a reminder, a birthday)."""

    id: PositiveInt
    kind: Code
    text: Annotated[str, StringConstraints(min_length=1, max_length=NOTICE_TEXT)]
    created_at: AwareDatetime


class PanelNotices(Message):
    """Retained on ``panel/{d}/notices``: the logged-in operator's unread notifications, the
    newest ``MAX_NOTICES`` of ``unread``; ``enabled`` false (nobody logged in) clears them."""

    enabled: bool
    unread: NonNegativeInt = 0
    notices: list[PanelNotice] = Field(default_factory=list, max_length=MAX_NOTICES)
    at: AwareDatetime | None = None
