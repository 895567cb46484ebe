"""Typed parameters of the Settings module: global (SET-8, SET-10..SET-12) and per user (SET-9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import GlobalParameter, UserParameter
from hub.db.refcache import cached
from hub.services.common.strict import StrictInput
from hub.services.tasks.columns import (
    REGISTRY_COLUMNS,
    REGISTRY_FILTERS,
    RegistryColumn,
    RegistryFilter,
)

# The largest id an INTEGER column holds on every supported database.
MAX_ID = 2**31 - 1

NotifyChannel = Literal["none", "email", "system", "email_and_system"]


class TaskNotifications(StrictInput):
    """How each kind of person involved in a task is told about it (SET-8)."""

    author: NotifyChannel = Field("system", title="Author", description="The task's author.")
    executor: NotifyChannel = Field("system", title="Executors", description="Each executor.")
    controller: NotifyChannel = Field("system", title="Controller", description="The controller.")
    responsible: NotifyChannel = Field(
        "system", title="Responsible person", description="The responsible person."
    )


class QueueParameters(StrictInput):
    """How the electronic queue treats bookings, no-shows and estimates (Q-2, Q-5)."""

    early_checkin_minutes: int = Field(
        30,
        ge=0,
        le=24 * 60,
        title="Early check-in window",
        description="How many minutes before the booked start a booking may check in.",
    )
    late_checkin_minutes: int = Field(
        10,
        ge=0,
        le=24 * 60,
        title="Late check-in window",
        description="How many minutes after the booked start a booking may still check in.",
    )
    late_booking_rule: Literal["walk_in", "expire"] = Field(
        "walk_in",
        title="A booking that misses its window",
        description="walk_in: the visitor joins the line as a walk-in on arrival; "
        "expire: the booking expires and check-in is refused.",
    )
    no_show_after_recalls: int | None = Field(
        3,
        ge=0,
        le=100,
        title="No-show after recalls",
        description="A recall of a ticket already recalled this many times marks it a no-show; "
        "empty: never automatically.",
    )
    no_show_after_seconds: int | None = Field(
        None,
        ge=10,
        le=24 * 3600,
        title="No-show after seconds",
        description="A called visitor who has not come this many seconds after the last call "
        "becomes a no-show; empty: never automatically.",
    )
    running_late_minutes: int = Field(
        15,
        ge=1,
        le=240,
        title="Running late",
        description='How many minutes a visitor who says "I am running late" on their ticket\'s '
        "page keeps their place; after that the no-show rules apply.",
    )
    default_service_minutes: int = Field(
        10,
        ge=1,
        le=24 * 60,
        title="Default service time",
        description="Minutes per visitor for wait estimates when a service has no history yet, "
        "and the length of a booked slot per company the client represents (Q-3).",
    )
    wait_estimate_percent: int = Field(
        50,
        ge=50,
        le=90,
        title="Wait estimate: share called within it",
        description="The wait a visitor is promised is the one this share of visitors like "
        "them are called within: 50 says the likeliest wait, higher says a cautious one "
        "(fewer visitors wait longer than promised, more are called sooner). The range shown "
        "beside it is the same.",
    )
    service_level_alert_percent: int | None = Field(
        80,
        ge=1,
        le=100,
        title="Service-level alert",
        description="Today's share of visitors called within their service's target wait "
        "below which the console and the service's operators are alerted (STAT-3); empty: "
        "no such alert. A line waiting past the target always alerts.",
    )


class MailParameters(StrictInput):
    """The office's mail servers (the manual's "Розсилання" tab): SMTP out, IMAP/POP3 in.

    Passwords are not here: they are sealed apart (``hub.services.mail.secrets``).
    """

    smtp_host: str | None = Field(
        None,
        max_length=253,
        title="SMTP server",
        description="Outgoing mail server; empty: no mail is sent (letters wait in the outbox).",
    )
    smtp_port: int = Field(587, ge=1, le=65535, title="SMTP port", description="587, 465, 25.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls",
        title="SMTP security",
        description="starttls: plain then STARTTLS; tls: TLS from the start (SMTPS); none.",
    )
    smtp_login: str | None = Field(
        None, max_length=254, title="SMTP login", description="Empty: no authentication."
    )
    sender: str | None = Field(
        None,
        max_length=254,
        title="Sender address",
        description="The From address of every letter the system sends.",
    )
    incoming_host: str | None = Field(
        None, max_length=253, title="Incoming mail server", description="IMAP or POP3 server."
    )
    incoming_port: int = Field(
        993, ge=1, le=65535, title="Incoming port", description="993 (IMAP), 995 (POP3)."
    )
    incoming_protocol: Literal["imap", "pop3"] = Field(
        "imap", title="Incoming protocol", description="IMAP or POP3, over TLS."
    )
    incoming_tls: bool = Field(
        True, title="Incoming over TLS", description="False only for a closed test network."
    )
    corporate_login: str | None = Field(
        None,
        max_length=254,
        title="Corporate mailbox",
        description="Login of the corporate mailbox whose letters go to the users who receive "
        "corporate mail (SET-9); empty: none.",
    )
    fetch_every_minutes: int = Field(
        5, ge=0, le=24 * 60, title="Fetch mail every", description="Minutes; 0: only on demand."
    )
    booking_reminder_hours: int = Field(
        24,
        ge=0,
        le=14 * 24,
        title="Booking reminder",
        description="Hours before a booked slot its visitor is reminded by e-mail; 0: never.",
    )


class GlobalParameters(StrictInput):
    """System-wide parameters."""

    model_config = ConfigDict(validate_assignment=True)

    responsible_person_type: Literal["employee", "responsibility_centre", "per_document"] = Field(
        "employee",
        title="Responsible-person type",
        description="Who is responsible for documents: an employee, a responsibility centre, or "
        "chosen in each document (SET-8).",
    )
    task_notifications: TaskNotifications = Field(
        default_factory=TaskNotifications,
        title="Task notifications",
        description="Channel per kind of person involved in a task (SET-8).",
    )
    queue_create_task_on_save: bool = Field(
        False,
        title="Create a task when a queue event is saved",
        description="SET-10.",
    )
    queue: QueueParameters = Field(
        default_factory=QueueParameters,
        title="Electronic queue",
        description="Check-in windows, late bookings, automatic no-shows, estimates (Q-2, Q-5).",
    )
    mail: MailParameters = Field(
        default_factory=MailParameters,
        title="Mail",
        description='Mail servers for letters out and in (the manual\'s "Розсилання").',
    )
    audit_tasks_events: bool = Field(
        True, title="Audit log", description="Keep a change log of tasks and events (SET-11)."
    )
    telephony_load_missed_calls: bool = Field(
        False,
        title="Load missed calls from the telephony server",
        description="SET-12.",
    )
    telephony_server_path: str | None = Field(
        None,
        max_length=200,
        title="Telephony server path",
        description="Where missed calls are read from, as [server].[database] (SET-12).",
    )
    telephony_min_number_length: int = Field(
        0,
        ge=0,
        le=32,
        title="Do not log calls with numbers shorter than",
        description="Internal extensions shorter than this are not logged (SET-12); 0 logs all.",
    )


class UserParameters(StrictInput):
    """One user's parameters (SET-9, SET-4, CLI-4)."""

    model_config = ConfigDict(validate_assignment=True)

    sip_password: str | None = Field(
        None,
        max_length=128,
        title="SIP password",
        description="Password of the user's SIP account; write-only through the API.",
    )
    telephony_project_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        title="Project for calls",
        description="Project of events made from calls.",
    )
    telephony_unit: str | None = Field(
        None, max_length=200, title="Structural unit for calls", description="Unit of call events."
    )
    mail_project_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        title="Project for mail",
        description="Project of events made from e-mail.",
    )
    mail_login: str | None = Field(
        None,
        max_length=254,
        title="Mailbox login",
        description="Login of the user's mailbox on the incoming server; empty: their e-mail "
        "(EVT-7). The password is sealed apart.",
    )
    mail_unit: str | None = Field(
        None, max_length=200, title="Structural unit for mail", description="Unit of mail events."
    )
    receive_corporate_mail: bool = Field(
        False, title="Receive corporate mail", description="SET-9 mail group."
    )
    check_mail_on_open: bool = Field(
        False,
        title="Check mail",
        description="Fetch new mail when the events registry opens (EVT-7).",
    )
    corporate_mail_delivery: Literal["all", "one"] = Field(
        "all",
        title="Corporate mail delivery",
        description="Deliver each letter to all addressees, or to one of them in turn.",
    )
    auto_start_phone: bool = Field(
        False, title="Start the phone automatically", description="SET-9 telephony group."
    )
    use_user_statuses: bool = Field(
        False, title="Use user statuses", description="SET-4: needed by the queue and the phone."
    )
    view_user_statuses: bool = Field(
        False, title="View users' statuses", description="SET-4: see other users' statuses."
    )
    birthday_reminders: bool = Field(
        False,
        title="Birthday reminders",
        description="Remind of contact persons' birthdays (CLI-4).",
    )
    birthday_days_ahead: int = Field(
        7, ge=0, le=60, title="Remind days ahead", description="How many days before a birthday."
    )
    task_registry_columns: list[RegistryColumn] | None = Field(
        None,
        max_length=len(REGISTRY_COLUMNS),
        title="Task registry columns",
        description="The columns the user keeps in the task registry's table, in order (TSK-1); "
        "none: the default set.",
    )
    task_registry_filters: dict[RegistryFilter, Annotated[str, Field(max_length=210)]] | None = (
        Field(
            None,
            max_length=len(REGISTRY_FILTERS),
            title="Task registry filters",
            description="The filters the user last applied to the task registry, its calendars "
            "and Gantt chart (TSK-1), kept for the next visit; none: every task.",
        )
    )


SECRET_USER_PARAMETERS = frozenset({"sip_password"})

# Global parameters on the tab Parameters / Notifications (SET-8); the rest are on Parameters /
# Settings (SET-10..SET-12).
NOTIFICATION_PARAMETERS = frozenset({"responsible_person_type", "task_notifications"})

ParamsT = TypeVar("ParamsT", bound=BaseModel)
RowT = TypeVar("RowT", GlobalParameter, UserParameter)


def _deep_merge(old: Any, new: Any) -> Any:
    # A partial change of a group (task notifications) keeps the group's other values.
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **{key: _deep_merge(old.get(key), value) for key, value in new.items()}}
    return new


def _merge(model: type[ParamsT], rows: dict[str, RowT], changes: dict[str, Any]) -> ParamsT:
    # Keys a newer version dropped are ignored rather than failing validation.
    known = {key: row.value for key, row in rows.items() if key in model.model_fields}
    merged = dict(known)
    for key, value in changes.items():
        merged[key] = _deep_merge(known.get(key), value)
    # Stored values were validated on the way in; read them leniently (a JSON column may give
    # back 1e+3 for 1000) while request bodies stay strict.
    return model.model_validate(merged, strict=False)


def _store(
    session: Session,
    model: type[ParamsT],
    rows: dict[str, RowT],
    changes: dict[str, Any],
    new_row: Callable[[str, Any], RowT],
) -> ParamsT:
    # Validate everything first, so a wrong value stores nothing.
    result = _merge(model, rows, changes)
    dumped = result.model_dump(mode="json")
    for key in changes:
        row = rows.get(key)
        if row is None:
            session.add(new_row(key, dumped[key]))
        else:
            row.value = dumped[key]
    session.flush()
    return result


def _global_rows(session: Session) -> dict[str, GlobalParameter]:
    return {row.key: row for row in session.scalars(select(GlobalParameter))}


def _user_rows(session: Session, user_id: int) -> dict[str, UserParameter]:
    query = select(UserParameter).where(UserParameter.user_id == user_id)
    return {row.key: row for row in session.scalars(query)}


_GLOBAL_CACHE = "cherga_global_parameters"


def get_global(session: Session) -> GlobalParameters:
    """The global parameters, with defaults for anything never set (the same object until they
    change: read it, never assign to it)."""
    return cached(session, _GLOBAL_CACHE, _load_global)


def _load_global(session: Session) -> GlobalParameters:
    return _merge(GlobalParameters, _global_rows(session), {})


def update_global(session: Session, changes: dict[str, Any]) -> GlobalParameters:
    """Validate and store changed global parameters; nothing is stored if any value is wrong."""
    return _store(
        session,
        GlobalParameters,
        _global_rows(session),
        changes,
        lambda key, value: GlobalParameter(key=key, value=value),
    )


def get_user_parameters(session: Session, user_id: int) -> UserParameters:
    """A user's parameters, with defaults for anything never set."""
    return _merge(UserParameters, _user_rows(session, user_id), {})


def update_user_parameters(
    session: Session, user_id: int, changes: dict[str, Any]
) -> UserParameters:
    """Validate and store changed parameters of one user; nothing is stored if any is wrong."""
    return _store(
        session,
        UserParameters,
        _user_rows(session, user_id),
        changes,
        lambda key, value: UserParameter(user_id=user_id, key=key, value=value),
    )
