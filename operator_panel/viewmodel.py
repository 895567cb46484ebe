"""The operator panel's state and what its screen shows, with no Kivy and no MQTT (STYLE 12).

The panel holds nothing the hub did not tell it: the operator from the last reply, the visitor
from the retained ``panel/{d}/assignment``, the waiting counts from the retained board. What it
adds is the discipline that keeps an operator from taking two tickets: at most one request is
outstanding, a request that timed out is sent again with the *same* ``request_id`` (the hub
answers a repeat with its first answer), and nothing that needs the hub can be pressed while the
link is down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from firmware_config.hublink import new_request_id
from firmware_config.i18n import Catalogue
from hub.protocol.base import Request
from hub.protocol.devices import DisplayBoard
from hub.protocol.messages import (
    Finish,
    Login,
    Logout,
    NoShow,
    OperatorInfo,
    PanelAssignment,
    PanelReply,
    Recall,
    SetStatus,
    Transfer,
)

logger = logging.getLogger(__name__)

FREE = "free"
# SET-4's standard statuses; the protocol has no message listing user-defined ones (yet).
STANDARD_STATUSES = ("free", "busy", "break", "offline")
ACTIONS = ("recall", "no_show", "transfer", "done")

OnReply = Callable[[PanelReply], None]
OnFailure = Callable[[str], None]
Sender = Callable[[Request, OnReply, OnFailure], None]
"""Sends one panel request; exactly one of the callbacks runs later, on the UI thread."""

Screen = Literal["login", "work"]
# What the operator is told after an action on the visitor succeeded.
_OUTCOMES = {
    "done": "done.finished",
    "no_show": "done.no_show",
    "transfer": "done.transferred",
    "recall": "done.recalled",
}


@dataclass
class _Pending:
    """The one request in progress: kept whole so a resend reuses its request_id."""

    request: Request
    action: str
    number: str | None = None
    in_flight: bool = False
    attempts: int = 0


@dataclass(frozen=True)
class Button:
    """A button as the screen shows it."""

    text: str
    enabled: bool
    current: bool = False


@dataclass(frozen=True)
class TicketView:
    """The visitor in hand, as lines of text."""

    number: str
    service: str
    details: list[str]
    reason: str | None


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


class PanelModel:
    """One panel: feed it network events and operator actions, read ``view()`` after each."""

    def __init__(
        self,
        *,
        texts: Catalogue,
        send: Sender,
        window: int,
        name: str,
        lang: str = "uk",
        auto_next: bool = False,
        max_attempts: int = 3,
    ) -> None:
        self.texts = texts
        self.lang = lang
        self.window = window
        self.name = name
        self.auto_next = auto_next
        self.max_attempts = max_attempts
        self.connected = False
        self.operator: OperatorInfo | None = None
        self.assignment: PanelAssignment | None = None
        self.waiting: dict[int, int] = {}
        self.pin_mode = False
        self.transfer_open = False
        self.transfer_service: int | None = None
        self._send = send
        self._pending: _Pending | None = None
        self._notice: tuple[str, bool] | None = None
        self._listeners: list[Callable[[], None]] = []

    # ---- plumbing ---------------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every change (the screen redraws from ``view()``)."""
        self._listeners.append(listener)

    def notify(self) -> None:
        """Tell the listeners that something changed (also after setting fields directly)."""
        for listener in list(self._listeners):
            listener()

    def text(self, key: str, /, **params: object) -> str:
        """A text of the catalogue in the current language."""
        return self.texts.text(self.lang, key, **params)

    @property
    def busy(self) -> bool:
        """A request is outstanding: every hub action waits for it."""
        return self._pending is not None

    @property
    def can_act(self) -> bool:
        """Whether a button that talks to the hub may be pressed now."""
        return self.connected and self._pending is None

    # ---- from the network -------------------------------------------------------------

    def connection_changed(self, up: bool) -> None:
        """The link went up or down; a request that was cut off is sent again on return."""
        self.connected = up
        pending = self._pending
        if up and pending is not None and not pending.in_flight:
            self._transmit(pending)
        self.notify()

    def assignment_received(self, assignment: PanelAssignment) -> None:
        """The retained assignment: the truth about what this panel serves now."""
        self.assignment = assignment
        if self.operator is not None and assignment.status is not None:
            self.operator = self.operator.model_copy(update={"status": assignment.status})
        if assignment.ticket is None:
            self.transfer_open = False
        self.notify()

    def board_received(self, board: DisplayBoard) -> None:
        """The retained board: only its waiting counts matter here."""
        self.waiting = dict(board.waiting)
        self.notify()

    # ---- operator actions -------------------------------------------------------------

    def set_lang(self, lang: str) -> None:
        """Show the panel in ``lang`` (the hub's messages keep the operator's language)."""
        self.lang = lang
        self.notify()

    def toggle_lang(self) -> None:
        """Switch between the catalogue's languages in order."""
        langs = self.texts.languages
        self.set_lang(
            langs[(langs.index(self.lang) + 1) % len(langs)] if self.lang in langs else "uk"
        )

    def toggle_pin(self) -> None:
        """Choose between password and PIN login."""
        self.pin_mode = not self.pin_mode
        self.notify()

    def toggle_auto_next(self) -> None:
        """Auto-next: after Done, ask for the next visitor at once (a local choice)."""
        self.auto_next = not self.auto_next
        self.notify()

    def login(self, username: str, secret: str) -> None:
        """Log in with a password or (in PIN mode) a PIN; the window is the device's."""
        username = username.strip()
        if not username:
            return self._complain("login.need_username")
        if not secret:
            return self._complain("login.need_secret")
        if self.pin_mode and not (secret.isdigit() and 4 <= len(secret) <= 12):
            return self._complain("login.bad_pin")
        rid = new_request_id()
        if self.pin_mode:
            request = Login(request_id=rid, username=username, pin=secret)
        else:
            request = Login(request_id=rid, username=username, password=secret)
        self._start(request, "login")

    def logout(self) -> None:
        """Leave the panel (the hub refuses while a visitor is in hand)."""
        self._start(Logout(request_id=new_request_id()), "logout")

    def set_status(self, status: str) -> None:
        """Change status; Free asks the hub for the next visitor (Q-5)."""
        self._start(SetStatus(request_id=new_request_id(), status=status), "set_status")

    def recall(self) -> None:
        """Announce the visitor in hand again."""
        ticket = self._ticket()
        if ticket is not None:
            self._start(
                Recall(request_id=new_request_id(), ticket_id=ticket[0]), "recall", ticket[1]
            )

    def no_show(self, note: str = "") -> None:
        """The called visitor did not come."""
        ticket = self._ticket()
        if ticket is not None:
            request = NoShow(request_id=new_request_id(), ticket_id=ticket[0], note=note or None)
            self._start(request, "no_show", ticket[1])

    def done(self, note: str = "") -> None:
        """The visitor is served: the task made from the queue event is finished (Q-6)."""
        ticket = self._ticket()
        if ticket is not None:
            request = Finish(request_id=new_request_id(), ticket_id=ticket[0], note=note or None)
            self._start(request, "done", ticket[1])

    def open_transfer(self) -> None:
        """Show the transfer dialog for the visitor in hand."""
        if self._ticket() is not None and self.can_act:
            self.transfer_open, self.transfer_service = True, None
            self.notify()

    def close_transfer(self) -> None:
        """Close the transfer dialog without sending anything."""
        self.transfer_open = False
        self.notify()

    def choose_transfer_service(self, service_id: int | None) -> None:
        """Pick the target service in the transfer dialog (None: the same service)."""
        self.transfer_service = service_id
        self.notify()

    def transfer(self, target_user: str = "", reason: str = "") -> None:
        """Hand the visitor to the chosen service and/or the named operator, with a reason."""
        ticket = self._ticket()
        if ticket is None:
            return
        user = target_user.strip() or None
        if self.transfer_service is None and user is None:
            return self._complain("transfer.need_target")
        request = Transfer(
            request_id=new_request_id(),
            ticket_id=ticket[0],
            target_service_id=self.transfer_service,
            target_user=user,
            note=reason.strip() or None,
        )
        self._start(request, "transfer", ticket[1])

    # ---- requests ---------------------------------------------------------------------

    def _ticket(self) -> tuple[int, str] | None:
        held = self.assignment.ticket if self.assignment is not None else None
        return (held.id, held.number) if held is not None else None

    def _complain(self, key: str) -> None:
        self._notice = (self.text(key), True)
        self.notify()

    def _start(self, request: Request, action: str, number: str | None = None) -> None:
        # The guard against double presses: a second press while one request is out is dropped
        # here, whatever the widgets did; and nothing is sent while the hub is unreachable.
        if not self.can_act:
            logger.info("%s ignored: %s", action, "busy" if self.busy else "no connection")
            return
        self._notice = None
        self._pending = _Pending(request, action, number)
        self._transmit(self._pending)
        self.notify()

    def _transmit(self, pending: _Pending) -> None:
        pending.in_flight = True
        pending.attempts += 1
        self._send(
            pending.request,
            lambda reply: self._replied(pending, reply),
            lambda why: self._failed(pending, why),
        )

    def _failed(self, pending: _Pending, why: str) -> None:
        if pending is not self._pending:
            return
        pending.in_flight = False
        if why == "timeout" and pending.attempts < self.max_attempts:
            self._notice = (self.text("conn.retrying", attempt=pending.attempts + 1), False)
            if self.connected:
                self._transmit(pending)  # same request_id: a repeat cannot take a second ticket
            # else: connection_changed(True) sends it again.
        else:
            self._pending = None
            key = "conn.gave_up" if why == "timeout" else "conn.bad_reply"
            self._notice = (self.text(key), True)
        self.notify()

    def _replied(self, pending: _Pending, reply: PanelReply) -> None:
        if pending is not self._pending:
            return
        self._pending = None
        if not reply.ok:
            code = reply.error.code if reply.error else ""
            message = reply.error.message if reply.error else code
            self._notice = (message, True)
            if code == "panel_not_logged_in":
                self.operator, self.assignment = None, None
            self.notify()
            return
        if pending.action == "logout":
            self.operator, self.assignment = None, None
        else:
            if reply.operator is not None:
                self.operator = reply.operator
            if reply.assignment is not None:
                self.assignment_received(reply.assignment)
        outcome = _OUTCOMES.get(pending.action)
        if outcome is not None:
            self._notice = (self.text(outcome, number=pending.number), False)
        if pending.action == "transfer":
            self.transfer_open = False
        self.notify()
        if pending.action == "done" and self.auto_next:
            self.set_status(FREE)

    # ---- the view -----------------------------------------------------------------------

    def status_text(self, code: str) -> str:
        """A status's name: from the catalogue for the standard ones, else its code (SET-4)."""
        key = f"status.{code}"
        label = self.text(key)
        return code if label == key else label

    def view(self) -> PanelView:
        """What the screen shows now."""
        logged_in = self.operator is not None
        act = self.can_act
        status = self.operator.status if self.operator else ""
        held = self.assignment.ticket if self.assignment is not None else None
        notice, is_error = self._notice if self._notice else (None, False)
        if notice is None and self.busy:
            notice = self.text("conn.waiting_reply")
        banner = None if self.connected else self.text("conn.lost")
        statuses = [
            (code, Button(self.status_text(code), act, code == status))
            for code in STANDARD_STATUSES
        ]
        if status and status not in STANDARD_STATUSES:
            statuses.append((status, Button(self.status_text(status), act, True)))
        actions = {
            key: Button(self.text(f"action.{key}"), act and held is not None) for key in ACTIONS
        }
        if held is not None and held.state not in (None, "called"):
            actions["no_show"] = Button(actions["no_show"].text, False)
            actions["recall"] = Button(actions["recall"].text, False)
        services: list[tuple[int | None, Button]] = [
            (None, Button(self.text("transfer.same_service"), act, self.transfer_service is None))
        ]
        services += [
            (sid, Button(self.text("work.service", id=sid), act, self.transfer_service == sid))
            for sid in sorted(self.waiting)
            if held is None or sid != held.service_id
        ]
        return PanelView(
            screen="work" if logged_in else "login",
            title=self.text("title", name=self.name, window=self.window),
            banner=banner,
            notice=notice,
            notice_is_error=is_error,
            operator=(self.operator.name or self.operator.username) if self.operator else "",
            status=self.text("status.current", status=self.status_text(status)) if status else "",
            statuses=statuses,
            ticket=self._ticket_view() if held is not None else None,
            idle=self.text("work.idle"),
            idle_hint=self.text(
                "work.idle_hint_free" if status == FREE else "work.idle_hint_other"
            ),
            actions=actions,
            auto_next=Button(
                self.text("work.auto_next_on" if self.auto_next else "work.auto_next_off"),
                True,
                self.auto_next,
            ),
            waiting=[
                self.text("work.waiting_line", id=sid, count=count)
                for sid, count in sorted(self.waiting.items())
            ]
            or [self.text("work.waiting_none")],
            login=Button(self.text("login.submit"), act),
            logout=Button(self.text("work.logout"), act and held is None),
            pin_mode=self.pin_mode,
            pin_toggle=Button(
                self.text("login.use_password" if self.pin_mode else "login.use_pin"), True
            ),
            transfer_open=self.transfer_open and held is not None,
            transfer_services=services,
        )

    def _ticket_view(self) -> TicketView:
        assert self.assignment is not None and self.assignment.ticket is not None
        held = self.assignment.ticket
        lines: list[str] = []
        if held.client is not None and held.client.name:
            lines.append(self.text("work.client", name=held.client.name))
        if held.client is not None and held.client.phone:
            lines.append(self.text("work.phone", phone=held.client.phone))
        if held.booked_at is not None:
            lines.append(self.text("work.booked", time=_clock(held.booked_at)))
        lines.append(self.text("work.waited", time=self.duration(held.waited_s)))
        if held.recalls:
            lines.append(self.text("work.recalls", count=held.recalls))
        if self.assignment.task_id is not None:
            lines.append(self.text("work.task", id=self.assignment.task_id))
        return TicketView(
            number=held.number,
            service=self.text("work.service", id=held.service_id),
            details=lines,
            reason=self.assignment.reason,
        )

    def duration(self, seconds: int) -> str:
        """A wait as people say it: "12 хв 5 с", "1 год 3 хв"."""
        if seconds >= 3600:
            return self.text("work.hours", h=seconds // 3600, m=seconds % 3600 // 60)
        if seconds >= 60:
            return self.text("work.minutes", m=seconds // 60, s=seconds % 60)
        return self.text("work.seconds", s=seconds)


def _clock(at: datetime) -> str:
    """A booked time in the panel's local time zone."""
    return at.astimezone().strftime("%H:%M")
