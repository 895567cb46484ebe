"""Mail (EVT-7, SET-8): fetch one's mail now, set mail passwords (write-only), the outbox's and
the mailboxes' state, one's in-system notifications."""

from __future__ import annotations

import ssl
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field, SecretStr
from starlette.concurrency import run_in_threadpool

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep
from hub.api.routes.settings.parameters import may_change_parameters
from hub.db.base import utcnow
from hub.services.common.strict import StrictInput
from hub.services.mail import inapp, inbox, outbox, secrets
from hub.services.settings.parameters import MAX_ID

router = APIRouter(prefix="/api/v1/mail", tags=["mail"])


class PasswordIn(StrictInput):
    """A mail password; empty or null removes it. It is never given back."""

    password: SecretStr | None = Field(
        None, max_length=secrets.MAX_SECRET, title="Password", description="Write-only."
    )


class MailboxRead(StrictInput):
    """How a mailbox's last fetch went."""

    mailbox: str
    last_ok_at: datetime | None
    last_error: str | None
    failures: int
    next_try_at: datetime | None
    fetched: int


class MailStatus(StrictInput):
    """The outbox and the mailboxes, for the administrator."""

    pending: int
    failed: int
    oldest_pending: datetime | None
    last_error: str | None
    passwords_set: list[str]
    mailboxes: list[MailboxRead]


class ReadIn(StrictInput):
    """Which of one's notifications were read."""

    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        max_length=inapp.LIMIT, title="Notifications", description="Their ids."
    )


class NotificationRead(StrictInput):
    """An in-system notification."""

    id: int
    kind: str
    text: str
    link: str | None
    created_at: datetime


@router.post("/fetch", summary="Fetch my mail now")
async def fetch_now(hub: HubDep, principal: CrmUser) -> dict[str, int | str]:
    """Fetch the caller's mailbox and the corporate one into events (the manual's Ctrl+E);
    per mailbox: letters stored, or why it failed."""
    context = ssl.create_default_context()
    return await run_in_threadpool(
        inbox.fetch, hub, now=utcnow(), context=context, user_id=principal.user.id
    )


@router.put("/mailbox-password", status_code=204, summary="Set my mailbox password")
def set_own_password(
    hub: HubDep, session: SessionDep, principal: CrmUser, body: PasswordIn
) -> None:
    """The caller's own mailbox password, sealed; it is never shown."""
    plain = body.password.get_secret_value() if body.password else None
    secrets.set_secret(session, hub.sealer, secrets.mailbox_secret(principal.user.id), plain)


@router.put("/passwords/{which}", status_code=204, summary="Set an office mail password")
def set_office_password(
    hub: HubDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(may_change_parameters)],
    which: Literal["smtp", "corporate"],
    body: PasswordIn,
) -> None:
    """The SMTP login's or the corporate mailbox's password, sealed; never shown."""
    name = secrets.SMTP if which == "smtp" else secrets.CORPORATE
    plain = body.password.get_secret_value() if body.password else None
    secrets.set_secret(session, hub.sealer, name, plain)
    hub.mail_wake()


@router.get("/status", summary="Mail outbox and mailboxes")
def mail_status(
    session: SessionDep, principal: Annotated[Principal, Depends(may_change_parameters)]
) -> MailStatus:
    """Letters waiting and failed with the latest error; each mailbox's last fetch."""
    state = outbox.health(session)
    names = [secrets.SMTP, secrets.CORPORATE]
    return MailStatus(
        pending=state.pending,
        failed=state.failed,
        oldest_pending=state.oldest_pending,
        last_error=state.last_error,
        passwords_set=sorted(secrets.secrets_set(session, names)),
        mailboxes=[
            MailboxRead.model_validate(row, from_attributes=True) for row in inbox.states(session)
        ],
    )


@router.get("/notifications", summary="My unread notifications")
def my_notifications(session: SessionDep, principal: CrmUser) -> list[NotificationRead]:
    """The caller's unread in-system notifications, newest first."""
    rows = inapp.unread(session, user_id=principal.user.id)
    return [NotificationRead.model_validate(row, from_attributes=True) for row in rows]


@router.post("/notifications/read", summary="Mark my notifications read")
def read_notifications(
    session: SessionDep,
    principal: CrmUser,
    body: ReadIn,
) -> dict[str, int]:
    """Mark these of the caller's notifications read."""
    count = inapp.mark_read(session, user_id=principal.user.id, ids=body.ids, now=utcnow())
    return {"marked": count}
