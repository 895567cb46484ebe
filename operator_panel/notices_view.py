"""What the panel shows of the operator's in-system notifications (SET-8), from a PanelModel:
a button with the unread count in the top bar and, when opened, the list with "Mark read"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.protocol.zones import local_time
from operator_panel.view import Button

if TYPE_CHECKING:
    from operator_panel.viewmodel import PanelModel


@dataclass(frozen=True)
class NoticeRow:
    """One unread notification: its id (to mark it read) and its line."""

    id: int
    text: str


@dataclass(frozen=True)
class NoticesView:
    """The top bar's button (``alert`` while some are unread) and the list when open."""

    toggle: Button
    alert: bool
    open: bool
    heading: str
    rows: list[NoticeRow]
    empty: str | None
    unread: int
    read: Button
    read_all: Button
    close: Button


def build(model: PanelModel) -> NoticesView | None:
    """The notifications as the hub last pushed them; None when it sends none (or nobody is
    logged in, or the link is down: a stale count is not shown as current)."""
    pushed = model.notices
    if pushed is None or not pushed.enabled or model.operator is None or not model.connected:
        return None
    act = model.can_act
    rows = [
        NoticeRow(
            notice.id,
            model.text(
                "notices.line",
                time=local_time(notice.created_at, model.zone).strftime("%d.%m %H:%M"),
                text=notice.text,
            ),
        )
        for notice in pushed.notices
    ]
    return NoticesView(
        toggle=Button(model.text("notices.toggle", count=pushed.unread), True, model.notices_open),
        alert=pushed.unread > 0,
        open=model.notices_open,
        heading=model.text("notices.heading", count=pushed.unread),
        rows=rows,
        empty=None if rows else model.text("notices.none"),
        unread=pushed.unread,
        read=Button(model.text("notices.read"), act),
        read_all=Button(model.text("notices.read_all"), act and pushed.unread > 0),
        close=Button(model.text("notices.close"), True),
    )
