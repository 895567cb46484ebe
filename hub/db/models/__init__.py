"""All table models; importing this package registers every table on ``Base.metadata``."""

from hub.db.models.access import DocRight, JournalRight, SettingsTabAccess
from hub.db.models.booking import BookingSeat as BookingSeat  # registers the booking tables
from hub.db.models.calls import PhoneCallRecord as PhoneCallRecord
from hub.db.models.clients import Client, Contact, ContactPhone, SettlementDocument
from hub.db.models.coordinator import DeviceRequest as DeviceRequest
from hub.db.models.coordinator import PrintJob as PrintJob
from hub.db.models.devices import Device as Device
from hub.db.models.devices import DeviceCertificate as DeviceCertificate
from hub.db.models.events import AuditRecord, Event, EventDocument
from hub.db.models.mail import MailOutboxRow as MailOutboxRow  # registers the mail tables
from hub.db.models.numbering import Counter, NumberingRule
from hub.db.models.parameters import GlobalParameter, UserParameter
from hub.db.models.projects import Attachment, Message, Project, ProjectContract, ProjectMember
from hub.db.models.queue import OutboxMessage as OutboxMessage  # registers the queue's tables
from hub.db.models.reference import (
    CacheGeneration,
    EventType,
    HistoryGroup,
    Journal,
    TaskField,
    TaskStatus,
    UserStatus,
)
from hub.db.models.stats import QueueVisit as QueueVisit  # registers the statistics' facts
from hub.db.models.tasks import (
    Task,
    TaskDependency,
    TaskDocument,
    TaskExecutor,
    TaskReminder,
    TaskTemplate,
)
from hub.db.models.users import ApiKey, AuthToken, Employee, User

__all__ = [
    "ApiKey",
    "Attachment",
    "AuditRecord",
    "AuthToken",
    "CacheGeneration",
    "Client",
    "Contact",
    "ContactPhone",
    "Counter",
    "DocRight",
    "Employee",
    "Event",
    "EventDocument",
    "EventType",
    "GlobalParameter",
    "HistoryGroup",
    "Journal",
    "JournalRight",
    "Message",
    "NumberingRule",
    "Project",
    "ProjectContract",
    "ProjectMember",
    "SettingsTabAccess",
    "SettlementDocument",
    "Task",
    "TaskDependency",
    "TaskDocument",
    "TaskExecutor",
    "TaskField",
    "TaskReminder",
    "TaskStatus",
    "TaskTemplate",
    "User",
    "UserParameter",
    "UserStatus",
]
