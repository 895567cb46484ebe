"""What the Projects section's pages share: the user's rights for templates, reading a form,
validating it with the API's own schema (every wrong field at once), and the refusal page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from hub.errors import DomainError
from hub.services.access.rights import AccessProfile, Action, DocType
from hub.web.common import error_text, page_lang, text
from hub.web.office import (
    forms,
    projects_texts,  # noqa: F401 (registers the section's words)
    session,
)
from hub.web.office.forms import FormState
from hub.web.office.session import Build

BASE = "/office/projects"
# What a redirect after a change may announce on the next page (whitelisted: never free text).
DONE = (
    "saved",
    "created",
    "deleted",
    "contract",
    "contract_deleted",
    "members",
    "member_removed",
    "posted",
    "message_deleted",
    "uploaded",
    "file_deleted",
    "event",
    "task",
)
REFUSED = session.Refusal(
    title="prj_refused",
    heading="errors_title",
    back=BASE,
    back_label="prj_back",
    back_class="button secondary",
)


class Can:
    """``can(action, doc, journal_id)`` for templates: whether an action may be offered."""

    def __init__(self, profile: AccessProfile) -> None:
        self.profile = profile

    def __call__(self, action: str, doc: str, journal_id: int | None = None) -> bool:
        return self.profile.can(Action(action), DocType(doc), journal_id)


def done_message(request: Request) -> str:
    """The line a change's redirect asked this page to show ("" when none)."""
    done = request.query_params.get("done", "")
    if done not in DONE:
        return ""
    value = request.query_params.get("n", "")[:300]
    return text(page_lang(request), f"prj_done_{done}", n=value)


async def _form(request: Request) -> dict[str, str]:
    # Read once here (asynchronously) so that the handlers stay plain functions run in the pool.
    data = await request.form()
    return {key: value for key, value in data.items() if isinstance(value, str)}


async def _form_lists(request: Request) -> dict[str, list[str]]:
    data = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    return lists


FormDep = Annotated[dict[str, str], Depends(_form)]
FormListsDep = Annotated[dict[str, list[str]], Depends(_form_lists)]


def stripped(form: dict[str, str], name: str) -> str | None:
    """A field's text without surrounding blanks; an empty one is None (a form cannot send null)."""
    value = (form.get(name) or "").strip()
    return value or None


def ref(form: dict[str, str], name: str) -> int | str | None:
    """A reference field's id: a number when it is one, else the text (the schema refuses it)."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 11 else raw


def show(
    request: Request, template: str, build: Build, *, status: int = 200, **extra: Any
) -> Response:
    """``session.page``, but a refused read (not found, a bad filter) is a page saying so."""
    return session.page_or_refusal(request, template, build, look=REFUSED, status=status, **extra)


def refusal(request: Request, error: DomainError, back: str = BASE) -> Response:
    """A page with the refusal's message, a way back, and the status the API would give."""
    message = error_text(page_lang(request), error)
    return session.refused(request, message, error.status, REFUSED, back)


def refusing(request: Request, back: str = BASE) -> Callable[[str, DomainError], Response]:
    """``session.act``'s answer to a refused change that has no form: the refusal page."""

    def failed(_message: str, error: DomainError) -> Response:
        return refusal(request, error, back)

    return failed


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
