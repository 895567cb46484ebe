"""The Statistics section (STAT-1, STAT-3): today live, reports for a period with charts, and
every report exported as CSV, XLSX and PDF.

- ``/office/stats``: today's dashboard (the lines now, longest waits, service level so far,
  operators by status, the alerts raised); ``office_stats.js`` re-reads its live part
  (``/office/stats/live``) every few seconds; without scripts the Refresh link reloads it;
- ``/office/stats/report``: the filters (report, period, grouping, service, operator), three
  charts for the period (``stats_charts``) and the report's table (``stats_report``), with links
  to ``/office/stats/report.csv``, ``.xlsx`` and ``.pdf`` of the same filters
  (``stats_export``).

Rights: the project change right (a service's manager, ACC-1), as the API's reports; a user
without full access sees the services of the journals where they hold it (``scope_for``) and
those services' operators. Each page and each export checks it on the server.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from hub.errors import DomainError
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.queue.core import params
from hub.services.stats import watch
from hub.services.stats.common import By
from hub.services.stats.desk import scope_for
from hub.services.stats.operators import operators_in
from hub.services.stats.phone import phone_figures
from hub.services.stats.queue import queue_figures
from hub.services.stats.today import today
from hub.web.common import SECURITY_HEADERS, context, error_text, hub_of, page_lang, render, text
from hub.web.office import stats_charts, stats_export, stats_report, stats_texts, task_pdf
from hub.web.office.session import (
    Refusal,
    Staff,
    current_staff,
    page_or_refusal,
    refused,
    to_login,
    with_query,
)
from hub.web.office.stats_report import Asked, Choices

router = APIRouter()
BASE = "/office/stats"
LOOK = Refusal(title="section_stats", back=BASE, back_label="section_stats")
POLL_SECONDS = 5
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _require(staff: Staff) -> None:
    access.require(staff.profile, Action.CHANGE, DocType.PROJECT)


def _today_values(session: Session, staff: Staff, request: Request) -> dict[str, Any]:
    _require(staff)
    ctx = context(request)
    scope = scope_for(session, staff.profile)
    return {
        "desk": today(session, now=ctx.now, day=ctx.today, scope=scope),
        "alerts": watch.raised(session, scope.services),
        "threshold": params(session).service_level_alert_percent,
        "poll_seconds": POLL_SECONDS,
        "percent": stats_report.percent,
    }


@router.get(BASE, response_model=None)
def dashboard(request: Request) -> Response:
    """Today, live: the lines, longest waits, service level so far, operators, alerts."""
    return page_or_refusal(
        request,
        "office/stats_today.html",
        lambda session, staff: _today_values(session, staff, request),
        look=LOOK,
    )


@router.get(BASE + "/live", response_model=None)
def live(request: Request) -> Response:
    """The dashboard's live part alone (what its script puts in place every few seconds)."""
    lang = page_lang(request)
    with hub_of(request).sessions() as session:
        staff = current_staff(request, session)
        if staff is None:
            return Response(status_code=401)
        if not stats_texts.may_see_stats(staff.profile):
            return Response(status_code=403)
        values = _today_values(session, staff, request)
    return render(request, "office/stats_today_live.html", {"staff": staff, **values}, lang=lang)


def _asked(session: Session, staff: Staff, request: Request) -> tuple[Asked | None, Any, Choices]:
    _require(staff)
    offered = stats_report.choices(session, scope_for(session, staff.profile))
    asked, form = stats_report.read(
        request.query_params, offered, today=context(request).today, lang=page_lang(request)
    )
    return asked, form, offered


def _charts(
    session: Session, asked: Asked, offered: Choices, lang: str
) -> list[stats_charts.Chart]:
    scope = stats_report.narrowed(asked, offered)
    period = asked.period
    people = operators_in(session, scope)
    threshold = params(session).service_level_alert_percent
    return [
        stats_charts.wait_chart(queue_figures(session, period, By.HOUR, scope), lang),
        stats_charts.level_chart(queue_figures(session, period, By.DAY, scope), lang, threshold),
        stats_charts.load_chart(
            queue_figures(session, period, By.OPERATOR, scope),
            phone_figures(session, period, By.OPERATOR, people),
            lang,
        ),
    ]


def _options(offered: Choices, lang: str) -> dict[str, list[tuple[str | int, str, str]]]:
    """The form's choices: (value, words, the kinds a grouping fits) per select."""
    kinds = stats_report.KINDS
    groupings = list(dict.fromkeys(by for allowed in kinds.values() for by in allowed))
    return {
        "kind_options": [(kind, text(lang, f"stats_kind_{kind}"), "") for kind in kinds],
        "by_options": [
            (
                by.value,
                text(lang, f"stats_by_{by.value}"),
                " ".join(kind for kind, allowed in kinds.items() if by in allowed),
            )
            for by in groupings
        ],
        "service_options": [(key, name, "") for key, name in offered.services],
        "operator_options": [(key, name, "") for key, name in offered.operators],
    }


@router.get(BASE + "/report", response_model=None)
def report(request: Request) -> Response:
    """A report for a chosen period with its charts, filtered by service and operator."""
    lang = page_lang(request)
    ctx = context(request)

    def build(session: Session, staff: Staff) -> dict[str, Any]:
        asked, form, offered = _asked(session, staff, request)
        values: dict[str, Any] = {
            "form": form,
            **_options(offered, lang),
            "shown": stats_report.shown,
            "table": None,
            "charts": [],
            "exports": {},
        }
        if asked is None:
            return values
        values["table"] = stats_report.run(
            session, asked, offered, lang=lang, now=ctx.now, tz=ctx.tz
        )
        values["charts"] = _charts(session, asked, offered, lang)
        query = {k: v for k, v in form.values.items() if v}
        values["exports"] = {fmt: with_query(f"{BASE}/report.{fmt}", **query) for fmt in FORMATS}
        return values

    return page_or_refusal(request, "office/stats_report.html", build, look=LOOK)


@router.get(BASE + "/report.{fmt}", response_model=None)
def export(request: Request, fmt: str) -> Response:
    """The report of the same filters as CSV (Excel), XLSX or a printable PDF."""
    if fmt not in FORMATS:
        return Response(status_code=404)
    lang = page_lang(request)
    ctx = context(request)
    fonts = None
    if fmt == "pdf":
        try:
            fonts = task_pdf.fonts()
        except task_pdf.FontMissing as missing:
            return refused(request, text(lang, "stats_pdf_fonts", path=str(missing)), 503, LOOK)
    try:
        with hub_of(request).sessions() as session:
            staff = current_staff(request, session)
            if staff is None:
                return to_login(request)
            asked, form, offered = _asked(session, staff, request)
            table = (
                stats_report.run(session, asked, offered, lang=lang, now=ctx.now, tz=ctx.tz)
                if asked is not None
                else None
            )
    except DomainError as error:
        return refused(request, error_text(lang, error), error.status, LOOK)
    if table is None:
        message = "; ".join(form.errors.values())
        return refused(request, message, 422, LOOK, with_query(BASE + "/report", **form.values))
    local = ctx.now.astimezone(ctx.tz)
    if fmt == "csv":
        body = stats_export.to_csv(table, lang)
    elif fmt == "xlsx":
        body = stats_export.to_xlsx(table, local, lang)
    else:
        assert fonts is not None
        body = stats_export.to_pdf(table, fonts, local, lang)
    name = f"{table.filename}.{fmt}"
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
    }
    return Response(body, media_type=FORMATS[fmt], headers=headers)
