"""The Access Control module (ACC-1..ACC-5): rights per user, managed by administrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hub.api.deps import AdminUser, CrmUser, SelfOrAdmin, SessionDep
from hub.api.schemas.common import PathId
from hub.api.schemas.users import AccessRead, ProhibitionIn, RightsIn, TabsIn
from hub.api.views import access_view
from hub.services.access import rights as access
from hub.services.access import users
from hub.services.access.rights import DOC_LABELS, TAB_LABELS, Action, DocType, Rights

router = APIRouter(prefix="/api/v1", tags=["access control"])


def _view(session: SessionDep, user_id: PathId) -> AccessRead:
    return access_view(access.load_profile(session, users.get_user(session, user_id)))


@router.get("/access/catalog", summary="Document types, actions and settings tabs with their names")
def catalog(principal: CrmUser) -> dict[str, Any]:
    """What rights exist, with Ukrainian and English names, for building the rights editor."""
    return {
        "document_types": [
            {"code": doc.value, "name_uk": uk, "name_en": en}
            for doc, (uk, en) in DOC_LABELS.items()
        ],
        "actions": [action.value for action in Action],
        "settings_tabs": [
            {"code": tab.value, "name_uk": uk, "name_en": en}
            for tab, (uk, en) in TAB_LABELS.items()
        ],
    }


@router.get("/users/{user_id:int}/access", summary="A user's rights")
def read_access(session: SessionDep, principal: SelfOrAdmin, user_id: PathId) -> AccessRead:
    """Users see their own rights; administrators see anyone's."""
    return _view(session, user_id)


@router.put(
    "/users/{user_id:int}/access/documents/{doc_type}", summary="Set rights on a document type"
)
def set_document_rights(
    session: SessionDep, principal: AdminUser, user_id: PathId, doc_type: DocType, body: RightsIn
) -> AccessRead:
    """ACC-1: create / change / delete on one document type."""
    access.set_doc_rights(
        session, user_id=user_id, doc_type=doc_type, rights=Rights(**body.model_dump())
    )
    return _view(session, user_id)


@router.put(
    "/users/{user_id:int}/access/journals/{journal_id:int}", summary="Set rights in a journal"
)
def set_journal_rights(
    session: SessionDep, principal: AdminUser, user_id: PathId, journal_id: PathId, body: RightsIn
) -> AccessRead:
    """ACC-2: create / change / delete in one journal."""
    access.set_journal_rights(
        session, user_id=user_id, journal_id=journal_id, rights=Rights(**body.model_dump())
    )
    return _view(session, user_id)


@router.put(
    "/users/{user_id:int}/access/settings-tabs", summary="Choose the settings tabs a user sees"
)
def set_tabs(
    session: SessionDep, principal: AdminUser, user_id: PathId, body: TabsIn
) -> AccessRead:
    """ACC-4: the marked tabs; none marked means all."""
    access.set_visible_tabs(session, user_id=user_id, tabs=body.tabs)
    return _view(session, user_id)


@router.put(
    "/users/{user_id:int}/access/task-status-prohibition",
    summary="Prohibit or allow changing task statuses",
)
def set_prohibition(
    session: SessionDep, principal: AdminUser, user_id: PathId, body: ProhibitionIn
) -> AccessRead:
    """ACC-3."""
    access.set_task_status_prohibition(session, user_id=user_id, prohibited=body.prohibited)
    return _view(session, user_id)


@router.post("/users/{user_id:int}/access/full", summary="Grant full access")
def grant_full(session: SessionDep, principal: AdminUser, user_id: PathId) -> AccessRead:
    """ACC-5: every right in one action."""
    access.grant_full_access(session, user_id=user_id)
    return _view(session, user_id)


@router.delete("/users/{user_id:int}/access/full", summary="Revoke full access")
def revoke_full(session: SessionDep, principal: AdminUser, user_id: PathId) -> AccessRead:
    """ACC-5: take away full access and every explicit right in one action."""
    access.revoke_full_access(session, user_id=user_id)
    return _view(session, user_id)
