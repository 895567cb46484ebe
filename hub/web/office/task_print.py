"""Print forms of tasks (TSK-15): the task sheet (the manual's "421 FR Завдання") and a printable
registry of chosen tasks, as a page with print styles and as a PDF, in Ukrainian or English.

Both forms are built once as plain text (``Sheet``, ``Registry``) in the reader's language; the
page and the PDF (``task_pdf``) show the same words.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.errors import DomainError, Invalid
from hub.services.tasks import card as card_service
from hub.web.common import SECURITY_HEADERS, hub_of, page_lang, text
from hub.web.office import task_pdf
from hub.web.office.session import Staff, current_staff, page_or_refusal, to_login
from hub.web.office.task_card_view import REFUSED, REGISTRY, card_url, message_of, refusal
from hub.web.office.task_pdf import Registry, Sheet

router = APIRouter()
MAX_PRINTED = 500


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else "—"


def _status(view: Any, lang: str) -> str:
    name = view.status.name_uk if lang == "uk" else view.status.name_en
    return f"{name} ({text(lang, 'tcard_overdue')})" if view.overdue else name


def sheet_of(session: Session, task_id: int, lang: str, tz: tzinfo, by: str) -> Sheet:
    """The task sheet of one task in ``lang``."""
    shown = card_service.card(session, task_id=task_id, tab="details", lang=lang, tz=tz)
    task = shown.task
    names = shown.names

    def t(key: str, **params: Any) -> str:
        return text(lang, key, **params)

    facts = [
        (t("tcard_name"), task.name),
        (t("tcard_status"), _status(shown.view, lang)),
        (t("tcard_priority"), t(f"tcard_priority_{task.priority}")),
        (t("tcard_starts"), _when(task.starts_at, tz)),
        (t("tcard_ends"), _when(task.ends_at, tz)),
        (t("tcard_percent"), str(task.percent_done)),
        (t("tcard_time_spent"), str(task.time_spent_minutes)),
        (t("tcard_controller"), names["controller"] or "—"),
        (t("tcard_event_type"), names["event_type"] or "—"),
        (t("tcard_client"), names["client"] or "—"),
        (t("tcard_contact"), names["contact"] or "—"),
        (t("tcard_phone"), task.phone or "—"),
        (t("tcard_fax"), task.fax or "—"),
        (t("tcard_email"), task.email or "—"),
        (t("tcard_project"), names["project"] or t("tcard_project_none")),
        (t("tcard_centre"), task.responsibility_centre or "—"),
        (t("tcard_author_short"), names["author"] or "—"),
    ]
    executors = [
        (
            row.name,
            row.status.name_uk if lang == "uk" else row.status.name_en,
            str(row.time_spent_minutes),
            _when(row.done_at, tz) if row.done_at else "—",
        )
        for row in shown.executors
    ]
    return Sheet(
        lang=lang,
        title=t("tcard_sheet_title", number=task.number),
        facts=facts,
        content_label=t("tcard_content"),
        content=task.content or "—",
        executors_label=t("tcard_executors"),
        executor_head=(
            t("tcard_executor"),
            t("tcard_status"),
            t("tcard_time_spent"),
            t("tcard_done_at"),
        ),
        executors=executors,
        no_executors=t("tcard_no_executors"),
        footer=t("tcard_printed", when=_when(utcnow(), tz), name=by),
        page_label=t("tcard_page"),
    )


def registry_of(session: Session, ids: list[int], lang: str, tz: tzinfo, by: str) -> Registry:
    """The printable registry of the chosen tasks in ``lang``."""
    rows = card_service.print_rows(session, ids)

    def t(key: str, **params: Any) -> str:
        return text(lang, key, **params)

    return Registry(
        lang=lang,
        title=t("tcard_registry_title"),
        head=(
            t("tcard_number"),
            t("tcard_name"),
            t("tcard_period"),
            t("tcard_status"),
            t("tcard_client"),
            t("tcard_executors"),
        ),
        rows=[
            (
                row.view.task.number,
                row.view.task.name,
                f"{_when(row.view.task.starts_at, tz)} – {_when(row.view.task.ends_at, tz)}",
                _status(row.view, lang),
                row.client or "—",
                ", ".join(row.executors) or "—",
            )
            for row in rows
        ],
        total=t("tcard_registry_total", n=len(rows)),
        footer=t("tcard_printed", when=_when(utcnow(), tz), name=by),
        page_label=t("tcard_page"),
    )


def chosen_ids(request: Request) -> list[int]:
    """The task ids of ``?ids=1&ids=2`` or ``?ids=1,2``; 422 for anything else."""
    found: list[int] = []
    for value in request.query_params.getlist("ids"):
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) < 2**31:
                raise Invalid("tcard_ids_invalid", field="ids")
            found.append(int(part))
    found = list(dict.fromkeys(found))
    if not found:
        raise Invalid("tcard_ids_missing", field="ids")
    if len(found) > MAX_PRINTED:
        raise Invalid("tcard_ids_too_many", field="ids", max=MAX_PRINTED)
    return found


def _pdf(request: Request, name: str, make: Any) -> Response:
    """A PDF built by ``make(session, staff, lang, tz)`` inline under ``name``; a refusal page."""
    hub = hub_of(request)
    lang = page_lang(request)
    try:
        fonts = task_pdf.fonts()
    except task_pdf.FontMissing as missing:
        message = text(lang, "tcard_pdf_font_missing", path=str(missing))
        return refusal(request, message, 503, REGISTRY)
    try:
        with hub.sessions() as session:
            staff = current_staff(request, session)
            if staff is None:
                return to_login(request)
            body = make(session, staff, lang, hub.settings.tz, fonts)
    except DomainError as error:
        return refusal(request, message_of(lang, error), error.status)
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}",
    }
    return Response(body, media_type="application/pdf", headers=headers)


@router.get("/{task_id:int}/print", response_model=None)
def sheet_page(request: Request, task_id: int) -> Response:
    """The task sheet as a page to print (the browser's Print, or Ctrl+P)."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        sheet = sheet_of(session, task_id, lang, tz, staff.name)
        return {"sheet": sheet, "back": card_url(task_id), "pdf": f"{REGISTRY}/{task_id}/sheet.pdf"}

    return page_or_refusal(request, "office/task_print_sheet.html", build, look=REFUSED)


@router.get("/{task_id:int}/sheet.pdf", response_model=None)
def sheet_pdf(request: Request, task_id: int) -> Response:
    """The task sheet as a PDF."""

    def make(session: Session, staff: Staff, lang: str, tz: tzinfo, fonts: Any) -> bytes:
        return task_pdf.sheet_pdf(sheet_of(session, task_id, lang, tz, staff.name), fonts)

    return _pdf(request, f"task-{task_id}.pdf", make)


@router.get("/print", response_model=None)
def registry_page(request: Request) -> Response:
    """The chosen tasks as a registry to print."""
    lang = page_lang(request)
    tz = hub_of(request).settings.tz

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        ids = chosen_ids(request)
        registry = registry_of(session, ids, lang, tz, staff.name)
        query = "&".join(f"ids={ident}" for ident in ids)
        return {"registry": registry, "back": REGISTRY, "pdf": f"{REGISTRY}/print.pdf?{query}"}

    return page_or_refusal(request, "office/task_print_registry.html", build, look=REFUSED)


@router.get("/print.pdf", response_model=None)
def registry_pdf(request: Request) -> Response:
    """The chosen tasks as a registry in a PDF."""

    def make(session: Session, staff: Staff, lang: str, tz: tzinfo, fonts: Any) -> bytes:
        registry = registry_of(session, chosen_ids(request), lang, tz, staff.name)
        return task_pdf.registry_pdf(registry, fonts)

    return _pdf(request, "tasks.pdf", make)
