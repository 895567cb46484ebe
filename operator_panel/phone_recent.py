"""The last incoming calls (PH-4): who called, when, and how each call ended, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hub.protocol.devices import PhoneCall

RECENT = 10
FINAL = frozenset({"ended", "missed", "rejected", "transferred"})


@dataclass
class Incoming:
    """One of the last incoming calls: who, when it rang, and how it ended so far."""

    call_id: str
    remote: str
    at: datetime
    state: str
    remote_name: str | None = None


def remember(recent: list[Incoming], report: PhoneCall) -> None:
    """Note an incoming call's report in ``recent`` (kept to the newest RECENT calls)."""
    if report.direction != "in":
        return
    for entry in recent:
        if entry.call_id == report.call_id:
            if report.at >= entry.at or report.state in FINAL:
                entry.state = outcome(entry.state, report.state)
            entry.remote_name = report.remote_name or entry.remote_name
            return
    recent.append(
        Incoming(report.call_id, report.remote, report.at, report.state, report.remote_name)
    )
    recent.sort(key=lambda entry: entry.at, reverse=True)
    del recent[RECENT:]


def outcome(before: str, now: str) -> str:
    """How a call is listed: a final state stays; a call once answered is "answered" however it
    ended (unless it was transferred)."""
    if before in FINAL:
        return before
    if before in ("answered", "held") or now == "held":
        return "transferred" if now == "transferred" else "answered"
    return now
