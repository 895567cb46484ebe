"""Topic names of the MQTT contract (v1): built and parsed here and nowhere else.

Every topic is ``cherga/v1/{site}/...``; site and device ids are restricted to a safe alphabet
so that no id can smuggle a ``/``, ``+`` or ``#`` into a topic or an ACL line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from hub.protocol.errors import ProtocolError

PREFIX = "cherga/v1"

_SAFE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)

Access = Literal["read", "write"]
AclRule = tuple[Access, str]


class Role(StrEnum):
    """The roles a device can have; each role owns a fixed set of topics."""

    KIOSK = "kiosk"
    PANEL = "panel"
    DISPLAY = "display"
    PRINTER = "printer"
    PHONE = "phone"
    LINE = "line"


class TopicKind(StrEnum):
    """Every topic of the contract, named as in the builder functions."""

    DEVICE_STATE = "device_state"
    KIOSK_REQ = "kiosk_req"
    KIOSK_REPLY = "kiosk_reply"
    PRINTER_JOB = "printer_job"
    PRINTER_RESULT = "printer_result"
    PANEL_REQ = "panel_req"
    PANEL_REPLY = "panel_reply"
    PANEL_ASSIGNMENT = "panel_assignment"
    PANEL_OPERATORS = "panel_operators"
    PANEL_NOTICES = "panel_notices"
    DISPLAY_BOARD = "display_board"
    DISPLAY_ANNOUNCE = "display_announce"
    PHONE_CALL = "phone_call"
    PHONE_CMD = "phone_cmd"
    PHONE_RECORDING = "phone_recording"
    LINE_REQ = "line_req"
    LINE_REPLY = "line_reply"
    LINE_JOB = "line_job"


# (first segment after the site, last segment) -> kind, for the per-device topics.
_DEVICE_TOPICS: dict[tuple[str, str], TopicKind] = {
    ("devices", "state"): TopicKind.DEVICE_STATE,
    ("kiosk", "req"): TopicKind.KIOSK_REQ,
    ("kiosk", "reply"): TopicKind.KIOSK_REPLY,
    ("printer", "job"): TopicKind.PRINTER_JOB,
    ("printer", "result"): TopicKind.PRINTER_RESULT,
    ("panel", "req"): TopicKind.PANEL_REQ,
    ("panel", "reply"): TopicKind.PANEL_REPLY,
    ("panel", "assignment"): TopicKind.PANEL_ASSIGNMENT,
    ("panel", "operators"): TopicKind.PANEL_OPERATORS,
    ("panel", "notices"): TopicKind.PANEL_NOTICES,
    ("phone", "call"): TopicKind.PHONE_CALL,
    ("phone", "cmd"): TopicKind.PHONE_CMD,
    ("phone", "recording"): TopicKind.PHONE_RECORDING,
    ("line", "req"): TopicKind.LINE_REQ,
    ("line", "reply"): TopicKind.LINE_REPLY,
    ("line", "job"): TopicKind.LINE_JOB,
}
_SEGMENTS: dict[TopicKind, tuple[str, str]] = {kind: seg for seg, kind in _DEVICE_TOPICS.items()}
_SITE_TOPICS: dict[str, TopicKind] = {
    "board": TopicKind.DISPLAY_BOARD,
    "announce": TopicKind.DISPLAY_ANNOUNCE,
}

# Retained topics: the broker keeps the last message so a (re)connecting device resynchronises.
RETAINED: frozenset[TopicKind] = frozenset(
    {
        TopicKind.DEVICE_STATE,
        TopicKind.PANEL_ASSIGNMENT,
        TopicKind.PANEL_OPERATORS,
        TopicKind.PANEL_NOTICES,
        TopicKind.DISPLAY_BOARD,
    }
)


def is_safe_id(value: str) -> bool:
    """True when ``value`` may be used as a site or device id."""
    return isinstance(value, str) and _SAFE_ID.fullmatch(value) is not None


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a safe id, else raise ProtocolError('bad_id')."""
    if not is_safe_id(value):
        raise ProtocolError(
            "bad_id",
            f"{what} {value!r} is not allowed: use 1-64 of a-z, 0-9, '_' or '-', "
            "starting with a letter or digit",
        )
    return value


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic: its site, kind and (for per-device topics) device id."""

    site: str
    kind: TopicKind
    device: str | None = None

    def __str__(self) -> str:
        return build(self.kind, self.site, self.device)


def build(kind: TopicKind, site: str, device: str | None = None) -> str:
    """Build the topic of ``kind``; display topics take no device, all others need one."""
    check_id(site, "site")
    if kind in (TopicKind.DISPLAY_BOARD, TopicKind.DISPLAY_ANNOUNCE):
        if device is not None:
            raise ProtocolError("bad_topic", f"{kind} has no device")
        leaf = "board" if kind is TopicKind.DISPLAY_BOARD else "announce"
        return f"{PREFIX}/{site}/display/{leaf}"
    if device is None:
        raise ProtocolError("bad_topic", f"{kind} needs a device id")
    check_id(device, "device")
    first, last = _SEGMENTS[kind]
    return f"{PREFIX}/{site}/{first}/{device}/{last}"


def device_state(site: str, device: str) -> str:
    """Retained online/offline state of a device."""
    return build(TopicKind.DEVICE_STATE, site, device)


def kiosk_req(site: str, device: str) -> str:
    """Requests from a kiosk to the hub."""
    return build(TopicKind.KIOSK_REQ, site, device)


def kiosk_reply(site: str, device: str) -> str:
    """Replies from the hub to a kiosk."""
    return build(TopicKind.KIOSK_REPLY, site, device)


def printer_job(site: str, device: str) -> str:
    """Print jobs from the hub to a printer agent."""
    return build(TopicKind.PRINTER_JOB, site, device)


def printer_result(site: str, device: str) -> str:
    """Job results from a printer agent to the hub."""
    return build(TopicKind.PRINTER_RESULT, site, device)


def panel_req(site: str, device: str) -> str:
    """Requests from an operator panel to the hub."""
    return build(TopicKind.PANEL_REQ, site, device)


def panel_reply(site: str, device: str) -> str:
    """Replies from the hub to an operator panel."""
    return build(TopicKind.PANEL_REPLY, site, device)


def panel_assignment(site: str, device: str) -> str:
    """Retained: what the panel's operator is serving now."""
    return build(TopicKind.PANEL_ASSIGNMENT, site, device)


def panel_operators(site: str, device: str) -> str:
    """Retained: the other operators' statuses, for a panel whose operator may view them."""
    return build(TopicKind.PANEL_OPERATORS, site, device)


def panel_notices(site: str, device: str) -> str:
    """Retained: the unread in-system notifications of the operator logged in at the panel."""
    return build(TopicKind.PANEL_NOTICES, site, device)


def display_board(site: str) -> str:
    """Retained: the whole board of a site."""
    return build(TopicKind.DISPLAY_BOARD, site)


def display_announce(site: str) -> str:
    """One call to show and announce now."""
    return build(TopicKind.DISPLAY_ANNOUNCE, site)


def phone_call(site: str, device: str) -> str:
    """Call state changes from a phone agent to the hub."""
    return build(TopicKind.PHONE_CALL, site, device)


def phone_cmd(site: str, device: str) -> str:
    """Commands to a phone agent."""
    return build(TopicKind.PHONE_CMD, site, device)


def phone_recording(site: str, device: str) -> str:
    """A finished call's recording from a phone agent to the hub."""
    return build(TopicKind.PHONE_RECORDING, site, device)


def line_req(site: str, device: str) -> str:
    """Requests from a line agent to the hub: a caller joins, leaves, asks their place."""
    return build(TopicKind.LINE_REQ, site, device)


def line_reply(site: str, device: str) -> str:
    """Replies from the hub to a line agent."""
    return build(TopicKind.LINE_REPLY, site, device)


def line_job(site: str, device: str) -> str:
    """Jobs from the hub to a line agent: bring this caller to that operator's phone."""
    return build(TopicKind.LINE_JOB, site, device)


def display_all(site: str) -> str:
    """Subscription filter for every display topic of a site."""
    check_id(site, "site")
    return f"{PREFIX}/{site}/display/#"


def parse(topic: str) -> Topic:
    """Parse a concrete topic of the contract; anything else raises ProtocolError('bad_topic')."""
    if not isinstance(topic, str):
        raise ProtocolError("bad_topic", "a topic must be a string")
    parts = topic.split("/")
    prefix = PREFIX.split("/")
    if parts[: len(prefix)] != prefix:
        raise ProtocolError("bad_topic", f"topic {topic!r} is not under {PREFIX}/")
    rest = parts[len(prefix) :]
    if len(rest) == 3 and rest[1] == "display" and rest[2] in _SITE_TOPICS:
        site = rest[0]
        if is_safe_id(site):
            return Topic(site, _SITE_TOPICS[rest[2]])
    elif len(rest) == 4 and (rest[1], rest[3]) in _DEVICE_TOPICS:
        site, device = rest[0], rest[2]
        if is_safe_id(site) and is_safe_id(device):
            return Topic(site, _DEVICE_TOPICS[(rest[1], rest[3])], device)
    raise ProtocolError("bad_topic", f"topic {topic!r} is not a topic of the v1 contract")


# What each role may publish (beyond its own state) and read, as topic kinds of its own device.
_ROLE_WRITES: dict[Role, tuple[TopicKind, ...]] = {
    Role.KIOSK: (TopicKind.KIOSK_REQ,),
    Role.PANEL: (TopicKind.PANEL_REQ,),
    Role.DISPLAY: (),
    Role.PRINTER: (TopicKind.PRINTER_RESULT,),
    Role.PHONE: (TopicKind.PHONE_CALL, TopicKind.PHONE_RECORDING),
    Role.LINE: (TopicKind.LINE_REQ,),
}
_ROLE_READS: dict[Role, tuple[TopicKind, ...]] = {
    Role.KIOSK: (TopicKind.KIOSK_REPLY,),
    Role.PANEL: (
        TopicKind.PANEL_REPLY,
        TopicKind.PANEL_ASSIGNMENT,
        TopicKind.PANEL_OPERATORS,
        TopicKind.PANEL_NOTICES,
    ),
    Role.DISPLAY: (),
    Role.PRINTER: (TopicKind.PRINTER_JOB,),
    Role.PHONE: (TopicKind.PHONE_CMD,),
    Role.LINE: (TopicKind.LINE_REPLY, TopicKind.LINE_JOB),
}


def acl_rules(
    site: str, role: str, device: str, *, phone_device: str | None = None
) -> list[AclRule]:
    """Exactly the topics a device may write and read; ``phone_device`` lets a panel command
    the phone agent beside it and read its calls and its state."""
    check_id(site, "site")
    check_id(device, "device")
    try:
        r = Role(role)
    except ValueError:
        raise ProtocolError("invalid", f"unknown device role {role!r}") from None
    rules: list[AclRule] = [("write", device_state(site, device))]
    rules += [("write", build(kind, site, device)) for kind in _ROLE_WRITES[r]]
    if phone_device is not None:
        if r is not Role.PANEL:
            raise ProtocolError("invalid", "only a panel may command a phone agent")
        rules.append(("write", phone_cmd(site, phone_device)))
        # ... and see its calls (the incoming-call window, the last calls).
        rules.append(("read", phone_call(site, phone_device)))
        # ... and whether it is registered and how many lines are busy (its retained state).
        rules.append(("read", device_state(site, phone_device)))
    rules += [("read", build(kind, site, device)) for kind in _ROLE_READS[r]]
    # Every device may read the board and the announcements (DESIGN.md): a printer agent or a
    # phone agent with a small screen shows them too, and nothing there is private.
    rules.append(("read", display_all(site)))
    return rules


HUB_RULES: list[AclRule] = [("read", f"{PREFIX}/#"), ("write", f"{PREFIX}/#")]
