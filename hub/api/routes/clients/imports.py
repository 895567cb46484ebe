"""The import of clients, contact persons and settlement documents from CSV or XLSX (CLI-2)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import JSONResponse

from hub.api.deps import CrmUser, HubDep, Principal, SessionDep
from hub.api.errors import error_body
from hub.errors import Invalid
from hub.i18n import translate
from hub.services.access import rights as access
from hub.services.access.rights import Action, DocType
from hub.services.clients.import_files import open_table
from hub.services.clients.imports import ImportKind, import_rows

router = APIRouter(tags=["clients"])

IMPORT_RIGHTS: dict[str, DocType] = {
    "clients": DocType.CLIENT,
    "contacts": DocType.CONTACT,
    "documents": DocType.SETTLEMENT_DOCUMENT,
}


def importer(principal: CrmUser, kind: ImportKind) -> Principal:
    """The right to create what the file holds, checked before the upload is read."""
    access.require(principal.profile, Action.CREATE, IMPORT_RIGHTS[kind])
    return principal


@router.post(
    "/imports/{kind}",
    summary="Import clients, contacts or settlement documents from CSV or XLSX (CLI-2)",
    responses={422: {"description": "Rows rejected: nothing stored; the report is included"}},
)
def import_file(
    session: SessionDep,
    principal: Annotated[Principal, Depends(importer)],
    hub: HubDep,
    kind: ImportKind,
    file: UploadFile,
    valid_only: Annotated[
        bool, Query(description="store the valid rows even when some are rejected")
    ] = False,
) -> Any:
    """Import a file; all-or-nothing unless ``valid_only``. The reply is the import's report."""
    limit_mb = hub.settings.import_max_mb
    if file.size is not None and file.size > limit_mb * 2**20:
        raise Invalid("file_too_large", limit_mb=limit_mb)
    table = open_table(file.file)
    report = import_rows(
        session, kind=kind, header=table.header, rows=table.rows, valid_only=valid_only
    )
    body = report.as_dict(principal.lang)
    if not report.stored:
        message = translate("import_rejected", principal.lang, count=report.rejected_count)
        return JSONResponse(
            {**error_body("import_rejected", message), "report": body}, status_code=422
        )
    return body
