"""Schemas of a letter written to a client from the back-office (an outgoing e-mail event)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from hub.api.schemas.common import Input, Output, no_nul, single_line
from hub.api.schemas.events import DbId, Email
from hub.services.mail.letters import SUBJECT_MAX, TEXT_MAX


class LetterCreate(Input):
    """A letter to one of the client's addresses (its own or a contact person's)."""

    to: Email = Field(title="To", description="The client's or a contact person's address")
    subject: Annotated[
        str,
        StringConstraints(min_length=1, max_length=SUBJECT_MAX),
        AfterValidator(single_line),
    ] = Field(title="Subject")
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=TEXT_MAX), AfterValidator(no_nul)
    ] = Field(title="Text")
    contact_id: DbId | None = Field(
        None, title="Contact person", description="Found by the address when not given"
    )


class LetterRead(Output):
    """The outgoing e-mail event made for a letter, and its letter's state in the outbox."""

    event_id: int
    number: str
    to: str
    contact_id: int | None
    attachments: int
    mail_state: Literal["queued", "sent", "failed"]
    created_at: datetime
