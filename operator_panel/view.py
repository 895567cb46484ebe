"""What the panel's screen shows, worked out from a PanelModel: buttons, names and lines of text.

Names come from the hub wherever it sends them (the operator's statuses and services after
login, a ticket's service, the board's service names); the catalogue's texts are the fallback
for a panel that has not been told yet ("Послуга 3", the four standard statuses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Literal

from hub.protocol.base import MAX_FINISH_MINUTES
from hub.protocol.cards import ClientCard
from hub.protocol.zones import local_time

if TYPE_CHECKING:
    from operator_panel.viewmodel import PanelModel

FREE = "free"
# SET-4's standard statuses: offered before the hub has sent the operator's list.
STANDARD_STATUSES = ("free", "busy", "break", "offline")
# The first row is for a visitor being called, the second for one at the window.
ACTION_ROWS = (("start", "recall", "no_show"), ("transfer", "done"))
ACTIONS = tuple(key for row in ACTION_ROWS for key in row)
# Once serving has started the hub refuses these (the visitor is already there).
CALLING_ONLY = frozenset({"start", "recall", "no_show"})
CALLED, SERVING = "called", "serving"

Screen = Literal["login", "work"]


@dataclass(frozen=True)
class Button:
    """A button as the screen shows it; ``color`` is the hub's colour for a status (#rrggbb)."""

    text: str
    enabled: bool
    current: bool = False
    color: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of a list; ``warn`` paints it as needing attention (an overdue task)."""

    text: str
    warn: bool = False
    color: str | None = None


@dataclass(frozen=True)
class CardView:
    """The client's card: who, then recent events and open tasks (each may be empty)."""

    client: str
    contact: str | None
    events_heading: str
    events: list[Row]
    tasks_heading: str
    tasks: list[Row]


@dataclass(frozen=True)
class OthersView:
    """The other operators at work (SET-4 "view users' statuses")."""

    heading: str
    rows: list[Row]


@dataclass(frozen=True)
class TicketView:
    """The visitor in hand, as lines of text."""

    number: str
    service: str
    state: str
    serving: bool
    details: list[str]
    reason: str | None
    card: CardView | None = None
    task_link: str | None = None
    """The address of the task's card in the back-office, as a line of text."""
    task_url: str | None = None
    """The address the QR code beside the details holds (the hub's, never guessed here)."""
    minutes: int = 0
    """The minutes since the call: the time-spent field's first value."""
    ticket_id: int = 0


@dataclass(frozen=True)
class PanelView:
    """Everything dynamic on the panel's screen, in the chosen language."""

    screen: Screen
    title: str
    banner: str | None
    notice: str | None
    notice_is_error: bool
    operator: str
    status: str
    statuses: list[tuple[str, Button]]
    ticket: TicketView | None
    idle: str
    idle_hint: str
    actions: dict[str, Button]
    auto_next: Button
    waiting: list[str]
    login: Button
    logout: Button
    pin_mode: bool
    pin_toggle: Button
    transfer_open: bool
    transfer_services: list[tuple[int | None, Button]] = field(default_factory=list)
    others: OthersView | None = None
    alerts: list[str] = field(default_factory=list)
    """The service-level alerts raised now in the operator's services (STAT-3), one line each."""


def status_text(model: PanelModel, code: str) -> str:
    """A status's name: the hub's in the operator's language, else the catalogue's or the code."""
    operator = model.operator
    named = {s.code: s.name for s in operator.statuses or []} if operator else {}
    if operator is not None and operator.lang in (None, model.lang) and code in named:
        return named[code]
    if code in STANDARD_STATUSES:
        return model.text(f"status.{code}")
    # A user-defined status has only the hub's name, even when the panel shows another language.
    return named.get(code, code)


def service_name(model: PanelModel, service_id: int, known: str | None = None) -> str:
    """A service's name from the board or the operator's list, else "Service 3"."""
    if known:
        return known
    if service_id in model.names:
        return model.names[service_id]
    operator = model.operator
    for service in (operator.services or []) if operator else []:
        if service.id == service_id:
            return service.name
    return model.text("work.service", id=service_id)


def duration(model: PanelModel, seconds: int) -> str:
    """A wait as people say it: "12 хв 5 с", "1 год 3 хв"."""
    if seconds >= 3600:
        return model.text("work.hours", h=seconds // 3600, m=seconds % 3600 // 60)
    if seconds >= 60:
        return model.text("work.minutes", m=seconds // 60, s=seconds % 60)
    return model.text("work.seconds", s=seconds)


def build(model: PanelModel) -> PanelView:
    """What the screen shows now."""
    operator = model.operator
    act = model.can_act
    status = operator.status if operator else ""
    held = model.assignment.ticket if model.assignment is not None else None
    notice, is_error = model.notice if model.notice else (None, False)
    if notice is None and model.busy:
        notice = model.text("conn.waiting_reply")
    actions = {
        key: Button(model.text(f"action.{key}"), act and held is not None) for key in ACTIONS
    }
    if held is not None and held.state not in (None, CALLED):
        for key in CALLING_ONLY:
            actions[key] = Button(actions[key].text, False)
    return PanelView(
        screen="work" if operator is not None else "login",
        title=model.text("title", name=model.name, window=model.window),
        banner=None if model.connected else model.text("conn.lost"),
        notice=notice,
        notice_is_error=is_error,
        operator=(operator.name or operator.username) if operator else "",
        status=model.text("status.current", status=status_text(model, status)) if status else "",
        statuses=_statuses(model, status, act),
        ticket=_ticket(model) if held is not None else None,
        idle=model.text("work.idle"),
        idle_hint=model.text("work.idle_hint_free" if status == FREE else "work.idle_hint_other"),
        actions=actions,
        auto_next=Button(
            model.text("work.auto_next_on" if model.auto_next else "work.auto_next_off"),
            True,
            model.auto_next,
        ),
        waiting=_waiting(model),
        login=Button(model.text("login.submit"), act),
        logout=Button(model.text("work.logout"), act and held is None),
        pin_mode=model.pin_mode,
        pin_toggle=Button(
            model.text("login.use_password" if model.pin_mode else "login.use_pin"), True
        ),
        transfer_open=model.transfer_open and held is not None,
        transfer_services=_transfer_choices(model, act),
        # Without the hub the others' statuses would be stale: they are not shown as current.
        others=_others(model) if operator is not None and model.connected else None,
        alerts=_alerts(model) if operator is not None else [],
    )


def _alerts(model: PanelModel) -> list[str]:
    """The alerts the retained assignment carries, in the panel's language."""
    raised = model.assignment.alerts if model.assignment is not None else None
    lines = []
    for alert in raised or []:
        service = service_name(model, alert.service_id, alert.service_name)
        if alert.kind == "wait":
            lines.append(
                model.text("alert.wait", service=service, target=duration(model, alert.threshold))
            )
        else:
            lines.append(
                model.text(
                    "alert.level", service=service, level=alert.value, threshold=alert.threshold
                )
            )
    return lines


def _others(model: PanelModel) -> OthersView | None:
    """The others' statuses, when the hub sends them (the operator may view them)."""
    listed = model.others
    if listed is None or not listed.enabled:
        return None
    rows = []
    for other in listed.operators:
        window = other.window or model.text("others.no_window")
        key = "others.line_ticket" if other.ticket else "others.line"
        text = model.text(
            key, window=window, name=other.name, status=other.status_name, ticket=other.ticket
        )
        rows.append(Row(text, color=other.color))
    if listed.total > len(listed.operators):
        rows.append(Row(model.text("others.more", count=listed.total - len(listed.operators))))
    if not rows:
        rows.append(Row(model.text("others.none")))
    return OthersView(model.text("others.heading"), rows)


def _card(model: PanelModel, card: ClientCard) -> CardView:
    """The client's card in the panel's language (the hub named types and statuses already)."""
    contact = None
    if card.contact and card.contact_phone:
        contact = model.text("card.contact_phone", name=card.contact, phone=card.contact_phone)
    elif card.contact:
        contact = model.text("card.contact", name=card.contact)
    events = [
        Row(
            model.text(
                "card.event" if event.subject else "card.event_plain",
                date=day_text(event.at, model.zone),
                type=event.type,
                subject=event.subject,
            )
        )
        for event in card.events
    ]
    tasks = [
        Row(
            model.text(
                "card.task", date=day_text(task.due, model.zone), title=task.title, state=task.state
            ),
            warn=task.overdue,
        )
        for task in card.tasks
    ]
    return CardView(
        client=model.text("card.client", name=card.name),
        contact=contact,
        events_heading=model.text("card.events"),
        events=events or [Row(model.text("card.no_events"))],
        tasks_heading=model.text("card.tasks"),
        tasks=tasks or [Row(model.text("card.no_tasks"))],
    )


def day_text(at: datetime, zone: tzinfo) -> str:
    """A date in the office's time zone, day first as both languages here write it."""
    return local_time(at, zone).strftime("%d.%m.%y")


def _statuses(model: PanelModel, status: str, act: bool) -> list[tuple[str, Button]]:
    """One button per status the hub offers, in its order (the standard four until login)."""
    operator = model.operator
    offered = [(s.code, s.color) for s in operator.statuses or []] if operator else []
    offered = offered or [(code, None) for code in STANDARD_STATUSES]
    buttons = [
        (code, Button(status_text(model, code), act, code == status, color))
        for code, color in offered
    ]
    if status and status not in {code for code, _ in offered}:
        buttons.append((status, Button(status_text(model, status), act, True)))
    return buttons


def _waiting(model: PanelModel) -> list[str]:
    """Waiting counts of the operator's services (of every service until the hub says which)."""
    operator = model.operator
    mine = None if operator is None or operator.services is None else operator.services
    ids = {service.id for service in mine} if mine is not None else None
    lines = [
        model.text("work.waiting_line", service=service_name(model, sid), count=count)
        for sid, count in sorted(model.waiting.items())
        if ids is None or sid in ids
    ]
    return lines or [model.text("work.waiting_none")]


def _transfer_choices(model: PanelModel, act: bool) -> list[tuple[int | None, Button]]:
    """The same service, then every other service the board or the operator's list knows."""
    held = model.assignment.ticket if model.assignment is not None else None
    operator = model.operator
    ids = set(model.waiting) | {s.id for s in (operator.services or [] if operator else [])}
    chosen = model.transfer_service
    choices: list[tuple[int | None, Button]] = [
        (None, Button(model.text("transfer.same_service"), act, chosen is None))
    ]
    choices += [
        (sid, Button(service_name(model, sid), act, chosen == sid))
        for sid in sorted(ids)
        if held is None or sid != held.service_id
    ]
    return choices


def _ticket(model: PanelModel) -> TicketView:
    assert model.assignment is not None and model.assignment.ticket is not None
    held = model.assignment.ticket
    lines: list[str] = []
    if held.caller:
        # On the phone, not in the hall: the line agent brings them to the operator's phone.
        lines.append(model.text("work.caller"))
    card = _card(model, held.card) if held.card is not None else None
    if card is not None:
        # The client as the CRM knows it; its lists go below the details.
        lines.append(card.client)
        if card.contact:
            lines.append(card.contact)
    if card is None and held.client is not None and held.client.name:
        lines.append(model.text("work.client", name=held.client.name))
    if held.client is not None and held.client.phone and (card is None or not card.contact):
        lines.append(model.text("work.phone", phone=held.client.phone))
    if held.booked_at is not None:
        lines.append(model.text("work.booked", time=clock_text(held.booked_at, model.zone)))
    lines.append(model.text("work.waited", time=duration(model, held.waited_s)))
    if held.recalls:
        lines.append(model.text("work.recalls", count=held.recalls))
    if held.remote:
        lines.append(model.text("work.remote"))
    if held.late_until is not None:
        lines.append(model.text("work.late", time=clock_text(held.late_until, model.zone)))
    assignment = model.assignment
    if assignment.task_id is not None:
        number = assignment.task_number or f"#{assignment.task_id}"
        lines.append(model.text("work.task", number=number))
    serving = held.state == SERVING
    state = held.state or CALLED
    if state in (CALLED, SERVING):
        state = model.text(f"work.state_{state}")
    return TicketView(
        number=held.number,
        service=service_name(model, held.service_id, held.service_name),
        state=state,
        serving=serving,
        details=lines,
        reason=assignment.reason,
        card=card,
        task_link=model.text("work.task_card", url=assignment.task_url)
        if assignment.task_url
        else None,
        task_url=assignment.task_url,
        minutes=minutes_since(held.called_at, model.clock()),
        ticket_id=held.id,
    )


def minutes_since(called_at: datetime | None, now: datetime) -> int:
    """Whole minutes from the call to ``now`` (0 before the call or without one), at most a day."""
    if called_at is None:
        return 0
    return min(MAX_FINISH_MINUTES, max(0, int((now - called_at).total_seconds() // 60)))


def whole_number(typed: str | None, most: int) -> int | Literal[False] | None:
    """A typed whole number from 0 to ``most``; None when nothing was typed, False when wrong."""
    clean = (typed or "").strip().removesuffix("%").strip()
    if not clean:
        return None
    if not clean.isascii() or not clean.isdigit() or len(clean) > 6:
        return False
    value = int(clean)
    return value if value <= most else False


def clock_text(at: datetime, zone: tzinfo) -> str:
    """A time of day in the office's time zone (a booking, a call)."""
    return local_time(at, zone).strftime("%H:%M")
