"""The operator's in-system notifications on the panel, end to end: the real hub, Mosquitto and
database, the real Kivy widgets offscreen. A notice written in the back-office's transaction
reaches the logged-in operator's panel (retained ``panel/{d}/notices``), is counted and listed in
both languages, is marked read at the panel (the hub records it) or in the back-office (the
panel follows), and is gone from the panel at log-out. Pictures: panel-notices-{uk,en}.png in
CHERGA_SCREENSHOTS (docs/screenshots refreshes docs/), else a scratch folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kivy.base import EventLoop
from sqlalchemy import select

from hub.db.engine import transaction
from hub.db.models import User
from hub.db.models.mail import Notification
from hub.db.models.queue import OutboxMessage
from hub.protocol import topics
from hub.protocol.cards import PanelNotice, PanelNotices
from hub.protocol.messages import ReadNotices
from hub.services.mail import inapp, notify
from tests.test_coordinator import Site, make_service, site  # noqa: F401
from tests.test_panel_app import Panel, panels, pump  # noqa: F401
from tests.test_panel_viewmodel import Wire, serving_model

PICTURES = Path(os.environ.get("CHERGA_SCREENSHOTS") or tempfile.mkdtemp(prefix="cherga-panel-"))


def user_id(where: Site, username: str) -> int:
    with where.hub.sessions() as session:
        return int(session.scalars(select(User.id).where(User.username == username)).one())


def tell(where: Site, to: int, key: str, subject: str, text: str) -> None:
    """A notice written as the task and reminder services write them (channel "system")."""
    with transaction(where.hub.sessions) as session:
        who = notify.person(session, to)
        assert who is not None
        notify.tell(
            session,
            who,
            channel="system",
            kind="task_assigned",
            key=key,
            subject=subject,
            text=text,
            link="/office/tasks/1",
            now=where.now[0],
        )


def picture(panel: Panel, lang: str) -> None:
    """panel-notices-LANG.png once the list stands laid out in the middle of the screen."""
    dialog, root = panel.root.notices, panel.root

    def laid_out() -> bool:
        middle = (
            abs(dialog.center_x - root.center_x) < 2 and abs(dialog.center_y - root.center_y) < 2
        )
        rows = [line.children[-1] for line in dialog.lines.children]
        return middle and dialog.height > 300 and all(row.texture_size[0] > 0 for row in rows)

    pump(laid_out)
    for _frame in range(3):  # the canvas follows the layout on the next frames
        EventLoop.idle()
    PICTURES.mkdir(parents=True, exist_ok=True)
    path = PICTURES / f"panel-notices-{lang}.png"
    root.export_to_png(str(path))
    assert path.stat().st_size > 10_000


def read_at(where: Site, key: str) -> object:
    with where.hub.sessions() as session:
        return session.scalars(select(Notification.read_at).where(Notification.key == key)).one()


def unread_shown(panel: Panel) -> int:
    pushed = panel.model.notices
    return pushed.unread if pushed is not None and pushed.enabled else -1


def test_notices_reach_the_operators_panel_and_are_read_there(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],  # noqa: F811
) -> None:
    make_service(site, "Паспорти", ["olena", "petro"])
    olena, petro = user_id(site, "olena"), user_id(site, "petro")
    tell(site, olena, "n1", "Нова задача 000041", "Вас призначено виконавцем задачі «Ґрунт».")
    tell(site, petro, "p1", "Нова задача 000050", "Не для Олени.")
    panel = panels("panel-1")
    toggle = panel.root.notices_toggle
    assert toggle.opacity == 0  # nobody logged in: no notifications shown

    panel.login("olena")
    pump(lambda: unread_shown(panel) == 1)
    pump(lambda: toggle.opacity == 1)
    assert toggle.text == "Сповіщення: 1"
    # A notice written while she works (a task given in the back-office) comes at once.
    site.now[0] += timedelta(minutes=1)
    tell(site, olena, "n2", "Нагадування: задача 000041", "Подзвонити клієнту до 15:00.")
    pump(lambda: unread_shown(panel) == 2)
    pump(lambda: toggle.text == "Сповіщення: 2")

    panel.press(toggle)
    dialog = panel.root.notices
    pump(lambda: dialog.parent is not None and len(dialog.read_buttons) == 2)
    assert dialog.heading.text == "Сповіщення (2 непрочитаних)"
    lines = [line.children[-1].text for line in reversed(dialog.lines.children)]
    assert "Подзвонити клієнту до 15:00." in lines[0]  # the newest first
    assert "«Ґрунт»" in lines[1] and not any("Не для Олени" in line for line in lines)
    picture(panel, "uk")
    panel.model.toggle_lang()
    pump(lambda: dialog.heading.text == "Notifications (2 unread)")
    assert toggle.text == "Notifications: 2" and dialog.read_all.text == "Mark all read"
    picture(panel, "en")

    # Mark read at the panel: the hub records it and pushes the shorter list.
    newest = next(iter(dialog.read_buttons))
    panel.press(dialog.read_buttons[newest])
    pump(lambda: unread_shown(panel) == 1)
    assert read_at(site, "n2") is not None and read_at(site, "n1") is None
    pump(lambda: len(dialog.read_buttons) == 1)
    # Read in the back-office: the panel follows.
    with transaction(site.hub.sessions) as session:
        ids = [row.id for row in inapp.unread(session, user_id=olena)]
        assert inapp.mark_read(session, user_id=olena, ids=ids, now=site.now[0]) == 1
    pump(lambda: unread_shown(panel) == 0)
    pump(lambda: dialog.note.text == "No unread notifications.")
    assert dialog.read_all.disabled
    tell(site, olena, "n3", "День народження: Ігор Шевчук", "Завтра.")
    pump(lambda: unread_shown(panel) == 1)
    panel.press(dialog.read_all)
    pump(lambda: unread_shown(panel) == 0)
    assert read_at(site, "n3") is not None and read_at(site, "p1") is None  # Petro's stays
    panel.press(dialog.close)
    pump(lambda: dialog.parent is None)

    # Log-out clears the panel's retained notices: the last message sent there says so.
    panel.press(panel.root.work.logout)
    pump(lambda: panel.model.operator is None)
    pump(lambda: toggle.opacity == 0)
    topic = topics.panel_notices("main", "panel-1")
    pump(lambda: last_sent(site, topic) is not None)
    assert last_sent(site, topic) == {"v": 1, "enabled": False, "unread": 0, "notices": [],
                                      "at": last_sent(site, topic)["at"]}  # fmt: skip


def last_sent(where: Site, topic: str) -> dict[str, object] | None:
    """The payload of the last message the hub's outbox sent on ``topic`` (None: not yet)."""
    with where.hub.sessions() as session:
        row = session.execute(
            select(OutboxMessage.payload, OutboxMessage.sent_at)
            .where(OutboxMessage.topic == topic)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).first()
    if row is None or row.sent_at is None:
        return None
    payload: dict[str, object] = row.payload
    return payload


# ---- the view-model, without Kivy or a hub --------------------------------------------------


def test_the_notices_view_follows_the_pushed_list_the_link_and_the_operator() -> None:
    wire = Wire()
    model = serving_model(wire, "en")
    assert model.notices_view() is None  # nothing pushed yet
    at = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    notices = [
        PanelNotice(id=n, kind="task_assigned", text=f"Task {n}", created_at=at) for n in (9, 8)
    ]
    model.notices_received(PanelNotices(enabled=True, unread=25, notices=notices, at=at))
    view = model.notices_view()
    assert view is not None and view.alert and not view.open
    assert view.toggle.text == "Notifications: 25" and view.unread == 25
    assert [row.id for row in view.rows] == [9, 8] and view.rows[0].text.endswith("· Task 9")
    model.toggle_notices()
    model.read_notice(9)
    model.read_notice(8)  # one request at a time: the second press is dropped
    assert len(wire.calls) == 1
    sent = wire.calls[0][0]
    assert isinstance(sent, ReadNotices) and sent.ids == [9] and not sent.all
    busy = model.notices_view()
    assert busy is not None and busy.open and not busy.read.enabled and not busy.read_all.enabled
    wire.answer()
    model.read_all_notices()
    assert isinstance(wire.calls[-1][0], ReadNotices) and wire.calls[-1][0].all
    wire.answer()
    # A stale count is not shown while the link is down.
    model.connection_changed(False)
    assert model.notices_view() is None
    model.connection_changed(True)
    # Nobody's notifications: the list closes and the button goes.
    model.notices_received(PanelNotices(enabled=False, at=at))
    assert model.notices_view() is None and not model.notices_open
