"""The back-office's navigation: every section, shown to those whose rights open it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.services.access.rights import AccessProfile, Action, DocType


@dataclass(frozen=True)
class Section:
    """One entry of the navigation."""

    key: str
    """Its texts are ``section_{key}`` and ``section_{key}_hint``."""
    path: str
    order: int
    visible: Callable[[AccessProfile], bool]


_SECTIONS: dict[str, Section] = {}


def add(section: Section) -> None:
    """Put a section in the navigation (each section module adds its own)."""
    _SECTIONS[section.key] = section


def sections(profile: AccessProfile) -> list[Section]:
    """The sections this user may open, in their order."""
    return sorted(
        (s for s in _SECTIONS.values() if s.visible(profile)), key=lambda s: (s.order, s.key)
    )


def anyone(_profile: AccessProfile) -> bool:
    """Open to every user of the CRM."""
    return True


def may_any(doc_type: DocType) -> Callable[[AccessProfile], bool]:
    """Open to users holding any right on ``doc_type``."""

    def check(profile: AccessProfile) -> bool:
        return any(profile.can(action, doc_type) for action in Action)

    return check


add(Section("hall", "/console", 10, anyone))
add(Section("devices", "/console/devices", 90, may_any(DocType.DEVICE)))
