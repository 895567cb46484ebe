"""What every appliance app stands on: text catalogues and the non-blocking link to the hub."""

from __future__ import annotations

import queue
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firmware_config.device_config import DeviceConfig
from firmware_config.hublink import HubLink, new_request_id
from firmware_config.i18n import Catalogue, CatalogueError
from hub.protocol import topics
from hub.protocol.messages import IssueTicket, KioskReply, ListServices
from tests.test_coordinator import Site, make_service, site  # noqa: F401 (the fixture)

WAIT = 10.0


def test_catalogue_falls_back_to_ukrainian_then_to_the_key(tmp_path: Path) -> None:
    (tmp_path / "uk.toml").write_text(
        'title = "Оберіть послугу"\n[ticket]\nwait = "Приблизно {minutes} хв"\nonly_uk = "Лише"\n',
        encoding="utf-8",
    )
    (tmp_path / "en.toml").write_text(
        'title = "Choose a service"\n[ticket]\nwait = "About {minutes} min"\n', encoding="utf-8"
    )
    texts = Catalogue(tmp_path)
    assert texts.languages == ["uk", "en"]
    assert texts.text("en", "ticket.wait", minutes=5) == "About 5 min"
    assert texts.text("uk", "ticket.wait", minutes=5) == "Приблизно 5 хв"
    assert texts.text("en", "ticket.only_uk") == "Лише"
    assert texts.text("de", "title") == "Оберіть послугу"
    assert texts.text("en", "no.such") == "no.such"
    assert texts.text("en", "ticket.wait") == "About {minutes} min"  # a missing parameter
    assert texts.missing("en") == ["ticket.only_uk"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"en.toml": 'a = "b"'}, "no uk.toml"),
        ({"uk.toml": "a = "}, "not a valid catalogue"),
        ({"uk.toml": "a = 5"}, "a: a text must be a string"),
    ],
)
def test_a_broken_catalogue_is_named(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=expected):
        Catalogue(tmp_path)


def test_hub_link_requests_without_blocking_and_reports_on_the_ui_thread(
    site: Site,  # noqa: F811
) -> None:
    service = make_service(site, "Паспорти", [])
    ui: queue.Queue[Callable[[], None]] = queue.Queue()
    config = DeviceConfig(
        device_id="kiosk-2",
        role="kiosk",
        site="main",
        name="Кіоск",
        mqtt=site.mqtt_config("kiosk-2"),
    )
    link = HubLink(config, dispatch=ui.put, timeout=WAIT)
    states: list[bool] = []
    results: list[Any] = []
    boards: list[Any] = []

    def pump(until: Callable[[], bool]) -> None:
        """Run what the link handed to the UI thread (here: this test's thread) until ``until``."""
        while not until():
            ui.get(timeout=WAIT)()

    link.start(on_connection=states.append)
    try:
        pump(lambda: bool(states))
        assert states == [True]
        link.subscribe(topics.display_board("main"), boards.append)
        ask = ListServices(request_id=new_request_id())
        link.request(ask, KioskReply, results.append, results.append)
        pump(lambda: len(results) == 1)
        assert results[0].ok and [s.id for s in results[0].services] == [service]
        issue = IssueTicket(request_id=new_request_id(), service_id=service)
        link.request(issue, KioskReply, results.append, results.append)
        pump(lambda: len(results) == 2)
        assert results[1].ticket.number == "001"
        pump(lambda: any(board.waiting.get(service) == 1 for board in boards))
    finally:
        link.close()
