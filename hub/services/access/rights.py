"""Access control (ACC-1..ACC-6): one central check that every interface calls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy import Row, bindparam, delete, select
from sqlalchemy.orm import Session

from hub.db.base import core_connection, table_of
from hub.db.models import DocRight, Journal, JournalRight, SettingsTabAccess, User
from hub.db.refcache import cached
from hub.errors import AccessDenied, NotFound


class DocType(StrEnum):
    """Document types whose create / change / delete rights are granted per user (ACC-1)."""

    PROJECT = "project"
    CLIENT = "client"
    CONTACT = "contact"
    EVENT = "event"
    TASK = "task"
    CONTRACT = "contract"
    SETTLEMENT_DOCUMENT = "settlement_document"
    ATTACHMENT = "attachment"
    SETTINGS = "settings"
    USER = "user"
    DEVICE = "device"


DOC_LABELS: dict[DocType, tuple[str, str]] = {
    DocType.PROJECT: ("Проект", "project"),
    DocType.CLIENT: ("Клієнт", "client"),
    DocType.CONTACT: ("Контактна особа", "contact person"),
    DocType.EVENT: ("Подія", "event"),
    DocType.TASK: ("Задача", "task"),
    DocType.CONTRACT: ("Договір", "contract"),
    DocType.SETTLEMENT_DOCUMENT: ("Розрахунковий документ", "settlement document"),
    DocType.ATTACHMENT: ("Вкладення", "attachment"),
    DocType.SETTINGS: ("Налаштування", "settings"),
    DocType.USER: ("Користувач", "user"),
    DocType.DEVICE: ("Пристрій", "device"),
}


class Action(StrEnum):
    """What a right allows."""

    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"


class SettingsTab(StrEnum):
    """Tabs of the Settings module whose visibility is granted per user (ACC-4)."""

    CALCULATION = "references.calculation"
    EVENT_TYPES = "references.event_types"
    HISTORY_GROUPS = "references.history_groups"
    TASK_STATUSES = "references.task_statuses"
    USER_STATUSES = "references.user_statuses"
    JOURNALS = "references.journals"
    TASK_FIELDS = "references.task_fields"
    NUMBERING = "numbering"
    NOTIFICATIONS = "parameters.notifications"
    USERS = "parameters.users"
    PARAMETERS = "parameters.settings"


TAB_LABELS: dict[SettingsTab, tuple[str, str]] = {
    SettingsTab.CALCULATION: ("Довідники / Калькуляція", "References / Calculation"),
    SettingsTab.EVENT_TYPES: ("Довідники / Типи подій", "References / Event types"),
    SettingsTab.HISTORY_GROUPS: ("Довідники / Ведення історії", "References / History"),
    SettingsTab.TASK_STATUSES: ("Довідники / Статуси задач", "References / Task statuses"),
    SettingsTab.USER_STATUSES: ("Довідники / Статуси користувачів", "References / User statuses"),
    SettingsTab.JOURNALS: ("Довідники / Журнали", "References / Journals"),
    SettingsTab.TASK_FIELDS: ("Довідники / Поля задач", "References / Task fields"),
    SettingsTab.NUMBERING: ("Нумерація", "Numbering"),
    SettingsTab.NOTIFICATIONS: ("Параметри / Сповіщення", "Parameters / Notifications"),
    SettingsTab.USERS: ("Параметри / Користувачі", "Parameters / Users"),
    SettingsTab.PARAMETERS: ("Параметри / Налаштування", "Parameters / Settings"),
}


@dataclass(frozen=True)
class Rights:
    """Create / change / delete flags."""

    create: bool = False
    change: bool = False
    delete: bool = False

    def allows(self, action: Action) -> bool:
        """Whether ``action`` is allowed."""
        return bool(getattr(self, action.value))


NO_RIGHTS = Rights()


@dataclass(frozen=True)
class AccessProfile:
    """Everything the checks need about one user, loaded once per request."""

    user_id: int
    username: str
    is_admin: bool = False
    full_access: bool = False
    crm_access: bool = True
    deny_task_status_change: bool = False
    doc_rights: Mapping[str, Rights] = field(default_factory=dict)
    journal_rights: Mapping[int, Rights] = field(default_factory=dict)
    visible_tabs: frozenset[str] = frozenset()

    @property
    def unrestricted(self) -> bool:
        """Administrators and users with full access pass every document check."""
        return self.is_admin or self.full_access

    def can(self, action: Action, doc_type: DocType, journal_id: int | None = None) -> bool:
        """Whether the user may do ``action`` on a document of ``doc_type`` in ``journal_id``."""
        if self.unrestricted:
            return True
        if not self.doc_rights.get(doc_type.value, NO_RIGHTS).allows(action):
            return False
        return journal_id is None or self.journal_rights.get(journal_id, NO_RIGHTS).allows(action)

    def sees_tab(self, tab: SettingsTab) -> bool:
        """Whether the settings tab is visible: no marked tabs means all of them (ACC-4)."""
        return self.unrestricted or not self.visible_tabs or tab.value in self.visible_tabs

    def tabs(self) -> list[SettingsTab]:
        """The settings tabs this user sees."""
        return [tab for tab in SettingsTab if self.sees_tab(tab)]


def require(
    profile: AccessProfile,
    action: Action,
    doc_type: DocType,
    *,
    journal_id: int | None = None,
    journal_name: str | None = None,
) -> None:
    """Raise AccessDenied naming the missing right unless ``profile`` may do ``action``."""
    if profile.can(action, doc_type):
        if journal_id is None or profile.can(action, doc_type, journal_id):
            return
        raise AccessDenied(
            "journal_right_missing",
            action=action.value,
            journal=journal_name or str(journal_id),
            right=f"journal:{journal_id}:{action.value}",
        )
    uk, en = DOC_LABELS[doc_type]
    raise AccessDenied(
        "right_missing",
        action=action.value,
        doc_uk=uk,
        doc_en=en,
        right=f"{doc_type.value}:{action.value}",
    )


def require_in_journal(
    session: Session,
    profile: AccessProfile,
    action: Action,
    doc_type: DocType,
    journal_id: int | None,
) -> None:
    """The document right plus, for a document in a journal, the journal right (ACC-1, ACC-2)."""
    journal = session.get(Journal, journal_id) if journal_id is not None else None
    require(
        profile,
        action,
        doc_type,
        journal_id=journal_id,
        journal_name=journal.name_uk if journal is not None else None,
    )


def require_admin(profile: AccessProfile) -> None:
    """Raise AccessDenied unless the user is an administrator."""
    if not profile.is_admin:
        raise AccessDenied("admin_required", right="admin")


def require_self_or_admin(profile: AccessProfile, user_id: int) -> None:
    """Raise AccessDenied unless the user acts on their own account or is an administrator."""
    if profile.user_id != user_id:
        require_admin(profile)


def require_tab(profile: AccessProfile, tab: SettingsTab, lang: str = "uk") -> None:
    """Raise AccessDenied unless the settings tab is visible to the user."""
    if not profile.sees_tab(tab):
        uk, en = TAB_LABELS[tab]
        raise AccessDenied(
            "settings_tab_hidden", tab=uk if lang == "uk" else en, right=f"tab:{tab}"
        )


def require_tab_unless_self(
    profile: AccessProfile, user_id: int, tab: SettingsTab, lang: str = "uk"
) -> None:
    """Another user's settings need the settings tab; one's own are always readable."""
    if profile.user_id != user_id:
        require_tab(profile, tab, lang)


def require_settings_change(
    profile: AccessProfile, tab: SettingsTab, action: Action, lang: str
) -> None:
    """Changing anything under a settings tab needs the tab and the settings right."""
    require_tab(profile, tab, lang)
    require(profile, action, DocType.SETTINGS)


def require_task_status_change(profile: AccessProfile) -> None:
    """Raise AccessDenied when the user is prohibited from changing task statuses (ACC-3)."""
    if profile.deny_task_status_change and not profile.unrestricted:
        raise AccessDenied("task_status_change_denied", right="task:status")


def _rights(row: Row[Any, Any, Any, Any]) -> Rights:
    return Rights(create=row.can_create, change=row.can_change, delete=row.can_delete)


_DOC = table_of(DocRight).c
_JOURNAL = table_of(JournalRight).c
_TABS = table_of(SettingsTabAccess).c
# Built once: every request of a device and of the web reads its user's rights.
_DOC_RIGHTS = select(_DOC.doc_type, _DOC.can_create, _DOC.can_change, _DOC.can_delete).where(
    _DOC.user_id == bindparam("user")
)
_JOURNAL_RIGHTS = select(
    _JOURNAL.journal_id, _JOURNAL.can_create, _JOURNAL.can_change, _JOURNAL.can_delete
).where(_JOURNAL.user_id == bindparam("user"))
_VISIBLE_TABS = select(_TABS.tab).where(_TABS.user_id == bindparam("user"))


def load_profile(session: Session, user: User) -> AccessProfile:
    """Read a user's rights from the database."""
    connection = core_connection(session)
    who = {"user": user.id}
    doc_rows = connection.execute(_DOC_RIGHTS, who).all()
    journal_rows = connection.execute(_JOURNAL_RIGHTS, who).all()
    tabs = connection.execute(_VISIBLE_TABS, who).scalars()
    return AccessProfile(
        user_id=user.id,
        username=user.username,
        is_admin=user.is_admin,
        full_access=user.full_access,
        crm_access=user.crm_access,
        deny_task_status_change=user.deny_task_status_change,
        doc_rights={row.doc_type: _rights(row) for row in doc_rows},
        journal_rights={row.journal_id: _rights(row) for row in journal_rows},
        visible_tabs=frozenset(tabs),
    )


@dataclass(frozen=True)
class Person:
    """A user as a device's request needs them: who, in which language, with which rights."""

    id: int
    username: str
    name: str | None  # the employee's full name, when linked to one
    lang: str
    active: bool
    profile: AccessProfile


def person(session: Session, user_id: int) -> Person | None:
    """The user and their rights, None when there is no such user (kept in ``hub.db.refcache``:
    every request of an operator's panel asks)."""
    return cached(session, ("person", user_id), partial(_person, user_id=user_id))


def _person(session: Session, user_id: int) -> Person | None:
    user = session.get(User, user_id)
    if user is None:
        return None
    name = user.employee.full_name if user.employee is not None else None
    return Person(
        user.id, user.username, name or None, user.lang, user.is_active, load_profile(session, user)
    )


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("not_found", what=f"user {user_id}")
    return user


def set_doc_rights(session: Session, *, user_id: int, doc_type: DocType, rights: Rights) -> None:
    """Set a user's create / change / delete rights on one document type."""
    _user(session, user_id)
    row = session.get(DocRight, (user_id, doc_type.value))
    if row is None:
        row = DocRight(user_id=user_id, doc_type=doc_type.value)
        session.add(row)
    row.can_create, row.can_change, row.can_delete = rights.create, rights.change, rights.delete
    session.flush()


def set_journal_rights(session: Session, *, user_id: int, journal_id: int, rights: Rights) -> None:
    """Set a user's create / change / delete rights in one journal."""
    _user(session, user_id)
    if session.get(Journal, journal_id) is None:
        raise NotFound("not_found", what=f"journal {journal_id}")
    row = session.get(JournalRight, (user_id, journal_id))
    if row is None:
        row = JournalRight(user_id=user_id, journal_id=journal_id)
        session.add(row)
    row.can_create, row.can_change, row.can_delete = rights.create, rights.change, rights.delete
    session.flush()


def set_visible_tabs(session: Session, *, user_id: int, tabs: Iterable[SettingsTab]) -> None:
    """Mark exactly these settings tabs visible (an empty list shows every tab)."""
    _user(session, user_id)
    session.execute(delete(SettingsTabAccess).where(SettingsTabAccess.user_id == user_id))
    session.add_all(SettingsTabAccess(user_id=user_id, tab=tab.value) for tab in set(tabs))
    session.flush()


def set_task_status_prohibition(session: Session, *, user_id: int, prohibited: bool) -> None:
    """Set or clear "prohibit changing a task's status" (ACC-3)."""
    _user(session, user_id).deny_task_status_change = prohibited
    session.flush()


def grant_full_access(session: Session, *, user_id: int) -> None:
    """Give the user every right in one action (ACC-5)."""
    user = _user(session, user_id)
    user.full_access = True
    user.crm_access = True
    session.flush()


def revoke_full_access(session: Session, *, user_id: int) -> None:
    """Take away full access and every explicit right in one action (ACC-5)."""
    user = _user(session, user_id)
    user.full_access = False
    session.execute(delete(DocRight).where(DocRight.user_id == user_id))
    session.execute(delete(JournalRight).where(JournalRight.user_id == user_id))
    session.flush()
