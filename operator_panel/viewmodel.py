"""The operator panel's state and what its screen shows, with no Kivy and no MQTT (STYLE 12).

The panel holds nothing the hub did not tell it: the operator (with their language, statuses and
services) from the last reply, the visitor from the retained ``panel/{d}/assignment``, waiting
counts and service names from the retained board. What it adds is the discipline that keeps an
operator from taking two tickets: at most one request is outstanding, a request that timed out is
sent again with the *same* ``request_id`` (the hub answers a repeat with its first answer), and
nothing that needs the hub can be pressed while the link is down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from firmware_config.hublink import new_request_id
from firmware_config.i18n import Catalogue
from hub.protocol.base import MAX_FINISH_MINUTES, Request
from hub.protocol.cards import PanelNotices, PanelOperators
from hub.protocol.devices import DisplayBoard
from hub.protocol.messages import (
    Finish,
    Login,
    Logout,
    NoShow,
    OperatorInfo,
    PanelAssignment,
    PanelReply,
    ReadNotices,
    Recall,
    SetStatus,
    Start,
    Transfer,
)
from hub.protocol.zones import office_zone
from operator_panel import notices_view, phone_view
from operator_panel import view as views
from operator_panel.notices_view import NoticesView
from operator_panel.phone_model import PhoneModel
from operator_panel.phone_view import PhoneView
from operator_panel.view import FREE, PanelView

logger = logging.getLogger(__name__)

OnReply = Callable[[PanelReply], None]
OnFailure = Callable[[str], None]
Sender = Callable[[Request, OnReply, OnFailure], None]
"""Sends one panel request; exactly one of the callbacks runs later, on the UI thread."""

# What the operator is told after an action on the visitor succeeded.
_OUTCOMES = {
    "done": "done.finished",
    "done_partly": "done.finished_partly",
    "no_show": "done.no_show",
    "transfer": "done.transferred",
    "recall": "done.recalled",
    "start": "done.started",
}


@dataclass
class _Pending:
    """The one request in progress: kept whole so a resend reuses its request_id."""

    request: Request
    action: str
    number: str | None = None
    in_flight: bool = False
    attempts: int = 0


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
        clock: Callable[[], datetime] | None = None,
        timezone: str | None = None,
    ) -> None:
        """``timezone``: the device config's, used until a board names the office's."""
        self.texts = texts
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        """Now (aware): the time spent since the call is counted with it."""
        self._configured_zone = timezone
        self.zone: tzinfo = office_zone(timezone)
        """The office's zone, in which every time is shown: the board's, the config's or, last,
        the system's."""
        self.lang = lang
        self.device_lang = lang
        self.window = window
        self.name = name
        self.auto_next = auto_next
        self.max_attempts = max_attempts
        self.connected = False
        self.operator: OperatorInfo | None = None
        self.assignment: PanelAssignment | None = None
        self.others: PanelOperators | None = None
        """The other operators' statuses, as the hub last pushed them (SET-4)."""
        self.notices: PanelNotices | None = None
        """The operator's unread in-system notifications, as the hub last pushed them."""
        self.notices_open = False
        self.waiting: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self.pin_mode = False
        self.transfer_open = False
        self.transfer_service: int | None = None
        self._send = send
        self._pending: _Pending | None = None
        self.notice: tuple[str, bool] | None = None
        """The line under the title: (text, is an error)."""
        self.phone: PhoneModel | None = None
        """The phone agent beside the panel, when its device config names one."""
        self._listeners: list[Callable[[], None]] = []

    # ---- plumbing ---------------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every change (the screen redraws from ``view()``)."""
        self._listeners.append(listener)

    def off_change(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener`` (a screen that is replaced)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

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
        if self.phone is not None:
            self.phone.connected = up
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

    def operators_received(self, listed: PanelOperators) -> None:
        """The retained list of the other operators (``enabled`` false: not to be shown)."""
        self.others = listed
        self.notify()

    def notices_received(self, pushed: PanelNotices) -> None:
        """The retained notifications of the operator here (``enabled`` false: nobody's)."""
        self.notices = pushed
        if not pushed.enabled:
            self.notices_open = False
        self.notify()

    def board_received(self, board: DisplayBoard) -> None:
        """The retained board: its waiting counts and the services' names matter here."""
        self.waiting = dict(board.waiting)
        self.names = dict(board.names)
        self.zone = office_zone(board.tz, self._configured_zone)
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

    def toggle_notices(self) -> None:
        """Open or close the list of notifications."""
        self.notices_open = not self.notices_open and self.notices is not None
        self.notify()

    def read_notice(self, notice_id: int) -> None:
        """Mark one notification read; the hub pushes the list again."""
        self._start(ReadNotices(request_id=new_request_id(), ids=[notice_id]), "read_notices")

    def read_all_notices(self) -> None:
        """Mark every unread notification read."""
        self._start(ReadNotices(request_id=new_request_id(), all=True), "read_notices")

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

    def start(self) -> None:
        """The called visitor has come to the window: serving starts."""
        ticket = self._ticket()
        if ticket is not None:
            self._start(Start(request_id=new_request_id(), ticket_id=ticket[0]), "start", ticket[1])

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

    def done(self, note: str = "", minutes: str | None = None, percent: str | None = None) -> None:
        """The visitor is served: the task gets the note, the minutes spent and the percent done
        (Q-6); a field left empty is the hub's default (minutes since the call, 100 %)."""
        ticket = self._ticket()
        if ticket is None:
            return
        spent = views.whole_number(minutes, MAX_FINISH_MINUTES)
        if spent is False:
            return self._complain("work.bad_minutes", max=MAX_FINISH_MINUTES)
        done = views.whole_number(percent, 100)
        if done is False:
            return self._complain("work.bad_percent")
        request = Finish(
            request_id=new_request_id(),
            ticket_id=ticket[0],
            note=note or None,
            time_spent_minutes=spent,
            percent_done=done,
        )
        self._start(request, "done" if done in (None, 100) else "done_partly", ticket[1])

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

    def _complain(self, key: str, **params: object) -> None:
        self.notice = (self.text(key, **params), True)
        self.notify()

    def _start(self, request: Request, action: str, number: str | None = None) -> None:
        # The guard against double presses: a second press while one request is out is dropped
        # here, whatever the widgets did; and nothing is sent while the hub is unreachable.
        if not self.can_act:
            logger.info("%s ignored: %s", action, "busy" if self.busy else "no connection")
            return
        self.notice = None
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
            self.notice = (self.text("conn.retrying", attempt=pending.attempts + 1), False)
            if self.connected:
                self._transmit(pending)  # same request_id: a repeat cannot take a second ticket
            # else: connection_changed(True) sends it again.
        else:
            self._pending = None
            key = "conn.gave_up" if why == "timeout" else "conn.bad_reply"
            self.notice = (self.text(key), True)
        self.notify()

    def _replied(self, pending: _Pending, reply: PanelReply) -> None:
        if pending is not self._pending:
            return
        self._pending = None
        if not reply.ok:
            code = reply.error.code if reply.error else ""
            message = reply.error.message if reply.error else code
            self.notice = (message, True)
            if code == "panel_not_logged_in":
                self._signed_out()
            self.notify()
            return
        if pending.action == "logout":
            self._signed_out()
        else:
            if reply.operator is not None:
                self.operator = reply.operator
                # The operator reads the panel in their own language; the switch still works.
                lang = reply.operator.lang
                if pending.action == "login" and lang is not None and lang in self.texts.languages:
                    self.lang = lang
            if reply.assignment is not None:
                self.assignment_received(reply.assignment)
        outcome = _OUTCOMES.get(pending.action)
        if outcome is not None:
            self.notice = (self.text(outcome, number=pending.number), False)
        if pending.action == "transfer":
            self.transfer_open = False
        self.notify()
        if pending.action in ("done", "done_partly") and self.auto_next:
            self.set_status(FREE)

    def _signed_out(self) -> None:
        """Nobody is at the panel: the next operator starts in the device's language."""
        self.operator, self.assignment, self.others = None, None, None
        self.notices, self.notices_open = None, False
        self.lang = self.device_lang

    # ---- the view -----------------------------------------------------------------------

    def more(self, heading: str, shown: int, total: int) -> str:
        """A list's heading when only ``shown`` of its ``total`` rows fit: "Events (3 of 5)"."""
        return self.text("card.more", heading=heading, shown=shown, total=total)

    def status_text(self, code: str) -> str:
        """A status's name in the panel's language (SET-4)."""
        return views.status_text(self, code)

    def service_name(self, service_id: int) -> str:
        """A service's name as the hub last told it."""
        return views.service_name(self, service_id)

    def duration(self, seconds: int) -> str:
        """A wait as people say it: "12 хв 5 с", "1 год 3 хв"."""
        return views.duration(self, seconds)

    def view(self) -> PanelView:
        """What the screen shows now."""
        return views.build(self)

    def notices_view(self) -> NoticesView | None:
        """What the notifications' button and list show now (None: nothing to show)."""
        return notices_view.build(self)

    def phone_view(self) -> PhoneView | None:
        """What the phone area shows now (None: no phone beside this panel)."""
        if self.phone is None:
            return None
        return phone_view.build(self.phone, self.text, self.zone)
