"""The request worker's line: calls to the display first, a device's requests never reordered."""

from __future__ import annotations

import json
import threading

from hub.coordinator.lanes import Lanes, is_urgent


def _drain(lanes: Lanes[str]) -> list[str]:
    return [lanes.get() for _ in range(len(lanes))]


def test_an_urgent_request_overtakes_other_devices_requests() -> None:
    lanes: Lanes[str] = Lanes()
    lanes.put("kiosk-1 ticket", device="kiosk-1")
    lanes.put("panel-2 done", device="panel-2")
    lanes.put("panel-1 free", device="panel-1", urgent=True)
    lanes.put("kiosk-1 ticket again", device="kiosk-1")
    lanes.put("panel-3 recall", device="panel-3", urgent=True)
    assert _drain(lanes) == [
        "panel-1 free",
        "panel-3 recall",
        "kiosk-1 ticket",
        "panel-2 done",
        "kiosk-1 ticket again",
    ]


def test_a_device_with_a_request_waiting_keeps_its_order() -> None:
    lanes: Lanes[str] = Lanes()
    lanes.put("kiosk-1 ticket", device="kiosk-1")
    lanes.put("panel-1 done", device="panel-1")
    # panel-1's Free must not be served before its own Done: it waits in line behind it.
    lanes.put("panel-1 free", device="panel-1", urgent=True)
    lanes.put("panel-2 free", device="panel-2", urgent=True)
    assert _drain(lanes) == ["panel-2 free", "kiosk-1 ticket", "panel-1 done", "panel-1 free"]
    # Once its Done was taken, the panel's next Free may go first again.
    lanes.put("kiosk-1 ticket", device="kiosk-1")
    lanes.put("panel-1 free", device="panel-1", urgent=True)
    assert _drain(lanes) == ["panel-1 free", "kiosk-1 ticket"]


def test_get_waits_for_an_item() -> None:
    lanes: Lanes[str | None] = Lanes()
    got: list[str | None] = []
    worker = threading.Thread(target=lambda: got.append(lanes.get()))
    worker.start()
    worker.join(0.2)
    assert worker.is_alive() and got == []
    lanes.put(None)
    worker.join(5)
    assert not worker.is_alive() and got == [None]


def test_which_panel_requests_are_urgent() -> None:
    def body(kind: str) -> bytes:
        return json.dumps({"v": 1, "type": kind, "request_id": "x"}).encode()

    assert is_urgent(body("set_status")) and is_urgent(body("recall"))
    assert is_urgent(body("call_ticket"))
    assert not is_urgent(body("finish")) and not is_urgent(body("login"))
    assert not is_urgent(b"not json") and not is_urgent(b"[1, 2]") and not is_urgent(b"")
