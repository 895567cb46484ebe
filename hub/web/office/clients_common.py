"""What the Clients section's pages share: the user's rights as flags, form reading, a page whose
reading may be refused, and turning typed text into the values the services take."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from hub.errors import DomainError, Invalid
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.web.common import error_text, page_lang
from hub.web.office import (
    clients_texts,  # noqa: F401 (registers the section's words)
    forms,
    session,
)
from hub.web.office.forms import FormState
from hub.web.office.session import Build

BASE = "/office/clients"


@dataclass(frozen=True)
class Rights:
    """What the user may do in the section: a page shows only these actions."""

    create: bool
    change: bool
    delete: bool
    contact_create: bool
    contact_change: bool
    contact_delete: bool
    event_create: bool
    task_create: bool
    document_create: bool
    document_change: bool
    document_delete: bool
    import_any: bool


def rights(profile: AccessProfile) -> Rights:
    """The section's rights of this user (ACC-1), read once per page."""

    def can(action: Action, doc: DocType) -> bool:
        return profile.can(action, doc)

    return Rights(
        create=can(Action.CREATE, DocType.CLIENT),
        change=can(Action.CHANGE, DocType.CLIENT),
        delete=can(Action.DELETE, DocType.CLIENT),
        contact_create=can(Action.CREATE, DocType.CONTACT),
        contact_change=can(Action.CHANGE, DocType.CONTACT),
        contact_delete=can(Action.DELETE, DocType.CONTACT),
        event_create=can(Action.CREATE, DocType.EVENT),
        task_create=can(Action.CREATE, DocType.TASK),
        document_create=can(Action.CREATE, DocType.SETTLEMENT_DOCUMENT),
        document_change=can(Action.CHANGE, DocType.SETTLEMENT_DOCUMENT),
        document_delete=can(Action.DELETE, DocType.SETTLEMENT_DOCUMENT),
        import_any=any(
            can(Action.CREATE, doc)
            for doc in (DocType.CLIENT, DocType.CONTACT, DocType.SETTLEMENT_DOCUMENT)
        ),
    )


async def _form(request: Request) -> dict[str, str]:
    # Read once here (asynchronously) so that the handlers stay plain functions run in the pool.
    data = await request.form()
    return {key: value for key, value in data.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(_form)]


def blank_none(values: dict[str, str], names: tuple[str, ...]) -> dict[str, Any]:
    """The named fields, stripped, an empty one as None (a form cannot send null)."""
    out: dict[str, Any] = {}
    for name in names:
        value = (values.get(name) or "").strip()
        out[name] = value or None
    return out


def domain_check(lang: str, errors: dict[str, str], call: Any, *args: Any) -> Any:
    """Run a domain check (e.g. the tax number's check digit) so its message joins the others."""
    try:
        return call(*args)
    except Invalid as error:
        errors[str(error.params.get("field") or "")] = error_text(lang, error)
        return None


REFUSED = session.Refusal(
    title="cli_refused", heading="cli_refused", back=BASE, back_label="cli_back"
)


def show(
    request: Request, template: str, build: Build, *, status: int = 200, **extra: Any
) -> Response:
    """``session.page``, but a refused read (not found, no right) is a page saying so."""
    return session.page_or_refusal(request, template, build, look=REFUSED, status=status, **extra)


def refusal(request: Request, error: DomainError, back: str = BASE) -> Response:
    """A page with the refusal's message, a way back, and the status the API would give."""
    message = error_text(page_lang(request), error)
    return session.refused(request, message, error.status, REFUSED, back)


def form_failed(
    request: Request,
    template: str,
    build_for: Callable[[FormState], Build],
    shown: dict[str, Any],
    back: str = BASE,
) -> Callable[[str, DomainError], Response]:
    """What ``session.act`` answers when a form's change is refused: the form again with the
    messages (a missing right or record is a refusal page: no form was offered for it)."""
    return forms.form_failure(
        page_lang(request),
        shown,
        lambda state, status: show(request, template, build_for(state), status=status),
        lambda error: refusal(request, error, back),
    )
