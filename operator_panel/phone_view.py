"""What the phone area shows, worked out from a PhoneModel: lines, buttons and rows of text.

Everything is in the panel's language from its catalogue; the hub's names (a colleague's
status, a client's event types) come as the hub sent them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from hub.protocol.messages import PhoneBookEntry
from operator_panel.phone_model import MAX_LINES, Call, PhoneModel
from operator_panel.phone_recent import Incoming
from operator_panel.view import Button, Row, clock_text, day_text

Text = Callable[..., str]
"""The catalogue's text in the panel's language: ``text(key, **params)``."""

# PH-5's presences, coloured like the statuses the hub seeds (a status without one is plain).
PRESENCE_COLOURS = {
    "free": "#2e7d32",
    "busy": "#c62828",
    "ringing": "#f9a825",
    "on_hold": "#6a1b9a",
    "hold": "#6a1b9a",
    "break": "#ef6c00",
    "offline": "#757575",
}


OUTCOME_COLOURS = {"missed": "#c62828", "answered": "#2e7d32", "rejected": "#757575"}


@dataclass(frozen=True)
class LineView:
    """One line with its call: who, in what state for how long, and what can be done."""

    call_id: str
    line: str
    title: str
    who: str
    detail: str
    """The number (when a name is shown above it), the direction and the state."""
    state: str
    state_code: str
    timer: str
    actions: dict[str, Button]
    selected: bool = False


@dataclass(frozen=True)
class IncomingView:
    """The incoming-call window: the caller and, when the hub knows them, the client."""

    call_id: str
    heading: str
    number: str
    caller: str | None
    client: list[str]
    events_heading: str
    events: list[Row]
    note: str | None
    accept: Button
    reject: Button
    forward: Button


@dataclass(frozen=True)
class ListRow:
    """A row of the book or the recent calls; touching it dials ``number``."""

    text: str
    detail: str
    number: str
    color: str | None = None
    warn: bool = False


@dataclass(frozen=True)
class PhoneView:
    """The phone area and its button on the top bar."""

    toggle: Button
    toggle_alert: bool
    open: bool
    heading: str
    registration: str
    registration_ok: bool
    mute: Button
    lines_heading: str
    lines: list[LineView]
    controls: dict[str, Button]
    """The selected line's buttons (answer/reject/forward, or hold/record/hang up)."""
    controls_call: str | None
    no_lines: str
    display: str
    display_hint: str
    forwarding: bool
    keys_enabled: bool
    call: Button
    erase: Button
    cancel: Button
    tabs: dict[str, Button]
    rows: list[ListRow] = field(default_factory=list)
    rows_note: str | None = None
    incoming: IncomingView | None = None


def timer(text: Text, seconds: float) -> str:
    """A call's time as phones show it: 4:07, 1:02:09."""
    total = max(0, int(seconds))
    h, m, s = total // 3600, total % 3600 // 60, total % 60
    if h:
        return text("phone.timer_long", h=h, m=f"{m:02d}", s=f"{s:02d}")
    return text("phone.timer_short", m=m, s=f"{s:02d}")


def who(text: Text, number: str, name: str | None) -> str:
    """The other party: their name and number when the SIP peer gave a name."""
    return text("phone.who_named", name=name, number=number) if name else number


def build(phone: PhoneModel, text: Text, zone: tzinfo) -> PhoneView:
    """What the phone area shows now; times in ``zone`` (the office's)."""
    now = phone.clock()
    usable = phone.usable
    chosen = phone.selected()
    lines = [_line(phone, text, call, now, usable, call is chosen) for call in phone.lines()]
    controls = next((line.actions for line in lines if line.selected), {})
    talking = phone.talking()
    forwarding = phone.forwarding is not None and phone.forwarding in phone.calls
    display, hint = phone.dialled, text("phone.display_hint")
    if forwarding:
        target = phone.calls[phone.forwarding or ""]
        hint = text("phone.forward_to", number=target.remote)
    elif talking is not None:
        tones = phone.tones.get(talking.call_id, "")
        display = text("phone.display_dtmf", digits=tones) if tones else ""
        hint = text("phone.display_dtmf_hint")
    call_key = "phone.forward" if forwarding else "phone.call"
    dialling = phone.waiting_for("") is not None
    rows, note = _rows(phone, text, zone)
    return PhoneView(
        toggle=Button(_toggle_text(phone, text, now), True, phone.open),
        toggle_alert=phone.ringing() is not None and not phone.open,
        open=phone.open,
        heading=text("phone.heading"),
        registration=_registration(phone, text),
        registration_ok=phone.usable and bool(phone.status and phone.status.registered),
        mute=Button(
            text("phone.mute_on" if phone.mute_second_ring else "phone.mute_off"),
            True,
            phone.mute_second_ring,
        ),
        lines_heading=(
            text("phone.lines_busy", count=len(lines), total=MAX_LINES)
            if lines
            else text("phone.lines")
        ),
        lines=lines,
        controls=controls,
        controls_call=chosen.call_id if chosen is not None and controls else None,
        no_lines=text("phone.no_lines"),
        display=display,
        display_hint=hint,
        forwarding=forwarding,
        keys_enabled=usable or talking is None,
        call=Button(
            text(call_key),
            usable
            and bool(phone.dialled.strip())
            # Forwarding goes on during a call; a new call waits for the last dial's report.
            and (forwarding or (talking is None and not dialling)),
        ),
        erase=Button(text("phone.erase"), bool(phone.dialled) and (forwarding or talking is None)),
        cancel=Button(text("phone.cancel"), forwarding),
        tabs={
            tab: Button(text(f"phone.{tab}"), True, phone.list_tab == tab)
            for tab in ("book", "recent")
        },
        rows=rows,
        rows_note=note,
        incoming=_incoming(phone, text, usable, zone),
    )


def _toggle_text(phone: PhoneModel, text: Text, now: datetime) -> str:
    if phone.open:
        return text("phone.back")
    if phone.ringing() is not None:
        return text("phone.open_ringing")
    talking = phone.talking()
    if talking is not None and talking.answered is not None:
        return text(
            "phone.open_talking", time=timer(text, (now - talking.answered).total_seconds())
        )
    if phone.calls:
        return text("phone.open_calls", count=len(phone.calls))
    return text("phone.open")


def _registration(phone: PhoneModel, text: Text) -> str:
    if not phone.connected:
        return text("phone.reg_no_hub")
    if phone.agent_online is None:
        return text("phone.reg_unknown")
    if not phone.agent_online:
        return text("phone.reg_offline")
    status = phone.status
    if status is None or not status.registered:
        return text("phone.reg_not_registered")
    if status.number:
        return text("phone.reg_registered", number=status.number)
    return text("phone.reg_registered_plain")


def _line(
    phone: PhoneModel, text: Text, call: Call, now: datetime, usable: bool, selected: bool
) -> LineView:
    waiting = phone.waiting_for(call.call_id)
    ringing = call.state == "ringing"
    live = not ringing and waiting is None and usable
    since = call.answered if call.answered is not None else call.started
    state_key = "dialling" if ringing and call.direction == "out" else call.state
    state = text(f"phone.state_{state_key}")
    if call.conference:
        state = f"{state} · {text('phone.state_conference')}"
    if call.recording:
        state = f"{state} · {text('phone.state_recording')}"
    actions: dict[str, Button] = {}
    if ringing and call.direction == "in":
        actions["answer"] = Button(text("phone.answer"), usable and waiting is None)
        actions["reject"] = Button(text("phone.reject"), usable and waiting is None)
        actions["forward"] = Button(text("phone.forward"), usable and waiting is None)
    else:
        held = call.state == "held"
        actions["hold"] = Button(text("phone.unhold" if held else "phone.hold"), live, held)
        actions["record"] = Button(
            text("phone.record_stop" if call.recording else "phone.record"), live, call.recording
        )
        if phone.can_join(call):
            actions["conference"] = Button(text("phone.conference"), live)
        actions["hangup"] = Button(text("phone.hangup"), usable and waiting != "hangup")
    # The state first: it is what a narrow line must still show.
    parts = [state, *([call.remote] if call.remote_name else []), text(f"phone.{call.direction}")]
    return LineView(
        call_id=call.call_id,
        line=call.line,
        title=text("phone.line", line=call.line),
        who=call.remote_name or call.remote,
        detail=" · ".join(parts),
        state=state,
        state_code=state_key,
        timer=timer(text, (now - since).total_seconds()),
        actions=actions,
        selected=selected,
    )


def _incoming(phone: PhoneModel, text: Text, usable: bool, zone: tzinfo) -> IncomingView | None:
    call = phone.ringing()
    if call is None or call.call_id == phone.forwarding:
        return None
    waiting = phone.waiting_for(call.call_id)
    card = phone.card_for(call.remote)
    client: list[str] = []
    events: list[Row] = []
    note: str | None = None
    if card is not None:
        client.append(text("card.client", name=card.name))
        if card.contact and card.contact_phone:
            client.append(text("card.contact_phone", name=card.contact, phone=card.contact_phone))
        elif card.contact:
            client.append(text("card.contact", name=card.contact))
        for event in card.events:
            key = "card.event" if event.subject else "card.event_plain"
            day = day_text(event.at, zone)
            events.append(Row(text(key, date=day, type=event.type, subject=event.subject)))
    elif call.remote in phone.cards:
        note = text("phone.unknown_caller")
    elif phone.connected and call.remote not in phone.lookup_failed:
        note = text("phone.looking_up")
    return IncomingView(
        call_id=call.call_id,
        heading=text("phone.incoming", line=call.line),
        number=call.remote,
        caller=call.remote_name,
        client=client,
        events_heading=text("card.events"),
        events=events,
        note=text("phone.muted") if phone.ring_muted() else note,
        accept=Button(text("phone.answer"), usable and waiting is None),
        reject=Button(text("phone.reject"), usable and waiting is None),
        forward=Button(text("phone.forward"), usable and waiting is None),
    )


def _rows(phone: PhoneModel, text: Text, zone: tzinfo) -> tuple[list[ListRow], str | None]:
    if phone.list_tab == "recent":
        rows = [_recent(text, entry, zone) for entry in phone.recent]
        return rows, None if rows else text("phone.recent_empty")
    if phone.book is None:
        return [], text("phone.book_failed" if phone.book_failed else "phone.book_loading")
    rows = [_contact(text, entry) for entry in phone.book]
    return rows, None if rows else text("phone.book_empty")


def _contact(text: Text, entry: PhoneBookEntry) -> ListRow:
    presence = entry.status_name or entry.status or text("phone.presence_unknown")
    return ListRow(
        text=text("phone.book_row", name=entry.name, number=entry.sip_number),
        detail=presence,
        number=entry.sip_number,
        color=PRESENCE_COLOURS.get(entry.status or ""),
    )


def _recent(text: Text, entry: Incoming, zone: tzinfo) -> ListRow:
    clock = clock_text(entry.at, zone)
    return ListRow(
        text=text("phone.recent_row", time=clock, who=who(text, entry.remote, entry.remote_name)),
        detail=text(f"phone.outcome_{entry.state}"),
        number=entry.remote,
        color=OUTCOME_COLOURS.get(entry.state),
        warn=entry.state == "missed",
    )
