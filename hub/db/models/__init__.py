"""All table models; importing this package registers every table on ``Base.metadata``."""

from hub.db.models.access import DocRight, JournalRight, SettingsTabAccess
from hub.db.models.numbering import Counter, NumberingRule
from hub.db.models.parameters import GlobalParameter, UserParameter
from hub.db.models.reference import EventType, HistoryGroup, Journal, TaskStatus, UserStatus
from hub.db.models.users import ApiKey, AuthToken, Employee, User

__all__ = [
    "ApiKey",
    "AuthToken",
    "Counter",
    "DocRight",
    "Employee",
    "EventType",
    "GlobalParameter",
    "HistoryGroup",
    "Journal",
    "JournalRight",
    "NumberingRule",
    "SettingsTabAccess",
    "TaskStatus",
    "User",
    "UserParameter",
    "UserStatus",
]
