"""Property-based fuzzing of the MQTT contract: every payload model, and every device request
over the real broker to a running hub, which must still answer a healthy device afterwards.

Payloads are drawn from raw bytes, arbitrary JSON, deeply nested arrays, cut-off JSON and, most
usefully, objects shaped like the contract's messages (known types and field names with values of
any type), so the validators, not only the JSON parser, are exercised. Seeded (derandomized), so a
CI run can be repeated; bench/faults.py runs the long version.
"""

from __future__ import annotations

import json
import threading
import typing
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from hub.protocol import messages, topics
from hub.protocol.errors import ProtocolError
from hub.protocol.messages import KioskReply, ListServices, decode, peek, request_id_of
from hub.protocol.topics import TopicKind
from tests.test_broker import Probe
from tests.test_coordinator import (
    WAIT,
    Site,
    ask,
    rid,
    site,  # noqa: F401 (a fixture)
)
from tests.test_mqtt_faults import wait_until


def _models() -> list[type[BaseModel]]:
    found = [getattr(messages, name) for name in messages.__all__]
    return [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)]


TYPES = sorted(
    {
        value
        for model in _models()
        if (field := model.model_fields.get("type")) is not None
        for value in typing.get_args(field.annotation)
    }
)
FIELDS = sorted({name for model in _models() for name in model.model_fields})

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(TYPES)
    | st.uuids().map(str)
    | st.datetimes().map(lambda d: d.isoformat())
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
SHAPED = st.builds(
    lambda base, more: {**more, **base},
    st.fixed_dictionaries(
        {
            "v": st.sampled_from([1, 1, 1, 2, "1", None, 1.0]),
            "type": st.sampled_from(TYPES) | st.text(max_size=12),
            "request_id": st.uuids().map(str) | st.text(max_size=40),
        }
    ),
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6),
)
REQUEST = str(uuid.UUID(int=1)).encode()


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


PAYLOADS = st.one_of(
    st.binary(max_size=200),
    JSON.map(_dump),
    SHAPED.map(_dump),
    SHAPED.map(_dump).flatmap(lambda b: st.integers(0, len(b)).map(lambda n: b[:n])),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 3000).map(lambda n: b'{"v":1,"request_id":"%s","a":' % REQUEST + b"[" * n),
)


@settings(max_examples=600, derandomize=True, deadline=None)
@given(kind=st.sampled_from([str(k) for k in TopicKind]), payload=PAYLOADS)
def test_every_payload_model_refuses_garbage_with_a_protocol_error(
    kind: str, payload: bytes
) -> None:
    try:
        decoded = decode(kind, payload)
    except ProtocolError as exc:
        assert exc.code in ("bad_json", "unknown_field", "wrong_version", "invalid", "bad_topic")
    else:
        assert isinstance(decoded, messages.Message)
    # The best-effort looks the hub takes in its network thread never raise either.
    peek(payload)
    request_id_of(payload)


# The hub's topics, each sent by a device allowed to publish it.
SENDERS: dict[TopicKind, tuple[str, Callable[[str, str], str]]] = {
    TopicKind.KIOSK_REQ: ("kiosk-2", topics.kiosk_req),
    TopicKind.PANEL_REQ: ("panel-2", topics.panel_req),
    TopicKind.PRINTER_RESULT: ("printer-1", topics.printer_result),
    TopicKind.PHONE_CALL: ("phone-9", topics.phone_call),
    TopicKind.PHONE_RECORDING: ("phone-9", topics.phone_recording),
    TopicKind.DEVICE_STATE: ("display-1", topics.device_state),
}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_fuzzed_device_messages_over_the_broker_leave_the_hub_serving(
    site: Site,  # noqa: F811
    probes: list[Probe],
) -> None:

    site.add("phone", "phone-9")
    senders: dict[str, Probe] = {}
    for device, _build in SENDERS.values():
        if device not in senders:
            senders[device] = wait_until(f"{device} to connect", lambda d=device: _try(site, d))
    probes += senders.values()
    died: list[threading.ExceptHookArgs] = []
    previous, threading.excepthook = threading.excepthook, died.append
    sent: list[int] = []

    @settings(
        max_examples=250,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(kind=st.sampled_from(list(SENDERS)), payload=PAYLOADS)
    def publish(kind: TopicKind, payload: bytes) -> None:
        device, build = SENDERS[kind]
        assert senders[device].publish(build("main", device), payload) == "Success"
        sent.append(1)

    try:
        publish()
        # A healthy kiosk is served, after everything above (one worker on SQLite, in order).
        kiosk = site.device("kiosk-1", "kiosk")
        assert ask(kiosk, ListServices(request_id=rid()), KioskReply).ok
        health = site.coordinator.health()
        assert health["ok"] and health["network_thread"] == "alive"
    finally:
        threading.excepthook = previous
    assert died == [] and len(sent) >= 250


def _try(site: Site, device: str) -> Probe | None:  # noqa: F811
    """The device's raw login once the broker has reloaded its password file, else None."""
    from tests.test_broker import connect

    probe = connect(site.broker.broker, device, site.passwords[device], tls=site.tls(device))
    if probe.connects.get(timeout=WAIT) == "Success":
        return probe
    probe.close()
    return None
