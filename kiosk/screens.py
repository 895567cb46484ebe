"""One builder per kiosk screen: read the flow, lay out widgets, send taps back as actions.

Builders hold no state: the root rebuilds the screen whenever the flow changes, so what the
screen shows is always exactly what the flow says. Every visible word comes from the flow's
catalogue; only the ticket number, names and codes come from the hub or the visitor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from firmware_config.qr import QrCode
from kiosk.flow import KioskFlow, Screen
from kiosk.widgets import (
    AMBER,
    BLUE,
    GREEN,
    INK,
    MUTED,
    QR_SIDE,
    RED,
    WHITE,
    Act,
    Style,
    TapButton,
    column,
    paint,
    row,
    spacer,
    text,
)

Builder = Callable[[KioskFlow, Style, Act], Widget]
DIGITS = "123456789+0"
CODE_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _nav(flow: KioskFlow, s: Style, act: Act, *buttons: tuple[str, str, str, bool]) -> BoxLayout:
    """The bottom row of big buttons: (action, text key, kind, enabled)."""
    return row(
        *(
            TapButton(action, flow.t(key), act, s, kind=kind, enabled=enabled)
            for action, key, kind, enabled in buttons
        ),
        spacing=3 * s.u,
        height=s.target,
    )


def _keys(chars: str, act: Act, s: Style, cols: int, font: float = 4.4) -> GridLayout:
    """A grid of character keys, each at least one touch target high."""
    key, gap = 8.5 * s.u, 1.2 * s.u
    rows = -(-len(chars) // cols)
    # A fixed height: bound to minimum_height it lags a frame and the last row overlaps.
    grid = GridLayout(
        cols=cols, spacing=gap, size_hint_y=None, height=rows * key + (rows - 1) * gap
    )
    for char in chars:
        grid.add_widget(TapButton(f"key:{char}", char, act, s, kind="plain", font=font, height=key))
    return grid


def _value_box(value: str, hint: str, s: Style) -> Widget:
    """The field a visitor types into, with a caret; the hint shows while it is empty."""
    shown = escape_markup(value) + "[color=0d5cb3]|[/color]" if value else hint
    box = AnchorLayout(size_hint_y=None, height=10 * s.u, padding=(2 * s.u, 0))
    paint(box, WHITE, border=MUTED)
    label = text(shown, s.font(5.2 if value else 3.8), color=INK if value else MUTED)
    label.markup = True
    box.add_widget(label)
    return box


def start(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """Services with their lines, and the way to check in a booking."""
    page = column(spacing=2.5 * s.u)
    page.add_widget(text(flow.t("start.title"), s.font(6), bold=True, height=9 * s.u))
    if flow.services is None:
        key = "offline.message" if not flow.connected else "start.loading"
        if not flow.connected:
            page.add_widget(text(flow.t("offline.title"), s.font(5), bold=True, color=RED))
        page.add_widget(text(flow.t(key), s.font(4), color=MUTED))
        page.add_widget(spacer())
    elif not flow.services:
        page.add_widget(text(flow.t("start.empty"), s.font(4.2), color=MUTED))
        page.add_widget(spacer())
    else:
        grid = GridLayout(cols=1 if s.portrait else 2, spacing=2.5 * s.u, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for service in flow.services:
            line = f"{flow.t('start.waiting', count=service.waiting)}  ·  {flow.wait_text(service)}"
            label = (
                f"[b]{escape_markup(service.name)}[/b]\n"
                f"[size={int(s.font(3.4))}]{escape_markup(line)}[/size]"
            )
            grid.add_widget(
                TapButton(
                    f"service:{service.id}",
                    label,
                    act,
                    s,
                    font=4.8,
                    height=20 * s.u,
                    enabled=flow.can_take,
                )
            )
        rows = -(-len(flow.services) // grid.cols)
        if rows * 22.5 * s.u < s.height - 50 * s.u:
            page.add_widget(grid)  # it fits: no ScrollView, whose taps land 0.2 s late
            page.add_widget(spacer())
        else:
            scroll = ScrollView(do_scroll_x=False, bar_width=1.5 * s.u)
            scroll.add_widget(grid)
            page.add_widget(scroll)
    if flow.settings.scanner.enabled:
        page.add_widget(text(flow.t("start.scan_hint"), s.font(3.6), color=MUTED))
    page.add_widget(
        TapButton("booking", flow.t("start.booking"), act, s, kind="go", height=s.target * 1.15)
    )
    return page


def details(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """One optional detail at a time: name (keyboard), phone (keypad) or companies (stepper)."""
    detail = flow.detail
    page = column(spacing=1.2 * s.u)
    step = flow.t("details.step", n=flow.detail_index + 1, total=len(flow.details))
    page.add_widget(text(step, s.font(3.2), color=MUTED, height=4.5 * s.u))
    page.add_widget(text(flow.t(f"details.{detail}"), s.font(5.5), bold=True))
    if detail == "companies":
        count = text(str(flow.visitor.companies), s.font(12), bold=True, height=16 * s.u)
        size: dict[str, Any] = {"size_hint": (None, None), "width": 16 * s.u, "height": 16 * s.u}
        stepper = BoxLayout(size_hint=(None, None), height=16 * s.u, spacing=4 * s.u)
        stepper.width = 3 * 16 * s.u + 8 * s.u
        stepper.add_widget(TapButton("companies:-1", "−", act, s, font=9, **size))
        count.size_hint_x, count.width = None, 16 * s.u
        stepper.add_widget(count)
        stepper.add_widget(TapButton("companies:+1", "+", act, s, font=9, **size))
        holder = AnchorLayout()
        holder.add_widget(stepper)
        page.add_widget(holder)
    else:
        value = flow.visitor.name if detail == "name" else flow.visitor.phone
        hint = flow.t("details.phone_hint") if detail == "phone" else ""
        page.add_widget(_value_box(value, hint, s))
        error = flow.t(flow.field_error) if flow.field_error else ""
        page.add_widget(text(error, s.font(3.4), bold=True, color=RED, height=5 * s.u))
        if detail == "name":
            letters = flow.texts.text(flow.keyboard_lang, "keyboard.letters")
            cols = max(8, int(s.width / (8.5 * s.u)))
            page.add_widget(_keys(letters, act, s, cols))
            langs = flow.languages
            other = langs[(langs.index(flow.keyboard_lang) + 1) % len(langs)]
            page.add_widget(
                row(
                    TapButton(
                        "keyboard", flow.texts.text(other, "keyboard.label"), act, s, kind="plain"
                    ),
                    TapButton(
                        "key: ", flow.t("button.space"), act, s, kind="plain", size_hint_x=2.5
                    ),
                    TapButton("backspace", flow.t("button.backspace"), act, s, kind="plain"),
                    spacing=1.2 * s.u,
                    height=8.5 * s.u,
                )
            )
        else:
            pad = AnchorLayout(size_hint_y=None)
            keypad = GridLayout(cols=3, spacing=1.2 * s.u, size_hint=(None, None))
            keypad.width = min(s.width * 0.6, 60 * s.u)
            for char in DIGITS:
                keypad.add_widget(
                    TapButton(f"key:{char}", char, act, s, kind="plain", font=5.5, height=8.5 * s.u)
                )
            keypad.add_widget(
                TapButton(
                    "backspace", flow.t("button.backspace"), act, s, kind="plain", height=8.5 * s.u
                )
            )
            keypad.height = pad.height = 4 * 8.5 * s.u + 3 * 1.2 * s.u
            pad.add_widget(keypad)
            page.add_widget(pad)
    page.add_widget(spacer())
    page.add_widget(
        _nav(
            flow,
            s,
            act,
            ("back", "button.back", "plain", True),
            ("skip", "button.skip", "plain", True),
            ("next", "button.next", "primary", True),
        )
    )
    return page


def confirm(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """What the visitor is about to take, to check before the number is issued."""
    page = column(spacing=2.5 * s.u)
    page.add_widget(text(flow.t("confirm.title"), s.font(6), bold=True, height=10 * s.u))
    facts = GridLayout(cols=2, spacing=(3 * s.u, 1.5 * s.u), size_hint_y=None)
    facts.bind(minimum_height=facts.setter("height"))
    service = flow.service
    rows = [("confirm.service", service.name if service else "")]
    visitor, asked = flow.visitor, flow.details
    if "name" in asked and visitor.name.strip():
        rows.append(("confirm.name", visitor.name.strip()))
    if "phone" in asked and visitor.phone:
        rows.append(("confirm.phone", visitor.phone))
    if "companies" in asked:
        rows.append(("confirm.companies", str(visitor.companies)))
    for key, value in rows:
        label = text(flow.t(key), s.font(4), color=MUTED, halign="right")
        label.size_hint_x = 0.4
        facts.add_widget(label)
        shown = text(value, s.font(4.6), bold=True, halign="left")
        shown.size_hint_x = 0.6
        facts.add_widget(shown)
    page.add_widget(facts)
    if service is not None:
        line = flow.t("confirm.line", count=service.waiting, wait=flow.wait_text(service))
        page.add_widget(text(line, s.font(4), color=MUTED))
    page.add_widget(spacer())
    page.add_widget(
        _nav(
            flow,
            s,
            act,
            ("back", "button.back", "plain", True),
            ("confirm", "button.take", "go", flow.can_take),
        )
    )
    return page


def sending(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """Waiting for the hub: no number is shown until the hub gives one."""
    page = column(spacing=3 * s.u)
    page.add_widget(spacer())
    page.add_widget(text(flow.t("sending.title"), s.font(7), bold=True))
    if flow.retrying:
        page.add_widget(text(flow.t("sending.retrying"), s.font(4.2), color=RED))
    page.add_widget(spacer())
    return page


def _follow(flow: KioskFlow, s: Style) -> Widget | None:
    """The QR code of the ticket's live page and what it is for; None without a page."""
    link = flow.follow
    if link is None:
        return None
    side = QR_SIDE * s.u
    panel = BoxLayout(
        orientation="vertical", spacing=1.5 * s.u, size_hint=(None, None), width=side + 6 * s.u
    )
    panel.bind(minimum_height=panel.setter("height"))
    holder = AnchorLayout(size_hint_y=None, height=side)
    code = QrCode(size_hint=(None, None), size=(side, side))
    code.show(link.url)
    holder.add_widget(code)
    panel.add_widget(holder)
    panel.add_widget(text(link.caption, s.font(3.4), bold=True, color=BLUE))
    return panel


def ticket(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """The number, big; where the visitor stands; whether to take paper or remember it.

    With a live page from the hub, its QR code stands beside all that (below it on a portrait
    screen), so the visitor can follow the line on a phone from where they sit.
    """
    info = flow.ticket
    page = column(spacing=1.5 * s.u)
    if info is None:
        return page
    facts = column(spacing=1.5 * s.u)
    facts.add_widget(text(flow.t("ticket.your_number"), s.font(5), color=MUTED))
    facts.add_widget(text(info.number, s.font(26), bold=True, height=28 * s.u))
    facts.add_widget(text(flow.ticket_service, s.font(4.6), bold=True))
    ahead = f"{flow.t('ticket.ahead', count=max(0, info.position - 1))}"
    wait = flow.t("ticket.wait", wait=flow.wait_text(info))
    facts.add_widget(text(f"{ahead}   ·   {wait}", s.font(4)))
    if info.printed is False:
        note = column(spacing=s.u, padding=2 * s.u)
        note.size_hint_y = None
        paint(note, AMBER, border=RED)
        note.add_widget(text(flow.t("ticket.remember"), s.font(5.5), bold=True, color=RED))
        note.add_widget(text(flow.t("ticket.remember_why"), s.font(3.6)))
        note.bind(minimum_height=note.setter("height"))
        facts.add_widget(note)
    else:
        key = "ticket.printed" if info.printed else "ticket.printing"
        facts.add_widget(text(flow.t(key), s.font(4.2), bold=True, color=GREEN))
    follow = _follow(flow, s)
    if follow is not None and s.portrait:
        # Under the facts, a little apart from them, not down by the button.
        below = AnchorLayout(anchor_y="bottom", size_hint_y=None)
        follow.bind(height=lambda _panel, height: setattr(below, "height", height + 3 * s.u))
        below.add_widget(follow)
        facts.add_widget(below)
    facts.add_widget(spacer())
    if follow is None or s.portrait:
        page.add_widget(facts)
    else:
        beside = AnchorLayout(anchor_y="center", size_hint_x=None, width=follow.width)
        beside.add_widget(follow)
        body = BoxLayout(orientation="horizontal", spacing=3 * s.u)
        body.add_widget(facts)
        body.add_widget(beside)
        page.add_widget(body)
    page.add_widget(_nav(flow, s, act, ("done", "button.done", "primary", True)))
    return page


def checkin(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """The booking code on an on-screen keypad, or its QR code held up to a scanner."""
    page = column(spacing=1.8 * s.u)
    page.add_widget(text(flow.t("checkin.title"), s.font(5.5), bold=True))
    page.add_widget(text(flow.t("checkin.hint"), s.font(3.4), color=MUTED))
    if flow.settings.scanner.enabled:
        page.add_widget(text(flow.t("checkin.scan_hint"), s.font(3.4), bold=True, color=BLUE))
    page.add_widget(_value_box(flow.code, "", s))
    cols = max(9, int(s.width / (8.5 * s.u)))
    page.add_widget(_keys(CODE_KEYS, act, s, cols))
    page.add_widget(spacer())
    page.add_widget(
        _nav(
            flow,
            s,
            act,
            ("back", "button.back", "plain", True),
            ("backspace", "button.backspace", "plain", True),
            ("check_in", "button.check_in", "go", bool(flow.code)),
        )
    )
    return page


def error(flow: KioskFlow, s: Style, act: Act) -> Widget:
    """What went wrong in the visitor's words, and what to do now."""
    title, message, advice = flow.problem_texts()
    page = column(spacing=3 * s.u)
    page.add_widget(spacer())
    page.add_widget(text(title, s.font(6.5), bold=True, color=RED))
    page.add_widget(text(message, s.font(4.4)))
    page.add_widget(text(advice, s.font(4.2), color=MUTED))
    page.add_widget(spacer())
    buttons = [("start", "button.start", "plain", True)]
    if flow.problem is not None and flow.problem.back_to is not None:
        buttons.append(("back", "button.again", "primary", True))
    page.add_widget(_nav(flow, s, act, *buttons))
    return page


BUILDERS: dict[Screen, Builder] = {
    Screen.START: start,
    Screen.DETAILS: details,
    Screen.CONFIRM: confirm,
    Screen.SENDING: sending,
    Screen.TICKET: ticket,
    Screen.CHECKIN: checkin,
    Screen.ERROR: error,
}
