"""What the Settings and Access control pages share: a page or its refusal, and a posted form.

A page asked for without the right (a hidden settings tab, an administrator's page) answers with
the domain's own refusal and its status, in the user's language, inside the back-office's frame.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from hub.web.office.session import Build, Refusal, page_or_refusal

REFUSED = Refusal()


def serve(request: Request, template: str, build: Build, *, status: int = 200) -> Response:
    """``session.page``, with a refusal raised by ``build`` shown as a page of its status."""
    return page_or_refusal(request, template, build, look=REFUSED, status=status)


def one(form: FormData, name: str) -> str:
    """The text of field ``name`` ("" when it was not sent or is a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def sent(form: FormData, name: str) -> bool:
    """Whether the form carried field ``name`` at all (a forged form may carry more)."""
    return name in form


def many(form: FormData, name: str) -> list[str]:
    """Every value of a field sent several times (checkboxes of one name)."""
    return [value for value in form.getlist(name) if isinstance(value, str)]


def blank_to_none(value: str) -> str | None:
    """An empty optional field means "none"."""
    return value.strip() or None
