"""The panel's Done with time spent and percent done, and the link to the task's card
(issue 17, item 6): real widgets offscreen, the real hub, Mosquitto and database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from hub.db.models import Task, TaskExecutor, TaskStatus
from operator_panel.screenshots import take
from tests.test_coordinator import Site, make_service, site  # noqa: F401
from tests.test_panel_app import Panel, issue, panels, pump, ticket_row  # noqa: F401


def _task(where: Site, task_id: int) -> tuple[str, int, int, int]:
    """(status, percent, minutes of the task, minutes of its executor)."""
    with where.hub.sessions() as session:
        task = session.get(Task, task_id)
        assert task is not None
        row = session.scalars(select(TaskExecutor).where(TaskExecutor.task_id == task_id)).one()
        status = session.get(TaskStatus, task.status_id)
        assert status is not None
        return status.code, task.percent_done, task.time_spent_minutes, row.time_spent_minutes


def test_the_panel_shows_the_fields_and_the_link_and_finishes_partly_then_fully(
    site: Site,  # noqa: F811
    panels: Callable[..., Panel],  # noqa: F811
) -> None:
    service = make_service(site, "Паспорти", ["olena"])
    kiosk = site.device("kiosk-2", "kiosk")
    first, second = issue(kiosk, service, "Ігор"), issue(kiosk, service)
    panel = panels("panel-1")
    panel.login("olena")
    panel.free()
    pump(lambda: panel.shown_number == "001")
    work = panel.root.work
    assignment = panel.model.assignment
    assert assignment is not None and assignment.task_url is not None
    # The task's number among the details, its card's address as text and as a QR code.
    assert f"Задача {assignment.task_number}" in work.details.text
    pump(lambda: assignment.task_url in work.task_link.text)
    assert work.task_qr.data == assignment.task_url and work.task_qr.width > 0
    # Prefilled: the minutes since the call (none yet) and 100 %; both editable.
    assert (work.minutes.text, work.percent.text) == ("0", "100")
    assert (work.minutes_label.text, work.percent_label.text) == ("Витрачено, хв", "Виконано, %")

    # A wrong value is refused on the panel: nothing is sent.
    work.percent.text = "150"
    panel.action("done")
    assert panel.root.notice.text == "Відсоток виконання: ціле число від 0 до 100."
    assert not panel.model.busy and ticket_row(site, first).state == "called"

    work.minutes.text, work.percent.text = "20", "40"
    panel.action("done")
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is None)
    pump(panel.settled)
    assert panel.root.notice.text == "Відвідувача 001 обслуговано; задача лишається відкритою."
    row = ticket_row(site, first)
    assert row.state == "done" and row.task_id is not None
    assert _task(site, row.task_id) == ("assigned", 40, 20, 20)
    # Nothing in hand: the fields are cleared and off, the link is gone.
    assert work.minutes.text == "" and work.minutes.disabled
    assert work.task_link.parent is None and work.task_qr.width == 0

    panel.free()
    pump(lambda: panel.shown_number == "002")
    assert (work.minutes.text, work.percent.text) == ("0", "100")
    work.minutes.text = "30"
    panel.action("done")
    pump(lambda: panel.model.assignment is not None and panel.model.assignment.ticket is None)
    pump(panel.settled)
    row = ticket_row(site, second)
    assert row.task_id is not None and _task(site, row.task_id) == ("done", 100, 30, 30)


def test_serving_screenshots_show_the_work_fields_and_the_link(tmp_path: Path) -> None:
    written = take(tmp_path, ["uk", "en"], only="serving")
    names = {path.name for path in written}
    assert {"panel-serving-uk.png", "panel-serving-portrait-en.png"} <= names
    assert all(path.stat().st_size > 10_000 for path in written)
