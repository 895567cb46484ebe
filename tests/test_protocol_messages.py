"""The MQTT contract without a broker: payload round trips and rejections, topic builders and
parser, ACL rules per role, and the package's independence from the rest of the hub."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from hub.protocol import topics
from hub.protocol.errors import ProtocolError
from hub.protocol.lines import (
    LineCallback,
    LineConnected,
    LineJob,
    LineJoin,
    LineLeft,
    LinePlace,
    LineReply,
    LineTicket,
)
from hub.protocol.messages import (
    MAX_PAYLOAD,
    AssignedTicket,
    BoardCall,
    CallTicket,
    CardEvent,
    CardTask,
    CheckIn,
    ClientCard,
    ClientInfo,
    DeviceState,
    DisplayAnnounce,
    DisplayBoard,
    ErrorInfo,
    Fault,
    Finish,
    IssueTicket,
    KioskReply,
    ListServices,
    Login,
    Logout,
    Message,
    NoShow,
    OperatorInfo,
    OperatorPresence,
    PanelAssignment,
    PanelNotice,
    PanelNotices,
    PanelOperators,
    PanelReply,
    PhoneCall,
    PhoneCmd,
    PhoneRecording,
    PrinterJob,
    PrinterResult,
    PrintTicket,
    ReadNotices,
    Recall,
    ServiceInfo,
    SetStatus,
    TicketInfo,
    Transfer,
    decode,
    decode_as,
    encode,
)
from hub.protocol.topics import TopicKind as K

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
CLIENT = ClientInfo(name="Олена Ґудзь", phone="+380 (44) 123-45-67", companies=2)
TICKET = TicketInfo(id=7, number="A-042", service_id=3, position=2, estimated_wait_s=300)
ASSIGNMENT = PanelAssignment(
    ticket=AssignedTicket(id=7, number="A-042", service_id=3, client=CLIENT, booked_at=NOW),
    task_id=11,
    window="4",
    reason="booked for 09:30, service Passports",
)


def rid() -> Any:
    return uuid4()


SAMPLES: list[tuple[K, Message]] = [
    (K.KIOSK_REQ, ListServices(request_id=rid(), lang="en")),
    (K.KIOSK_REQ, IssueTicket(request_id=rid(), service_id=3, client=CLIENT)),
    (K.KIOSK_REQ, CheckIn(request_id=rid(), booking_code="BK-1234")),
    (
        K.KIOSK_REPLY,
        KioskReply(
            request_id=rid(),
            ok=True,
            services=[ServiceInfo(id=3, name="Паспорти", waiting=4, estimated_wait_s=600)],
        ),
    ),
    (K.KIOSK_REPLY, KioskReply(request_id=rid(), ok=True, ticket=TICKET)),
    (K.KIOSK_REPLY, KioskReply.failure(rid(), "service_closed", "Послуга зараз не працює")),
    (K.PANEL_REQ, Login(request_id=rid(), username="olena", password="correct horse")),
    (K.PANEL_REQ, Login(request_id=rid(), username="olena", pin="4321")),
    (K.PANEL_REQ, Logout(request_id=rid())),
    (K.PANEL_REQ, SetStatus(request_id=rid(), status="free")),
    (K.PANEL_REQ, Finish(request_id=rid(), ticket_id=7, note="готово")),
    (K.PANEL_REQ, NoShow(request_id=rid(), ticket_id=7)),
    (K.PANEL_REQ, Recall(request_id=rid(), ticket_id=7)),
    (K.PANEL_REQ, Transfer(request_id=rid(), ticket_id=7, target_service_id=5, to_front=True)),
    (K.PANEL_REQ, CallTicket(request_id=rid(), ticket_id=7)),
    (K.PANEL_REQ, ReadNotices(request_id=rid(), ids=[3, 4])),
    (K.PANEL_REQ, ReadNotices(request_id=rid(), all=True)),
    (
        K.PANEL_REPLY,
        PanelReply(
            request_id=rid(),
            ok=True,
            operator=OperatorInfo(username="olena", name="Олена", status="busy"),
            assignment=ASSIGNMENT,
        ),
    ),
    (K.PANEL_ASSIGNMENT, ASSIGNMENT),
    (K.PANEL_ASSIGNMENT, PanelAssignment(window="4")),
    (
        K.PANEL_ASSIGNMENT,
        PanelAssignment(
            ticket=AssignedTicket(
                id=7,
                number="A-042",
                service_id=3,
                card=ClientCard(
                    client_id=5,
                    name="ТОВ «Зелений Гай»",
                    contact="Ігор Шевчук",
                    contact_phone="+380501234567",
                    events=[CardEvent(at=NOW, type="Вхідний дзвінок", subject="Ліцензія")],
                    tasks=[CardTask(id=9, due=NOW, title="Договір", state="Призначена")],
                ),
            ),
            window="4",
        ),
    ),
    (
        K.PANEL_OPERATORS,
        PanelOperators(
            enabled=True,
            operators=[
                OperatorPresence(
                    username="petro",
                    name="Петро Іваненко",
                    status="busy",
                    status_name="Зайнятий",
                    window="2",
                    ticket="A-041",
                )
            ],
            total=1,
            at=NOW,
        ),
    ),
    (K.PANEL_OPERATORS, PanelOperators(enabled=False)),
    (
        K.PANEL_NOTICES,
        PanelNotices(
            enabled=True,
            unread=3,
            notices=[
                PanelNotice(
                    id=12, kind="task_assigned", text="Нова задача 000042. Ґрунт", created_at=NOW
                )
            ],
            at=NOW,
        ),
    ),
    (K.PANEL_NOTICES, PanelNotices(enabled=False)),
    (
        K.DISPLAY_BOARD,
        DisplayBoard(
            calls=[BoardCall(number="A-042", window="4", service_id=3, called_at=NOW)],
            waiting={3: 4, 5: 0},
            at=NOW,
            tz="Europe/Kyiv",
        ),
    ),
    (K.DISPLAY_ANNOUNCE, DisplayAnnounce(number="A-042", window="4", recall=True, lang=["uk"])),
    (
        K.PRINTER_JOB,
        PrinterJob(
            job_id=uuid4(),
            ticket=PrintTicket(
                id=7,
                number="A-042",
                service_id=3,
                service_name="Паспорти",
                issued_at=NOW,
                tz="Europe/Kyiv",
            ),
            copies=2,
        ),
    ),
    (K.PRINTER_RESULT, PrinterResult(job_id=uuid4(), ok=True)),
    (
        K.PRINTER_RESULT,
        PrinterResult(
            job_id=uuid4(), ok=False, error=ErrorInfo(code="paper_out", message="Немає паперу")
        ),
    ),
    (
        K.PHONE_CALL,
        PhoneCall(
            call_id="c-1",
            line="100",
            direction="in",
            remote="+380441234567",
            state="ringing",
            at=NOW,
        ),
    ),
    (K.PHONE_CMD, PhoneCmd(type="transfer", call_id="c-1", target="101")),
    (K.PHONE_CMD, PhoneCmd(type="dial", target="+380441234567")),
    (K.PHONE_CMD, PhoneCmd(type="dtmf", call_id="c-1", digits="12#")),
    (
        K.PHONE_RECORDING,
        PhoneRecording(
            call_id="c-1",
            name="20261129T101500-l1-0501234567.wav",
            sha256="a" * 64,
            data="UklGRg==",
        ),
    ),
    (
        K.DEVICE_STATE,
        DeviceState(
            state="online",
            role="printer",
            version="0.1.0",
            faults=[Fault(code="paper_low", message="Мало паперу")],
            at=NOW,
        ),
    ),
    (K.DEVICE_STATE, DeviceState(state="offline")),
    (
        K.LINE_REQ,
        LineJoin(request_id=rid(), call_id="c-1", service_id=3, remote="sip:0501234567@pbx"),
    ),
    (K.LINE_REQ, LinePlace(request_id=rid(), call_id="c-1")),
    (K.LINE_REQ, LineLeft(request_id=rid(), call_id="c-1")),
    (K.LINE_REQ, LineCallback(request_id=rid(), call_id="c-1")),
    (K.LINE_REQ, LineConnected(request_id=rid(), call_id="c-1", ok=False, reason="no_answer")),
    (
        K.LINE_REPLY,
        LineReply(
            request_id=rid(),
            ok=True,
            ticket=LineTicket(
                id=7,
                number="A-007",
                service_id=3,
                state="waiting",
                position=2,
                estimated_wait_s=300,
            ),
        ),
    ),
    (
        K.LINE_JOB,
        LineJob(
            job_id=7,
            call_id="c-1",
            ticket_id=7,
            number="A-007",
            target="1001",
            operator="Ґудзь Олена",
            window="3",
            at=NOW,
            remote="0501234567",
        ),
    ),
]


@pytest.mark.parametrize(("kind", "model"), SAMPLES, ids=lambda x: type(x).__name__)
def test_every_message_round_trips(kind: K, model: Message) -> None:
    payload = encode(model)
    assert decode(kind, payload) == model
    assert decode_as(type(model), payload) == model
    text = payload.decode("utf-8")
    assert json.loads(text)["v"] == 1
    compact = json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    assert text == compact


def test_every_topic_kind_has_a_sample_and_unicode_is_raw_utf8() -> None:
    assert {kind for kind, _ in SAMPLES} == set(K)
    assert "Ґудзь".encode() in encode(SAMPLES[1][1])


def code_of(kind: K, payload: bytes) -> str:
    with pytest.raises(ProtocolError) as err:
        decode(kind, payload)
    assert str(err.value)  # a message for a person
    return err.value.code


def issue(**fields: Any) -> bytes:
    body = {"v": 1, "type": "issue_ticket", "request_id": str(uuid4()), "service_id": 3}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()


def test_rejections_have_the_right_codes() -> None:
    assert code_of(K.KIOSK_REQ, b"{not json") == "bad_json"
    assert code_of(K.KIOSK_REQ, b"\xff\xfe") == "bad_json"
    assert code_of(K.KIOSK_REQ, issue(extra=1)) == "unknown_field"
    assert code_of(K.KIOSK_REQ, issue(client={"name": "x", "age": 3})) == "unknown_field"
    assert code_of(K.KIOSK_REQ, issue(v=2)) == "wrong_version"
    assert code_of(K.KIOSK_REQ, issue(v=2, extra=1)) == "wrong_version"
    assert code_of(K.DISPLAY_BOARD, b'{"v":0,"calls":[]}') == "wrong_version"
    assert code_of(K.KIOSK_REQ, issue(v=...)) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(request_id=...)) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(request_id="not-a-uuid")) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(type="teleport")) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(service_id="3")) == "invalid"  # strict: no coercion
    assert code_of(K.KIOSK_REQ, issue(service_id=0)) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(lang="de")) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(client={"name": "я" * 201})) == "invalid"
    assert code_of(K.KIOSK_REQ, issue(client={"phone": "call me"})) == "invalid"
    assert code_of(K.KIOSK_REQ, b"[1, 2]") == "invalid"
    assert code_of(K.KIOSK_REQ, b" " * (MAX_PAYLOAD + 1)) == "invalid"
    assert code_of(K.PANEL_REQ, issue()) == "invalid"  # a kiosk request on a panel topic


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (K.KIOSK_REPLY, {"request_id": "R", "ok": False}),
        (K.KIOSK_REPLY, {"request_id": "R", "ok": True, "error": {"code": "x", "message": "y"}}),
        (K.KIOSK_REPLY, {"request_id": "R", "ok": True, "services": [{"id": 1, "name": "a",
                                                                       "waiting": -1}]}),
        (K.PANEL_REQ, {"type": "login", "request_id": "R", "username": "a"}),
        (K.PANEL_REQ, {"type": "login", "request_id": "R", "username": "a", "password": "p",
                       "pin": "1234"}),
        (K.PANEL_REQ, {"type": "transfer", "request_id": "R", "ticket_id": 1}),
        (K.PANEL_REQ, {"type": "finish", "request_id": "R", "ticket_id": 1, "note": "n" * 2001}),
        (K.PANEL_REQ, {"type": "set_status", "request_id": "R", "status": "Free!"}),
        (K.PANEL_REQ, {"type": "read_notices", "request_id": "R"}),  # neither ids nor all
        (K.PANEL_REQ, {"type": "read_notices", "request_id": "R", "ids": [0]}),
        (K.PANEL_REQ, {"type": "read_notices", "request_id": "R", "ids": list(range(1, 102))}),
        (K.PANEL_NOTICES, {"enabled": True, "unread": -1}),
        (K.PANEL_NOTICES, {"enabled": True, "notices": [{"id": 1, "kind": "task",
                           "text": "", "created_at": "2026-11-28T09:30:00Z"}]}),
        (K.PANEL_NOTICES, {"enabled": True, "notices": [{"id": 1, "kind": "task",
                           "text": "t", "created_at": "2026-11-28T09:30:00"}]}),  # naive time
        (K.DISPLAY_ANNOUNCE, {"number": "A-1", "window": "1", "lang": ["uk", "uk"]}),
        (K.DISPLAY_ANNOUNCE, {"number": "A-1", "window": "1", "lang": []}),
        (K.DISPLAY_BOARD, {"calls": [{"number": "A-1", "window": "1", "service_id": 1,
                                      "called_at": "2026-11-28T09:30:00"}]}),  # naive time
        (K.PRINTER_JOB, {"job_id": "R", "copies": 9, "ticket": {"id": 1, "number": "A",
         "service_id": 1, "service_name": "s", "issued_at": "2026-11-28T09:30:00Z"}}),
        (K.PRINTER_RESULT, {"job_id": "R", "ok": False}),
        (K.PHONE_CALL, {"call_id": "c", "line": "1", "direction": "sideways", "remote": "",
                        "state": "ringing", "at": "2026-11-28T09:30:00Z"}),
        (K.PHONE_CMD, {"type": "dtmf", "call_id": "c"}),
        (K.PHONE_CMD, {"type": "answer"}),
        (K.PHONE_CMD, {"type": "dial"}),
        (K.DEVICE_STATE, {"state": "sleeping"}),
        (K.DEVICE_STATE, {"state": "online", "role": "toaster"}),
    ],
)  # fmt: skip
def test_rule_breaking_payloads_are_invalid(kind: K, body: dict[str, Any]) -> None:
    full = {"v": 1, **{k: (str(uuid4()) if v == "R" else v) for k, v in body.items()}}
    assert code_of(kind, json.dumps(full).encode()) == "invalid"


def test_secrets_stay_out_of_repr() -> None:
    login = Login(request_id=uuid4(), username="olena", password="correct horse")
    assert "correct horse" not in repr(login) and "correct horse" not in str(login)
    assert "4321" not in repr(Login(request_id=uuid4(), username="o", pin="4321"))


def test_decode_unknown_kind() -> None:
    with pytest.raises(ProtocolError) as err:
        decode("kiosk_sideways", b"{}")
    assert err.value.code == "bad_topic"


# ---- topics ------------------------------------------------------------------------------


def test_builders_match_the_design_table() -> None:
    assert topics.PREFIX == "cherga/v1"
    assert topics.device_state("hq", "k1") == "cherga/v1/hq/devices/k1/state"
    assert topics.kiosk_req("hq", "k1") == "cherga/v1/hq/kiosk/k1/req"
    assert topics.kiosk_reply("hq", "k1") == "cherga/v1/hq/kiosk/k1/reply"
    assert topics.printer_job("hq", "p1") == "cherga/v1/hq/printer/p1/job"
    assert topics.printer_result("hq", "p1") == "cherga/v1/hq/printer/p1/result"
    assert topics.panel_req("hq", "w1") == "cherga/v1/hq/panel/w1/req"
    assert topics.panel_reply("hq", "w1") == "cherga/v1/hq/panel/w1/reply"
    assert topics.panel_assignment("hq", "w1") == "cherga/v1/hq/panel/w1/assignment"
    assert topics.panel_notices("hq", "w1") == "cherga/v1/hq/panel/w1/notices"
    assert topics.display_board("hq") == "cherga/v1/hq/display/board"
    assert topics.display_announce("hq") == "cherga/v1/hq/display/announce"
    assert topics.phone_call("hq", "f1") == "cherga/v1/hq/phone/f1/call"
    assert topics.phone_cmd("hq", "f1") == "cherga/v1/hq/phone/f1/cmd"


@pytest.mark.parametrize("kind", list(K))
def test_parse_inverts_build(kind: K) -> None:
    device = None if kind in (K.DISPLAY_BOARD, K.DISPLAY_ANNOUNCE) else "dev_1-a"
    topic = topics.build(kind, "site-2", device)
    assert topics.parse(topic) == topics.Topic("site-2", kind, device)
    assert str(topics.parse(topic)) == topic


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "cherga/v2/hq/kiosk/k1/req",
        "cherga/v1/hq/kiosk/k1/request",
        "cherga/v1/hq/kiosk/k1/req/extra",
        "cherga/v1/hq/kiosk/+/req",
        "cherga/v1/hq/kiosk/#",
        "cherga/v1/+/display/board",
        "cherga/v1/hq/display/k1/board",
        "cherga/v1/hq/kiosk/K1/req",
        "cherga/v1/hq/kiosk//req",
        "cherga/v1/hq/printer/p1/req",
        "/cherga/v1/hq/kiosk/k1/req",
    ],
)
def test_parse_rejects_foreign_topics(topic: str) -> None:
    with pytest.raises(ProtocolError) as err:
        topics.parse(topic)
    assert err.value.code == "bad_topic"


@pytest.mark.parametrize("bad", ["", "a/b", "+", "#", "k#1", "K1", "-k", "_k", "k" * 65, "к1"])
def test_unsafe_ids_are_rejected(bad: str) -> None:
    assert not topics.is_safe_id(bad)
    with pytest.raises(ProtocolError) as err:
        topics.kiosk_req("hq", bad)
    assert err.value.code == "bad_id"
    with pytest.raises(ProtocolError):
        topics.display_board(bad)
    with pytest.raises(ProtocolError):
        topics.acl_rules("hq", "kiosk", bad)


def test_longest_safe_id_is_accepted() -> None:
    assert topics.parse(topics.kiosk_req("0", "k" * 64)).device == "k" * 64


# ---- ACL ---------------------------------------------------------------------------------


def rules(role: str, device: str = "d1", **kw: Any) -> set[tuple[str, str]]:
    return set(topics.acl_rules("hq", role, device, **kw))


def test_acl_rules_per_role() -> None:
    p = "cherga/v1/hq"
    assert rules("kiosk") == {
        ("write", f"{p}/devices/d1/state"),
        ("write", f"{p}/kiosk/d1/req"),
        ("read", f"{p}/kiosk/d1/reply"),
        ("read", f"{p}/display/#"),
    }
    assert rules("panel") == {
        ("write", f"{p}/devices/d1/state"),
        ("write", f"{p}/panel/d1/req"),
        ("read", f"{p}/panel/d1/reply"),
        ("read", f"{p}/panel/d1/assignment"),
        ("read", f"{p}/panel/d1/operators"),
        ("read", f"{p}/panel/d1/notices"),
        ("read", f"{p}/display/#"),
    }
    assert rules("display") == {("write", f"{p}/devices/d1/state"), ("read", f"{p}/display/#")}
    assert rules("printer") == {
        ("write", f"{p}/devices/d1/state"),
        ("write", f"{p}/printer/d1/result"),
        ("read", f"{p}/printer/d1/job"),
        ("read", f"{p}/display/#"),
    }
    assert rules("phone") == {
        ("write", f"{p}/devices/d1/state"),
        ("write", f"{p}/phone/d1/call"),
        ("write", f"{p}/phone/d1/recording"),
        ("read", f"{p}/phone/d1/cmd"),
        ("read", f"{p}/display/#"),
    }
    assert ("write", f"{p}/phone/f9/cmd") in rules("panel", phone_device="f9")
    assert rules("line") == {
        ("write", f"{p}/devices/d1/state"),
        ("write", f"{p}/line/d1/req"),
        ("read", f"{p}/line/d1/reply"),
        ("read", f"{p}/line/d1/job"),
        ("read", f"{p}/display/#"),
    }


def test_acl_never_lets_a_device_write_hub_topics_or_touch_others() -> None:
    hub_only = {
        K.KIOSK_REPLY,
        K.PANEL_REPLY,
        K.PANEL_ASSIGNMENT,
        K.PANEL_OPERATORS,
        K.PRINTER_JOB,
        K.PHONE_CMD,
        K.LINE_REPLY,
        K.LINE_JOB,
    }
    for role in topics.Role:
        for access, topic in topics.acl_rules("hq", role, "d1"):
            assert "+" not in topic
            if topic.endswith("/#"):
                assert (access, topic) == ("read", "cherga/v1/hq/display/#")
                continue
            parsed = topics.parse(topic)
            assert parsed.site == "hq" and parsed.device == "d1"
            if access == "write":
                assert parsed.kind not in hub_only
    with pytest.raises(ProtocolError):
        topics.acl_rules("hq", "toaster", "d1")
    with pytest.raises(ProtocolError):
        topics.acl_rules("hq", "kiosk", "d1", phone_device="f1")
    assert topics.HUB_RULES == [("read", "cherga/v1/#"), ("write", "cherga/v1/#")]


def test_protocol_imports_nothing_else_from_hub() -> None:
    code = (
        "import sys, hub.protocol, hub.protocol.client, hub.protocol.messages;"
        "print(' '.join(m for m in sys.modules if m == 'hub' or m.startswith('hub.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "hub.protocol.client" in out
    assert [m for m in out if m != "hub" and not m.startswith("hub.protocol")] == []
