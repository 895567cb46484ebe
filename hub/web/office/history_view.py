"""A card's history as a page shows it (SET-2, SET-11): each record's changes by history group,
its fields and action in the page's language, references by their names, moments local."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from hub.i18n import normalise_language
from hub.services.common.audit import HistoryEntry
from hub.services.events import pickers
from hub.services.events.views import user_name
from hub.web.office import history_texts  # noqa: F401 (registers the words)
from hub.web.texts import TEXTS

# Records whose changes are [old, new] pairs; the others record values.
PAIRED = frozenset({"change", "status", "executor_change", "executors_replace"})
REFERENCES = {
    "type_id": "type",
    "event_type_id": "type",
    "client_id": "client",
    "contact_id": "contact",
    "project_id": "project",
}
PEOPLE = frozenset({"responsible_id", "controller_id", "operator"})
MOMENTS = frozenset({"starts_at", "ends_at", "effective_at", "remind_at"})


@dataclass(frozen=True)
class ShownChange:
    """One field of a record: its label, and the old and new value (old None: a value)."""

    label: str
    old: str | None
    new: str


@dataclass(frozen=True)
class ShownGroup:
    """The changes under one history group's name (None: no groups are defined)."""

    name: str | None
    changes: list[ShownChange]


@dataclass(frozen=True)
class ShownRecord:
    """One record of the history: when, who, what was done, and the changes by group."""

    at: datetime
    who: str
    action: str
    groups: list[ShownGroup]


def _word(lang: str, key: str, fallback: str) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return fallback
    return pair[0] if normalise_language(lang) == "uk" else pair[1]


class _Values:
    """Turns stored values into words, asking for each reference's name once."""

    def __init__(self, session: Session, lang: str, tz: tzinfo) -> None:
        self.session, self.lang, self.tz = session, lang, tz
        self.names: dict[tuple[str, int], str] = {}

    def name_of(self, kind: str, ident: int) -> str:
        key = (kind, ident)
        if key not in self.names:
            if kind == "user":
                found = user_name(self.session, ident)
            else:
                found = pickers.label_of(self.session, kind, ident, self.lang)
            self.names[key] = found or f"#{ident}"
        return self.names[key]

    def shown(self, field: str, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return _word(self.lang, "hist_yes" if value else "hist_no", str(value))
        if isinstance(value, int) and field in REFERENCES:
            return self.name_of(REFERENCES[field], value)
        if isinstance(value, int) and field in PEOPLE:
            return self.name_of("user", value)
        if isinstance(value, str) and field in MOMENTS:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is not None:
                moment = moment.astimezone(self.tz)
            return moment.strftime("%d.%m.%Y %H:%M")
        if isinstance(value, list):
            return ", ".join(self.shown(field, item) for item in value) or "—"
        return str(value)


def _changes(values: _Values, action: str, changes: dict[str, Any], lang: str) -> list[ShownChange]:
    found = []
    for field, value in changes.items():
        label = _word(lang, f"hist_field_{field}", field)
        paired = action in PAIRED or (action == "queue_transfer" and field == "project_id")
        if paired and isinstance(value, list) and len(value) == 2:
            old, new = value
            found.append(ShownChange(label, values.shown(field, old), values.shown(field, new)))
        else:
            found.append(ShownChange(label, None, values.shown(field, value)))
    return found


def shown_history(
    session: Session, entries: Sequence[HistoryEntry], *, lang: str, tz: tzinfo
) -> list[ShownRecord]:
    """The records as the card shows them, in their order."""
    values = _Values(session, lang, tz)
    uk = normalise_language(lang) == "uk"
    records = []
    for entry in entries:
        if entry.groups:
            groups = [
                ShownGroup(
                    group.name_uk if uk else group.name_en,
                    _changes(values, entry.action, group.changes, lang),
                )
                for group in entry.groups
            ]
        elif entry.changes:
            groups = [ShownGroup(None, _changes(values, entry.action, entry.changes, lang))]
        else:
            groups = []
        who = values.name_of("user", entry.user_id) if entry.user_id is not None else None
        records.append(
            ShownRecord(
                at=entry.at,
                who=who or _word(lang, "hist_system", "—"),
                action=_word(lang, f"hist_action_{entry.action}", entry.action),
                groups=groups,
            )
        )
    return records
